/*
 * t_region_shmdir - $MMIPC_SHM_DIR moves shm: regions: with it set (in a
 * re-executed copy of this program), mmipc_shm_dir() names it and shm:
 * regions are made, opened, stat'ed and unlinked there, not in /dev/shm;
 * set but empty, or unset, it is /dev/shm.
 */
#include "region_util.h"

#define SIZE 4096

static int inner(const char *dir)
{
	char name[256], path[512], devshm[512];
	mmipc_region *r = NULL;
	struct mmipc_region_info info;

	CHECK(strcmp(mmipc_shm_dir(), dir) == 0, "shm dir %s, want %s",
	      mmipc_shm_dir(), dir);
	t_name(name, sizeof(name), "dir");
	snprintf(path, sizeof(path), "%s/%s", dir, name + 4);
	snprintf(devshm, sizeof(devshm), "/dev/shm/%s", name + 4);
	CHECK_RC(mmipc_region_create(&r, name, SIZE, 0, 0), 0);
	CHECK(ru_exists(path), "%s not made", path);
	CHECK(strcmp(dir, "/dev/shm") == 0 || !ru_exists(devshm),
	      "%s made in /dev/shm", devshm);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_open(&r, name, MMIPC_KIND_RAW, 0), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_stat(name, &info), 0);
	CHECK(info.backend == MMIPC_BACKEND_SHM, "backend %u", info.backend);
	CHECK_RC(mmipc_region_unlink(name, 0), 0);
	CHECK(!ru_exists(path), "%s still there", path);
	return T_PASS;
}

static int with_env(const char *value, const char *arg)
{
	char *args[] = { "inner", (char *)arg, NULL };
	int rc;

	if (value != NULL)
		CHECK(setenv("MMIPC_SHM_DIR", value, 1) == 0, "setenv");
	else
		unsetenv("MMIPC_SHM_DIR");
	rc = t_wait(t_self_exec(args));
	unsetenv("MMIPC_SHM_DIR");
	return rc;
}

int main(int argc, char **argv)
{
	char dir[256];

	if (argc == 3 && strcmp(argv[1], "inner") == 0)
		return inner(argv[2]);
	t_tmpdir(dir, sizeof(dir));
	CHECK(with_env(dir, dir) == 0, "MMIPC_SHM_DIR=%s", dir);
	CHECK(with_env("", "/dev/shm") == 0, "MMIPC_SHM_DIR empty");
	CHECK(with_env(NULL, "/dev/shm") == 0, "MMIPC_SHM_DIR unset");
	CHECK(t_count_dir(dir) == 0, "%s not empty", dir);
	t_rmtree(dir);
	return T_PASS;
}
