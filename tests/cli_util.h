/*
 * cli_util.h - running the mmipc tool from a test: stdout and stderr kept
 * apart (t_run() in helpers.h merges them), optionally as uid 65534, JSON
 * checked with python3, a private directory removed at exit, programs
 * run alongside the test (spawn_fds(), wait_ms(), kill_kids()), and runs
 * with a time limit (run_ms(), tool_ms()). Included by the tests/t_cli_*.c
 * programs, after helpers.h.
 */
#ifndef MMIPC_TEST_CLI_UTIL_H
#define MMIPC_TEST_CLI_UTIL_H

#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"


/* One finished run: exit status, standard output, standard error. */
struct run {
	int rc;
	char out[65536];
	char err[16384];
};

static struct run R;
static bool as_nobody;		/* run the tool as uid 65534 */

static inline int cap_fd(void)
{
	char path[] = "/tmp/" T_PREFIX "cap-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	CHECK(unlink(path) == 0, "unlink %s: %s", path, strerror(errno));
	return fd;
}

static inline void slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	CHECK(n >= 0, "pread: %s", strerror(errno));
	buf[n] = '\0';
	close(fd);
}

/* run_argv - run argv (argv[0] looked up in $PATH) with stdin from in
 * (empty if NULL), into r. Returns the exit status (128+sig if killed). */
static inline int run_argv(struct run *r, char *const argv[], const char *in)
{
	int ifd = cap_fd(), ofd = cap_fd(), efd = cap_fd();
	size_t len = in ? strlen(in) : 0;
	pid_t pid;

	CHECK(write(ifd, in ? in : "", len) == (ssize_t)len, "write stdin");
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (lseek(ifd, 0, SEEK_SET) < 0 || dup2(ifd, 0) < 0 ||
		    dup2(ofd, 1) < 0 || dup2(efd, 2) < 0)
			_exit(126);
		if (as_nobody)
			t_drop_to_nobody();
		execvp(argv[0], argv);
		_exit(127);
	}
	r->rc = t_wait(pid);
	close(ifd);
	slurp(ofd, r->out, sizeof(r->out));
	slurp(efd, r->err, sizeof(r->err));
	return r->rc;
}

/* tool_argv - argv of "mmipc ARG ..." from arg and the rest of a
 * NULL-terminated list (at most 30 arguments). */
static inline void tool_argv(char *argv[32], const char *arg, va_list ap)
{
	int n = 0;

	argv[n++] = (char *)t_tool();
	for (; arg != NULL && n < 31; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	argv[n] = NULL;
}

/* tool - run "mmipc ARGS..." (a NULL-terminated list) into R. */
static inline int tool(const char *arg, ...)
{
	char *argv[32];
	va_list ap;

	va_start(ap, arg);
	tool_argv(argv, arg, ap);
	va_end(ap);
	return run_argv(&R, argv, NULL);
}

/* The run in R ended with status rc; say all about it if not. */
#define CHECK_RUN(rc_want, what)                                              \
	CHECK(R.rc == (rc_want), "%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", \
	      what, R.rc, rc_want, R.out, R.err)

/*
 * py_json - check JSON text with python3: the script runs with the parsed
 * value in d and arg in sys.argv[1], and asserts. Fails the test if the
 * text is not JSON or an assertion fails; returns false (after a note) if
 * there is no python3 to ask.
 */
static inline bool py_json(const char *json, const char *script, const char *arg)
{
	static struct run p;
	char prog[4096];
	char *argv[] = { "python3", "-c", prog, (char *)(arg ? arg : ""), NULL };

	snprintf(prog, sizeof(prog),
		 "import json, sys\n"
		 "d = json.loads(sys.stdin.buffer.read().decode('utf-8'))\n"
		 "%s\n", script);
	run_argv(&p, argv, json);
	if (p.rc == 127) {
		fprintf(stderr, "note: no python3: JSON not validated\n");
		return false;
	}
	CHECK(p.rc == 0, "JSON check failed:\n%s\nJSON:\n%s\npython:\n%s%s",
	      script, json, p.out, p.err);
	return true;
}

/* line_of - the line of text that starts with "word " (NULL if none),
 * copied into buf. */
static inline const char *line_of(const char *text, const char *word,
				   char *buf,
			   size_t size)
{
	size_t n = strlen(word), len;
	const char *p = text, *end;

	while (*p != '\0') {
		end = strchr(p, '\n');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > n && strncmp(p, word, n) == 0 && p[n] == ' ') {
			snprintf(buf, size, "%.*s", (int)len, p);
			return buf;
		}
		p += len + (end != NULL);
	}
	return NULL;
}

/* --- cleanup, also when a CHECK fails (atexit) --- */

static pid_t main_pid;
static char dir[128];		/* private shm dir / file dir, "" if none */

/* rm_dir - remove dir and the files in it; no CHECK: runs from atexit. */
static inline void rm_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(path);
}

/* --- programs that run alongside the test (send, recv, sh -c ...) --- */

static pid_t kids[32];		/* started and not yet reaped */
static int nkids;

/* spawn_fds - start argv (argv[0] looked up in $PATH) with stdin, stdout
 * and stderr on in, out and err (-1: /dev/null for stdin, inherited for
 * the others). The pid is remembered for kill_kids(). */
static inline pid_t spawn_fds(char *const argv[], int in, int out, int err)
{
	pid_t pid;

	CHECK(nkids < (int)(sizeof(kids) / sizeof(kids[0])), "too many kids");
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (in < 0)
			in = open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 ||
		    (out >= 0 && dup2(out, 1) < 0) ||
		    (err >= 0 && dup2(err, 2) < 0))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	kids[nkids++] = pid;
	return pid;
}

static inline void forget_kid(pid_t pid)
{
	int i;

	for (i = 0; i < nkids; i++)
		if (kids[i] == pid)
			kids[i] = kids[--nkids];
}

/* wait_ms - wait up to ms for pid: its status (as t_wait()), or -1 if it
 * still runs. */
static inline int wait_ms(pid_t pid, int ms)
{
	int64_t end = t_now_ms() + ms;
	pid_t r;
	int st;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		CHECK(r >= 0 || errno == EINTR, "waitpid: %s", strerror(errno));
		if (r == pid) {
			forget_kid(pid);
			return WIFEXITED(st) ? WEXITSTATUS(st) :
			       128 + WTERMSIG(st);
		}
		if (t_now_ms() >= end)
			return -1;
		usleep(2000);
	}
}

/* kill_kids - SIGKILL and reap whatever still runs (also from atexit). */
static inline void kill_kids(void)
{
	while (nkids > 0) {
		kill(kids[nkids - 1], SIGKILL);
		waitpid(kids[--nkids], NULL, 0);
	}
}

/* cli_cleanup - the CLI tests' atexit() handler: in the test's own
 * process (not in a forked child), kill the children that still run and
 * remove the private directory. */
static inline void cli_cleanup(void)
{
	if (getpid() != main_pid)
		return;
	kill_kids();
	if (dir[0] != '\0')
		rm_dir(dir);
}

/* new_file - create dir/name (truncated), open for reading and writing;
 * the path goes to path. */
static inline int new_file(const char *name, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

/* read_all - the whole file at path, NUL-terminated, in a malloc'd
 * buffer; its length in *len. */
static inline char *read_all(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0 && fstat(fd, &st) == 0, "open %s: %s", path,
	      strerror(errno));
	buf = malloc((size_t)st.st_size + 1);
	CHECK(buf != NULL, "malloc");
	*len = 0;
	while (*len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + *len, (size_t)st.st_size - *len);

		CHECK(n > 0, "read %s: %s", path, strerror(errno));
		*len += (size_t)n;
	}
	buf[*len] = '\0';
	close(fd);
	return buf;
}

/* start_tool - spawn_fds() of "mmipc ARGS..." (a NULL-terminated list). */
static inline pid_t start_tool(int in, int out, int err, const char *arg, ...)
{
	char *argv[32];
	va_list ap;

	va_start(ap, arg);
	tool_argv(argv, arg, ap);
	va_end(ap);
	return spawn_fds(argv, in, out, err);
}

/*
 * run_ms - run argv (argv[0] looked up in $PATH) into R as run_argv()
 * does, for input that might make a program hang: stdin is /dev/null (and
 * as_nobody is not honoured), and the program is killed after @ms; R.rc
 * is then -1. Returns R.rc.
 */
static inline int run_ms(char *const argv[], int ms)
{
	int ofd = cap_fd(), efd = cap_fd();
	pid_t pid = spawn_fds(argv, -1, ofd, efd);

	R.rc = wait_ms(pid, ms);
	if (R.rc < 0) {
		CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
		t_wait(pid);
		forget_kid(pid);
	}
	slurp(ofd, R.out, sizeof(R.out));
	slurp(efd, R.err, sizeof(R.err));
	return R.rc;
}

/* tool_ms - run_ms() of "mmipc ARGS..." (a NULL-terminated list). */
static inline int tool_ms(int ms, const char *arg, ...)
{
	char *argv[32];
	va_list ap;

	va_start(ap, arg);
	tool_argv(argv, arg, ap);
	va_end(ap);
	return run_ms(argv, ms);
}

/* ring_now - mmipc_ring_stats() of the ring at addr, read-only. */
static inline struct mmipc_ring_stats ring_now(const char *addr)
{
	struct mmipc_ring_stats st;
	mmipc_region *r;

	CHECK_OK(mmipc_region_open_timeout(&r, addr, MMIPC_KIND_RING,
					   MMIPC_F_RDONLY | MMIPC_F_NOWAIT, 0));
	CHECK_OK(mmipc_ring_stats(r, &st));
	CHECK_OK(mmipc_region_close(r));
	return st;
}

#endif /* MMIPC_TEST_CLI_UTIL_H */
