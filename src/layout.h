/*
 * layout.h - the shared-memory layouts of mmipc: the ABI between processes.
 *
 * Everything here is mapped by several processes, possibly built from other
 * versions of this library, possibly hostile. Fixed-width fields only, no
 * pointers, explicit padding, and every size and offset pinned by a
 * _Static_assert. Readers load a field ONCE into a local, validate the
 * local, and use only the local.
 *
 * A region:
 *
 *   0           256             1280      2048             hdr_size (4096)
 *   +-----------+---------------+---------+----------------+--------------+
 *   | struct    | peer table:   | zero    | kind control   | data area    |
 *   | mmipc_hdr | 16 x 64 bytes |         | (ring: 5 lines)| data_size    |
 *   +-----------+---------------+---------+----------------+--------------+
 *                                                           ^ data_off
 *
 * The peer table and the kind control block took space that layout 1 kept
 * zero. A region without them reads as "no peers", and code that does not
 * know them never looks there, so the layout version did not change.
 *
 * struct mmipc_hdr, byte offsets (all little-endian on x86_64):
 *
 *   off size field          written by / when          a reader may assume
 *   --- ---- -------------- -------------------------- ---------------------
 *     0    8 magic          creator, before READY      nothing: check it
 *     8    4 version        creator, before READY      nothing: check it
 *    12    4 format         creator, before READY      nothing: check it
 *    16    4 hdr_size       creator, before READY      nothing: check it
 *    20    4 kind           creator, before READY      nothing: check it
 *    24    8 total_size     creator; resize (grows)    <= file size, checked
 *    32    8 data_off       creator, before READY      checked
 *    40    8 data_size      creator; resize (after     checked against the
 *                           total_size grew)           mapping, every time
 *    48    4 creator_pid    creator, before READY      informative only
 *    52    4 creator_uid    creator, before READY      informative only
 *    56    8 creator_start  creator, before READY      informative only
 *    64    8 ctime_ns       creator, before READY      informative only
 *    72   32 params[4]      creator, before READY      kind-specific, checked
 *                                                      by the kind's code
 *   104    4 flags          creator, before READY      informative only
 *   108    4 reserved0      zero
 *   112    8 creator_pidns  creator, before READY      inode of its pid
 *                                                      namespace: pids mean
 *                                                      nothing outside it
 *   120    8 reserved2      zero
 *   128    4 state          creator, release-store of  READY => every field
 *                           READY, last of all         above was written
 *   132    4 resize_gen     resize, release, after     bumped once per resize
 *                           data_size
 *   136  120 reserved1      zero
 *
 * The state word sits on its own cache line because openers may sleep on it
 * (futex) while the creator fills the first line.
 */
#ifndef MMIPC_LAYOUT_H
#define MMIPC_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The magic reads "mmipc", 0x00, 0x1a, 0xe9 in memory on a little-endian
 * machine. Byte-swapped (MMIPC_MAGIC_SWAPPED) it tells of a region written
 * on a machine of the other endianness, which gets its own error.
 */
#define MMIPC_MAGIC	    UINT64_C(0xe91a006370696d6d)
#define MMIPC_MAGIC_SWAPPED UINT64_C(0x6d6d697063001ae9)

/*
 * Bump on ANY change to a shared layout (header, peer table, a kind's
 * control block). Openers refuse any other version.
 */
#define MMIPC_LAYOUT_VERSION 1

/* The cache line the layouts are padded for. */
#define MMIPC_CACHELINE 64

/*
 * Layout-affecting build choices, folded into one word so that two builds
 * that would disagree on a layout refuse to share a region instead of
 * corrupting it (the idea of LMDB's MDB_LOCK_FORMAT): the cache line the
 * control blocks are padded for, and the byte order.
 */
#define MMIPC_FORMAT                                                          \
	((uint32_t)MMIPC_CACHELINE | ((uint32_t)sizeof(uint64_t) << 8) |      \
	 ((uint32_t)(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 'L' : 'B')   \
	  << 16))

/* The header block: the common header, then room for the peer table and a
 * kind's control words; the data area starts right after, page-aligned. */
#define MMIPC_HDR_SIZE 4096u

struct mmipc_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t format;
	uint32_t hdr_size;
	uint32_t kind;
	uint64_t total_size;
	uint64_t data_off;
	uint64_t data_size;
	int32_t creator_pid;
	uint32_t creator_uid;
	uint64_t creator_start;
	int64_t ctime_ns;
	uint64_t params[4];
	uint32_t flags;
	uint32_t reserved0;
	uint64_t creator_pidns;
	uint8_t reserved2[8];
	/* second cache line: the words that change after creation */
	uint32_t state;
	uint32_t resize_gen;
	uint8_t reserved1[120];
};

_Static_assert(sizeof(struct mmipc_hdr) == 256, "header size");
_Static_assert(offsetof(struct mmipc_hdr, magic) == 0, "magic");
_Static_assert(offsetof(struct mmipc_hdr, version) == 8, "version");
_Static_assert(offsetof(struct mmipc_hdr, format) == 12, "format");
_Static_assert(offsetof(struct mmipc_hdr, hdr_size) == 16, "hdr_size");
_Static_assert(offsetof(struct mmipc_hdr, kind) == 20, "kind");
_Static_assert(offsetof(struct mmipc_hdr, total_size) == 24, "total_size");
_Static_assert(offsetof(struct mmipc_hdr, data_off) == 32, "data_off");
_Static_assert(offsetof(struct mmipc_hdr, data_size) == 40, "data_size");
_Static_assert(offsetof(struct mmipc_hdr, creator_pid) == 48, "creator_pid");
_Static_assert(offsetof(struct mmipc_hdr, creator_uid) == 52, "creator_uid");
_Static_assert(offsetof(struct mmipc_hdr, creator_start) == 56, "start");
_Static_assert(offsetof(struct mmipc_hdr, ctime_ns) == 64, "ctime_ns");
_Static_assert(offsetof(struct mmipc_hdr, params) == 72, "params");
_Static_assert(offsetof(struct mmipc_hdr, flags) == 104, "flags");
_Static_assert(offsetof(struct mmipc_hdr, creator_pidns) == 112, "pidns");
_Static_assert(offsetof(struct mmipc_hdr, state) == 128, "state");
_Static_assert(offsetof(struct mmipc_hdr, state) % MMIPC_CACHELINE == 0,
	       "state on its own cache line");
_Static_assert(offsetof(struct mmipc_hdr, resize_gen) == 132, "resize_gen");
_Static_assert(MMIPC_HDR_SIZE % MMIPC_CACHELINE == 0, "hdr block aligned");

/* ------------------------------------------------------------------------
 * The peer table: who is attached (peer.c).
 *
 * A slot is claimed by one compare-and-swap on `word`, which holds the
 * claimer's pid, a generation and the slot state together, so that a slot
 * is never half-claimed: FREE -> CLAIMING (pid set) -> ACTIVE. The claimer
 * fills start/pidns/attach_ns/role between the two, and stores ACTIVE with
 * release ordering; a reader that sees ACTIVE (acquire) sees those fields.
 * Detach stores FREE (release). A slot whose pid is dead, in any state but
 * FREE, may be reclaimed by a CAS from the exact word seen (the generation
 * makes an ABA impossible in practice: 2^24 reuses between a load and a
 * CAS). Everything in a slot is untrusted: role and pid are checked before
 * use, and a slot with garbage is "not a peer", never a crash.
 *
 *   off size field      written by / when            a reader may assume
 *     0    8 word       claimer (CAS), detach        nothing: decode, check
 *     8    8 start      claimer, before ACTIVE       informative
 *    16    8 pidns      claimer, before ACTIVE       informative
 *    24    8 attach_ns  claimer, before ACTIVE       informative
 *    32    4 role       claimer, before ACTIVE       checked: 1 or 2
 *    36   28 reserved   zero
 * While a slot is CLAIMING, start, pidns and role are still its previous
 * holder's: the liveness of a claimer is judged by its pid alone.
 * ------------------------------------------------------------------------ */
#define MMIPC_PEER_OFF	 256u
#define MMIPC_PEER_SLOTS 16u

enum { PEER_FREE = 0, PEER_CLAIMING = 1, PEER_ACTIVE = 2 };

#define PEER_WORD(pid, gen, state)                                            \
	(((uint64_t)(uint32_t)(pid) << 32) |                                  \
	 ((uint64_t)((gen) & 0xffffffu) << 8) | (uint64_t)(state))
#define PEER_STATE(w) ((uint32_t)((w) & 0xff))
#define PEER_GEN(w)   ((uint32_t)(((w) >> 8) & 0xffffff))
#define PEER_PID(w)   ((int32_t)((w) >> 32))

struct mmipc_peer_slot {
	uint64_t word;
	uint64_t start;
	uint64_t pidns;
	int64_t attach_ns;
	uint32_t role;
	uint8_t reserved[28];
};

_Static_assert(sizeof(struct mmipc_peer_slot) == MMIPC_CACHELINE, "slot");
_Static_assert(offsetof(struct mmipc_peer_slot, start) == 8, "start");
_Static_assert(offsetof(struct mmipc_peer_slot, role) == 32, "role");
_Static_assert(MMIPC_PEER_OFF >= sizeof(struct mmipc_hdr), "after header");
_Static_assert(MMIPC_PEER_OFF + MMIPC_PEER_SLOTS * 64 <= 2048, "table fits");

/* ------------------------------------------------------------------------
 * An eventcount: where one side sleeps until the other makes progress
 * (futex.c draws the race it closes). One cache line each, so that the
 * waiter's announcements never bounce the lines the data path uses.
 *
 *   off size field    written by                 a reader may assume
 *     0    4 seq      the signaller (+1 per      nothing; only its change
 *                     wake-worthy event)         matters (futex word)
 *     4    4 waiters  the waiter (+1 before       nothing: a dead waiter
 *                     sleeping, -1 after)         leaves it high, which
 *                                                 costs wakes, not safety
 * ------------------------------------------------------------------------ */
struct mmipc_evc {
	uint32_t seq;
	uint32_t waiters;
	uint8_t pad[56];
};

_Static_assert(sizeof(struct mmipc_evc) == MMIPC_CACHELINE, "evc");

/* ------------------------------------------------------------------------
 * The ring's control block (ring.c), at MMIPC_RING_CTL_OFF, five cache
 * lines. The capacity is params[0] of the header (a power of two, equal to
 * data_size); positions are free-running 64-bit byte counts, masked by
 * capacity - 1, compared only by difference.
 *
 *   line off field       written by                 a reader may assume
 *   0      0 head        producer, release, after   nothing: 0 <= head -
 *                        the records below it       tail <= capacity and
 *                                                   never backwards, checked
 *   0      8 msgs_sent   producer, with head        informative
 *   0     16 bytes_sent  producer, with head        informative
 *   1     64 tail        consumer, release, after   nothing: checked as head
 *                        it is done reading
 *   1     72 msgs_recv   consumer, with tail        informative
 *   1     80 bytes_recv  consumer, with tail        informative
 *   2    128 data        evc: consumer sleeps, producer signals
 *   3    192 space       evc: producer sleeps, consumer signals
 *   4    256 prod_end    attach/close of the producer (CAS): RING_END()
 *   4    260 cons_end    attach/close of the consumer (CAS)
 *   4    264 broken      whoever finds corruption (1, never cleared)
 *
 * Records in the data area, 8-byte aligned, contiguous (never split at the
 * wrap):  [u32 len][u32 type][len bytes][pad to 8]. type is REC_DATA or
 * REC_PAD; a PAD record fills the space up to the end of the ring when the
 * next record does not fit there, and its len is exactly that space minus
 * its header. A record is valid once head has passed it (the release store
 * of head is the commit marker); the consumer checks len and type against
 * the space between its tail and the head, and against the end of the ring,
 * before it touches a payload byte.
 * ------------------------------------------------------------------------ */
#define MMIPC_RING_CTL_OFF 2048u

/* An end word: state (RING_END_*, = MMIPC_END_*), peer slot, generation. */
#define RING_END(state, slot, gen)                                            \
	((uint32_t)(state) | ((uint32_t)(slot) << 8) |                       \
	 ((uint32_t)((gen) & 0xffffu) << 16))
#define RING_END_STATE(w) ((w) & 0xffu)
#define RING_END_SLOT(w)  (((w) >> 8) & 0xffu)
#define RING_END_GEN(w)	  ((w) >> 16)

#define REC_DATA 0x41544144u /* "DATA" */
#define REC_PAD	 0x20444150u /* "PAD " */
#define REC_HDR	 8u

struct mmipc_ring_ctl {
	uint64_t head;
	uint64_t msgs_sent;
	uint64_t bytes_sent;
	uint8_t pad0[40];
	uint64_t tail;
	uint64_t msgs_recv;
	uint64_t bytes_recv;
	uint8_t pad1[40];
	struct mmipc_evc data;
	struct mmipc_evc space;
	uint32_t prod_end;
	uint32_t cons_end;
	uint32_t broken;
	uint8_t pad4[52];
};

_Static_assert(sizeof(struct mmipc_ring_ctl) == (size_t)5 * MMIPC_CACHELINE,
	       "ctl");
_Static_assert(offsetof(struct mmipc_ring_ctl, tail) == 64, "tail line");
_Static_assert(offsetof(struct mmipc_ring_ctl, data) == 128, "data evc");
_Static_assert(offsetof(struct mmipc_ring_ctl, space) == 192, "space evc");
_Static_assert(offsetof(struct mmipc_ring_ctl, prod_end) == 256, "ends");
_Static_assert(MMIPC_RING_CTL_OFF % MMIPC_CACHELINE == 0, "ctl aligned");
_Static_assert(MMIPC_RING_CTL_OFF + sizeof(struct mmipc_ring_ctl) <=
		       MMIPC_HDR_SIZE,
	       "ctl fits the header block");
_Static_assert(MMIPC_PEER_OFF + MMIPC_PEER_SLOTS * 64 <= MMIPC_RING_CTL_OFF,
	       "peer table before ring ctl");

#endif /* MMIPC_LAYOUT_H */
