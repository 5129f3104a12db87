/*
 * record.h - the record examples/writer.c publishes and examples/reader.c
 * reads. It sits at offset 0 of the data area of a raw region ("shm:NAME").
 *
 * The two programs are unrelated processes: they share nothing but this
 * layout and the region's name. So the layout uses fixed-width fields only
 * (no pointers, no bool, no size_t), and every offset is pinned below.
 *
 * Byte map:
 *
 *   off size field     written by / how                 a reader may assume
 *     0    4 seq       writer: relaxed store of odd      even: the payload
 *                      value, release fence, payload,    copied between two
 *                      release store of next even value  equal reads of seq
 *                      (a sequence lock, "seqlock").     is whole. Also the
 *                                                        futex word readers
 *                                                        sleep on.
 *     4    4 waiters   readers: +1 before sleeping on    nothing; the writer
 *                      seq, -1 after (seq_cst RMW)       wakes only if != 0
 *     8    4 closed    writer: 1 when done, inside a     read with the
 *                      seq write section                 payload, under seq
 *    12    4 pad       zero
 *    16    8 counter   writer, inside a write section    0: nothing yet;
 *                                                        then 1, 2, 3...
 *    24   96 text      "record 17 from writer pid 1234", NUL-padded
 *   120    8 checksum  FNV-1a 64 over counter and text
 *   128      (end)
 *
 * The checksum is not needed by the seqlock: it is how the reader PROVES
 * that no read which passed the sequence check was torn (half old record,
 * half new). A torn copy would almost surely carry a wrong checksum, or a
 * text that names another counter.
 *
 * With --ring the same pair streams every value through a ring region
 * instead (mmipc_ring_create): each struct ex_payload below (counter, text,
 * checksum: 112 bytes) is one message, and struct ex_record is not used.
 */
#ifndef MMIPC_EX_RECORD_H
#define MMIPC_EX_RECORD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mmipc.h"

#define EX_TEXT_SIZE 96
#define EX_DEFAULT_NAME "shm:mmipc-demo"

/* --ring: bytes of ring, a power of two; about 540 records fit in it. */
#define EX_RING_CAPACITY (UINT64_C(64) * 1024)

/* The part copied under the sequence lock: plain bytes. */
struct ex_payload {
	uint64_t counter;
	char text[EX_TEXT_SIZE];
	uint64_t checksum;
};

struct ex_record {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
	_Atomic uint32_t closed;
	uint32_t pad;
	struct ex_payload p;
};

/*
 * Atomics in memory shared between processes must be lock-free: a lock-based
 * atomic would use a lock private to each process. A lock-free atomic is
 * also address-free, so two mappings at different addresses agree on it.
 * And the futex word must be a plain aligned 32-bit integer.
 */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "atomic u32 is 4 bytes");
_Static_assert(_Alignof(_Atomic uint32_t) == 4, "atomic u32 is 4-aligned");
_Static_assert(offsetof(struct ex_record, seq) == 0, "seq at 0");
_Static_assert(offsetof(struct ex_record, waiters) == 4, "waiters at 4");
_Static_assert(offsetof(struct ex_record, closed) == 8, "closed at 8");
_Static_assert(offsetof(struct ex_record, pad) == 12, "pad at 12");
_Static_assert(offsetof(struct ex_record, p.counter) == 16, "counter at 16");
_Static_assert(offsetof(struct ex_record, p.text) == 24, "text at 24");
_Static_assert(offsetof(struct ex_record, p.checksum) == 120, "sum at 120");
_Static_assert(sizeof(struct ex_record) == 128, "record is 128 bytes");

/* The futex calls take the word as a plain uint32_t (same size, same
 * alignment, checked above). */
static inline uint32_t *ex_seq_word(struct ex_record *rec)
{
	return (uint32_t *)&rec->seq;
}

/* FNV-1a, 64 bits: a simple hash, good enough to catch a torn copy. */
static inline uint64_t ex_fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* The checksum of a payload: over counter, then the whole text array. */
static inline uint64_t ex_checksum(const struct ex_payload *p)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	h = ex_fnv1a(h, &p->counter, sizeof(p->counter));
	return ex_fnv1a(h, p->text, sizeof(p->text));
}

#endif /* MMIPC_EX_RECORD_H */
