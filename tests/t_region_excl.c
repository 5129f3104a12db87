/*
 * t_region_excl - create is exclusive: a second create of a name that
 * exists fails with -EEXIST and leaves the first region untouched; and of
 * several processes racing to create one name, exactly one wins, every
 * round. A loser sees a region that is already complete: it opens it with
 * MMIPC_F_NOWAIT (no waiting for READY), since a named region appears only
 * once it is READY.
 */
#include "region_util.h"

#define SIZE (8 * 1024)
#define ROUNDS 50
#define RACERS 4

enum { WON = 10, LOST = 11 };

struct racer {
	const char *addr;
	int go;		/* read end of the start gate */
};

static int racer(void *p)
{
	struct racer *a = p;
	mmipc_region *r = NULL;
	int rc;

	ru_await(a->go);
	rc = mmipc_region_create(&r, a->addr, SIZE, 0, 0);
	if (rc == 0) {
		*(volatile int32_t *)mmipc_region_data(r) = (int32_t)getpid();
		CHECK_RC(mmipc_region_close(r), 0);
		return WON;
	}
	CHECK_RC(rc, -EEXIST);
	/* the winner linked the name in only once READY */
	CHECK_RC(mmipc_region_open(&r, a->addr, MMIPC_KIND_RAW,
				   MMIPC_F_NOWAIT), 0);
	CHECK(mmipc_region_size(r) == SIZE, "loser: size %llu",
	      (unsigned long long)mmipc_region_size(r));
	CHECK_RC(mmipc_region_close(r), 0);
	return LOST;
}

static void race(const char *addr)
{
	struct racer a = { addr, -1 };
	pid_t pids[RACERS], winner = 0;
	mmipc_region *r = NULL;
	int gate[2], i, won = 0;

	ru_pipe(gate);
	a.go = gate[0];
	for (i = 0; i < RACERS; i++)
		pids[i] = ru_fork(racer, &a);
	close(gate[0]);
	for (i = 0; i < RACERS; i++)
		ru_post(gate[1]);
	close(gate[1]);
	for (i = 0; i < RACERS; i++) {
		int st = t_wait(pids[i]);

		CHECK(st == WON || st == LOST, "%s: racer exit %d", addr, st);
		if (st == WON) {
			won++;
			winner = pids[i];
		}
	}
	CHECK(won == 1, "%s: %d winners of %d racers", addr, won, RACERS);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	CHECK(*(int32_t *)mmipc_region_data(r) == (int32_t)winner,
	      "%s: data says pid %d, winner %d", addr,
	      (int)*(int32_t *)mmipc_region_data(r), (int)winner);
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(addr);
}

int main(void)
{
	char dir[256];
	unsigned i;
	int round;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		char buf[512], path[512];
		const char *addr = ru_addr(buf, sizeof(buf), b, "excl", dir);
		mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
		struct mmipc_region_info info;

		ru_make(addr, SIZE, 5);
		ru_path(path, sizeof(path), addr);
		CHECK_RC(mmipc_region_create(&keep, addr, SIZE, 0, 0), -EEXIST);
		CHECK_RC(mmipc_region_create(&keep, addr, 2 * SIZE, 0666, 0),
			 -EEXIST);
		CHECK(keep == (mmipc_region *)&keep, "failed create set *out");
		CHECK(ru_file_size(path) == MMIPC_HDR_SIZE + SIZE,
		      "%s: size changed to %llu", addr,
		      (unsigned long long)ru_file_size(path));
		CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
		CHECK_RC(mmipc_region_info(r, &info), 0);
		CHECK(info.mode == 0600, "%s: mode now %o", addr, info.mode);
		CHECK(info.data_size == SIZE, "%s: data_size now %llu", addr,
		      (unsigned long long)info.data_size);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 5);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(addr);

		for (round = 0; round < ROUNDS; round++)
			race(ru_addr(buf, sizeof(buf), b, "race", dir));
	}
	t_rmtree(dir);
	return T_PASS;
}
