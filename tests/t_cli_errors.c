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

#include "cli_util.h"

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
	CHECK(atexit(cli_cleanup) == 0, "atexit");
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
