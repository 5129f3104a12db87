/*
 * ring.c - the ring channel, setup side: create, attach, close, settings
 * and statistics. The data path (reserve/commit, peek/release, waiting) is
 * in ring_io.c; the shared format in layout.h (struct mmipc_ring_ctl).
 *
 * Ends. Each end of the ring is one word in the control block (prod_end,
 * cons_end): a state (none, attached, closed), the peer slot of the process
 * holding it, and a generation. A process takes an end by compare-and-swap,
 * and only from a state in which nobody live holds it: never attached,
 * closed, or attached by a process that is dead. So there is at most one
 * producer and one consumer, a crashed one can be replaced, and the other
 * side learns of a close by a load (of a line that changes only at attach
 * and close) and of a death by asking the peer table, which it does only
 * when it is about to sleep.
 */
#include <stdlib.h>
#include <string.h>

#include "ring_int.h"

#define DEFAULT_SPIN_NS 20000u

static bool is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

int mmipc_ring_create(mmipc_region **out, const char *addr,
		      uint64_t capacity, unsigned mode, unsigned flags)
{
	uint64_t params[4] = { capacity, 0, 0, 0 };

	if (flags != 0 || !is_pow2(capacity) ||
	    capacity < MMIPC_RING_MIN_CAPACITY ||
	    capacity > MMIPC_RING_MAX_CAPACITY)
		return -EINVAL;
	/* a fresh region is zero: head = tail = 0, both ends "none" */
	return region_create(out, addr, MMIPC_KIND_RING, capacity, mode,
			     params, NULL, NULL);
}

/* The ring's geometry from a validated region, or an error. */
static int ring_geometry(const struct mmipc_region *r, uint64_t *cap)
{
	if (r->hdr == NULL || r->kind != MMIPC_KIND_RING)
		return -MMIPC_EKIND;
	*cap = READ_ONCE(r->hdr->params[0]);
	/* data_size was validated against the file: the capacity must be
	 * exactly that, so every masked position lies inside the mapping */
	if (!is_pow2(*cap) || *cap < MMIPC_RING_MIN_CAPACITY ||
	    *cap > MMIPC_RING_MAX_CAPACITY || *cap != r->data_size)
		return -EBADMSG;
	return 0;
}

static struct mmipc_ring_ctl *ring_ctl(const struct mmipc_region *r)
{
	return (struct mmipc_ring_ctl *)((char *)r->base + MMIPC_RING_CTL_OFF);
}

void ring_mark_broken(struct mmipc_ring *ring)
{
	ring->broken = true;
	WRITE_ONCE(ring->ctl->broken, 1);
	/* whoever sleeps on either side wakes, sees broken, gives up */
	evc_signal_all(&ring->ctl->data);
	evc_signal_all(&ring->ctl->space);
}

static uint32_t *peer_end_word(struct mmipc_ring *ring)
{
	return ring->role == MMIPC_ROLE_PRODUCER ? &ring->ctl->cons_end
						 : &ring->ctl->prod_end;
}

/*
 * ring_peer_end - the state of the other end: MMIPC_END_NONE, _ATTACHED,
 * _CLOSED, or (with @check_alive, which costs a read of /proc) _DEAD; or
 * -EBADMSG for a word no version of us writes.
 */
int ring_peer_end(struct mmipc_ring *ring, bool check_alive)
{
	uint32_t other = ring->role == MMIPC_ROLE_PRODUCER
				 ? MMIPC_ROLE_CONSUMER
				 : MMIPC_ROLE_PRODUCER;
	/* acquire: pairs with the release CAS of close; a closed end comes
	 * with the final head (or tail) visible */
	uint32_t e = __atomic_load_n(peer_end_word(ring), __ATOMIC_ACQUIRE);
	uint32_t st = RING_END_STATE(e);

	if (ring->has_stale && e == ring->stale_end)
		return MMIPC_END_NONE; /* gone before we came: not yet come */
	if (st > MMIPC_END_CLOSED)
		return ring_fail(ring);
	if (st == MMIPC_END_ATTACHED && check_alive &&
	    peer_alive(ring->region, RING_END_SLOT(e), other) == 0)
		return MMIPC_END_DEAD;
	return (int)st;
}

/* Takes our end: from none, closed, or a holder that is dead. */
static int take_end(struct mmipc_ring *ring)
{
	uint32_t *w = ring->role == MMIPC_ROLE_PRODUCER ? &ring->ctl->prod_end
							: &ring->ctl->cons_end;
	uint32_t e = __atomic_load_n(w, __ATOMIC_ACQUIRE);

	for (;;) {
		uint32_t st = RING_END_STATE(e), mine;

		/* an end naming OUR slot has no holder: we could claim the
		 * slot only because it was free or its process dead */
		if (st == MMIPC_END_ATTACHED && RING_END_SLOT(e) != ring->slot &&
		    peer_alive(ring->region, RING_END_SLOT(e), ring->role) != 0)
			return -EBUSY;
		mine = RING_END(MMIPC_END_ATTACHED, ring->slot,
				RING_END_GEN(e) + 1);
		/* acq_rel: we see what the previous holder left (acquire) and
		 * our attach is ordered before anything we do next */
		if (__atomic_compare_exchange_n(w, &e, mine, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			ring->end = mine;
			return 0;
		}
	}
}

/* Picks up the stream where the previous holder of our end left it. */
static int resume(struct mmipc_ring *ring)
{
	struct mmipc_ring_ctl *c = ring->ctl;
	uint64_t head = __atomic_load_n(&c->head, __ATOMIC_ACQUIRE);
	uint64_t tail = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);

	if (head - tail > ring->cap || (head & 7) != 0 || (tail & 7) != 0)
		return ring_fail(ring);
	ring->head = ring->head_pub = head;
	ring->tail_cache = tail;
	ring->tail = ring->tail_pub = tail;
	ring->head_cache = head;
	ring->resv_len = RING_NONE;
	ring->peek_len = RING_NONE;
	ring->batch_n = 0;
	if (ring->role == MMIPC_ROLE_PRODUCER) {
		ring->msgs = READ_ONCE(c->msgs_sent);
		ring->bytes = READ_ONCE(c->bytes_sent);
		/* only the producer sleeps on "space": a dead predecessor's
		 * announcement would cost the consumer a wake per release */
		WRITE_ONCE(c->space.waiters, 0);
	} else {
		ring->msgs = READ_ONCE(c->msgs_recv);
		ring->bytes = READ_ONCE(c->bytes_recv);
		WRITE_ONCE(c->data.waiters, 0);
	}
	return 0;
}

/*
 * A peer that closed or died before we attached is no peer of ours: we
 * treat its end as "none yet", as a FIFO opened after the last writer left
 * waits for the next one. So a ring carries one stream after another: a
 * producer that comes after the consumer left waits for a new consumer
 * (no -EPIPE), and a consumer that comes after the producer left waits for
 * a new producer (no end-of-stream) - unless the old producer left data in
 * the ring, which this consumer then drains before it gets end-of-stream
 * (or -EPIPE for a producer that died).
 */
static void note_stale_peer(struct mmipc_ring *ring)
{
	uint32_t e = __atomic_load_n(peer_end_word(ring), __ATOMIC_ACQUIRE);
	int st = ring_peer_end(ring, true);

	if (st != MMIPC_END_CLOSED && st != MMIPC_END_DEAD)
		return;
	if (ring->role == MMIPC_ROLE_CONSUMER && ring->head_cache != ring->tail)
		return; /* the old stream is ours to drain */
	ring->stale_end = e;
	ring->has_stale = true;
}

int mmipc_ring_attach(mmipc_ring **out, mmipc_region *region, int role,
		      unsigned flags)
{
	struct mmipc_ring *ring;
	uint64_t cap;
	int rc;

	if (out == NULL || region == NULL || flags != 0 ||
	    (role != MMIPC_ROLE_PRODUCER && role != MMIPC_ROLE_CONSUMER))
		return -EINVAL;
	if (region->flags & MMIPC_F_RDONLY)
		return -EBADF;
	rc = ring_geometry(region, &cap);
	if (rc < 0)
		return rc;
	ring = calloc(1, sizeof(*ring));
	if (ring == NULL)
		return -ENOMEM;
	ring->region = region;
	ring->ctl = ring_ctl(region);
	ring->data = mmipc_region_data(region);
	ring->cap = cap;
	ring->mask = cap - 1;
	ring->max_msg = cap - REC_HDR;
	ring->role = (uint32_t)role;
	ring->spin_ns = ring->spin_now = DEFAULT_SPIN_NS;
	if (READ_ONCE(ring->ctl->broken) != 0) {
		rc = -EBADMSG;
		goto out_free;
	}
	rc = peer_attach(region, ring->role, &ring->slot, &ring->slot_word);
	if (rc < 0)
		goto out_free;
	rc = take_end(ring);
	if (rc == 0)
		rc = resume(ring);
	if (rc < 0)
		goto out_detach;
	note_stale_peer(ring);
	*out = ring;
	return 0;

out_detach:
	peer_detach(region, ring->slot, ring->slot_word);
out_free:
	free(ring);
	return rc;
}

int mmipc_ring_open(mmipc_ring **out, const char *addr, int role,
		    unsigned flags)
{
	mmipc_region *r;
	int rc;

	if (out == NULL || (flags & MMIPC_F_RDONLY))
		return -EINVAL;
	rc = mmipc_region_open(&r, addr, MMIPC_KIND_RING, flags);
	if (rc < 0)
		return rc;
	rc = mmipc_ring_attach(out, r, role, 0);
	if (rc < 0) {
		mmipc_region_close(r);
		return rc;
	}
	(*out)->own_region = true;
	return 0;
}

int mmipc_ring_close(mmipc_ring *ring)
{
	struct mmipc_ring_ctl *c;
	uint32_t *w, e;
	int rc = 0;

	if (ring == NULL)
		return 0;
	c = ring->ctl;
	if (ring->role == MMIPC_ROLE_PRODUCER && !ring->broken)
		mmipc_ring_flush(ring);
	w = ring->role == MMIPC_ROLE_PRODUCER ? &c->prod_end : &c->cons_end;
	e = ring->end;
	/* release: pairs with the acquire load in ring_peer_end(): whoever
	 * sees "closed" sees our last head (or tail) */
	__atomic_compare_exchange_n(w, &e,
				    RING_END(MMIPC_END_CLOSED, ring->slot,
					     RING_END_GEN(ring->end)),
				    false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	evc_signal_all(ring->role == MMIPC_ROLE_PRODUCER ? &c->data
							 : &c->space);
	peer_detach(ring->region, ring->slot, ring->slot_word);
	if (ring->own_region)
		rc = mmipc_region_close(ring->region);
	free(ring);
	return rc;
}

int mmipc_ring_set_wait(mmipc_ring *ring, int mode, uint32_t spin_ns)
{
	if (mode != MMIPC_WAIT_ADAPTIVE && mode != MMIPC_WAIT_SPIN &&
	    mode != MMIPC_WAIT_SLEEP)
		return -EINVAL;
	ring->wait_mode = mode;
	ring->spin_ns = ring->spin_now = spin_ns ? spin_ns : DEFAULT_SPIN_NS;
	return 0;
}

uint64_t mmipc_ring_max_msg(const mmipc_ring *ring)
{
	return ring->max_msg;
}

/* The state of one end as a bystander sees it. */
static uint32_t end_state(const struct mmipc_region *r, uint32_t e,
			  uint32_t role, int32_t *pid)
{
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	int n = mmipc_region_peers(r, v, MMIPC_MAX_PEERS), i;
	uint32_t st = RING_END_STATE(e);

	*pid = 0;
	if (st != MMIPC_END_ATTACHED)
		return st; /* no process holds it: no pid ("0 when none") */
	for (i = 0; i < n && i < MMIPC_MAX_PEERS; i++)
		if (v[i].slot == RING_END_SLOT(e) && v[i].role == role)
			*pid = v[i].pid;
	if (peer_alive(r, RING_END_SLOT(e), role) == 0)
		return MMIPC_END_DEAD;
	return st;
}

/*
 * A bystander's look at both positions. Between its load of tail and its
 * load of head the consumer may release and the producer refill, so head -
 * tail may exceed the capacity in a healthy ring. So: tail, head, tail
 * again. Tail only grows, so if it did not move, the consumer released
 * nothing in between and the producer could not pass tail + capacity: the
 * pair is exact, and an impossible one is corruption. If tail never holds
 * still, the ring is busy, not corrupt: the fill is an estimate, clamped.
 */
static int ring_positions(const struct mmipc_ring_ctl *c, uint64_t cap,
			  uint64_t *head, uint64_t *tail)
{
	uint64_t t1 = 0, h = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		uint64_t t2;

		t1 = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
		h = __atomic_load_n(&c->head, __ATOMIC_ACQUIRE);
		t2 = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
		if (t1 != t2)
			continue;
		if (h - t1 > cap)
			return -EBADMSG;
		*head = h;
		*tail = t1;
		return 0;
	}
	*tail = t1;
	*head = h - t1 > cap ? t1 + cap : h;
	return 0;
}

int mmipc_ring_stats(const mmipc_region *r, struct mmipc_ring_stats *st)
{
	const struct mmipc_ring_ctl *c;
	uint64_t cap, head, tail;
	int rc = ring_geometry(r, &cap);

	if (rc < 0)
		return rc;
	c = ring_ctl(r);
	memset(st, 0, sizeof(*st));
	rc = ring_positions(c, cap, &head, &tail);
	if (rc < 0)
		return rc;
	st->capacity = cap;
	st->used = head - tail;
	st->msgs_sent = READ_ONCE(c->msgs_sent);
	st->msgs_recv = READ_ONCE(c->msgs_recv);
	st->bytes_sent = READ_ONCE(c->bytes_sent);
	st->bytes_recv = READ_ONCE(c->bytes_recv);
	st->broken = READ_ONCE(c->broken) != 0;
	st->producer = end_state(r, READ_ONCE(c->prod_end),
				 MMIPC_ROLE_PRODUCER, &st->producer_pid);
	st->consumer = end_state(r, READ_ONCE(c->cons_end),
				 MMIPC_ROLE_CONSUMER, &st->consumer_pid);
	if (st->producer > MMIPC_END_DEAD || st->consumer > MMIPC_END_DEAD)
		return -EBADMSG;
	return 0;
}
