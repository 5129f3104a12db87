/*
 * cli_util.h - running the mmipc tool from a test: stdout and stderr kept
 * apart (t_run() in helpers.h merges them), optionally as uid 65534, JSON
 * checked with python3, and a private directory removed at exit. Included
 * by the tests/t_cli_*.c programs, after helpers.h.
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

/* tool - run "mmipc ARGS..." (a NULL-terminated list) into R. */
static inline int tool(const char *arg, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)t_tool();
	va_start(ap, arg);
	for (; arg != NULL && n < 31; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	argv[n] = NULL;
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

#endif /* MMIPC_TEST_CLI_UTIL_H */
