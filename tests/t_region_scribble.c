/*
 * t_region_scribble - a hostile peer writes garbage into a region's header
 * and peer table while two victim processes use the region through every
 * public call that reads them: open (every kind and flag, with and
 * without a wait), info, peers, refresh, resize, sync, open_fd, stat,
 * ring stats, and, on a ring, attach and detach (which claim and free peer
 * slots) with one send or peek in between. Each seed writes one kind of
 * garbage, or all kinds mixed, into a raw region or a ring:
 *  - the header's identity (magic, version, format, header size), its
 *    sizes (total, data offset, data size, capacity), its state (kind,
 *    state, resize generation, creator), random bytes and bit flips in it;
 *  - peer slots (random or plausible words, roles, start times, pid
 *    namespaces), random bytes in the peer table and in the rest of the
 *    header block (the ring's control block);
 *  - a "resize" with garbage sizes: the file grows, the sizes in the
 *    header are garbage near the new size, the generation is bumped.
 *
 * Checked: every call returns one of its documented results, within its
 * timeout plus slack (the parent names a call that hangs); whatever a call
 * maps is readable at its first and last byte (inside the mapping, or it
 * faults) and what a peek hands out lies inside the data area; no victim
 * crashes (run it under ASan) or leaks a descriptor or a mapping. At the
 * end: how often each kind was written while the victims ran (each must
 * be) and the results of every call.
 *
 * Usage: t_region_scribble [FIRST_SEED [SEEDS]]
 */
#include "ring_util.h"

#define SEEDS	  40
#define RUN_MS	  250	/* the scribbler writes this long per seed */
#define LATE_MS	  2000	/* a call may return this late (load, ASan) */
#define HUNG_MS	  8000	/* a call still running after this has hung */
#define MAX_FILE  (256 * 1024) /* grown no further, by victims or scribbler */
#define VICTIMS	  2

/* The kinds of garbage. */
enum {
	K_IDENT, K_SIZES, K_STATE, K_HDR_BYTES, K_HDR_FLIP, K_SLOTS,
	K_TABLE_BYTES, K_BLOCK_BYTES, K_GROW, NKINDS
};

static const char *const kind_name[NKINDS] = {
	"header ident", "header sizes", "header state", "header bytes",
	"header flips", "peer slots", "table bytes", "block bytes",
	"bad resize",
};

#define NVARIANTS (NKINDS + 1) /* one kind alone, or all of them */

/* The public calls of the victims, and the results each may give. */
enum {
	OP_OPEN, OP_OPEN_FD, OP_STAT, OP_PEERS, OP_REFRESH, OP_RESIZE,
	OP_SYNC, OP_RING_STATS, OP_ATTACH, OP_RING_OPEN, OP_RING_CALL, NOPS
};

static const char *const op_name[NOPS] = {
	"region_open", "region_open_fd", "region_stat", "region_peers",
	"region_refresh", "region_resize", "region_sync", "ring_stats",
	"ring_attach", "ring_open", "send/peek",
};

#define OPEN_ERRS                                                             \
	-MMIPC_EBADMAGIC, -MMIPC_EVERSION, -MMIPC_EFORMAT, -MMIPC_EKIND,      \
		-MMIPC_ETRUNC, -MMIPC_ENOTREADY
#define ATTACH_ERRS -MMIPC_EKIND, -EBADMSG, -EBUSY, -EUSERS
#define END	    1000 /* ends a list: no result is 1000 */

static const int allowed[NOPS][12] = {
	[OP_OPEN] = { 0, OPEN_ERRS, END },
	[OP_OPEN_FD] = { 0, OPEN_ERRS, END },
	[OP_STAT] = { 0, OPEN_ERRS, END },
	[OP_PEERS] = { END }, /* a count: checked apart */
	[OP_REFRESH] = { 0, 1, -MMIPC_ETRUNC, -EOPNOTSUPP, END },
	[OP_RESIZE] = { 0, -EOPNOTSUPP, -EBADF, END },
	[OP_SYNC] = { 0, END },
	[OP_RING_STATS] = { 0, -MMIPC_EKIND, -EBADMSG, END },
	[OP_ATTACH] = { 0, ATTACH_ERRS, END },
	[OP_RING_OPEN] = { 0, OPEN_ERRS, ATTACH_ERRS, END },
	[OP_RING_CALL] = { 0, 1, -EAGAIN, -EPIPE, -EBADMSG, END },
};

/* The results seen, for the report: an op's result as an index into
 * result_rc[]. */
static const int result_rc[] = {
	0, 1, -MMIPC_EBADMAGIC, -MMIPC_EVERSION, -MMIPC_EFORMAT,
	-MMIPC_EKIND, -MMIPC_ETRUNC, -MMIPC_ENOTREADY, -EBADMSG, -EBUSY,
	-EUSERS, -EOPNOTSUPP, -EBADF, -EAGAIN, -EPIPE,
};
#define NRESULTS ((int)(sizeof(result_rc) / sizeof(result_rc[0])))

/* One seed's run, shared by its processes. */
struct sh {
	uint64_t started;		/* victims running */
	uint64_t done;			/* the scribbler stopped */
	uint64_t writes[NKINDS];	/* all while the victims ran */
	uint64_t res[NOPS][NRESULTS];
	struct rg_call calls[VICTIMS];
};

struct ctx {
	char addr[128];
	uint32_t seed;
	bool ring;		/* the region is a ring (else raw) */
	struct sh *sh;
	struct rg_call *call;	/* the victim's own */
	uint64_t rs;
};

static uint32_t variant_mask(uint32_t seed)
{
	uint32_t v = seed % NVARIANTS;

	return v < NKINDS ? 1u << v : (1u << NKINDS) - 1;
}

static int result_index(int rc)
{
	int i;

	for (i = 0; i < NRESULTS; i++)
		if (result_rc[i] == rc)
			return i;
	return -1;
}

/* Starts a call of op @op (for the parent's watch). */
static void begin(struct ctx *x, int op)
{
	rg_call_begin(x->call, op_name[op], HUNG_MS);
}

/* The call of op @op started by begin() returned @rc: documented, in
 * time (@wait_ms: the wait it was allowed). Returns rc. */
static int took(struct ctx *x, int op, int rc, int wait_ms)
{
	int64_t ms = rg_call_end(x->call);
	int i;

	for (i = 0; allowed[op][i] != END; i++)
		if (allowed[op][i] == rc)
			break;
	CHECK(allowed[op][i] != END, "%s: %d (%s), not a documented result",
	      op_name[op], rc, mmipc_strerror(rc));
	CHECK(ms < wait_ms + LATE_MS, "%s took %lld ms (may wait %d ms)",
	      op_name[op], (long long)ms, wait_ms);
	i = result_index(rc);
	CHECK(i >= 0, "%s: %d: no column in the report", op_name[op], rc);
	x->sh->res[op][i]++;
	return rc;
}

/* The data area of an open handle is mapped: its first and last bytes
 * read (a fault here is a mapping shorter than the handle says). */
static void touch(const mmipc_region *r)
{
	volatile const unsigned char *d = mmipc_region_data(r);
	uint64_t n = mmipc_region_size(r);

	CHECK(n > 0 && d != NULL, "empty data area");
	(void)(d[0] ^ d[n - 1]);
}

/* A peer list: a count in range, slots that exist. */
static void peers_ok(struct ctx *x, const mmipc_region *r)
{
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	int n, i;

	begin(x, OP_PEERS);
	n = mmipc_region_peers(r, v, MMIPC_MAX_PEERS);
	rg_call_end(x->call);
	CHECK(n >= 0 && n <= MMIPC_MAX_PEERS, "peers: %d", n);
	for (i = 0; i < n; i++)
		CHECK(v[i].slot < MMIPC_PEER_SLOTS &&
			      v[i].alive >= -1 && v[i].alive <= 1,
		      "peer %d: slot %u, alive %d", i, v[i].slot,
		      (int)v[i].alive);
}

/* On a ring: attach as either end, make one call that does not wait,
 * detach (a peer slot claimed and freed under the scribbler's hands). */
static void attach_once(struct ctx *x, mmipc_region *r)
{
	int role = (int)(rg_rnd(&x->rs) % 2) + MMIPC_ROLE_PRODUCER;
	mmipc_ring *ring = NULL;
	const void *p = NULL;
	size_t len = 0;
	int rc;

	begin(x, OP_ATTACH);
	if (took(x, OP_ATTACH, mmipc_ring_attach(&ring, r, role, 0), 0) < 0)
		return;
	begin(x, OP_RING_CALL);
	rc = role == MMIPC_ROLE_PRODUCER ? mmipc_ring_send(ring, "x", 1, 0, 0)
					 : mmipc_ring_peek(ring, &p, &len, 0);
	took(x, OP_RING_CALL, rc, 0);
	if (rc == 1) {
		const unsigned char *d = mmipc_region_data(r);

		CHECK((const unsigned char *)p >= d + REC_HDR &&
			      (uint64_t)((const unsigned char *)p - d) + len <=
				      mmipc_region_size(r),
		      "peek: %zu bytes at offset %lld of a %llu-byte ring", len,
		      (long long)((const unsigned char *)p - d),
		      (unsigned long long)mmipc_region_size(r));
	}
	CHECK_RC(mmipc_ring_close(ring), 0);
}

/* What a victim does with a handle it got. */
static void use_handle(struct ctx *x, mmipc_region *r, bool rdonly)
{
	struct mmipc_region_info info;
	struct mmipc_ring_stats st;
	mmipc_region *r2 = NULL;
	uint64_t size;

	touch(r);
	CHECK_RC(mmipc_region_info(r, &info), 0);
	peers_ok(x, r);
	begin(x, OP_REFRESH);
	took(x, OP_REFRESH, mmipc_region_refresh(r), 0);
	touch(r);
	size = mmipc_region_size(r); /* as refresh left it */
	if (!rdonly && !x->ring && size + 4096 <= MAX_FILE / 2 &&
	    rg_rnd(&x->rs) % 8 == 0) {
		begin(x, OP_RESIZE);
		took(x, OP_RESIZE, mmipc_region_resize(r, size + 4096), 0);
		touch(r);
	}
	begin(x, OP_SYNC);
	took(x, OP_SYNC, mmipc_region_sync(r, MMIPC_SYNC_ASYNC), 0);
	begin(x, OP_RING_STATS);
	took(x, OP_RING_STATS, mmipc_ring_stats(r, &st), 0);
	if (x->ring && !rdonly)
		attach_once(x, r);
	begin(x, OP_OPEN_FD);
	if (took(x, OP_OPEN_FD,
		 mmipc_region_open_fd(&r2, mmipc_region_fd(r), MMIPC_KIND_ANY,
				      MMIPC_F_NOWAIT | MMIPC_F_RDONLY),
		 0) == 0) {
		touch(r2);
		CHECK_RC(mmipc_region_close(r2), 0);
	}
}

static void open_once(struct ctx *x)
{
	static const uint32_t kinds[] = { MMIPC_KIND_ANY, MMIPC_KIND_RAW,
					  MMIPC_KIND_RING };
	static const unsigned flags[] = { 0, MMIPC_F_RDONLY, MMIPC_F_NOWAIT,
					  MMIPC_F_ANY_UID };
	unsigned f = flags[rg_rnd(&x->rs) % 4];
	int wait = rg_rnd(&x->rs) % 2 ? 0 : 20;
	mmipc_region *r = NULL;

	begin(x, OP_OPEN);
	if (took(x, OP_OPEN,
		 mmipc_region_open_timeout(&r, x->addr,
					   kinds[rg_rnd(&x->rs) % 3], f, wait),
		 wait) < 0)
		return;
	use_handle(x, r, f == MMIPC_F_RDONLY);
	CHECK_RC(mmipc_region_close(r), 0);
}

static void stat_once(struct ctx *x)
{
	struct mmipc_region_info info;

	begin(x, OP_STAT);
	if (took(x, OP_STAT, mmipc_region_stat(x->addr, &info), 0) == 0)
		CHECK(info.peers <= MMIPC_MAX_PEERS &&
			      info.peers_alive <= info.peers,
		      "stat: %u peers, %u alive", info.peers,
		      info.peers_alive);
}

/* mmipc_ring_open() without a wait: open, check, attach in one. */
static void ring_open_once(struct ctx *x)
{
	int role = (int)(rg_rnd(&x->rs) % 2) + MMIPC_ROLE_PRODUCER;
	mmipc_ring *ring = NULL;

	begin(x, OP_RING_OPEN);
	if (took(x, OP_RING_OPEN,
		 mmipc_ring_open(&ring, x->addr, role, MMIPC_F_NOWAIT), 0) == 0)
		CHECK_RC(mmipc_ring_close(ring), 0);
}

static int victim(void *arg)
{
	struct ctx *x = arg;
	struct ru_res before;

	x->rs = x->rs * 31 + (uint64_t)getpid();
	/* the first call of each kind allocates what it keeps (stdio,
	 * ASan): leaks are counted from after one round */
	open_once(x);
	stat_once(x);
	before = ru_res_now();
	__atomic_fetch_add(&x->sh->started, 1, __ATOMIC_SEQ_CST);
	while (!rg_load(&x->sh->done)) {
		open_once(x);
		stat_once(x);
		if (x->ring)
			ring_open_once(x);
	}
	CHECK_RES(before, "victim");
	return 0;
}

/* ---- the scribbler ---- */

struct scrib {
	unsigned char *base;	/* the file, mapped by itself */
	size_t size;		/* as first mapped */
	struct mmipc_hdr saved;	/* the header as it was */
	char path[512];
	uint64_t rs;
};

/* A hostile "resize": the file grows, the header gets garbage sizes near
 * the new ones and a new generation, so that refresh reads them. */
static void bad_resize(struct scrib *s)
{
	struct mmipc_hdr *hd = (struct mmipc_hdr *)s->base;
	uint64_t file = ru_file_size(s->path);

	if (file + 4096 <= MAX_FILE && rg_rnd(&s->rs) % 2) {
		file += 4096;
		ru_truncate(s->path, file);
	}
	RG_PUT(hd->total_size, rg_rnd(&s->rs) % 2 ? file
						: rg_garbage(&s->rs, file));
	RG_PUT(hd->data_size, rg_garbage(&s->rs, file - MMIPC_HDR_SIZE));
	__atomic_fetch_add(&hd->resize_gen, 1, __ATOMIC_RELEASE);
}

#define TABLE_SIZE (MMIPC_PEER_SLOTS * sizeof(struct mmipc_peer_slot))

static void scrib_one(struct scrib *s, int kind)
{
	struct mmipc_hdr *hd = (struct mmipc_hdr *)s->base;
	uint64_t *rs = &s->rs;
	unsigned char *p;

	switch (kind) {
	case K_IDENT:
	case K_SIZES:
	case K_STATE:
		rg_scrib_hdr(hd, &s->saved,
			     kind == K_IDENT ? RG_HDR_IDENT
			     : kind == K_SIZES ? RG_HDR_SIZES : RG_HDR_STATE,
			     s->size - MMIPC_HDR_SIZE, rs);
		break;
	case K_HDR_BYTES:
		s->base[rg_rnd(rs) % sizeof(*hd)] = (unsigned char)rg_rnd(rs);
		break;
	case K_HDR_FLIP:
		rg_flip(hd, sizeof(*hd), rs);
		break;
	case K_SLOTS:
		rg_scrib_slot((struct mmipc_peer_slot *)(s->base +
							 MMIPC_PEER_OFF), rs);
		break;
	case K_TABLE_BYTES:
		p = s->base + MMIPC_PEER_OFF;
		p[rg_rnd(rs) % TABLE_SIZE] = (unsigned char)rg_rnd(rs);
		break;
	case K_BLOCK_BYTES: /* past the peer table: the ring's control */
		p = s->base + MMIPC_PEER_OFF + TABLE_SIZE;
		p[rg_rnd(rs) % (MMIPC_HDR_SIZE - MMIPC_PEER_OFF - TABLE_SIZE)] =
			(unsigned char)rg_rnd(rs);
		break;
	default:
		bad_resize(s);
		break;
	}
}

static int scribbler(void *arg)
{
	struct ctx *x = arg;
	uint32_t mask = variant_mask(x->seed);
	struct scrib s = { .rs = x->seed * UINT64_C(0x9e3779b97f4a7c15) | 1 };
	int64_t start;
	int kind;

	s.base = rg_map_file(x->addr, &s.size);
	ru_path(s.path, sizeof(s.path), x->addr);
	memcpy(&s.saved, s.base, sizeof(s.saved));
	rg_await_at_least(&x->sh->started, VICTIMS, 10000, "victims start");
	start = ru_now_ns();
	while (ru_ms_since(start) < RUN_MS) {
		kind = (int)(rg_rnd(&s.rs) % NKINDS);
		if (!(mask & 1u << kind))
			continue;
		scrib_one(&s, kind);
		x->sh->writes[kind]++;
		if (rg_rnd(&s.rs) % 4 == 0)
			ru_sleep_ms((int)(rg_rnd(&s.rs) % 2));
	}
	rg_store(&x->sh->done, 1);
	CHECK(munmap(s.base, s.size) == 0, "munmap: %s", strerror(errno));
	return 0;
}

/* ---- seeds and the report ---- */

struct totals {
	uint64_t writes[NKINDS];
	uint64_t res[NOPS][NRESULTS];
};

static void add_up(struct totals *t, const struct sh *sh)
{
	int k, i;

	for (k = 0; k < NKINDS; k++)
		t->writes[k] += sh->writes[k];
	for (k = 0; k < NOPS; k++)
		for (i = 0; i < NRESULTS; i++)
			t->res[k][i] += sh->res[k][i];
}

static void one_seed(uint32_t seed, struct totals *t)
{
	struct sh *sh = rg_shared(sizeof(*sh));
	struct ctx x = { .seed = seed, .sh = sh, .rs = seed | 1 };
	mmipc_region *r = NULL;
	pid_t pids[VICTIMS + 1];
	uint64_t writes = 0, opens = 0;
	int i;

	x.ring = (seed / NVARIANTS) % 2 == 1;
	rg_name(x.addr, sizeof(x.addr), "rscrib");
	if (x.ring)
		CHECK_RC(mmipc_ring_create(&r, x.addr, 8192, 0, 0), 0);
	else
		CHECK_RC(mmipc_region_create(&r, x.addr, 8192, 0, 0), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	for (i = 0; i < VICTIMS; i++) {
		x.call = &sh->calls[i];
		pids[i] = rg_fork(victim, &x);
	}
	pids[VICTIMS] = rg_fork(scribbler, &x);
	rg_watch_all(pids, VICTIMS + 1, sh->calls, VICTIMS, 30000, x.addr);
	for (i = 0; i < NKINDS; i++)
		writes += sh->writes[i];
	for (i = 0; i < NRESULTS; i++)
		opens += sh->res[OP_OPEN][i];
	printf("seed %3u (%-12s, %s): %5llu writes, %5llu opens, %llu of "
	       "them refused\n", seed,
	       seed % NVARIANTS < NKINDS ? kind_name[seed % NVARIANTS]
					 : "all kinds",
	       x.ring ? "ring" : "raw ", (unsigned long long)writes,
	       (unsigned long long)opens,
	       (unsigned long long)(opens - sh->res[OP_OPEN][0]));
	/* forced: the magic may be garbage by now */
	CHECK_RC(mmipc_region_unlink(x.addr, MMIPC_F_FORCE), 0);
	rg_forget_name(x.addr);
	add_up(t, sh);
	munmap(sh, sizeof(*sh));
}

static void report(const struct totals *t)
{
	int k, i;

	printf("\nkind           writes (all while the victims ran)\n");
	for (k = 0; k < NKINDS; k++)
		printf("%-14s %6llu\n", kind_name[k],
		       (unsigned long long)t->writes[k]);
	printf("\nresults of the victims' calls:\n");
	for (k = 0; k < NOPS; k++) {
		if (k == OP_PEERS)
			continue;
		printf("%-15s", op_name[k]);
		for (i = 0; i < NRESULTS; i++)
			if (t->res[k][i] != 0)
				printf(" %s %llu",
				       result_rc[i] == 0   ? "0"
				       : result_rc[i] == 1 ? "1"
						: mmipc_strerror(result_rc[i]),
				       (unsigned long long)t->res[k][i]);
		printf("\n");
	}
	for (k = 0; k < NKINDS; k++)
		CHECK(t->writes[k] > 0, "kind '%s' never written while the "
		      "victims ran", kind_name[k]);
}

int main(int argc, char **argv)
{
	uint32_t seed0 = argc > 1 ? (uint32_t)atoi(argv[1]) : 1, s;
	uint32_t seeds = argc > 2 ? (uint32_t)atoi(argv[2]) : SEEDS;
	struct totals *t = rg_shared(sizeof(*t));

	rg_init(115);
	for (s = seed0; s < seed0 + seeds; s++)
		one_seed(s, t);
	report(t);
	return T_PASS;
}
