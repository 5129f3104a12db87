/*
 * proc.c - the processes of mmipc-bench: forking the sides of a row,
 * waiting for them with a deadline, signals, pinning, the clock, and how
 * a failure is explained.
 *
 * The parent blocks SIGCHLD, SIGINT, SIGTERM and SIGHUP and takes them
 * only in sigtimedwait() while it waits for a row: no handler runs, no
 * system call is cut short, and Ctrl-C during a row kills that row's
 * processes, after which the row's teardown still removes what it made.
 * The children get the original mask back and die with the parent
 * (PR_SET_PDEATHSIG), so a killed benchmark leaves no spinning process.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ---------------------------------------------------------------- */
/* Failures                                                          */
/* ---------------------------------------------------------------- */

static char own_err[256];
static char *err_buf = own_err;
static size_t err_len = sizeof(own_err);

void bench_child_init(char *buf, size_t len)
{
	err_buf = buf ? buf : own_err;
	err_len = buf ? len : sizeof(own_err);
	err_buf[0] = '\0';
}

int bench_fail(const char *fmt, ...)
{
	va_list ap;

	if (err_buf[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(err_buf, err_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *bench_failed(void)
{
	return err_buf;
}

int bench_sys(const char *what, int err)
{
	if (err < 0)
		err = -err;
	bench_fail("%s: %s", what, strerror(err));
	return -err;
}

/* ---------------------------------------------------------------- */
/* Clock, CPU                                                        */
/* ---------------------------------------------------------------- */

int64_t now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC exists and ts is valid: cannot fail */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double clock_cost_ns(void)
{
	int64_t t0, t1;
	int i, n = 1000000;

	now_ns();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		now_ns();
	t1 = now_ns();
	return (double)(t1 - t0) / n;
}

int pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

static int pin_errs[2];

void bench_note_pin(int side, int err)
{
	if (!pin_errs[side])
		pin_errs[side] = err;
}

int bench_pin_error(int side)
{
	return pin_errs[side];
}

/* ---------------------------------------------------------------- */
/* Signals and children                                              */
/* ---------------------------------------------------------------- */

static sigset_t orig_mask, wait_set;
static pid_t parent_pid;
static volatile int interrupted;

void bench_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };

	parent_pid = getpid();
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGCHLD);
	sigaddset(&wait_set, SIGINT);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &wait_set, &orig_mask) < 0)
		fprintf(stderr, "mmipc-bench: sigprocmask: %s\n",
			strerror(errno));
	/* writes to a gone peer give EPIPE; children inherit it */
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		fprintf(stderr, "mmipc-bench: sigaction(SIGPIPE): %s\n",
			strerror(errno));
}

bool bench_interrupted(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t stop;

	if (interrupted)
		return true;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	if (sigtimedwait(&stop, NULL, &zero) > 0)
		interrupted = 1;
	return interrupted;
}

pid_t bench_fork(char *why, size_t whylen)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* what the parent blocked reaches the child; SIGPIPE stays
		 * ignored (EPIPE says it better) */
		if (sigprocmask(SIG_SETMASK, &orig_mask, NULL) < 0 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
			fprintf(stderr, "mmipc-bench: child setup: %s\n",
				strerror(errno));
			_exit(127);
		}
		if (getppid() != parent_pid)
			_exit(1);	/* the parent died before prctl */
	}
	return pid;
}

static void describe(pid_t pid, int status, char *why, size_t whylen)
{
	if (WIFSIGNALED(status))
		snprintf(why, whylen, "process %d killed by signal %d (%s)",
			 (int)pid, WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0 && !why[0])
		snprintf(why, whylen, "process %d failed (exit %d)", (int)pid,
			 WEXITSTATUS(status));
}

/*
 * bench_wait - wait for the n processes in pids (-1 entries are skipped
 * and set to -1 once reaped) until all have exited or timeout_s passed.
 * When one fails, the others get grace_s more, then SIGKILL; on timeout or
 * Ctrl-C all are killed at once. Returns 0 when all exited with status 0,
 * else -1 with the first reason in why (if why is still empty).
 */
int bench_wait(pid_t *pids, int n, double timeout_s, double grace_s,
	       char *why, size_t whylen)
{
	int64_t deadline = now_ns() + (int64_t)(timeout_s * 1e9), left;
	int i, status, alive, rc = 0;
	struct timespec ts;
	bool killed = false;
	pid_t got;

	for (;;) {
		alive = 0;
		for (i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			got = waitpid(pids[i], &status, WNOHANG);
			if (got == 0) {
				alive++;
				continue;
			}
			if (got < 0 && errno == EINTR) {
				alive++;
				continue;
			}
			if (got == pids[i] && (!WIFEXITED(status) ||
					       WEXITSTATUS(status) != 0)) {
				if (!killed)
					describe(pids[i], status, why, whylen);
				if (rc == 0 && !killed) {
					/* the others: grace_s more */
					int64_t g = now_ns() +
						    (int64_t)(grace_s * 1e9);
					if (g < deadline)
						deadline = g;
				}
				rc = -1;
			}
			pids[i] = -1;
		}
		if (alive == 0)
			return rc;
		left = deadline - now_ns();
		if (left <= 0 || interrupted) {
			if (!killed && rc == 0 && !why[0])
				snprintf(why, whylen, interrupted ?
					 "interrupted" : "timed out after "
					 "%.0f s", timeout_s);
			for (i = 0; i < n; i++)
				if (pids[i] > 0 && kill(pids[i], SIGKILL) < 0 &&
				    errno != ESRCH)
					fprintf(stderr, "mmipc-bench: kill %d: "
						"%s\n", (int)pids[i],
						strerror(errno));
			killed = true;
			rc = -1;
			deadline = now_ns() + 10 * (int64_t)1000000000;
			continue;
		}
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		i = sigtimedwait(&wait_set, NULL, &ts);
		if (i == SIGINT || i == SIGTERM || i == SIGHUP)
			interrupted = 1;
	}
}

int bench_wait_pair(pid_t *pids, double timeout_s, char *why, size_t whylen)
{
	return bench_wait(pids, 2, timeout_s, 2.0, why, whylen);
}

int bench_run_child(int (*fn)(void *arg, void *res), void *arg, int cpu,
		    void *res, size_t reslen, double timeout_s, char *why,
		    size_t whylen)
{
	struct { char err[256]; } *sh;
	size_t size = sizeof(*sh) + reslen;
	char wait_why[256] = "";
	pid_t pid;
	int rc = 0;

	sh = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -1;
	}
	pid = bench_fork(why, whylen);
	if (pid == 0) {
		bench_child_init(sh->err, sizeof(sh->err));
		pin_to(cpu);	/* main() said whether pinning works */
		_exit(fn(arg, (char *)sh + sizeof(*sh)) < 0 ? 1 : 0);
	}
	if (pid < 0)
		rc = -1;
	else if (bench_wait(&pid, 1, timeout_s, 0, wait_why,
			    sizeof(wait_why)) < 0) {
		snprintf(why, whylen, "%s", sh->err[0] ? sh->err : wait_why);
		rc = -1;
	}
	if (rc == 0)
		memcpy(res, (char *)sh + sizeof(*sh), reslen);
	munmap(sh, size);
	return rc;
}
