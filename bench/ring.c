/*
 * ring.c - the mmipc rows: one ring each way for a ping-pong, one for a
 * stream, over "anon" regions made before fork() (nothing to clean up:
 * the memory goes with the last mapping).
 *
 *  ring        mmipc_ring_send() / mmipc_ring_recv(), adaptive waiting
 *  ring-zc     reserve/commit and peek/release: messages are written and
 *              checked where they lie in the ring
 *  ring-spin   as ring, both ends MMIPC_WAIT_SPIN
 *  ring-sleep  as ring, both ends MMIPC_WAIT_SLEEP
 *
 * In a stream the producer commits with MMIPC_RING_MORE and publishes
 * every few messages (the driver clears MORE, about every 16 KiB) or when
 * the ring is full: a send that would block flushes first, then waits.
 * ring and its variants take each message as it comes (a release
 * publishes the space at once); ring-zc's consumer takes everything there
 * with mmipc_ring_peek_batch() and releases it with one publication.
 */
#include <errno.h>
#include <stdlib.h>

#include "mmipc.h"

#include "bench.h"

#define PINGPONG_CAP (64 * 1024)
/* Larger than a core's L2 (2 MiB on this project's CI machine). Measured
 * there, ring-zc at 4 KiB: 34-46 GB/s with 4 MiB against 22-30 GB/s with
 * 1 MiB and 256 KiB rings. Likely why: what the producer wrote has gone
 * from its L2 to the shared L3 by the time the consumer reads it, and a
 * line from L3 comes faster than one held in the other core's L2. */
#define STREAM_CAP (4 * 1024 * 1024)

#define BATCH 64

struct ring_st {
	mmipc_region *reg[2];	/* A->B, B->A */
	mmipc_ring *out, *in;	/* this side's ends */
	bool zc;
	/* ring-zc's consumer takes what is there in one batch, hands the
	 * driver one message at a time, and releases the batch once */
	struct mmipc_ring_msg v[BATCH];
	int nv, iv;		/* listed, handed out */
};

static int wait_mode(const struct mech *m)
{
	if (m == &mech_ring_spin)
		return MMIPC_WAIT_SPIN;
	if (m == &mech_ring_sleep)
		return MMIPC_WAIT_SLEEP;
	return MMIPC_WAIT_ADAPTIVE;
}

static int rsetup(struct chan *c)
{
	struct ring_st *s = calloc(1, sizeof(*s));
	uint64_t cap = c->stream ? STREAM_CAP : PINGPONG_CAP;
	int rc, i;

	if (!s)
		return bench_sys("calloc", ENOMEM);
	c->st = s;
	s->zc = c->m == &mech_ring_zc;
	for (i = 0; i < (c->stream ? 1 : 2); i++) {
		rc = mmipc_ring_create(&s->reg[i], "anon", cap, 0, 0);
		if (rc < 0)
			return bench_fail("mmipc_ring_create: %s",
					  mmipc_strerror(rc));
	}
	return 0;
}

static int end_attach(mmipc_region *reg, int role, int mode,
		      mmipc_ring **out)
{
	int rc;

	if (!reg)
		return 0;
	rc = mmipc_ring_attach(out, reg, role, 0);
	if (rc < 0)
		return bench_fail("mmipc_ring_attach: %s", mmipc_strerror(rc));
	rc = mmipc_ring_set_wait(*out, mode, 0);
	if (rc < 0)
		return bench_fail("mmipc_ring_set_wait: %s",
				  mmipc_strerror(rc));
	return 0;
}

static int ropen(struct chan *c)
{
	struct ring_st *s = c->st;
	int mode = wait_mode(c->m);
	bool a = c->side == SIDE_A;

	if (end_attach(s->reg[a ? 0 : 1], MMIPC_ROLE_PRODUCER, mode,
		       &s->out) < 0 ||
	    end_attach(s->reg[a ? 1 : 0], MMIPC_ROLE_CONSUMER, mode,
		       &s->in) < 0)
		return -1;
	return 0;
}

static int rloan(struct chan *c, void **buf, size_t len)
{
	struct ring_st *s = c->st;
	int rc;

	rc = mmipc_ring_reserve(s->out, len, buf, 0);
	if (rc == -EAGAIN) {
		/* would block: what is held back goes first */
		mmipc_ring_flush(s->out);
		rc = mmipc_ring_reserve(s->out, len, buf, -1);
	}
	if (rc < 0)
		return bench_fail("mmipc_ring_reserve: %s",
				  mmipc_strerror(rc));
	return 0;
}

static unsigned ring_flags(unsigned flags)
{
	return flags & SEND_MORE ? MMIPC_RING_MORE : 0;
}

static int rcommit(struct chan *c, const void *buf, size_t len,
		   unsigned flags)
{
	struct ring_st *s = c->st;
	int rc;

	(void)buf;
	rc = mmipc_ring_commit(s->out, len, ring_flags(flags));
	if (rc < 0)
		return bench_fail("mmipc_ring_commit: %s", mmipc_strerror(rc));
	return 0;
}

static int rsend(struct chan *c, const void *buf, size_t len,
		 unsigned flags)
{
	struct ring_st *s = c->st;
	unsigned f = ring_flags(flags);
	int rc;

	rc = mmipc_ring_send(s->out, buf, len, f, 0);
	if (rc == -EAGAIN) {
		mmipc_ring_flush(s->out);
		rc = mmipc_ring_send(s->out, buf, len, f, -1);
	}
	if (rc < 0)
		return bench_fail("mmipc_ring_send: %s", mmipc_strerror(rc));
	return 0;
}

static int rflush(struct chan *c)
{
	struct ring_st *s = c->st;
	int rc = mmipc_ring_flush(s->out);

	if (rc < 0)
		return bench_fail("mmipc_ring_flush: %s", mmipc_strerror(rc));
	return 0;
}

static int got(int rc, const char *what)
{
	if (rc == 1)
		return 0;
	if (rc == 0)
		return bench_fail("%s: end of stream", what);
	return bench_fail("%s: %s", what, mmipc_strerror(rc));
}

static int rrecv(struct chan *c, const void **buf, size_t *len)
{
	struct ring_st *s = c->st;

	*buf = c->rbuf;
	return got(mmipc_ring_recv(s->in, c->rbuf, RBUF_SIZE, len, -1),
		   "mmipc_ring_recv");
}

static int rpeek(struct chan *c, const void **buf, size_t *len)
{
	struct ring_st *s = c->st;

	if (s->iv == s->nv) {
		int n = mmipc_ring_peek_batch(s->in, s->v, BATCH, -1);

		if (n <= 0)
			return got(n, "mmipc_ring_peek_batch");
		s->nv = n;
		s->iv = 0;
	}
	*buf = s->v[s->iv].data;
	*len = s->v[s->iv].len;
	s->iv++;
	return 0;
}

/* Releases when the driver is done with the last message of the batch. */
static int rrelease(struct chan *c)
{
	struct ring_st *s = c->st;
	int rc;

	if (s->iv < s->nv)
		return 0;
	rc = mmipc_ring_release_batch(s->in, s->nv);
	if (rc < 0)
		return bench_fail("mmipc_ring_release_batch: %s",
				  mmipc_strerror(rc));
	s->nv = s->iv = 0;
	return 0;
}

static void rclose(struct chan *c)
{
	struct ring_st *s = c->st;
	int i;

	mmipc_ring_close(s->out);
	mmipc_ring_close(s->in);
	for (i = 0; i < 2; i++)
		mmipc_region_close(s->reg[i]);	/* this process's copy */
}

static void rteardown(struct chan *c)
{
	struct ring_st *s = c->st;
	int i;

	if (!s)
		return;
	for (i = 0; i < 2; i++)
		mmipc_region_close(s->reg[i]);
	free(s);
	c->st = NULL;
}

#define RING_COPY(n, w)                                                \
	{                                                              \
		.name = n, .flags = M_BATCH, .what = w,                \
		.setup = rsetup, .open = ropen, .send = rsend,         \
		.flush = rflush, .recv = rrecv, .close = rclose,       \
		.teardown = rteardown,                                 \
	}

const struct mech mech_ring = RING_COPY("ring",
	"mmipc ring: send/recv (copying), adaptive wait");
const struct mech mech_ring_spin = RING_COPY("ring-spin",
	"mmipc ring: send/recv, MMIPC_WAIT_SPIN on both ends");
const struct mech mech_ring_sleep = RING_COPY("ring-sleep",
	"mmipc ring: send/recv, MMIPC_WAIT_SLEEP on both ends");

const struct mech mech_ring_zc = {
	.name = "ring-zc",
	.flags = M_BATCH,
	.what = "mmipc ring: reserve/commit, peek_batch/release_batch (zero-copy)",
	.setup = rsetup,
	.open = ropen,
	.loan = rloan,
	.send = rcommit,
	.flush = rflush,
	.recv = rpeek,
	.release = rrelease,
	.close = rclose,
	.teardown = rteardown,
};
