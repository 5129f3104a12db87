/*
 * t_ring_scribble - a hostile peer: while a producer and a consumer
 * stream in two child processes, a third writes garbage into the ring's
 * region and a fourth looks at it (stat, open, stats, peers). Each seed
 * writes one kind of garbage (or one of two mixes of them), from a table:
 * random bytes and bit flips in the data area; garbage, huge, past-the-end
 * and plausible record headers at the tail and the head; random, huge,
 * backward and misaligned head and tail, and positions moved back by the
 * offsets of the header, the peer table and the control block; garbage
 * peer slots, end words, wait words, broken flag and counters; garbage in
 * the region header's identity (magic, version, format, header size), its
 * sizes (total, data offset, data size, capacity), its state (kind,
 * state, resize generation, creator), and random bytes anywhere in the
 * header block. The ends use send or reserve/commit, and recv,
 * peek/release or peek_batch/release_batch, fast or slow (so that the
 * other side sleeps in its wait when the garbage comes).
 *
 * Checked: every call of the ends returns a documented result (a message,
 * end-of-stream, -ETIMEDOUT, -EPIPE, -EBADMSG) within its timeout plus
 * slack; every message or reservation it is handed lies inside the data
 * area (checked, and its first and last bytes touched); the bystander
 * gets documented errors only; no process crashes (run it under ASan) or
 * hangs (the parent names a call that runs far past its limit, and a
 * watchdog ends the test). Then new ends attach to the wreck (or are
 * refused) and make one call. At the end: how often each kind was
 * written while both ends streamed (each must be), how the ends of its
 * seeds ended, and the results of every call.
 *
 * Usage: t_ring_scribble [FIRST_SEED [SEEDS]]
 */
#include "ring_util.h"

#define SEEDS	100
#define MAXRUN	1500	/* ms an end streams at most */

/*
 * The kinds of garbage. A seed scribbles one kind alone (so that each
 * kind meets a whole ring, not the wreck another kind left), or one of two
 * mixes; seed / NVARIANTS picks how the ends call the ring.
 */
enum {
	K_BYTES,	/* random bytes anywhere in the data area */
	K_FLIP,		/* one bit flipped: data, record header, positions */
	K_REC_TAIL,	/* a garbage word in the record header at the tail */
	K_REC_HEAD,	/* ... at the head (the record being written next) */
	K_HUGE_LEN,	/* a huge length, or one past the end, at the tail */
	K_PLAUSIBLE,	/* a plausible DATA or PAD header at the tail */
	K_HEAD,		/* head: random, huge, tiny, past a capacity, odd */
	K_TAIL,		/* tail: the same */
	K_BACK,		/* head or tail moved back: by a record, by the peer
			 * table's or the control block's offset, by the
			 * header block, by a capacity */
	K_PEERS,	/* peer slots: word, role, start, pid namespace */
	K_ENDS,		/* the end words */
	K_WAIT,		/* eventcount sequence and waiter words */
	K_BROKEN,	/* the broken flag, set or cleared */
	K_COUNTERS,	/* message and byte counters */
	K_HDR_ID,	/* magic, version, format, hdr_size */
	K_HDR_SIZE,	/* total_size, data_off, data_size, capacity */
	K_HDR_STATE,	/* kind, state, resize_gen, creator */
	K_HDR_BYTES,	/* random bytes anywhere in the header block */
	NKINDS
};

static const char *const kind_name[NKINDS] = {
	"data bytes", "bit flips", "record at tail", "record at head",
	"huge length", "plausible rec", "head", "tail", "backwards",
	"peer slots", "end words", "wait words", "broken flag", "counters",
	"header ident", "header sizes", "header state", "header bytes",
};

#define BIT(k)	   (1u << (k))
#define MIX_ALL	   (BIT(NKINDS) - 1)
#define MIX_QUIET  (BIT(K_PEERS) | BIT(K_WAIT) | BIT(K_COUNTERS) |          \
		    BIT(K_HDR_ID) | BIT(K_HDR_SIZE) | BIT(K_HDR_STATE))
#define NVARIANTS  (NKINDS + 2)

static uint32_t variant_mask(uint32_t seed)
{
	uint32_t v = seed % NVARIANTS;

	return v < NKINDS ? BIT(v) : v == NKINDS ? MIX_ALL : MIX_QUIET;
}

/* The documented results of the ends' calls, for the tallies. */
enum { RS_OK, RS_EOF, RS_AGAIN, RS_TIMEDOUT, RS_PIPE, RS_BADMSG, NRES };

static const char *const res_name[NRES] = {
	"ok", "end-of-stream", "-EAGAIN", "-ETIMEDOUT", "-EPIPE", "-EBADMSG",
};

/* rc of a producer call (0 ok) or a consumer call (1 a message, 0 end-of-
 * stream) as an RS_*, or -1 for anything the header does not document. */
static int res_of(int role, int rc)
{
	switch (rc) {
	case 1:
		return role == MMIPC_ROLE_CONSUMER ? RS_OK : -1;
	case 0:
		return role == MMIPC_ROLE_CONSUMER ? RS_EOF : RS_OK;
	case -EAGAIN:
		return RS_AGAIN;
	case -ETIMEDOUT:
		return RS_TIMEDOUT;
	case -EPIPE:
		return RS_PIPE;
	case -EBADMSG:
		return RS_BADMSG;
	default:
		return -1;
	}
}

/* What a bystander may be told when it looks at the wreck: the errors of
 * mmipc_region_stat(), _open() and mmipc_ring_stats(). */
static const int look_rc[] = {
	0, -EBADMSG, -MMIPC_EBADMAGIC, -MMIPC_EVERSION, -MMIPC_EFORMAT,
	-MMIPC_EKIND, -MMIPC_ETRUNC, -MMIPC_ENOTREADY,
};
#define NLOOK ((int)(sizeof(look_rc) / sizeof(look_rc[0])))

static int look_of(int rc)
{
	int i;

	for (i = 0; i < NLOOK; i++)
		if (look_rc[i] == rc)
			return i;
	return -1;
}

#define TIMEOUT_MS 200	/* of every blocking call of the ends */
#define LATE_MS	   2000 /* a call may return this late (load, ASan) */
#define HUNG_MS	   8000 /* a call still running after this has hung */
#define SCRIB_MS   200	/* the scribbler writes this long */
#define GRACE_MS   100	/* the ends go on this long after it stopped */

enum { C_PROD, C_CONS, C_LOOK, NCALLS };

/* One seed's run, in memory shared by its four processes. */
struct sh {
	uint64_t attached;	/* ends attached so far */
	uint64_t prod_done, cons_done, scrib_done;
	int64_t prod_done_ns, cons_done_ns, scrib_done_ns;
	uint64_t sent, got, looks;
	int prod_rc, cons_rc;	/* the result that ended each */
	int64_t worst_ms[2];	/* longest call past its timeout, per end */
	struct rg_call calls[NCALLS];
	uint64_t res[2][NRES];	/* results of the producer's and consumer's
				 * calls */
	uint64_t look[NLOOK];	/* results of the bystander's calls */
	uint64_t writes[NKINDS], live[NKINDS];
};

/* All seeds: what was exercised, and how the ring took it. */
struct totals {
	uint64_t seeds[NKINDS], writes[NKINDS], live[NKINDS];
	uint64_t ends[NKINDS][NRES]; /* how the ends of one-kind seeds ended */
	uint64_t res[2][NRES];
	uint64_t look[NLOOK];
};

struct ctx {
	const char *addr;
	uint32_t seed;
	uint32_t mask;		/* kinds of garbage (BIT(K_*)) */
	struct sh *sh;
	mmipc_region *reg;	/* an end's own region handle, */
	const unsigned char *data; /* its view of the data area */
	uint64_t cap;
};

static bool done_for(uint64_t *flag, const int64_t *at, int ms)
{
	return rg_load(flag) && ru_now_ns() - *at > (int64_t)ms * 1000000;
}

/* An end streams until its time is up, the scribbler stopped a while ago,
 * or the other end has been gone for long. */
static bool keep_going(struct sh *sh, int role, int64_t start)
{
	bool prod = role == MMIPC_ROLE_PRODUCER;

	return ru_ms_since(start) < MAXRUN &&
	       !done_for(&sh->scrib_done, &sh->scrib_done_ns, GRACE_MS) &&
	       !done_for(prod ? &sh->cons_done : &sh->prod_done,
			 prod ? &sh->cons_done_ns : &sh->prod_done_ns, 2000);
}

/* A call of an end returned @rc after @ms: documented, and in time. */
static void tally(struct sh *sh, int role, const char *what, int rc,
		  int64_t ms)
{
	int i = role - MMIPC_ROLE_PRODUCER, r = res_of(role, rc);

	CHECK(r >= 0, "%s: %d (%s), not a documented result", what, rc,
	      mmipc_strerror(rc));
	sh->res[i][r]++;
	if (ms - TIMEOUT_MS > sh->worst_ms[i])
		sh->worst_ms[i] = ms - TIMEOUT_MS;
	CHECK(ms < TIMEOUT_MS + LATE_MS,
	      "%s took %lld ms with a %d ms timeout (rc %d)", what,
	      (long long)ms, TIMEOUT_MS, rc);
}

/* A message or reservation lies inside the ring's data area, after its
 * record header, 8-byte aligned; its first and last bytes are touched. */
static void in_ring(const struct ctx *x, const void *p, size_t len,
		    const char *what)
{
	volatile const unsigned char *b = p;
	uint64_t off = (uint64_t)(b - x->data);

	CHECK(b >= x->data + REC_HDR && off % 8 == 0 && len <= x->cap &&
		      off + len <= x->cap,
	      "%s: %zu bytes at offset %lld of a %llu-byte data area", what,
	      len, (long long)(b - x->data), (unsigned long long)x->cap);
	if (len > 0)
		(void)(b[0] ^ b[len - 1]);
}

/* Opens the ring's region and attaches to it: the end then knows where
 * its data area is mapped. */
static mmipc_ring *s_attach(struct ctx *x, int role)
{
	mmipc_ring *ring = NULL;

	CHECK_RC(mmipc_region_open(&x->reg, x->addr, MMIPC_KIND_RING, 0), 0);
	CHECK_RC(mmipc_ring_attach(&ring, x->reg, role, 0), 0);
	x->data = mmipc_region_data(x->reg);
	x->cap = mmipc_region_size(x->reg);
	__atomic_fetch_add(&x->sh->attached, 1, __ATOMIC_SEQ_CST);
	return ring;
}

static void s_detach(struct ctx *x, mmipc_ring *ring)
{
	mmipc_ring_close(ring);
	CHECK_RC(mmipc_region_close(x->reg), 0);
}

/* One message from the producer: send, or reserve + commit. */
static int s_send(struct ctx *x, mmipc_ring *p, const char *buf, size_t len,
		  uint64_t n)
{
	struct rg_call *c = &x->sh->calls[C_PROD];
	bool zc = (x->seed / NVARIANTS) & 1;
	void *at = NULL;
	int rc;

	rg_call_begin(c, zc ? "reserve" : "send", HUNG_MS);
	rc = zc ? mmipc_ring_reserve(p, len, &at, TIMEOUT_MS)
		: mmipc_ring_send(p, buf, len, 0, TIMEOUT_MS);
	tally(x->sh, MMIPC_ROLE_PRODUCER, zc ? "reserve" : "send", rc,
	      rg_call_end(c));
	if (zc && rc == 0) {
		in_ring(x, at, len, "reserve");
		memset(at, 'z', len);
		CHECK_RC(mmipc_ring_commit(p, len, n & 1 ? MMIPC_RING_MORE : 0),
			 0);
	}
	return rc;
}

static int s_producer(void *arg)
{
	struct ctx *x = arg;
	mmipc_ring *p = s_attach(x, MMIPC_ROLE_PRODUCER);
	uint64_t rs = x->seed * 2 + 1, n = 0;
	int64_t start = ru_now_ns();
	char buf[2048];
	int rc = 0;

	memset(buf, 'p', sizeof(buf));
	while (keep_going(x->sh, MMIPC_ROLE_PRODUCER, start)) {
		size_t len = rg_rnd(&rs) % 300;

		if (rg_rnd(&rs) % 100 == 0)
			len = rg_rnd(&rs) % sizeof(buf);
		rc = s_send(x, p, buf, len, n);
		if ((x->seed / NVARIANTS) % 5 == 3 && n % 16 == 0)
			ru_sleep_ms(1); /* the consumer waits, and sleeps */
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
	CHECK_RC(mmipc_ring_flush(p), 0);
	s_detach(x, p);
	x->sh->prod_done_ns = ru_now_ns();
	rg_store(&x->sh->prod_done, 1);
	return 0;
}

/* One call of the consumer, in the seed's way: recv, peek + release, or
 * peek_batch + release_batch. Returns 1 (messages taken) or the result. */
static int s_take(struct ctx *x, mmipc_ring *c, char *buf, uint64_t max,
		  uint64_t n)
{
	struct rg_call *call = &x->sh->calls[C_CONS];
	int mode = (int)((x->seed / NVARIANTS) % 3), rc, i;
	static const char *const what[] = { "recv", "peek", "peek_batch" };
	struct mmipc_ring_msg v[16];
	const void *p = NULL;
	size_t len = 0;

	rg_call_begin(call, what[mode], HUNG_MS);
	if (mode == 0)
		rc = mmipc_ring_recv(c, buf, max, &len, TIMEOUT_MS);
	else if (mode == 1)
		rc = mmipc_ring_peek(c, &p, &len, TIMEOUT_MS);
	else
		rc = mmipc_ring_peek_batch(c, v, 16, TIMEOUT_MS);
	tally(x->sh, MMIPC_ROLE_CONSUMER, what[mode], rc > 1 ? 1 : rc,
	      rg_call_end(call));
	if (rc <= 0)
		return rc;
	if (mode == 0) {
		CHECK(len <= max, "recv: %zu bytes, max %llu", len,
		      (unsigned long long)max);
		return 1;
	}
	if (mode == 1) {
		in_ring(x, p, len, "peek");
		CHECK_RC(mmipc_ring_release(c), 0);
		return 1;
	}
	CHECK(rc <= 16, "peek_batch: %d of at most 16", rc);
	for (i = 0; i < rc; i++)
		in_ring(x, v[i].data, v[i].len, "peek_batch");
	/* released after a re-walk of the headers, which may have changed
	 * since the peek */
	i = mmipc_ring_release_batch(c, rc > 1 && n % 3 == 0 ? rc / 2 : rc);
	CHECK(i == 0 || i == -EBADMSG, "release_batch: %d (%s)", i,
	      mmipc_strerror(i));
	return i < 0 ? i : 1;
}

static int s_consumer(void *arg)
{
	struct ctx *x = arg;
	mmipc_ring *c = s_attach(x, MMIPC_ROLE_CONSUMER);
	uint64_t n = 0, max = mmipc_ring_max_msg(c);
	int64_t start = ru_now_ns();
	char *buf = malloc(max);
	size_t len;
	int rc = 0;

	CHECK(buf != NULL, "malloc");
	while (keep_going(x->sh, MMIPC_ROLE_CONSUMER, start)) {
		rc = s_take(x, c, buf, max, n);
		if ((x->seed / NVARIANTS) % 5 == 4 && n % 16 == 0)
			ru_sleep_ms(1); /* the producer waits, and sleeps */
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
	s_detach(x, c);
	free(buf);
	x->sh->cons_done_ns = ru_now_ns();
	rg_store(&x->sh->cons_done, 1);
	return 0;
}

/* ---- the scribbler ---- */

struct scrib {
	struct mmipc_hdr *hdr;	/* the region's header block, */
	struct mmipc_peer_slot *slots;
	struct mmipc_ring_ctl *ctl;
	unsigned char *data;	/* and its data area */
	uint64_t cap;
	uint64_t rs;		/* random state */
	struct mmipc_hdr saved;	/* the header as it was, whole */
};

/* The record header at position @pos (8-byte aligned in the data area). */
static uint32_t *rec_hdr(struct scrib *s, uint64_t pos)
{
	return (uint32_t *)(s->data + (pos & (s->cap - 1) & ~UINT64_C(7)));
}

/* Garbage in the data area and the record headers. */
static void scrib_records(struct scrib *s, int kind, uint64_t h, uint64_t t)
{
	static const uint32_t huge[] = { 0xffffffffu, 0xfffffff8u,
					 0x80000000u, 0x7ffffff9u };
	uint32_t *rec = rec_hdr(s, kind == K_REC_HEAD ? h : t);
	uint64_t i, *pos, *rs = &s->rs;

	switch (kind) {
	case K_BYTES:
		for (i = 1 + rg_rnd(rs) % 64; i > 0; i--)
			s->data[rg_rnd(rs) % s->cap] =
				(unsigned char)rg_rnd(rs);
		break;
	case K_FLIP:
		pos = rg_rnd(&s->rs) % 2 ? &s->ctl->head : &s->ctl->tail;
		if (rg_rnd(&s->rs) % 3 == 0)
			rg_flip(pos, sizeof(*pos), &s->rs);
		else if (rg_rnd(&s->rs) % 2)
			rg_flip(rec, REC_HDR, &s->rs);
		else
			rg_flip(s->data, s->cap, &s->rs);
		break;
	case K_REC_TAIL:
	case K_REC_HEAD:
		RG_PUT(rec[rg_rnd(&s->rs) % 2], rg_garbage32(&s->rs));
		break;
	case K_HUGE_LEN:
		RG_PUT(rec[0], rg_rnd(rs) % 2 ? huge[rg_rnd(rs) % 4]
			: (uint32_t)(s->cap - REC_HDR + 8 * (rg_rnd(rs) % 3)));
		break;
	default: /* K_PLAUSIBLE */
		RG_PUT(rec[1], rg_rnd(&s->rs) % 2 ? REC_DATA : REC_PAD);
		RG_PUT(rec[0], (uint32_t)(rg_rnd(&s->rs) % (s->cap + 64)));
		break;
	}
}

/* Positions: garbage, or moved back by an amount that, were it not
 * masked, would point into the header block (peer table, control). */
static void scrib_positions(struct scrib *s, int kind, uint64_t h, uint64_t t)
{
	const uint64_t back[] = { REC_HDR, 64, MMIPC_PEER_OFF,
				  MMIPC_RING_CTL_OFF, MMIPC_HDR_SIZE,
				  s->cap, s->cap + MMIPC_HDR_SIZE };
	bool head = kind == K_HEAD || (kind == K_BACK && rg_rnd(&s->rs) % 2);
	uint64_t *w = head ? &s->ctl->head : &s->ctl->tail;
	uint64_t v = head ? h : t;

	if (kind == K_BACK)
		RG_PUT(*w, v - back[rg_rnd(&s->rs) % 7]);
	else
		RG_PUT(*w, rg_garbage(&s->rs, v));
}

/* The peer table and the ring's control words other than positions. */
static void scrib_control(struct scrib *s, int kind)
{
	uint64_t *rs = &s->rs;
	uint32_t *w;

	switch (kind) {
	case K_PEERS:
		rg_scrib_slot(s->slots, rs);
		break;
	case K_ENDS:
		w = rg_rnd(rs) % 2 ? &s->ctl->prod_end : &s->ctl->cons_end;
		RG_PUT(*w, rg_rnd(rs) % 2 ? (uint32_t)rg_rnd(rs)
					  : RING_END(rg_rnd(rs) % 5,
						     rg_rnd(rs) % 20,
						     rg_rnd(rs)));
		break;
	case K_WAIT:
		w = rg_rnd(rs) % 2 ? &s->ctl->data.waiters
				   : &s->ctl->space.waiters;
		RG_PUT(*w, rg_garbage32(rs));
		w = rg_rnd(rs) % 2 ? &s->ctl->data.seq : &s->ctl->space.seq;
		RG_PUT(*w, rg_garbage32(rs));
		break;
	case K_BROKEN:
		RG_PUT(s->ctl->broken,
		       rg_rnd(rs) % 4 == 0 ? (uint32_t)rg_rnd(rs) : 0);
		break;
	default: /* K_COUNTERS */
		RG_PUT(s->ctl->msgs_sent, rg_rnd(rs));
		RG_PUT(s->ctl->bytes_recv, rg_rnd(rs));
		RG_PUT(s->ctl->msgs_recv, rg_garbage(rs, s->ctl->msgs_sent));
		break;
	}
}

/* The region header: what every opener and bystander reads. */
static void scrib_header(struct scrib *s, int kind)
{
	if (kind == K_HDR_BYTES)
		((volatile unsigned char *)s->hdr)[rg_rnd(&s->rs) %
						   MMIPC_HDR_SIZE] =
			(unsigned char)rg_rnd(&s->rs);
	else
		rg_scrib_hdr(s->hdr, &s->saved,
			     kind == K_HDR_ID     ? RG_HDR_IDENT
			     : kind == K_HDR_SIZE ? RG_HDR_SIZES
						  : RG_HDR_STATE,
			     s->cap, &s->rs);
}

static void scrib_one(struct scrib *s, int kind)
{
	uint64_t h = __atomic_load_n(&s->ctl->head, __ATOMIC_RELAXED);
	uint64_t t = __atomic_load_n(&s->ctl->tail, __ATOMIC_RELAXED);

	if (kind <= K_PLAUSIBLE)
		scrib_records(s, kind, h, t);
	else if (kind <= K_BACK)
		scrib_positions(s, kind, h, t);
	else if (kind <= K_COUNTERS)
		scrib_control(s, kind);
	else
		scrib_header(s, kind);
}

/* Writes garbage of the seed's kinds, through its own mapping of the
 * region's file, while both ends stream. */
static int scribbler(void *arg)
{
	struct ctx *x = arg;
	struct sh *sh = x->sh;
	struct scrib s = { .rs = x->seed * UINT64_C(0x9e3779b97f4a7c15) | 1 };
	size_t size;
	unsigned char *base = rg_map_file(x->addr, &size);
	int64_t start;
	int kind;

	s.hdr = (struct mmipc_hdr *)base;
	s.slots = (struct mmipc_peer_slot *)(base + MMIPC_PEER_OFF);
	s.ctl = (struct mmipc_ring_ctl *)(base + MMIPC_RING_CTL_OFF);
	s.data = base + MMIPC_HDR_SIZE;
	s.cap = size - MMIPC_HDR_SIZE;
	memcpy(&s.saved, base, sizeof(s.saved));
	/* both ends attached to a whole ring, and streaming a little */
	rg_await_at_least(&sh->attached, 2, 10000, "ends attach");
	ru_sleep_ms(20);
	start = ru_now_ns();
	while (ru_ms_since(start) < SCRIB_MS &&
	       !(rg_load(&sh->prod_done) && rg_load(&sh->cons_done))) {
		kind = (int)(rg_rnd(&s.rs) % NKINDS);
		if (!(x->mask & BIT(kind)))
			continue;
		scrib_one(&s, kind);
		sh->writes[kind]++;
		if (!rg_load(&sh->prod_done) && !rg_load(&sh->cons_done))
			sh->live[kind]++;
		if (rg_rnd(&s.rs) % 4 == 0)
			ru_sleep_ms((int)(rg_rnd(&s.rs) % 3));
	}
	sh->scrib_done_ns = ru_now_ns();
	rg_store(&sh->scrib_done, 1);
	CHECK(munmap(base, size) == 0, "munmap: %s", strerror(errno));
	return 0;
}

/* ---- a bystander: looks at the region while it is scribbled ---- */

static int looked(struct sh *sh, const char *what, int rc, int64_t ms)
{
	int i = look_of(rc);

	CHECK(i >= 0, "bystander: %s: %d (%s), not a documented result",
	      what, rc, mmipc_strerror(rc));
	CHECK(ms < LATE_MS, "bystander: %s took %lld ms", what,
	      (long long)ms);
	sh->look[i]++;
	return rc;
}

/* Opens without waiting, reads stats, peers and info, touches the data
 * area's first and last bytes (inside the mapping, or it faults). */
static void look_open(struct ctx *x)
{
	struct rg_call *c = &x->sh->calls[C_LOOK];
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	struct mmipc_region_info info;
	struct mmipc_ring_stats st;
	volatile const unsigned char *d;
	mmipc_region *r = NULL;
	int rc;

	rg_call_begin(c, "region_open_timeout", HUNG_MS);
	rc = mmipc_region_open_timeout(&r, x->addr, MMIPC_KIND_RING,
				       MMIPC_F_RDONLY | MMIPC_F_NOWAIT, 0);
	if (looked(x->sh, "open", rc, rg_call_end(c)) < 0)
		return;
	rg_call_begin(c, "ring_stats", HUNG_MS);
	rc = mmipc_ring_stats(r, &st);
	looked(x->sh, "ring_stats", rc, rg_call_end(c));
	CHECK(rc < 0 || st.capacity == mmipc_region_size(r),
	      "ring_stats: capacity %llu of a %llu-byte ring",
	      (unsigned long long)st.capacity,
	      (unsigned long long)mmipc_region_size(r));
	rc = mmipc_region_peers(r, v, MMIPC_MAX_PEERS);
	CHECK(rc >= 0 && rc <= MMIPC_MAX_PEERS, "peers: %d", rc);
	CHECK_RC(mmipc_region_info(r, &info), 0);
	d = mmipc_region_data(r);
	(void)(d[0] ^ d[mmipc_region_size(r) - 1]);
	CHECK_RC(mmipc_region_close(r), 0);
}

static int bystander(void *arg)
{
	struct ctx *x = arg;
	struct rg_call *c = &x->sh->calls[C_LOOK];
	struct mmipc_region_info info;
	bool last = false;
	int rc;

	while (!last) {
		last = rg_load(&x->sh->scrib_done) != 0;
		rg_call_begin(c, "region_stat", HUNG_MS);
		rc = mmipc_region_stat(x->addr, &info);
		looked(x->sh, "stat", rc, rg_call_end(c));
		CHECK(rc < 0 || (info.peers <= MMIPC_MAX_PEERS &&
				 info.peers_alive <= info.peers),
		      "stat: %u peers, %u alive", info.peers,
		      info.peers_alive);
		look_open(x);
		x->sh->looks++;
		ru_sleep_ms(1);
	}
	return 0;
}

/* ---- one seed ---- */

/* New ends attach to the wreck, or are refused, without harm; what they
 * are given lies inside the data area. */
static void wreck(const char *addr, uint32_t seed)
{
	struct ctx x = { .addr = addr, .seed = seed };
	const void *msg = NULL;
	mmipc_ring *ring = NULL;
	size_t len = 0;
	int rc, role;

	for (role = MMIPC_ROLE_PRODUCER; role <= MMIPC_ROLE_CONSUMER; role++) {
		rc = mmipc_region_open_timeout(&x.reg, addr, MMIPC_KIND_RING, 0,
					       50);
		CHECK(look_of(rc) >= 0 && rc != -EBADMSG,
		      "seed %u: open of the wreck: %d (%s)", seed, rc,
		      mmipc_strerror(rc));
		if (rc < 0)
			continue;
		rc = mmipc_ring_attach(&ring, x.reg, role, 0);
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EBUSY ||
			      rc == -EUSERS,
		      "seed %u: attach to the wreck as %d: %d (%s)", seed, role,
		      rc, mmipc_strerror(rc));
		if (rc == 0) {
			x.data = mmipc_region_data(x.reg);
			x.cap = mmipc_region_size(x.reg);
			rc = role == MMIPC_ROLE_PRODUCER
				     ? mmipc_ring_send(ring, "x", 1, 0, 0)
				     : mmipc_ring_peek(ring, &msg, &len, 0);
			CHECK(res_of(role, rc) >= 0,
			      "seed %u: the wreck as %d: %d (%s)", seed, role,
			      rc, mmipc_strerror(rc));
			if (rc == 1)
				in_ring(&x, msg, len, "peek of the wreck");
			mmipc_ring_close(ring);
		}
		CHECK_RC(mmipc_region_close(x.reg), 0);
	}
}

static uint64_t sum(const uint64_t *v, int n)
{
	uint64_t s = 0;

	while (n-- > 0)
		s += v[n];
	return s;
}

static void add_up(struct totals *t, const struct sh *sh, uint32_t mask)
{
	int k, i;

	for (k = 0; k < NKINDS; k++) {
		t->seeds[k] += (mask & BIT(k)) != 0;
		t->writes[k] += sh->writes[k];
		t->live[k] += sh->live[k];
		if (mask != BIT(k))
			continue;
		t->ends[k][res_of(MMIPC_ROLE_PRODUCER, sh->prod_rc)]++;
		t->ends[k][res_of(MMIPC_ROLE_CONSUMER, sh->cons_rc)]++;
	}
	for (i = 0; i < NRES; i++) {
		t->res[0][i] += sh->res[0][i];
		t->res[1][i] += sh->res[1][i];
	}
	for (i = 0; i < NLOOK; i++)
		t->look[i] += sh->look[i];
}

static void scribble(uint32_t seed, struct totals *t)
{
	struct sh *sh = rg_shared(sizeof(*sh));
	struct mmipc_ring_stats st;
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	mmipc_region *r = NULL;
	struct ctx x = { .seed = seed, .mask = variant_mask(seed), .sh = sh };
	char addr[128];
	pid_t pids[4];
	int rc;

	rg_name(addr, sizeof(addr), "scribs");
	CHECK_RC(mmipc_ring_create(&r, addr,
				   (seed / NVARIANTS / 2) % 2 ? 16384 : 4096,
				   0, 0),
		 0);
	x.addr = addr;
	pids[0] = rg_fork(s_consumer, &x);
	pids[1] = rg_fork(s_producer, &x);
	pids[2] = rg_fork(scribbler, &x);
	pids[3] = rg_fork(bystander, &x);
	rg_watch_all(pids, 4, sh->calls, NCALLS, MAXRUN + 10000, addr);
	printf("seed %3u (%-13s): %4llu writes; producer %s after %6llu "
	       "sends; consumer %s after %6llu; %4llu looks; latest %lld "
	       "ms over\n",
	       seed, x.mask == MIX_ALL ? "all kinds" : x.mask == MIX_QUIET
	       ? "quiet mix" : kind_name[seed % NVARIANTS],
	       (unsigned long long)sum(sh->writes, NKINDS),
	       res_name[res_of(MMIPC_ROLE_PRODUCER, sh->prod_rc)],
	       (unsigned long long)sh->sent,
	       res_name[res_of(MMIPC_ROLE_CONSUMER, sh->cons_rc)],
	       (unsigned long long)sh->got, (unsigned long long)sh->looks,
	       (long long)(sh->worst_ms[0] > sh->worst_ms[1]
				   ? sh->worst_ms[0] : sh->worst_ms[1]));
	wreck(addr, seed);
	/* the creator's handle, validated before the garbage came */
	rc = mmipc_ring_stats(r, &st);
	CHECK(rc == 0 || rc == -EBADMSG, "stats: %d", rc);
	rc = mmipc_region_peers(r, v, MMIPC_MAX_PEERS);
	CHECK(rc >= 0 && rc <= MMIPC_MAX_PEERS, "peers: %d", rc);
	CHECK_RC(mmipc_region_close(r), 0);
	/* forced: the magic may be garbage by now */
	CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
	rg_forget_name(addr);
	add_up(t, sh, x.mask);
	munmap(sh, sizeof(*sh));
}

/* Every kind was written while both ends streamed; how the ends took it. */
static void report(const struct totals *t)
{
	int k, i;

	printf("\nkind           seeds  writes   live | how the ends of its "
	       "own seeds ended\n");
	for (k = 0; k < NKINDS; k++) {
		printf("%-14s %5llu %7llu %6llu |", kind_name[k],
		       (unsigned long long)t->seeds[k],
		       (unsigned long long)t->writes[k],
		       (unsigned long long)t->live[k]);
		for (i = 0; i < NRES; i++)
			if (t->ends[k][i] != 0)
				printf(" %s %llu", res_name[i],
				       (unsigned long long)t->ends[k][i]);
		printf("\n");
	}
	for (i = 0; i < 2; i++) {
		printf("%s calls:", i == 0 ? "producer" : "consumer");
		for (k = 0; k < NRES; k++)
			printf(" %s %llu", res_name[k],
			       (unsigned long long)t->res[i][k]);
		printf("\n");
	}
	printf("bystander calls:");
	for (i = 0; i < NLOOK; i++)
		printf(" %s %llu",
		       look_rc[i] ? mmipc_strerror(look_rc[i]) : "ok",
		       (unsigned long long)t->look[i]);
	printf("\n");
	for (k = 0; k < NKINDS; k++)
		CHECK(t->live[k] > 0, "kind '%s' never written while both ends "
		      "streamed", kind_name[k]);
}

int main(int argc, char **argv)
{
	uint32_t seed0 = argc > 1 ? (uint32_t)atoi(argv[1]) : 1, s;
	uint32_t seeds = argc > 2 ? (uint32_t)atoi(argv[2]) : SEEDS;
	struct totals *t = rg_shared(sizeof(*t));

	rg_init(115);
	for (s = seed0; s < seed0 + seeds; s++)
		scribble(s, t);
	report(t);
	return T_PASS;
}
