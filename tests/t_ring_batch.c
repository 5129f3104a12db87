/*
 * t_ring_batch - the consumer's batch path: mmipc_ring_peek_batch() takes
 * everything available (PAD records at the wrap skipped inside a batch),
 * mmipc_ring_release_batch() releases the first n of them at once and
 * leaves the rest to be peeked again. A producer in a forked child sends
 * messages of random sizes (some large, so that the ring wraps often) in
 * bursts published once (MMIPC_RING_MORE); the consumer checks every one:
 * in order, none lost or repeated, content intact, counters right.
 */
#include "helpers.h"

#define N	 300000
#define CAP	 16384
#define MAX_BATCH 64

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Message i: 8 bytes of i, then bytes derived from i; size from i too. */
static size_t msg_size(uint64_t i)
{
	uint64_t s = i * 0x9e3779b97f4a7c15ull + 1;
	uint64_t r = rnd(&s);

	return 8 + (r % 16 == 0 ? r % 3000 : r % 120);
}

static void fill(unsigned char *p, uint64_t i, size_t n)
{
	size_t k;

	memcpy(p, &i, 8);
	for (k = 8; k < n; k++)
		p[k] = (unsigned char)(i * 31 + k);
}

static void check(const unsigned char *p, size_t len, uint64_t i)
{
	uint64_t got;
	size_t k;

	CHECK(len == msg_size(i), "message %llu: %zu bytes, want %zu",
	      (unsigned long long)i, len, msg_size(i));
	memcpy(&got, p, 8);
	CHECK(got == i, "message %llu: got %llu", (unsigned long long)i,
	      (unsigned long long)got);
	for (k = 8; k < len; k++)
		CHECK(p[k] == (unsigned char)(i * 31 + k),
		      "message %llu: byte %zu corrupt", (unsigned long long)i, k);
}

static void producer(mmipc_region *r)
{
	static unsigned char buf[4096];
	mmipc_ring *tx;
	uint64_t i, s = 42;

	CHECK_RC(mmipc_ring_attach(&tx, r, MMIPC_ROLE_PRODUCER, 0), 0);
	for (i = 0; i < N; i++) {
		size_t n = msg_size(i);
		unsigned more = (rnd(&s) % 8 != 0) ? MMIPC_RING_MORE : 0;

		fill(buf, i, n);
		CHECK_RC(mmipc_ring_send(tx, buf, n, more, 10000), 0);
	}
	CHECK_RC(mmipc_ring_close(tx), 0);
}

int main(void)
{
	struct mmipc_ring_msg v[MAX_BATCH];
	struct mmipc_ring_stats st;
	mmipc_region *r;
	mmipc_ring *rx;
	uint64_t next = 0, s = 7, batches = 0, partial = 0;
	pid_t pid;
	int n, k, rc;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&rx, r, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_release_batch(rx, 1), -EINVAL); /* nothing peeked */
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		producer(r);
		_exit(0);
	}
	for (;;) {
		int max = 1 + (int)(rnd(&s) % MAX_BATCH);

		rc = mmipc_ring_peek_batch(rx, v, max, 10000);
		if (rc == 0)
			break;
		CHECK(rc > 0 && rc <= max, "peek_batch: %d (%s)", rc,
		      mmipc_strerror(rc));
		n = rc;
		for (k = 0; k < n; k++)
			check(v[k].data, v[k].len, next + (uint64_t)k);
		CHECK_RC(mmipc_ring_release_batch(rx, n + 1), -EINVAL);
		/* now and then release only part: the rest must come again */
		k = (n > 1 && rnd(&s) % 4 == 0) ? 1 + (int)(rnd(&s) % (uint64_t)(n - 1))
						 : n;
		partial += k < n;
		CHECK_RC(mmipc_ring_release_batch(rx, k), 0);
		next += (uint64_t)k;
		batches++;
	}
	CHECK(next == N, "received %llu of %d", (unsigned long long)next, N);
	CHECK(t_wait(pid) == 0, "producer failed");
	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	CHECK(st.msgs_recv == N && st.msgs_sent == N && st.used == 0,
	      "stats: sent %llu recv %llu used %llu",
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.msgs_recv, (unsigned long long)st.used);
	CHECK(st.bytes_recv == st.bytes_sent, "bytes %llu vs %llu",
	      (unsigned long long)st.bytes_recv,
	      (unsigned long long)st.bytes_sent);
	CHECK(batches < N, "every batch held one message: nothing batched");
	printf("%d messages in %llu batches (%llu released in part)\n", N,
	       (unsigned long long)batches, (unsigned long long)partial);
	CHECK_RC(mmipc_ring_close(rx), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}
