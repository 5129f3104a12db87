/*
 * t_cli_errors - how the mmipc tool fails: usage errors (exit 2, usage on
 * stderr), --help and --version (exit 0), bad values and failed operations
 * (exit 1, "mmipc: WHAT: reason" on stderr, nothing created), files that
 * are not regions (refused by stat and rm, removed by rm --force, hidden
 * by ls unless --all), regions another user cannot read.
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
static bool as_nobody;		/* run the tool as uid 65534 */

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

/* The run in R was a usage error: status 2, usage on stderr only. */
static void check_usage(const char *what)
{
	CHECK_RUN(2, what);
	CHECK(strstr(R.err, "Usage: mmipc") != NULL, "%s: no usage on stderr:\n%s",
	      what, R.err);
	CHECK(R.out[0] == '\0', "%s: wrote on stdout: %s", what, R.out);
}

/* The run in R failed with exactly "mmipc: what: reason\n" on stderr. */
static void check_error(const char *what, const char *reason)
{
	char want[512];

	snprintf(want, sizeof(want), "mmipc: %s: %s\n", what, reason);
	CHECK(R.rc == 1 && strcmp(R.err, want) == 0 && R.out[0] == '\0',
	      "exit %d, stderr '%s', want 1 and '%s'", R.rc, R.err, want);
}

static void test_global(void)
{
	char want[128];

	tool(NULL);
	check_usage("mmipc");
	tool("--bogus", NULL);
	check_usage("mmipc --bogus");
	tool("frob", NULL);
	CHECK_RUN(2, "mmipc frob");
	CHECK(strstr(R.err, "mmipc: unknown command 'frob'"), "frob: %s", R.err);
	tool("help", "frob", NULL);
	check_usage("mmipc help frob");
	tool("--help", NULL);
	CHECK_RUN(0, "mmipc --help");
	CHECK(strstr(R.out, "Usage: mmipc") && strstr(R.out, "create") &&
	      strstr(R.out, "stat") && R.err[0] == '\0', "--help: %s", R.out);
	snprintf(want, sizeof(want), "mmipc %s (libmmipc %s)\n",
		 MMIPC_VERSION_STRING, mmipc_version());
	tool("--version", NULL);
	CHECK(R.rc == 0 && strcmp(R.out, want) == 0, "--version: %s", R.out);
	tool("-V", NULL);
	CHECK(R.rc == 0 && strcmp(R.out, want) == 0, "-V: %s", R.out);
}

/* Every command: --help (and "mmipc help CMD") on stdout, exit 0; an
 * unknown flag is a usage error. demo is another file's: looser checks. */
static void test_every_command(void)
{
	static const char *const cmds[] = { "create", "ls", "stat", "rm", "demo" };
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		bool mine = strcmp(cmds[i], "demo") != 0;

		snprintf(want, sizeof(want), "Usage: mmipc %s", cmds[i]);
		tool(cmds[i], "--help", NULL);
		CHECK_RUN(0, cmds[i]);
		CHECK(strstr(R.out, mine ? want : "demo"), "%s --help:\n%s",
		      cmds[i], R.out);
		CHECK(!mine || strstr(R.out, "Example"), "%s --help: no example",
		      cmds[i]);
		tool("help", cmds[i], NULL);
		CHECK(R.rc == 0 && strstr(R.out, mine ? want : "demo"),
		      "help %s: %d\n%s", cmds[i], R.rc, R.out);
		tool(cmds[i], "--bogus-flag", NULL);
		if (mine)
			check_usage(cmds[i]);
		else
			CHECK(R.rc == 2 && R.err[0] != '\0',
			      "demo --bogus-flag: exit %d", R.rc);
	}
}

static void test_usage_errors(void)
{
	tool("create", NULL);
	check_usage("create");
	tool("create", "raw", "x", NULL);
	check_usage("create without --size");
	tool("create", "raw", "x", "--size", NULL);
	check_usage("create --size without a value");
	tool("create", "raw", "x", "y", "--size", "1", NULL);
	check_usage("create with two ADDRs");
	tool("create", "blob", "x", "--size", "1", NULL);
	check_usage("create blob");
	CHECK(strstr(R.err, "unknown kind 'blob'") && strstr(R.err, "raw"),
	      "create blob: %s", R.err);
	tool("stat", NULL);
	check_usage("stat");
	tool("rm", NULL);
	check_usage("rm");
	tool("rm", "--stale", "x", NULL);
	check_usage("rm --stale x");
	tool("rm", "--dry-run", "x", NULL);
	check_usage("rm --dry-run x");
	CHECK(t_count_dir(dir) == 0, "a usage error created something");
}

static void test_bad_values(void)
{
	static const char *const sizes[] = {
		"0", "12Q", "-5", "+5", " 5", "", "1.5M", "1KB", "K",
		"99999999999T", "18446744073709551616", "16777216T",
		"16777217T", "2T", "1025G",
	};
	static const char *const modes[] = {
		"0", "999", "8", "abc", "1000", "-1", "7777", "",
	};
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(want, sizeof(want), "mmipc: --size '%s': ", sizes[i]);
		tool("create", "raw", "mmipct-x", "--size", sizes[i], NULL);
		CHECK(R.rc == 1 && strncmp(R.err, want, strlen(want)) == 0,
		      "--size '%s': exit %d, %s", sizes[i], R.rc, R.err);
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		tool("create", "raw", "mmipct-x", "-s", "1", "-m", modes[i],
		     NULL);
		CHECK(R.rc == 1 && strncmp(R.err, "mmipc: --mode ", 14) == 0,
		      "--mode '%s': exit %d, %s", modes[i], R.rc, R.err);
	}
	tool("create", "raw", "anon", "--size", "1", NULL);
	CHECK(R.rc == 1 && strncmp(R.err, "mmipc: anon: ", 13) == 0,
	      "create anon: %d %s", R.rc, R.err);
	tool("create", "raw", "memfd", "--size", "1", NULL);
	CHECK(R.rc == 1 && strncmp(R.err, "mmipc: memfd: ", 14) == 0,
	      "create memfd: %d %s", R.rc, R.err);
	tool("stat", "anon", NULL);
	CHECK(R.rc == 1 && strncmp(R.err, "mmipc: anon: ", 13) == 0,
	      "stat anon: %d %s", R.rc, R.err);
	tool("rm", "memfd", NULL);
	CHECK(R.rc == 1 && strncmp(R.err, "mmipc: memfd: ", 14) == 0,
	      "rm memfd: %d %s", R.rc, R.err);
	tool("create", "raw", "shm:../x", "--size", "1", NULL);
	check_error("shm:../x", mmipc_strerror(-MMIPC_EBADNAME));
	CHECK(t_count_dir(dir) == 0, "a bad value created something");
}

/* Sizes with suffixes give the data size they say. */
static void test_good_sizes(void)
{
	static const struct { const char *arg; uint64_t size; } sizes[] = {
		{ "1", 1 }, { "4096", 4096 }, { "1K", 1024 },
		{ "3KiB", 3072 }, { "2m", 2 << 20 }, { "1MiB", 1 << 20 },
	};
	struct mmipc_region_info info;
	char addr[128];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		t_name(addr, sizeof(addr), "size");
		tool("create", "raw", addr, "--size", sizes[i].arg, NULL);
		CHECK_RUN(0, sizes[i].arg);
		CHECK_OK(mmipc_region_stat(addr, &info));
		CHECK(info.data_size == sizes[i].size,
		      "--size %s gave %llu bytes", sizes[i].arg,
		      (unsigned long long)info.data_size);
		CHECK_OK(mmipc_region_unlink(addr, 0));
	}
}

static void test_exists(void)
{
	char addr[128];

	t_name(addr, sizeof(addr), "exists");
	tool("create", "raw", addr, "--size", "1K", NULL);
	CHECK_RUN(0, "create");
	tool("create", "raw", addr, "--size", "1K", NULL);
	check_error(addr, mmipc_strerror(-EEXIST));
	CHECK_OK(mmipc_region_unlink(addr, 0));
}

/* junk: a file of 8 KiB of random bytes, in the private directory. */
static void make_junk(const char *path)
{
	unsigned char buf[8192];
	size_t i;
	int fd;

	srand((unsigned)getpid());
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "write");
	CHECK(close(fd) == 0, "close");
}

static void test_foreign_file(void)
{
	char path[256], addr[300];
	const char *bad = mmipc_strerror(-MMIPC_EBADMAGIC);

	snprintf(path, sizeof(path), "%s/junk.bin", dir);
	snprintf(addr, sizeof(addr), "file:%s", path);
	make_junk(path);
	tool("stat", addr, NULL);
	check_error(addr, bad);
	tool("stat", path, NULL);	/* a path: the tool says file: */
	check_error(addr, bad);
	tool("rm", addr, NULL);
	CHECK(R.rc == 1 && strstr(R.err, bad) && strstr(R.err, "--force"),
	      "rm of a non-region: %d %s", R.rc, R.err);
	CHECK(access(path, F_OK) == 0, "rm without --force removed it");
	tool("rm", "--force", addr, NULL);
	CHECK_RUN(0, "rm --force");
	CHECK(access(path, F_OK) < 0 && errno == ENOENT, "rm --force left it");
}

/* rm goes on past a failing name, and then exits 1. */
static void test_rm_continues(void)
{
	char gone[128], addr[128];

	t_name(gone, sizeof(gone), "gone");
	t_name(addr, sizeof(addr), "rm");
	tool("create", "raw", addr, "--size", "1K", NULL);
	CHECK_RUN(0, "create");
	tool("rm", gone, addr, NULL);
	check_error(gone, mmipc_strerror(-ENOENT));
	CHECK(t_count_dir(dir) == 0, "rm stopped at the missing name");
}

/* ls hides files that are not regions, unless --all. */
static void test_ls_all(void)
{
	char path[256], line[1024];
	const char *bad = mmipc_strerror(-MMIPC_EBADMAGIC);

	snprintf(path, sizeof(path), "%s/" T_PREFIX "junk", dir);
	make_junk(path);
	tool("ls", NULL);
	CHECK(R.rc == 0 && strstr(R.out, "junk") == NULL, "ls shows junk:\n%s",
	      R.out);
	tool("ls", "-a", NULL);
	CHECK_RUN(0, "ls -a");
	CHECK(line_of(R.out, "shm:" T_PREFIX "junk", line, sizeof(line)) &&
	      strstr(line, bad), "ls -a:\n%s", R.out);
	tool("ls", "--json", "--all", NULL);
	CHECK_RUN(0, "ls --json --all");
	py_json(R.out,
		"assert len(d) == 1 and d[0]['error'] == sys.argv[1], d\n"
		"assert d[0]['kind'] is None and d[0]['mode'] == '0600', d\n",
		bad);
	tool("ls", T_PREFIX "junk", NULL);	/* named: an error */
	snprintf(line, sizeof(line), "mmipc: shm:" T_PREFIX "junk: %s\n", bad);
	CHECK(R.rc == 1 && strcmp(R.err, line) == 0 &&
	      strstr(R.out, "junk") == NULL, "ls junk: %d %s", R.rc, R.err);
	CHECK(unlink(path) == 0, "unlink %s", path);
}

/* A region another uid cannot read is listed with '?' and the reason. */
static void test_ls_unreadable(void)
{
	char addr[128], line[1024];

	if (!t_is_root()) {
		fprintf(stderr, "note: not root: unreadable region not tried\n");
		return;
	}
	t_name(addr, sizeof(addr), "private");
	tool("create", "raw", addr, "--size", "1K", NULL);
	CHECK_RUN(0, "create");
	CHECK(chmod(dir, 0755) == 0, "chmod: %s", strerror(errno));
	as_nobody = true;
	tool("ls", NULL);
	as_nobody = false;
	CHECK(chmod(dir, 0700) == 0, "chmod: %s", strerror(errno));
	if (R.rc == 127) {	/* the build tree is out of nobody's reach */
		fprintf(stderr, "note: nobody cannot run %s: skipped\n",
			t_tool());
		CHECK_OK(mmipc_region_unlink(addr, 0));
		return;
	}
	CHECK_RUN(0, "ls as nobody");
	CHECK(line_of(R.out, addr, line, sizeof(line)), "ls:\n%s", R.out);
	CHECK(strstr(line, " ? ") && strstr(line, " 0600 ") &&
	      strstr(line, " root ") && strstr(line, mmipc_strerror(-EACCES)),
	      "unreadable region: %s", line);
	CHECK_OK(mmipc_region_unlink(addr, 0));
}

int main(void)
{
	main_pid = getpid();
	CHECK(atexit(cleanup) == 0, "atexit");
	t_tmpdir(dir, sizeof(dir));
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");

	test_global();
	test_every_command();
	test_usage_errors();
	test_bad_values();
	test_good_sizes();
	test_exists();
	test_foreign_file();
	test_rm_continues();
	test_ls_all();
	test_ls_unreadable();

	CHECK(t_count_dir(dir) == 0, "files left in %s", dir);
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	dir[0] = '\0';
	return T_PASS;
}
