/*
 * fuzz_peer_scan.c - the peer table and the liveness scan on arbitrary
 * slots, as `mmipc ls`/`stat` and an attaching end read them.
 *
 * The file is a real ring region (4 KiB capacity, made by the library
 * once at start); every input rewrites it from that image and then lays
 * its bytes over it:
 *
 *   off  size  what
 *     0  1024  the peer table, copied over (16 slots of 64 bytes:
 *              word = pid | generation | state, start, pidns, attach_ns,
 *              role; layout.h)
 *  1024   256  XORed into the header (zeros keep it valid: the kind,
 *              sizes and state can be flipped bit by bit)
 *  1280   320  XORed into the ring control block (the end words name
 *              peer slots)
 *
 * Then: mmipc_region_stat() (peer counting of inspect.c), the read-only
 * open `mmipc stat` uses with mmipc_region_peers() and mmipc_ring_stats(),
 * and a read-write open on which a consumer and a producer attach (claim
 * a slot, take an end) and detach. Liveness reads /proc/PID/stat of the
 * pids in the slots: no signal is ever sent to them.
 *
 * What must hold: counts within the table and consistent between the
 * calls; slots listed once each, in order; ring ends within the states;
 * attach succeeds or gives a documented error, and the slot it took is
 * ours while attached and free after close; nothing left open or mapped.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "../src/ring_int.h"
#include "fuzz_util.h"

#define CAP	   4096u
#define TABLE_LEN  (MMIPC_PEER_SLOTS * 64u)
#define IN_HDR	   TABLE_LEN
#define IN_CTL	   (IN_HDR + sizeof(struct mmipc_hdr))
#define IN_END	   (IN_CTL + sizeof(struct mmipc_ring_ctl))

static int file_fd;
static char file_addr[PATH_MAX + 8];
static unsigned char image[MMIPC_HDR_SIZE + CAP]; /* the clean ring */

/* The library makes the ring: the image is what a real one looks like. */
static void make_image(void)
{
	char addr[PATH_MAX + 8], path[PATH_MAX];
	mmipc_region *r;
	int rc;

	fz_file_addr(addr, sizeof(addr), "image");
	rc = mmipc_ring_create(&r, addr, CAP, 0, 0);
	FZ_CHECK(rc == 0, "ring_create %s: %s", addr, fz_rc(rc));
	FZ_CHECK(r->map_size == sizeof(image), "ring of %zu bytes",
		 r->map_size);
	memcpy(image, r->base, sizeof(image));
	FZ_CHECK(mmipc_region_close(r) == 0, "close");
	FZ_CHECK(unlink(fz_path(path, sizeof(path), "image")) == 0, "unlink");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init("peer_scan");
	make_image();
	file_fd = fz_file("ring");
	fz_file_addr(file_addr, sizeof(file_addr), "ring");
	fz_leak_check_setup(NULL);
	return 0;
}

/* The region file for this input. */
static void write_region(const uint8_t *data, size_t size)
{
	static unsigned char buf[sizeof(image)];
	size_t i;

	memcpy(buf, image, sizeof(buf));
	memcpy(buf + MMIPC_PEER_OFF, data, size < TABLE_LEN ? size : TABLE_LEN);
	for (i = IN_HDR; i < size && i < IN_CTL; i++)
		buf[i - IN_HDR] ^= data[i];
	for (i = IN_CTL; i < size && i < IN_END; i++)
		buf[MMIPC_RING_CTL_OFF + i - IN_CTL] ^= data[i];
	fz_write(file_fd, buf, sizeof(buf));
}

static bool open_error_ok(int rc)
{
	return rc == -MMIPC_EBADMAGIC || rc == -MMIPC_EVERSION ||
	       rc == -MMIPC_EFORMAT || rc == -MMIPC_EKIND ||
	       rc == -MMIPC_ETRUNC || rc == -MMIPC_ENOTREADY;
}

/* The peer list of r: sane, and as long as @want (the count from stat). */
static int check_peers(const mmipc_region *r, int want)
{
	struct mmipc_peer_info v[MMIPC_MAX_PEERS], few[2];
	int n = mmipc_region_peers(r, v, MMIPC_MAX_PEERS), i;

	FZ_CHECK(n >= 0 && n <= (int)MMIPC_PEER_SLOTS, "peers: %d", n);
	FZ_CHECK(want < 0 || n == want, "peers: %d, stat said %d", n, want);
	for (i = 0; i < n; i++)
		FZ_CHECK(v[i].slot < MMIPC_PEER_SLOTS &&
				 (i == 0 || v[i].slot > v[i - 1].slot) &&
				 v[i].alive >= -1 && v[i].alive <= 1,
			 "peer %d: slot %u alive %d", i, v[i].slot, v[i].alive);
	FZ_CHECK(mmipc_region_peers(r, NULL, 0) == n, "peers(NULL) != %d", n);
	FZ_CHECK(mmipc_region_peers(r, few, 2) == n, "peers(2) != %d", n);
	FZ_CHECK(n < 1 || memcmp(few, v, (n < 2 ? n : 2) * sizeof(v[0])) == 0,
		 "peers(2) lists other peers");
	return n;
}

/* What `mmipc stat` reads: stat, then a read-only look. */
static void look(void)
{
	struct mmipc_region_info info;
	struct mmipc_ring_stats st;
	mmipc_region *r;
	int rc, want = -1;

	rc = mmipc_region_stat(file_addr, &info);
	FZ_CHECK(rc == 0 || open_error_ok(rc), "stat: %d (%s)", rc,
		 fz_rc(rc));
	if (rc == 0) {
		FZ_CHECK(info.peers <= MMIPC_PEER_SLOTS &&
				 info.peers_alive <= info.peers,
			 "stat: %u peers, %u alive", info.peers,
			 info.peers_alive);
		want = (int)info.peers;
	}
	rc = mmipc_region_open_timeout(&r, file_addr, MMIPC_KIND_ANY,
				       MMIPC_F_RDONLY | MMIPC_F_ANY_UID |
					       MMIPC_F_NOWAIT, 0);
	FZ_CHECK(rc == 0 || open_error_ok(rc), "open: %d (%s)", rc,
		 fz_rc(rc));
	if (rc < 0)
		return;
	check_peers(r, want);
	rc = mmipc_ring_stats(r, &st);
	FZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -MMIPC_EKIND,
		 "ring_stats: %d (%s)", rc, fz_rc(rc));
	/* mmipc.h: the pid of an end is "0 when none" */
	FZ_CHECK(rc != 0 || (st.producer <= MMIPC_END_DEAD &&
			     st.consumer <= MMIPC_END_DEAD &&
			     (st.producer != MMIPC_END_NONE ||
			      st.producer_pid == 0) &&
			     (st.consumer != MMIPC_END_NONE ||
			      st.consumer_pid == 0)),
		 "ring_stats: ends %u %u, pids %d %d", st.producer,
		 st.consumer, st.producer_pid, st.consumer_pid);
	mmipc_region_close(r);
}

/* The word of slot i as it is in the region now. */
static uint64_t slot_word(const mmipc_region *r, uint32_t i)
{
	const struct mmipc_peer_slot *s = (const struct mmipc_peer_slot *)
		((const char *)r->base + MMIPC_PEER_OFF);

	return READ_ONCE(s[i].word);
}

/* Who held the slots before an attach: the list, and each slot's word. */
struct table {
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	int n;
	uint64_t word[MMIPC_PEER_SLOTS];
};

static void table_read(const mmipc_region *r, struct table *t)
{
	uint32_t i;

	t->n = mmipc_region_peers(r, t->v, MMIPC_MAX_PEERS);
	for (i = 0; i < MMIPC_PEER_SLOTS; i++)
		t->word[i] = slot_word(r, i);
}

/*
 * What an attach that returned rc did to the table: the slot of a live
 * peer, or of one that cannot be told, is never taken (not even for a
 * moment: an attach that fails later puts back FREE, not the word it
 * took); and -EUSERS only when no slot was free or dead.
 */
static void check_claim(const mmipc_region *r, const struct table *t, int rc)
{
	int i, live = 0;

	for (i = 0; i < t->n; i++) {
		uint32_t s = t->v[i].slot;

		if (t->v[i].alive == 0)
			continue;
		live++;
		FZ_CHECK(slot_word(r, s) == t->word[s],
			 "attach (%d) changed slot %u of live pid %d: 0x%llx "
			 "-> 0x%llx", rc, s, t->v[i].pid,
			 (unsigned long long)t->word[s],
			 (unsigned long long)slot_word(r, s));
	}
	FZ_CHECK(rc != -EUSERS || live == (int)MMIPC_PEER_SLOTS,
		 "-EUSERS with %d of %u slots live", live, MMIPC_PEER_SLOTS);
}

/* Attach as role: NULL, or a ring end whose slot holds us, alive. */
static mmipc_ring *attach(mmipc_region *r, int role)
{
	struct table before;
	mmipc_ring *ring;
	uint64_t w;
	int rc;

	table_read(r, &before);
	rc = mmipc_ring_attach(&ring, r, role, 0);
	FZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EBUSY || rc == -EUSERS ||
			 rc == -MMIPC_EKIND,
		 "attach %d: %d (%s)", role, rc, fz_rc(rc));
	check_claim(r, &before, rc);
	if (rc != 0)
		return NULL;
	FZ_CHECK(ring->slot < MMIPC_PEER_SLOTS, "slot %u", ring->slot);
	w = slot_word(r, ring->slot);
	FZ_CHECK(PEER_PID(w) == (int32_t)getpid() &&
			 PEER_STATE(w) == PEER_ACTIVE &&
			 peer_alive(r, ring->slot, (uint32_t)role) == 1,
		 "attached in slot %u, word 0x%llx", ring->slot,
		 (unsigned long long)w);
	return ring;
}

/* Close: the slot is free again (nobody else could have taken it). */
static void detach(mmipc_region *r, mmipc_ring *ring)
{
	uint32_t slot;
	uint64_t w;

	if (ring == NULL)
		return;
	slot = ring->slot;
	FZ_CHECK(mmipc_ring_close(ring) == 0, "ring_close");
	w = slot_word(r, slot);
	FZ_CHECK(PEER_STATE(w) == PEER_FREE, "slot %u not freed: 0x%llx",
		 slot, (unsigned long long)w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mmipc_ring *cons, *prod;
	mmipc_region *r;

	write_region(data, size);
	look();
	if (mmipc_region_open_timeout(&r, file_addr, MMIPC_KIND_ANY,
				      MMIPC_F_NOWAIT, 0) == 0) {
		/* both at once: the second claim must pass over the first */
		cons = attach(r, MMIPC_ROLE_CONSUMER);
		prod = attach(r, MMIPC_ROLE_PRODUCER);
		FZ_CHECK(cons == NULL || prod == NULL || cons->slot != prod->slot,
			 "both ends in slot %u", cons->slot);
		check_peers(r, -1);
		detach(r, prod);
		detach(r, cons);
		mmipc_region_close(r);
	}
	fz_leak_check();
	return 0;
}
