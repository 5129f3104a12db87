/*
 * t_cli_basic - the life of a region through the mmipc tool: create raw,
 * ls (table and --json), stat (text and --json), rm; afterwards ls no
 * longer shows it and stat fails with "mmipc: ADDR: reason". Once in the
 * real shm directory (a bare NAME), then in a private $MMIPC_SHM_DIR.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

#include "cli_util.h"

static char real_addr[128];	/* the region in the real shm dir */

static void cleanup(void)
{
	if (getpid() != main_pid)
		return;
	if (real_addr[0] != '\0')
		mmipc_region_unlink(real_addr, MMIPC_F_FORCE);
	if (dir[0] != '\0')
		rm_dir(dir);
}

/* In the real shm directory (the default): a region made by the tool
 * under a bare name shows in ls as shm:NAME, and rm removes it. */
static void test_real_shm_dir(void)
{
	char line[1024];
	const char *name;

	t_name(real_addr, sizeof(real_addr), "basic");
	name = real_addr + 4;		/* bare NAME: the tool adds "shm:" */
	tool("create", "raw", name, "--size", "64K", NULL);
	CHECK_RUN(0, "create raw NAME");
	CHECK(R.out[0] == '\0' && R.err[0] == '\0',
	      "create printed something: %s%s", R.out, R.err);
	tool("ls", NULL);
	CHECK_RUN(0, "ls");
	CHECK(line_of(R.out, real_addr, line, sizeof(line)) != NULL,
	      "ls does not list %s:\n%s", real_addr, R.out);
	CHECK(strstr(line, " raw ") && strstr(line, " 64.0K "),
	      "bad ls line: %s", line);
	tool("rm", real_addr, NULL);
	CHECK_RUN(0, "rm");
	tool("ls", NULL);
	CHECK(line_of(R.out, real_addr, line, sizeof(line)) == NULL,
	      "ls still lists %s after rm:\n%s", real_addr, R.out);
	real_addr[0] = '\0';
}

static void test_empty(void)
{
	tool("ls", NULL);
	CHECK_RUN(0, "ls (empty)");
	CHECK(strncmp(R.out, "NAME ", 5) == 0 && strchr(R.out, '\n') ==
	      R.out + strlen(R.out) - 1, "ls of nothing is not one header line:\n%s",
	      R.out);
	tool("ls", "--json", NULL);
	CHECK_RUN(0, "ls --json (empty)");
	CHECK(strcmp(R.out, "[]\n") == 0, "ls --json of nothing: %s", R.out);
}

static void test_ls(const char *addr)
{
	char line[1024];

	tool("ls", NULL);
	CHECK_RUN(0, "ls");
	CHECK(line_of(R.out, addr, line, sizeof(line)) != NULL,
	      "ls does not list %s:\n%s", addr, R.out);
	CHECK(strstr(line, " raw ") && strstr(line, " 1.0M ") &&
	      strstr(line, " 0600 ") && strstr(line, " ready"),
	      "bad ls line: %s", line);
	tool("ls", "--json", NULL);
	CHECK_RUN(0, "ls --json");
	py_json(R.out,
		"assert isinstance(d, list) and len(d) == 1, d\n"
		"r = d[0]\n"
		"assert r['name'] == sys.argv[1], r\n"
		"assert r['kind'] == 'raw' and r['backend'] == 'shm', r\n"
		"assert r['data_size'] == 1048576, r\n"
		"assert r['total_size'] > r['data_size'], r\n"
		"assert r['mode'] == '0600' and r['state'] == 'ready', r\n"
		"assert r['creator_pid'] > 0 and r['age_s'] >= 0, r\n"
		"assert isinstance(r['stale'], bool) and r['error'] is None, r\n"
		"assert r['creator_alive'] in (True, False, None), r\n",
		addr);
}

static void test_stat(const char *addr)
{
	static const char *const want[] = {
		"kind: raw\n", "backend: shm\n", "state: ready\n",
		"data_size: 1048576 (1.0M)\n", "mode: 0600\n", "version: ",
		"creator_pid: ", "created: ", "owner_uid: ",
	};
	char name[160];
	size_t i;

	tool("stat", addr + 4, NULL);
	CHECK_RUN(0, "stat");
	snprintf(name, sizeof(name), "name: %s\n", addr);
	CHECK(strstr(R.out, name), "stat lacks '%s':\n%s", name, R.out);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(strstr(R.out, want[i]), "stat lacks '%s':\n%s", want[i],
		      R.out);
	tool("stat", "--json", addr, NULL);
	CHECK_RUN(0, "stat --json");
	py_json(R.out,
		"assert d['name'] == sys.argv[1] and d['kind'] == 'raw', d\n"
		"assert d['data_size'] == 1048576 and d['data_off'] > 0, d\n"
		"assert d['file_size'] == d['total_size'], d\n"
		"assert len(d['params']) == 4 and d['version'] >= 1, d\n",
		addr);
}

/* rm removes the file; afterwards ls does not list it and stat fails. */
static void test_rm(const char *addr)
{
	char path[256], line[1024], msg[256];

	tool("rm", addr, NULL);
	CHECK_RUN(0, "rm");
	CHECK(R.out[0] == '\0', "rm printed: %s", R.out);
	snprintf(path, sizeof(path), "%s/%s", dir, addr + 4);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT, "%s still exists",
	      path);
	tool("ls", NULL);
	CHECK(line_of(R.out, addr, line, sizeof(line)) == NULL,
	      "ls lists %s after rm:\n%s", addr, R.out);
	tool("stat", addr, NULL);
	CHECK_RUN(1, "stat after rm");
	snprintf(msg, sizeof(msg), "mmipc: %s: %s\n", addr,
		 mmipc_strerror(-ENOENT));
	CHECK(strcmp(R.err, msg) == 0 && R.out[0] == '\0',
	      "stat after rm: stderr '%s', want '%s'", R.err, msg);
}

/* ls sorts by name, whatever the order of creation and of readdir() (eight
 * names: readdir order is sorted by chance 1 time in 40320); create -v says
 * what it made. */
static void test_sorted(void)
{
	static const int order[8] = { 5, 2, 7, 0, 3, 6, 1, 4 };
	char names[8][128], tag[16], want[256];
	const char *prev = R.out, *p;
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(tag, sizeof(tag), "sort%d", order[i]);
		t_name(names[order[i]], sizeof(names[0]), tag);
	}
	for (i = 0; i < 8; i++) {
		tool("create", "-v", "raw", names[order[i]], "--size", "1",
		     NULL);
		CHECK_RUN(0, "create -v");
		snprintf(want, sizeof(want), "created %s (raw, 1, mode 0600)\n",
			 names[order[i]]);
		CHECK(strcmp(R.out, want) == 0, "create -v said '%s'", R.out);
	}
	tool("ls", NULL);
	CHECK_RUN(0, "ls");
	for (i = 0; i < 8; i++) {
		p = strstr(R.out, names[i]);
		CHECK(p != NULL && p > prev, "ls not sorted:\n%s", R.out);
		prev = p;
	}
	for (i = 0; i < 8; i++) {
		tool("rm", names[i], NULL);
		CHECK_RUN(0, "rm");
	}
}

int main(void)
{
	char addr[128];

	main_pid = getpid();
	CHECK(atexit(cleanup) == 0, "atexit");
	test_real_shm_dir();

	/* The rest in a private shm dir, where ls sees only our regions. */
	t_tmpdir(dir, sizeof(dir));
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	test_empty();
	t_name(addr, sizeof(addr), "basic");
	tool("create", "raw", addr, "--size", "1M", NULL);
	CHECK_RUN(0, "create raw --size 1M");
	test_ls(addr);
	test_stat(addr);
	test_rm(addr);
	test_sorted();
	CHECK(t_count_dir(dir) == 0, "files left in %s", dir);
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	dir[0] = '\0';
	return T_PASS;
}
