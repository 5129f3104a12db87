/*
 * t_ring_eintr - signals do not cut ring waits short. Another process
 * sends SIGUSR1 every ~100 us to the waiting processes, whose handler is
 * installed WITHOUT SA_RESTART (so every blocking system call is cut with
 * EINTR):
 *
 *  - a consumer waiting 500 ms on an empty ring (a live producer sends
 *    nothing) gets -ETIMEDOUT, not before 500 ms, never -EINTR; so does a
 *    producer waiting 500 ms on a full ring (a live consumer reads nothing);
 *  - a consumer in recv(-1), and a producer in send(-1) on a full ring, are
 *    woken by the other side 300 ms later and succeed (not -EINTR);
 *  - a stream of 1,000,000 messages under the storm arrives intact, then
 *    200,000 more with both ends in MMIPC_WAIT_SLEEP (every wait a futex
 *    sleep). Every 1000 messages one side stalls for 400 us, so that the
 *    other waits, and the storm lands in those waits.
 */
#include "ring_util.h"

#define CAP 4096u

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

static void no_restart_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = 0; /* no SA_RESTART: the kernel returns EINTR */
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
}

/* Shared between the processes of the test. */
struct shared {
	uint64_t stop;		/* the storm ends */
	uint64_t sent;		/* signals the storm sent */
	uint64_t targets[4];	/* pids to signal (0: none) */
};

static int storm(void *arg)
{
	struct shared *sh = arg;
	struct timespec ts = { 0, 100000 };
	int i;

	while (!rg_load(&sh->stop)) {
		for (i = 0; i < 4; i++) {
			pid_t t = (pid_t)rg_load(&sh->targets[i]);

			if (t > 0 && kill(t, SIGUSR1) == 0)
				__atomic_fetch_add(&sh->sent, 1,
						   __ATOMIC_RELAXED);
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

struct idle_end {
	const char *addr;
	int role;
	int ready, go;
	int act_after_ms;	/* > 0: after go, wait, then send/recv one */
};

/* A live peer that does nothing until told, then maybe one message. */
static int idle_end(void *arg)
{
	struct idle_end *e = arg;
	mmipc_ring *ring = NULL;
	char buf[64];
	size_t len;

	CHECK_RC(mmipc_ring_open(&ring, e->addr, e->role, 0), 0);
	ru_post(e->ready);
	ru_await(e->go);
	if (e->act_after_ms > 0) {
		ru_sleep_ms(e->act_after_ms);
		if (e->role == MMIPC_ROLE_PRODUCER)
			CHECK_RC(mmipc_ring_send(ring, "wake", 4, 0, 1000), 0);
		else
			CHECK_RC(mmipc_ring_recv(ring, buf, sizeof(buf), &len,
						 1000),
				 1);
		ru_await(e->go);
	}
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

static void check_timed(int rc, int64_t t0, int want_ms, const char *what)
{
	int64_t ms = ru_ms_since(t0);

	printf("%s: %d (%s) after %lld ms, %d signals\n", what, rc,
	       mmipc_strerror(rc), (long long)ms, (int)hits);
	CHECK(rc == -ETIMEDOUT, "%s: %d (%s), want -ETIMEDOUT", what, rc,
	      mmipc_strerror(rc));
	CHECK(ms >= want_ms && ms < want_ms + 2500,
	      "%s: took %lld ms, want %d", what, (long long)ms, want_ms);
	CHECK(hits >= 50, "%s: only %d signals arrived", what, (int)hits);
}

/* The waits of one side, with the other side idle in a child. */
static void waits(struct shared *sh, int role)
{
	mmipc_region *r = NULL;
	mmipc_ring *me = NULL;
	struct idle_end e;
	char addr[128], buf[64];
	int ready[2], go[2], rc;
	size_t len;
	int64_t t0;
	pid_t pid;

	rg_name(addr, sizeof(addr), "eintr");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&me, addr, role, 0), 0);
	ru_pipe(ready);
	ru_pipe(go);
	e.addr = addr;
	e.role = role == MMIPC_ROLE_PRODUCER ? MMIPC_ROLE_CONSUMER
					     : MMIPC_ROLE_PRODUCER;
	e.ready = ready[1];
	e.go = go[0];
	e.act_after_ms = 300;
	pid = rg_fork(idle_end, &e);
	ru_await(ready[0]);
	if (role == MMIPC_ROLE_PRODUCER)
		while ((rc = mmipc_ring_send(me, "fill", 4, 0, 0)) == 0)
			;
	rg_store(&sh->targets[0], (uint64_t)getpid());

	/* timed */
	hits = 0;
	t0 = ru_now_ns();
	if (role == MMIPC_ROLE_PRODUCER)
		rc = mmipc_ring_send(me, "more", 4, 0, 500);
	else
		rc = mmipc_ring_recv(me, buf, sizeof(buf), &len, 500);
	check_timed(rc, t0, 500,
		    role == MMIPC_ROLE_PRODUCER ? "send, full ring"
						: "recv, empty ring");

	/* unlimited, woken 300 ms later */
	hits = 0;
	ru_post(go[1]);
	t0 = ru_now_ns();
	if (role == MMIPC_ROLE_PRODUCER)
		rc = mmipc_ring_send(me, "more", 4, 0, -1);
	else
		rc = mmipc_ring_recv(me, buf, sizeof(buf), &len, -1);
	printf("%s(-1): %d (%s) after %lld ms, %d signals\n",
	       role == MMIPC_ROLE_PRODUCER ? "send" : "recv", rc,
	       mmipc_strerror(rc), (long long)ru_ms_since(t0), (int)hits);
	CHECK_RC(rc, role == MMIPC_ROLE_PRODUCER ? 0 : 1);
	CHECK(ru_ms_since(t0) >= 250, "woken after %lld ms: by a signal?",
	      (long long)ru_ms_since(t0));
	CHECK(hits >= 50, "only %d signals arrived", (int)hits);
	rg_store(&sh->targets[0], 0);
	ru_post(go[1]);
	RG_WAIT_OK(pid, "idle end");
	CHECK_RC(mmipc_ring_close(me), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

static void spin_us(int us)
{
	int64_t end = ru_now_ns() + (int64_t)us * 1000;

	while (ru_now_ns() < end)
		;
}

struct stream_end {
	const char *addr;
	int role;
	int mode;
	struct rg_stream s;
	struct shared *sh;
	int slot;
};

static int stream_end(void *arg)
{
	struct stream_end *e = arg;
	mmipc_ring *ring = NULL;
	void *tmp = malloc(e->s.max + 8);
	uint64_t at = 0;
	size_t len;
	int rc;

	CHECK(tmp != NULL, "malloc");
	CHECK_RC(mmipc_ring_open(&ring, e->addr, e->role, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(ring, e->mode, 0), 0);
	hits = 0;
	rg_store(&e->sh->targets[e->slot], (uint64_t)getpid());
	for (at = 0; at < e->s.n; at++) {
		/* every 1000 messages one side stalls 400 us (busy, so that
		 * the signals land in the other side's wait): the consumer
		 * on even thousands, the producer on odd ones */
		if (at % 1000 == 0 &&
		    (at / 1000 % 2 == 0) == (e->role == MMIPC_ROLE_CONSUMER))
			spin_us(400);
		if (e->role == MMIPC_ROLE_PRODUCER)
			rc = rg_send_one(ring, &e->s, at, tmp);
		else
			rc = rg_recv_one(ring, &e->s, at, tmp);
		CHECK(rc == (e->role == MMIPC_ROLE_PRODUCER ? 0 : 1),
		      "%s: message %llu: %d (%s)",
		      e->role == MMIPC_ROLE_PRODUCER ? "send" : "recv",
		      (unsigned long long)at, rc, mmipc_strerror(rc));
	}
	if (e->role == MMIPC_ROLE_CONSUMER)
		CHECK_RC(mmipc_ring_recv(ring, tmp, e->s.max, &len, -1), 0);
	free(tmp);
	rg_store(&e->sh->targets[e->slot], 0);
	CHECK_RC(mmipc_ring_close(ring), 0);
	printf("%s: %llu messages, %d signals\n",
	       e->role == MMIPC_ROLE_PRODUCER ? "producer" : "consumer",
	       (unsigned long long)e->s.n, (int)hits);
	CHECK(hits >= 10, "only %d signals arrived", (int)hits);
	return 0;
}

static void stream(struct shared *sh, uint64_t n, int mode, uint32_t seed)
{
	struct stream_end p, c;
	mmipc_region *r = NULL;
	char addr[128];
	int64_t t0 = ru_now_ns();
	pid_t pp, pc, pids[2];

	rg_name(addr, sizeof(addr), "eintrs");
	CHECK_RC(mmipc_ring_create(&r, addr, 16 * 1024, 0, 0), 0);
	memset(&p, 0, sizeof(p));
	p.addr = addr;
	p.role = MMIPC_ROLE_PRODUCER;
	p.mode = mode;
	p.s.n = n;
	p.s.seed = seed;
	p.s.more = true;
	p.s.max = 4096;
	p.s.timeout_ms = -1;
	p.s.expect_eof = true;
	p.sh = sh;
	p.slot = 1;
	c = p;
	c.role = MMIPC_ROLE_CONSUMER;
	c.slot = 2;
	pc = rg_fork(stream_end, &c);
	pp = rg_fork(stream_end, &p);
	pids[0] = pp;
	pids[1] = pc;
	rg_wait_all(pids, 2, -1, "stream");
	printf("stream of %llu (%s): %lld ms\n", (unsigned long long)n,
	       mode == MMIPC_WAIT_SLEEP ? "sleep" : "adaptive",
	       (long long)ru_ms_since(t0));
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

int main(void)
{
	struct shared *sh;
	pid_t st;

	rg_init(110);
	no_restart_handler();
	sh = rg_shared(sizeof(*sh));
	st = rg_fork(storm, sh);

	waits(sh, MMIPC_ROLE_CONSUMER);
	waits(sh, MMIPC_ROLE_PRODUCER);
	stream(sh, 1000000, MMIPC_WAIT_ADAPTIVE, (uint32_t)getpid());
	stream(sh, 200000, MMIPC_WAIT_SLEEP, (uint32_t)getpid() + 1);

	rg_store(&sh->stop, 1);
	RG_WAIT_OK(st, "storm");
	printf("%llu signals sent\n", (unsigned long long)rg_load(&sh->sent));
	return T_PASS;
}
