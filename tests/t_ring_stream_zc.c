/*
 * t_ring_stream_zc - t_ring_stream, zero-copy: 10,000,000 messages of
 * random sizes (0..64 bytes 90% of the time, up to 512 9%, up to 4 KiB
 * 1%) between two unrelated processes
 * (both exec'd, the producer started first) through a 64 KiB ring, with
 * reserve/commit on one side (the content written in place; one reserve
 * in eight asks for 24 bytes more than is committed; a quarter of the
 * commits with MMIPC_RING_MORE, a flush every 4096) and peek/release on
 * the other (the content checked in place; both pointers 8-byte aligned):
 * every message arrives once, in order, intact, then end-of-stream. The
 * counters of mmipc_ring_stats() agree.
 */
#include "ring_util.h"

int main(int argc, char **argv)
{
	return rg_stream_main(argc, argv, true, "streamzc");
}
