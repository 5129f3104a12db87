/*
 * gen_corpus.c - writes the seed corpus of the fuzz targets: real regions
 * and rings made by the library, states a hostile peer could leave, and a
 * few mutations of them that reach the error paths at once.
 *
 *	fuzz-gen-corpus OUTDIR    writes OUTDIR/TARGET/NAME for each target
 *
 * The seeds in fuzz/corpus/ were made this way and are checked in; run it
 * again only when a layout changes (then replace them, and keep
 * fuzz/regress/ as it is: those inputs are history). The input format of
 * each target is described at the top of its fuzz_TARGET.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/ring_int.h"
#include "fuzz_util.h"

#define CAP	  4096u
#define TABLE_LEN (MMIPC_PEER_SLOTS * 64u)
#define FILE_LEN  (MMIPC_HDR_SIZE + CAP)

/* fuzz_ring_recv.c's flag bytes */
#define F_XOR	  0x08u
#define F_ATTACH  0x10u
#define F_PEERS	  0x20u
#define F2_ROTATE 0x01u
#define F2_PROD	  0x02u

static const char *outdir;

static void put(const char *target, const char *name, const void *p,
		size_t n)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	FZ_CHECK(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s",
		 path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	FZ_CHECK(n == 0 || write(fd, p, n) == (ssize_t)n, "write %s", path);
	FZ_CHECK(close(fd) == 0, "close %s", path);
}

/* A region file seed goes to both targets that read whole files. */
static void put_file(const char *name, const void *p, size_t n)
{
	put("region_open", name, p, n);
	put("stat_decode", name, p, n);
}

static void snapshot(const mmipc_region *r, unsigned char *buf)
{
	FZ_CHECK(r->map_size == FILE_LEN, "map_size %zu", r->map_size);
	memcpy(buf, r->base, FILE_LEN);
}

static struct mmipc_hdr *hdr_of(unsigned char *buf)
{
	return (struct mmipc_hdr *)buf;
}

/* region_open, stat_decode: a raw region and its mutations. */
static void gen_raw(void)
{
	static unsigned char raw[FILE_LEN], buf[FILE_LEN];
	char addr[PATH_MAX + 8];
	mmipc_region *r;

	FZ_CHECK(mmipc_region_create(&r, fz_file_addr(addr, sizeof(addr),
						      "raw"), 100, 0, 0) == 0,
		 "create raw");
	strcpy(mmipc_region_data(r), "data of a raw region");
	snapshot(r, raw);
	mmipc_region_close(r);
	put_file("raw", raw, sizeof(raw));
	put_file("raw-cut-4096", raw, 4096);
	put_file("raw-cut-256", raw, 256);
	put_file("empty", raw, 0);
	memcpy(buf, raw, sizeof(buf));
	hdr_of(buf)->state = MMIPC_STATE_INIT;
	put_file("not-ready", buf, sizeof(buf));
	memcpy(buf, raw, sizeof(buf));
	hdr_of(buf)->magic = MMIPC_MAGIC_SWAPPED;
	put_file("swapped", buf, sizeof(buf));
	memcpy(buf, raw, sizeof(buf));
	hdr_of(buf)->version = MMIPC_LAYOUT_VERSION + 1;
	put_file("version", buf, sizeof(buf));
	memcpy(buf, raw, sizeof(buf));
	hdr_of(buf)->total_size = 3 * FILE_LEN; /* the second pass fits it */
	hdr_of(buf)->data_size = 2 * FILE_LEN;
	put_file("total-past-end", buf, sizeof(buf));
	memcpy(buf, raw, sizeof(buf));
	hdr_of(buf)->data_off = MMIPC_HDR_SIZE + 4;
	put_file("data-off-odd", buf, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	put_file("zeros", buf, sizeof(buf));
	put_file("plain-text", "not a region\n", 13);
}

/* A ring with both ends attached and traffic; pends messages, wraps
 * when asked. Snapshot taken while attached and again after close. */
static void ring_states(unsigned char *attached, unsigned char *closed,
			bool wrap)
{
	static const size_t sizes[] = { 700, 1500, 0, 33 };
	static unsigned char msg[CAP];
	mmipc_ring *prod, *cons;
	mmipc_region *r;
	size_t len, i;

	FZ_CHECK(mmipc_ring_create(&r, "memfd", CAP, 0, 0) == 0, "ring");
	FZ_CHECK(mmipc_ring_attach(&prod, r, MMIPC_ROLE_PRODUCER, 0) == 0 &&
			 mmipc_ring_attach(&cons, r, MMIPC_ROLE_CONSUMER, 0) == 0,
		 "attach");
	memset(msg, 'm', sizeof(msg));
	for (i = 0; wrap && i < 3; i++) { /* 3 x 1200: the next one wraps */
		FZ_CHECK(mmipc_ring_send(prod, msg, 1200, 0, 0) == 0, "send");
		FZ_CHECK(mmipc_ring_recv(cons, msg, CAP, &len, 0) == 1, "recv");
	}
	for (i = 0; i < 4; i++)
		FZ_CHECK(mmipc_ring_send(prod, msg, sizes[i], 0, 0) == 0, "send");
	FZ_CHECK(mmipc_ring_recv(cons, msg, CAP, &len, 0) == 1, "recv");
	snapshot(r, attached);
	mmipc_ring_close(prod);
	mmipc_ring_close(cons);
	snapshot(r, closed);
	mmipc_region_close(r);
}

/* ring_recv: [flags][flags2][ctl][data][peers] of a ring snapshot. */
static void put_ring(const char *name, unsigned flags, unsigned flags2,
		     const unsigned char *s)
{
	static unsigned char in[2 + 320 + CAP + TABLE_LEN];
	size_t n = 2 + 320 + CAP;

	in[0] = (unsigned char)flags;
	in[1] = (unsigned char)flags2;
	memcpy(in + 2, s + MMIPC_RING_CTL_OFF, 320);
	memcpy(in + 2 + 320, s + MMIPC_HDR_SIZE, CAP);
	if (flags & F_PEERS) {
		memcpy(in + n, s + MMIPC_PEER_OFF, TABLE_LEN);
		n += TABLE_LEN;
	}
	put("ring_recv", name, in, n);
}

/* ring_recv: after 7 clean messages, XOR these bytes in at [at, +n) of
 * the input (flags2 = ROTATE: the data begins at the tail's record). */
static void put_flip(const char *name, size_t at, const void *x, size_t n)
{
	unsigned char in[2 + 320 + 16];

	memset(in, 0, sizeof(in));
	in[0] = F_ATTACH | F_XOR | 7;
	in[1] = F2_ROTATE;
	memcpy(in + at, x, n);
	put("ring_recv", name, in, at + n);
}

/*
 * ring_recv: a ring whose control block says head, tail (ends: none) and
 * whose data area holds the records given, from the tail's offset on
 * (flags2 ROTATE, wrapping at the end of the ring); laid over a zeroed
 * ring before both ends attach. One seed per check the consumer makes,
 * so that the replay test fails at once if one of them goes missing.
 */
struct rec {
	uint32_t len, type;
	size_t at;	/* bytes after the tail */
};

static void put_crafted(const char *name, uint64_t tail, uint64_t head,
			const struct rec *r, size_t n)
{
	static unsigned char in[2 + 320 + CAP];
	struct mmipc_ring_ctl ctl;
	size_t i, end = 2 + 320;

	memset(in, 0, sizeof(in));
	memset(&ctl, 0, sizeof(ctl));
	ctl.head = head;
	ctl.tail = tail;
	in[0] = 0;
	in[1] = F2_ROTATE;
	memcpy(in + 2, &ctl, sizeof(ctl));
	for (i = 0; i < n; i++) {
		memcpy(in + 2 + 320 + r[i].at, &r[i].len, 4);
		memcpy(in + 2 + 320 + r[i].at + 4, &r[i].type, 4);
		if (end < 2 + 320 + r[i].at + 8)
			end = 2 + 320 + r[i].at + 8;
	}
	put("ring_recv", name, in, end);
}

static void gen_crafted(void)
{
	/* tail at offset 3000: 1096 bytes to the end of the ring */
	const uint64_t t = 3000, to_end = CAP - 3000;
	const struct rec pad_ok[] = {
		{ (uint32_t)to_end - REC_HDR, REC_PAD, 0 },
		{ 8, REC_DATA, to_end },
	};
	const struct rec pad_short[] = { { 100, REC_PAD, 0 } };
	const struct rec crosses[] = { { 1500, REC_DATA, 0 } };
	const struct rec past_head[] = { { 100, REC_DATA, 0 } };
	const struct rec bad_type[] = { { 8, 0x12345678, 0 } };
	const struct rec huge[] = { { 0xfffffff0u, REC_DATA, 0 } };
	const struct rec wrap[] = { { 0, REC_PAD, 0 }, { 8, REC_DATA, 8 } };

	put_crafted("crafted-pad-then-data", t, t + to_end + 16, pad_ok, 2);
	put_crafted("crafted-pad-short", t, t + to_end + 16, pad_short, 1);
	put_crafted("crafted-crosses-end", t, t + 2096, crosses, 1);
	put_crafted("crafted-past-head", t, t + 64, past_head, 1);
	put_crafted("crafted-bad-type", t, t + 64, bad_type, 1);
	put_crafted("crafted-huge-len", t, t + CAP, huge, 1);
	put_crafted("crafted-head-over-cap", t, t + CAP + 8, NULL, 0);
	put_crafted("crafted-head-odd", t, t + 12, NULL, 0);
	put_crafted("crafted-tail-odd", t + 4, t + 64, NULL, 0);
	/* positions run past 2^64: a PAD of the last 8 bytes, a message */
	put_crafted("crafted-positions-wrap", UINT64_MAX - 7, 16, wrap, 2);
}

static void gen_ring(void)
{
	static unsigned char att[FILE_LEN], cls[FILE_LEN];
	static const unsigned char flags_only[] = {
		F_ATTACH | F_XOR, F_ATTACH | F_XOR | 3, F_ATTACH | F_XOR | 7,
		F_ATTACH | F_XOR | 5 | 0x40, F_ATTACH | F_XOR | 6 | 0xc0, 0,
	};
	static const uint32_t len_flip = 0x400, type_flip = REC_DATA ^ REC_PAD;
	static const uint64_t pos_flip = 8;
	char name[32];
	size_t i;

	ring_states(att, cls, false);
	put_file("ring-attached", att, sizeof(att));
	put_file("ring-closed", cls, sizeof(cls));
	put_ring("pending", 0, 0, att);
	put_ring("pending-peers", F_PEERS, 0, att);
	put_ring("pending-closed", 0, F2_PROD, cls);
	ring_states(att, cls, true);
	put_ring("wrapped", 0, 0, att);
	put_ring("wrapped-closed-small-buf", 0x80, 0, cls);
	for (i = 0; i < sizeof(flags_only); i++) {
		snprintf(name, sizeof(name), "flags-%02x", flags_only[i]);
		put("ring_recv", name, &flags_only[i], 1);
	}
	put_flip("xor-head", 2, &pos_flip, sizeof(pos_flip));
	put_flip("xor-tail", 2 + 64, &pos_flip, sizeof(pos_flip));
	put_flip("xor-len-at-tail", 2 + 320, &len_flip, sizeof(len_flip));
	put_flip("xor-type-at-tail", 2 + 320 + 4, &type_flip,
		 sizeof(type_flip));
	gen_crafted();
}

/* peer_scan: [table][header XOR][ctl XOR]. */
static void put_peers(const char *name, const struct mmipc_peer_slot *t,
		      const unsigned char *hdr_xor, const unsigned char *ctl)
{
	static unsigned char in[TABLE_LEN + 256 + 320];

	memset(in, 0, sizeof(in));
	memcpy(in, t, TABLE_LEN);
	if (hdr_xor != NULL)
		memcpy(in + TABLE_LEN, hdr_xor, 256);
	if (ctl != NULL)
		memcpy(in + TABLE_LEN + 256, ctl, 320);
	put("peer_scan", name, in, ctl != NULL ? sizeof(in)
			    : hdr_xor != NULL ? TABLE_LEN + 256 : TABLE_LEN);
}

static void slot_set(struct mmipc_peer_slot *s, int32_t pid, uint32_t state,
		     uint32_t role)
{
	s->word = PEER_WORD(pid, 1, state);
	s->role = role;
	s->attach_ns = INT64_C(1700000000) * 1000000000;
}

static void gen_peers(void)
{
	static unsigned char att[FILE_LEN], cls[FILE_LEN];
	struct mmipc_peer_slot t[MMIPC_PEER_SLOTS];
	struct mmipc_ring_ctl ctl;
	struct mmipc_hdr hx;
	uint32_t i;

	memset(t, 0, sizeof(t));
	put_peers("empty", t, NULL, NULL);
	ring_states(att, cls, false);
	memcpy(t, att + MMIPC_PEER_OFF, sizeof(t));
	put_peers("attached-dead", t, NULL, att + MMIPC_RING_CTL_OFF);
	/* pid 1 lives wherever this runs: a live producer holds the end */
	memset(t, 0, sizeof(t));
	memset(&ctl, 0, sizeof(ctl));
	slot_set(&t[0], 1, PEER_ACTIVE, MMIPC_ROLE_PRODUCER);
	ctl.prod_end = RING_END(MMIPC_END_ATTACHED, 0, 1);
	put_peers("live-producer", t, NULL, (unsigned char *)&ctl);
	for (i = 0; i < MMIPC_PEER_SLOTS; i++)
		slot_set(&t[i], 1, PEER_ACTIVE, MMIPC_ROLE_CONSUMER);
	ctl.cons_end = RING_END(MMIPC_END_ATTACHED, 3, 1);
	put_peers("full", t, NULL, (unsigned char *)&ctl);
	memset(t, 0, sizeof(t));
	slot_set(&t[2], 1, PEER_CLAIMING, 7);
	slot_set(&t[9], INT32_MAX, PEER_ACTIVE, MMIPC_ROLE_CONSUMER);
	slot_set(&t[15], -5, 3, MMIPC_ROLE_PRODUCER);
	t[15].pidns = 1;
	put_peers("odd-slots", t, NULL, NULL);
	/* the same table in a whole ring file, for the tool's decoder */
	memcpy(cls, att, sizeof(cls));
	memcpy(cls + MMIPC_PEER_OFF, t, sizeof(t));
	put_file("ring-odd-peers", cls, sizeof(cls));
	memset(&hx, 0, sizeof(hx));
	hx.kind = MMIPC_KIND_RING ^ MMIPC_KIND_RAW;
	put_peers("kind-raw", t, (unsigned char *)&hx, NULL);
	memset(&ctl, 0, sizeof(ctl));
	ctl.prod_end = RING_END(7, 9, 0);
	put_peers("bad-end", t, NULL, (unsigned char *)&ctl);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	fz_init("gen_corpus");
	gen_raw();
	gen_ring();
	gen_peers();
	return 0;
}
