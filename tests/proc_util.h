/*
 * proc_util.h - running the example programs (examples/) from a test: each
 * is started with stdout+stderr on a pipe that the test reads as it goes,
 * so a test can wait for a line ("reader: waiting for") before it starts
 * the next program. Programs still running and regions still named when
 * the test exits (a failed CHECK) are killed and removed by pu_cleanup(),
 * armed by pu_init(). Included by tests/t_ex_writer_reader.c and
 * tests/t_ex_ring.c, after helpers.h.
 */
#ifndef MMIPC_TEST_PROC_UTIL_H
#define MMIPC_TEST_PROC_UTIL_H

#include <poll.h>
#include <stdbool.h>

#include "helpers.h"

/* A program started with its stdout+stderr on a pipe we read. */
struct proc {
	pid_t pid;
	int fd;
	char out[65536];
	size_t len;
};

#define PU_MAX_PROCS 8
#define PU_MAX_NAMES 16

/* Programs still running, names still to remove, and the process whose
 * exit cleans up (a forked child exits too, and must not). */
static pid_t pu_running[PU_MAX_PROCS];
static char pu_names[PU_MAX_NAMES][128];
static int pu_nnames;
static pid_t pu_main_pid;

static inline void pu_track(pid_t pid, pid_t old)
{
	int i;

	for (i = 0; i < PU_MAX_PROCS; i++) {
		if (pu_running[i] == old) {
			pu_running[i] = pid;
			return;
		}
	}
}

static inline void pu_cleanup(void)
{
	int i;

	if (getpid() != pu_main_pid)
		return;
	for (i = 0; i < PU_MAX_PROCS; i++) {
		if (pu_running[i] > 0) {
			kill(pu_running[i], SIGKILL);
			waitpid(pu_running[i], NULL, 0);
		}
	}
	for (i = 0; i < pu_nnames; i++)
		mmipc_region_unlink(pu_names[i], MMIPC_F_FORCE);
}

/* pu_init - call first in main(). */
static inline void pu_init(void)
{
	pu_main_pid = getpid();
	CHECK(atexit(pu_cleanup) == 0, "atexit");
}

/* name_for - a fresh t_name() in @buf, removed at exit if still there. */
static inline char *name_for(char *buf, size_t size, const char *tag)
{
	t_name(buf, size, tag);
	if (pu_nnames < PU_MAX_NAMES)
		snprintf(pu_names[pu_nnames++], sizeof(pu_names[0]), "%s", buf);
	return buf;
}

static inline void start(struct proc *p, char *const argv[])
{
	int fds[2];

	CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	p->pid = t_spawn(argv, fds[1]);
	pu_track(p->pid, 0);
	close(fds[1]);
	p->fd = fds[0];
	p->len = 0;
	p->out[0] = '\0';
}

/* slurp - read what is there, waiting up to @ms. False at end of file. */
static inline bool slurp(struct proc *p, int ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return true;
	if (p->len + 1 >= sizeof(p->out))
		p->len = 0;	/* keep the tail only */
	n = read(p->fd, p->out + p->len, sizeof(p->out) - 1 - p->len);
	CHECK(n >= 0, "read: %s", strerror(errno));
	p->len += (size_t)n;
	p->out[p->len] = '\0';
	return n > 0;
}

/* wait_for - read until @needle shows up in the output (at most @ms). */
static inline void wait_for(struct proc *p, const char *needle, int ms)
{
	int64_t end = t_now_ms() + ms;

	while (!strstr(p->out, needle)) {
		CHECK(t_now_ms() < end, "no '%s' after %d ms in:\n%s", needle,
		      ms, p->out);
		CHECK(slurp(p, 100), "ended without '%s':\n%s", needle, p->out);
	}
}

/* finish - read to the end (at most @ms), reap; returns the exit code. */
static inline int finish(struct proc *p, int ms)
{
	int64_t end = t_now_ms() + ms;

	while (slurp(p, 100)) {
		if (t_now_ms() > end) {
			kill(p->pid, SIGKILL);
			t_wait(p->pid);
			pu_track(0, p->pid);
			t_failf(__FILE__, __LINE__, "pid %d still running "
				"after %d ms:\n%s", (int)p->pid, ms, p->out);
		}
	}
	close(p->fd);
	pu_track(0, p->pid);
	return t_wait(p->pid);
}

#endif /* MMIPC_TEST_PROC_UTIL_H */
