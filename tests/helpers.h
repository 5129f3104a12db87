/*
 * helpers.h - the one shared header of the mmipc tests. No framework: each
 * test is a main() that returns T_PASS, T_FAIL or T_SKIP (77), and uses the
 * CHECK macros below, which print where and why and exit(T_FAIL).
 *
 * Every region a test creates is named with t_name() ("mmipct-PID-TAG-N"),
 * so the last test (zz_leftovers) can prove that nothing was left behind.
 */
#ifndef MMIPC_TEST_HELPERS_H
#define MMIPC_TEST_HELPERS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmipc.h"

#define T_PASS 0
#define T_FAIL 1
#define T_SKIP 77

#define T_PREFIX "mmipct-"

static inline void t_failf(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
static inline void t_failf(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s:%d [pid %d]: ", file, line, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(T_FAIL);
}

/* CHECK(cond, "fmt", ...): fail the test unless cond holds. */
#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond))                                                  \
			t_failf(__FILE__, __LINE__, __VA_ARGS__);            \
	} while (0)

/* CHECK_RC(expr, want): an mmipc call returned exactly want (0, -ENOENT,
 * -MMIPC_EBADMAGIC, ...); on mismatch prints both codes by name. */
#define CHECK_RC(expr, want)                                                  \
	do {                                                                  \
		long long t_rc_ = (long long)(expr);                          \
		long long t_want_ = (long long)(want);                        \
		if (t_rc_ != t_want_)                                         \
			t_failf(__FILE__, __LINE__,                           \
				"%s returned %lld (%s), want %lld (%s)",      \
				#expr, t_rc_, mmipc_strerror((int)t_rc_),    \
				t_want_, mmipc_strerror((int)t_want_));      \
	} while (0)

/* CHECK_OK(expr): expr returned >= 0. */
#define CHECK_OK(expr)                                                        \
	do {                                                                  \
		long long t_rc_ = (long long)(expr);                          \
		if (t_rc_ < 0)                                                \
			t_failf(__FILE__, __LINE__, "%s failed: %lld (%s)",  \
				#expr, t_rc_, mmipc_strerror((int)t_rc_));   \
	} while (0)

/* t_name - a unique "shm:mmipct-PID-TAG-N" address in buf. */
static inline const char *t_name(char *buf, size_t size, const char *tag)
{
	static unsigned counter;

	snprintf(buf, size, "shm:" T_PREFIX "%d-%s-%u", (int)getpid(), tag,
		 counter++);
	return buf;
}

/* t_tmpdir - a fresh private directory for file: regions; caller removes
 * it with t_rmtree(). */
static inline const char *t_tmpdir(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/" T_PREFIX "%d-XXXXXX", (int)getpid());
	CHECK(mkdtemp(buf) != NULL, "mkdtemp: %s", strerror(errno));
	return buf;
}

static inline void t_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "rm -rf %s failed", dir);
}

static inline int t_count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	CHECK(d != NULL, "opendir %s: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* t_count_all - the entries of a directory, hidden ones included (a
 * half-made ".name" too), "." and ".." not. */
static inline int t_count_all(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	CHECK(d != NULL, "opendir %s: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Open descriptors of this process (for leak checks around a call). */
static inline int t_count_fds(void)
{
	return t_count_dir("/proc/self/fd") - 1; /* minus opendir's own */
}

/* Mappings of this process (lines of /proc/self/maps). */
static inline int t_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	CHECK(f != NULL, "fopen maps: %s", strerror(errno));
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* t_wait - wait for pid; returns its exit code, or 128+signal. */
static inline int t_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* t_spawn - fork and exec argv (argv[0] is a path) with stdout+stderr going
 * to fd out_fd (or inherited if -1). Returns the pid. */
static inline pid_t t_spawn(char *const argv[], int out_fd)
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (out_fd >= 0) {
			dup2(out_fd, 1);
			dup2(out_fd, 2);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* t_run - run argv to completion, capturing stdout+stderr (NUL-terminated,
 * truncated to size-1) into out. Returns the exit code (128+sig if killed). */
static inline int t_run(char *const argv[], char *out, size_t size)
{
	char path[] = "/tmp/" T_PREFIX "out-XXXXXX";
	int fd = mkstemp(path);
	ssize_t n;
	int rc;

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	rc = t_wait(t_spawn(argv, fd));
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

/* t_tool - path of the built mmipc tool. */
static inline const char *t_tool(void)
{
	return MMIPC_TOOL;
}

/* t_bin - path of a program built into the bin directory (examples). */
static inline const char *t_bin(char *buf, size_t size, const char *prog)
{
	snprintf(buf, size, "%s/%s", MMIPC_BINDIR, prog);
	return buf;
}

/* t_self_exec - run this test program again as another, unrelated process
 * (fork + exec of /proc/self/exe) with argv[1..] = args. Returns the pid. */
static inline pid_t t_self_exec(char *const args[])
{
	char *argv[16];
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int i;

	CHECK(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	argv[0] = self;
	for (i = 0; args[i] != NULL && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	return t_spawn(argv, -1);
}

/* t_now_ms - CLOCK_MONOTONIC in milliseconds. */
static inline int64_t t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* t_drop_to_nobody - in a child: become uid/gid 65534. Exits T_SKIP if we
 * are not root (the test cannot be done), T_FAIL if dropping fails. */
static inline void t_drop_to_nobody(void)
{
	CHECK(setgroups(0, NULL) == 0 || errno == EPERM, "setgroups");
	CHECK(setgid(65534) == 0, "setgid: %s", strerror(errno));
	CHECK(setuid(65534) == 0, "setuid: %s", strerror(errno));
	CHECK(getuid() == 65534 && geteuid() == 65534 && getgid() == 65534 &&
		      getegid() == 65534,
	      "still uid %d/%d gid %d/%d", (int)getuid(), (int)geteuid(),
	      (int)getgid(), (int)getegid());
}

static inline int t_is_root(void)
{
	return geteuid() == 0;
}

#endif /* MMIPC_TEST_HELPERS_H */
