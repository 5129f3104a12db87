/*
 * t_cli_file - file: regions through the mmipc tool: create with a mode
 * (applied exactly, whatever the umask), "ls ADDR" lists just that region,
 * "stat --json" is valid JSON with the mode, and odd bytes in a path are
 * escaped so that a JSON reader gets the path back.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

/* --- run the tool (local helpers; tests/helpers.h merges the streams) --- */

/* One finished run: exit status, standard output, standard error. */
struct run {
	int rc;
	char out[65536];
	char err[16384];
};

static struct run R;

static int cap_fd(void)
{
	char path[] = "/tmp/" T_PREFIX "cap-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	CHECK(unlink(path) == 0, "unlink %s: %s", path, strerror(errno));
	return fd;
}

static void slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	CHECK(n >= 0, "pread: %s", strerror(errno));
	buf[n] = '\0';
	close(fd);
}

/* run_argv - run argv (argv[0] looked up in $PATH) with stdin from in
 * (empty if NULL), into r. Returns the exit status (128+sig if killed). */
static int run_argv(struct run *r, char *const argv[], const char *in)
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
static int tool(const char *arg, ...)
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
static bool py_json(const char *json, const char *script, const char *arg)
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
static const char *line_of(const char *text, const char *word, char *buf,
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
static void rm_dir(const char *path)
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

static void cleanup(void)
{
	if (getpid() == main_pid && dir[0] != '\0')
		rm_dir(dir);
}

/* create file:PATH --mode 640 gives a file of exactly that mode, which
 * ls ADDR lists and stat --json describes. */
static void test_file_region(void)
{
	char path[256], addr[300], line[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/r", dir);
	snprintf(addr, sizeof(addr), "file:%s", path);
	umask(077);			/* the mode must not depend on it */
	tool("create", "raw", addr, "--size", "1M", "--mode", "640", NULL);
	CHECK_RUN(0, "create raw file:");
	CHECK(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
	CHECK((st.st_mode & 07777) == 0640, "mode %04o, want 0640",
	      (unsigned)st.st_mode & 07777);
	CHECK((uint64_t)st.st_size > (1u << 20), "file of %lld bytes",
	      (long long)st.st_size);

	tool("ls", addr, NULL);
	CHECK_RUN(0, "ls file:");
	CHECK(line_of(R.out, addr, line, sizeof(line)), "ls %s:\n%s", addr,
	      R.out);
	CHECK(strstr(line, " raw ") && strstr(line, " 1.0M ") &&
	      strstr(line, " 0640 "), "bad ls line: %s", line);
	CHECK(strstr(R.out, "shm:") == NULL, "ls ADDR listed more:\n%s",
	      R.out);

	tool("stat", "--json", path, NULL);	/* a bare path is file: */
	CHECK_RUN(0, "stat --json");
	py_json(R.out,
		"assert d['name'] == 'file:' + sys.argv[1], d\n"
		"assert d['mode'] == '0640' and d['backend'] == 'file', d\n"
		"assert d['kind'] == 'raw' and d['data_size'] == 1 << 20, d\n"
		"assert d['state'] == 'ready' and d['file_size'] > 1 << 20, d\n",
		path);
	tool("rm", addr, NULL);
	CHECK_RUN(0, "rm file:");
	CHECK(access(path, F_OK) < 0 && errno == ENOENT, "rm left %s", path);
}

/* Quotes, backslashes and bytes that are not UTF-8 in a file name come
 * out of --json escaped, so that JSON readers get the name back. */
static void test_odd_name(void)
{
	char path[256], addr[300];

	snprintf(path, sizeof(path), "%s/q\"b\\s-\xc3\xa9-\xff", dir);
	snprintf(addr, sizeof(addr), "file:%s", path);
	tool("create", "raw", addr, "--size", "4K", NULL);
	CHECK_RUN(0, "create odd name");
	tool("ls", "--json", addr, NULL);
	CHECK_RUN(0, "ls --json odd name");
	/* Python decodes argv with surrogateescape: 0xff is '\udcff'. */
	py_json(R.out,
		"assert len(d) == 1, d\n"
		"assert d[0]['name'] == 'file:' + sys.argv[1], d\n",
		path);
	tool("stat", "--json", addr, addr, NULL);
	CHECK_RUN(0, "stat --json twice");
	py_json(R.out,
		"assert isinstance(d, list) and len(d) == 2, d\n"
		"assert d[0]['name'] == d[1]['name'] == 'file:' + sys.argv[1]\n",
		path);
	tool("rm", addr, NULL);
	CHECK_RUN(0, "rm odd name");
}

int main(void)
{
	main_pid = getpid();
	CHECK(atexit(cleanup) == 0, "atexit");
	t_tmpdir(dir, sizeof(dir));
	test_file_region();
	test_odd_name();
	CHECK(t_count_dir(dir) == 0, "files left in %s", dir);
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	dir[0] = '\0';
	return T_PASS;
}
