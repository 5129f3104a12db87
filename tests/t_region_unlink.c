/*
 * t_region_unlink - mmipc_region_unlink() removes the name only: every
 * process that has the region mapped keeps using it (and sees the others'
 * writes), a new create of the same name makes a new, separate region,
 * and a second unlink is -ENOENT. It refuses files that are not regions
 * (-MMIPC_EBADMAGIC) unless MMIPC_F_FORCE, and anon/memfd (-EINVAL).
 * For shm: and file:.
 */
#include "region_util.h"

#define SIZE (16 * 1024)

struct user {
	const char *addr;
	int ready, go;	/* pipes: we post, we wait */
	int others[2];	/* the parent's ends, closed here */
};

/* Opens the region, then (after the parent unlinked it) keeps writing. */
static int user(void *p)
{
	struct user *u = p;
	mmipc_region *r = NULL;
	uint8_t *d;

	close(u->others[0]);
	close(u->others[1]);
	CHECK_RC(mmipc_region_open(&r, u->addr, MMIPC_KIND_RAW, 0), 0);
	ru_post(u->ready);
	ru_await(u->go);
	d = mmipc_region_data(r);
	CHECK_PATTERN(d, SIZE / 2, 29);
	ru_fill(d + SIZE / 2, SIZE / 2, 30);
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

int main(void)
{
	char dir[256], buf[512], path[512];
	unsigned i;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const char *addr = ru_addr(buf, sizeof(buf), &ru_backends[i],
					   "unl", dir);
		mmipc_region *r = NULL, *r2 = NULL;
		int ready[2], go[2];
		struct user u;
		pid_t pid;

		ru_path(path, sizeof(path), addr);
		CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
		ru_pipe(ready);
		ru_pipe(go);
		u.addr = addr;
		u.ready = ready[1];
		u.go = go[0];
		u.others[0] = ready[0];
		u.others[1] = go[1];
		pid = ru_fork(user, &u);
		close(ready[1]);
		close(go[0]);
		ru_await(ready[0]);

		CHECK_RC(mmipc_region_unlink(addr, 0), 0);
		CHECK(!ru_exists(path), "%s still there", path);
		CHECK_RC(mmipc_region_unlink(addr, 0), -ENOENT);
		CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), -ENOENT);
		ru_fill(mmipc_region_data(r), SIZE / 2, 29);
		ru_post(go[1]);
		RU_WAIT_OK(pid, "user");
		CHECK_PATTERN((uint8_t *)mmipc_region_data(r) + SIZE / 2,
			      SIZE / 2, 30);

		/* the name again: a new region, not the old memory */
		CHECK_RC(mmipc_region_create(&r2, addr, SIZE, 0, 0), 0);
		{
			const uint8_t *n = mmipc_region_data(r2);
			size_t k;

			for (k = 0; k < SIZE; k++)
				CHECK(n[k] == 0, "%s: new region byte %zu is "
				      "%#x, not zero", addr, k, n[k]);
		}
		ru_fill(mmipc_region_data(r2), SIZE, 31);
		CHECK_PATTERN(mmipc_region_data(r), SIZE / 2, 29);
		CHECK_RC(mmipc_region_close(r2), 0);
		CHECK_RC(mmipc_region_close(r), 0);
		CHECK_RC(mmipc_region_unlink(addr, 0), 0);

		/* not a region: kept unless forced */
		ru_write_file(path, "not a region", 12, 0600);
		CHECK_RC(mmipc_region_unlink(addr, 0), -MMIPC_EBADMAGIC);
		CHECK(ru_exists(path), "%s removed without FORCE", path);
		CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
		CHECK(!ru_exists(path), "%s not removed with FORCE", path);
		ru_write_file(path, NULL, 0, 0600);
		CHECK_RC(mmipc_region_unlink(addr, 0), -MMIPC_EBADMAGIC);
		CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
		close(ready[0]);
		close(go[1]);
	}
	CHECK_RC(mmipc_region_unlink("anon", 0), -EINVAL);
	CHECK_RC(mmipc_region_unlink("memfd", MMIPC_F_FORCE), -EINVAL);
	t_rmtree(dir);
	return T_PASS;
}
