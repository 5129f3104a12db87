/*
 * threads_eof - the ends of a stream, between threads of one process:
 *
 *  - end-of-stream: the producer sends K messages, waits until the
 *    consumer is blocked on the empty ring (asleep on the futex, or
 *    spinning in MMIPC_WAIT_SPIN), and closes; the consumer gets the K
 *    messages, then 0 from recv (or from peek_batch) within a second
 *    (and, at best of 3 tries, within 100 ms: the close wakes it);
 *  - a consumer that comes after the producer closed drains what it left,
 *    then gets end-of-stream;
 *  - -EPIPE: the producer blocks on a full ring, the consumer closes
 *    without reading; the producer's send returns -EPIPE within a second
 *    (at best of 3, within 100 ms);
 *  - one stream after another: once both ends closed, new producer and
 *    consumer threads attach to the same ring (either first) and a new
 *    stream passes, twice.
 * Each in every wait mode (adaptive, sleep, spin).
 */
#include "thr_util.h"

#define K	 3000
#define WITHIN_NS (1000 * INT64_C(1000000)) /* "within a second" */
#define FAST_NS	  (100 * INT64_C(1000000))
#define TRIES	  3

static const int modes[] = { MMIPC_WAIT_ADAPTIVE, MMIPC_WAIT_SLEEP,
			     MMIPC_WAIT_SPIN };
/* by MMIPC_WAIT_* value */
static const char *const mode_names[] = { "adaptive", "spin", "sleep" };

struct eof_case {
	mmipc_region *r;
	int mode;
	uint32_t seed;
	bool batch;		/* consumer: the last call is peek_batch */
	bool wait_peer;		/* the closing side waits for the other to block */
	uint64_t consumed;	/* consumer's progress (rg_stream.progress) */
	int64_t close_ns;	/* when the closing side closed */
	int64_t seen_ns;	/* when the blocked side's call returned */
	int result;		/* what that call returned */
};

static mmipc_ring *attach(struct eof_case *e, int role)
{
	mmipc_ring *ring = NULL;

	CHECK_RC(mmipc_ring_attach(&ring, e->r, role, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(ring, e->mode, 0), 0);
	return ring;
}

static struct rg_stream stream_of(const struct eof_case *e)
{
	return (struct rg_stream){ .n = K, .seed = e->seed, .max = 1024,
				   .more = true, .timeout_ms = THR_CALL_MS };
}

/* Waits until the other side is blocked: announced asleep on @evc, or,
 * when it only spins, given 50 ms to get there. The consumer must have
 * taken all K first: it may announce itself asleep on the way, and then
 * go on with what was published meanwhile. */
static void await_blocked(struct eof_case *e, struct mmipc_evc *evc)
{
	if (evc == &rg_ctl(e->r)->data)
		rg_await_at_least(&e->consumed, K, 10000, "consumer");
	if (e->mode == MMIPC_WAIT_SPIN)
		ru_sleep_ms(50);
	else
		thr_await_sleeper(&evc->waiters, NULL, "closing side");
}

static int64_t closed_at(mmipc_ring *ring)
{
	int64_t t = ru_now_ns();

	CHECK_RC(mmipc_ring_close(ring), 0);
	return t;
}

static void *eof_producer(void *arg)
{
	struct eof_case *e = arg;
	mmipc_ring *ring = attach(e, MMIPC_ROLE_PRODUCER);
	struct rg_stream s = stream_of(e);
	uint64_t at = 0;

	CHECK_RC(rg_produce(ring, &s, &at), 0);
	/* all published now: the close itself publishes nothing, so only its
	 * own wake-up can wake a sleeping consumer */
	CHECK_RC(mmipc_ring_flush(ring), 0);
	if (e->wait_peer)
		await_blocked(e, &rg_ctl(e->r)->data);
	__atomic_store_n(&e->close_ns, closed_at(ring), __ATOMIC_RELEASE);
	return NULL;
}

static void *eof_consumer(void *arg)
{
	struct eof_case *e = arg;
	mmipc_ring *ring = attach(e, MMIPC_ROLE_CONSUMER);
	struct rg_stream s = stream_of(e);
	struct mmipc_ring_msg v[4];
	char buf[1024];
	uint64_t at = 0;
	size_t len = 0;

	s.progress = &e->consumed;
	CHECK_RC(rg_consume(ring, &s, &at), 0);
	if (e->batch)
		e->result = mmipc_ring_peek_batch(ring, v, 4, -1);
	else
		e->result = mmipc_ring_recv(ring, buf, sizeof(buf), &len, -1);
	e->seen_ns = ru_now_ns();
	CHECK_RC(mmipc_ring_close(ring), 0);
	return NULL;
}

/* The blocked side's call returned @want within a second of the close:
 * how long after it, in ns. */
static int64_t check_seen(const struct eof_case *e, int want,
			  const char *what)
{
	int64_t close_ns = __atomic_load_n(&e->close_ns, __ATOMIC_ACQUIRE);

	CHECK(e->result == want, "%s (%s): %d (%s), want %d (%s)", what,
	      mode_names[e->mode], e->result, mmipc_strerror(e->result), want,
	      mmipc_strerror(want));
	CHECK(e->seen_ns - close_ns < WITHIN_NS,
	      "%s (%s): seen %.1f ms after the close, want within a second",
	      what, mode_names[e->mode], (double)(e->seen_ns - close_ns) / 1e6);
	return e->seen_ns - close_ns;
}

static int64_t eof_blocked(int mode, uint32_t seed, bool batch)
{
	struct eof_case e = { .mode = mode, .seed = seed, .batch = batch,
			      .wait_peer = true };
	pthread_t tp, tc;
	int64_t ns;

	CHECK_RC(mmipc_ring_create(&e.r, "anon", 16384, 0, 0), 0);
	thr_start(&tc, eof_consumer, &e);
	thr_start(&tp, eof_producer, &e);
	thr_join(tp);
	thr_join(tc);
	ns = check_seen(&e, 0, batch ? "end-of-stream, batch" : "end-of-stream");
	CHECK_RC(mmipc_region_close(e.r), 0);
	return ns;
}

/* The producer is gone before the consumer comes: drain, then 0. */
static void eof_late_consumer(int mode, uint32_t seed)
{
	struct eof_case e = { .mode = mode, .seed = seed };
	pthread_t t;

	CHECK_RC(mmipc_ring_create(&e.r, "anon", 1 << 20, 0, 0), 0);
	thr_start(&t, eof_producer, &e);
	thr_join(t);
	thr_start(&t, eof_consumer, &e);
	thr_join(t);
	CHECK(e.result == 0, "late consumer (%s): %d (%s), want 0",
	      mode_names[mode], e.result, mmipc_strerror(e.result));
	CHECK_RC(mmipc_region_close(e.r), 0);
}

/* Producer: send until an error; that error is the result. */
static void *epipe_producer(void *arg)
{
	struct eof_case *e = arg;
	mmipc_ring *ring = attach(e, MMIPC_ROLE_PRODUCER);
	char buf[100] = { 0 };
	int rc, i;

	for (i = 0; i < 1000000; i++) {
		rc = mmipc_ring_send(ring, buf, sizeof(buf), 0, -1);
		if (rc < 0)
			break;
	}
	e->result = rc;
	e->seen_ns = ru_now_ns();
	CHECK_RC(mmipc_ring_close(ring), 0);
	return NULL;
}

static void *epipe_consumer(void *arg)
{
	struct eof_case *e = arg;
	mmipc_ring *ring = attach(e, MMIPC_ROLE_CONSUMER);

	await_blocked(e, &rg_ctl(e->r)->space);
	__atomic_store_n(&e->close_ns, closed_at(ring), __ATOMIC_RELEASE);
	return NULL;
}

static int64_t epipe_blocked(int mode, uint32_t seed, bool unused)
{
	struct eof_case e = { .mode = mode, .seed = seed, .wait_peer = true };
	pthread_t tp, tc;
	int64_t ns;

	(void)unused;
	CHECK_RC(mmipc_ring_create(&e.r, "anon", 4096, 0, 0), 0);
	thr_start(&tc, epipe_consumer, &e);
	thr_start(&tp, epipe_producer, &e);
	thr_join(tp);
	thr_join(tc);
	ns = check_seen(&e, -EPIPE, "-EPIPE");
	CHECK_RC(mmipc_region_close(e.r), 0);
	return ns;
}

/*
 * Runs a close-while-blocked case TRIES times. Each must see the close
 * within a second (the contract); the fastest within 100 ms: a close
 * wakes the sleeper at once, and one that did not would leave it to its
 * 250 ms liveness re-check every time, while a loaded machine delays the
 * odd try, not all of them.
 */
static void tries(int64_t (*fn)(int, uint32_t, bool), const char *what,
		  int mode, uint32_t seed, bool batch)
{
	int64_t ns, lo = INT64_MAX, hi = 0;
	int i;

	for (i = 0; i < TRIES; i++) {
		ns = fn(mode, seed + (uint32_t)i, batch);
		lo = ns < lo ? ns : lo;
		hi = ns > hi ? ns : hi;
	}
	CHECK(lo < FAST_NS,
	      "%s (%s): seen %.1f ms after the close at best: the close did "
	      "not wake the blocked side", what, mode_names[mode],
	      (double)lo / 1e6);
	printf("%-24s %-8s seen %.3f..%.3f ms after the close\n", what,
	       mode_names[mode], (double)lo / 1e6, (double)hi / 1e6);
}

/* Three streams in a row on one ring: each pair of ends attaches once
 * the previous pair closed (which one first alternates). */
static void streams_in_a_row(int mode, uint32_t seed)
{
	struct thr_cfg cfg = { .name = "stream in a row", .cap = 4096,
			       .zc = seed & 2, .more = true,
			       .prod_wait = mode, .cons_wait = mode,
			       .min_msgs = 2000, .max_msgs = 20000,
			       .budget_ms = 50 };
	struct thr_end p, c;
	mmipc_region *r = NULL;
	uint64_t total = 0;
	uint32_t i;

	CHECK_RC(mmipc_ring_create(&r, "anon", 4096, 0, 0), 0);
	for (i = 0; i < 3; i++) {
		thr_pair(&cfg, r, seed + i, &p, &c);
		total += p.done;
	}
	printf("%-24s %-8s 3 streams, %llu messages\n", "streams in a row",
	       mode_names[mode], (unsigned long long)total);
	CHECK_RC(mmipc_region_close(r), 0);
}

int main(void)
{
	uint32_t seed = thr_seed();
	size_t m;

	rg_init(110);
	printf("seed %u\n", seed);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		tries(eof_blocked, "end-of-stream", modes[m], seed, false);
		tries(eof_blocked, "end-of-stream, batch", modes[m], seed, true);
		eof_late_consumer(modes[m], seed + (uint32_t)m);
		tries(epipe_blocked, "-EPIPE", modes[m], seed, false);
		streams_in_a_row(modes[m], seed + (uint32_t)m);
	}
	printf("threads_eof: end-of-stream, late consumer, -EPIPE and "
	       "streams in a row, in %zu wait modes\n", m);
	return T_PASS;
}
