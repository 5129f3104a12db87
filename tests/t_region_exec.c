/*
 * t_region_exec - an unrelated process (this program re-executed, sharing
 * no mapping with us) opens a named region by its address, sees the data
 * we wrote and the header we made, and writes its answer, which we read.
 * For shm:, file: and a bare path.
 *
 * Data area: first half ours, second half the child's.
 */
#include "region_util.h"

#define SIZE (40 * 1024)
#define HALF (SIZE / 2)

static int child_main(char **argv)
{
	const char *addr = argv[2];
	int32_t parent = (int32_t)atoi(argv[3]);
	uint32_t seed = (uint32_t)atoi(argv[4]);
	struct mmipc_region_info info;
	mmipc_region *r = NULL;
	uint8_t *d;

	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	CHECK(mmipc_region_size(r) == SIZE, "child: size %llu",
	      (unsigned long long)mmipc_region_size(r));
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.creator_pid == parent && info.creator_pid != getpid(),
	      "child: creator_pid %d, parent %d", (int)info.creator_pid,
	      (int)parent);
	CHECK(info.creator_alive == 1, "child: creator_alive %d",
	      (int)info.creator_alive);
	CHECK(info.state == MMIPC_STATE_READY, "child: state %#x", info.state);
	d = mmipc_region_data(r);
	CHECK_PATTERN(d, HALF, seed);
	ru_fill(d + HALF, HALF, seed + 1);
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}

int main(int argc, char **argv)
{
	static const int which[] = { 0, 1, 2 }; /* shm, file, path */
	char dir[256];
	unsigned i;

	if (argc == 5 && strcmp(argv[1], "child") == 0)
		return child_main(argv);
	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		const struct ru_backend *b = &ru_backends[which[i]];
		char buf[512], pid_s[16], seed_s[16];
		const char *addr = ru_addr(buf, sizeof(buf), b, "exec", dir);
		uint32_t seed = 7 + i;
		char *args[] = { "child", (char *)addr, pid_s, seed_s, NULL };
		mmipc_region *r = NULL;
		uint8_t *d;

		CHECK(b->named, "table");
		CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
		d = mmipc_region_data(r);
		ru_fill(d, HALF, seed);
		snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
		snprintf(seed_s, sizeof(seed_s), "%u", seed);
		RU_WAIT_OK(t_self_exec(args), addr);
		CHECK_PATTERN(d + HALF, HALF, seed + 1);
		CHECK_PATTERN(d, HALF, seed);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
