/*
 * t_ring_more - MMIPC_RING_MORE holds messages back until the next commit
 * without it, a flush, a reserve that has to wait, or close; the producer
 * is another process:
 *
 *  - 3 messages committed with MORE are not seen (recv with timeout 0 is
 *    -EAGAIN, stats count 0 sent) until the flush; a consumer asleep in
 *    recv(-1) is woken by the flush (within 100 ms) and gets all 3;
 *  - 2 with MORE then 1 without: all 3 arrive, in order;
 *  - a stream that only ever uses MORE and never flushes, 30 times the
 *    ring's size, arrives whole (each reserve that must wait for room
 *    publishes what was held), the tail when the producer closes;
 *  - a producer that fills the ring with MORE and then waits (send with
 *    a timeout) has published all it holds: stats count them.
 */
#include "ring_util.h"

#define CAP 4096u

struct sh {
	uint64_t step, go;
	int64_t flush_ns;
	uint64_t held;
};

struct ctx {
	const char *addr;
	struct sh *sh;
	int what;
};

static void producer_step(struct sh *sh, uint64_t n)
{
	rg_store(&sh->step, n);
	rg_await_at_least(&sh->go, n, 20000, "go");
}

static int producer(void *arg)
{
	struct ctx *x = arg;
	mmipc_ring *p = NULL;
	char buf[64];
	uint64_t i;
	int rc;

	CHECK_RC(mmipc_ring_open(&p, x->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	switch (x->what) {
	case 0: /* held, then flushed */
		for (i = 0; i < 3; i++) {
			rg_fill(buf, 20, 1, i);
			CHECK_RC(mmipc_ring_send(p, buf, 20, MMIPC_RING_MORE,
						 0),
				 0);
		}
		producer_step(x->sh, 1);
		ru_sleep_ms(300); /* the consumer is asleep in recv(-1) */
		x->sh->flush_ns = ru_now_ns();
		CHECK_RC(mmipc_ring_flush(p), 0);
		CHECK_RC(mmipc_ring_flush(p), 0); /* nothing: harmless */
		producer_step(x->sh, 2); /* not closed: the flush must wake */
		break;
	case 1: /* two held, published by the third */
		for (i = 0; i < 3; i++) {
			rg_fill(buf, 20, 1, i);
			CHECK_RC(mmipc_ring_send(p, buf, 20,
						 i < 2 ? MMIPC_RING_MORE : 0,
						 0),
				 0);
		}
		break;
	case 2: /* MORE only, never flushed */
		for (i = 0; i < 30 * CAP / 48; i++) {
			rg_fill(buf, 40, 2, i);
			CHECK_RC(mmipc_ring_send(p, buf, 40, MMIPC_RING_MORE,
						 5000),
				 0);
		}
		break;
	case 3: /* fill with MORE, then wait */
		for (i = 0;; i++) {
			rg_fill(buf, 40, 3, i);
			rc = mmipc_ring_send(p, buf, 40, MMIPC_RING_MORE, 100);
			if (rc == -ETIMEDOUT)
				break;
			CHECK_RC(rc, 0);
		}
		x->sh->held = i;
		producer_step(x->sh, 1);
		break;
	}
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

/* Receives messages first..n-1 of @seed, @len bytes each, then 0. */
static void expect(mmipc_ring *c, uint32_t seed, uint64_t first, uint64_t n,
		   size_t len, int timeout)
{
	char buf[64];
	size_t got;
	uint64_t i;

	for (i = first; i < n; i++) {
		CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &got, timeout),
			 1);
		CHECK(got == len && rg_check_msg(buf, got, seed, i) == len,
		      "message %llu of %llu (seed %u): %zu bytes",
		      (unsigned long long)i, (unsigned long long)n, seed, got);
	}
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &got, 5000), 0);
}

static void run(int what)
{
	struct sh *sh = rg_shared(sizeof(*sh));
	struct mmipc_ring_stats st;
	mmipc_region *r = NULL;
	mmipc_ring *c = NULL;
	struct ctx x;
	char addr[128], buf[64];
	size_t len;
	int64_t late;
	pid_t pid;

	rg_name(addr, sizeof(addr), "more");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	x.addr = addr;
	x.sh = sh;
	x.what = what;
	pid = rg_fork(producer, &x);
	switch (what) {
	case 0:
		rg_await_at_least(&sh->step, 1, 10000, "producer holds 3");
		CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0),
			 -EAGAIN);
		CHECK_RC(mmipc_ring_stats(r, &st), 0);
		CHECK(st.msgs_sent == 0 && st.used == 0,
		      "held messages published: %llu sent, %llu used",
		      (unsigned long long)st.msgs_sent,
		      (unsigned long long)st.used);
		rg_store(&sh->go, 1);
		CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, -1), 1);
		late = (ru_now_ns() - sh->flush_ns) / 1000000;
		printf("held: woken %lld ms after the flush\n",
		       (long long)late);
		/* woken by the flush, not by a periodic look (the consumer
		 * would find the messages at its next one anyway) */
		CHECK(sh->flush_ns != 0 && late < 100,
		      "recv returned %lld ms after the flush", (long long)late);
		CHECK(len == 20 && rg_check_msg(buf, len, 1, 0) == len,
		      "first held message");
		rg_store(&sh->go, 2);
		expect(c, 1, 1, 3, 20, 5000);
		break;
	case 1:
		expect(c, 1, 0, 3, 20, 5000);
		break;
	case 2:
		expect(c, 2, 0, 30 * CAP / 48, 40, 5000);
		break;
	case 3:
		rg_await_at_least(&sh->step, 1, 10000, "producer waited");
		CHECK_RC(mmipc_ring_stats(r, &st), 0);
		printf("filled with MORE: %llu held, %llu published, %llu "
		       "bytes used\n",
		       (unsigned long long)sh->held,
		       (unsigned long long)st.msgs_sent,
		       (unsigned long long)st.used);
		CHECK(st.msgs_sent == sh->held && sh->held > 0,
		      "a producer that waited for room published %llu of the "
		      "%llu it held",
		      (unsigned long long)st.msgs_sent,
		      (unsigned long long)sh->held);
		rg_store(&sh->go, 1);
		expect(c, 3, 0, sh->held, 40, 5000);
		break;
	}
	RG_WAIT_OK(pid, "producer");
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	munmap(sh, sizeof(*sh));
}

int main(void)
{
	int what;

	rg_init(60);
	for (what = 0; what < 4; what++)
		run(what);
	return T_PASS;
}
