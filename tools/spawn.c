/*
 * spawn.c - run the example programs of "mmipc demo" and clean up after
 * them (see spawn.h).
 *
 * Each program is forked and exec'd in its own process group, with stdout
 * and stderr on one pipe that the demo relays line by line, indented. The
 * groups let the demo alone decide the programs' fate: on a timeout, Ctrl-C
 * or SIGTERM it kills them, goes on reading their output to its end, and
 * reaps them. SIGINT and SIGTERM are blocked except while the demo sleeps
 * in ppoll(), so one is never lost between a check and the sleep.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"
#include "spawn.h"

/* ------------------------------------------------------------------ */
/* Signals                                                             */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

int spawn_signals_catch(struct spawn_signals *saved)
{
	struct sigaction sa;
	sigset_t block;

	/*
	 * Ctrl-C and SIGTERM stop the programs and still clean up: they set
	 * a flag, and stay blocked except while the demo sleeps in ppoll().
	 * No SA_RESTART: that sleep must end.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &saved->old_mask) < 0 ||
	    sigaction(SIGINT, &sa, &saved->old_int) < 0 ||
	    sigaction(SIGTERM, &sa, &saved->old_term) < 0) {
		tool_errf("demo: signals: %s", strerror(errno));
		return -1;
	}
	interrupted = 0;
	return 0;
}

void spawn_signals_restore(const struct spawn_signals *saved)
{
	sigaction(SIGINT, &saved->old_int, NULL);
	sigaction(SIGTERM, &saved->old_term, NULL);
	sigprocmask(SIG_SETMASK, &saved->old_mask, NULL);
}

bool spawn_interrupted(void)
{
	return interrupted != 0;
}

/* ------------------------------------------------------------------ */
/* Running programs                                                    */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* start - fork and exec kid @k of @rn in its own process group. */
static int start(struct spawn_runner *rn, struct spawn_child *k, int out)
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

static void kill_all(struct spawn_runner *rn)
{
	int i;

	for (i = 0; i < rn->started; i++)
		if (rn->kids[i].pid > 0)
			kill(-rn->kids[i].pid, SIGKILL);
}

/* stop - kill every kid started so far: the run has failed. */
static void stop(struct spawn_runner *rn, bool *killed)
{
	kill_all(rn);
	rn->failed = *killed = true;
}

/* emit - one line of program output: relay it, grab it if asked. */
static void emit(struct spawn_runner *rn, const char *s, size_t len)
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
static int relay(struct spawn_runner *rn, const char *buf, size_t n)
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

/* start_next - start the next staggered kid on the write end *@wfd, and
 * close that once every kid is started. */
static void start_next(struct spawn_runner *rn, int *wfd, bool *killed)
{
	if (start(rn, &rn->kids[rn->started], *wfd) < 0) {
		stop(rn, killed);
	} else if (rn->started == rn->nkids) {
		close(*wfd);
		*wfd = -1;
	}
}

/*
 * pump - relay the pipe until every writer of it is gone. Kills the kids
 * on a signal or at the deadline (and goes on reading to the end). *@wfd
 * is the write end, kept open while staggered kids are still to start.
 */
static void pump(struct spawn_runner *rn, int rfd, int *wfd)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char buf[4096];
	bool killed = false;
	ssize_t n;

	for (;;) {
		int64_t left = rn->deadline_ms - now_ms();
		struct timespec ts;

		if (!killed && (interrupted || left <= 0)) {
			tool_errf("demo: %s; stopping the programs",
				  interrupted ? "interrupted" : "timed out");
			stop(rn, &killed);
		}
		if (killed && *wfd >= 0) {
			close(*wfd);	/* nobody else will start */
			*wfd = -1;
		}
		ts.tv_sec = left > 0 ? left / 1000 : 0;
		ts.tv_nsec = left > 0 ? (left % 1000) * 1000000 : 0;
		/* SIGINT and SIGTERM are blocked except inside ppoll: one
		 * that arrives at any other moment is seen on the next round,
		 * never lost between the check above and the sleep. */
		if (ppoll(&pfd, 1, killed ? NULL : &ts, &rn->run_mask) < 0) {
			if (errno == EINTR)
				continue;
			tool_errf("demo: poll: %s", strerror(errno));
			stop(rn, &killed);
			continue;
		}
		if (!pfd.revents)
			continue;	/* timed out: handled above */
		n = read(rfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* end of output: every kid is gone */
		if (relay(rn, buf, (size_t)n) > 0 && *wfd >= 0 && !killed)
			start_next(rn, wfd, &killed);
	}
	if (rn->len)
		emit(rn, rn->line, rn->len);
	fflush(stdout);
}

static void reap(struct spawn_runner *rn)
{
	int i, st;

	for (i = 0; i < rn->started; i++) {
		struct spawn_child *k = &rn->kids[i];

		while (waitpid(k->pid, &st, 0) < 0) {
			if (errno != EINTR) {
				tool_errf("demo: waitpid: %s", strerror(errno));
				st = 0x7f00;	/* as exit code 127 */
				break;
			}
		}
		k->status = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
		k->pid = 0;
		if (k->status == 0)
			continue;
		rn->failed = true;
		if (k->status > 128)
			tool_errf("demo: %s was killed by signal %d",
				  strrchr(k->argv[0], '/') + 1,
				  k->status - 128);
		else
			tool_errf("demo: %s failed (exit status %d)",
				  strrchr(k->argv[0], '/') + 1, k->status);
	}
}

int spawn_run(struct spawn_runner *rn, int64_t timeout_ms)
{
	int fds[2];

	/* The kids and ppoll run with the mask the demo had on entry. */
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
	if (rn->failed || rn->started == rn->nkids) {
		close(fds[1]);
		fds[1] = -1;
	}
	if (rn->started > 0)
		pump(rn, fds[0], &fds[1]);
	if (fds[1] >= 0)
		close(fds[1]);
	close(fds[0]);
	reap(rn);
	return rn->failed ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Cleaning up                                                         */
/* ------------------------------------------------------------------ */

int spawn_gone_file(const char *path)
{
	if (unlink(path) == 0) {
		tool_errf("demo: %s was left behind; removed it", path);
		return -1;
	}
	if (errno != ENOENT) {
		tool_errf("demo: cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int spawn_gone_region(const char *addr)
{
	int rc = mmipc_region_unlink(addr, MMIPC_F_FORCE);

	if (rc == 0) {
		tool_errf("demo: %s was left behind; removed it", addr);
		return -1;
	}
	if (rc != -ENOENT) {
		tool_err(addr, rc);
		return -1;
	}
	return 0;
}
