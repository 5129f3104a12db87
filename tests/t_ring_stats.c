/*
 * t_ring_stats - mmipc_ring_stats(), mmipc_region_peers() and the peer
 * counts of mmipc_region_stat() follow what happens to a ring, step by
 * step, with the ends in child processes:
 *
 *   fresh ring                     ends none, no pid, counters 0, no peers
 *   producer attaches              producer attached (its pid), 1 peer
 *   10 sent, 3 more with MORE      10 messages, their bytes, used = their
 *                                  records; the 3 not counted until flush
 *   consumer attaches, takes 5     consumer attached, 2 peers alive,
 *                                  5 received, used = the rest
 *   producer closes                producer closed, 1 peer
 *   consumer killed (kill -9)      consumer dead with its pid; the peer
 *                                  table keeps it, not alive
 *   a new consumer drains          attached (the new pid), 13 received,
 *                                  used 0, bytes equal
 *
 * Stats also work on a read-only handle; on a raw region they are
 * -MMIPC_EKIND. And read while a full ring streams (2 s, two readers),
 * they never call the healthy ring corrupt; nor when the reader is
 * single-stepped and the ring moves between its instructions (the race
 * made certain).
 */
#include <sys/ptrace.h>

#include "ring_util.h"

#define CAP 4096u

struct sh {
	uint64_t ack, go;
};

struct ctx {
	const char *addr;
	struct sh *sh;
	int role;
	int take;	/* consumer: messages to take */
	bool drain;	/* then end-of-stream; else wait to be killed */
};

static void step(struct sh *sh, uint64_t n)
{
	rg_store(&sh->ack, n);
	rg_await_at_least(&sh->go, n, 20000, "parent");
}

static void next(struct sh *sh, uint64_t n)
{
	rg_store(&sh->go, n - 1);
	rg_await_at_least(&sh->ack, n, 20000, "child");
}

static size_t len_of(int i)
{
	return (size_t)i * 10;
}

static int producer(void *arg)
{
	struct ctx *x = arg;
	mmipc_ring *p = NULL;
	char buf[200];
	int i;

	memset(buf, 'p', sizeof(buf));
	CHECK_RC(mmipc_ring_open(&p, x->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	step(x->sh, 1);
	for (i = 0; i < 13; i++)
		CHECK_RC(mmipc_ring_send(p, buf, len_of(i),
					 i >= 10 ? MMIPC_RING_MORE : 0, 0),
			 0);
	step(x->sh, 2);
	CHECK_RC(mmipc_ring_flush(p), 0);
	step(x->sh, 3);
	CHECK_RC(mmipc_ring_close(p), 0);
	step(x->sh, 4);
	return 0;
}

static int consumer(void *arg)
{
	struct ctx *x = arg;
	mmipc_ring *c = NULL;
	char buf[200];
	size_t len;
	int i, rc;

	CHECK_RC(mmipc_ring_open(&c, x->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	for (i = 0; i < x->take; i++)
		CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 1);
	if (!x->drain) {
		rg_store(&x->sh->ack, 1);
		for (;;)
			pause(); /* killed here */
	}
	rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000);
	CHECK_RC(rc, 0);
	step(x->sh, 1);
	CHECK_RC(mmipc_ring_close(c), 0);
	return 0;
}

struct want {
	uint64_t msgs_sent, bytes_sent, msgs_recv, bytes_recv, used;
	uint32_t producer, consumer;
	pid_t ppid, cpid;
	bool closed_pid_any;	/* a closed end may show its pid or 0 */
};

static uint64_t bytes_of(int from, int to)
{
	uint64_t b = 0;
	int i;

	for (i = from; i < to; i++)
		b += len_of(i);
	return b;
}

static uint64_t recs_of(int from, int to)
{
	uint64_t b = 0;
	int i;

	for (i = from; i < to; i++)
		b += rg_rec(len_of(i));
	return b;
}

static void check_end(uint32_t got, int32_t got_pid, uint32_t want,
		      pid_t want_pid, const char *end, const char *when)
{
	CHECK(got == want, "%s: %s %s, want %s", when, end, rg_end_name(got),
	      rg_end_name(want));
	if (want == MMIPC_END_CLOSED)
		CHECK(got_pid == 0 || got_pid == want_pid,
		      "%s: closed %s has pid %d", when, end, (int)got_pid);
	else
		CHECK(got_pid == (int32_t)want_pid, "%s: %s pid %d, want %d",
		      when, end, (int)got_pid, (int)want_pid);
}

static void check_stats(mmipc_region *r, const struct want *w,
			const char *when)
{
	struct mmipc_ring_stats st;

	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	printf("%-28s sent %2llu/%3llu recv %2llu/%3llu used %4llu, "
	       "producer %s %d, consumer %s %d\n",
	       when, (unsigned long long)st.msgs_sent,
	       (unsigned long long)st.bytes_sent,
	       (unsigned long long)st.msgs_recv,
	       (unsigned long long)st.bytes_recv, (unsigned long long)st.used,
	       rg_end_name(st.producer), (int)st.producer_pid,
	       rg_end_name(st.consumer), (int)st.consumer_pid);
	CHECK(st.capacity == CAP, "%s: capacity %llu", when,
	      (unsigned long long)st.capacity);
	CHECK(st.msgs_sent == w->msgs_sent && st.bytes_sent == w->bytes_sent,
	      "%s: sent %llu messages %llu bytes, want %llu %llu", when,
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.bytes_sent,
	      (unsigned long long)w->msgs_sent,
	      (unsigned long long)w->bytes_sent);
	CHECK(st.msgs_recv == w->msgs_recv && st.bytes_recv == w->bytes_recv,
	      "%s: received %llu messages %llu bytes, want %llu %llu", when,
	      (unsigned long long)st.msgs_recv,
	      (unsigned long long)st.bytes_recv,
	      (unsigned long long)w->msgs_recv,
	      (unsigned long long)w->bytes_recv);
	CHECK(st.used == w->used, "%s: used %llu, want %llu", when,
	      (unsigned long long)st.used, (unsigned long long)w->used);
	check_end(st.producer, st.producer_pid, w->producer, w->ppid,
		  "producer", when);
	check_end(st.consumer, st.consumer_pid, w->consumer, w->cpid,
		  "consumer", when);
	CHECK(st.broken == 0, "%s: broken", when);
}

/* The peer table lists exactly these (role, pid, alive) triples. */
static void check_peers(mmipc_region *r, const char *addr, int n,
			const int *roles, const pid_t *pids, const int *alive,
			const char *when)
{
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	struct mmipc_region_info info;
	int got = mmipc_region_peers(r, v, MMIPC_MAX_PEERS), i, j, live = 0;
	int64_t now = (int64_t)time(NULL) * 1000000000;

	CHECK(got == n, "%s: %d peers, want %d", when, got, n);
	CHECK(mmipc_region_peers(r, NULL, 0) == n, "%s: count only", when);
	for (i = 0; i < n; i++) {
		for (j = 0; j < got; j++)
			if (v[j].pid == pids[i])
				break;
		CHECK(j < got, "%s: pid %d not among the peers", when,
		      (int)pids[i]);
		CHECK(v[j].role == (uint32_t)roles[i] &&
			      v[j].alive == alive[i],
		      "%s: pid %d: role %u alive %d, want %d %d", when,
		      (int)pids[i], v[j].role, v[j].alive, roles[i], alive[i]);
		CHECK(v[j].slot < MMIPC_MAX_PEERS && v[j].start != 0,
		      "%s: slot %u start %llu", when, v[j].slot,
		      (unsigned long long)v[j].start);
		CHECK(v[j].attach_ns > now - 120 * INT64_C(1000000000) &&
			      v[j].attach_ns < now + 2 * INT64_C(1000000000),
		      "%s: attach_ns %lld, now %lld", when,
		      (long long)v[j].attach_ns, (long long)now);
		live += alive[i] != 0;
	}
	CHECK_RC(mmipc_region_stat(addr, &info), 0);
	CHECK(info.peers == (uint32_t)n && info.peers_alive == (uint32_t)live,
	      "%s: region_stat says %u peers, %u alive; want %d, %d", when,
	      info.peers, info.peers_alive, n, live);
}

/* ---- stats of a busy ring ---- */

struct busy {
	const char *addr;
	uint64_t stop;
	uint64_t calls, bad;
};

struct busy_arg {
	struct busy *b;
	int role;		/* 0: a stats reader */
};

static int busy_reader(struct busy *b)
{
	mmipc_region *r = NULL;
	struct mmipc_ring_stats st;
	int rc;

	CHECK_RC(mmipc_region_open(&r, b->addr, MMIPC_KIND_RING,
				   MMIPC_F_RDONLY),
		 0);
	while (!rg_load(&b->stop)) {
		rc = mmipc_ring_stats(r, &st);
		CHECK(rc == 0 || rc == -EBADMSG, "stats %d", rc);
		__atomic_fetch_add(&b->calls, 1, __ATOMIC_RELAXED);
		if (rc == -EBADMSG)
			__atomic_fetch_add(&b->bad, 1, __ATOMIC_RELAXED);
		else
			CHECK(st.used <= st.capacity && st.broken == 0,
			      "busy stats: used %llu broken %u",
			      (unsigned long long)st.used, st.broken);
	}
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

static int busy_end(void *arg)
{
	struct busy_arg *a = arg;
	mmipc_ring *ring = NULL;
	char buf[8];
	size_t len;
	int rc;

	if (a->role == 0)
		return busy_reader(a->b);
	CHECK_RC(mmipc_ring_open(&ring, a->b->addr, a->role, 0), 0);
	while (!rg_load(&a->b->stop)) {
		if (a->role == MMIPC_ROLE_PRODUCER)
			rc = mmipc_ring_send(ring, "", 0, 0, 100);
		else
			rc = mmipc_ring_recv(ring, buf, sizeof(buf), &len,
					     100);
		CHECK(rc >= 0 || rc == -ETIMEDOUT ||
			      (rc == -EPIPE && rg_load(&a->b->stop)),
		      "busy stream: %d (%s)", rc, mmipc_strerror(rc));
	}
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

/*
 * Stats read (by two processes) while the smallest ring streams empty
 * messages, so that it is full most of the time and its positions race:
 * the ring is whole, stats must never call it corrupt. A race: this
 * catches a reader that takes a torn pair of positions for corruption
 * only now and then.
 */
static void busy(void)
{
	struct busy *b = rg_shared(sizeof(*b));
	struct busy_arg a[4];
	mmipc_region *r = NULL;
	char addr[128];
	pid_t pids[4];
	int i;

	rg_name(addr, sizeof(addr), "statsbusy");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	b->addr = addr;
	for (i = 0; i < 4; i++) {
		a[i].b = b;
		a[i].role = i < 2 ? i + 1 : 0;
		pids[i] = rg_fork(busy_end, &a[i]);
	}
	ru_sleep_ms(2000);
	rg_store(&b->stop, 1);
	rg_wait_all(pids, 4, 10000, "busy ring");
	printf("busy ring: %llu stats calls, %llu said -EBADMSG\n",
	       (unsigned long long)b->calls, (unsigned long long)b->bad);
	CHECK(b->bad == 0,
	      "stats called a healthy busy ring corrupt %llu times in %llu",
	      (unsigned long long)b->bad, (unsigned long long)b->calls);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	munmap(b, sizeof(*b));
}

/*
 * The same race, made certain: a stats reader is single-stepped (ptrace)
 * and between its instructions the ring moves on by one record taken and
 * one added, so it is full at every instant (a state the ends really go
 * through, only faster than they do). Whenever the reader loads one
 * position and then the other, the ring has moved in between. Every
 * move happens every @period instructions. Skipped where ptrace is not
 * allowed.
 */
static void torn(long period)
{
	mmipc_region *r = NULL;
	struct mmipc_ring_ctl *ctl;
	int64_t *res = rg_shared(4096);
	long steps = 0;
	pid_t pid;
	int st, i;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	ctl = rg_ctl(r);
	__atomic_store_n(&ctl->head, CAP, __ATOMIC_RELEASE); /* full */
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct mmipc_ring_stats s;

		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			_exit(T_SKIP);
		raise(SIGSTOP);
		for (i = 0; i < 3; i++) {
			res[i] = mmipc_ring_stats(r, &s);
			res[8 + i] = (int64_t)s.used;
		}
		_exit(0);
	}
	rg_add_kid(pid);
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_SKIP) {
		printf("torn positions: ptrace not allowed, skipped\n");
		rg_forget_kid(pid);
		return;
	}
	CHECK(WIFSTOPPED(st), "reader did not stop: %#x", st);
	for (;;) {
		CHECK(ptrace(PTRACE_SINGLESTEP, pid, 0, 0) == 0,
		      "PTRACE_SINGLESTEP: %s", strerror(errno));
		CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		CHECK(++steps < 50000000, "reader still running");
		if (steps % period != 0)
			continue;
		__atomic_store_n(&ctl->tail, ctl->tail + 8, __ATOMIC_RELEASE);
		__atomic_store_n(&ctl->head, ctl->head + 8, __ATOMIC_RELEASE);
	}
	rg_forget_kid(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reader: status %#x", st);
	printf("torn positions, a move every %ld instructions: %ld steps, "
	       "stats %lld %lld %lld\n",
	       period, steps, (long long)res[0], (long long)res[1],
	       (long long)res[2]);
	for (i = 0; i < 3; i++) {
		CHECK(res[i] == 0,
		      "stats called a ring that is full and whole at every "
		      "instant corrupt: %lld (%s)",
		      (long long)res[i], mmipc_strerror((int)res[i]));
		CHECK(res[8 + i] <= CAP, "used %lld of %u",
		      (long long)res[8 + i], CAP);
	}
	CHECK_RC(mmipc_region_close(r), 0);
	munmap(res, 4096);
}

int main(void)
{
	struct sh *shp, *shc;
	struct ctx px, cx;
	struct want w;
	mmipc_region *r = NULL, *ro = NULL, *raw = NULL;
	struct mmipc_ring_stats st;
	char addr[128], raddr[128];
	int roles[2] = { 0 }, alive[2] = { 0 };
	pid_t pids[2] = { 0 }, pp, pc, pc2;

	rg_init(60);
	shp = rg_shared(sizeof(*shp));
	shc = rg_shared(sizeof(*shc));
	rg_name(addr, sizeof(addr), "stats");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	memset(&w, 0, sizeof(w));
	check_stats(r, &w, "fresh");
	check_peers(r, addr, 0, roles, pids, alive, "fresh");

	px.addr = addr;
	px.sh = shp;
	px.role = MMIPC_ROLE_PRODUCER;
	pp = rg_fork(producer, &px);
	rg_await_at_least(&shp->ack, 1, 10000, "producer attaches");
	w.producer = MMIPC_END_ATTACHED;
	w.ppid = pp;
	check_stats(r, &w, "producer attached");
	roles[0] = MMIPC_ROLE_PRODUCER;
	pids[0] = pp;
	alive[0] = 1;
	check_peers(r, addr, 1, roles, pids, alive, "producer attached");

	next(shp, 2);
	w.msgs_sent = 10;
	w.bytes_sent = bytes_of(0, 10);
	w.used = recs_of(0, 10);
	check_stats(r, &w, "10 sent, 3 held (MORE)");
	next(shp, 3);
	w.msgs_sent = 13;
	w.bytes_sent = bytes_of(0, 13);
	w.used = recs_of(0, 13);
	check_stats(r, &w, "flushed");

	cx.addr = addr;
	cx.sh = shc;
	cx.role = MMIPC_ROLE_CONSUMER;
	cx.take = 5;
	cx.drain = false;
	pc = rg_fork(consumer, &cx);
	rg_await_at_least(&shc->ack, 1, 10000, "consumer takes 5");
	w.msgs_recv = 5;
	w.bytes_recv = bytes_of(0, 5);
	w.used = recs_of(5, 13);
	w.consumer = MMIPC_END_ATTACHED;
	w.cpid = pc;
	check_stats(r, &w, "consumer took 5");
	roles[1] = MMIPC_ROLE_CONSUMER;
	pids[1] = pc;
	alive[1] = 1;
	check_peers(r, addr, 2, roles, pids, alive, "both attached");

	/* read-only handles read stats too */
	CHECK_RC(mmipc_region_open(&ro, addr, MMIPC_KIND_RING, MMIPC_F_RDONLY),
		 0);
	CHECK_RC(mmipc_ring_stats(ro, &st), 0);
	CHECK(st.msgs_recv == 5 && st.consumer == MMIPC_END_ATTACHED,
	      "read-only stats");
	CHECK_RC(mmipc_region_close(ro), 0);

	next(shp, 4);
	w.producer = MMIPC_END_CLOSED;
	check_stats(r, &w, "producer closed");
	check_peers(r, addr, 1, roles + 1, pids + 1, alive + 1,
		    "producer closed");
	rg_store(&shp->go, 4);
	RG_WAIT_OK(pp, "producer");

	rg_kill(pc);
	w.consumer = MMIPC_END_DEAD;
	check_stats(r, &w, "consumer killed");
	alive[1] = 0;
	check_peers(r, addr, 1, roles + 1, pids + 1, alive + 1,
		    "consumer killed");

	memset(shc, 0, sizeof(*shc));
	cx.take = 8;
	cx.drain = true;
	pc2 = rg_fork(consumer, &cx);
	rg_await_at_least(&shc->ack, 1, 10000, "new consumer drains");
	w.msgs_recv = 13;
	w.bytes_recv = bytes_of(0, 13);
	w.used = 0;
	w.consumer = MMIPC_END_ATTACHED;
	w.cpid = pc2;
	check_stats(r, &w, "new consumer drained");
	rg_store(&shc->go, 1);
	RG_WAIT_OK(pc2, "new consumer");
	w.consumer = MMIPC_END_CLOSED;
	check_stats(r, &w, "all closed");

	/* not a ring */
	rg_name(raddr, sizeof(raddr), "statsraw");
	CHECK_RC(mmipc_region_create(&raw, raddr, 4096, 0, 0), 0);
	CHECK_RC(mmipc_ring_stats(raw, &st), -MMIPC_EKIND);
	CHECK_RC(mmipc_region_close(raw), 0);
	CHECK_RC(mmipc_region_unlink(raddr, 0), 0);

	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	busy();
	torn(1);
	torn(3);
	torn(17);
	return T_PASS;
}
