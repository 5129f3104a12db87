/*
 * t_ring_nonblock - timeouts of 0 and of 200 ms.
 *
 * Empty ring (no producer yet, then a live producer in another process
 * that sends nothing): recv and peek with timeout 0 are -EAGAIN at once;
 * with 200 ms they are -ETIMEDOUT, not before 200 ms and well before 3 s.
 *
 * Full ring (no consumer yet, then a live consumer in another process
 * that reads one message and then nothing): send and reserve with 0 are
 * -EAGAIN; with 200 ms -ETIMEDOUT, same bounds. A 4 KiB ring takes exactly
 * 512 empty messages (8-byte records) and stats say it is full; once the
 * consumer took one, one more fits, and no more.
 *
 * With a live peer, the timeouts hold in each wait mode (adaptive, spin,
 * sleep).
 */
#include "ring_util.h"

#define CAP 4096u

struct child {
	const char *addr;
	int role;
	int ready;	/* posted once attached (and after the first recv) */
	int go;		/* read before closing */
};

/* Attaches as @role; a consumer takes one message; then waits for go. */
static int child(void *arg)
{
	struct child *c = arg;
	mmipc_ring *ring = NULL;
	char buf[64];
	size_t len;

	CHECK_RC(mmipc_ring_open(&ring, c->addr, c->role, 0), 0);
	if (c->role == MMIPC_ROLE_CONSUMER)
		CHECK_RC(mmipc_ring_recv(ring, buf, sizeof(buf), &len, 5000),
			 1);
	ru_post(c->ready);
	ru_await(c->go);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

/* The call took 200 ms or a little more, and timed out. */
static void timed(int rc, int64_t t0, const char *what)
{
	int64_t ms = ru_ms_since(t0);

	CHECK(rc == -ETIMEDOUT, "%s: %d (%s), want -ETIMEDOUT", what, rc,
	      mmipc_strerror(rc));
	CHECK(ms >= 200 && ms < 3000, "%s: timed out after %lld ms, want 200",
	      what, (long long)ms);
}

static void empty_ring(mmipc_ring *c, const char *when)
{
	char buf[64], what[128];
	const void *p = NULL;
	size_t len = 0;
	int64_t t0;

	t0 = ru_now_ns();
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), -EAGAIN);
	CHECK_RC(mmipc_ring_peek(c, &p, &len, 0), -EAGAIN);
	CHECK(ru_ms_since(t0) < 1000, "timeout 0 waited %lld ms",
	      (long long)ru_ms_since(t0));
	t0 = ru_now_ns();
	snprintf(what, sizeof(what), "recv of an empty ring (%s)", when);
	timed(mmipc_ring_recv(c, buf, sizeof(buf), &len, 200), t0, what);
	t0 = ru_now_ns();
	snprintf(what, sizeof(what), "peek of an empty ring (%s)", when);
	timed(mmipc_ring_peek(c, &p, &len, 200), t0, what);
	/* nothing peeked by the failed calls */
	CHECK_RC(mmipc_ring_release(c), -EINVAL);
}

static void full_ring(mmipc_ring *p, const char *when)
{
	char what[128];
	void *at = NULL;
	int64_t t0;

	t0 = ru_now_ns();
	CHECK_RC(mmipc_ring_send(p, "", 0, 0, 0), -EAGAIN);
	CHECK_RC(mmipc_ring_reserve(p, 0, &at, 0), -EAGAIN);
	CHECK_RC(mmipc_ring_reserve(p, 100, &at, 0), -EAGAIN);
	CHECK(ru_ms_since(t0) < 1000, "timeout 0 waited %lld ms",
	      (long long)ru_ms_since(t0));
	t0 = ru_now_ns();
	snprintf(what, sizeof(what), "send to a full ring (%s)", when);
	timed(mmipc_ring_send(p, "x", 1, 0, 200), t0, what);
	t0 = ru_now_ns();
	snprintf(what, sizeof(what), "reserve in a full ring (%s)", when);
	timed(mmipc_ring_reserve(p, 8, &at, 200), t0, what);
	/* nothing reserved by the failed calls */
	CHECK_RC(mmipc_ring_commit(p, 0, 0), -EINVAL);
}

static void used_is(mmipc_region *r, uint64_t used)
{
	struct mmipc_ring_stats st;

	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	CHECK(st.used == used, "stats: %llu bytes used, want %llu",
	      (unsigned long long)st.used, (unsigned long long)used);
}

int main(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *c = NULL, *p = NULL;
	struct child ch;
	char addr[128];
	int ready[2], go[2], n;
	pid_t pid;

	rg_init(60);
	rg_name(addr, sizeof(addr), "nonblock");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);

	/* empty, no producer yet */
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	empty_ring(c, "no producer");

	/* empty, a live producer elsewhere */
	ru_pipe(ready);
	ru_pipe(go);
	ch.addr = addr;
	ch.role = MMIPC_ROLE_PRODUCER;
	ch.ready = ready[1];
	ch.go = go[0];
	pid = rg_fork(child, &ch);
	ru_await(ready[0]);
	empty_ring(c, "live producer");
	CHECK_RC(mmipc_ring_set_wait(c, MMIPC_WAIT_SPIN, 0), 0);
	empty_ring(c, "live producer, spin");
	CHECK_RC(mmipc_ring_set_wait(c, MMIPC_WAIT_SLEEP, 0), 0);
	empty_ring(c, "live producer, sleep");
	ru_post(go[1]);
	RG_WAIT_OK(pid, "producer");
	CHECK_RC(mmipc_ring_close(c), 0);

	/* full, no consumer: the region is fresh, so start again */
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&p, addr, MMIPC_ROLE_PRODUCER, 0), 0);
	for (n = 0; n < 10000; n++) {
		int rc = mmipc_ring_send(p, "", 0, 0, 0);

		if (rc == -EAGAIN)
			break;
		CHECK_RC(rc, 0);
	}
	CHECK(n == CAP / REC_HDR, "%d empty messages fit in a %u-byte ring, "
	      "want %u", n, CAP, CAP / REC_HDR);
	used_is(r, CAP);
	full_ring(p, "no consumer");

	/* full, a live consumer elsewhere that took one message */
	ch.role = MMIPC_ROLE_CONSUMER;
	pid = rg_fork(child, &ch);
	ru_await(ready[0]);
	used_is(r, CAP - REC_HDR);
	CHECK_RC(mmipc_ring_send(p, "", 0, 0, 0), 0);
	used_is(r, CAP);
	full_ring(p, "live consumer");
	CHECK_RC(mmipc_ring_set_wait(p, MMIPC_WAIT_SPIN, 0), 0);
	full_ring(p, "live consumer, spin");
	CHECK_RC(mmipc_ring_set_wait(p, MMIPC_WAIT_SLEEP, 0), 0);
	full_ring(p, "live consumer, sleep");
	ru_post(go[1]);
	RG_WAIT_OK(pid, "consumer");

	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	return T_PASS;
}
