/*
 * threads_pingpong - request and reply between two threads over two
 * rings, so that every message is a hand-off: the side that waits has
 * nothing else to do and, in MMIPC_WAIT_SLEEP, goes to sleep on the futex
 * at once; the other side's publication must wake it. Ping sends message
 * i (copying), pong forwards it back zero-copy (peek the request, reserve
 * the reply, copy, commit, release), ping checks the reply is message i.
 * At the end ping closes, pong sees end-of-stream and closes, ping sees
 * end-of-stream. Passes: both sleep; both adaptive; ping spins, pong
 * sleeps. Checked: every reply; in the all-sleep pass, that the futex
 * path was taken (wake-ups at least a quarter of the round trips: a side
 * preempted between its send and its wait may find the reply already
 * there, but not that often); and that round trips slower than 200 ms -
 * what a lost wake-up costs, since a sleeper re-checks every 250 ms - are
 * rare (at most 1% + 2, for a loaded machine). Prints the round-trip
 * percentiles, which are figures, never asserted.
 */
#include "thr_util.h"

#define MAXLEN	  512
#define MIN_TRIPS 500
#define MAX_TRIPS 200000
#define BUDGET_MS 300
#define SLOW_NS	  (200 * INT64_C(1000000))

struct pass {
	const char *name;
	int ping_wait, pong_wait;
};

static const struct pass passes[] = {
	{ "both sleep", MMIPC_WAIT_SLEEP, MMIPC_WAIT_SLEEP },
	{ "both adaptive", MMIPC_WAIT_ADAPTIVE, MMIPC_WAIT_ADAPTIVE },
	{ "ping spins, pong sleeps", MMIPC_WAIT_SPIN, MMIPC_WAIT_SLEEP },
};

struct pp {
	const struct pass *pass;
	mmipc_region *req, *rsp;
	uint32_t seed;
	uint64_t trips;
	int64_t *rtt;		/* ns, one per round trip */
};

static mmipc_ring *end_of(mmipc_region *r, int role, int mode)
{
	mmipc_ring *ring = NULL;

	CHECK_RC(mmipc_ring_attach(&ring, r, role, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(ring, mode, 0), 0);
	return ring;
}

/* One round trip of message @i: send, wait for the reply, check it. The
 * reply goes to its own poisoned buffer, so nothing of the request can
 * pass for it. */
static int64_t trip(struct pp *p, mmipc_ring *tx, mmipc_ring *rx, uint64_t i,
		    unsigned char *buf)
{
	size_t len = rg_len(p->seed, i, MAXLEN), got = 0;
	unsigned char *in = buf + MAXLEN;
	int64_t t0 = ru_now_ns();

	rg_fill(buf, len, p->seed, i);
	memset(in, 0xa5, MAXLEN);
	CHECK_RC(mmipc_ring_send(tx, buf, len, 0, THR_CALL_MS), 0);
	CHECK_RC(mmipc_ring_recv(rx, in, MAXLEN, &got, THR_CALL_MS), 1);
	rg_expect_msg(in, got, p->seed, i, MAXLEN, "reply");
	return ru_now_ns() - t0;
}

static void *ping(void *arg)
{
	struct pp *p = arg;
	mmipc_ring *tx = end_of(p->req, MMIPC_ROLE_PRODUCER, p->pass->ping_wait);
	mmipc_ring *rx = end_of(p->rsp, MMIPC_ROLE_CONSUMER, p->pass->ping_wait);
	int64_t until = ru_now_ns() + BUDGET_MS * INT64_C(1000000);
	unsigned char buf[2 * MAXLEN]; /* request, then reply */
	size_t len = 0;
	uint64_t i, slow = 0;

	for (i = 0; i < MAX_TRIPS && (i < MIN_TRIPS || ru_now_ns() < until);
	     i++) {
		p->rtt[i] = trip(p, tx, rx, i, buf);
		/* as report() checks at the end, but fail fast: a run of
		 * lost wake-ups would take minutes */
		slow += p->rtt[i] >= SLOW_NS;
		CHECK(slow <= i / 100 + 2,
		      "%s: %llu of %llu round trips took over 200 ms: lost "
		      "wake-ups?", p->pass->name, (unsigned long long)slow,
		      (unsigned long long)i + 1);
	}
	p->trips = i;
	CHECK_RC(mmipc_ring_close(tx), 0);
	CHECK_RC(mmipc_ring_recv(rx, buf, MAXLEN, &len, THR_CALL_MS), 0);
	CHECK_RC(mmipc_ring_close(rx), 0);
	return NULL;
}

/* Forwards one request as the reply, zero-copy; 0 at end-of-stream. */
static int forward(mmipc_ring *rx, mmipc_ring *tx)
{
	const void *in = NULL;
	void *out = NULL;
	size_t len = 0;
	int rc = mmipc_ring_peek(rx, &in, &len, THR_CALL_MS);

	CHECK(rc >= 0, "pong: peek: %d (%s)", rc, mmipc_strerror(rc));
	if (rc == 0)
		return 0;
	CHECK_RC(mmipc_ring_reserve(tx, len, &out, THR_CALL_MS), 0);
	memcpy(out, in, len);
	CHECK_RC(mmipc_ring_commit(tx, len, 0), 0);
	CHECK_RC(mmipc_ring_release(rx), 0);
	return 1;
}

static void *pong(void *arg)
{
	struct pp *p = arg;
	mmipc_ring *rx = end_of(p->req, MMIPC_ROLE_CONSUMER, p->pass->pong_wait);
	mmipc_ring *tx = end_of(p->rsp, MMIPC_ROLE_PRODUCER, p->pass->pong_wait);

	while (forward(rx, tx) == 1)
		;
	CHECK_RC(mmipc_ring_close(tx), 0);
	CHECK_RC(mmipc_ring_close(rx), 0);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Checks and prints a pass: wake-ups, slow round trips, percentiles. */
static void report(const struct pp *p, uint64_t wakes)
{
	uint64_t n = p->trips, slow = 0, i;

	for (i = 0; i < n; i++)
		slow += p->rtt[i] >= SLOW_NS;
	qsort(p->rtt, n, sizeof(p->rtt[0]), cmp_i64);
	printf("%-24s %6llu round trips: p50 %7.1f us p99 %8.1f us max "
	       "%8.1f us; %llu wake-ups, %llu over 200 ms\n",
	       p->pass->name, (unsigned long long)n, (double)p->rtt[n / 2] / 1e3,
	       (double)p->rtt[n * 99 / 100] / 1e3, (double)p->rtt[n - 1] / 1e3,
	       (unsigned long long)wakes, (unsigned long long)slow);
	CHECK(slow <= n / 100 + 2,
	      "%s: %llu of %llu round trips took over 200 ms: lost wake-ups?",
	      p->pass->name, (unsigned long long)slow, (unsigned long long)n);
	CHECK(p->pass->ping_wait != MMIPC_WAIT_SLEEP ||
		      p->pass->pong_wait != MMIPC_WAIT_SLEEP || wakes >= n / 4,
	      "%s: %llu wake-ups for %llu round trips: the futex path was "
	      "not taken", p->pass->name, (unsigned long long)wakes,
	      (unsigned long long)n);
}

static void run_pass(const struct pass *pass, uint32_t seed)
{
	struct pp p = { .pass = pass, .seed = seed };
	pthread_t a, b;

	p.rtt = calloc(MAX_TRIPS, sizeof(*p.rtt));
	CHECK(p.rtt != NULL, "calloc");
	CHECK_RC(mmipc_ring_create(&p.req, "anon", 4096, 0, 0), 0);
	CHECK_RC(mmipc_ring_create(&p.rsp, "anon", 4096, 0, 0), 0);
	thr_start(&b, pong, &p);
	thr_start(&a, ping, &p);
	thr_join(a);
	thr_join(b);
	report(&p, thr_wakes_all(p.req) + thr_wakes_all(p.rsp));
	CHECK_RC(mmipc_region_close(p.req), 0);
	CHECK_RC(mmipc_region_close(p.rsp), 0);
	free(p.rtt);
}

int main(void)
{
	uint32_t seed = thr_seed();
	size_t i;

	rg_init(110);
	printf("seed %u\n", seed);
	for (i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
		run_pass(&passes[i], seed + (uint32_t)i);
	return T_PASS;
}
