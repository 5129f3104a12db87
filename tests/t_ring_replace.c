/*
 * t_ring_replace - a dead (or closed) end is replaced and the stream goes
 * on.
 *
 * Producers: one consumer process receives throughout while producer
 * incarnations 1..INCS come one after the other, each sending its own
 * numbered messages (incarnation id, seq 0, 1, ... and content derived
 * from both) and reporting after each send how many returned. Most are
 * killed with SIGKILL at a random moment, every third closes cleanly after
 * a fixed count. While one lives, another producer gets -EBUSY. The
 * consumer sees incarnations in order; within each, seqs from 0 with no
 * gap, no duplicate, content intact; and it gets every message whose send
 * returned (at most one more: the one being sent at the kill).
 *
 * Consumers: a producer sends 1..N and closes (a send that gets -EPIPE
 * while the dead consumer is not replaced yet is sent again). Consumer 1
 * receives (recv, peek/release, or batches: peek_batch/release_batch) and
 * reports each message (batch) after it returned; it is killed at a random moment (it stops taking a while
 * after the kill is due, so that it cannot drain the stream first); while
 * it lives another consumer gets -EBUSY. Consumer 2 attaches and receives until
 * end-of-stream. Consumer 1's reports are 1..k; consumer 2 starts at k+1
 * or k+2 (k+1 if consumer 1 was killed before it took its last message or
 * before it reported it) and goes on without a gap to N: nothing
 * delivered to both, nothing lost but that one (with batches: consumer 2
 * starts right after the last reported batch or right after the one
 * being released: a batch goes whole or not at all). And deterministically:
 * consumer 1 takes 1..4 (recv, or peek + release) and stops there, or
 * also peeks 5 without releasing it; either way consumer 2 gets 5 first
 * (a release is published at once, a peek is not a take).
 */
#include "ring_util.h"

#define INCS	   12
#define CLEAN_N	   3000
#define ROUNDS	   9
#define N	   100000

/* ---- numbered messages: [u64 incarnation][rg stream of (inc, seq)] ---- */

static size_t msg_len(uint32_t inc, uint64_t seq)
{
	return 16 + rg_len(inc, seq, 500);
}

static size_t msg_make(void *buf, uint32_t inc, uint64_t seq)
{
	uint64_t w = inc;
	size_t len = msg_len(inc, seq);

	memcpy(buf, &w, 8);
	rg_fill((char *)buf + 8, len - 8, inc, seq);
	return len;
}

/* Decodes a message; fails the test if it is not whole. */
static void msg_parse(const void *buf, size_t len, uint32_t *inc,
		      uint64_t *seq, const char *who)
{
	uint64_t w;

	CHECK(len >= 16, "%s: a message of %zu bytes", who, len);
	memcpy(&w, buf, 8);
	CHECK(w > 0 && w < UINT32_MAX, "%s: incarnation %llu", who,
	      (unsigned long long)w);
	*inc = (uint32_t)w;
	*seq = rg_seq_of((const char *)buf + 8, len - 8, *inc);
	CHECK(*seq < UINT64_C(1) << 40, "%s: seq %llu", who,
	      (unsigned long long)*seq);
	CHECK(len == msg_len(*inc, *seq), "%s: incarnation %u seq %llu has "
	      "%zu bytes, want %zu", who, *inc, (unsigned long long)*seq, len,
	      msg_len(*inc, *seq));
	CHECK(rg_check_msg((const char *)buf + 8, len - 8, *inc, *seq) ==
		      len - 8,
	      "%s: incarnation %u seq %llu corrupt", who, *inc,
	      (unsigned long long)*seq);
}

/* ---- producers replaced ---- */

struct pshared {
	uint64_t sent[INCS + 1];	/* producer i: sends that returned */
	uint64_t got[INCS + 1];		/* consumer: received, by inc. */
	uint64_t done;			/* the last producer closed */
	uint64_t attached[INCS + 1];
	uint64_t may_close[INCS + 1];	/* after the -EBUSY probe */
};

struct pctx {
	const char *addr;
	struct pshared *sh;
	uint32_t inc;
	bool clean;
};

static int inc_producer(void *arg)
{
	struct pctx *x = arg;
	mmipc_ring *p = NULL;
	char buf[600];
	uint64_t seq;

	CHECK_RC(mmipc_ring_open(&p, x->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	rg_store(&x->sh->attached[x->inc], 1);
	for (seq = 0; !x->clean || seq < CLEAN_N; seq++) {
		size_t len = msg_make(buf, x->inc, seq);

		CHECK_RC(mmipc_ring_send(p, buf, len, 0, 10000), 0);
		rg_store(&x->sh->sent[x->inc], seq + 1);
	}
	rg_await_at_least(&x->sh->may_close[x->inc], 1, 20000, "may close");
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

static int probe(void *arg)
{
	struct pctx *x = arg;
	mmipc_ring *ring = NULL;
	int role = x->inc == 0 ? MMIPC_ROLE_CONSUMER : MMIPC_ROLE_PRODUCER;

	CHECK_RC(mmipc_ring_open(&ring, x->addr, role, 0), -EBUSY);
	CHECK(ring == NULL, "a failed open set the handle");
	return 0;
}

static int inc_consumer(void *arg)
{
	struct pctx *x = arg;
	mmipc_ring *c = NULL;
	char buf[600];
	uint32_t cur = 0, inc;
	uint64_t next = 0, seq, ends = 0;
	size_t len;
	int rc;

	CHECK_RC(mmipc_ring_open(&c, x->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	for (;;) {
		uint64_t done = rg_load(&x->sh->done);

		rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 200);
		if (rc == 0 && done)
			break;
		if (rc == 0 || rc == -EPIPE || rc == -ETIMEDOUT) {
			ends += rc != -ETIMEDOUT;
			ru_sleep_ms(1);
			continue;
		}
		CHECK_RC(rc, 1);
		msg_parse(buf, len, &inc, &seq, "consumer");
		CHECK(inc >= cur && inc <= INCS,
		      "incarnation %u after %u: out of order", inc, cur);
		if (inc != cur) {
			CHECK(seq == 0, "incarnation %u starts at seq %llu",
			      inc, (unsigned long long)seq);
			cur = inc;
			next = 0;
		}
		CHECK(seq == next, "incarnation %u: seq %llu, want %llu (%s)",
		      inc, (unsigned long long)seq, (unsigned long long)next,
		      seq < next ? "duplicate" : "gap");
		next++;
		rg_store(&x->sh->got[inc], next);
	}
	CHECK_RC(mmipc_ring_close(c), 0);
	printf("consumer: %llu ends (end-of-stream or -EPIPE) seen\n",
	       (unsigned long long)ends);
	return 0;
}

static void producers(uint32_t seed)
{
	struct pshared *sh = rg_shared(sizeof(*sh));
	mmipc_region *r = NULL;
	struct pctx x, px;
	char addr[128];
	uint32_t i, killed = 0;
	pid_t cons, pid;

	srand(seed);
	rg_name(addr, sizeof(addr), "replp");
	CHECK_RC(mmipc_ring_create(&r, addr, 8192, 0, 0), 0);
	memset(&x, 0, sizeof(x));
	x.addr = addr;
	x.sh = sh;
	cons = rg_fork(inc_consumer, &x);
	for (i = 1; i <= INCS; i++) {
		x.inc = i;
		x.clean = i % 3 == 0 || i == INCS;
		pid = rg_fork(inc_producer, &x);
		rg_await_at_least(&sh->attached[i], 1, 10000, "attach");
		px = x;
		RG_WAIT_OK(rg_fork(probe, &px), "probe for -EBUSY (producer)");
		if (x.clean) {
			rg_store(&sh->may_close[i], 1);
			RG_WAIT_OK(pid, "producer");
		} else {
			ru_sleep_ms(rand() % 40);
			rg_kill(pid);
			killed++;
		}
	}
	rg_store(&sh->done, 1);
	RG_WAIT_OK(cons, "consumer");
	for (i = 1; i <= INCS; i++) {
		uint64_t s = rg_load(&sh->sent[i]), g = rg_load(&sh->got[i]);

		printf("  incarnation %2u: %6llu sent, %6llu received%s\n", i,
		       (unsigned long long)s, (unsigned long long)g,
		       i % 3 == 0 || i == INCS ? " (closed)" : " (killed)");
		CHECK(g >= s && g <= s + 1,
		      "incarnation %u: %llu sends returned, %llu received", i,
		      (unsigned long long)s, (unsigned long long)g);
		if (i % 3 == 0 || i == INCS)
			CHECK(g == CLEAN_N, "closed incarnation %u: %llu", i,
			      (unsigned long long)g);
	}
	printf("producers, seed %u: %u incarnations, %u killed\n", seed,
	       INCS, killed);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	munmap(sh, sizeof(*sh));
}

/* ---- consumers replaced ---- */

struct cshared {
	uint64_t reported;	/* consumer 1: messages reported */
	uint64_t last;		/* consumer 1: seq of the last reported */
	uint64_t bad;		/* consumer 1: reports out of order */
	uint64_t first2, last2, count2;	/* consumer 2 */
	uint64_t peeked;	/* deterministic case: consumer 1 peeked */
	uint64_t pend;		/* batch: last seq of the batch being
				 * released (stored before the release) */
};

struct cctx {
	const char *addr;
	struct cshared *sh;
	bool zc;
	bool batch;		/* consumer 1 takes batches */
	uint64_t n;
	uint64_t stop_at;	/* > 0: stop before taking this one, pause */
	bool hold;		/* and peek it first, without releasing it */
	uint64_t limit;		/* consumer 1 takes no more than this (it
				 * must not drain the stream before the kill) */
};

static int seq_producer(void *arg)
{
	struct cctx *x = arg;
	mmipc_ring *p = NULL;
	char buf[600];
	uint64_t seq;

	CHECK_RC(mmipc_ring_open(&p, x->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	for (seq = 1; seq <= x->n; seq++) {
		size_t len = msg_make(buf, 1, seq);
		int rc, tries = 0;

		/* -EPIPE while consumer 1 is dead and consumer 2 not there
		 * yet: the message was not sent; again once it is */
		while ((rc = mmipc_ring_send(p, buf, len, 0, 30000)) ==
			       -EPIPE &&
		       ++tries < 10000)
			ru_sleep_ms(1);
		CHECK_RC(rc, 0);
	}
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

/* Takes one message (recv, or peek + release); its seq. */
static uint64_t take(mmipc_ring *c, bool zc, const char *who)
{
	char buf[600];
	const void *p;
	uint32_t inc;
	uint64_t seq;
	size_t len;

	if (zc) {
		CHECK_RC(mmipc_ring_peek(c, &p, &len, 10000), 1);
		msg_parse(p, len, &inc, &seq, who);
		CHECK_RC(mmipc_ring_release(c), 0);
	} else {
		CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 10000), 1);
		msg_parse(buf, len, &inc, &seq, who);
	}
	return seq;
}

/* Consumer 1 taking batches: says which batch it releases before it
 * releases it (pend), and reports it after. */
static void consumer1_batch(mmipc_ring *c, struct cctx *x)
{
	struct mmipc_ring_msg v[32];
	uint64_t k = 0, seq;
	uint32_t inc;
	int n, i;

	for (;;) {
		if (k >= x->limit)
			for (;;)
				pause();
		n = mmipc_ring_peek_batch(c, v, 32, 10000);
		CHECK(n >= 1, "consumer 1: peek_batch %d (%s)", n,
		      mmipc_strerror(n));
		for (i = 0; i < n; i++) {
			msg_parse(v[i].data, v[i].len, &inc, &seq,
				  "consumer 1");
			if (seq != k + 1 + (uint64_t)i)
				rg_store(&x->sh->bad, 1);
		}
		rg_store(&x->sh->pend, seq);
		CHECK_RC(mmipc_ring_release_batch(c, n), 0);
		x->sh->last = seq;
		k += (uint64_t)n;
		rg_store(&x->sh->reported, k);
	}
}

static int consumer1(void *arg)
{
	struct cctx *x = arg;
	mmipc_ring *c = NULL;
	const void *p;
	uint64_t k, seq;
	uint32_t inc;
	size_t len;

	CHECK_RC(mmipc_ring_open(&c, x->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	if (x->batch)
		consumer1_batch(c, x);
	for (k = 0;; k++) {
		if (x->stop_at != 0 && k + 1 == x->stop_at) {
			seq = 1;
			if (x->hold) {
				CHECK_RC(mmipc_ring_peek(c, &p, &len, 10000),
					 1);
				msg_parse(p, len, &inc, &seq, "consumer 1");
			}
			rg_store(&x->sh->peeked, seq);
			for (;;)
				pause();
		}
		if (k == x->limit)
			for (;;)
				pause();
		seq = take(c, x->zc, "consumer 1");
		if (seq != k + 1)
			rg_store(&x->sh->bad, 1);
		x->sh->last = seq;
		rg_store(&x->sh->reported, k + 1);
	}
	return 1;
}

static int consumer2(void *arg)
{
	struct cctx *x = arg;
	mmipc_ring *c = NULL;
	char buf[600];
	uint64_t seq, next = 0, count = 0;
	uint32_t inc;
	size_t len;
	int rc;

	CHECK_RC(mmipc_ring_open(&c, x->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	for (;;) {
		rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 10000);
		if (rc == 0)
			break;
		CHECK_RC(rc, 1);
		msg_parse(buf, len, &inc, &seq, "consumer 2");
		if (count == 0)
			x->sh->first2 = seq;
		else
			CHECK(seq == next, "consumer 2: seq %llu after %llu",
			      (unsigned long long)seq,
			      (unsigned long long)(next - 1));
		next = seq + 1;
		count++;
	}
	x->sh->last2 = next - 1;
	x->sh->count2 = count;
	CHECK_RC(mmipc_ring_close(c), 0);
	return 0;
}

static void consumers(uint32_t seed, int mode, uint64_t stop_at, bool hold)
{
	struct cshared *sh = rg_shared(sizeof(*sh));
	mmipc_region *r = NULL;
	struct cctx x;
	struct pctx px;
	char addr[128];
	uint64_t k, target;
	pid_t prod, c1, c2;

	srand(seed);
	rg_name(addr, sizeof(addr), "replc");
	CHECK_RC(mmipc_ring_create(&r, addr, 16384, 0, 0), 0);
	memset(&x, 0, sizeof(x));
	x.addr = addr;
	x.sh = sh;
	x.zc = mode == 1;
	x.batch = mode == 2;
	x.n = N;
	x.stop_at = stop_at;
	x.hold = hold;
	target = stop_at ? stop_at - 1 : 1 + (uint64_t)rand() % (N / 2);
	x.limit = target + N / 4;
	prod = rg_fork(seq_producer, &x);
	c1 = rg_fork(consumer1, &x);
	rg_await_at_least(&sh->reported, target, 20000, "consumer 1");
	memset(&px, 0, sizeof(px));
	px.addr = addr;
	RG_WAIT_OK(rg_fork(probe, &px), "probe for -EBUSY (consumer)");
	if (stop_at)
		rg_await_at_least(&sh->peeked, 1, 10000, "consumer 1 peeks");
	else
		ru_sleep_ms(rand() % 3);
	rg_kill(c1);
	k = rg_load(&sh->reported);
	CHECK(!sh->bad, "consumer 1 saw messages out of order");
	CHECK(k == 0 || sh->last == k, "consumer 1: report %llu is seq %llu",
	      (unsigned long long)k, (unsigned long long)sh->last);
	c2 = rg_fork(consumer2, &x);
	RG_WAIT_OK(prod, "producer");
	RG_WAIT_OK(c2, "consumer 2");
	printf("consumers, seed %u (%s): consumer 1 reported 1..%llu%s, "
	       "consumer 2 got %llu..%llu\n",
	       seed, mode == 2 ? "batch" : mode == 1 ? "peek" : "recv",
	       (unsigned long long)k,
	       !stop_at ? "" : hold ? " and peeked the next" : " and stopped",
	       (unsigned long long)sh->first2, (unsigned long long)sh->last2);
	CHECK(sh->count2 > 0 && sh->last2 == N,
	      "consumer 2 got %llu messages, up to %llu of %d",
	      (unsigned long long)sh->count2, (unsigned long long)sh->last2, N);
	if (stop_at)
		CHECK(sh->first2 == stop_at,
		      "consumer 1 took 1..%llu%s; consumer 2 starts at %llu",
		      (unsigned long long)stop_at - 1,
		      hold ? " and peeked the next without releasing it" : "",
		      (unsigned long long)sh->first2);
	if (mode == 2) {
		/* the batch being released went whole, or not at all */
		uint64_t pend = rg_load(&sh->pend);

		CHECK(sh->first2 == k + 1 || (pend > k && sh->first2 == pend + 1),
		      "consumer 1 reported 1..%llu (releasing up to %llu), "
		      "consumer 2 starts at %llu",
		      (unsigned long long)k, (unsigned long long)pend,
		      (unsigned long long)sh->first2);
	} else {
		CHECK(sh->first2 == k + 1 || sh->first2 == k + 2,
		      "consumer 1 reported 1..%llu, consumer 2 starts at %llu "
		      "(%s)",
		      (unsigned long long)k, (unsigned long long)sh->first2,
		      sh->first2 <= k ? "delivered twice" : "lost");
	}
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	munmap(sh, sizeof(*sh));
}

int main(int argc, char **argv)
{
	uint32_t seed = argc > 1 ? (uint32_t)atoi(argv[1])
				 : (uint32_t)getpid();
	uint32_t i;

	rg_init(110);
	printf("seed %u\n", seed);
	producers(seed);
	producers(seed + 1);
	for (i = 0; i < ROUNDS; i++)
		consumers(seed + i, i % 3, 0, false);
	consumers(seed, 0, 5, false);
	consumers(seed, 1, 5, false);
	consumers(seed, 0, 5, true);
	consumers(seed, 1, 5, true);
	return T_PASS;
}
