/*
 * fuzz_ring_recv.c - the ring's data path on shared bytes a hostile peer
 * wrote.
 *
 * One memfd ring of 4 KiB capacity serves the whole run; every input
 * starts from it zeroed (header kept), then lays its bytes over the
 * shared memory, before or after both ends attached, and then drives a
 * consumer (recv, peek/release, peek_batch/release_batch) and a producer
 * (send, reserve/commit) with timeout 0 until they stop.
 *
 * Input layout:
 *
 *   off  size  what
 *     0     1  flags:
 *               bits 0-2  messages sent (and half of them received)
 *                         before the overlay, when attached first
 *               bit 3     XOR the bytes below into the memory (so zeros
 *                         keep the real state and a mutation is a bit
 *                         flip of it) instead of copying them over it
 *               bit 4     attach both ends first, then overlay (a peer
 *                         turning hostile); clear: overlay, then attach
 *               bit 5     the overlay covers the peer table too
 *               bits 6-7  recv buffer: capacity, 256, 16 or 0 bytes
 *     1     1  more flags:
 *               bit 0     lay the data bytes from the tail's offset on
 *                         (the tail as the control block says after the
 *                         overlay), wrapping: the first 8 bytes are then
 *                         the header of the next record to be read
 *               bit 1     the producer goes first, then the consumer
 *     2   320  ring control block (layout.h: head, tail, evcs, end words)
 *   322  4096  data area (the records)
 *  4418  1024  peer table (only with bit 5)
 *
 * A shorter input overlays only what it has. What must hold: every call
 * returns a documented result; every message delivered (and every
 * reservation) lies inside the data area; -EBADMSG, once seen, stays;
 * nothing loops (every call has timeout 0, every loop is bounded here, so
 * a hang is the library's); nothing is left open or mapped.
 */
#include <string.h>

#include "../src/ring_int.h"
#include "fuzz_util.h"

#define CAP	  4096u
#define IN_CTL	  2u
#define IN_DATA	  (IN_CTL + sizeof(struct mmipc_ring_ctl))
#define IN_PEERS  (IN_DATA + CAP)

#define F_PRE(f)   ((f) & 7u)
#define F_XOR	   0x08u
#define F_ATTACH   0x10u
#define F_PEERS	   0x20u
#define F_RBUF(f)  ((f) >> 6)
#define F2_ROTATE  0x01u
#define F2_PROD	   0x02u

#define ROUNDS 64	/* consumer calls per pass */
#define SENDS  16	/* producer calls */

static mmipc_region *region;
static unsigned char *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int rc;

	(void)argc;
	(void)argv;
	fz_init("ring_recv");
	rc = mmipc_ring_create(&region, "memfd", CAP, 0, 0);
	FZ_CHECK(rc == 0, "ring_create: %s", fz_rc(rc));
	base = region->base;
	fz_leak_check_setup("mmipc");
	return 0;
}

/* The ring's control block in the shared memory. */
static struct mmipc_ring_ctl *ctl(void)
{
	return (struct mmipc_ring_ctl *)(base + MMIPC_RING_CTL_OFF);
}

/* [p, p + len) inside the data area. */
static bool in_data(const void *p, size_t len)
{
	const unsigned char *lo = mmipc_region_data(region), *q = p;

	return q >= lo && len <= CAP && (size_t)(q - lo) <= CAP - len;
}

static void check_msg(const void *p, size_t len, const char *how)
{
	FZ_CHECK(in_data(p, len), "%s: %zu bytes at offset %td, outside the "
		 "%u-byte data area", how, len,
		 (const unsigned char *)p -
			 (unsigned char *)mmipc_region_data(region), CAP);
	fz_touch(p, len);
}

/* Copies (or XORs) the n bytes of src into the wrap bytes of shared
 * memory at off: the first at off + rot, wrapping around to off (rot is
 * the tail's offset in the data area, or 0). */
static void overlay(size_t off, size_t rot, size_t wrap, const uint8_t *src,
		    size_t n, bool xor)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char *p = base + off + (rot + i) % wrap;

		*p = xor ? *p ^ src[i] : src[i];
	}
}

static void overlay_input(const uint8_t *data, size_t size, unsigned flags,
			  unsigned flags2)
{
	size_t clen = sizeof(struct mmipc_ring_ctl), rot = 0;
	size_t table = MMIPC_PEER_SLOTS * 64u;
	bool xor = flags & F_XOR;

	if (size > IN_CTL)
		overlay(MMIPC_RING_CTL_OFF, 0, clen, data + IN_CTL,
			size - IN_CTL < clen ? size - IN_CTL : clen, xor);
	if (flags2 & F2_ROTATE)
		rot = READ_ONCE(ctl()->tail) & (CAP - 1);
	if (size > IN_DATA)
		overlay(MMIPC_HDR_SIZE, rot, CAP, data + IN_DATA,
			size - IN_DATA < CAP ? size - IN_DATA : CAP, xor);
	if (size > IN_PEERS && (flags & F_PEERS))
		overlay(MMIPC_PEER_OFF, 0, table, data + IN_PEERS,
			size - IN_PEERS < table ? size - IN_PEERS : table, xor);
}

/* Real traffic on a clean ring, so that positions, cached positions and
 * counters are not all zero when the overlay comes (and wrap): must work. */
static void pre_traffic(mmipc_ring *prod, mmipc_ring *cons, unsigned n)
{
	static const size_t sizes[] = { 700, 1500, 0, 33, 2000, 9, 1200 };
	static unsigned char buf[CAP];
	size_t len;
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		/* full: the consumer makes room, one message at a time */
		while ((rc = mmipc_ring_send(prod, buf, sizes[i], 0, 0)) ==
		       -EAGAIN) {
			rc = mmipc_ring_recv(cons, buf, sizeof(buf), &len, 0);
			FZ_CHECK(rc == 1, "clean recv: %d", rc);
		}
		FZ_CHECK(rc == 0, "clean send %u: %d", i, rc);
	}
	for (i = 0; i < n / 2; i++) {
		rc = mmipc_ring_recv(cons, buf, sizeof(buf), &len, 0);
		FZ_CHECK(rc == 1 || rc == -EAGAIN, "clean recv: %d", rc);
	}
}

/* What a consumer call may return at timeout 0. */
static bool cons_rc_ok(int rc)
{
	return rc == 1 || rc == 0 || rc == -EAGAIN || rc == -EPIPE ||
	       rc == -EBADMSG;
}

/* One consumer call of kind op; returns its result. */
static int consume_one(mmipc_ring *c, unsigned op, size_t rbuf)
{
	static unsigned char buf[CAP];
	struct mmipc_ring_msg v[8];
	const void *p;
	size_t len = 0;
	int rc, n, i;

	switch (op % 4) {
	case 0:
	case 3:
		rc = mmipc_ring_recv(c, buf, op % 4 ? sizeof(buf) : rbuf, &len,
				     0);
		fz_trace("recv(%zu): %d, len %zu", op % 4 ? sizeof(buf) : rbuf,
			 rc, len);
		FZ_CHECK(cons_rc_ok(rc) || (rc == -EMSGSIZE && len > rbuf),
			 "recv: %d (%s), len %zu", rc, fz_rc(rc), len);
		FZ_CHECK(rc != 1 || len <= mmipc_ring_max_msg(c), "recv: len");
		/* recv copied it from where release left our tail: just
		 * before it (a record is contiguous, never wraps) */
		if (rc == 1)
			check_msg(c->data + ((c->tail - rec_size(len)) & c->mask) +
					  REC_HDR,
				  len, "recv");
		return rc == -EMSGSIZE ? 1 : rc; /* stays peeked: go on */
	case 1:
		rc = mmipc_ring_peek(c, &p, &len, 0);
		fz_trace("peek: %d, len %zu", rc, len);
		FZ_CHECK(cons_rc_ok(rc), "peek: %d (%s)", rc,
			 fz_rc(rc));
		if (rc == 1) {
			check_msg(p, len, "peek");
			FZ_CHECK(mmipc_ring_release(c) == 0, "release");
		}
		return rc;
	default:
		n = mmipc_ring_peek_batch(c, v, 8, 0);
		fz_trace("peek_batch: %d (tail %llu head_cache %llu peeked %zd)",
			 n, (unsigned long long)c->tail,
			 (unsigned long long)c->head_cache, (ssize_t)c->peek_len);
		FZ_CHECK(cons_rc_ok(n) || (n > 1 && n <= 8), "peek_batch: %d (%s)",
			 n, fz_rc(n));
		for (i = 0; i < n; i++)
			check_msg(v[i].data, v[i].len, "peek_batch");
		if (n > 0) {
			/* the headers are read again: nothing changed them */
			rc = mmipc_ring_release_batch(c, op % 8 == 2 ? n
							 : (n + 1) / 2);
			FZ_CHECK(rc == 0, "release_batch: %d (%s)", rc,
				 fz_rc(rc));
		}
		return n > 0 ? 1 : n;
	}
}

/* The consumer until it stops (nothing more, end, error); -EBADMSG must
 * then stay. */
static void consume(mmipc_ring *c, size_t rbuf)
{
	const void *p;
	size_t len;
	int rc = 1;
	unsigned i;

	if (c == NULL)
		return;
	for (i = 0; i < ROUNDS && rc == 1; i++)
		rc = consume_one(c, i, rbuf);
	if (rc == -EBADMSG) {
		rc = mmipc_ring_peek(c, &p, &len, 0);
		FZ_CHECK(rc == -EBADMSG, "peek after -EBADMSG: %d (%s)", rc,
			 fz_rc(rc));
	}
}

/* One producer call; returns its result. */
static int produce_one(mmipc_ring *pr, unsigned i)
{
	static const size_t sizes[] = { 1, 100, 4000, CAP - REC_HDR,
					CAP - REC_HDR + 1, 0, 2048, 9 };
	static unsigned char buf[CAP];
	size_t len = sizes[i % 8];
	void *p = NULL;
	int rc;

	if (i % 2)
		rc = mmipc_ring_send(pr, buf, len, 0, 0);
	else
		rc = mmipc_ring_reserve(pr, len, &p, 0);
	fz_trace("%s(%zu): %d", i % 2 ? "send" : "reserve", len, rc);
	FZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EPIPE || rc == -EBADMSG ||
			 (rc == -EMSGSIZE && len > mmipc_ring_max_msg(pr)),
		 "%s %zu: %d (%s)", i % 2 ? "send" : "reserve", len, rc,
		 fz_rc(rc));
	FZ_CHECK(rc != 0 || len <= mmipc_ring_max_msg(pr), "took %zu bytes",
		 len);
	if (rc == 0 && p != NULL) {
		FZ_CHECK(in_data(p, len) && ((uintptr_t)p & 7) == 0,
			 "reserve: %zu bytes at %p, outside the data area",
			 len, p);
		memset(p, 0xa5, len);
		rc = mmipc_ring_commit(pr, len / 2,
				       i % 4 ? 0 : MMIPC_RING_MORE);
		FZ_CHECK(rc == 0, "commit: %d (%s)", rc, fz_rc(rc));
	}
	return rc;
}

static void produce(mmipc_ring *pr)
{
	unsigned i;
	int rc = 0;

	if (pr == NULL)
		return;
	for (i = 0; i < SENDS && rc != -EBADMSG && rc != -EPIPE; i++)
		rc = produce_one(pr, i);
	FZ_CHECK(mmipc_ring_flush(pr) == 0, "flush");
}

static mmipc_ring *attach(int role, bool clean)
{
	mmipc_ring *ring = NULL;
	int rc = mmipc_ring_attach(&ring, region, role, 0);

	FZ_CHECK(rc == 0 || (!clean && (rc == -EBADMSG || rc == -EBUSY ||
					rc == -EUSERS)),
		 "attach %d%s: %d (%s)", role, clean ? " (clean ring)" : "",
		 rc, fz_rc(rc));
	return rc == 0 ? ring : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t rbufs[] = { CAP, 256, 16, 0 };
	struct mmipc_ring_stats st;
	unsigned flags = size > 0 ? data[0] : 0, flags2 = size > 1 ? data[1] : 0;
	mmipc_ring *prod = NULL, *cons = NULL;
	size_t rbuf = rbufs[F_RBUF(flags)];
	int rc;

	memset(base + MMIPC_PEER_OFF, 0, region->map_size - MMIPC_PEER_OFF);
	if (flags & F_ATTACH) {
		prod = attach(MMIPC_ROLE_PRODUCER, true);
		cons = attach(MMIPC_ROLE_CONSUMER, true);
		pre_traffic(prod, cons, F_PRE(flags));
	}
	overlay_input(data, size, flags, flags2);
	fz_trace("flags 0x%02x 0x%02x, head %llu tail %llu", flags, flags2,
		 (unsigned long long)READ_ONCE(ctl()->head),
		 (unsigned long long)READ_ONCE(ctl()->tail));
	if (!(flags & F_ATTACH)) {
		prod = attach(MMIPC_ROLE_PRODUCER, false);
		cons = attach(MMIPC_ROLE_CONSUMER, false);
	}
	rc = mmipc_ring_stats(region, &st);
	FZ_CHECK(rc == 0 || rc == -EBADMSG, "stats: %d (%s)", rc, fz_rc(rc));
	if (!(flags2 & F2_PROD))
		consume(cons, rbuf);
	produce(prod);
	consume(cons, rbuf);
	FZ_CHECK(mmipc_ring_close(cons) == 0, "close consumer");
	FZ_CHECK(mmipc_ring_close(prod) == 0, "close producer");
	fz_leak_check();
	return 0;
}
