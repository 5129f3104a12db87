/*
 * t_ring_eof - end-of-stream. A producer (another process) sends N
 * messages, the last five committed with MMIPC_RING_MORE and never flushed,
 * then closes:
 *
 *  - a consumer already blocked in recv(-1) (4 KiB ring: the producer
 *    waits for it many times) drains all N, the five included (close
 *    publishes them), then gets 0, and 0 again from recv and peek, with
 *    timeouts -1 and 0;
 *  - a consumer that attaches only after the producer closed and exited
 *    (a closed producer is not a dead one: 0, never -EPIPE) gets all N,
 *    then 0;
 *  - a consumer that attaches after a producer that closed leaving
 *    nothing: not its peer, so no end-of-stream; it waits (-EAGAIN,
 *    -ETIMEDOUT) for the next producer, and gets its messages, then 0;
 *  - a producer that closes holding a reservation: the consumer gets what
 *    it committed (MORE included), not the reservation, then 0;
 *  - a consumer that closes holding a peeked message: the next consumer
 *    gets that message (a peek is not a take), then 0;
 *  - a producer that sends nothing and closes: 0 at once;
 *  - after end-of-stream a new producer may attach, and the consumer gets
 *    its messages, then 0 again (until it attaches, 0 is right).
 */
#include "ring_util.h"

#define SEED 0x5eedu

struct prod {
	const char *addr;
	uint64_t first, n;
	int attached;	/* posted once attached, if >= 0 */
};

/* Sends messages first..first+n-1, the last five with MORE, closes. */
static int producer(void *arg)
{
	struct prod *a = arg;
	struct rg_stream s = { 0 };
	mmipc_ring *p = NULL;
	char buf[4096];
	uint64_t at, seq;

	CHECK_RC(mmipc_ring_open(&p, a->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	if (a->attached >= 0)
		ru_post(a->attached);
	s.first = a->first;
	s.n = a->n > 5 ? a->n - 5 : 0;
	s.seed = SEED;
	s.more = true;
	s.max = 1024;
	s.timeout_ms = 10000;
	CHECK_RC(rg_produce(p, &s, &at), 0);
	for (seq = s.first + s.n; seq < a->first + a->n; seq++) {
		size_t len = rg_len(SEED, seq, s.max);

		rg_fill(buf, len, SEED, seq);
		CHECK_RC(mmipc_ring_send(p, buf, len, MMIPC_RING_MORE, 10000),
			 0);
	}
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

/* Receives messages first..first+n-1 and then end-of-stream. */
static void drain(mmipc_ring *c, uint64_t first, uint64_t n)
{
	struct rg_stream s = { 0 };
	const void *pp = NULL;
	char buf[16];
	size_t len = 0;
	uint64_t at = 0;
	int rc;

	s.first = first;
	s.n = n;
	s.seed = SEED;
	s.max = 1024;
	s.timeout_ms = -1;
	s.expect_eof = true;
	rc = rg_consume(c, &s, &at);
	CHECK(rc == 0, "recv of message %llu: %d (%s)",
	      (unsigned long long)at, rc, mmipc_strerror(rc));
	/* and it stays so */
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, -1), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 100), 0);
	CHECK_RC(mmipc_ring_peek(c, &pp, &len, 0), 0);
	CHECK_RC(mmipc_ring_peek(c, &pp, &len, -1), 0);
	CHECK_RC(mmipc_ring_release(c), -EINVAL);
}

static void run_producer(const char *addr, uint64_t first, uint64_t n)
{
	struct prod a = { addr, first, n, -1 };

	RG_WAIT_OK(rg_fork(producer, &a), "producer");
}

static int reserving_producer(void *arg)
{
	mmipc_ring *p = NULL;
	void *at = NULL;

	CHECK_RC(mmipc_ring_open(&p, arg, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "one", 3, 0, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "two", 3, MMIPC_RING_MORE, 0), 0);
	CHECK_RC(mmipc_ring_reserve(p, 100, &at, 0), 0);
	memset(at, 'x', 100);
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

static void uncommitted_close(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *c = NULL;
	char addr[128], buf[128];
	size_t len;

	rg_name(addr, sizeof(addr), "eof");
	CHECK_RC(mmipc_ring_create(&r, addr, 4096, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	RG_WAIT_OK(rg_fork(reserving_producer, addr), "producer");
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 1);
	CHECK(len == 3 && memcmp(buf, "one", 3) == 0, "one");
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 1);
	CHECK(len == 3 && memcmp(buf, "two", 3) == 0, "two (MORE, then close)");
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 0);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

static int peeking_consumer(void *arg)
{
	mmipc_ring *c = NULL;
	const void *p = NULL;
	char buf[16];
	size_t len;

	CHECK_RC(mmipc_ring_open(&c, arg, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 1);
	CHECK_RC(mmipc_ring_peek(c, &p, &len, 1000), 1);
	CHECK(len == 6 && memcmp(p, "second", 6) == 0, "peeked");
	CHECK_RC(mmipc_ring_close(c), 0);
	return 0;
}

static void peeked_close(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *p = NULL, *c = NULL;
	char addr[128], buf[16];
	size_t len;

	rg_name(addr, sizeof(addr), "eof");
	CHECK_RC(mmipc_ring_create(&r, addr, 4096, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&p, addr, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "first", 5, 0, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "second", 6, 0, 0), 0);
	RG_WAIT_OK(rg_fork(peeking_consumer, addr), "consumer");
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 1);
	CHECK(len == 6 && memcmp(buf, "second", 6) == 0,
	      "the peeked message was not delivered again: %zu bytes", len);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 0);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

int main(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *c = NULL;
	struct prod a;
	char addr[128];
	char buf[1024];
	size_t len;
	int64_t t0;
	pid_t pid;
	int att[2];

	rg_init(60);

	/* consumer first, blocked; small ring */
	rg_name(addr, sizeof(addr), "eof");
	CHECK_RC(mmipc_ring_create(&r, addr, 4096, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	a.addr = addr;
	a.first = 0;
	a.n = 50000;
	a.attached = -1;
	pid = rg_fork(producer, &a);
	drain(c, 0, 50000);
	RG_WAIT_OK(pid, "producer");
	/* the stream goes on with a new producer (once it is attached: until
	 * then it is end-of-stream) */
	a.first = 50000;
	a.n = 1000;
	ru_pipe(att);
	a.attached = att[1];
	pid = rg_fork(producer, &a);
	ru_await(att[0]);
	drain(c, 50000, 1000);
	RG_WAIT_OK(pid, "second producer");
	close(att[0]);
	close(att[1]);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);

	/* producer first, gone before the consumer comes */
	rg_name(addr, sizeof(addr), "eof");
	CHECK_RC(mmipc_ring_create(&r, addr, 64 * 1024, 0, 0), 0);
	run_producer(addr, 0, 300);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	drain(c, 0, 300);
	run_producer(addr, 300, 7);
	drain(c, 300, 7);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);

	/* a consumer that comes after a producer that left nothing: that
	 * producer is not its peer; it waits for the next one */
	rg_name(addr, sizeof(addr), "eof");
	CHECK_RC(mmipc_ring_create(&r, addr, 64 * 1024, 0, 0), 0);
	run_producer(addr, 0, 0);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), -EAGAIN);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 100), -ETIMEDOUT);
	run_producer(addr, 0, 20);
	drain(c, 0, 20);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);

	/* a producer that closes with a reservation it did not commit:
	 * the reservation is not a message */
	uncommitted_close();

	/* a consumer that closes holding a peeked message: the next
	 * consumer gets it (only a release takes a message) */
	peeked_close();

	/* nothing sent */
	rg_name(addr, sizeof(addr), "eof");
	CHECK_RC(mmipc_ring_create(&r, addr, 4096, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	run_producer(addr, 0, 0);
	t0 = ru_now_ns();
	drain(c, 0, 0);
	CHECK(ru_ms_since(t0) < 1000, "end-of-stream took %lld ms",
	      (long long)ru_ms_since(t0));
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	return T_PASS;
}
