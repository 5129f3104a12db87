/*
 * demo.c - mmipc demo: run the classic shared-memory scenarios, narrated.
 *
 *	mmipc demo [--list] [--seconds S] [SCENARIO...]
 *
 * Each scenario is one of the example programs (examples/), started as a
 * separate process; the demo prints a header and what to look for, relays
 * the program's output indented, and says what it showed. The programs
 * check their own results (exit 0 only when what they show happened); the
 * demo checks their exit status, and that nothing was left behind in /tmp
 * or the shm directory: every file or region a scenario may create is named
 * after the demo's pid and removed here if the program did not remove it.
 *
 * The programs run in their own process groups, so the demo alone decides
 * their fate: on a timeout, Ctrl-C or SIGTERM it kills the groups, reaps
 * them and cleans up what they left.
 *
 * Where the programs are: $MMIPC_EXAMPLES_DIR if set; else the directory
 * of this executable (in the build tree everything is in build/bin); else
 * MMIPC_LIBEXECDIR, where they are installed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#ifndef MMIPC_LIBEXECDIR
#define MMIPC_LIBEXECDIR "/usr/local/libexec/mmipc"
#endif

/* The writer-reader scenario: one value every 20 ms, ~15 lines printed. */
#define WR_INTERVAL_US	20000
#define WR_LINES	15

/* The example programs. */
enum { P_FORK_FILE, P_FORK_ANON, P_WRITER, P_READER, P_MAPFILE, NPROGS };

static const char *const prog_names[NPROGS] = {
	[P_FORK_FILE] = "mmipc-ex-fork-file",
	[P_FORK_ANON] = "mmipc-ex-fork-anon",
	[P_WRITER] = "mmipc-ex-writer",
	[P_READER] = "mmipc-ex-reader",
	[P_MAPFILE] = "mmipc-ex-mapfile",
};

struct demo {
	char dirs[3][PATH_MAX];	/* where to look for the programs */
	int ndirs;
	char prog[NPROGS][PATH_MAX];
	unsigned long seconds;
	int pid;		/* names the demo's files and regions */
};

struct scenario {
	const char *name;
	const char *title;
	const char *intro;	/* what to look for */
	int progs[2];		/* programs it needs; -1 = none */
	int (*run)(struct demo *d);
};

/* ------------------------------------------------------------------ */
/* Running programs                                                    */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

struct child {
	char **argv;
	pid_t pid;		/* 0 until started, again 0 once reaped */
	int status;		/* exit code, or 128 + signal */
};

/*
 * A runner starts kids[] with stdout and stderr on one pipe, relays their
 * output line by line (indented), keeps the last line containing each
 * grab[] string, and reaps them. With stagger, kid i+1 is started only once
 * a line has come out after kid i was started (the reader says it is
 * waiting before the writer starts).
 */
struct runner {
	struct child *kids;
	int nkids, started;
	bool stagger, failed;
	int64_t deadline_ms;
	const char *grab[2];
	char grabbed[2][256];
	char line[512];
	size_t len;
	sigset_t run_mask;	/* the mask to run with: signals unblocked */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* start - fork and exec kid @k of @rn in its own process group. */
static int start(struct runner *rn, struct child *k, int out)
{
	pid_t pid = fork();

	if (pid < 0) {
		tool_errf("demo: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, &rn->run_mask, NULL);
		if (dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execv(k->argv[0], k->argv);
		fprintf(stderr, "mmipc: demo: exec %s: %s\n", k->argv[0],
			strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);	/* also here: no window where it is not so */
	k->pid = pid;
	rn->started++;
	return 0;
}

static void kill_all(struct runner *rn)
{
	int i;

	for (i = 0; i < rn->started; i++)
		if (rn->kids[i].pid > 0)
			kill(-rn->kids[i].pid, SIGKILL);
}

/* emit - one line of program output: relay it, grab it if asked. */
static void emit(struct runner *rn, const char *s, size_t len)
{
	int i;

	printf("  | %.*s\n", (int)len, s);
	for (i = 0; i < 2; i++) {
		if (rn->grab[i] && len < sizeof(rn->grabbed[i]) &&
		    memmem(s, len, rn->grab[i], strlen(rn->grab[i]))) {
			memcpy(rn->grabbed[i], s, len);
			rn->grabbed[i][len] = '\0';
		}
	}
}

/* relay - split @n bytes of output into lines. Returns how many whole
 * lines were emitted. */
static int relay(struct runner *rn, const char *buf, size_t n)
{
	int lines = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n' || rn->len == sizeof(rn->line)) {
			emit(rn, rn->line, rn->len);
			rn->len = 0;
			lines++;
			if (buf[i] == '\n')
				continue;
		}
		rn->line[rn->len++] = buf[i];
	}
	fflush(stdout);
	return lines;
}

/* pump - relay the pipe until every writer of it is gone. Kills the kids
 * on a signal or at the deadline (and goes on reading to the end). */
static void pump(struct runner *rn, int rfd, int wfd)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char buf[4096];
	bool killed = false;
	ssize_t n;

	for (;;) {
		int64_t left = rn->deadline_ms - now_ms();
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };

		if (!killed && (interrupted || left <= 0)) {
			tool_errf("demo: %s; stopping the programs",
				  interrupted ? "interrupted" : "timed out");
			kill_all(rn);
			rn->failed = killed = true;
		}
		/* Signals are blocked except inside ppoll: one that arrives
		 * at any other moment is seen here on the next round. */
		if (ppoll(&pfd, 1, killed ? NULL : &ts, &rn->run_mask) < 0) {
			if (errno == EINTR)
				continue;
			tool_errf("demo: poll: %s", strerror(errno));
			break;
		}
		if (!pfd.revents)
			continue;
		n = read(rfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* end of output: every kid is gone */
		if (relay(rn, buf, (size_t)n) > 0 && rn->stagger &&
		    rn->started < rn->nkids && !killed &&
		    start(rn, &rn->kids[rn->started], wfd) < 0) {
			kill_all(rn);
			rn->failed = killed = true;
		}
	}
	if (rn->len)
		emit(rn, rn->line, rn->len);
	fflush(stdout);
}

static void reap(struct runner *rn)
{
	int i, st;

	for (i = 0; i < rn->started; i++) {
		struct child *k = &rn->kids[i];

		while (waitpid(k->pid, &st, 0) < 0) {
			if (errno != EINTR) {
				tool_errf("demo: waitpid: %s", strerror(errno));
				st = 0x7f00;	/* exit code 127 */
				break;
			}
		}
		k->status = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
		k->pid = 0;
		if (k->status != 0)
			rn->failed = true;
	}
}

/*
 * run - run @rn's kids to their end (see struct runner), at most
 * @timeout_ms. Returns 0 if all of them exited 0 in time.
 */
static int run(struct runner *rn, int64_t timeout_ms)
{
	int fds[2];

	sigprocmask(SIG_BLOCK, NULL, &rn->run_mask);
	sigdelset(&rn->run_mask, SIGINT);
	sigdelset(&rn->run_mask, SIGTERM);
	rn->deadline_ms = now_ms() + timeout_ms;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		tool_errf("demo: pipe: %s", strerror(errno));
		return -1;
	}
	do {
		if (start(rn, &rn->kids[rn->started], fds[1]) < 0) {
			rn->failed = true;
			break;
		}
	} while (!rn->stagger && rn->started < rn->nkids);
	if (!rn->stagger || rn->failed) {
		close(fds[1]);
		fds[1] = -1;
	}
	/* With stagger the write end stays open for the kids to come; it is
	 * closed once all are started, or the pipe would never end. */
	if (rn->stagger && !rn->failed) {
		pump_staggered:
		pump(rn, fds[0], fds[1]);
	} else {
		pump(rn, fds[0], -1);
	}
	(void)&&pump_staggered;
	close(fds[0]);
	reap(rn);
	return rn->failed ? -1 : 0;
}
