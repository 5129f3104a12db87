/*
 * ring_int.h - the ring handle, shared by ring.c (setup: create, attach,
 * close, stats) and ring_io.c (the data path). Private.
 */
#ifndef MMIPC_RING_INT_H
#define MMIPC_RING_INT_H

#include "internal.h"

#define RING_NONE ((size_t)-1) /* no reservation / nothing peeked */

struct mmipc_ring {
	struct mmipc_region *region;
	struct mmipc_ring_ctl *ctl;
	unsigned char *data;
	uint64_t cap;		/* validated capacity, a power of two */
	uint64_t mask;		/* cap - 1 */
	uint64_t max_msg;	/* cap - REC_HDR */
	uint32_t role;		/* MMIPC_ROLE_* */
	uint32_t slot;		/* our peer slot */
	uint64_t slot_word;	/* what detach must find in it */
	uint32_t end;		/* our end word, for close */
	bool own_region;	/* opened by mmipc_ring_open(): close it */
	bool broken;
	bool has_stale;		/* stale_end holds a word to read as "none" */
	uint32_t stale_end;	/* the other end's word at attach, when that
				 * peer had already closed or died */
	bool peer_open;		/* peer_seen is valid: */
	uint32_t peer_seen;	/* the other end's word when ring_peer_end()
				 * last found it not closed (the producer's
				 * fast path compares, ring_io.c) */

	/* producer */
	uint64_t head;		/* next record goes here (includes MORE) */
	uint64_t head_pub;	/* last head published */
	uint64_t tail_cache;	/* consumer's tail as last read */
	uint64_t resv_pos;	/* where the reserved record starts */
	size_t resv_len;	/* RING_NONE, or bytes reserved */

	/* consumer */
	uint64_t tail;		/* next record to read */
	uint64_t tail_pub;	/* last tail published */
	uint64_t head_cache;	/* producer's head as last read */
	uint64_t peek_rec;	/* record size of the peeked message */
	size_t peek_len;	/* RING_NONE, or its payload length */
	uint32_t batch_n;	/* messages listed by the last peek (batch) */

	/* both: counters we own in the control block */
	uint64_t msgs;
	uint64_t bytes;

	/* waiting */
	int wait_mode;		/* MMIPC_WAIT_* */
	uint32_t spin_ns;	/* the budget asked for */
	uint32_t spin_now;	/* adaptive: the budget learned */
	int64_t live_ns;	/* CLOCK_MONOTONIC of the last liveness check */
};

static inline uint64_t rec_size(uint64_t len)
{
	return (REC_HDR + len + 7) & ~UINT64_C(7);
}

/* ring.c */
void ring_mark_broken(struct mmipc_ring *ring);

/* ring_fail - mark the ring broken; returns -EBADMSG. Inline so that the
 * callers (and clang's analyzer) see it never returns anything else. */
static inline int ring_fail(struct mmipc_ring *ring)
{
	ring_mark_broken(ring);
	return -EBADMSG;
}

int ring_peer_end(struct mmipc_ring *ring, bool check_alive);

#endif /* MMIPC_RING_INT_H */
