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
 *   0                 256                            hdr_size (4096)
 *   +-----------------+------------------------------+--------------------+
 *   | struct          | reserved (zero): peer table  | data area          |
 *   | mmipc_hdr       | and per-kind control words   | data_size bytes    |
 *   +-----------------+------------------------------+--------------------+
 *                                                     ^ data_off
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

#endif /* MMIPC_LAYOUT_H */
