/*
 * t_ring_stream - 10,000,000 messages of random sizes (0..64 bytes 90% of
 * the time, up to 512 9%, up to 4 KiB 1%) between two unrelated processes
 * (both exec'd, the producer started first) through a 64 KiB ring, with
 * send/recv and a quarter of the sends batched with MMIPC_RING_MORE (and a
 * flush every 4096): every message arrives once, in order, intact (the
 * consumer regenerates each one's length and content from its sequence
 * number), then end-of-stream. The counters of mmipc_ring_stats() agree.
 */
#include "ring_util.h"

int main(int argc, char **argv)
{
	return rg_stream_main(argc, argv, false, "stream");
}
