/*
 * t_ring_wrap - sizes and positions around the wrap of a 4 KiB ring.
 *
 * For every start offset 0..4088 (step 8), reached by sending filler
 * messages, a message of every size 0..300 is sent there: the records
 * near the end do not fit and go to the start behind a PAD record.
 *
 * Phase 1, both ends in this process, the ring empty before each message:
 * the head moves exactly as layout.h says (header + payload padded to 8,
 * a PAD to the end of the ring when the record does not fit), reserve and
 * peek point at the payload where that record lies (contiguous, never
 * split), the message is intact through send/recv and reserve/commit and
 * peek/release; recv with a buffer one byte too small is -EMSGSIZE with
 * *len the message's size, and the message is still there for the right
 * buffer (also a zero-sized buffer). The largest message
 * (mmipc_ring_max_msg()) passes intact; max+1, the capacity and SIZE_MAX
 * are -EMSGSIZE for send and reserve and leave the ring as it was.
 *
 * Phase 2, the same messages from a forked producer to this process, plus
 * the largest message at offsets 0, 8, 16, 1024, 2048, 2056, 4080 and
 * 4088 (behind a PAD up to almost a whole ring): all intact, in order.
 *
 * Phase 3, bigger rings: the largest message of a 1 MiB ring at offsets
 * 0, 8, 512 KiB and 1 MiB - 8, across processes; a 1 GiB ring (the
 * largest capacity) is made and carries a message.
 */
#include "ring_util.h"

#define CAP	 4096u
#define MASK	 (CAP - 1)
#define MAXTEST	 300u
#define SEED	 0x77a9u
#define WAIT_MS	 10000

enum { FILL, TEST, BIG };

struct step {
	uint32_t len;
	uint32_t kind;
};

struct plan {
	struct step *v;
	size_t n, room;
	uint64_t pos;	/* the head after the steps so far, as modelled */
	uint64_t max;	/* the ring's max message */
};

/* Where a record of @len goes when the head is at @pos: the start of its
 * header (0 after a PAD), and the head after it. */
static uint64_t place(uint64_t pos, uint64_t len, uint64_t *next)
{
	uint64_t rec = rg_rec(len), at = pos;

	if ((pos & MASK) + rec > CAP)
		at = pos + (CAP - (pos & MASK)); /* behind a PAD */
	*next = at + rec;
	return at;
}

static void push(struct plan *pl, uint32_t len, uint32_t kind)
{
	if (pl->n == pl->room) {
		pl->room = pl->room ? 2 * pl->room : 4096;
		pl->v = realloc(pl->v, pl->room * sizeof(*pl->v));
		CHECK(pl->v != NULL, "realloc");
	}
	pl->v[pl->n].len = len;
	pl->v[pl->n].kind = kind;
	pl->n++;
	place(pl->pos, len, &pl->pos);
}

/* Fillers up to offset @o: records that end exactly at @o or at the end
 * of the ring, so that no filler needs a PAD. */
static void move_to(struct plan *pl, uint64_t o)
{
	while ((pl->pos & MASK) != o) {
		uint64_t cur = pl->pos & MASK;
		uint64_t d = o > cur ? o - cur : CAP - cur;

		if (d > 1024)
			d = 1024;
		push(pl, (uint32_t)(d - REC_HDR), FILL);
	}
}

static void make_plan(struct plan *pl, uint64_t max, bool big_anywhere)
{
	static const uint64_t big_at[] = { 0, 8, 16, 1024, 2048, 2056,
					   CAP - 16, CAP - 8 };
	uint64_t o;
	uint32_t s;
	size_t i;

	memset(pl, 0, sizeof(*pl));
	pl->max = max;
	for (o = 0; o < CAP; o += 8)
		for (s = 0; s <= MAXTEST; s++) {
			move_to(pl, o);
			push(pl, s, TEST);
		}
	for (i = 0; i < sizeof(big_at) / sizeof(big_at[0]); i++) {
		if (!big_anywhere && big_at[i] != 0)
			continue;
		move_to(pl, big_at[i]);
		push(pl, (uint32_t)max, BIG);
		move_to(pl, big_at[i]);
		push(pl, (uint32_t)max - 7, BIG);
		move_to(pl, big_at[i]);
		push(pl, (uint32_t)max - 8, BIG);
	}
}

/* Sends step @i: by send or, every other one, by reserve/commit. Returns
 * the reserved pointer (NULL for send). */
static void *send_step(mmipc_ring *p, const struct plan *pl, size_t i,
		       void *buf)
{
	uint32_t len = pl->v[i].len;
	void *at = NULL;

	if (i & 1) {
		CHECK_RC(mmipc_ring_reserve(p, len, &at, WAIT_MS), 0);
		rg_fill(at, len, SEED, i);
		CHECK_RC(mmipc_ring_commit(p, len, 0), 0);
	} else {
		rg_fill(buf, len, SEED, i);
		CHECK_RC(mmipc_ring_send(p, buf, len, 0, WAIT_MS), 0);
	}
	return at;
}

/* Receives step @i and checks it: by recv or, every fourth, by peek;
 * every third non-empty one first with a buffer one byte short. Returns
 * the peeked pointer (NULL for recv). */
static const void *recv_step(mmipc_ring *c, const struct plan *pl, size_t i,
			     void *buf)
{
	uint32_t want = pl->v[i].len;
	const void *at = NULL;
	size_t len = 12345;

	if (want > 0 && i % 3 == 0) {
		CHECK_RC(mmipc_ring_recv(c, want > 1 ? buf : NULL, want - 1,
					 &len, WAIT_MS),
			 -EMSGSIZE);
		CHECK(len == want, "step %zu: -EMSGSIZE with *len %zu, want %u",
		      i, len, want);
		len = 12345;
	}
	if ((i & 3) == 2) {
		CHECK_RC(mmipc_ring_peek(c, &at, &len, WAIT_MS), 1);
		CHECK(len == want, "step %zu: peek %zu bytes, want %u", i, len,
		      want);
		CHECK(rg_check_msg(at, len, SEED, i) == len,
		      "step %zu (%u bytes): corrupt at %zu", i, want,
		      rg_check_msg(at, len, SEED, i));
		CHECK_RC(mmipc_ring_release(c), 0);
	} else {
		CHECK_RC(mmipc_ring_recv(c, buf, pl->max, &len, WAIT_MS), 1);
		CHECK(len == want, "step %zu: recv %zu bytes, want %u", i, len,
		      want);
		CHECK(rg_check_msg(buf, len, SEED, i) == len,
		      "step %zu (%u bytes): corrupt at %zu", i, want,
		      rg_check_msg(buf, len, SEED, i));
	}
	return at;
}

static void too_big(mmipc_ring *p, mmipc_region *r, uint64_t max, void *buf)
{
	struct mmipc_ring_ctl *ctl = rg_ctl(r);
	uint64_t head = rg_load(&ctl->head);
	static const size_t extra[] = { 1, 2, 8, 9, 4096 };
	void *at = buf;
	size_t i;

	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		CHECK_RC(mmipc_ring_send(p, buf, max + extra[i], 0, 0),
			 -EMSGSIZE);
		CHECK_RC(mmipc_ring_reserve(p, max + extra[i], &at, 0),
			 -EMSGSIZE);
	}
	CHECK_RC(mmipc_ring_send(p, buf, CAP, 0, 0), -EMSGSIZE);
	CHECK_RC(mmipc_ring_reserve(p, SIZE_MAX, &at, 0), -EMSGSIZE);
	CHECK_RC(mmipc_ring_reserve(p, SIZE_MAX - 7, &at, 0), -EMSGSIZE);
	CHECK_RC(mmipc_ring_reserve(p, (size_t)UINT32_MAX + 1, &at, 0),
		 -EMSGSIZE);
	CHECK_RC(mmipc_ring_send(p, buf, SIZE_MAX, 0, 0), -EMSGSIZE);
	CHECK(rg_load(&ctl->head) == head, "a refused send moved the head");
	/* a failed reserve leaves nothing reserved */
	CHECK_RC(mmipc_ring_commit(p, 0, 0), -EINVAL);
	CHECK(rg_load(&ctl->head) == head, "a refused send moved the head");
}

/* Phase 1: both ends here, every step checked against the model. */
static void phase1(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *p = NULL, *c = NULL;
	struct mmipc_ring_ctl *ctl;
	struct plan pl;
	unsigned char *data;
	uint64_t max, pos = 0;
	void *buf;
	size_t i, tests = 0, pads = 0;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&p, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&c, r, MMIPC_ROLE_CONSUMER, 0), 0);
	ctl = rg_ctl(r);
	data = mmipc_region_data(r);
	max = mmipc_ring_max_msg(p);
	CHECK(max == mmipc_ring_max_msg(c), "max msg differs by end");
	CHECK(max >= 1024 && max <= CAP - REC_HDR,
	      "max msg %llu of a %u-byte ring", (unsigned long long)max, CAP);
	printf("capacity %u, max message %llu\n", CAP,
	       (unsigned long long)max);
	buf = malloc(max + 4096);
	CHECK(buf != NULL, "malloc");

	too_big(p, r, max, buf);
	make_plan(&pl, max, false);
	for (i = 0; i < pl.n; i++) {
		uint64_t len = pl.v[i].len, next, at, head, tail;
		const void *pp;

		at = place(pos, len, &next);
		pp = send_step(p, &pl, i, buf);
		if (pp != NULL)
			CHECK(pp == data + (at & MASK) + REC_HDR,
			      "step %zu: %llu bytes at %llu: reserve gave "
			      "offset %td, want %llu",
			      i, (unsigned long long)len,
			      (unsigned long long)(pos & MASK),
			      (const unsigned char *)pp - data,
			      (unsigned long long)((at & MASK) + REC_HDR));
		head = rg_load(&ctl->head);
		tail = rg_load(&ctl->tail);
		CHECK(head == next && tail == pos,
		      "step %zu: %llu bytes sent at %llu: head %llu tail "
		      "%llu, want %llu %llu",
		      i, (unsigned long long)len,
		      (unsigned long long)(pos & MASK),
		      (unsigned long long)head, (unsigned long long)tail,
		      (unsigned long long)next, (unsigned long long)pos);
		pp = recv_step(c, &pl, i, buf);
		if (pp != NULL)
			CHECK(pp == data + (at & MASK) + REC_HDR,
			      "step %zu: peek gave offset %td, want %llu", i,
			      (const unsigned char *)pp - data,
			      (unsigned long long)((at & MASK) + REC_HDR));
		CHECK(rg_load(&ctl->tail) == next,
		      "step %zu: tail %llu after recv, want %llu", i,
		      (unsigned long long)rg_load(&ctl->tail),
		      (unsigned long long)next);
		tests += pl.v[i].kind != FILL;
		pads += at != pos;
		pos = next;
	}
	CHECK(pos == pl.pos, "model");
	printf("phase 1: %zu messages (%zu tests, %zu behind a PAD), head "
	       "%llu\n",
	       pl.n, tests, pads, (unsigned long long)pos);
	/* an empty ring stays empty */
	CHECK_RC(mmipc_ring_recv(c, buf, max, &i, 0), -EAGAIN);
	too_big(p, r, max, buf);
	free(pl.v);
	free(buf);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

struct prod_args {
	mmipc_region *r;
	struct plan *pl;
};

static int producer(void *arg)
{
	struct prod_args *a = arg;
	mmipc_ring *p = NULL;
	void *buf = malloc(a->pl->max + 8);
	size_t i;

	CHECK(buf != NULL, "malloc");
	CHECK_RC(mmipc_ring_attach(&p, a->r, MMIPC_ROLE_PRODUCER, 0), 0);
	for (i = 0; i < a->pl->n; i++)
		send_step(p, a->pl, i, buf);
	CHECK_RC(mmipc_ring_close(p), 0);
	free(buf);
	return 0;
}

/* Phase 2: a producer in another process, the big ones everywhere. */
static void phase2(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *c = NULL;
	struct prod_args a;
	struct plan pl;
	uint64_t max;
	void *buf;
	size_t i, len;
	pid_t pid;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&c, r, MMIPC_ROLE_CONSUMER, 0), 0);
	max = mmipc_ring_max_msg(c);
	make_plan(&pl, max, true);
	buf = malloc(max + 8);
	CHECK(buf != NULL, "malloc");
	a.r = r;
	a.pl = &pl;
	pid = rg_fork(producer, &a);
	for (i = 0; i < pl.n; i++)
		recv_step(c, &pl, i, buf);
	CHECK_RC(mmipc_ring_recv(c, buf, max, &len, WAIT_MS), 0);
	RG_WAIT_OK(pid, "producer");
	printf("phase 2: %zu messages across processes\n", pl.n);
	free(pl.v);
	free(buf);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

struct big_args {
	mmipc_region *r;
	uint64_t max;
};

/* The big messages of phase 3: sizes and seeds. */
static const uint64_t big_off[] = { 0, 8, 1u << 19, (1u << 20) - 8 };

static int big_producer(void *arg)
{
	struct big_args *a = arg;
	mmipc_ring *p = NULL;
	void *at = NULL;
	size_t i;

	CHECK_RC(mmipc_ring_attach(&p, a->r, MMIPC_ROLE_PRODUCER, 0), 0);
	for (i = 0; i < sizeof(big_off) / sizeof(big_off[0]); i++) {
		/* a filler up to the offset, then the largest message */
		if (big_off[i] != 0) {
			CHECK_RC(mmipc_ring_reserve(p, big_off[i] - REC_HDR,
						    &at, WAIT_MS),
				 0);
			CHECK_RC(mmipc_ring_commit(p, big_off[i] - REC_HDR, 0),
				 0);
		}
		CHECK_RC(mmipc_ring_reserve(p, a->max, &at, WAIT_MS), 0);
		rg_fill(at, a->max, SEED, 1000 + i);
		CHECK_RC(mmipc_ring_commit(p, a->max, 0), 0);
	}
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

/* Phase 3: a 1 MiB ring carries its largest message at several offsets
 * (behind a PAD of almost a whole ring); a 1 GiB ring (the largest) can
 * be made and used. */
static void phase3(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *c = NULL, *p = NULL;
	struct big_args a;
	const void *at = NULL;
	size_t i, len;
	pid_t pid;

	CHECK_RC(mmipc_ring_create(&r, "anon", 1u << 20, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&c, r, MMIPC_ROLE_CONSUMER, 0), 0);
	a.r = r;
	a.max = mmipc_ring_max_msg(c);
	CHECK(a.max >= (1u << 19) && a.max < (1u << 20), "max %llu",
	      (unsigned long long)a.max);
	pid = rg_fork(big_producer, &a);
	for (i = 0; i < sizeof(big_off) / sizeof(big_off[0]); i++) {
		if (big_off[i] != 0) {
			CHECK_RC(mmipc_ring_peek(c, &at, &len, WAIT_MS), 1);
			CHECK(len == big_off[i] - REC_HDR, "filler %zu", len);
			CHECK_RC(mmipc_ring_release(c), 0);
		}
		CHECK_RC(mmipc_ring_peek(c, &at, &len, WAIT_MS), 1);
		CHECK(len == a.max && rg_check_msg(at, len, SEED, 1000 + i) ==
					      len,
		      "largest message at offset %llu: %zu bytes, corrupt at "
		      "%zu",
		      (unsigned long long)big_off[i], len,
		      rg_check_msg(at, len, SEED, 1000 + i));
		CHECK_RC(mmipc_ring_release(c), 0);
	}
	CHECK_RC(mmipc_ring_peek(c, &at, &len, WAIT_MS), 0);
	RG_WAIT_OK(pid, "big producer");
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	printf("phase 3: 1 MiB ring, largest message (%llu) at %zu offsets\n",
	       (unsigned long long)a.max, sizeof(big_off) / sizeof(big_off[0]));

	CHECK_RC(mmipc_ring_create(&r, "anon", MMIPC_RING_MAX_CAPACITY, 0, 0),
		 0);
	CHECK_RC(mmipc_ring_attach(&p, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&c, r, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK(mmipc_ring_max_msg(p) >= MMIPC_RING_MAX_CAPACITY / 2 &&
		      mmipc_ring_max_msg(p) < MMIPC_RING_MAX_CAPACITY,
	      "max %llu", (unsigned long long)mmipc_ring_max_msg(p));
	CHECK_RC(mmipc_ring_send(p, "big ring", 8, 0, 0), 0);
	CHECK_RC(mmipc_ring_peek(c, &at, &len, 0), 1);
	CHECK(len == 8 && memcmp(at, "big ring", 8) == 0, "1 GiB ring");
	CHECK_RC(mmipc_ring_release(c), 0);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

int main(void)
{
	rg_init(110);
	phase1();
	phase2();
	phase3();
	return T_PASS;
}
