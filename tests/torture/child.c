/*
 * child.c - what the producer and the consumer processes share: joining
 * the ledger, announcing phases (where the parent aims its kills), the
 * self-kill timer, attach/detach, and the timeouts of blocking calls.
 */
#include <sys/prctl.h>
#include <sys/time.h>

#include "torture.h"

/* The self-kill timer: SIGALRM lands wherever the code is, and turns into
 * the SIGKILL the parent would have sent, only more precisely placed. */
static void on_alarm(int sig)
{
	(void)sig;
	kill(getpid(), SIGKILL);
}

/*
 * tt_child_init - join the ledger at @fd as end[@idx] (TT_PROD, ...). The
 * child dies with the parent (a parent killed by CTest must not leave
 * children looping on a ring), and asks for 1 ns of timer slack so that a
 * self-kill timer of a few microseconds fires when it says.
 */
void tt_child_init(struct tt_child *c, int fd, int idx)
{
	static const char *const names[] = { "producer", "consumer",
					     "creator" };
	struct sigaction sa;

	memset(c, 0, sizeof(*c));
	c->L = tt_ledger_map(fd);
	c->role = idx == TT_PROD   ? MMIPC_ROLE_PRODUCER
		  : idx == TT_CONS ? MMIPC_ROLE_CONSUMER
				   : 0;
	c->me = &c->L->end[idx];
	CHECK(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0, "prctl: %s",
	      strerror(errno));
	if ((uint64_t)getppid() != c->L->parent)
		_exit(T_FAIL); /* the parent died before we got here */
	CHECK(prctl(PR_SET_TIMERSLACK, 1UL) == 0, "prctl: %s",
	      strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction: %s",
	      strerror(errno));
	/* a Ctrl-C on the terminal reaches the whole process group: the
	 * parent ends the run (and us) itself */
	CHECK(signal(SIGINT, SIG_IGN) != SIG_ERR, "signal: %s", strerror(errno));
	c->rng = c->me->seed;
	snprintf(c->whobuf, sizeof(c->whobuf), "%s %llu (pid %d)", names[idx],
		 (unsigned long long)c->me->inc, (int)getpid());
	c->who = c->whobuf;
}

static void self_kill_timer(struct tt_child *c)
{
	struct tt_end *e = c->me;
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	uint64_t us = rg_load(&e->timer_us);

	it.it_value.tv_sec = (time_t)(us / 1000000);
	it.it_value.tv_usec = (suseconds_t)(us % 1000000 ? us % 1000000 : 1);
	rg_store(&e->timer, 0);
	e->hit_ns = tt_now();
	rg_store(&e->hit, 1);
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer: %s",
	      strerror(errno));
}

/* Stays at an armed phase for a while: the parent kills us here. Short
 * pauses spin (the kill lands on a running process), long ones sleep. */
static void pause_here(struct tt_child *c)
{
	struct tt_end *e = c->me;
	uint64_t us = rg_load(&e->arm_us), until;

	rg_store(&e->arm, 0);
	e->hit_ns = tt_now();
	rg_store(&e->hit, 1);
	if (us >= 300) {
		tt_sleep_us(us);
		return;
	}
	for (until = tt_now() + us * 1000; tt_now() < until;)
		__asm__ __volatile__("" ::: "memory");
}

/*
 * tt_phase - say where we are. The parent may have armed this phase: then
 * we pause here (it kills us during the pause), or start the self-kill
 * timer (it fires inside the call that follows, or soon after).
 */
void tt_phase(struct tt_child *c, uint64_t ph)
{
	struct tt_end *e = c->me;

	rg_store(&e->phase, ph);
	rg_store(&e->phase_n, e->phase_n + 1);
	if (rg_load(&e->timer) == ph)
		self_kill_timer(c);
	if (rg_load(&e->arm) == ph)
		pause_here(c);
}

/* tt_tick - one turn of a child's loop: shows that it is not stuck. */
void tt_tick(struct tt_child *c)
{
	rg_store(&c->me->progress, c->me->progress + 1);
}

/* The wait mode of a fresh attachment: mostly adaptive, some pure spin,
 * some pure sleep. */
static void pick_wait(struct tt_child *c)
{
	uint64_t r = tt_range(&c->rng, 0, 99);
	int mode = r < 70 ? MMIPC_WAIT_ADAPTIVE
		   : r < 80 ? MMIPC_WAIT_SPIN
			    : MMIPC_WAIT_SLEEP;
	uint32_t spin = tt_rand(&c->rng) & 1
				? 0
				: (uint32_t)tt_logrand(&c->rng, 500, 200000);

	CHECK_RC(mmipc_ring_set_wait(c->ring, mode, spin), 0);
}

/* One attach, by name or onto a region we open: the call's result. */
static int attach_once(struct tt_child *c, bool by_name)
{
	int rc;

	if (by_name)
		return mmipc_ring_open(&c->ring, c->L->addr, c->role, 0);
	if (c->region == NULL) {
		rc = mmipc_region_open(&c->region, c->L->addr,
				       MMIPC_KIND_RING, 0);
		if (rc < 0)
			return rc;
	}
	return mmipc_ring_attach(&c->ring, c->region, c->role, 0);
}

/*
 * tt_attach - attach as our role. -EBUSY is retried, for at most 3 s: the
 * parent reaps a killed holder before it starts us, so it should not come
 * at all; the retries are counted. Any other error is a failure.
 */
void tt_attach(struct tt_child *c)
{
	bool by_name = tt_rand(&c->rng) & 1;
	uint64_t until = tt_now() + 3000000000ull;
	int rc;

	tt_phase(c, PH_ATTACH);
	while ((rc = attach_once(c, by_name)) == -EBUSY && tt_now() < until) {
		tt_add(&c->L->ebusy, 1);
		tt_sleep_us(1000);
	}
	if (rc < 0) {
		tt_failf(c->L, "%s: attach to %s: %s", c->who, c->L->addr,
			 mmipc_strerror(rc));
		exit(T_FAIL);
	}
	pick_wait(c);
	rg_store(&c->me->attached, 1);
	tt_phase(c, PH_IDLE);
}

/* tt_detach - close our end (and the region we opened for it). */
void tt_detach(struct tt_child *c)
{
	int rc;

	tt_phase(c, PH_DETACH);
	rg_store(&c->me->attached, 0);
	rc = mmipc_ring_close(c->ring);
	c->ring = NULL;
	if (rc == 0 && c->region != NULL)
		rc = mmipc_region_close(c->region);
	c->region = NULL;
	if (rc < 0)
		tt_failf(c->L, "%s: close: %s", c->who, mmipc_strerror(rc));
	tt_phase(c, PH_IDLE);
}

/* tt_cycle - detach and attach again (the parent asked, to kill us in
 * the middle of it). */
void tt_cycle(struct tt_child *c)
{
	tt_detach(c);
	tt_attach(c);
	rg_store(&c->me->cycles, c->me->cycles + 1);
	rg_store(&c->me->cycle, 0);
}

/* tt_notice - we saw the other side gone (-EPIPE or end-of-stream). The
 * time of the FIRST notice since the parent zeroed notice_ns is kept: a
 * second one may come a liveness period later. */
void tt_notice(struct tt_child *c)
{
	uint64_t zero = 0;

	__atomic_compare_exchange_n(&c->me->notice_ns, &zero, tt_now(), false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	rg_store(&c->me->notices, c->me->notices + 1);
}

/* tt_timeout - the timeout of the next call: sometimes 0 (polling), mostly
 * short or medium; long when the parent wants to catch us waiting. */
int tt_timeout(struct tt_child *c)
{
	uint64_t r = tt_range(&c->rng, 0, 99);

	if (rg_load(&c->me->block))
		return 3000;
	return r < 10 ? 0 : r < 40 ? 10 : r < 85 ? 500 : 3000;
}

/* tt_check_time - a call must return within its timeout, plus slack for
 * a loaded machine; one that overran by seconds hung. */
void tt_check_time(struct tt_child *c, const char *call, int timeout_ms,
		   uint64_t start)
{
	uint64_t ms = (tt_now() - start) / 1000000;

	if (ms > (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) + 3000)
		tt_failf(c->L, "%s: %s took %llu ms with a timeout of %d ms",
			 c->who, call, (unsigned long long)ms, timeout_ms);
}

/* tt_hold - 1 while the parent wants us still (we sleep a little), else 0. */
int tt_hold(struct tt_child *c)
{
	if (rg_load(&c->me->hold)) {
		rg_store(&c->me->held, 1);
		tt_sleep_us(200);
		return 1;
	}
	if (c->me->held)
		rg_store(&c->me->held, 0);
	return 0;
}

/* tt_create_main - the creator: makes the ring the parent named, exits.
 * A creator killed inside create must leave nothing, or a whole ring. */
int tt_create_main(int fd)
{
	struct tt_child c;
	mmipc_region *r;
	int rc;

	tt_child_init(&c, fd, TT_CREATOR);
	tt_phase(&c, PH_CREATE);
	rc = mmipc_ring_create(&r, c.L->addr, c.L->cap, 0, 0);
	if (rc < 0) {
		tt_failf(c.L, "creator: create %s: %s", c.L->addr,
			 mmipc_strerror(rc));
		return T_FAIL;
	}
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}
