/*
 * producer.c - the producer role of mmipc-torture. It sends the stream of
 * torture.h from where the last producer left it (p_tried), each message
 * by a randomly chosen way: copying send or reserve/commit, published at
 * once or held back with MMIPC_RING_MORE and flushed later. Before the
 * call that may publish seq S it records p_tried = S + 1; once everything
 * committed is known to be published it records p_conf.
 *
 * The parent aims kills at the phases it announces: half-way through
 * writing a reservation, between reserve and commit, after a MORE commit
 * before the flush, inside the calls (self-kill timer), blocked on a full
 * ring, and while detaching or attaching.
 */
#include "torture.h"

struct prod {
	struct tt_child c;
	uint64_t next;		/* next seq to send; all below committed */
	size_t max;		/* the largest message we send */
	unsigned char *tmp;	/* the message being sent */
	bool pending;		/* MORE commits not known to be published */
};

/* What the parent's orders force on the next message (-1: free choice). */
struct how {
	bool zc;
	bool more;
	bool flush;
};

static void pick_how(struct prod *p, struct how *h)
{
	struct tt_child *c = &p->c;
	uint64_t arm = rg_load(&c->me->arm), tm = rg_load(&c->me->timer);
	uint64_t r = tt_range(&c->rng, 0, 99);

	h->zc = r < 50;
	h->more = (r % 4) == 0;
	h->flush = tt_range(&c->rng, 0, 2) == 0;
	if (arm == PH_RESV_HALF || arm == PH_RESV_FULL || tm == PH_COMMIT)
		h->zc = true;
	if (tm == PH_SEND)
		h->zc = false;
	if (arm == PH_MORE)
		h->more = true;
	if (arm == PH_FLUSH || tm == PH_FLUSH)
		h->more = h->flush = true;
}

/* Everything committed so far is published: say so. */
static void confirm(struct prod *p)
{
	p->pending = false;
	rg_store(&p->c.L->p_conf, p->next);
}

static void flush_pending(struct prod *p)
{
	int rc;

	if (!p->pending)
		return;
	tt_phase(&p->c, PH_FLUSH);
	rc = mmipc_ring_flush(p->c.ring);
	if (rc < 0) {
		tt_failf(p->c.L, "%s: flush: %s", p->c.who, mmipc_strerror(rc));
		exit(T_FAIL);
	}
	confirm(p);
}

/*
 * A reservation we then replace (the API says a second reserve replaces
 * the first): it holds a well-formed message whose seq is never sent, so
 * if it ever reached the consumer it would be reported as such.
 */
static int decoy(struct prod *p, int to)
{
	void *b;
	size_t len = TT_HDR + 16;
	int rc = mmipc_ring_reserve(p->c.ring, len, &b, to);

	uint64_t seq = p->next + (UINT64_C(1) << 40);

	if (rc == 0)
		tt_msg_fill(p->c.L, b, len, p->c.me->inc, seq,
			    tt_msg_followers(p->c.L, seq));
	return rc;
}

static int put_zc(struct prod *p, size_t len, unsigned flags)
{
	struct tt_child *c = &p->c;
	int to = tt_timeout(c), rc;
	uint64_t t0 = tt_now();
	size_t extra = 0;
	void *b;

	if (tt_range(&c->rng, 0, 9) == 0)
		extra = (size_t)tt_range(&c->rng, 1, 64);
	if (len + extra > p->max)
		extra = 0;
	tt_phase(c, PH_CALL);
	rc = tt_range(&c->rng, 0, 19) == 0 ? decoy(p, to) : 0;
	if (rc == 0)
		rc = mmipc_ring_reserve(c->ring, len + extra, &b, to);
	tt_check_time(c, "reserve", to, t0);
	tt_phase(c, PH_IDLE);
	if (rc < 0)
		return rc;
	memcpy(b, p->tmp, len / 2);
	tt_phase(c, PH_RESV_HALF);
	memcpy((char *)b + len / 2, p->tmp + len / 2, len - len / 2);
	tt_phase(c, PH_RESV_FULL);
	tt_phase(c, PH_COMMIT);
	rc = mmipc_ring_commit(c->ring, len, flags);
	if (rc < 0) {
		tt_failf(c->L, "%s: commit of %zu bytes: %s", c->who, len,
			 mmipc_strerror(rc));
		exit(T_FAIL);
	}
	return 0;
}

static int put_copy(struct prod *p, size_t len, unsigned flags)
{
	struct tt_child *c = &p->c;
	int to = tt_timeout(c), rc;
	uint64_t t0;

	tt_phase(c, PH_SEND);
	tt_phase(c, PH_CALL);
	t0 = tt_now();
	rc = mmipc_ring_send(c->ring, p->tmp, len, flags, to);
	tt_check_time(c, "send", to, t0);
	tt_phase(c, PH_IDLE);
	return rc;
}

/*
 * send_rec - send seq @seq: headered announcing @fnum followers (@j 0),
 * or follower @j. Returns 0, or the call's error (nothing was sent).
 */
static int send_rec(struct prod *p, uint64_t seq, unsigned j, unsigned fnum)
{
	struct tt_ledger *L = p->c.L;
	uint64_t inc = p->c.me->inc;
	struct how h;
	size_t len;
	int rc;

	if (j == 0) {
		len = tt_msg_len(L, seq, p->max);
		tt_msg_fill(L, p->tmp, len, inc, seq, fnum);
	} else {
		len = tt_follower_len(L, seq, j);
		tt_follower_fill(L, p->tmp, len, seq);
	}
	pick_how(p, &h);
	if (seq + 1 > L->p_tried)
		rg_store(&L->p_tried, seq + 1);
	rc = h.zc ? put_zc(p, len, h.more ? MMIPC_RING_MORE : 0)
		  : put_copy(p, len, h.more ? MMIPC_RING_MORE : 0);
	if (rc < 0)
		return rc;
	p->next = seq + 1;
	if (!h.more) {
		confirm(p);
		return 0;
	}
	p->pending = true;
	tt_phase(&p->c, PH_MORE);
	if (h.flush)
		flush_pending(p);
	return 0;
}

/* What a failed send means: the consumer is gone (noticed), or just not
 * now; anything else is a failure. */
static void on_error(struct prod *p, int rc)
{
	if (rc == -EPIPE) {
		tt_notice(&p->c);
		tt_sleep_us(500);
	} else if (rc == -EAGAIN) {
		tt_sleep_us(50);
	} else if (rc == -ETIMEDOUT) {
		tt_add(&p->c.L->timeouts, 1);
	} else {
		tt_failf(p->c.L, "%s: send of seq %llu: %s", p->c.who,
			 (unsigned long long)p->next, mmipc_strerror(rc));
		exit(T_FAIL);
	}
}

/* One headered message and its followers (retried until they are out:
 * a follower belongs right after its message). */
static void step(struct prod *p)
{
	uint64_t seq = p->next;
	unsigned f = tt_msg_followers(p->c.L, seq), j;
	int rc = send_rec(p, seq, 0, f);

	if (rc < 0) {
		on_error(p, rc);
		return;
	}
	for (j = 1; j <= f; j++) {
		while ((rc = send_rec(p, seq + j, j, f)) < 0) {
			on_error(p, rc);
			tt_tick(&p->c);
		}
	}
}

/* Detach and attach again: the close publishes what MORE held back. */
static void cycle(struct prod *p)
{
	tt_detach(&p->c);
	confirm(p);
	tt_attach(&p->c);
	rg_store(&p->c.me->cycles, p->c.me->cycles + 1);
	rg_store(&p->c.me->cycle, 0);
}

int tt_producer_main(int fd)
{
	struct prod p = { .pending = false };

	tt_child_init(&p.c, fd, TT_PROD);
	p.next = rg_load(&p.c.L->p_tried);
	tt_attach(&p.c);
	p.max = mmipc_ring_max_msg(p.c.ring);
	p.max = p.max < TT_MAX_MSG ? p.max : TT_MAX_MSG;
	p.tmp = malloc(p.max);
	CHECK(p.tmp != NULL, "malloc");
	for (;;) {
		tt_tick(&p.c);
		if (rg_load(&p.c.me->finish))
			break;
		if (rg_load(&p.c.me->cycle)) {
			cycle(&p);
		} else if (rg_load(&p.c.me->hold)) {
			flush_pending(&p); /* let the consumer drain it all */
			tt_hold(&p.c);
		} else {
			tt_hold(&p.c);
			step(&p);
		}
	}
	tt_detach(&p.c);
	confirm(&p);
	free(p.tmp);
	return T_PASS;
}
