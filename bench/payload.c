/*
 * payload.c - the words a benchmark message carries, written by the sender
 * and summed by the receiver: [seq][checksum][payload words], the i-th
 * payload word seq*K1 + i*K2.
 *
 * Compiled with -O3 (bench/CMakeLists.txt), and with gcc twice over, for
 * CPUs with and without AVX2 (target_clones picks at load time): the
 * harness must fill and check a message at the speed of the caches, or
 * the 4 KiB rows would measure an 8-byte-at-a-time loop instead of the
 * mechanism. Every row pays the same.
 */
#include <string.h>

#include "bench.h"

#define K1 UINT64_C(0x9e3779b97f4a7c15)
#define K2 UINT64_C(0xbf58476d1ce4e5b9)

/* gcc only: clang 14 emits no linkable symbol for a target_clones
 * function called from another file */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif

uint64_t ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void st64(void *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* The sum of the n payload words of message seq, in closed form (modulo
 * 2^64). */
static uint64_t payload_sum(uint64_t seq, uint64_t n)
{
	return n * (seq * K1) + K2 * (n * (n - 1) / 2);
}

VECTOR_CLONES
void payload_fill(void *buf, size_t size, uint64_t seq)
{
	unsigned char *b = buf;
	uint64_t n = size / 8 - 2, base = seq * K1, i;

	st64(b, seq);
	st64(b + 8, payload_sum(seq, n));
	/* each word from its index, not from the one before: no chain */
	for (i = 0; i < n; i++)
		st64(b + 16 + 8 * i, base + i * K2);
}

VECTOR_CLONES
bool payload_ok(const void *buf, size_t size, uint64_t seq)
{
	const unsigned char *b = buf;
	uint64_t n = size / 8 - 2, sum = 0, i;

	for (i = 0; i < n; i++)
		sum += ld64(b + 16 + 8 * i);
	return sum == ld64(b + 8) && sum == payload_sum(seq, n);
}
