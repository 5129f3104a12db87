/*
 * t_ring_epipe - the consumer went away cleanly (mmipc_ring_close in
 * another process):
 *
 *  - the producer's next send and reserve are -EPIPE, with any timeout
 *    (0 included: -EPIPE, not -EAGAIN), even with room in the ring;
 *  - a producer blocked in send(-1) on a full ring is woken with -EPIPE
 *    when the consumer closes 300 ms later (and not before it closes);
 *  - a producer attaching after the consumer closed is not that
 *    consumer's peer: it sends (into the ring, timeout 0) and waits for
 *    the next consumer, which gets what was sent before it came and
 *    what follows, then end-of-stream; when a consumer that came after
 *    it closes, it gets -EPIPE.
 */
#include "ring_util.h"

#define CAP 4096u

struct cons {
	const char *addr;
	int take;		/* messages to receive before closing */
	int delay_ms;		/* then wait this long */
	int ready;
	int64_t closed_ns;	/* (shared) when it closed */
};

static int consumer(void *arg)
{
	struct cons *c = arg;
	mmipc_ring *ring = NULL;
	char buf[64];
	size_t len;
	int i;

	CHECK_RC(mmipc_ring_open(&ring, c->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	for (i = 0; i < c->take; i++)
		CHECK_RC(mmipc_ring_recv(ring, buf, sizeof(buf), &len, 5000),
			 1);
	ru_post(c->ready);
	ru_sleep_ms(c->delay_ms);
	__atomic_store_n(&c->closed_ns, ru_now_ns(), __ATOMIC_RELEASE);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

static void epipe_now(mmipc_ring *p)
{
	void *at = NULL;

	CHECK_RC(mmipc_ring_send(p, "x", 1, 0, 0), -EPIPE);
	CHECK_RC(mmipc_ring_send(p, "x", 1, 0, 100), -EPIPE);
	CHECK_RC(mmipc_ring_send(p, "x", 1, 0, -1), -EPIPE);
	CHECK_RC(mmipc_ring_send(p, "x", 1, MMIPC_RING_MORE, -1), -EPIPE);
	CHECK_RC(mmipc_ring_reserve(p, 8, &at, 0), -EPIPE);
	CHECK_RC(mmipc_ring_reserve(p, 8, &at, -1), -EPIPE);
}

/* A new consumer takes what is in the ring: @n messages "m" + index. */
static int second_consumer(void *arg)
{
	struct cons *c = arg;
	mmipc_ring *ring = NULL;
	char buf[64];
	size_t len;
	int i;

	CHECK_RC(mmipc_ring_open(&ring, c->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	ru_post(c->ready);
	for (i = 0; i < c->take; i++) {
		CHECK_RC(mmipc_ring_recv(ring, buf, sizeof(buf), &len, 5000),
			 1);
		CHECK(len == 4 && buf[0] == 'm' && buf[1] == (char)i,
		      "message %d: %zu bytes '%c'", i, len, buf[0]);
	}
	CHECK_RC(mmipc_ring_recv(ring, buf, sizeof(buf), &len, 5000), 0);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

int main(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *p = NULL;
	struct cons *c;
	char addr[128], msg[4] = { 'm', 0, 0, 0 };
	int ready[2], n, rc;
	int64_t t0, late;
	pid_t pid;

	rg_init(60);
	c = rg_shared(sizeof(*c));
	ru_pipe(ready);
	rg_name(addr, sizeof(addr), "epipe");
	c->addr = addr;
	c->ready = ready[1];

	/* a consumer takes one message and closes: room, yet -EPIPE */
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&p, addr, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "first", 5, 0, 0), 0);
	c->take = 1;
	c->delay_ms = 0;
	pid = rg_fork(consumer, c);
	ru_await(ready[0]);
	RG_WAIT_OK(pid, "consumer");
	epipe_now(p);
	CHECK_RC(mmipc_ring_close(p), 0);

	/* a producer attaching after the consumer closed: that consumer is
	 * not its peer, it waits for the next one (no -EPIPE); a new
	 * consumer gets what it sent meanwhile and what follows */
	CHECK_RC(mmipc_ring_open(&p, addr, MMIPC_ROLE_PRODUCER, 0), 0);
	for (n = 0; n < 3; n++) {
		msg[1] = (char)n;
		CHECK_RC(mmipc_ring_send(p, msg, 4, 0, 0), 0);
	}
	c->take = 6;
	pid = rg_fork(second_consumer, c);
	ru_await(ready[0]);
	for (; n < 6; n++) {
		msg[1] = (char)n;
		CHECK_RC(mmipc_ring_send(p, msg, 4, 0, 5000), 0);
	}
	CHECK_RC(mmipc_ring_close(p), 0);
	RG_WAIT_OK(pid, "second consumer");

	/* a late producer whose new consumer closes gets -EPIPE: that one
	 * was its peer */
	CHECK_RC(mmipc_ring_open(&p, addr, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "first", 5, 0, 0), 0);
	c->take = 1;
	c->delay_ms = 0;
	pid = rg_fork(consumer, c);
	ru_await(ready[0]);
	RG_WAIT_OK(pid, "third consumer");
	epipe_now(p);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);

	/* a producer blocked on a full ring, woken by the close */
	rg_name(addr, sizeof(addr), "epipe");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&p, addr, MMIPC_ROLE_PRODUCER, 0), 0);
	c->take = 0;
	c->delay_ms = 300;
	c->closed_ns = 0;
	pid = rg_fork(consumer, c);
	ru_await(ready[0]);
	for (n = 0; (rc = mmipc_ring_send(p, "", 0, 0, 0)) == 0; n++)
		;
	CHECK_RC(rc, -EAGAIN);
	t0 = ru_now_ns();
	rc = mmipc_ring_send(p, "x", 1, 0, -1);
	late = ru_now_ns() - __atomic_load_n(&c->closed_ns, __ATOMIC_ACQUIRE);
	printf("blocked send: %d (%s) after %lld ms, %lld ms after the close "
	       "(%d messages in the ring)\n",
	       rc, mmipc_strerror(rc), (long long)ru_ms_since(t0),
	       (long long)(late / 1000000), n);
	CHECK_RC(rc, -EPIPE);
	CHECK(__atomic_load_n(&c->closed_ns, __ATOMIC_ACQUIRE) != 0,
	      "-EPIPE before the consumer closed");
	CHECK(late < 1000 * 1000000LL, "woken %lld ms after the close",
	      (long long)(late / 1000000));
	RG_WAIT_OK(pid, "consumer");
	epipe_now(p);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	close(ready[0]);
	close(ready[1]);
	return T_PASS;
}
