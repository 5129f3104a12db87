/*
 * t_ring_wake - a side asleep in its wait is woken by the one call that
 * makes room or data, not by the end of its sleep slice (250 ms).
 *
 *  - space: a producer (MMIPC_WAIT_SLEEP) fills the ring and blocks in
 *    send(-1); once it sleeps, the consumer takes ONE message, and then
 *    none for a second. The send must return well within the slice: the
 *    consumer's release saw the sleeper and woke it (the release looks at
 *    the sleeper count without a fence, publish_tail() in ring_io.c, and
 *    this is what that look is for). The consumer takes only one message,
 *    so the other reason to wake - having read all that was published -
 *    does not apply.
 *  - data: a consumer (sleep mode) blocks in recv(-1) on an empty ring;
 *    the producer sends one message: recv returns well within the slice.
 *
 * Each ROUNDS times; the median wake-up must be under WAKE_MS (a loaded
 * machine may delay one), and none may take a whole slice.
 */
#include "ring_util.h"

#define CAP	 4096
#define MSG	 200
#define ROUNDS	 5
#define WAKE_MS	 100
#define NAP_MS	 100	/* how long the other side sleeps before we act */

struct wake {
	char addr[128];
	uint64_t asleep_ns;	/* the child is about to block */
	uint64_t done_ns;	/* its blocked call returned */
	uint64_t rc;		/* and what it returned (+ 1000) */
};

static void send_msg(mmipc_ring *r, int timeout)
{
	char m[MSG] = { 1 };

	CHECK_RC(mmipc_ring_send(r, m, sizeof(m), 0, timeout), 0);
}

/* Fills the ring, then blocks in one more send. */
static int blocked_producer(void *p)
{
	struct wake *w = p;
	char m[MSG] = { 1 };
	mmipc_ring *r;
	int rc;

	CHECK_RC(mmipc_ring_open(&r, w->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(r, MMIPC_WAIT_SLEEP, 0), 0);
	while ((rc = mmipc_ring_send(r, m, sizeof(m), 0, 0)) == 0)
		;
	CHECK_RC(rc, -EAGAIN);
	rg_store(&w->asleep_ns, (uint64_t)ru_now_ns());
	rc = mmipc_ring_send(r, m, sizeof(m), 0, -1);
	rg_store(&w->done_ns, (uint64_t)ru_now_ns());
	rg_store(&w->rc, (uint64_t)(rc + 1000));
	return mmipc_ring_close(r) == 0 ? T_PASS : T_FAIL;
}

/* Blocks in recv on an empty ring. */
static int blocked_consumer(void *p)
{
	struct wake *w = p;
	char buf[MSG];
	mmipc_ring *r;
	size_t len;
	int rc;

	CHECK_RC(mmipc_ring_open(&r, w->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(r, MMIPC_WAIT_SLEEP, 0), 0);
	rg_store(&w->asleep_ns, (uint64_t)ru_now_ns());
	rc = mmipc_ring_recv(r, buf, sizeof(buf), &len, -1);
	rg_store(&w->done_ns, (uint64_t)ru_now_ns());
	rg_store(&w->rc, (uint64_t)(rc + 1000));
	return mmipc_ring_close(r) == 0 ? T_PASS : T_FAIL;
}

/* One round: the child blocks; we act once it sleeps; returns the ms from
 * our call to its wake-up. */
static double round_trip(bool space)
{
	struct wake *w = rg_shared(sizeof(*w));
	mmipc_region *reg = NULL;
	mmipc_ring *r;
	int64_t acted;
	double ms;
	char buf[MSG];
	size_t len;
	pid_t pid;

	rg_name(w->addr, sizeof(w->addr), space ? "wspace" : "wdata");
	CHECK_RC(mmipc_ring_create(&reg, w->addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&r, w->addr, space ? MMIPC_ROLE_CONSUMER
						    : MMIPC_ROLE_PRODUCER, 0),
		 0);
	pid = rg_fork(space ? blocked_producer : blocked_consumer, w);
	rg_await_at_least(&w->asleep_ns, 1, 10000, "child blocking");
	ru_sleep_ms(NAP_MS); /* past its spin, whatever the mode: asleep */
	CHECK(rg_load(&w->done_ns) == 0, "the blocked call returned early");
	acted = ru_now_ns();
	if (space)
		CHECK_RC(mmipc_ring_recv(r, buf, sizeof(buf), &len, 0), 1);
	else
		send_msg(r, 0);
	rg_await_at_least(&w->done_ns, 1, 10000, "blocked call");
	ms = (double)((int64_t)rg_load(&w->done_ns) - acted) / 1e6;
	CHECK(rg_load(&w->rc) == 1000 + (space ? 0 : 1),
	      "blocked call returned %d", (int)rg_load(&w->rc) - 1000);
	if (space) /* take the rest only now: one release had to do it */
		while (mmipc_ring_recv(r, buf, sizeof(buf), &len, 0) == 1)
			;
	RG_WAIT_OK(pid, space ? "producer" : "consumer");
	CHECK_RC(mmipc_ring_close(r), 0);
	CHECK_RC(mmipc_region_close(reg), 0);
	CHECK_RC(mmipc_region_unlink(w->addr, 0), 0);
	rg_forget_name(w->addr);
	munmap(w, sizeof(*w));
	return ms;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	int s, i;

	rg_init(120);
	for (s = 0; s < 2; s++) {
		const char *what = s == 0 ? "space" : "data";
		double ms[ROUNDS];

		for (i = 0; i < ROUNDS; i++)
			ms[i] = round_trip(s == 0);
		qsort(ms, ROUNDS, sizeof(ms[0]), cmp_double);
		printf("%s: woken %.2f ms after the call that made it ready "
		       "(median of %d; %.2f..%.2f)\n", what, ms[ROUNDS / 2],
		       ROUNDS, ms[0], ms[ROUNDS - 1]);
		CHECK(ms[ROUNDS / 2] < WAKE_MS,
		      "%s: median wake-up %.1f ms, want < %d (a sleep slice "
		      "is 250)", what, ms[ROUNDS / 2], WAKE_MS);
	}
	return T_PASS;
}
