/*
 * t_region_crash - a creator killed (SIGKILL) at any moment of create
 * leaves either nothing or a complete region under the name: never a
 * half-built file that openers would see (the region is built unnamed and
 * linked in once READY). 200 seeds: a child creates regions of 8 MiB (long
 * enough to be killed in the middle) one after the other; we kill it
 * after a random delay, then every name it may have made is absent or
 * opens at once (MMIPC_F_NOWAIT) with the right size. Where we can mount
 * a private tmpfs (root, 77-free otherwise: the check of freed space is
 * then skipped), the space the killed creators reserved must all come
 * back: an unnamed file of a dead creator is freed with it.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include "region_util.h"

#define SEEDS 200
#define SIZE (8u << 20)
#define PER_CHILD 4

struct creator {
	const char *prefix;	/* t_name-like names: prefix + index */
	int ready;		/* posted before the first create */
};

static void nth_name(char *buf, size_t size, const char *prefix, int i)
{
	snprintf(buf, size, "%s-%d", prefix, i);
}

static int creator(void *p)
{
	struct creator *c = p;
	char name[256];
	int i;

	ru_post(c->ready);
	for (i = 0; i < PER_CHILD; i++) {
		mmipc_region *r = NULL;

		nth_name(name, sizeof(name), c->prefix, i);
		CHECK_RC(mmipc_region_create(&r, name, SIZE, 0, 0), 0);
		ru_fill(mmipc_region_data(r), 64, 40);
	}
	pause(); /* killed here at the latest */
	return 0;
}

static uint64_t free_bytes(const char *dir)
{
	struct statvfs sv;

	CHECK(statvfs(dir, &sv) == 0, "statvfs %s: %s", dir, strerror(errno));
	return (uint64_t)sv.f_bfree * sv.f_frsize;
}

/* The whole test, with the shm dir as it is in this process. */
static int run(bool private_fs)
{
	const char *dir = mmipc_shm_dir();
	uint64_t before = private_fs ? free_bytes(dir) : 0;
	int seed, complete = 0;

	for (seed = 0; seed < SEEDS; seed++) {
		char prefix[128], name[256];
		struct creator c;
		int ready[2], i, delay_us;
		pid_t pid;

		srand((unsigned)seed * 2654435761u);
		delay_us = rand() % 20000;
		snprintf(prefix, sizeof(prefix), "shm:%s%d-crash-%d", T_PREFIX,
			 (int)getpid(), seed);
		ru_pipe(ready);
		c.prefix = prefix;
		c.ready = ready[1];
		pid = ru_fork(creator, &c);
		close(ready[1]);
		ru_await(ready[0]);
		close(ready[0]);
		usleep((useconds_t)delay_us);
		kill(pid, SIGKILL);
		CHECK(t_wait(pid) == 128 + SIGKILL, "seed %d: creator did not "
		      "die by our SIGKILL", seed);

		for (i = 0; i < PER_CHILD; i++) {
			mmipc_region *r = NULL;
			int rc;

			nth_name(name, sizeof(name), prefix, i);
			rc = ru_try_open(name, MMIPC_KIND_RAW, MMIPC_F_NOWAIT);
			if (rc == -ENOENT)
				continue;
			CHECK(rc == 0, "seed %d (%d us): %s: %d (%s): a "
			      "half-built region", seed, delay_us, name, rc,
			      mmipc_strerror(rc));
			CHECK_RC(mmipc_region_open(&r, name, MMIPC_KIND_RAW,
						   MMIPC_F_NOWAIT), 0);
			CHECK(mmipc_region_size(r) == SIZE, "%s: size %llu",
			      name, (unsigned long long)mmipc_region_size(r));
			CHECK_RC(mmipc_region_close(r), 0);
			ru_unlink(name);
			complete++;
		}
	}
	printf("%d seeds, %d complete regions found%s\n", SEEDS, complete,
	       private_fs ? ", in a private tmpfs" : "");
	if (private_fs)
		CHECK(free_bytes(dir) == before,
		      "%llu bytes of the tmpfs not freed after the crashes",
		      (unsigned long long)(before - free_bytes(dir)));
	return T_PASS;
}

/* In a child: a private 64 MiB tmpfs for the shm dir, then re-exec. */
static int in_tmpfs(void *p)
{
	const char *dir = p;
	char *args[] = { "inner", (char *)dir, NULL };

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("mmipct", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=64m,mode=0700") < 0)
		return T_SKIP;
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	return t_wait(t_self_exec(args));
}

int main(int argc, char **argv)
{
	char dir[256];
	int rc = T_SKIP;

	if (argc == 3 && strcmp(argv[1], "inner") == 0)
		return run(true);
	if (t_is_root()) {
		t_tmpdir(dir, sizeof(dir));
		rc = t_wait(ru_fork(in_tmpfs, dir));
		t_rmtree(dir);
	}
	if (rc == T_SKIP) /* no private tmpfs: /dev/shm, no space check */
		rc = run(false);
	CHECK(rc == T_PASS, "crash test %s %d",
	      rc > 128 ? "killed by signal" : "exited",
	      rc > 128 ? rc - 128 : rc);
	return T_PASS;
}
