/*
 * ring_io.c - the ring's data path: reserve/commit/flush/send on the
 * producer side, peek/release/recv on the consumer side, and how each side
 * waits for the other. The format is in layout.h.
 *
 * The hot path touches only the side's own cache line (head or tail), the
 * data, and - when its cached copy of the other side's position says full
 * or empty - the other side's line. Publishing is a release store of the
 * position followed by evc_signal() (a fence and a load of the sleeper
 * count): a busy stream makes no system call. The consumer publishes its
 * tail at every release: a plain store to its own line, which the producer
 * reads only when it thinks the ring is full, and the fence only when a
 * producer may be waiting (publish_tail()). Publishing late would batch
 * nothing the producer sees, and would let a replacement consumer get a
 * message again that a dead one had already been given.
 *
 * Every position and length read from the region is checked before use:
 *  - the other side's position must stay within one capacity of ours and
 *    never move backwards;
 *  - a record's length must fit between its start and the end of the ring
 *    AND within the published bytes; its type must be DATA or PAD, and a
 *    PAD must reach exactly to the end of the ring.
 * A violation marks the ring broken (-EBADMSG for both sides, for good).
 * Every loop makes progress or waits with a deadline; none trusts a count
 * from the region to terminate.
 */
#include <string.h>
#include <time.h>

#include "ring_int.h"

/* How often a sleeping side asks whether its peer still lives. */
#define LIVENESS_MS 250

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

static bool broken(struct mmipc_ring *ring)
{
	if (!ring->broken && READ_ONCE(ring->ctl->broken) != 0)
		ring->broken = true;
	return ring->broken;
}

/* ------------------------------------------------------------------------
 * Waiting. A wait is for a condition on the other side's position (more
 * bytes published, more bytes released). It spins for the wait mode's
 * budget, then sleeps on the eventcount in slices of LIVENESS_MS, asking
 * between slices whether the peer still lives.
 * ------------------------------------------------------------------------ */

/* One look at the condition: 1 it holds, 0 not yet, < 0 give up. */
typedef int (*ready_fn)(struct mmipc_ring *ring, uint64_t arg);

static int64_t mono_ns(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

/*
 * Adaptive waiting learns how long to spin before it sleeps. A wait that
 * ended while spinning, or a sleep so short that the full budget would
 * have covered it, says spinning pays: the budget grows (up to 4x the one
 * asked for). A long sleep says the peer is slow: it shrinks (down to
 * 1/16). Both ways, so that a burst of slow round trips does not leave the
 * ring sleeping for good once the peer is fast again.
 */
static void learn(struct mmipc_ring *ring, bool pays)
{
	if (ring->wait_mode != MMIPC_WAIT_ADAPTIVE)
		return;
	if (pays && ring->spin_now < 4 * ring->spin_ns)
		ring->spin_now += ring->spin_now / 4 + 1;
	else if (!pays && ring->spin_now > ring->spin_ns / 16)
		ring->spin_now -= ring->spin_now / 4;
}

/* Spins up to the budget; returns what ready() said last. */
static int spin(struct mmipc_ring *ring, ready_fn ready, uint64_t arg,
		int64_t deadline)
{
	int64_t start = mono_ns(), now, limit;
	uint32_t i = 0;
	int rc;

	if (ring->wait_mode == MMIPC_WAIT_SLEEP)
		return 0;
	limit = ring->wait_mode == MMIPC_WAIT_SPIN ? deadline
						   : start + ring->spin_now;
	if (deadline >= 0 && limit > deadline)
		limit = deadline;
	for (;;) {
		rc = ready(ring, arg);
		if (rc != 0)
			break;
		cpu_relax();
		if ((++i & 63) != 0)
			continue;
		now = mono_ns();
		if (limit >= 0 && now >= limit)
			break;
		/* pure spin still notices a dead peer */
		if (ring->wait_mode == MMIPC_WAIT_SPIN &&
		    now - start >= LIVENESS_MS * 1000000LL) {
			int end = ring_peer_end(ring, true);

			if (end < 0)
				return end;
			if (end == MMIPC_END_DEAD)
				return ready(ring, arg) ?: -EPIPE;
			start = now;
		}
	}
	if (rc != 0)
		learn(ring, true);
	return rc;
}

static void ns_to_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

/*
 * The other end's state, with a liveness check (a read of /proc) at most
 * every LIVENESS_MS: a side that sleeps and wakes per message must not pay
 * it per message. The first check of a handle is at once, so a peer found
 * dead when we start is reported without delay.
 */
static int peer_check(struct mmipc_ring *ring)
{
	int64_t now = mono_ns();
	bool due = ring->live_ns == 0 ||
		   now - ring->live_ns >= LIVENESS_MS * 1000000LL;

	if (due)
		ring->live_ns = now;
	return ring_peer_end(ring, due);
}

/*
 * Sleeps until ready(), the deadline (-ETIMEDOUT), or the peer is dead
 * (-EPIPE, after one last look: what it published before it died is still
 * ours). A closed peer is ready()'s to report (end-of-stream, -EPIPE).
 */
static int sleep_until(struct mmipc_ring *ring, struct mmipc_evc *evc,
		       ready_fn ready, uint64_t arg, int64_t deadline)
{
	struct timespec ts;
	int64_t until;
	uint32_t key;
	int rc, end;

	for (;;) {
		key = evc_prepare(evc);
		rc = ready(ring, arg);
		if (rc != 0) {
			evc_cancel(evc);
			return rc;
		}
		end = peer_check(ring);
		if (end < 0 || end == MMIPC_END_DEAD) {
			evc_cancel(evc);
			/* the dead cannot publish more: one last look */
			rc = ready(ring, arg);
			return rc != 0 ? rc : end < 0 ? end : -EPIPE;
		}
		until = mono_ns() + LIVENESS_MS * 1000000LL;
		if (deadline >= 0 && until > deadline)
			until = deadline;
		ns_to_ts(until, &ts);
		if (evc_wait(evc, key, &ts) == -ETIMEDOUT && deadline >= 0 &&
		    mono_ns() >= deadline)
			return ready(ring, arg) ?: -ETIMEDOUT;
	}
}

static int wait_for(struct mmipc_ring *ring, struct mmipc_evc *evc,
		    ready_fn ready, uint64_t arg, int timeout_ms)
{
	int64_t deadline = -1, start;
	int rc = ready(ring, arg);

	if (rc != 0)
		return rc;
	if (timeout_ms == 0) {
		/* a caller that polls must learn of a death too; the check
		 * is rate-limited, so a hot poll loop pays nothing for it */
		int end = peer_check(ring);

		if (end < 0)
			return end;
		if (end == MMIPC_END_DEAD)
			return ready(ring, arg) ?: -EPIPE;
		return -EAGAIN;
	}
	start = mono_ns();
	if (timeout_ms > 0)
		deadline = start + (int64_t)timeout_ms * 1000000;
	rc = spin(ring, ready, arg, deadline);
	if (rc != 0)
		return rc;
	if (deadline >= 0 && mono_ns() >= deadline)
		return -ETIMEDOUT;
	rc = sleep_until(ring, evc, ready, arg, deadline);
	if (rc > 0)
		learn(ring, mono_ns() - start <= (int64_t)ring->spin_ns);
	return rc;
}

/* ------------------------------------------------------------------------
 * Producer.
 * ------------------------------------------------------------------------ */

static void publish(struct mmipc_ring *ring)
{
	struct mmipc_ring_ctl *c = ring->ctl;

	if (ring->head == ring->head_pub)
		return;
	WRITE_ONCE(c->msgs_sent, ring->msgs);
	WRITE_ONCE(c->bytes_sent, ring->bytes);
	/* release: the commit marker. Pairs with the consumer's acquire
	 * load of head: every record below head is whole when seen. */
	__atomic_store_n(&c->head, ring->head, __ATOMIC_RELEASE);
	ring->head_pub = ring->head;
	evc_signal(&c->data);
}

/* ready(): at least @need bytes free after our head. */
static int space_ready(struct mmipc_ring *ring, uint64_t need)
{
	uint64_t t;

	if (broken(ring))
		return -EBADMSG;
	if (ring->head + need - ring->tail_cache <= ring->cap)
		return 1;
	/* acquire: pairs with the consumer's release store of tail; it is
	 * done reading the bytes below it, so we may overwrite them */
	t = __atomic_load_n(&ring->ctl->tail, __ATOMIC_ACQUIRE);
	if (ring->head_pub - t > ring->cap || t - ring->tail_cache > ring->cap)
		return ring_fail(ring); /* ahead of head, or backwards */
	ring->tail_cache = t;
	if (ring->head + need - t <= ring->cap)
		return 1;
	if (ring_peer_end(ring, false) == MMIPC_END_CLOSED)
		return -EPIPE;
	return 0;
}

static int wait_space(struct mmipc_ring *ring, uint64_t need, int timeout_ms)
{
	int rc = space_ready(ring, need);

	if (rc != 0)
		return rc;
	publish(ring); /* what we hold back cannot be drained: let it go */
	return wait_for(ring, &ring->ctl->space, space_ready, need,
			timeout_ms);
}

static void put_rec(struct mmipc_ring *ring, uint64_t pos, uint32_t len,
		    uint32_t type)
{
	uint32_t *h = (uint32_t *)(ring->data + (pos & ring->mask));

	h[0] = len;
	h[1] = type;
}

/*
 * Has the consumer closed? Asked at every reserve, so it is a load and a
 * compare while the consumer's end word is the one last found open, and a
 * full ring_peer_end() only when the word changed. 0, -EPIPE, or
 * -EBADMSG for a word no version of us writes. (A dead consumer is
 * noticed when the ring fills up and we wait.)
 */
static int consumer_closed(struct mmipc_ring *ring)
{
	/* relaxed: an unchanged word tells nothing new; a changed one is
	 * read again, with acquire, by ring_peer_end() */
	uint32_t e = __atomic_load_n(&ring->ctl->cons_end, __ATOMIC_RELAXED);
	int st;

	if (ring->peer_open && e == ring->peer_seen)
		return 0;
	st = ring_peer_end(ring, false);
	if (st < 0)
		return st;
	if (st == MMIPC_END_CLOSED)
		return -EPIPE;
	ring->peer_seen = e;
	ring->peer_open = true;
	return 0;
}

/* Makes room for a record of @rec bytes at head, contiguous: pads to the
 * end of the ring first when it does not fit there, then waits for space.
 * Out of line: inlined, it would make every reserve save and restore the
 * registers that only waiting needs. */
static __attribute__((noinline)) int make_room(struct mmipc_ring *ring,
					       uint64_t rec, int timeout_ms)
{
	uint64_t to_end;
	int rc;

	for (;;) {
		to_end = ring->cap - (ring->head & ring->mask);
		if (rec <= to_end)
			break;
		/* does not fit before the end: pad to the end, then retry at
		 * offset 0 (two steps, so that a record as large as the ring
		 * needs only an empty ring, not one empty twice over) */
		rc = wait_space(ring, to_end, timeout_ms);
		if (rc < 0)
			return rc;
		put_rec(ring, ring->head, (uint32_t)(to_end - REC_HDR),
			REC_PAD);
		ring->head += to_end;
	}
	rc = wait_space(ring, rec, timeout_ms);
	return rc < 0 ? rc : 0;
}

int mmipc_ring_reserve(mmipc_ring *ring, size_t len, void **buf,
		       int timeout_ms)
{
	uint64_t rec, off;
	int rc;

	if (ring->role != MMIPC_ROLE_PRODUCER || buf == NULL)
		return -EINVAL;
	/* a new reserve replaces the old one at once: a PAD written below
	 * may cover it, so it must never be committed after this point */
	ring->resv_len = RING_NONE;
	if (broken(ring))
		return -EBADMSG;
	if (len > ring->max_msg)
		return -EMSGSIZE;
	rc = consumer_closed(ring);
	if (rc < 0)
		return rc;
	rec = rec_size(len);
	off = ring->head & ring->mask;
	/* the common case needs nothing more: the record fits before the
	 * end of the ring, in space the last tail we read already frees */
	if (rec > ring->cap - off ||
	    ring->head + rec - ring->tail_cache > ring->cap) {
		rc = make_room(ring, rec, timeout_ms);
		if (rc < 0)
			return rc;
		off = ring->head & ring->mask;
	}
	ring->resv_pos = ring->head;
	ring->resv_len = len;
	*buf = ring->data + off + REC_HDR;
	return 0;
}

/* Commits the reservation (checked by the caller) as @len bytes. */
static void commit_rec(struct mmipc_ring *ring, size_t len, unsigned flags)
{
	put_rec(ring, ring->resv_pos, (uint32_t)len, REC_DATA);
	ring->head = ring->resv_pos + rec_size(len);
	ring->resv_len = RING_NONE;
	ring->msgs++;
	ring->bytes += len;
	if (!(flags & MMIPC_RING_MORE))
		publish(ring);
}

int mmipc_ring_commit(mmipc_ring *ring, size_t len, unsigned flags)
{
	if (ring->role != MMIPC_ROLE_PRODUCER || ring->resv_len == RING_NONE ||
	    len > ring->resv_len || (flags & ~MMIPC_RING_MORE) != 0)
		return -EINVAL;
	commit_rec(ring, len, flags);
	return 0;
}

int mmipc_ring_flush(mmipc_ring *ring)
{
	if (ring->role != MMIPC_ROLE_PRODUCER)
		return -EINVAL;
	if (!broken(ring))
		publish(ring);
	return 0;
}

/*
 * send's common case in one piece: the ring not broken, the consumer's end
 * word the one last found open, and the record fitting before the end of
 * the ring in space the last tail we read already frees. Returns 1 (sent),
 * or 0 for "take the general path" (reserve + commit), which waits, pads
 * at the wrap and says why it cannot.
 */
static inline int send_fast(struct mmipc_ring *ring, const void *buf,
			    size_t len, unsigned flags)
{
	uint64_t off = ring->head & ring->mask, rec = rec_size(len);

	/* relaxed: as in consumer_closed(), which a changed word goes to */
	if (ring->broken || READ_ONCE(ring->ctl->broken) != 0 ||
	    !ring->peer_open ||
	    __atomic_load_n(&ring->ctl->cons_end, __ATOMIC_RELAXED) !=
		    ring->peer_seen ||
	    len > ring->max_msg || rec > ring->cap - off ||
	    ring->head + rec - ring->tail_cache > ring->cap)
		return 0;
	if (len != 0)
		memcpy(ring->data + off + REC_HDR, buf, len);
	ring->resv_pos = ring->head; /* a reservation held is replaced */
	commit_rec(ring, len, flags);
	return 1;
}

int mmipc_ring_send(mmipc_ring *ring, const void *buf, size_t len,
		    unsigned flags, int timeout_ms)
{
	void *p;
	int rc;

	if ((flags & ~MMIPC_RING_MORE) != 0)
		return -EINVAL;
	if (ring->role == MMIPC_ROLE_PRODUCER &&
	    send_fast(ring, buf, len, flags))
		return 0;
	rc = mmipc_ring_reserve(ring, len, &p, timeout_ms);
	if (rc < 0)
		return rc;
	if (len != 0) /* (NULL, 0) is a fine empty message; memcpy's NULL not */
		memcpy(p, buf, len);
	commit_rec(ring, len, flags);
	return 0;
}

/* ------------------------------------------------------------------------
 * Consumer.
 * ------------------------------------------------------------------------ */

/*
 * Publishes our tail at every release, but does not pay evc_signal()'s
 * full fence at every one: a fence per message halves a busy stream of
 * small ones, and a producer sleeps for space only on a full ring. So a
 * plain look at the sleeper count first, and the fence and wake-up when
 * it is not zero, or when we have read all that the producer published
 * (the ring is empty from where we stand: the moment a waiting producer
 * must not miss).
 *
 * The plain look may run before our tail store is visible, while a
 * producer announces itself and re-reads the old tail: it then sleeps
 * through this release, and hears of the space at one of our next ones
 * (their looks see its announcement), at the latest when we have read
 * all it published, or when its sleep slice ends (LIVENESS_MS). A
 * producer is never left waiting for space that nobody will tell it of.
 */
static void publish_tail(struct mmipc_ring *ring)
{
	struct mmipc_ring_ctl *c = ring->ctl;

	WRITE_ONCE(c->msgs_recv, ring->msgs);
	WRITE_ONCE(c->bytes_recv, ring->bytes);
	/* release: pairs with the producer's acquire load of tail; our
	 * reads of the released bytes are done before it may reuse them */
	__atomic_store_n(&c->tail, ring->tail, __ATOMIC_RELEASE);
	ring->tail_pub = ring->tail;
	/* relaxed: a hint (see above); evc_signal() fences and looks again */
	if (ring->tail == ring->head_cache ||
	    __atomic_load_n(&c->space.waiters, __ATOMIC_RELAXED) != 0)
		evc_signal(&c->space);
}

/* ready(): bytes published past our tail (1), end-of-stream (0 is "not
 * yet", so end-of-stream is reported as -ENODATA and turned into 0). */
static int data_ready(struct mmipc_ring *ring, uint64_t unused)
{
	uint64_t h;
	int end;

	(void)unused;
	if (broken(ring))
		return -EBADMSG;
	if (ring->head_cache != ring->tail)
		return 1;
	/* the end state first: a producer publishes head before it closes,
	 * so "closed" seen here means the head loaded next is final */
	end = ring_peer_end(ring, false);
	if (end < 0)
		return end;
	/* acquire: pairs with the producer's release store of head */
	h = __atomic_load_n(&ring->ctl->head, __ATOMIC_ACQUIRE);
	if (h - ring->tail > ring->cap || h - ring->head_cache > ring->cap)
		return ring_fail(ring); /* over a capacity ahead, or backwards */
	ring->head_cache = h;
	if (h != ring->tail)
		return 1;
	return end == MMIPC_END_CLOSED ? -ENODATA : 0;
}

/*
 * Checks the record at @pos, which lies in [tail, head_cache): returns 1
 * for a message, 2 for a PAD, with its payload length and record size, or
 * -EBADMSG. The header is loaded once; only the checked locals are used.
 */
static int rec_at(struct mmipc_ring *ring, uint64_t pos, uint32_t *len,
		  uint64_t *rec)
{
	uint64_t off = pos & ring->mask, to_end = ring->cap - off;
	uint64_t avail = ring->head_cache - pos;
	const uint32_t *h = (const uint32_t *)(ring->data + off);
	uint32_t type;

	if (avail < REC_HDR || avail > ring->cap || (off & 7) != 0)
		return ring_fail(ring);
	*len = READ_ONCE(h[0]);
	type = READ_ONCE(h[1]);
	if (type == REC_PAD) {
		if ((uint64_t)*len + REC_HDR != to_end || to_end > avail)
			return ring_fail(ring);
		*rec = to_end;
		return 2;
	}
	if (type != REC_DATA || REC_HDR + (uint64_t)*len > to_end ||
	    rec_size(*len) > avail)
		return ring_fail(ring);
	*rec = rec_size(*len);
	return 1;
}

/* Reads the record at our tail: 1 with the message in peek_*, or skips a
 * PAD (0: look again), or -EBADMSG. */
static inline int read_rec(struct mmipc_ring *ring)
{
	uint64_t rec;
	uint32_t len;
	int rc = rec_at(ring, ring->tail, &len, &rec);

	if (rc == 2) {
		ring->tail += rec;
		publish_tail(ring); /* the producer may be waiting for it */
		return 0;
	}
	if (rc < 0)
		return rc;
	ring->peek_rec = rec;
	ring->peek_len = len;
	ring->batch_n = 1;
	return 1;
}

/* Waits for the next message and reads it into peek_*: 1, 0 at the end of
 * the stream, or an error. Out of line, as make_room() is. */
static __attribute__((noinline)) int next_rec(struct mmipc_ring *ring,
					      int timeout_ms)
{
	int rc;

	do {
		rc = wait_for(ring, &ring->ctl->data, data_ready, 0,
			      timeout_ms);
		if (rc == -ENODATA)
			return 0; /* end-of-stream */
		if (rc < 0)
			return rc;
		rc = read_rec(ring);
	} while (rc == 0);
	return rc;
}

int mmipc_ring_peek(mmipc_ring *ring, const void **buf, size_t *len,
		    int timeout_ms)
{
	int rc;

	if (ring->role != MMIPC_ROLE_CONSUMER || buf == NULL || len == NULL)
		return -EINVAL;
	if (broken(ring))
		return -EBADMSG; /* for good: also for a message peeked before */
	if (ring->peek_len == RING_NONE) {
		/* the common case: what the last head we read published is
		 * there to read without asking again, and it is a message */
		rc = ring->head_cache != ring->tail ? read_rec(ring) : 0;
		if (rc == 0)
			rc = next_rec(ring, timeout_ms);
		if (rc <= 0)
			return rc;
	}
	*buf = ring->data + (ring->tail & ring->mask) + REC_HDR;
	*len = ring->peek_len;
	return 1;
}

/* Releases the peeked message (the caller checked there is one). */
static void release_one(struct mmipc_ring *ring)
{
	ring->tail += ring->peek_rec;
	ring->msgs++;
	ring->bytes += ring->peek_len;
	ring->peek_len = RING_NONE;
	ring->batch_n = 0;
	publish_tail(ring);
}

int mmipc_ring_release(mmipc_ring *ring)
{
	if (ring->role != MMIPC_ROLE_CONSUMER || ring->peek_len == RING_NONE)
		return -EINVAL;
	release_one(ring);
	return 0;
}

/* Loads the producer's head once more without waiting (checked as in
 * data_ready()), so that a batch takes all that is there now. */
static int refresh_head(struct mmipc_ring *ring)
{
	uint64_t h = __atomic_load_n(&ring->ctl->head, __ATOMIC_ACQUIRE);

	if (h - ring->tail > ring->cap || h - ring->head_cache > ring->cap)
		return ring_fail(ring);
	ring->head_cache = h;
	return 0;
}

int mmipc_ring_peek_batch(mmipc_ring *ring, struct mmipc_ring_msg *v, int max,
			  int timeout_ms)
{
	uint64_t pos, rec;
	uint32_t len;
	int n, rc;

	if (v == NULL || max <= 0)
		return -EINVAL;
	rc = mmipc_ring_peek(ring, &v[0].data, &v[0].len, timeout_ms);
	if (rc <= 0)
		return rc;
	rc = refresh_head(ring);
	if (rc < 0)
		return rc;
	/* the first is at tail; the others follow, PADs skipped, tail kept */
	for (n = 1, pos = ring->tail + ring->peek_rec;
	     n < max && pos != ring->head_cache; pos += rec) {
		rc = rec_at(ring, pos, &len, &rec);
		if (rc < 0)
			return rc;
		if (rc == 2)
			continue;
		v[n].data = ring->data + (pos & ring->mask) + REC_HDR;
		v[n].len = len;
		n++;
	}
	ring->batch_n = (uint32_t)n;
	return n;
}

int mmipc_ring_release_batch(mmipc_ring *ring, int n)
{
	uint64_t pos, rec, bytes = 0;
	uint32_t len;
	int i, rc;

	if (ring->role != MMIPC_ROLE_CONSUMER || n <= 0 ||
	    (uint32_t)n > ring->batch_n)
		return -EINVAL;
	if (n == 1)
		return mmipc_ring_release(ring);
	/* walk again: the headers are checked anew, they are not ours */
	for (i = 0, pos = ring->tail; i < n; pos += rec) {
		rc = rec_at(ring, pos, &len, &rec);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			bytes += len;
			i++;
		}
	}
	ring->tail = pos;
	ring->msgs += (uint64_t)n;
	ring->bytes += bytes;
	ring->peek_len = RING_NONE; /* the rest of a batch: peek again */
	ring->batch_n = 0;
	publish_tail(ring);
	return 0;
}

/*
 * recv's common case in one piece: nothing peeked, a message already
 * published at our tail (below the head we last loaded and checked), whole
 * before the end of the ring, and no larger than the caller's buffer.
 * The same checks as rec_at() on the one header load, without the ones
 * our own state already guarantees (tail is ours and 8-aligned, head_cache
 * was checked to lie within a capacity of it when loaded). Anything else
 * - a PAD, a bad record, no data, too small a buffer - takes the general
 * path, which says why. Returns 1, or 0 for "take the general path".
 */
static inline int recv_fast(struct mmipc_ring *ring, void *buf, size_t size,
			    size_t *len)
{
	uint64_t off = ring->tail & ring->mask, avail, rec;
	const uint32_t *h = (const uint32_t *)(ring->data + off);
	uint32_t n;

	if (ring->peek_len != RING_NONE || ring->head_cache == ring->tail ||
	    ring->broken || READ_ONCE(ring->ctl->broken) != 0)
		return 0;
	avail = ring->head_cache - ring->tail;
	n = READ_ONCE(h[0]);
	if (READ_ONCE(h[1]) != REC_DATA || n > size ||
	    REC_HDR + (uint64_t)n > ring->cap - off ||
	    (rec = rec_size(n)) > avail)
		return 0;
	if (n != 0) /* a 0-byte message into a NULL buffer is fine */
		memcpy(buf, h + 2, n);
	*len = n;
	ring->tail += rec;
	ring->msgs++;
	ring->bytes += n;
	publish_tail(ring);
	return 1;
}

int mmipc_ring_recv(mmipc_ring *ring, void *buf, size_t size, size_t *len,
		    int timeout_ms)
{
	const void *p;
	size_t n;
	int rc;

	if (len == NULL || ring->role != MMIPC_ROLE_CONSUMER)
		return -EINVAL;
	if (recv_fast(ring, buf, size, len))
		return 1;
	rc = mmipc_ring_peek(ring, &p, &n, timeout_ms);
	if (rc <= 0)
		return rc;
	*len = n;
	if (n > size)
		return -EMSGSIZE; /* stays peeked: the next call sees it */
	if (n != 0)
		memcpy(buf, p, n);
	release_one(ring);
	return 1;
}
