/*
 * t_ring_kill - a peer killed with SIGKILL counts as gone.
 *
 *  - producer killed while the consumer (another process) is blocked in
 *    recv(-1): the consumer gets every message committed before the kill,
 *    then -EPIPE, within 1.5 s of the kill. Three ways: both ends opened
 *    by name in children; both attached in children to an anon region
 *    inherited from us; and the consumer being the killed producer's
 *    parent, which does not reap it before recv returns (a zombie is
 *    dead). The first way also with the waiting end in MMIPC_WAIT_SPIN
 *    and MMIPC_WAIT_SLEEP.
 *    And polling: a consumer calling recv(0) learns of the death too.
 *    And late: a consumer that attaches after the death drains what the
 *    dead producer committed, then gets -EPIPE; one that attaches after
 *    that, with nothing left, is not the dead one's peer and waits.
 *  - consumer killed while the producer is blocked in send(-1) on a full
 *    ring: -EPIPE within 1.5 s; the same three ways, and polling with
 *    send(0). A producer that attaches after the consumer died is not its
 *    peer: it fills the ring and waits (-EAGAIN, -ETIMEDOUT).
 *  - producer killed between reserve and commit (it says "reserved"
 *    through a pipe, having written part of the message, and pauses):
 *    the consumer gets the messages before it, then -EPIPE, never the
 *    half-written one; a new producer attaches and its first message is
 *    the next one the consumer gets. Several sizes and positions, some of
 *    the reservations behind a PAD at the wrap.
 */
#include "ring_util.h"

#define CAP	(16 * 1024)
#define SEED	0xdeadu
#define K	100	/* messages before the kill */

enum { NAMED, INHERITED, ZOMBIE, POLL, LATE };
static const char *const how_name[] = { "named", "inherited", "zombie",
					"polling", "late" };

struct sh {
	uint64_t sent;		/* producer: messages sent */
	uint64_t got;		/* consumer: messages received */
	uint64_t full;		/* producer: the ring is full */
	int64_t kill_ns;	/* when the peer was killed */
	int64_t epipe_ns;	/* when -EPIPE came */
	uint64_t after_epipe;	/* messages that came after -EPIPE */
};

struct end {
	const char *addr;	/* NAMED */
	mmipc_region *r;	/* INHERITED */
	int how;
	int mode;		/* MMIPC_WAIT_* of the surviving end */
	struct sh *sh;
};

static const char *const mode_name[] = { "adaptive", "spin", "sleep" };

static mmipc_ring *attach(const struct end *e, int role)
{
	mmipc_ring *ring = NULL;

	if (e->how == INHERITED)
		CHECK_RC(mmipc_ring_attach(&ring, e->r, role, 0), 0);
	else
		CHECK_RC(mmipc_ring_open(&ring, e->addr, role, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(ring, e->mode, 0), 0);
	return ring;
}

static void send_k(mmipc_ring *p, struct sh *sh)
{
	char buf[600];
	uint64_t i;

	for (i = 0; i < K; i++) {
		size_t len = rg_len(SEED, i, sizeof(buf));

		rg_fill(buf, len, SEED, i);
		CHECK_RC(mmipc_ring_send(p, buf, len, 0, 5000), 0);
		rg_store(&sh->sent, i + 1);
	}
}

/* Receives until something else than a message; returns that. */
static int recv_all(mmipc_ring *c, struct sh *sh, int how)
{
	char buf[600];
	size_t len;
	uint64_t i;
	int rc;

	for (i = 0;; i++) {
		if (how == POLL) {
			/* timeout 0 learns of the death too */
			while ((rc = mmipc_ring_recv(c, buf, sizeof(buf), &len,
						     0)) == -EAGAIN)
				ru_sleep_ms(1);
		} else {
			/* a zombie that goes unnoticed must not hang us */
			rc = mmipc_ring_recv(c, buf, sizeof(buf), &len,
					     how == ZOMBIE ? 5000 : -1);
		}
		if (rc != 1)
			break;
		rg_expect_msg(buf, len, SEED, i, sizeof(buf), "consumer");
		rg_store(&sh->got, i + 1);
	}
	sh->epipe_ns = ru_now_ns();
	return rc;
}

/* A producer that sends K messages and waits to be killed. */
static int producer_k(void *arg)
{
	struct end *e = arg;
	mmipc_ring *p = attach(e, MMIPC_ROLE_PRODUCER);

	send_k(p, e->sh);
	if (e->how == ZOMBIE) {
		ru_sleep_ms(100); /* the consumer is asleep in recv by now */
		e->sh->kill_ns = ru_now_ns();
		raise(SIGKILL);
	}
	for (;;)
		pause();
	return 1;
}

static int consumer_all(void *arg)
{
	struct end *e = arg;
	mmipc_ring *c = attach(e, MMIPC_ROLE_CONSUMER);
	int rc = recv_all(c, e->sh, e->how);

	CHECK_RC(rc, -EPIPE);
	CHECK_RC(mmipc_ring_close(c), 0);
	return 0;
}

/* A consumer that receives nothing and waits to be killed. */
static int consumer_idle(void *arg)
{
	struct end *e = arg;
	mmipc_ring *c = attach(e, MMIPC_ROLE_CONSUMER);

	(void)c;
	rg_store(&e->sh->got, 1);
	if (e->how == ZOMBIE) {
		rg_await_at_least(&e->sh->full, 1, 10000, "producer fills");
		ru_sleep_ms(100); /* the producer is asleep in send by now */
		e->sh->kill_ns = ru_now_ns();
		raise(SIGKILL);
	}
	for (;;)
		pause();
	return 1;
}

/* Fills the ring, then blocks in send(-1) until -EPIPE. */
static int producer_full(void *arg)
{
	struct end *e = arg;
	mmipc_ring *p = attach(e, MMIPC_ROLE_PRODUCER);
	int rc;

	rg_await_at_least(&e->sh->got, 1, 10000, "consumer attaches");
	while ((rc = mmipc_ring_send(p, "full", 4, 0, 0)) == 0)
		;
	CHECK_RC(rc, -EAGAIN);
	rg_store(&e->sh->full, 1);
	if (e->how == POLL)
		while ((rc = mmipc_ring_send(p, "more", 4, 0, 0)) == -EAGAIN)
			ru_sleep_ms(1);
	else
		rc = mmipc_ring_send(p, "more", 4, 0, -1);
	e->sh->epipe_ns = ru_now_ns();
	CHECK_RC(rc, -EPIPE);
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

/* The surviving end exits 0 soon after the kill (it got -EPIPE). */
static void wait_noticed(pid_t pid, const char *who)
{
	int st = rg_wait_timeout(pid, 5000);

	CHECK(st >= 0, "%s still blocked 5 s after its peer was killed", who);
	CHECK(st == 0, "%s: status %d", who, st);
}

static void make_end(struct end *e, int how, int mode, char *addr,
		     size_t size)
{
	memset(e, 0, sizeof(*e));
	e->how = how;
	e->mode = mode;
	e->sh = rg_shared(sizeof(*e->sh));
	if (how == INHERITED) {
		CHECK_RC(mmipc_ring_create(&e->r, "anon", CAP, 0, 0), 0);
	} else {
		e->addr = rg_name(addr, size, "kill");
		CHECK_RC(mmipc_ring_create(&e->r, addr, CAP, 0, 0), 0);
	}
}

static void drop_end(struct end *e)
{
	CHECK_RC(mmipc_region_close(e->r), 0);
	if (e->addr != NULL)
		CHECK_RC(mmipc_region_unlink(e->addr, 0), 0);
	munmap(e->sh, sizeof(*e->sh));
}

static void check_late(const struct sh *sh, const char *what, int how,
		       int mode)
{
	int64_t late = (sh->epipe_ns - sh->kill_ns) / 1000000;

	printf("%s (%s, %s): -EPIPE %lld ms after the kill\n", what,
	       how_name[how], mode_name[mode], (long long)late);
	CHECK(sh->kill_ns != 0 && sh->epipe_ns != 0, "%s: no times", what);
	CHECK(late >= 0 && late < 1500, "%s (%s): -EPIPE %lld ms after the "
	      "kill", what, how_name[how], (long long)late);
}

/* A consumer that comes after a dead producer left nothing: not its
 * peer, so no -EPIPE: it waits for the next producer. */
static void late_consumer_waits(const struct end *e)
{
	mmipc_ring *c = attach(e, MMIPC_ROLE_CONSUMER);
	char buf[64];
	size_t len;
	int64_t t0;

	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), -EAGAIN);
	t0 = ru_now_ns();
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 300), -ETIMEDOUT);
	CHECK(ru_ms_since(t0) >= 300, "timed out early");
	CHECK_RC(mmipc_ring_close(c), 0);
}

static void producer_killed(int how, int mode)
{
	struct end e;
	char addr[128];
	pid_t pp, pc = -1;

	make_end(&e, how, mode, addr, sizeof(addr));
	if (how == ZOMBIE) {
		mmipc_ring *c = attach(&e, MMIPC_ROLE_CONSUMER);
		int rc;

		/* plain fork: not reaped by anyone until recv returns */
		pp = ru_fork(producer_k, &e);
		rc = recv_all(c, e.sh, how);
		CHECK_RC(rc, -EPIPE);
		CHECK(rg_wait(pp) == 128 + SIGKILL, "producer not killed");
		CHECK_RC(mmipc_ring_close(c), 0);
	} else if (how == LATE) {
		/* the consumer comes after the death: drains, then -EPIPE */
		pp = rg_fork(producer_k, &e);
		rg_await_at_least(&e.sh->sent, K, 10000, "producer sends K");
		e.sh->kill_ns = ru_now_ns();
		rg_kill(pp);
		pc = rg_fork(consumer_all, &e);
		RG_WAIT_OK(pc, "consumer");
		late_consumer_waits(&e);
	} else {
		pc = rg_fork(consumer_all, &e);
		pp = rg_fork(producer_k, &e);
		rg_await_at_least(&e.sh->got, K, 10000, "consumer gets K");
		ru_sleep_ms(100); /* asleep in recv by now */
		e.sh->kill_ns = ru_now_ns();
		rg_kill(pp);
		wait_noticed(pc, "consumer");
	}
	CHECK(e.sh->got == K, "consumer got %llu messages, want %d",
	      (unsigned long long)e.sh->got, K);
	check_late(e.sh, "producer killed", how, mode);
	drop_end(&e);
}

static void consumer_killed(int how, int mode)
{
	struct end e;
	char addr[128];
	pid_t pp, pc;

	make_end(&e, how, mode, addr, sizeof(addr));
	if (how == LATE) {
		/* a producer that comes after the consumer died is not its
		 * peer: it fills the ring and waits for the next one */
		mmipc_ring *p;
		int rc, n = 0;
		int64_t t0;

		pc = rg_fork(consumer_idle, &e);
		rg_await_at_least(&e.sh->got, 1, 10000, "consumer attaches");
		rg_kill(pc);
		p = attach(&e, MMIPC_ROLE_PRODUCER);
		while ((rc = mmipc_ring_send(p, "full", 4, 0, 0)) == 0)
			n++;
		CHECK(rc == -EAGAIN && n > 0, "late producer: %d (%s) after %d "
		      "sends", rc, mmipc_strerror(rc), n);
		t0 = ru_now_ns();
		CHECK_RC(mmipc_ring_send(p, "more", 4, 0, 300), -ETIMEDOUT);
		CHECK(ru_ms_since(t0) >= 300, "timed out early");
		CHECK_RC(mmipc_ring_close(p), 0);
		printf("consumer killed (late): the next producer waits\n");
		drop_end(&e);
		return;
	}
	if (how == ZOMBIE) {
		mmipc_ring *p = attach(&e, MMIPC_ROLE_PRODUCER);
		int rc;

		pc = ru_fork(consumer_idle, &e);
		rg_await_at_least(&e.sh->got, 1, 10000, "consumer attaches");
		while ((rc = mmipc_ring_send(p, "full", 4, 0, 0)) == 0)
			;
		CHECK_RC(rc, -EAGAIN);
		rg_store(&e.sh->full, 1);
		rc = mmipc_ring_send(p, "more", 4, 0, 5000);
		e.sh->epipe_ns = ru_now_ns();
		CHECK_RC(rc, -EPIPE);
		CHECK(rg_wait(pc) == 128 + SIGKILL, "consumer not killed");
		CHECK_RC(mmipc_ring_close(p), 0);
	} else {
		pc = rg_fork(consumer_idle, &e);
		pp = rg_fork(producer_full, &e);
		rg_await_at_least(&e.sh->full, 1, 10000, "producer fills");
		ru_sleep_ms(100);
		e.sh->kill_ns = ru_now_ns();
		rg_kill(pc);
		wait_noticed(pp, "producer");
	}
	check_late(e.sh, "consumer killed", how, mode);
	drop_end(&e);
}

/* ---- killed between reserve and commit ---- */

struct half {
	const char *addr;
	uint32_t seed;
	uint64_t before;	/* messages sent first */
	size_t resv;		/* then this is reserved */
	int reserved;		/* pipe: posted once reserved */
};

static int half_producer(void *arg)
{
	struct half *h = arg;
	mmipc_ring *p = NULL;
	char buf[4096];
	void *at = NULL;
	uint64_t i;

	CHECK_RC(mmipc_ring_open(&p, h->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	for (i = 0; i < h->before; i++) {
		size_t len = rg_len(h->seed, i, 2000);

		rg_fill(buf, len, h->seed, i);
		CHECK_RC(mmipc_ring_send(p, buf, len, 0, 5000), 0);
	}
	CHECK_RC(mmipc_ring_reserve(p, h->resv, &at, 5000), 0);
	/* a message that looks like the next one, but only half written */
	rg_fill(at, h->resv / 2, h->seed, h->before);
	ru_post(h->reserved);
	for (;;)
		pause();
	return 1;
}

static int after_producer(void *arg)
{
	struct half *h = arg;
	mmipc_ring *p = NULL;

	CHECK_RC(mmipc_ring_open(&p, h->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "after the kill", 14, 0, 5000), 0);
	CHECK_RC(mmipc_ring_close(p), 0);
	return 0;
}

static void killed_reserved(uint32_t seed, uint64_t before, size_t resv)
{
	mmipc_region *r = NULL;
	mmipc_ring *c = NULL;
	struct half h;
	char addr[128], buf[4096];
	size_t len;
	uint64_t i;
	int64_t t0;
	int pfd[2], rc;
	pid_t pid;

	rg_name(addr, sizeof(addr), "half");
	CHECK_RC(mmipc_ring_create(&r, addr, 4096, 0, 0), 0);
	ru_pipe(pfd);
	h.addr = addr;
	h.seed = seed;
	h.before = before;
	h.resv = resv;
	h.reserved = pfd[1];
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	pid = rg_fork(half_producer, &h);
	/* take the messages before the reservation as they come: a 4 KiB
	 * ring does not hold them all */
	for (i = 0; i < before; i++) {
		CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 5000), 1);
		rg_expect_msg(buf, len, seed, i, 2000, "before the kill");
	}
	/* until it says "reserved", keep taking what comes: a reserve
	 * behind a PAD needs the PAD taken. No message may come. */
	for (;;) {
		struct pollfd pd = { pfd[0], POLLIN, 0 };

		if (poll(&pd, 1, 1) == 1)
			break;
		rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 0);
		CHECK(rc == -EAGAIN, "seed %u: while reserving: %d (%s)", seed,
		      rc, mmipc_strerror(rc));
	}
	ru_await(pfd[0]);
	rg_kill(pid);
	/* what is checked is -EPIPE, not how soon (the torture times the
	 * notice): a long wait, so that a loaded machine cannot fail it,
	 * and the ring and its peers printed if it does */
	t0 = ru_now_ns();
	rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 10000);
	if (rc != -EPIPE)
		rg_dump(r, "the producer killed");
	CHECK(rc == -EPIPE,
	      "seed %u: after %llu messages and a reserve of %zu, killed: "
	      "recv %d (%s) after %lld ms%s",
	      seed, (unsigned long long)before, resv, rc, mmipc_strerror(rc),
	      (long long)((ru_now_ns() - t0) / 1000000),
	      rc == 1 ? ": the uncommitted message was delivered" : "");
	pid = rg_fork(after_producer, &h);
	rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 5000);
	CHECK(rc == 1 && len == 14 && memcmp(buf, "after the kill", 14) == 0,
	      "seed %u: first message of the new producer: %d (%s), %zu "
	      "bytes",
	      seed, rc, mmipc_strerror(rc), len);
	RG_WAIT_OK(pid, "new producer");
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 5000), 0);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	static const size_t resv[] = { 0, 1, 100, 1000, 2040, 4000, 4088 };
	uint32_t seed;
	size_t i;
	int how, mode;

	rg_init(100);
	for (how = NAMED; how <= LATE; how++) {
		producer_killed(how, MMIPC_WAIT_ADAPTIVE);
		consumer_killed(how, MMIPC_WAIT_ADAPTIVE);
	}
	for (mode = MMIPC_WAIT_SPIN; mode <= MMIPC_WAIT_SLEEP; mode++) {
		producer_killed(NAMED, mode);
		consumer_killed(NAMED, mode);
	}
	for (seed = 1; seed <= 4; seed++)
		for (i = 0; i < sizeof(resv) / sizeof(resv[0]); i++)
			killed_reserved(seed, (seed * 37 + i * 11) % 90,
					resv[i]);
	printf("killed between reserve and commit: %u seeds x %zu sizes\n",
	       seed - 1, sizeof(resv) / sizeof(resv[0]));
	return T_PASS;
}
