/*
 * t_ring_corrupt - a ring whose shared memory holds one corruption at a
 * time, both ends in this process:
 *  - the head more than a capacity ahead, or behind the tail; the tail
 *    ahead of the head; a record length past the published bytes or past
 *    the end of the ring (also when the published bytes go on after
 *    the wrap); a record type that is neither DATA nor PAD; a
 *    PAD that does not reach the end of the ring: the side that reads it
 *    gets -EBADMSG, and then the other side too (the ring is broken for
 *    both: stats say so, and a new end cannot attach);
 *  - the capacity in the header (params[0]) zero, not a power of two, a
 *    power of two other than the data size, huge: attach and open are
 *    -EBADMSG or -MMIPC_ETRUNC, and stats an error, at once.
 * Garbage written while both ends stream is t_ring_scribble's.
 */
#include "ring_util.h"

struct pair {
	char addr[128];
	mmipc_region *r;
	mmipc_ring *p, *c;
	struct mmipc_ring_ctl *ctl;
	unsigned char *data;
	char buf[4096];
	size_t len;
};

static void pair_open(struct pair *x)
{
	memset(x, 0, sizeof(*x));
	rg_name(x->addr, sizeof(x->addr), "scrib");
	CHECK_RC(mmipc_ring_create(&x->r, x->addr, 4096, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&x->p, x->r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&x->c, x->r, MMIPC_ROLE_CONSUMER, 0), 0);
	x->ctl = rg_ctl(x->r);
	x->data = mmipc_region_data(x->r);
}

static void pair_close(struct pair *x)
{
	CHECK_RC(mmipc_ring_close(x->p), 0);
	CHECK_RC(mmipc_ring_close(x->c), 0);
	CHECK_RC(mmipc_region_close(x->r), 0);
	CHECK_RC(mmipc_region_unlink(x->addr, 0), 0);
}

static void send_n(struct pair *x, int n, size_t len)
{
	int i;

	memset(x->buf, 'm', len);
	for (i = 0; i < n; i++)
		CHECK_RC(mmipc_ring_send(x->p, x->buf, len, 0, 0), 0);
}

static void recv_n(struct pair *x, int n)
{
	int i;

	for (i = 0; i < n; i++)
		CHECK_RC(mmipc_ring_recv(x->c, x->buf, sizeof(x->buf), &x->len,
					 0),
			 1);
}

/* After one side found corruption: the other side, stats, new ends. */
static void broken_for_all(struct pair *x, const char *what)
{
	struct mmipc_ring_stats st;
	mmipc_ring *extra = NULL;
	const void *pp = NULL;
	void *at = NULL;
	int rc;

	CHECK(mmipc_ring_send(x->p, "x", 1, 0, 0) == -EBADMSG,
	      "%s: then send: %d, want -EBADMSG", what,
	      mmipc_ring_send(x->p, "x", 1, 0, 0));
	CHECK_RC(mmipc_ring_reserve(x->p, 8, &at, 100), -EBADMSG);
	CHECK_RC(mmipc_ring_recv(x->c, x->buf, sizeof(x->buf), &x->len, 0),
		 -EBADMSG);
	CHECK_RC(mmipc_ring_peek(x->c, &pp, &x->len, 100), -EBADMSG);
	rc = mmipc_ring_stats(x->r, &st);
	CHECK(rc == -EBADMSG || (rc == 0 && st.broken == 1),
	      "%s: stats %d (%s), broken %u", what, rc, mmipc_strerror(rc),
	      st.broken);
	rc = mmipc_ring_open(&extra, x->addr, MMIPC_ROLE_PRODUCER, 0);
	CHECK(rc == -EBADMSG || rc == -EBUSY, "%s: open of a broken ring: %d",
	      what, rc);
	if (rc == 0)
		mmipc_ring_close(extra);
	CHECK_RC(mmipc_ring_flush(x->p), 0);
}

#define EXPECT_BAD(expr, what)                                                \
	do {                                                                  \
		int bad_rc_ = (expr);                                         \
		CHECK(bad_rc_ == -EBADMSG, "%s: %s returned %d (%s), want "  \
		      "-EBADMSG", (what), #expr, bad_rc_,                     \
		      mmipc_strerror(bad_rc_));                               \
	} while (0)

static void one_at_a_time(void)
{
	const void *pp = NULL;
	struct pair x;
	uint64_t h, t;
	int i, rc;

	/* head far ahead; the ring full of old records that look valid, so
	 * that only the check of the head can tell */
	pair_open(&x);
	for (i = 0; i < 64; i++) {
		send_n(&x, 1, 56);
		recv_n(&x, 1);
	}
	send_n(&x, 3, 56);
	recv_n(&x, 3);
	h = rg_load(&x.ctl->head);
	rg_store(&x.ctl->head, h + 3 * 4096);
	EXPECT_BAD(mmipc_ring_recv(x.c, x.buf, sizeof(x.buf), &x.len, 0),
		   "head 3 capacities ahead");
	broken_for_all(&x, "head ahead");
	pair_close(&x);

	/* head behind the tail (old valid records again) */
	pair_open(&x);
	for (i = 0; i < 64; i++) {
		send_n(&x, 1, 56);
		recv_n(&x, 1);
	}
	send_n(&x, 3, 56);
	recv_n(&x, 3);
	h = rg_load(&x.ctl->head);
	rg_store(&x.ctl->head, h - 8);
	EXPECT_BAD(mmipc_ring_recv(x.c, x.buf, sizeof(x.buf), &x.len, 0),
		   "head behind the tail");
	broken_for_all(&x, "head behind");
	pair_close(&x);

	/* tail ahead of the head: found when the producer needs room */
	pair_open(&x);
	send_n(&x, 3, 10);
	h = rg_load(&x.ctl->head);
	rg_store(&x.ctl->tail, h + 4096 + 64); /* ahead of any head to come */
	for (i = 0; i < 1000; i++) {
		rc = mmipc_ring_send(x.p, x.buf, 100, 0, 0);
		if (rc != 0)
			break;
	}
	CHECK(rc == -EBADMSG, "tail ahead of head: send %d (%s) after %d "
	      "sends", rc, mmipc_strerror(rc), i);
	broken_for_all(&x, "tail ahead");
	pair_close(&x);

	/* tail more than a capacity behind the head */
	pair_open(&x);
	send_n(&x, 30, 100);
	t = rg_load(&x.ctl->tail);
	rg_store(&x.ctl->tail, t - 8192);
	for (i = 0; i < 1000; i++) {
		rc = mmipc_ring_send(x.p, x.buf, 100, 0, 0);
		if (rc != 0)
			break;
	}
	CHECK(rc == -EBADMSG, "tail 2 capacities back: send %d (%s)", rc,
	      mmipc_strerror(rc));
	pair_close(&x);

	/* a length past the published bytes */
	pair_open(&x);
	send_n(&x, 2, 10);
	((uint32_t *)x.data)[(rg_rec(10)) / 4] = 10 + 64;
	recv_n(&x, 1);
	EXPECT_BAD(mmipc_ring_recv(x.c, x.buf, sizeof(x.buf), &x.len, 0),
		   "length past the head");
	broken_for_all(&x, "length past the head");
	pair_close(&x);

	/* a huge length, and one past the end of the ring */
	for (i = 0; i < 2; i++) {
		pair_open(&x);
		send_n(&x, 1, 4000);
		((uint32_t *)x.data)[0] = i == 0 ? 0xfffffff0u : 4096;
		EXPECT_BAD(mmipc_ring_peek(x.c, &pp, &x.len, 0),
			   i == 0 ? "length 0xfffffff0" : "length 4096");
		pair_close(&x);
	}

	/* a type that is neither DATA nor PAD */
	pair_open(&x);
	send_n(&x, 1, 10);
	((uint32_t *)x.data)[1] = 0x12345678;
	EXPECT_BAD(mmipc_ring_recv(x.c, x.buf, sizeof(x.buf), &x.len, 0),
		   "record type garbage");
	broken_for_all(&x, "record type");
	pair_close(&x);

	/* a PAD that does not reach the end of the ring */
	pair_open(&x);
	send_n(&x, 1, 4096 - 64 - 8);
	recv_n(&x, 1);
	send_n(&x, 1, 100); /* PAD of 64 at 4032, the record at 0 */
	CHECK(((uint32_t *)x.data)[4032 / 4 + 1] == REC_PAD,
	      "no PAD at 4032");
	((uint32_t *)x.data)[4032 / 4] = 32 - 8;
	EXPECT_BAD(mmipc_ring_recv(x.c, x.buf, sizeof(x.buf), &x.len, 0),
		   "PAD too short");
	pair_close(&x);

	/* a DATA record at the end whose length runs past the end of the
	 * ring but not past the published bytes (which go on after the
	 * wrap): only the end-of-ring check sees it, in recv and in peek.
	 * The consumer has loaded the head past the wrap before it gets
	 * there (recv's fast path trusts the head it loaded, not the
	 * record). */
	for (i = 0; i < 2; i++) {
		pair_open(&x);
		send_n(&x, 1, 2000 - 8);
		recv_n(&x, 1);
		send_n(&x, 1, 2032 - 8);	/* up to 4032 */
		send_n(&x, 1, 100); /* PAD of 64 at 4032, the record at 0 */
		recv_n(&x, 1);		/* loads the head: 4096 + 112 */
		((uint32_t *)x.data)[4032 / 4] = 100;
		((uint32_t *)x.data)[4032 / 4 + 1] = REC_DATA;
		EXPECT_BAD(i == 0 ? mmipc_ring_recv(x.c, x.buf, sizeof(x.buf),
						    &x.len, 0)
				  : mmipc_ring_peek(x.c, &pp, &x.len, 0),
			   i == 0 ? "recv: record past the end"
				  : "peek: record past the end");
		pair_close(&x);
	}

	/* the broken flag set by someone else */
	pair_open(&x);
	send_n(&x, 1, 10);
	__atomic_store_n(&x.ctl->broken, 1, __ATOMIC_RELEASE);
	EXPECT_BAD(mmipc_ring_recv(x.c, x.buf, sizeof(x.buf), &x.len, 0),
		   "broken flag");
	broken_for_all(&x, "broken flag");
	pair_close(&x);
	printf("one at a time: all -EBADMSG\n");
}

/* A capacity in the header that does not fit the region. */
static void bad_capacity(void)
{
	static const uint64_t caps[] = { 0, 3, 4095, 2048, 8192, 1u << 20,
					 UINT64_C(1) << 30, UINT64_C(1) << 40,
					 UINT64_MAX, UINT64_C(1) << 63 };
	struct mmipc_ring_stats st;
	mmipc_region *r = NULL;
	mmipc_ring *ring = NULL;
	char addr[128], path[512];
	size_t i;
	int rc, role;

	rg_name(addr, sizeof(addr), "scribcap");
	CHECK_RC(mmipc_ring_create(&r, addr, 4096, 0, 0), 0);
	ru_path(path, sizeof(path), addr);
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		ru_put64(path, RU_OFF(params), caps[i]);
		for (role = MMIPC_ROLE_PRODUCER; role <= MMIPC_ROLE_CONSUMER;
		     role++) {
			rc = mmipc_ring_open(&ring, addr, role, 0);
			CHECK(rc == -EBADMSG || rc == -MMIPC_ETRUNC,
			      "capacity %#llx: open as %d: %d (%s)",
			      (unsigned long long)caps[i], role, rc,
			      mmipc_strerror(rc));
			rc = mmipc_ring_attach(&ring, r, role, 0);
			CHECK(rc == -EBADMSG || rc == -MMIPC_ETRUNC,
			      "capacity %#llx: attach as %d: %d (%s)",
			      (unsigned long long)caps[i], role, rc,
			      mmipc_strerror(rc));
		}
		rc = mmipc_ring_stats(r, &st);
		CHECK(rc == -EBADMSG || rc == -MMIPC_ETRUNC,
		      "capacity %#llx: stats %d", (unsigned long long)caps[i],
		      rc);
	}
	ru_put64(path, RU_OFF(params), 4096);
	CHECK_RC(mmipc_ring_open(&ring, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_close(ring), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	printf("bad capacity: refused at attach\n");
}

int main(void)
{
	rg_init(115);
	one_at_a_time();
	bad_capacity();
	return T_PASS;
}
