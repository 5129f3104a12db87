/*
 * threads_stream - the copying path (mmipc_ring_send/mmipc_ring_recv)
 * between a producer thread and a consumer thread of one process, in
 * every wait mode: adaptive, pure spin (no wake-up at all), and sleep
 * with hand-offs (one side waits until the other sleeps on the futex, so
 * the next publication must wake it); with and without MMIPC_RING_MORE
 * batching and flush; on a 64 KiB ring and on the smallest (4 KiB), where
 * the records wrap every few dozen messages. Each stream runs for a time
 * budget (and at least 2000 messages); every message is checked (length,
 * content, order, exactly once), then end-of-stream and the counters.
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
	{ "send/recv adaptive", 65536, 0, 0, 0, A, A, 0, 0, 2000, ~0ull, 250 },
	{ "send/recv MORE adaptive", 65536, 0, 0, 1, A, A, 0, 0, 2000, ~0ull,
	  250 },
	{ "send/recv spin", 65536, 0, 0, 0, S, S, 0, 0, 2000, ~0ull, 250 },
	{ "send/recv MORE spin 4K", 4096, 0, 0, 1, S, S, 0, 0, 2000, ~0ull,
	  250 },
	{ "send/recv sleep, cons sleeps", 65536, 0, 0, 0, Z, Z, P, 256, 2000,
	  ~0ull, 250 },
	{ "send/recv sleep, prod sleeps", 4096, 0, 0, 0, Z, Z, C, 256, 2000,
	  ~0ull, 250 },
	{ "send/recv adapt, cons sleeps", 65536, 0, 0, 1, A, A, P, 256, 2000,
	  ~0ull, 250 },
	{ "send/recv adapt, prod sleeps", 4096, 0, 0, 1, A, A, C, 256, 2000,
	  ~0ull, 250 },
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
	printf("threads_stream: %zu streams, %llu messages checked, %llu "
	       "wake-ups\n",
	       i, (unsigned long long)msgs, (unsigned long long)wakes);
	return T_PASS;
}
