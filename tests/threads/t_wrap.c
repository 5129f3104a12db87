/*
 * threads_wrap - every message size on the smallest ring (4 KiB), between
 * a producer thread and a consumer thread: sizes 0..max (max =
 * mmipc_ring_max_msg(), 4088) going up, then down, then in a scrambled
 * order, so that records land at every offset, wrap behind PAD records
 * constantly, and the large ones need the ring (almost) empty: each side
 * waits for the other all the time. Each pass uses another wait mode on
 * both ends (adaptive, sleep, spin). The producer alternates send and
 * reserve/commit (reserving up to 64 bytes more than it commits, and
 * holding some back with MMIPC_RING_MORE); the consumer alternates recv
 * (first with a buffer one byte short: -EMSGSIZE, the message stays),
 * peek/release and peek_batch/release_batch. Checked: every message's
 * length, content and order; a zero-copy pointer is 8-byte aligned and
 * the whole message lies inside the ring (records never split at the
 * wrap) and wraps are seen; end-of-stream; the counters.
 */
#include "thr_util.h"

#define CAP    4096u
#define PASSES 3

static const int modes[PASSES] = { MMIPC_WAIT_ADAPTIVE, MMIPC_WAIT_SLEEP,
				   MMIPC_WAIT_SPIN };

struct wrap {
	mmipc_region *r;
	uint32_t seed;
	size_t max;		/* max message */
	uint64_t n;		/* messages: PASSES * (max + 1) */
	uint64_t wraps;		/* consumer: messages found at a lower
				 * offset than the previous one */
};

/* The length of message @i: pass 0 up, pass 1 down, pass 2 scrambled (a
 * bijection of 0..max: multiplication by an odd number mod 4096, values
 * over max skipped by folding into the low end). */
static size_t len_of(const struct wrap *w, uint64_t i)
{
	uint64_t per = w->max + 1, k = i % per;

	switch (i / per) {
	case 0:
		return (size_t)k;
	case 1:
		return (size_t)(w->max - k);
	default:
		k = (k * 2654435761u) % per;
		return (size_t)k;
	}
}

static void set_mode(mmipc_ring *ring, const struct wrap *w, uint64_t i)
{
	if (i % (w->max + 1) == 0)
		CHECK_RC(mmipc_ring_set_wait(ring, modes[i / (w->max + 1)], 0),
			 0);
}

static void send_msg(mmipc_ring *ring, const struct wrap *w, uint64_t i,
		     void *tmp)
{
	size_t len = len_of(w, i), extra = i % 65;
	unsigned flags = i % 3 == 0 ? MMIPC_RING_MORE : 0;
	void *p = NULL;

	if (i & 1) {
		rg_fill(tmp, len, w->seed, i);
		CHECK_RC(mmipc_ring_send(ring, tmp, len, flags, THR_CALL_MS),
			 0);
		return;
	}
	if (len + extra > w->max)
		extra = 0;
	CHECK_RC(mmipc_ring_reserve(ring, len + extra, &p, THR_CALL_MS), 0);
	rg_fill(p, len, w->seed, i);
	CHECK_RC(mmipc_ring_commit(ring, len, flags), 0);
}

static void *producer(void *arg)
{
	struct wrap *w = arg;
	mmipc_ring *ring = NULL;
	void *tmp = malloc(CAP);
	uint64_t i;

	CHECK(tmp != NULL, "malloc");
	CHECK_RC(mmipc_ring_attach(&ring, w->r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK(mmipc_ring_max_msg(ring) == w->max, "max message %llu, want %zu",
	      (unsigned long long)mmipc_ring_max_msg(ring), w->max);
	for (i = 0; i < w->n; i++) {
		set_mode(ring, w, i);
		send_msg(ring, w, i, tmp);
	}
	free(tmp);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return NULL;
}

/* Checks message @i at @p (a pointer into the ring when @in_ring). */
static void check_msg(struct wrap *w, uint64_t i, const void *p, size_t len,
		      bool in_ring, uint64_t *last_off)
{
	const unsigned char *data = mmipc_region_data(w->r);
	size_t want = len_of(w, i);

	CHECK(len == want, "message %llu: %zu bytes, want %zu",
	      (unsigned long long)i, len, want);
	CHECK(rg_check_msg(p, len, w->seed, i) == len,
	      "message %llu (%zu bytes): corrupt at byte %zu",
	      (unsigned long long)i, len, rg_check_msg(p, len, w->seed, i));
	if (!in_ring)
		return;
	CHECK(((uintptr_t)p & 7) == 0, "message %llu at %p: not aligned",
	      (unsigned long long)i, p);
	CHECK((const unsigned char *)p >= data &&
		      (const unsigned char *)p + len <= data + CAP,
	      "message %llu (%zu bytes) at offset %td: not inside the ring",
	      (unsigned long long)i, len, (const unsigned char *)p - data);
	w->wraps += (uint64_t)((const unsigned char *)p - data) < *last_off;
	*last_off = (uint64_t)((const unsigned char *)p - data);
}

/* recv, first with a buffer one byte short when there is a byte. */
static void take_recv(mmipc_ring *ring, struct wrap *w, uint64_t i,
		      void *tmp)
{
	size_t want = len_of(w, i), len = 0;

	if (want > 0) {
		CHECK_RC(mmipc_ring_recv(ring, tmp, want - 1, &len,
					 THR_CALL_MS),
			 -EMSGSIZE);
		CHECK(len == want, "message %llu: -EMSGSIZE says %zu, want %zu",
		      (unsigned long long)i, len, want);
	}
	CHECK_RC(mmipc_ring_recv(ring, tmp, CAP, &len, THR_CALL_MS), 1);
	check_msg(w, i, tmp, len, false, NULL);
}

/* Takes message @i (and with a batch maybe more): how many. */
static uint64_t take(mmipc_ring *ring, struct wrap *w, uint64_t i, void *tmp,
		     uint64_t *last_off)
{
	struct mmipc_ring_msg v[16];
	int n, k;

	switch (i % 3) {
	case 0:
		take_recv(ring, w, i, tmp);
		return 1;
	case 1:
		CHECK_RC(mmipc_ring_peek(ring, &v[0].data, &v[0].len,
					 THR_CALL_MS),
			 1);
		check_msg(w, i, v[0].data, v[0].len, true, last_off);
		CHECK_RC(mmipc_ring_release(ring), 0);
		return 1;
	default:
		n = mmipc_ring_peek_batch(ring, v, 16, THR_CALL_MS);
		CHECK(n >= 1, "peek_batch at %llu: %d (%s)",
		      (unsigned long long)i, n, mmipc_strerror(n));
		if ((uint64_t)n > w->n - i)
			n = (int)(w->n - i); /* nothing may follow the last */
		for (k = 0; k < n; k++)
			check_msg(w, i + (uint64_t)k, v[k].data, v[k].len, true,
				  last_off);
		CHECK_RC(mmipc_ring_release_batch(ring, n), 0);
		return (uint64_t)n;
	}
}

static void *consumer(void *arg)
{
	struct wrap *w = arg;
	mmipc_ring *ring = NULL;
	void *tmp = malloc(CAP);
	uint64_t i = 0, pass = 0, last_off = 0;
	size_t len;

	CHECK(tmp != NULL, "malloc");
	CHECK_RC(mmipc_ring_attach(&ring, w->r, MMIPC_ROLE_CONSUMER, 0), 0);
	while (i < w->n) {
		if (i / (w->max + 1) >= pass) /* a batch may cross a pass */
			CHECK_RC(mmipc_ring_set_wait(ring, modes[pass++], 0), 0);
		i += take(ring, w, i, tmp, &last_off);
	}
	CHECK_RC(mmipc_ring_recv(ring, tmp, CAP, &len, THR_CALL_MS), 0);
	free(tmp);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return NULL;
}

int main(void)
{
	struct wrap w = { .seed = thr_seed() };
	struct mmipc_ring_stats st;
	uint64_t i, bytes = 0;
	pthread_t tp, tc;
	int64_t t0;

	rg_init(110);
	CHECK_RC(mmipc_ring_create(&w.r, "anon", CAP, 0, 0), 0);
	w.max = CAP - REC_HDR; /* the producer checks it is the real max */
	w.n = PASSES * (uint64_t)(w.max + 1);
	printf("seed %u, capacity %u, sizes 0..%zu, %llu messages\n", w.seed,
	       CAP, w.max, (unsigned long long)w.n);

	t0 = ru_now_ns();
	thr_start(&tc, consumer, &w);
	thr_start(&tp, producer, &w);
	thr_join(tp);
	thr_join(tc);
	for (i = 0; i < w.n; i++)
		bytes += len_of(&w, i);
	CHECK_RC(mmipc_ring_stats(w.r, &st), 0);
	CHECK(st.msgs_sent == w.n && st.msgs_recv == w.n &&
		      st.bytes_sent == bytes && st.bytes_recv == bytes &&
		      st.used == 0 && st.broken == 0,
	      "stats: %llu/%llu messages, %llu/%llu bytes, used %llu, broken "
	      "%u; want %llu messages, %llu bytes",
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.msgs_recv,
	      (unsigned long long)st.bytes_sent,
	      (unsigned long long)st.bytes_recv, (unsigned long long)st.used,
	      st.broken, (unsigned long long)w.n, (unsigned long long)bytes);
	CHECK(w.wraps > w.n / 16, "only %llu wraps seen",
	      (unsigned long long)w.wraps);
	printf("threads_wrap: %llu messages (%.1f MB) in %.0f ms, %llu seen "
	       "wrapped, %llu wake-ups\n",
	       (unsigned long long)w.n, (double)bytes / 1e6,
	       (double)(ru_now_ns() - t0) / 1e6, (unsigned long long)w.wraps,
	       (unsigned long long)thr_wakes_all(w.r));
	CHECK_RC(mmipc_region_close(w.r), 0);
	return T_PASS;
}
