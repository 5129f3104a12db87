/*
 * t_cli_stale - "mmipc ls" marks a region whose creator died (kill -9) as
 * stale and "mmipc rm --stale" removes it, while it keeps a region whose
 * creator (this process) lives and a file that is no region at all.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

#include "cli_util.h"

static char dead[128], alive[128], junk[256];
static mmipc_region *alive_r;

static void cleanup(void)
{
	if (getpid() != main_pid)
		return;
	mmipc_region_close(alive_r);
	if (dir[0] != '\0')
		rm_dir(dir);
}

/* A child creates the region, says so, and blocks until killed. */
static pid_t spawn_creator(const char *addr)
{
	mmipc_region *r;
	int fds[2];
	pid_t pid;
	char c;

	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		if (mmipc_region_create(&r, addr, 4096, 0, 0) < 0)
			_exit(T_FAIL);
		if (write(fds[1], "r", 1) != 1)
			_exit(T_FAIL);
		for (;;)
			pause();
	}
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1, "creator %d failed", (int)pid);
	close(fds[0]);
	return pid;
}

static bool exists(const char *addr)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, addr + 4);
	return access(path, F_OK) == 0;
}

static void test_ls_marks(void)
{
	char line[1024];

	tool("ls", NULL);
	CHECK_RUN(0, "ls");
	CHECK(line_of(R.out, dead, line, sizeof(line)), "no %s:\n%s", dead,
	      R.out);
	CHECK(strstr(line, " no ") && strlen(line) > 6 &&
	      strcmp(line + strlen(line) - 6, " stale") == 0,
	      "dead creator, not marked stale: %s", line);
	CHECK(line_of(R.out, alive, line, sizeof(line)), "no %s:\n%s", alive,
	      R.out);
	CHECK(strstr(line, " yes ") && strstr(line, "stale") == NULL,
	      "live creator, marked stale: %s", line);
	tool("ls", "--json", NULL);
	CHECK_RUN(0, "ls --json");
	py_json(R.out,
		"s = {r['name']: (r['stale'], r['creator_alive']) for r in d}\n"
		"assert len(d) == 2, d\n"
		"assert s[sys.argv[1]] == (True, False), s\n"
		"assert [v for k, v in s.items() if k != sys.argv[1]] == "
		"[(False, True)], s\n",
		dead);
}

static void test_rm_stale(pid_t pid)
{
	char want[256];

	tool("rm", "--stale", "--dry-run", NULL);
	CHECK_RUN(0, "rm --stale --dry-run");
	snprintf(want, sizeof(want), "would remove %s (creator %d dead)\n",
		 dead, (int)pid);
	CHECK(strcmp(R.out, want) == 0, "dry run said '%s', want '%s'", R.out,
	      want);
	CHECK(exists(dead) && exists(alive), "--dry-run removed something");

	tool("rm", "--stale", NULL);
	CHECK_RUN(0, "rm --stale");
	snprintf(want, sizeof(want), "removed %s (creator %d dead)\n", dead,
		 (int)pid);
	CHECK(strcmp(R.out, want) == 0, "rm --stale said '%s', want '%s'",
	      R.out, want);
	CHECK(!exists(dead), "%s survived rm --stale", dead);
	CHECK(exists(alive), "rm --stale removed %s, whose creator lives",
	      alive);
	CHECK(access(junk, F_OK) == 0, "rm --stale removed a non-region file");

	tool("rm", "--stale", "-v", NULL);
	CHECK_RUN(0, "rm --stale again");
	snprintf(want, sizeof(want), "keeping %s (creator %d alive)\n", alive,
		 (int)getpid());
	CHECK(strcmp(R.out, want) == 0, "second rm --stale -v said '%s'",
	      R.out);
}

int main(void)
{
	pid_t pid;
	int fd;

	main_pid = getpid();
	CHECK(atexit(cleanup) == 0, "atexit");
	t_tmpdir(dir, sizeof(dir));
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	t_name(dead, sizeof(dead), "dead");
	t_name(alive, sizeof(alive), "alive");
	snprintf(junk, sizeof(junk), "%s/" T_PREFIX "junk", dir);

	pid = spawn_creator(dead);
	CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	CHECK(t_wait(pid) == 128 + SIGKILL, "creator did not die of SIGKILL");
	CHECK_OK(mmipc_region_create(&alive_r, alive, 4096, 0, 0));
	fd = open(junk, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "not a region", 12) == 12, "junk file");
	close(fd);

	test_ls_marks();
	test_rm_stale(pid);

	CHECK_OK(mmipc_region_close(alive_r));
	alive_r = NULL;
	CHECK_OK(mmipc_region_unlink(alive, 0));
	CHECK(unlink(junk) == 0, "unlink %s: %s", junk, strerror(errno));
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	dir[0] = '\0';
	return T_PASS;
}
