/*
 * trial.c - one trial of mmipc-torture: pick a victim (producer or
 * consumer) and a way to kill it, kill -9 it, check that the survivor
 * notices within a second (or replace at once: "hot"), start a
 * replacement (some die inside their attach too), and check that the
 * stream flows again. The children judge every message against the
 * ledger as they go; their findings are printed here with the trial.
 *
 * Ways to kill (struct plan):
 *  K_DELAY  after a random delay, 2 us .. 50 ms
 *  K_PHASE  the victim pauses at an announced phase (reservation half
 *           written, reserved but not committed, MORE committed but not
 *           flushed, peeked, batch peeked) and is killed there
 *  K_WAIT   the survivor holds still, the victim blocks in a wait (full
 *           ring, empty ring), is killed there
 *  K_TIMER  the victim arms a timer of 1..500 us at a phase and kills
 *           itself inside the call that follows (send, commit, flush,
 *           recv, release, any blocking call)
 *  K_CYCLE  the victim detaches and attaches again and dies in the middle
 *           of it (close or open), by pause or by timer
 *  K_BOTH   the victim, then the other end, after random delays; the
 *           replacements start in either order: a late consumer drains
 *           what the dead producer left, a late producer waits for a new
 *           consumer
 */
#include "torture.h"

enum { K_DELAY, K_PHASE, K_WAIT, K_TIMER, K_CYCLE, K_BOTH };

static const char *const kind_name[] = { "delay", "phase", "wait", "timer",
					 "cycle", "both" };

struct plan {
	int victim;	/* TT_PROD, TT_CONS */
	int kind;	/* K_* */
	uint64_t phase; /* PH_* aimed at */
	unsigned weight;
};

static const struct plan plans[] = {
	{ TT_PROD, K_DELAY, PH_NONE, 8 },
	{ TT_PROD, K_PHASE, PH_RESV_HALF, 3 },
	{ TT_PROD, K_PHASE, PH_RESV_FULL, 3 },
	{ TT_PROD, K_PHASE, PH_MORE, 3 },
	{ TT_PROD, K_WAIT, PH_WAIT, 3 },
	{ TT_PROD, K_TIMER, PH_CALL, 2 },
	{ TT_PROD, K_TIMER, PH_SEND, 1 },
	{ TT_PROD, K_TIMER, PH_COMMIT, 1 },
	{ TT_PROD, K_TIMER, PH_FLUSH, 1 },
	{ TT_PROD, K_CYCLE, PH_DETACH, 2 },
	{ TT_PROD, K_CYCLE, PH_ATTACH, 2 },
	{ TT_PROD, K_BOTH, PH_NONE, 2 },
	{ TT_CONS, K_DELAY, PH_NONE, 8 },
	{ TT_CONS, K_PHASE, PH_PEEKED, 4 },
	{ TT_CONS, K_PHASE, PH_BATCH, 4 },
	{ TT_CONS, K_WAIT, PH_WAIT, 3 },
	{ TT_CONS, K_TIMER, PH_CALL, 2 },
	{ TT_CONS, K_TIMER, PH_RECV, 2 },
	{ TT_CONS, K_TIMER, PH_RELEASE, 2 },
	{ TT_CONS, K_CYCLE, PH_DETACH, 2 },
	{ TT_CONS, K_CYCLE, PH_ATTACH, 2 },
	{ TT_CONS, K_BOTH, PH_NONE, 2 },
};
#define NPLANS (sizeof(plans) / sizeof(plans[0]))

static const struct plan *pick_plan(struct tt_run *R)
{
	unsigned total = 0, i;
	uint64_t r;

	for (i = 0; i < NPLANS; i++)
		total += plans[i].weight;
	r = tt_range(&R->rng, 0, total - 1);
	for (i = 0; r >= plans[i].weight; i++)
		r -= plans[i].weight;
	return &plans[i];
}

/* Busy-waits @us: a sleep of a few microseconds lasts far longer. */
static void spin_us(uint64_t us)
{
	uint64_t until = tt_now() + us * 1000;

	while (tt_now() < until)
		__asm__ __volatile__("" ::: "memory");
}

static void delay_us(uint64_t us)
{
	if (us < 1000)
		spin_us(us);
	else
		tt_sleep_us(us);
}

/* What happened to the victim: when it was killed, whether at the phase
 * aimed at. */
struct strike {
	uint64_t kill_ns;
	bool precise;
	bool missed;
	bool timer;
};

/* kill -9 the victim now; "precise" if it still sits at @phase. */
static void kill_now(struct tt_run *R, int v, uint64_t phase,
		     struct strike *s)
{
	s->precise = phase != PH_NONE &&
		     rg_load(&R->L->end[v].phase) == phase;
	s->kill_ns = tt_now();
	tt_kill(R, v);
}

/* Has the victim (not yet killed by us) exited? That is a failure. */
static bool died(struct tt_run *R, int v)
{
	int st = tt_reap(R, v, 0);

	if (st < 0)
		return false;
	tt_report(R);
	tt_fail(R, "the victim exited before it was killed: status %d", st);
	return true;
}

/* K_PHASE, K_CYCLE by pause: arm @phase, wait for the victim there,
 * kill it after a delay of up to the pause (so, mostly, in it). */
static void strike_phase(struct tt_run *R, int v, uint64_t phase, bool cycle,
			 struct strike *s)
{
	struct tt_end *e = &R->L->end[v];
	uint64_t pause = cycle ? tt_logrand(&R->rng, 1, 300)
			       : tt_logrand(&R->rng, 50, 5000);
	uint64_t until = tt_now() + 3000000000ull;

	e->arm_us = pause;
	rg_store(&e->arm, phase);
	if (cycle)
		rg_store(&e->cycle, 1);
	while (!rg_load(&e->hit)) {
		if (died(R, v))
			return;
		if (tt_now() > until) {
			rg_store(&e->arm, 0);
			s->missed = true;
			break;
		}
		tt_sleep_us(20);
	}
	delay_us(tt_range(&R->rng, 0, cycle ? 600 : pause));
	kill_now(R, v, phase, s);
}

/* K_WAIT: the survivor holds, the victim blocks (long timeouts); once it
 * has sat in the same call for 30 ms, it is asleep or spinning in a wait. */
static void strike_wait(struct tt_run *R, int v, struct strike *s)
{
	struct tt_end *e = &R->L->end[v];
	uint64_t until = tt_now() + 5000000000ull, n = UINT64_MAX, since = 0;

	rg_store(&R->L->end[1 - v].hold, 1);
	rg_store(&e->block, 1);
	for (;;) {
		uint64_t ph = rg_load(&e->phase), pn = rg_load(&e->phase_n);

		if (died(R, v))
			return;
		if (ph != PH_CALL || pn != n) {
			n = ph == PH_CALL ? pn : UINT64_MAX;
			since = tt_now();
		} else if (tt_now() - since > 30000000) {
			break;
		}
		if (tt_now() > until) {
			s->missed = true;
			break;
		}
		tt_sleep_us(500);
	}
	delay_us(tt_logrand(&R->rng, 1, 20000));
	kill_now(R, v, PH_CALL, s);
}

/* K_TIMER, K_CYCLE by timer: the victim kills itself 1..500 us after it
 * reaches @phase. The kill time is when it armed the timer. */
static void strike_timer(struct tt_run *R, int v, uint64_t phase, bool cycle,
			 struct strike *s)
{
	struct tt_end *e = &R->L->end[v];
	int st;

	e->timer_us = tt_logrand(&R->rng, 1, cycle ? 300 : 500);
	rg_store(&e->timer, phase);
	if (cycle)
		rg_store(&e->cycle, 1);
	st = tt_reap(R, v, 3000);
	if (st < 0) {
		rg_store(&e->timer, 0);
		s->missed = true;
		kill_now(R, v, PH_NONE, s);
		return;
	}
	if (st != 128 + SIGKILL) {
		tt_report(R);
		tt_fail(R, "the victim exited before it was killed: status %d",
			st);
	}
	s->timer = rg_load(&e->hit) != 0;
	s->kill_ns = s->timer ? e->hit_ns : tt_now();
}

static void strike(struct tt_run *R, const struct plan *p, struct strike *s)
{
	int v = p->victim;
	bool by_timer = tt_range(&R->rng, 0, 1) == 0;

	memset(s, 0, sizeof(*s));
	switch (p->kind) {
	case K_DELAY:
	case K_BOTH:
		delay_us(tt_logrand(&R->rng, 2, 50000));
		if (!died(R, v))
			kill_now(R, v, PH_NONE, s);
		break;
	case K_PHASE:
		strike_phase(R, v, p->phase, false, s);
		break;
	case K_WAIT:
		strike_wait(R, v, s);
		break;
	case K_TIMER:
		strike_timer(R, v, p->phase, false, s);
		break;
	default:
		if (by_timer)
			strike_timer(R, v, p->phase, true, s);
		else
			strike_phase(R, v, p->phase, true, s);
	}
	if (s->kill_ns == 0)
		s->kill_ns = tt_now();	/* it died on its own: no kill */
	else
		R->f.kills[v]++;
}

/*
 * wait_notice - the survivor @w must see the death (-EPIPE or end-of-
 * stream) within 1 s; not at all within 8 s is a hang: it is killed.
 * Returns the latency in ns.
 */
static uint64_t wait_notice(struct tt_run *R, int w, uint64_t before,
			    uint64_t kill_ns)
{
	struct tt_end *e = &R->L->end[w];
	uint64_t lat;

	while (rg_load(&e->notices) == before) {
		if (!tt_alive(R, w))
			return 0;
		if (tt_now() - kill_ns > 8000000000ull) {
			tt_fail(R, "the %s did not notice the death in 8 s",
				w == TT_PROD ? "producer" : "consumer");
			tt_kill(R, w);
			return 0;
		}
		tt_sleep_us(200);
	}
	lat = rg_load(&e->notice_ns);
	lat = lat > kill_ns ? lat - kill_ns : 0;
	if (lat > R->f.notice_max)
		R->f.notice_max = lat;
	if (lat > 1000000000ull)
		tt_fail(R, "the %s noticed the death only after %.3f s",
			w == TT_PROD ? "producer" : "consumer", (double)lat / 1e9);
	R->f.noticed++;
	return lat;
}

/*
 * replace - start a new process for role @v; one in seven kills itself
 * inside its attach first (the dead one's end is taken over from a dead
 * holder then). Then the stream must flow again.
 */
static void replace(struct tt_run *R, int v)
{
	bool doomed = tt_range(&R->rng, 0, 6) == 0;
	int st;

	if (doomed) {
		tt_spawn(R, v, PH_ATTACH, tt_logrand(&R->rng, 1, 400));
		st = tt_reap(R, v, 5000);
		if (st < 0)
			tt_kill(R, v);
		else if (st != 128 + SIGKILL)
			tt_fail(R, "a replacement doomed in attach: status %d",
				st);
		tt_report(R);
		R->f.attach_kills++;
		R->f.kills[v]++;
		if (v == TT_PROD)
			tt_producer_gone(R);
	}
	tt_spawn(R, v, 0, 0);
	tt_wait_works(R, v, R->L->end[v].inc);
}

/*
 * both_die - K_BOTH after the victim died: kill the other end too, then
 * start new ones, the victim's role first (the other after a random
 * delay). The stream must flow from the new producer to the new consumer.
 */
static void both_die(struct tt_run *R, int v)
{
	delay_us(tt_logrand(&R->rng, 2, 20000));
	if (R->pid[1 - v] != 0) {
		tt_kill(R, 1 - v);
		R->f.kills[1 - v]++;
	}
	tt_producer_gone(R);
	tt_spawn(R, v, 0, 0);
	delay_us(tt_logrand(&R->rng, 2, 50000));
	tt_spawn(R, 1 - v, 0, 0);
	if (tt_wait_works(R, TT_PROD, R->L->end[TT_PROD].inc) && v == TT_PROD &&
	    rg_load(&R->L->end[TT_PROD].notices) != 0)
		tt_fail(R, "a producer that came after the consumer died got "
			"-EPIPE: the dead one is not its peer, it must wait");
}

/* Clears every order of both ends: a trial starts from a free stream. */
static void clear_orders(struct tt_run *R)
{
	int i;

	for (i = TT_PROD; i <= TT_CONS; i++) {
		struct tt_end *e = &R->L->end[i];

		rg_store(&e->arm, 0);
		rg_store(&e->timer, 0);
		rg_store(&e->block, 0);
		rg_store(&e->hold, 0);
		rg_store(&e->hit, 0);
	}
}

/* A broken ring is a failure the trial's checks may not have seen. */
static void check_ring(struct tt_run *R)
{
	struct mmipc_ring_stats st;
	int rc = mmipc_ring_stats(R->region, &st);

	if (rc < 0 || st.broken)
		tt_fail(R, "ring stats: %s, broken %u", mmipc_strerror(rc),
			rc < 0 ? 0 : st.broken);
}

static void say(struct tt_run *R, const struct plan *p,
		const struct strike *s, bool hot, uint64_t lat)
{
	fprintf(stderr, "trial %llu: %s %s %s%s%s, %s %.3f s\n",
		(unsigned long long)R->trial,
		p->victim == TT_PROD ? "producer" : "consumer",
		kind_name[p->kind], tt_phase_name[p->phase],
		s->precise ? " (precise)" : s->timer ? " (timer)" : "",
		s->missed ? " (missed)" : "", hot ? "hot" : "notice",
		(double)lat / 1e9);
}

void tt_trial(struct tt_run *R)
{
	const struct plan *p;
	struct strike s;
	uint64_t before, lat = 0;
	bool hot;
	int v;

	if (R->chan_left == 0 || !tt_all_alive(R)) {
		tt_channel_retire(R, tt_all_alive(R) &&
					     tt_range(&R->rng, 0, 6) != 0);
		tt_channel_new(R);
	}
	R->chan_left--;
	p = pick_plan(R);
	v = p->victim;
	hot = tt_range(&R->rng, 0, 1) == 0 || p->kind == K_BOTH;
	clear_orders(R);
	/* let the stream run a little: kills land at all ring positions */
	delay_us(tt_logrand(&R->rng, 50, 5000));
	rg_store(&R->L->end[1 - v].notice_ns, 0);
	before = rg_load(&R->L->end[1 - v].notices);
	strike(R, p, &s);
	R->f.by_phase[v][p->phase]++;
	R->f.precise += s.precise;
	R->f.timers += s.timer;
	R->f.missed += s.missed;
	clear_orders(R);
	if (v == TT_PROD)
		tt_producer_gone(R);
	if (hot)
		R->f.hot++;
	if (p->kind == K_BOTH)
		both_die(R, v);
	else if (!hot)
		lat = wait_notice(R, 1 - v, before, s.kill_ns);
	if (p->kind != K_BOTH && R->pid[1 - v] != 0)
		replace(R, v);
	if (R->verbose)
		say(R, p, &s, hot, lat);
	tt_report(R);
	check_ring(R);
}
