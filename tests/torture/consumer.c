/*
 * consumer.c - the consumer role of mmipc-torture. It takes the stream by
 * a randomly chosen way (copying recv, peek/release, peek_batch/
 * release_batch, part of a batch) and judges every message against the
 * ledger (torture.h):
 *
 *  - whole: a headered message's checksum and every byte; a follower's
 *    length and every byte;
 *  - in order, once: its seq is above the last one taken, and its
 *    producer incarnation is not older;
 *  - really sent: its seq is below p_tried;
 *  - nothing lost: every seq skipped since the last one taken is a
 *    "maybe" seq of a dead producer, except that a consumer killed inside
 *    a copying recv may have taken (and lost) one message for good;
 *  - after a consumer died between peek and release (or inside release),
 *    its replacement gets those messages again (or, for a release that
 *    went through, what follows them) - never a message that was
 *    released, never skipping one that was not.
 */
#include "torture.h"

struct cons {
	struct tt_child c;
	uint64_t st;		/* the state word as it is stored now */
	bool resolve;		/* st is a dead consumer's RELEASING: our
				 * first message tells which way it went */
	uint64_t peek_hi0;	/* the highest seq consumers before us peeked */
	unsigned char *buf;	/* for recv */
};

/*
 * The seq of follower message (@p, @len) after ctx @c, trying the next
 * @budget + 1 seqs (a killed recv may have taken some), or 0. Its length
 * says which follower it is (j); its headered message h = seq - j is the
 * one we know (c->fbase), or one lost in the gap. Its bytes say its seq.
 */
static uint64_t follower_seq(struct cons *k, const struct tt_ctx *c,
			     uint64_t budget, const void *p, size_t len)
{
	unsigned j = len < 12 ? 1 : 2;
	uint64_t d, s, h;

	for (d = 0; d <= budget; d++) {
		s = c->last + 1 + d;
		h = s - j;
		if (h == 0 || (h != c->fbase && h <= c->last) ||
		    tt_msg_followers(k->c.L, h) < j)
			continue;
		if (tt_follower_len(k->c.L, s, j) == len &&
		    tt_follower_ok(k->c.L, p, len, s))
			return s;
	}
	return 0;
}

/* Reads the message itself: its seq, and the ctx it leads to in *n. */
static int identify(struct cons *k, const struct tt_ctx *c, uint64_t budget,
		    const void *p, size_t len, struct tt_ctx *n, char *why,
		    size_t wn)
{
	struct tt_msg m;
	uint64_t s;

	*n = *c;
	if (len < TT_HDR) {
		s = follower_seq(k, c, budget, p, len);
		if (s == 0) {
			snprintf(why, wn, "a %zu-byte message after seq %llu "
				 "(of %llu, which announced %llu) is none of "
				 "the followers announced", len,
				 (unsigned long long)c->last,
				 (unsigned long long)c->fbase,
				 (unsigned long long)c->fnum);
			return -1;
		}
		n->last = s;
		if (s - (len < 12 ? 1 : 2) != c->fbase) { /* its head was lost */
			n->fbase = s - (len < 12 ? 1 : 2);
			n->fnum = tt_msg_followers(k->c.L, n->fbase);
		}
		return 0;
	}
	if (tt_msg_parse(k->c.L, p, len, &m, why, wn) < 0)
		return -1;
	n->last = n->fbase = m.seq;
	n->inc = m.inc;
	n->fnum = m.fnum;
	if (m.inc < c->inc) {
		snprintf(why, wn, "seq %llu from producer %llu came after one "
			 "from producer %llu", (unsigned long long)m.seq,
			 (unsigned long long)m.inc, (unsigned long long)c->inc);
		return -1;
	}
	return 0;
}

/*
 * judge - may message (@p, @len) come next after ctx @c, given that up to
 * @budget messages may have been lost in a killed recv? Returns how many
 * were lost (>= 0) with the ctx it leads to in *@n, or -1 with @why (*@n
 * then still says where the stream seems to be, to go on from).
 */
static int judge(struct cons *k, const struct tt_ctx *c, uint64_t budget,
		 const void *p, size_t len, struct tt_ctx *n, char *why,
		 size_t wn)
{
	struct tt_ledger *L = k->c.L;
	uint64_t seq, lost, tried;

	if (identify(k, c, budget, p, len, n, why, wn) < 0)
		return -1;
	seq = n->last;
	tried = rg_load(&L->p_tried);
	lost = tt_confirmed_in_gap(L, c->last, seq);
	if (seq <= c->last)
		snprintf(why, wn, "seq %llu came after seq %llu: delivered "
			 "twice or out of order", (unsigned long long)seq,
			 (unsigned long long)c->last);
	else if (seq >= tried)
		snprintf(why, wn, "seq %llu was never sent (tried up to %llu)",
			 (unsigned long long)seq, (unsigned long long)tried);
	else if (lost > budget)
		snprintf(why, wn, "%llu message(s) reported as sent are "
			 "missing between seq %llu and seq %llu",
			 (unsigned long long)lost, (unsigned long long)c->last,
			 (unsigned long long)seq);
	else
		return (int)lost;
	return -1;
}

static void judge_fail(struct cons *k, const char *how, const char *why)
{
	tt_failf(k->c.L, "%s: %s: %s", k->c.who, how, why);
}

/*
 * judge_first - judge the first message of a take. Normally against
 * ctx[a]. But if a consumer died releasing (state RELEASING|a|b), either
 * its release did not happen - then this is ctx[b].lo again - or it did,
 * and this must follow ctx[b]. *@from gets the ctx it was judged by.
 */
static int judge_first(struct cons *k, const void *p, size_t len,
		       struct tt_ctx *n, unsigned *from)
{
	struct tt_ledger *L = k->c.L;
	unsigned a = CS_A(k->st), b = CS_B(k->st);
	char why[TT_FAIL_LEN / 2], why2[TT_FAIL_LEN / 2];
	int r;

	*from = a;
	r = judge(k, &L->ctx[a], CS_BUDGET(k->st), p, len, n, why,
		  sizeof(why));
	if (!k->resolve) {
		if (r < 0)
			judge_fail(k, "take", why);
		return r;
	}
	if (r >= 0 && n->last == L->ctx[b].lo)
		return r;	/* the dead one's release did not happen */
	*from = b;
	r = judge(k, &L->ctx[b], 0, p, len, n, why2, sizeof(why2));
	if (r < 0)
		tt_failf(L, "%s: after a consumer died releasing seqs "
			 "%llu..%llu: neither again (%s) nor after them (%s)",
			 k->c.who, (unsigned long long)L->ctx[b].lo,
			 (unsigned long long)L->ctx[b].hi, why, why2);
	return r;
}

/* Counts a take in the run's figures. */
static void count_take(struct cons *k, const struct tt_ctx *n, int msgs,
		       uint64_t bytes)
{
	struct tt_ledger *L = k->c.L;

	if (n->lo <= k->peek_hi0)
		tt_add(&L->redelivered,
		       (k->peek_hi0 < n->hi ? k->peek_hi0 : n->hi) - n->lo + 1);
	tt_add(&L->checked, (uint64_t)msgs);
	tt_add(&L->bytes, bytes);
	rg_store(&L->c_inc, n->inc);
	rg_store(&k->c.me->taken, k->c.me->taken + (uint64_t)msgs);
}

/*
 * record_release - release @count peeked messages, which lead from
 * ctx[@from] to *@n, with the ledger consistent at every step: *@n goes
 * into a slot the stored state does not name, then RELEASING, then the
 * release, then IDLE on the new slot.
 */
static void record_release(struct cons *k, unsigned from,
			   const struct tt_ctx *n, int count, bool batch)
{
	struct tt_ledger *L = k->c.L;
	unsigned a = CS_A(k->st), b = CS_B(k->st), slot = 0;
	uint64_t budget = from == a ? CS_BUDGET(k->st) : 0;
	int rc;

	while (slot == a || slot == b)
		slot++;
	L->ctx[slot] = *n;
	rg_store(&L->c_state, CS_WORD(CS_RELEASING, from, slot, budget));
	tt_phase(&k->c, PH_RELEASE);
	rc = batch ? mmipc_ring_release_batch(k->c.ring, count)
		   : mmipc_ring_release(k->c.ring);
	if (rc < 0) {
		tt_failf(L, "%s: release of %d: %s", k->c.who, count,
			 mmipc_strerror(rc));
		exit(T_FAIL);
	}
	k->st = CS_WORD(CS_IDLE, slot, slot, 0);
	rg_store(&L->c_state, k->st);
	k->resolve = false;
	tt_phase(&k->c, PH_IDLE);
}

/* Judges the first @take messages of @v: the ctx they lead to in *@n. */
static void judge_batch(struct cons *k, const struct mmipc_ring_msg *v,
			int take, struct tt_ctx *n, unsigned *from,
			uint64_t *bytes)
{
	char why[TT_FAIL_LEN / 2];
	struct tt_ctx c;
	int i, lost = judge_first(k, v[0].data, v[0].len, n, from);

	if (lost > 0) /* a killed recv took them: counted, allowed */
		tt_add(&k->c.L->lost_recv, (uint64_t)lost);
	n->lo = n->last;
	*bytes = v[0].len;
	for (i = 1; i < take; i++) {
		c = *n;
		if (judge(k, &c, 0, v[i].data, v[i].len, n, why,
			  sizeof(why)) < 0)
			judge_fail(k, "take (batch)", why);
		n->lo = c.lo;
		*bytes += v[i].len;
	}
	n->hi = n->last;
}

/* One take by peek (@batch: peek_batch, some of it): 1, or the result. */
static int take_peek(struct cons *k, int to, bool batch)
{
	struct mmipc_ring_msg v[16];
	struct tt_ctx n;
	unsigned from;
	uint64_t bytes, t0 = tt_now();
	int got, take;

	tt_phase(&k->c, PH_CALL);
	if (batch)
		got = mmipc_ring_peek_batch(k->c.ring, v,
					    (int)tt_range(&k->c.rng, 1, 16), to);
	else
		got = mmipc_ring_peek(k->c.ring, &v[0].data, &v[0].len, to);
	tt_check_time(&k->c, batch ? "peek_batch" : "peek", to, t0);
	tt_phase(&k->c, PH_IDLE);
	if (got <= 0)
		return got;
	take = batch && tt_range(&k->c.rng, 0, 3) == 0
		       ? (int)tt_range(&k->c.rng, 1, (uint64_t)got)
		       : got;
	judge_batch(k, v, take, &n, &from, &bytes);
	if (n.hi > k->c.L->c_peek_hi)
		rg_store(&k->c.L->c_peek_hi, n.hi);
	tt_phase(&k->c, batch ? PH_BATCH : PH_PEEKED);
	record_release(k, from, &n, take, batch);
	count_take(k, &n, take, bytes);
	return 1;
}

/*
 * One take by copying recv. It releases inside, so a kill in it (or just
 * after it) loses that message for good, as the API allows: RECV with
 * one more in the budget says so before the call.
 */
static int take_recv(struct cons *k, int to)
{
	struct tt_ledger *L = k->c.L;
	uint64_t old = k->st, budget = CS_BUDGET(old) + 1, t0;
	unsigned a = CS_A(old), slot = (a + 1) % 3;
	size_t len = 0, size = tt_range(&k->c.rng, 0, 19) == 0
				       ? (size_t)tt_range(&k->c.rng, 0, 64)
				       : TT_MAX_MSG;
	char why[TT_FAIL_LEN / 2];
	struct tt_ctx n;
	int rc, lost;

	rg_store(&L->c_state, CS_WORD(CS_RECV, a, a, budget));
	tt_phase(&k->c, PH_RECV);
	tt_phase(&k->c, PH_CALL);
	t0 = tt_now();
	rc = mmipc_ring_recv(k->c.ring, k->buf, size, &len, to);
	tt_check_time(&k->c, "recv", to, t0);
	tt_phase(&k->c, PH_IDLE);
	if (rc != 1) {
		rg_store(&L->c_state, old); /* nothing was taken */
		if (rc == -EMSGSIZE && len <= size)
			tt_failf(L, "%s: recv: -EMSGSIZE for %zu bytes into %zu",
				 k->c.who, len, size);
		/* too big for the buffer: it stays, the next peek gets it */
		return rc == -EMSGSIZE ? take_peek(k, to, false) : rc;
	}
	lost = judge(k, &L->ctx[a], budget, k->buf, len, &n, why, sizeof(why));
	if (lost < 0)
		judge_fail(k, "recv", why);
	else
		tt_add(&L->lost_recv, (uint64_t)lost);
	n.lo = n.hi = n.last;
	L->ctx[slot] = n;
	k->st = CS_WORD(CS_IDLE, slot, slot, 0);
	rg_store(&L->c_state, k->st);
	count_take(k, &n, 1, len);
	return 1;
}

/* One take, by a way chosen at random or by the parent's orders. */
static int take(struct cons *k)
{
	uint64_t arm = rg_load(&k->c.me->arm), tm = rg_load(&k->c.me->timer);
	uint64_t r = tt_range(&k->c.rng, 0, 99);
	int to = tt_timeout(&k->c);

	if (arm == PH_PEEKED)
		r = 50;
	else if (arm == PH_BATCH)
		r = 99;
	else if (tm == PH_RECV)
		r = 0;
	else if (tm == PH_RELEASE && r < 30)
		r = 50;
	if (r < 30 && !k->resolve)
		return take_recv(k, to);
	return take_peek(k, to, r >= 70);
}

/*
 * The end: the producer closed for good and everything was read. Every
 * seq it reported as sent must have come, but for what killed recvs may
 * have lost.
 */
static void final_check(struct cons *k)
{
	struct tt_ledger *L = k->c.L;
	/* a dead one's RELEASING: nothing came again, so it went through */
	unsigned at = k->resolve ? CS_B(k->st) : CS_A(k->st);
	uint64_t budget = k->resolve ? 0 : CS_BUDGET(k->st);
	uint64_t conf = rg_load(&L->p_conf), last = L->ctx[at].last;
	uint64_t lost = tt_confirmed_in_gap(L, last, conf);

	if (lost > budget)
		tt_failf(L, "%s: end-of-stream after seq %llu, but %llu "
			 "message(s) reported as sent below seq %llu never "
			 "came", k->c.who, (unsigned long long)last,
			 (unsigned long long)lost, (unsigned long long)conf);
	else
		tt_add(&L->lost_recv, lost);
}

/* Handles a take's result other than a message; true at the very end. */
static bool on_result(struct cons *k, int rc)
{
	if (rc == 0 || rc == -EPIPE) {
		tt_notice(&k->c);
		if (rc == 0 && rg_load(&k->c.me->finish)) {
			final_check(k);
			return true;
		}
		tt_sleep_us(500); /* until a new producer comes */
	} else if (rc == -EAGAIN) {
		tt_sleep_us(50);
	} else if (rc == -ETIMEDOUT) {
		tt_add(&k->c.L->timeouts, 1);
	} else {
		tt_failf(k->c.L, "%s: take: %s", k->c.who, mmipc_strerror(rc));
		exit(T_FAIL);
	}
	return false;
}

int tt_consumer_main(int fd)
{
	struct cons k;
	int rc;

	tt_child_init(&k.c, fd, TT_CONS);
	k.st = rg_load(&k.c.L->c_state);
	k.resolve = CS_KIND(k.st) == CS_RELEASING;
	k.peek_hi0 = rg_load(&k.c.L->c_peek_hi);
	k.buf = malloc(TT_MAX_MSG);
	CHECK(k.buf != NULL, "malloc");
	tt_attach(&k.c);
	for (;;) {
		tt_tick(&k.c);
		if (rg_load(&k.c.me->cycle)) {
			tt_cycle(&k.c);
			continue;
		}
		if (tt_hold(&k.c))
			continue;
		rc = take(&k);
		if (rc != 1 && on_result(&k, rc))
			break;
	}
	tt_detach(&k.c);
	free(k.buf);
	return T_PASS;
}
