/*
 * thr_util.h - helpers of the thread-based ring tests (tests/threads/):
 * a producer thread and a consumer thread share one anon ring in one
 * process, standing in for two processes. Built in every build; in the
 * TSan build (-DMMIPC_TSAN=ON) they are what ThreadSanitizer checks: the
 * data handoff is by acquire/release on head and tail, which TSan models,
 * so any report is a real race. (The futex calls are raw syscalls TSan
 * does not model; nothing relies on them for ordering.)
 *
 * The message stream, its checks and the cleanup are those of the process
 * tests (ring_util.h: rg_send_one, rg_recv_one, rg_recv_batch, rg_init's
 * watchdog); this file adds threads, a time budget, and "hand-offs": one
 * side waits until the other is asleep on the ring's futex before it goes
 * on, so the sleep/wake path is taken a known number of times.
 */
#ifndef MMIPC_TEST_THR_UTIL_H
#define MMIPC_TEST_THR_UTIL_H

#include <pthread.h>

#include "ring_util.h"

/* Which side, every `every` messages, waits for the other to sleep. */
enum { THR_HANDOFF_NONE, THR_HANDOFF_PROD, THR_HANDOFF_CONS };

/* One stream between two threads. */
struct thr_cfg {
	const char *name;
	uint64_t cap;		/* ring capacity */
	bool zc, batch, more;	/* as struct rg_stream */
	int prod_wait, cons_wait; /* MMIPC_WAIT_* */
	int handoff;		/* THR_HANDOFF_* */
	unsigned every;		/* hand-off period, in messages */
	uint64_t min_msgs;	/* sent whatever the time */
	uint64_t max_msgs;	/* never more */
	int budget_ms;		/* send until min_msgs and this time */
};

/* One end's thread: its arguments and what it reports. */
struct thr_end {
	const struct thr_cfg *cfg;
	mmipc_region *r;
	struct rg_stream s;
	uint64_t done;		/* messages sent, or received */
	uint64_t handoffs;	/* times the other side was seen asleep */
};

/* What a run of thr_stream() measured. */
struct thr_result {
	uint64_t msgs, bytes;
	uint64_t wakes;		/* seq bumps by a signal that saw a sleeper */
	uint64_t handoffs;
	double ms;
};

/* Per-call timeout of the stream's calls: a stall fails with -ETIMEDOUT
 * instead of hanging (generous: TSan and a loaded 2-CPU machine). */
#define THR_CALL_MS 20000

static inline void thr_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);

	CHECK(rc == 0, "pthread_create: %s", strerror(rc));
}

/* Joins; a thread that hangs is caught by rg_init()'s watchdog. */
static inline void thr_join(pthread_t t)
{
	int rc = pthread_join(t, NULL);

	CHECK(rc == 0, "pthread_join: %s", strerror(rc));
}

static inline uint32_t thr_load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * thr_await_sleeper - wait until a sleeper is announced in @waiters (the
 * other side sleeps, or is about to, on the ring's futex): true. False if
 * instead the end word @end says that side closed. Fails after 10 s.
 */
static inline bool thr_await_sleeper(const uint32_t *waiters,
				     const uint32_t *end, const char *who)
{
	int64_t limit = ru_now_ns() + 10 * INT64_C(1000000000);

	for (;;) {
		if (thr_load32(waiters) != 0)
			return true;
		if (end != NULL &&
		    RING_END_STATE(thr_load32(end)) == MMIPC_END_CLOSED)
			return false;
		CHECK(ru_now_ns() < limit,
		      "%s: the other side never went to sleep in 10 s", who);
		sched_yield();
	}
}

/* Attaches @role in this thread, with the configured wait mode. */
static inline mmipc_ring *thr_attach(struct thr_end *e, int role)
{
	mmipc_ring *ring = NULL;
	int mode = role == MMIPC_ROLE_PRODUCER ? e->cfg->prod_wait
					       : e->cfg->cons_wait;

	CHECK_RC(mmipc_ring_attach(&ring, e->r, role, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(ring, mode, 0), 0);
	if (e->s.max == 0 || e->s.max > mmipc_ring_max_msg(ring))
		e->s.max = (size_t)mmipc_ring_max_msg(ring);
	return ring;
}

/* Producer: hand-off point. Publish all, wait until the consumer drained
 * it and sleeps; our next publication must then wake it. */
static inline void thr_prod_handoff(struct thr_end *e, mmipc_ring *ring)
{
	CHECK_RC(mmipc_ring_flush(ring), 0);
	if (thr_await_sleeper(&rg_ctl(e->r)->data.waiters, NULL, "producer"))
		e->handoffs++;
}

static inline bool thr_more_time(const struct thr_end *e, uint64_t i,
				 int64_t until)
{
	if (i >= e->cfg->max_msgs)
		return false;
	if (i < e->cfg->min_msgs || (i & 63) != 0)
		return true;
	return ru_now_ns() < until;
}

static inline void *thr_producer(void *arg)
{
	struct thr_end *e = arg;
	mmipc_ring *ring = thr_attach(e, MMIPC_ROLE_PRODUCER);
	int64_t until = ru_now_ns() + (int64_t)e->cfg->budget_ms * 1000000;
	void *tmp = malloc(e->s.max + 8);
	uint64_t i;
	int rc;

	CHECK(tmp != NULL, "malloc");
	for (i = 0; thr_more_time(e, i, until); i++) {
		if (e->cfg->handoff == THR_HANDOFF_PROD && i > 0 &&
		    i % e->cfg->every == 0)
			thr_prod_handoff(e, ring);
		rc = rg_send_one(ring, &e->s, i, tmp);
		CHECK(rc == 0, "%s: send of message %llu: %d (%s)",
		      e->cfg->name, (unsigned long long)i, rc,
		      mmipc_strerror(rc));
		if (e->s.more && (i & 4095) == 4095)
			CHECK_RC(mmipc_ring_flush(ring), 0);
	}
	e->done = i;
	free(tmp);
	CHECK_RC(mmipc_ring_close(ring), 0); /* flushes: end-of-stream */
	return NULL;
}

/* Consumer: hand-off point. Wait until the producer, blocked on a full
 * ring, sleeps (or has closed); our next release must then wake it. */
static inline void thr_cons_handoff(struct thr_end *e)
{
	struct mmipc_ring_ctl *c = rg_ctl(e->r);

	if (thr_await_sleeper(&c->space.waiters, &c->prod_end, "consumer"))
		e->handoffs++;
}

/* Takes what comes next: how many messages (0 at end-of-stream). */
static inline int thr_take(struct thr_end *e, mmipc_ring *ring, uint64_t i,
			   void *tmp)
{
	int rc;

	if (e->s.batch)
		rc = rg_recv_batch(ring, &e->s, i, UINT64_MAX - i);
	else
		rc = rg_recv_one(ring, &e->s, i, tmp);
	CHECK(rc >= 0, "%s: receive of message %llu: %d (%s)", e->cfg->name,
	      (unsigned long long)i, rc, mmipc_strerror(rc));
	return rc;
}

static inline void *thr_consumer(void *arg)
{
	struct thr_end *e = arg;
	mmipc_ring *ring = thr_attach(e, MMIPC_ROLE_CONSUMER);
	void *tmp = malloc(e->s.max + 8);
	uint64_t i = 0, next = e->cfg->every;
	size_t len = 0;
	int n;

	CHECK(tmp != NULL, "malloc");
	while ((n = thr_take(e, ring, i, tmp)) > 0) {
		i += (uint64_t)n;
		if (e->cfg->handoff == THR_HANDOFF_CONS && i >= next) {
			thr_cons_handoff(e);
			next = i + e->cfg->every;
		}
	}
	e->done = i;
	/* end-of-stream stays end-of-stream */
	CHECK_RC(mmipc_ring_recv(ring, tmp, e->s.max, &len, 0), 0);
	free(tmp);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return NULL;
}

/* The control block's counters after both ends closed, against what the
 * threads did. */
static inline void thr_check_stats(const struct thr_cfg *cfg, mmipc_region *r,
				   const struct thr_end *p,
				   struct thr_result *res)
{
	struct mmipc_ring_stats st;
	uint64_t i;

	res->bytes = 0;
	for (i = 0; i < p->done; i++)
		res->bytes += rg_len(p->s.seed, i, p->s.max);
	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	CHECK(st.msgs_sent == res->msgs && st.msgs_recv == res->msgs,
	      "%s: stats say %llu sent, %llu received; want %llu", cfg->name,
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.msgs_recv, (unsigned long long)res->msgs);
	CHECK(st.bytes_sent == res->bytes && st.bytes_recv == res->bytes,
	      "%s: stats say %llu bytes sent, %llu received; want %llu",
	      cfg->name, (unsigned long long)st.bytes_sent,
	      (unsigned long long)st.bytes_recv,
	      (unsigned long long)res->bytes);
	CHECK(st.used == 0 && st.broken == 0, "%s: %llu bytes left, broken %u",
	      cfg->name, (unsigned long long)st.used, st.broken);
	CHECK(st.producer == MMIPC_END_CLOSED &&
		      st.consumer == MMIPC_END_CLOSED,
	      "%s: ends %s and %s, want closed", cfg->name,
	      rg_end_name(st.producer), rg_end_name(st.consumer));
}

/*
 * thr_wakes - signals that found a sleeper on @e: every evc_signal() that
 * saw `waiters` != 0 bumped seq once, and so did each close (once per
 * direction, unconditionally). So after one close of the end that
 * signals @e, seq - 1 counts the futex wake-ups in that direction.
 */
static inline uint64_t thr_wakes(struct mmipc_evc *e)
{
	return (uint64_t)thr_load32(&e->seq) - 1;
}

/* Wake-ups in both directions of the ring in @r. */
static inline uint64_t thr_wakes_all(mmipc_region *r)
{
	return thr_wakes(&rg_ctl(r)->data) + thr_wakes(&rg_ctl(r)->space);
}

/* A side that waited @handoffs times for the other to sleep on @e, then
 * published, woke it each time. */
static inline void thr_check_wakes(const struct thr_cfg *cfg,
				   struct mmipc_evc *e, uint64_t handoffs,
				   const char *who)
{
	uint64_t w = thr_wakes(e);

	CHECK(w >= handoffs,
	      "%s: %llu wake-ups of the %s for %llu hand-offs: a publication "
	      "did not wake it", cfg->name, (unsigned long long)w, who,
	      (unsigned long long)handoffs);
}

/*
 * thr_pair - one stream as @cfg says on the ring in @r: a producer thread
 * and a consumer thread attach, the stream passes (every message checked:
 * length, content, order, once; then end-of-stream), both close. The
 * ends' reports come back in @p and @c. Returns the milliseconds it took.
 */
static inline double thr_pair(const struct thr_cfg *cfg, mmipc_region *r,
			      uint32_t seed, struct thr_end *p,
			      struct thr_end *c)
{
	pthread_t tp, tc;
	int64_t t0 = ru_now_ns();

	*p = (struct thr_end){ .cfg = cfg, .r = r };
	p->s = (struct rg_stream){ .seed = seed, .zc = cfg->zc,
				   .batch = cfg->batch, .more = cfg->more,
				   .timeout_ms = THR_CALL_MS };
	*c = *p;
	/* the consumer first half the time: either end may come first */
	if (seed & 1)
		thr_start(&tc, thr_consumer, c);
	thr_start(&tp, thr_producer, p);
	if (!(seed & 1))
		thr_start(&tc, thr_consumer, c);
	thr_join(tp);
	thr_join(tc);
	CHECK(c->done == p->done, "%s: %llu messages sent, %llu received",
	      cfg->name, (unsigned long long)p->done,
	      (unsigned long long)c->done);
	CHECK(p->done >= cfg->min_msgs, "%s: only %llu messages", cfg->name,
	      (unsigned long long)p->done);
	return (double)(ru_now_ns() - t0) / 1e6;
}

/*
 * thr_stream - thr_pair() on a fresh anon ring, then the stats and the
 * wake-ups: in each direction at least one per hand-off (a publication
 * that had to wake a sleeper did), none when both ends only spin. Prints
 * one line.
 */
static inline void thr_stream(const struct thr_cfg *cfg, uint32_t seed,
			      struct thr_result *res)
{
	struct thr_end p, c;
	mmipc_region *r = NULL;

	CHECK_RC(mmipc_ring_create(&r, "anon", cfg->cap, 0, 0), 0);
	res->ms = thr_pair(cfg, r, seed, &p, &c);
	res->msgs = p.done;
	res->handoffs = p.handoffs + c.handoffs;
	thr_check_stats(cfg, r, &p, res);
	res->wakes = thr_wakes_all(r);
	thr_check_wakes(cfg, &rg_ctl(r)->data, p.handoffs, "consumer");
	thr_check_wakes(cfg, &rg_ctl(r)->space, c.handoffs, "producer");
	CHECK(cfg->prod_wait != MMIPC_WAIT_SPIN ||
		      cfg->cons_wait != MMIPC_WAIT_SPIN || res->wakes == 0,
	      "%s: %llu wake-ups although both ends only spin", cfg->name,
	      (unsigned long long)res->wakes);
	CHECK_RC(mmipc_region_close(r), 0);
	printf("%-34s %8llu msgs %9.2f MB %6.0f ms %6.2f M/s  wakes %llu, "
	       "hand-offs %llu\n",
	       cfg->name, (unsigned long long)res->msgs,
	       (double)res->bytes / 1e6, res->ms,
	       res->ms > 0 ? (double)res->msgs / res->ms / 1e3 : 0.0,
	       (unsigned long long)res->wakes,
	       (unsigned long long)res->handoffs);
}

/* thr_seed - the run's seed: $MMIPC_SEED if set (to repeat a failure),
 * else from the pid; printed by the caller. */
static inline uint32_t thr_seed(void)
{
	const char *s = getenv("MMIPC_SEED");

	return s != NULL ? (uint32_t)strtoul(s, NULL, 0) : (uint32_t)getpid();
}

#endif /* MMIPC_TEST_THR_UTIL_H */
