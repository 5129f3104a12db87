/*
 * t_cli_file - file: regions through the mmipc tool: create with a mode
 * (applied exactly, whatever the umask), "ls ADDR" lists just that region,
 * "stat --json" is valid JSON with the mode, and odd bytes in a path are
 * escaped so that a JSON reader gets the path back.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

#include "cli_util.h"

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
	CHECK(atexit(cli_cleanup) == 0, "atexit");
	t_tmpdir(dir, sizeof(dir));
	test_file_region();
	test_odd_name();
	CHECK(t_count_dir(dir) == 0, "files left in %s", dir);
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	dir[0] = '\0';
	return T_PASS;
}
