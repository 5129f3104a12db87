/*
 * t_region_fork - a region created before fork() is shared with the child,
 * for every backend: the child sees what the parent wrote before the fork
 * and after it, and the parent sees what the child wrote.
 *
 * Data area: [0, Q) parent before fork, [Q, 2Q) parent after fork,
 * [2Q, 3Q) child.
 */
#include "region_util.h"

#define Q (12 * 1024 + 100)
#define SIZE (3 * Q)

struct child_arg {
	mmipc_region *r;
	int go;		/* read end: the parent wrote its post-fork part */
	int go_w;	/* the parent's end, closed in the child */
	uint32_t seed;
};

static int child(void *p)
{
	struct child_arg *a = p;
	uint8_t *d = mmipc_region_data(a->r);

	close(a->go_w);
	CHECK(mmipc_region_size(a->r) == SIZE, "child: size %llu",
	      (unsigned long long)mmipc_region_size(a->r));
	CHECK_PATTERN(d, Q, a->seed);
	ru_fill(d + 2 * Q, Q, a->seed + 2);
	ru_await(a->go);
	CHECK_PATTERN(d + Q, Q, a->seed + 1);
	CHECK_RC(mmipc_region_close(a->r), 0);
	return 0;
}

int main(void)
{
	char dir[256];
	unsigned i;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < RU_NBACKENDS; i++) {
		const struct ru_backend *b = &ru_backends[i];
		char buf[512];
		const char *addr = ru_addr(buf, sizeof(buf), b, "fork", dir);
		struct child_arg a = { NULL, -1, -1, 100 * (i + 1) };
		mmipc_region *r = NULL;
		uint8_t *d;
		int go[2];
		pid_t pid;

		CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
		d = mmipc_region_data(r);
		ru_fill(d, Q, a.seed);
		ru_pipe(go);
		a.r = r;
		a.go = go[0];
		a.go_w = go[1];
		pid = ru_fork(child, &a);
		close(go[0]);
		ru_fill(d + Q, Q, a.seed + 1);
		ru_post(go[1]);
		close(go[1]);
		RU_WAIT_OK(pid, b->label);
		CHECK_PATTERN(d + 2 * Q, Q, a.seed + 2);
		CHECK_PATTERN(d, Q, a.seed);
		CHECK_RC(mmipc_region_close(r), 0);
		if (b->named)
			ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
