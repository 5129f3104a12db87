/*
 * t_ring_stream - 10,000,000 messages of random sizes (0..64 bytes 90% of
 * the time, up to 512 9%, up to 4 KiB 1%) between two unrelated processes
 * (both exec'd, the producer started first) through a 64 KiB ring, with
 * send/recv and a quarter of the sends batched with MMIPC_RING_MORE (and a
 * flush every 4096): every message arrives once, in order, intact (the
 * consumer regenerates each one's length and content from its sequence
 * number), then end-of-stream. The counters of mmipc_ring_stats() agree.
 */
#include "ring_util.h"

#define CAPACITY (64 * 1024)

/* 10 M takes about a second, under ASan too: no scaling down needed */
#define COUNT 10000000ull

int main(int argc, char **argv)
{
	struct rg_stream s = { 0 };
	struct rg_argv pa, ca;
	struct mmipc_ring_stats st;
	mmipc_region *r = NULL;
	char addr[128];
	uint64_t i, bytes = 0;
	int64_t t0;
	pid_t prod, cons, pids[2];

	if (argc > 1)
		return rg_end_main(argc, argv);
	rg_init(115);

	s.n = COUNT;
	s.seed = (uint32_t)getpid();
	s.more = true;
	s.max = 4096;
	s.timeout_ms = -1;
	s.expect_eof = true;
	printf("%llu messages, seed %u\n", (unsigned long long)s.n, s.seed);

	rg_name(addr, sizeof(addr), "stream");
	CHECK_RC(mmipc_ring_create(&r, addr, CAPACITY, 0, 0), 0);

	t0 = ru_now_ns();
	prod = rg_exec(rg_args(&pa, "prod", addr, &s));
	cons = rg_exec(rg_args(&ca, "cons", addr, &s));
	pids[0] = prod;
	pids[1] = cons;
	rg_wait_all(pids, 2, -1, "stream");
	printf("total %.0f ms\n", (double)(ru_now_ns() - t0) / 1e6);

	for (i = 0; i < s.n; i++)
		bytes += rg_len(s.seed, i, s.max);
	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	CHECK(st.msgs_sent == s.n && st.msgs_recv == s.n,
	      "stats: %llu sent, %llu received, want %llu",
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.msgs_recv, (unsigned long long)s.n);
	CHECK(st.bytes_sent == bytes && st.bytes_recv == bytes,
	      "stats: %llu bytes sent, %llu received, want %llu",
	      (unsigned long long)st.bytes_sent,
	      (unsigned long long)st.bytes_recv, (unsigned long long)bytes);
	CHECK(st.used == 0, "stats: %llu bytes used after all was read",
	      (unsigned long long)st.used);
	CHECK(st.producer == MMIPC_END_CLOSED &&
		      st.consumer == MMIPC_END_CLOSED,
	      "ends: producer %s, consumer %s", rg_end_name(st.producer),
	      rg_end_name(st.consumer));
	CHECK(st.broken == 0, "broken");

	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	return T_PASS;
}
