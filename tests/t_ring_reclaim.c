/*
 * t_ring_reclaim - more dead ends than the peer table has slots: KILLS
 * consumers, one after the other, attach and are killed with SIGKILL
 * while attached, then KILLS producers the same way. Each attach must
 * succeed, also once every slot of the table holds a dead peer and attach
 * reclaims one - possibly the very slot the dead holder of its end sat in
 * (that end word names the attacher's own slot then: no live holder, not
 * -EBUSY). Then, with the table still full of dead peers, RACES times a
 * producer and a consumer attach at the same instant and both reclaim
 * dead slots: each must hold a slot of its own, named by its own pid
 * (once, a slot being claimed still carried its dead holder's start
 * time; the other attacher took the claimer for a reused pid, reclaimed
 * the slot too, and two live peers shared it). That window is a few
 * microseconds, so it is also built by hand first: a slot CLAIMING for a
 * live pid with a stale start time must not be taken. Last, a producer
 * and a consumer still carry a message.
 */
#include "ring_util.h"

#define KILLS 40 /* > MMIPC_PEER_SLOTS (16), twice over */
#define RACES 100

struct attach {
	char addr[128];
	int role;
	uint64_t attached;	/* the child's attach returned 0 */
	uint64_t rc;		/* else its error, + 1000 */
	uint64_t ready;		/* racers with the region open */
	uint64_t go;		/* racers: attach at this CLOCK_MONOTONIC ns */
	uint64_t raced;		/* racers attached */
};

static int attach_and_wait(void *p)
{
	struct attach *a = p;
	mmipc_ring *r;
	int rc = mmipc_ring_open(&r, a->addr, a->role, 0);

	if (rc < 0) {
		rg_store(&a->rc, (uint64_t)(rc + 1000));
		return T_FAIL;
	}
	rg_store(&a->attached, 1);
	for (;;)
		pause(); /* killed here, attached */
}

static void kill_attached(struct attach *a, int role, int i)
{
	pid_t pid;

	a->role = role;
	rg_store(&a->attached, 0);
	rg_store(&a->rc, 0);
	pid = rg_fork(attach_and_wait, a);
	while (rg_load(&a->attached) == 0 && rg_load(&a->rc) == 0)
		ru_sleep_ms(1);
	CHECK(rg_load(&a->attached) == 1, "%s %d: attach failed: %s",
	      role == MMIPC_ROLE_PRODUCER ? "producer" : "consumer", i,
	      mmipc_strerror((int)rg_load(&a->rc) - 1000));
	rg_kill(pid);
}

static int sleeper(void *p)
{
	(void)p;
	for (;;)
		pause();
	return 0; /* not reached: killed */
}

/*
 * A claimer caught between its CAS and its own writes, made by hand: slot
 * 0 names a live process in state CLAIMING, but its start time is still
 * the dead previous holder's. An attach must take another dead slot, not
 * this one (the reused-pid test does not apply to a claimer).
 */
static void live_claimer(const char *addr, mmipc_region *reg)
{
	struct mmipc_peer_slot *s =
		(struct mmipc_peer_slot *)((char *)mmipc_region_data(reg) -
					   MMIPC_HDR_SIZE + MMIPC_PEER_OFF);
	uint64_t w = __atomic_load_n(&s[0].word, __ATOMIC_ACQUIRE), claiming;
	pid_t pid = rg_fork(sleeper, NULL);
	mmipc_ring *c;

	CHECK(PEER_STATE(w) == PEER_ACTIVE && s[0].start != 0,
	      "slot 0: word %#llx, start %llu: not a dead holder's",
	      (unsigned long long)w, (unsigned long long)s[0].start);
	claiming = PEER_WORD(pid, PEER_GEN(w) + 1, PEER_CLAIMING);
	/* start times count clock ticks (10 ms): the dead holder may have
	 * started in the sleeper's tick; make it an older process's */
	s[0].start = 1;
	__atomic_store_n(&s[0].word, claiming, __ATOMIC_RELEASE);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK(__atomic_load_n(&s[0].word, __ATOMIC_ACQUIRE) == claiming,
	      "a live claimer's slot was taken: %#llx",
	      (unsigned long long)__atomic_load_n(&s[0].word,
						  __ATOMIC_ACQUIRE));
	CHECK_RC(mmipc_ring_close(c), 0);
	rg_kill(pid); /* a claimer that died in its claim: reclaimable */
}

/* A racer (its own copy of this, made by fork): the region opened
 * beforehand, so that both attach calls start together at "go" (+ lag)
 * and scan the table at the same time. */
struct racer {
	struct attach *a;
	int role;
	int64_t lag_ns;	/* spun after "go": the other claims meanwhile */
};

static int racer(void *p)
{
	const struct racer *x = p;
	struct attach *a = x->a;
	mmipc_region *reg = NULL;
	mmipc_ring *r;
	int64_t t0;

	CHECK_RC(mmipc_region_open(&reg, a->addr, MMIPC_KIND_RING, 0), 0);
	__atomic_fetch_add(&a->ready, 1, __ATOMIC_SEQ_CST);
	while ((t0 = (int64_t)rg_load(&a->go)) == 0)
		;
	while (ru_now_ns() < t0 + x->lag_ns)
		;
	CHECK_RC(mmipc_ring_attach(&r, reg, x->role, 0), 0);
	__atomic_fetch_add(&a->raced, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause(); /* killed here, attached */
}

/* Every racer holds a slot of its own, in its role. */
static void check_slots(const mmipc_region *reg, const pid_t pid[2], int n)
{
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	int k = mmipc_region_peers(reg, v, MMIPC_MAX_PEERS), i, j, held;

	CHECK(k >= 2 && k <= MMIPC_MAX_PEERS, "race %d: %d peers", n, k);
	for (j = 0; j < 2; j++) {
		held = 0;
		for (i = 0; i < k; i++)
			if (v[i].pid == pid[j] && v[i].alive == 1 &&
			    v[i].role == (j == 0 ? MMIPC_ROLE_PRODUCER
						 : MMIPC_ROLE_CONSUMER))
				held++;
		CHECK(held == 1, "race %d: the %s (pid %d) holds %d slots in "
		      "its role", n, j == 0 ? "producer" : "consumer",
		      (int)pid[j], held);
	}
}

static void race(struct attach *a, const mmipc_region *reg, int n)
{
	pid_t pid[2];
	int j;

	/* the dead holders started in an earlier clock tick (10 ms) than
	 * the racers: a racer's start differs from its slot's stale one */
	ru_sleep_ms(11);
	rg_store(&a->ready, 0);
	rg_store(&a->go, 0);
	rg_store(&a->raced, 0);
	for (j = 0; j < 2; j++) {
		/* the consumer lags 0..40 us, a different lag each race:
		 * some land in the producer's claim */
		struct racer x = { a,
				   j == 0 ? MMIPC_ROLE_PRODUCER
					  : MMIPC_ROLE_CONSUMER,
				   j == 0 ? 0 : (int64_t)n * 37 % 4000 };

		pid[j] = rg_fork(racer, &x);
	}
	rg_await_at_least(&a->ready, 2, 10000, "racers open");
	/* a start on the clock, not on a store: the parent setting a flag
	 * would preempt one of the two spinning racers on two CPUs */
	rg_store(&a->go, (uint64_t)ru_now_ns() + 2000000);
	rg_await_at_least(&a->raced, 2, 10000, "racers attach");
	check_slots(reg, pid, n);
	for (j = 0; j < 2; j++)
		rg_kill(pid[j]);
}

int main(void)
{
	struct attach *a;
	mmipc_region *reg = NULL;
	mmipc_ring *p, *c;
	char buf[16];
	size_t len;
	int i;

	rg_init(120);
	a = rg_shared(sizeof(*a));
	rg_name(a->addr, sizeof(a->addr), "reclaim");
	CHECK_RC(mmipc_ring_create(&reg, a->addr, 4096, 0, 0), 0);
	for (i = 0; i < KILLS; i++)
		kill_attached(a, MMIPC_ROLE_CONSUMER, i);
	for (i = 0; i < KILLS; i++)
		kill_attached(a, MMIPC_ROLE_PRODUCER, i);
	printf("%d consumers and %d producers attached and were killed, one "
	       "after the other: every attach succeeded\n", KILLS, KILLS);
	live_claimer(a->addr, reg);
	for (i = 0; i < RACES; i++)
		race(a, reg, i);
	printf("a live claimer's slot was left to it; %d times a producer "
	       "and a consumer reclaimed dead slots at once: each held its "
	       "own\n", RACES);
	CHECK_RC(mmipc_ring_open(&p, a->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_open(&c, a->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "hello", 5, 0, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 1);
	CHECK(len == 5 && memcmp(buf, "hello", 5) == 0, "message garbled");
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(reg), 0);
	return T_PASS;
}
