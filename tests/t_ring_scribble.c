/*
 * t_ring_scribble - a ring whose shared memory holds garbage.
 *
 * First, one corruption at a time, both ends in this process:
 *  - the head more than a capacity ahead, or behind the tail; the tail
 *    ahead of the head; a record length past the published bytes or past
 *    the end of the ring; a record type that is neither DATA nor PAD; a
 *    PAD that does not reach the end of the ring: the side that reads it
 *    gets -EBADMSG, and then the other side too (the ring is broken for
 *    both: stats say so, and a new end cannot attach);
 *  - the capacity in the header (params[0]) zero, not a power of two, a
 *    power of two other than the data size, huge: attach and open are
 *    -EBADMSG or -MMIPC_ETRUNC, and stats an error, at once.
 *
 * Then, over several seeds: a producer and a consumer stream in two child
 * processes while a third writes garbage into the region: random bytes
 * into the data area, random, huge and backward values into head and
 * tail, garbage record lengths and types at the tail and the head,
 * garbage peer slots, end words, wait counters and the broken flag (each
 * seed its own mix; the consumer uses recv, peek/release or
 * peek_batch/release_batch; in some the producer or the consumer is slow,
 * so the other sleeps in its wait while the garbage comes). Both
 * ends must finish on their own, every call returning in its timeout
 * (plus slack) with a documented result (a message, 0, -ETIMEDOUT,
 * -EPIPE, -EBADMSG); none may crash (run it under ASan) or hang. Then
 * new ends attach to the wreck (or are refused: -EBADMSG, -EBUSY,
 * -EUSERS) and make one call, and a bystander reads stats and peers.
 */
#include "ring_util.h"

#define SEEDS	100
#define MAXRUN	1500	/* ms an end streams at most */

/* ---- one corruption at a time ---- */

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

/* ---- streaming under a scribbler ---- */

struct sh {
	uint64_t attached;	/* ends attached so far */
	uint64_t prod_done, cons_done;
	int64_t prod_done_ns, cons_done_ns;
	uint64_t sent, got, writes;
	int prod_rc, cons_rc;	/* the result that ended each */
	int64_t worst_ms;	/* longest call past its timeout */
};

struct ctx {
	const char *addr;
	uint32_t seed;
	uint32_t mask;	/* scribbler: kinds of garbage (bits 0..11) */
	struct sh *sh;
};

/* The kinds of garbage of each seed, by seed % 6: everything; the data
 * area and record headers; positions; peers, ends and wait words;
 * records and positions; payload bytes only (the ring may stay whole,
 * the content does not). */
static const uint32_t masks[] = { 0xfff, 0x80f, 0x030, 0x5c0, 0x83c, 0x003 };

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Times a call with a 200 ms timeout; records how late it was. */
static void late(struct sh *sh, int64_t t0, const char *what, int rc)
{
	int64_t ms = ru_ms_since(t0) - 200;

	if (ms > sh->worst_ms)
		sh->worst_ms = ms;
	CHECK(ms < 2000, "%s took %lld ms with a 200 ms timeout (rc %d)",
	      what, (long long)ms + 200, rc);
}

static bool other_gone_long(const struct sh *sh, int role)
{
	uint64_t d = role == MMIPC_ROLE_PRODUCER ? rg_load(&sh->cons_done)
						 : rg_load(&sh->prod_done);
	int64_t at = role == MMIPC_ROLE_PRODUCER ? sh->cons_done_ns
						 : sh->prod_done_ns;

	return d && ru_now_ns() - at > 2000 * 1000000LL;
}

static int s_producer(void *arg)
{
	struct ctx *x = arg;
	mmipc_ring *p = NULL;
	char buf[2048];
	uint64_t rs = x->seed * 2 + 1, n = 0;
	int64_t start = ru_now_ns(), t0;
	bool zc = x->seed & 1;
	void *at;
	int rc = 0;

	CHECK_RC(mmipc_ring_open(&p, x->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	__atomic_fetch_add(&x->sh->attached, 1, __ATOMIC_SEQ_CST);
	memset(buf, 'p', sizeof(buf));
	while (ru_ms_since(start) < MAXRUN && !other_gone_long(x->sh, 1)) {
		size_t len = rnd(&rs) % 300;

		if (rnd(&rs) % 100 == 0)
			len = rnd(&rs) % sizeof(buf);
		t0 = ru_now_ns();
		if (zc) {
			rc = mmipc_ring_reserve(p, len, &at, 200);
			if (rc == 0) {
				memset(at, 'z', len);
				rc = mmipc_ring_commit(p, len,
						       n & 1 ? MMIPC_RING_MORE
							     : 0);
				CHECK_RC(rc, 0);
			}
		} else {
			rc = mmipc_ring_send(p, buf, len, 0, 200);
		}
		late(x->sh, t0, "send", rc);
		if (x->seed % 7 == 0 && n % 16 == 0)
			ru_sleep_ms(1); /* the consumer waits, and sleeps */
		CHECK(rc == 0 || rc == -ETIMEDOUT || rc == -EPIPE ||
			      rc == -EBADMSG,
		      "producer: %d (%s)", rc, mmipc_strerror(rc));
		if (rc == -EPIPE || rc == -EBADMSG)
			break;
		n += rc == 0;
	}
	x->sh->prod_rc = rc;
	x->sh->sent = n;
	/* more calls after the end must not crash either */
	rc = mmipc_ring_send(p, buf, 8, 0, 0);
	CHECK(rc == 0 || rc == -EAGAIN || rc == -EPIPE || rc == -EBADMSG,
	      "producer, last send: %d (%s)", rc, mmipc_strerror(rc));
	mmipc_ring_flush(p);
	mmipc_ring_close(p);
	x->sh->prod_done_ns = ru_now_ns();
	rg_store(&x->sh->prod_done, 1);
	return 0;
}

static int s_consumer(void *arg)
{
	struct ctx *x = arg;
	mmipc_ring *c = NULL;
	char *buf;
	const void *p;
	uint64_t n = 0, max;
	int64_t start = ru_now_ns(), t0;
	bool batch = x->seed % 4 == 3, zc = !batch && (x->seed & 2);
	struct mmipc_ring_msg v[16];
	volatile unsigned char sink = 0;
	int i;
	size_t len;
	int rc = 0;

	CHECK_RC(mmipc_ring_open(&c, x->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	__atomic_fetch_add(&x->sh->attached, 1, __ATOMIC_SEQ_CST);
	max = mmipc_ring_max_msg(c);
	buf = malloc(max);
	CHECK(buf != NULL, "malloc");
	while (ru_ms_since(start) < MAXRUN && !other_gone_long(x->sh, 2)) {
		t0 = ru_now_ns();
		if (batch) {
			rc = mmipc_ring_peek_batch(c, v, 16, 200);
			CHECK(rc <= 16, "peek_batch: %d", rc);
			for (i = 0; i < rc; i++) {
				CHECK(v[i].len <= max, "batch: %zu bytes",
				      v[i].len);
				if (v[i].len > 0)
					sink ^= ((const unsigned char *)
							 v[i].data)[0] ^
						((const unsigned char *)v[i]
							 .data)[v[i].len - 1];
			}
			if (rc > 0) {
				/* released again after a re-walk of the
				 * headers, which may have changed meanwhile */
				int r2 = mmipc_ring_release_batch(
					c, rc > 1 && n % 3 == 0 ? rc / 2 : rc);

				CHECK(r2 == 0 || r2 == -EBADMSG,
				      "release_batch: %d (%s)", r2,
				      mmipc_strerror(r2));
				if (r2 < 0)
					rc = r2;
				else
					rc = 1;
			}
		} else if (zc) {
			rc = mmipc_ring_peek(c, &p, &len, 200);
			if (rc == 1) {
				/* every byte it points at is in the mapping */
				CHECK(len <= max, "peek: %zu bytes", len);
				if (len > 0)
					sink ^= ((const unsigned char *)p)[0] ^
						((const unsigned char *)
							 p)[len - 1];
				CHECK_RC(mmipc_ring_release(c), 0);
			}
		} else {
			rc = mmipc_ring_recv(c, buf, max, &len, 200);
			if (rc == 1)
				CHECK(len <= max, "recv: %zu bytes", len);
		}
		late(x->sh, t0, "recv", rc);
		if (x->seed % 7 == 1 && n % 16 == 0)
			ru_sleep_ms(1); /* the producer waits, and sleeps */
		CHECK(rc == 1 || rc == 0 || rc == -ETIMEDOUT || rc == -EPIPE ||
			      rc == -EBADMSG,
		      "consumer: %d (%s)", rc, mmipc_strerror(rc));
		if (rc == 0 || rc == -EPIPE || rc == -EBADMSG)
			break;
		n += rc == 1;
	}
	x->sh->cons_rc = rc;
	x->sh->got = n;
	rc = mmipc_ring_recv(c, buf, max, &len, 0);
	CHECK(rc == 1 || rc == 0 || rc == -EAGAIN || rc == -EPIPE ||
		      rc == -EBADMSG,
	      "consumer, last recv: %d (%s)", rc, mmipc_strerror(rc));
	mmipc_ring_close(c);
	free(buf);
	x->sh->cons_done_ns = ru_now_ns();
	rg_store(&x->sh->cons_done, 1);
	return 0;
}

/* A garbage 64-bit value: random, huge, tiny, or near @near. */
static uint64_t garbage(uint64_t *rs, uint64_t near)
{
	switch (rnd(rs) % 6) {
	case 0:
		return rnd(rs);
	case 1:
		return UINT64_MAX - rnd(rs) % 64;
	case 2:
		return rnd(rs) % 64;
	case 3:
		return near - 8 * (1 + rnd(rs) % 64); /* backwards */
	case 4:
		return near + 8 * (1 + rnd(rs) % 4096); /* past a capacity */
	default:
		return near + (rnd(rs) % 9); /* misaligned */
	}
}

static uint32_t garbage32(uint64_t *rs)
{
	static const uint32_t known[] = { REC_DATA, REC_PAD, 0, 0xffffffffu,
					  8, 4088, 4096, 0x80000000u };

	if (rnd(rs) % 2)
		return (uint32_t)rnd(rs);
	return known[rnd(rs) % 8];
}

static int scribbler(void *arg)
{
	struct ctx *x = arg;
	mmipc_region *r = NULL;
	struct mmipc_ring_ctl *ctl;
	struct mmipc_peer_slot *slots;
	unsigned char *data;
	uint64_t rs = x->seed * UINT64_C(0x9e3779b97f4a7c15) | 1, cap, i;
	uint64_t writes = 0;
	int64_t start = ru_now_ns();

	CHECK_RC(mmipc_region_open(&r, x->addr, MMIPC_KIND_ANY, 0), 0);
	ctl = rg_ctl(r);
	slots = rg_slots(r);
	data = mmipc_region_data(r);
	cap = mmipc_region_size(r);
	/* both ends attached to a whole ring, then let them stream a
	 * little first */
	rg_await_at_least(&x->sh->attached, 2, 10000, "ends attach");
	start = ru_now_ns();
	ru_sleep_ms(20);
	while (ru_ms_since(start) < 300 &&
	       !(rg_load(&x->sh->prod_done) && rg_load(&x->sh->cons_done))) {
		uint64_t h = __atomic_load_n(&ctl->head, __ATOMIC_RELAXED);
		uint64_t t = __atomic_load_n(&ctl->tail, __ATOMIC_RELAXED);
		uint32_t *rec;

		uint64_t what = rnd(&rs) % 12;

		if (!(x->mask >> what & 1))
			continue;
		switch (what) {
		case 0: /* random bytes in the data area */
		case 1:
			for (i = rnd(&rs) % 64; i > 0; i--)
				data[rnd(&rs) % cap] = (unsigned char)rnd(&rs);
			break;
		case 2: /* the record at the tail */
			rec = (uint32_t *)(data + (t & (cap - 1) & ~7ull));
			__atomic_store_n(&rec[rnd(&rs) % 2], garbage32(&rs),
					 __ATOMIC_RELAXED);
			break;
		case 3: /* the record at the head (the next one) */
			rec = (uint32_t *)(data + (h & (cap - 1) & ~7ull));
			__atomic_store_n(&rec[rnd(&rs) % 2], garbage32(&rs),
					 __ATOMIC_RELAXED);
			break;
		case 4:
			__atomic_store_n(&ctl->head, garbage(&rs, h),
					 __ATOMIC_RELAXED);
			break;
		case 5:
			__atomic_store_n(&ctl->tail, garbage(&rs, t),
					 __ATOMIC_RELAXED);
			break;
		case 6: { /* a peer slot */
			struct mmipc_peer_slot *s = &slots[rnd(&rs) % 16];

			if (rnd(&rs) % 2)
				__atomic_store_n(&s->word, rnd(&rs),
						 __ATOMIC_RELAXED);
			else if (rnd(&rs) % 2)
				__atomic_store_n(&s->role, garbage32(&rs),
						 __ATOMIC_RELAXED);
			else
				__atomic_store_n(&s->start, rnd(&rs),
						 __ATOMIC_RELAXED);
			break;
		}
		case 7: /* end words */
			__atomic_store_n(rnd(&rs) % 2 ? &ctl->prod_end
						      : &ctl->cons_end,
					 rnd(&rs) % 2
						 ? (uint32_t)rnd(&rs)
						 : RING_END(rnd(&rs) % 5,
							    rnd(&rs) % 20,
							    rnd(&rs)),
					 __ATOMIC_RELAXED);
			break;
		case 8: /* wait words */
			__atomic_store_n(rnd(&rs) % 2 ? &ctl->data.waiters
						      : &ctl->space.waiters,
					 garbage32(&rs), __ATOMIC_RELAXED);
			__atomic_store_n(rnd(&rs) % 2 ? &ctl->data.seq
						      : &ctl->space.seq,
					 garbage32(&rs), __ATOMIC_RELAXED);
			break;
		case 9:
			__atomic_store_n(&ctl->broken, rnd(&rs) % 20 == 0,
					 __ATOMIC_RELAXED);
			break;
		case 10: /* counters */
			__atomic_store_n(&ctl->msgs_sent, rnd(&rs),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&ctl->bytes_recv, rnd(&rs),
					 __ATOMIC_RELAXED);
			break;
		default: /* a whole record header at the tail, plausible */
			rec = (uint32_t *)(data + (t & (cap - 1) & ~7ull));
			rec[1] = rnd(&rs) % 2 ? REC_DATA : REC_PAD;
			rec[0] = (uint32_t)(rnd(&rs) % (cap + 64));
			break;
		}
		writes++;
		if (rnd(&rs) % 4 == 0)
			ru_sleep_ms((int)(rnd(&rs) % 3));
	}
	x->sh->writes = writes;
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

static void scribble(uint32_t seed)
{
	struct sh *sh = rg_shared(sizeof(*sh));
	struct mmipc_ring_stats st;
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	mmipc_region *r = NULL;
	struct ctx x;
	char addr[128];
	pid_t pc, pp, ps;
	int st_c, st_p, st_s, rc, role;

	rg_name(addr, sizeof(addr), "scribs");
	CHECK_RC(mmipc_ring_create(&r, addr, seed % 3 == 0 ? 16384 : 4096, 0,
				   0),
		 0);
	x.addr = addr;
	x.seed = seed;
	x.mask = masks[seed % 6];
	x.sh = sh;
	pc = rg_fork(s_consumer, &x);
	pp = rg_fork(s_producer, &x);
	ps = rg_fork(scribbler, &x);
	st_s = rg_wait_timeout(ps, 10000);
	st_p = rg_wait_timeout(pp, MAXRUN + 5000);
	st_c = rg_wait_timeout(pc, 5000);
	printf("seed %2u (%#05x): %5llu writes; producer %d (%s) after %llu "
	       "sends; consumer %d (%s) after %llu messages; latest call "
	       "%lld ms over\n",
	       seed, x.mask, (unsigned long long)sh->writes, sh->prod_rc,
	       mmipc_strerror(sh->prod_rc), (unsigned long long)sh->sent,
	       sh->cons_rc, mmipc_strerror(sh->cons_rc),
	       (unsigned long long)sh->got, (long long)sh->worst_ms);
	CHECK(st_s == 0, "seed %u: scribbler: status %d", seed, st_s);
	CHECK(st_p == 0, "seed %u: producer: %s %d", seed,
	      st_p < 0 ? "hung, status" : "status", st_p);
	CHECK(st_c == 0, "seed %u: consumer: %s %d", seed,
	      st_c < 0 ? "hung, status" : "status", st_c);
	/* new ends attach to the wreck, or are refused, without harm */
	for (role = MMIPC_ROLE_PRODUCER; role <= MMIPC_ROLE_CONSUMER; role++) {
		mmipc_ring *ring = NULL;
		const unsigned char *msg = NULL;
		volatile unsigned char sink;
		size_t len = 0;

		rc = mmipc_ring_open(&ring, addr, role, 0);
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EBUSY ||
			      rc == -EUSERS,
		      "seed %u: open of the wreck as %d: %d (%s)", seed, role,
		      rc, mmipc_strerror(rc));
		if (rc != 0)
			continue;
		if (role == MMIPC_ROLE_PRODUCER)
			rc = mmipc_ring_send(ring, "x", 1, 0, 0);
		else
			rc = mmipc_ring_peek(ring, (const void **)&msg, &len,
					     0);
		if (rc == 1 && len > 0) { /* within the mapping */
			sink = msg[0] ^ msg[len - 1];
			(void)sink;
		}
		CHECK(rc == 0 || rc == 1 || rc == -EAGAIN || rc == -EPIPE ||
			      rc == -EBADMSG,
		      "seed %u: the wreck as %d: %d (%s)", seed, role, rc,
		      mmipc_strerror(rc));
		mmipc_ring_close(ring);
	}
	/* a bystander reads the wreck without harm */
	rc = mmipc_ring_stats(r, &st);
	CHECK(rc == 0 || rc == -EBADMSG, "stats: %d", rc);
	rc = mmipc_region_peers(r, v, MMIPC_MAX_PEERS);
	CHECK(rc >= 0 && rc <= MMIPC_MAX_PEERS, "peers: %d", rc);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	munmap(sh, sizeof(*sh));
}

int main(int argc, char **argv)
{
	uint32_t seed0 = argc > 1 ? (uint32_t)atoi(argv[1]) : 1, s;

	rg_init(115);
	one_at_a_time();
	bad_capacity();
	for (s = seed0; s < seed0 + SEEDS; s++)
		scribble(s);
	return T_PASS;
}
