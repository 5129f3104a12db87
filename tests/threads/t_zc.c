/*
 * threads_zc - the zero-copy paths between a producer thread and a
 * consumer thread of one process: mmipc_ring_reserve/_commit (sometimes
 * reserving more than is committed) against mmipc_ring_peek/_release and
 * against mmipc_ring_peek_batch/_release_batch (every fifth batch only
 * half released, the rest peeked again), with and without
 * MMIPC_RING_MORE, in every wait mode (sleep with hand-offs, so the
 * futex wake-up is taken), on 64 KiB and 4 KiB rings. Every message is
 * checked in place (length, content, order, exactly once), then
 * end-of-stream and the counters.
 */
#include "thr_util.h"

#define A MMIPC_WAIT_ADAPTIVE
#define S MMIPC_WAIT_SPIN
#define Z MMIPC_WAIT_SLEEP
#define P THR_HANDOFF_PROD
#define C THR_HANDOFF_CONS

/* name, cap, zc, batch, more, prod wait, cons wait, hand-off, every,
 * min, max, budget ms */
static const struct thr_cfg cfgs[] = {
	{ "reserve/peek adaptive", 65536, 1, 0, 0, A, A, 0, 0, 2000, ~0ull,
	  250 },
	{ "reserve/peek spin 4K", 4096, 1, 0, 1, S, S, 0, 0, 2000, ~0ull,
	  250 },
	{ "reserve/peek sleep, cons sleeps", 65536, 1, 0, 0, Z, Z, P, 256,
	  2000, ~0ull, 250 },
	{ "reserve/peek sleep, prod sleeps", 4096, 1, 0, 1, Z, Z, C, 256,
	  2000, ~0ull, 250 },
	{ "reserve/batch adaptive", 65536, 1, 1, 1, A, A, 0, 0, 2000, ~0ull,
	  250 },
	{ "reserve/batch spin", 65536, 1, 1, 0, S, S, 0, 0, 2000, ~0ull, 250 },
	{ "send/batch sleep, cons sleeps 4K", 4096, 0, 1, 1, Z, Z, P, 256,
	  2000, ~0ull, 250 },
	{ "reserve/batch adapt, prod sleeps", 4096, 1, 1, 0, A, A, C, 256,
	  2000, ~0ull, 250 },
};

int main(void)
{
	uint32_t seed = thr_seed();
	struct thr_result res;
	uint64_t msgs = 0, wakes = 0;
	size_t i;

	rg_init(110);
	printf("seed %u (MMIPC_SEED=%u repeats this run)\n", seed, seed);
	for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		thr_stream(&cfgs[i], seed + (uint32_t)i, &res);
		msgs += res.msgs;
		wakes += res.wakes;
	}
	printf("threads_zc: %zu streams, %llu messages checked, %llu "
	       "wake-ups\n",
	       i, (unsigned long long)msgs, (unsigned long long)wakes);
	return T_PASS;
}
