/*
 * msg.c - the messages of the torture stream (torture.h tells the
 * scheme): every length and byte is a function of (run seed, channel,
 * seq), so the consumer checks each byte it gets without a copy of what
 * was sent - even of a follower whose headered message it never saw (a
 * killed recv lost it). Seqs are never reused on a channel, so seq alone
 * tells messages apart; the producer incarnation is in the header (and
 * its checksum), to check that incarnations never go backwards.
 *
 * A headered message, little-endian:
 *
 *   off size field
 *     0    8 seq
 *     8    4 inc      producer incarnation
 *    12    4 len      the whole message's length, header included
 *    16    4 fnum     followers sent right after it (0..2)
 *    20    4 sum      checksum of every other byte of the message
 *    24  ... payload  xorshift64 stream keyed by seq
 */
#include "torture.h"

static uint64_t key(const struct tt_ledger *L, uint64_t seq)
{
	return rg_mix(rg_mix(L->seed ^ (L->chan << 20)) ^ seq);
}

static uint64_t xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Fills @len bytes with the stream that starts at @x. */
static void stream_fill(unsigned char *p, size_t len, uint64_t x)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		x = xorshift(x);
		memcpy(p + i, &x, len - i < 8 ? len - i : 8);
	}
}

/* Offset of the first byte that differs from the stream, or @len. */
static size_t stream_check(const unsigned char *p, size_t len, uint64_t x)
{
	size_t i, n;

	for (i = 0; i < len; i += 8) {
		x = xorshift(x);
		n = len - i < 8 ? len - i : 8;
		if (memcmp(p + i, &x, n) != 0)
			return i;
	}
	return len;
}

/* The checksum of a headered message, its own field read as zero. */
static uint32_t checksum(const unsigned char *p, size_t len)
{
	uint64_t h = len, w;
	size_t i;

	for (i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, p + i, len - i < 8 ? len - i : 8);
		if (i == 16)
			w &= UINT64_C(0xffffffff); /* bytes 20..23: the sum */
		h = rg_mix(h ^ w);
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* The length of headered message @seq: mostly short, some up to @max. */
size_t tt_msg_len(const struct tt_ledger *L, uint64_t seq, size_t max)
{
	uint64_t r = key(L, seq), p = r % 100, x = r >> 20;
	size_t len;

	if (p < 55)
		len = TT_HDR + (size_t)(x % 41);
	else if (p < 85)
		len = 65 + (size_t)(x % 448);
	else if (p < 97)
		len = 513 + (size_t)(x % 3584);
	else
		len = max;
	return len < max ? len : max;
}

/* How many followers headered message @seq announces (0 7/10, 1, 2). */
unsigned tt_msg_followers(const struct tt_ledger *L, uint64_t seq)
{
	uint64_t r = (key(L, seq) >> 8) % 10;

	return r < 7 ? 0 : r < 9 ? 1 : 2;
}

/* Follower @j (1 or 2), seq @seq: 0..11 bytes for the first, 12..23 for
 * the second, so that the length says which one it is. */
size_t tt_follower_len(const struct tt_ledger *L, uint64_t seq, unsigned j)
{
	return (size_t)(key(L, seq) % 12) + (j == 2 ? 12 : 0);
}

void tt_msg_fill(const struct tt_ledger *L, void *buf, size_t len,
		 uint64_t inc, uint64_t seq, unsigned fnum)
{
	unsigned char *p = buf;
	uint32_t w[4] = { (uint32_t)inc, (uint32_t)len, fnum, 0 };

	memcpy(p, &seq, 8);
	memcpy(p + 8, w, 16);
	stream_fill(p + TT_HDR, len - TT_HDR, key(L, seq) | 1);
	w[3] = checksum(p, len);
	memcpy(p + 20, &w[3], 4);
}

void tt_follower_fill(const struct tt_ledger *L, void *buf, size_t len,
		      uint64_t seq)
{
	stream_fill(buf, len, key(L, seq) | 1);
}

bool tt_follower_ok(const struct tt_ledger *L, const void *buf, size_t len,
		    uint64_t seq)
{
	return stream_check(buf, len, key(L, seq) | 1) == len;
}

/*
 * tt_msg_parse - check a headered message completely: its length field,
 * checksum, follower count and every payload byte. 0 with *@m filled, or
 * -1 with the reason in @why.
 */
int tt_msg_parse(const struct tt_ledger *L, const void *buf, size_t len,
		 struct tt_msg *m, char *why, size_t wn)
{
	const unsigned char *p = buf;
	uint32_t w[4];
	size_t at;

	memcpy(&m->seq, p, 8);
	memcpy(w, p + 8, 16);
	m->inc = w[0];
	m->fnum = w[2];
	if (w[1] != len) {
		snprintf(why, wn, "length field %u, but %zu bytes came", w[1],
			 len);
		return -1;
	}
	if (w[3] != checksum(p, len)) {
		snprintf(why, wn, "bad checksum (%zu bytes, says seq %llu inc "
			 "%llu)", len, (unsigned long long)m->seq,
			 (unsigned long long)m->inc);
		return -1;
	}
	if (m->fnum != tt_msg_followers(L, m->seq)) {
		snprintf(why, wn, "seq %llu announces %llu followers",
			 (unsigned long long)m->seq, (unsigned long long)m->fnum);
		return -1;
	}
	at = stream_check(p + TT_HDR, len - TT_HDR, key(L, m->seq) | 1);
	if (at != len - TT_HDR) {
		snprintf(why, wn, "seq %llu: payload corrupt at byte %zu of %zu",
			 (unsigned long long)m->seq, at + TT_HDR, len);
		return -1;
	}
	return 0;
}
