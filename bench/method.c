/*
 * method.c - how every row is measured: two pinned processes, a ping-pong
 * for latency and a one-way stream for throughput, through the mechanism's
 * vtable (bench.h). The same code times every row, so rows differ only by
 * what their hooks do.
 *
 * Latency: side A stamps CLOCK_MONOTONIC, sends a message, waits for B's
 * echo, checks it, and stamps again; warm-up round trips first, then the
 * timed ones, each kept. One-way is RTT/2. The round trip includes A
 * filling the message (a sequence number, a checksum and a payload that
 * depends on both) and checking the echo: every row pays that alike.
 *
 * Throughput: A sends numbered messages for a fixed time, then an end
 * marker; B checks every one (sequence and checksum over the whole
 * payload) and stamps the end marker. A run's rate is B's count over the
 * time from A's first send to B's end stamp (the clock is system-wide).
 * Runs are separated: A starts the next only once B has finished.
 *
 * Each side measures its own CPU time and context switches (getrusage)
 * over the timed part, threads included (a library's I/O thread counts).
 * Results come back through a shared anonymous mapping; the parent forks
 * the sides and waits for them with a deadline (proc.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS 9
#define END_SEQ UINT64_MAX

struct run_res {
	int64_t t0, t1;		/* A's first send, B's end stamp */
	uint64_t msgs;		/* sent (A) or received and checked (B) */
	double cpu;
	long nivcsw;		/* preempted: something else ran */
};

struct side_res {
	int rc;
	int pin_err;		/* errno of sched_setaffinity, 0 pinned */
	char err[240];
	double cpu;		/* latency: CPU seconds of the timed part */
	double wall;		/* and its wall time (side A) */
	long nvcsw, nivcsw;	/* context switches: voluntary, involuntary */
	struct run_res run[MAX_RUNS];
};

/* The parent's mapping that both sides write their results into. */
struct shared {
	uint32_t ready;		/* barrier: sides that opened */
	uint32_t abort;		/* a side failed: stop waiting for it */
	uint32_t acked;		/* stream runs that B has finished */
	uint32_t pad;
	struct side_res s[2];
	uint64_t samples[];	/* RTT ns of the timed round trips */
};

struct ctx {
	struct chan c;
	struct shared *sh;
	const struct params *p;
	uint64_t warmup, rounds;
	int (*fn[2])(struct ctx *x);	/* what each side runs */
};

/* ---------------------------------------------------------------- */
/* Messages                                                          */
/* ---------------------------------------------------------------- */

static int check_msg(const void *buf, size_t len, size_t size, uint64_t seq)
{
	if (len != size)
		return bench_fail("message %llu: %zu bytes, want %zu",
				  (unsigned long long)seq, len, size);
	if (ld64(buf) != seq)
		return bench_fail("message %llu: got sequence number %llu",
				  (unsigned long long)seq,
				  (unsigned long long)ld64(buf));
	if (!payload_ok(buf, size, seq))
		return bench_fail("message %llu: bad checksum",
				  (unsigned long long)seq);
	return 0;
}

/* send_msg - message seq, filled in place where the mechanism loans. */
static int send_msg(struct chan *c, uint64_t seq, unsigned flags)
{
	void *buf = c->sbuf;
	int rc;

	if (c->m->loan) {
		rc = c->m->loan(c, &buf, c->size);
		if (rc < 0)
			return rc;
	}
	if (!(c->m->flags & M_NOPAYLOAD))
		payload_fill(buf, c->size, seq);
	return c->m->send(c, buf, c->size, flags);
}

/* ---------------------------------------------------------------- */
/* Accounting                                                        */
/* ---------------------------------------------------------------- */

struct usage {
	double cpu;
	long nvcsw, nivcsw;
};

static void usage_now(struct usage *u)
{
	struct rusage ru;

	/* RUSAGE_SELF cannot fail with a valid pointer */
	getrusage(RUSAGE_SELF, &ru);
	u->cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	u->nvcsw = ru.ru_nvcsw;
	u->nivcsw = ru.ru_nivcsw;
}

static void usage_since(const struct usage *u0, double *cpu, long *nvcsw,
			long *nivcsw)
{
	struct usage u;

	usage_now(&u);
	*cpu = u.cpu - u0->cpu;
	if (nvcsw)
		*nvcsw = u.nvcsw - u0->nvcsw;
	*nivcsw = u.nivcsw - u0->nivcsw;
}

/* wait_word - until *w >= want (or the other side aborted: -1). */
static int wait_word(struct shared *sh, uint32_t *w, uint32_t want)
{
	unsigned n = 0;

	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) < want) {
		if (__atomic_load_n(&sh->abort, __ATOMIC_RELAXED))
			return bench_fail("the other side failed");
		if (++n < 1000)
			cpu_relax();
		else
			usleep(20);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* The sides                                                         */
/* ---------------------------------------------------------------- */

static int lat_a(struct ctx *x)
{
	struct chan *c = &x->c;
	const struct mech *m = c->m;
	bool payload = !(m->flags & M_NOPAYLOAD);
	uint64_t i, total = x->warmup + x->rounds;
	struct side_res *me = &x->sh->s[SIDE_A];
	struct usage u0 = { 0, 0, 0 };
	int64_t t0, t1, start = 0;
	const void *p;
	size_t n;

	for (i = 0; i < total; i++) {
		if (i == x->warmup) {
			usage_now(&u0);
			start = now_ns();
		}
		t0 = now_ns();
		if (send_msg(c, i, 0) < 0 || m->recv(c, &p, &n) < 0)
			return -1;
		if (payload && check_msg(p, n, c->size, i) < 0)
			return -1;
		if (m->release && m->release(c) < 0)
			return -1;
		t1 = now_ns();
		if (i >= x->warmup)
			x->sh->samples[i - x->warmup] = (uint64_t)(t1 - t0);
	}
	me->wall = (double)(now_ns() - start) / 1e9;
	usage_since(&u0, &me->cpu, &me->nvcsw, &me->nivcsw);
	return 0;
}

/* echo - B's half of a round trip: send back what came. */
static int echo(struct chan *c)
{
	const struct mech *m = c->m;
	const void *p;
	void *q;
	size_t n;

	if (m->recv(c, &p, &n) < 0)
		return -1;
	if (m->loan) {
		if (m->loan(c, &q, n) < 0)
			return -1;
		memcpy(q, p, n);
		p = q;
	}
	if (m->send(c, p, n, 0) < 0)
		return -1;
	return m->release ? m->release(c) : 0;
}

static int lat_b(struct ctx *x)
{
	uint64_t i, total = x->warmup + x->rounds;
	struct side_res *me = &x->sh->s[SIDE_B];
	struct usage u0 = { 0, 0, 0 };

	for (i = 0; i < total; i++) {
		if (i == x->warmup)
			usage_now(&u0);
		if (echo(&x->c) < 0)
			return -1;
	}
	usage_since(&u0, &me->cpu, &me->nvcsw, &me->nivcsw);
	return 0;
}

/* How often the producer reads the clock, and how many messages a
 * batching mechanism holds back before it publishes: about every 64 KiB
 * and 16 KiB. */
static uint64_t every(size_t size, size_t bytes)
{
	return size >= bytes ? 1 : bytes / size;
}

static int stream_a(struct ctx *x)
{
	struct chan *c = &x->c;
	struct side_res *me = &x->sh->s[SIDE_A];
	uint64_t seq, look = every(c->size, 65536) - 1;
	uint64_t batch = c->m->flags & M_BATCH ? every(c->size, 16384) : 1;
	int64_t deadline;
	struct usage u0;
	int r;

	for (r = 0; r < x->p->runs; r++) {
		if (wait_word(x->sh, &x->sh->acked, (uint32_t)r) < 0)
			return -1;
		usage_now(&u0);
		me->run[r].t0 = now_ns();
		deadline = me->run[r].t0 + (int64_t)(x->p->seconds * 1e9);
		for (seq = 0;; seq++) {
			if ((seq & look) == 0 && now_ns() >= deadline)
				break;
			if (send_msg(c, seq,
				     (seq + 1) % batch ? SEND_MORE : 0) < 0)
				return -1;
		}
		if (send_msg(c, END_SEQ, 0) < 0 ||
		    (c->m->flush && c->m->flush(c) < 0))
			return -1;
		me->run[r].msgs = seq;
		usage_since(&u0, &me->run[r].cpu, NULL, &me->run[r].nivcsw);
	}
	/* closing may drop what is still queued (zmq, nng): not before B
	 * has taken it all */
	return wait_word(x->sh, &x->sh->acked, (uint32_t)x->p->runs);
}

static int stream_b(struct ctx *x)
{
	struct chan *c = &x->c;
	const struct mech *m = c->m;
	struct side_res *me = &x->sh->s[SIDE_B];
	uint64_t expect;
	struct usage u0;
	const void *p;
	size_t n;
	int r;

	for (r = 0; r < x->p->runs; r++) {
		usage_now(&u0);
		for (expect = 0;; expect++) {
			if (m->recv(c, &p, &n) < 0)
				return -1;
			if (n == c->size && ld64(p) == END_SEQ)
				break;
			if (check_msg(p, n, c->size, expect) < 0)
				return -1;
			if (m->release && m->release(c) < 0)
				return -1;
		}
		if (m->release && m->release(c) < 0)
			return -1;
		me->run[r].t1 = now_ns();
		me->run[r].msgs = expect;
		usage_since(&u0, &me->run[r].cpu, NULL, &me->run[r].nivcsw);
		__atomic_store_n(&x->sh->acked, (uint32_t)r + 1,
				 __ATOMIC_RELEASE);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Running a pair                                                    */
/* ---------------------------------------------------------------- */

static void child_main(struct ctx *x, int side)
{
	struct side_res *me = &x->sh->s[side];
	struct chan *c = &x->c;
	int rc, err;

	bench_child_init(me->err, sizeof(me->err));
	err = pin_to(x->p->cpu[side]);
	me->pin_err = -err;
	c->side = side;
	rc = c->m->open(c);
	if (rc >= 0) {
		__atomic_add_fetch(&x->sh->ready, 1, __ATOMIC_ACQ_REL);
		rc = wait_word(x->sh, &x->sh->ready, 2);
	}
	if (rc >= 0)
		rc = x->fn[side](x);
	if (rc < 0) {
		__atomic_store_n(&x->sh->abort, 1, __ATOMIC_RELAXED);
		if (!me->err[0])
			bench_fail("failed");
	}
	/* also after a failure: what open() made partly is closed too */
	if (c->m->close)
		c->m->close(c);
	me->rc = rc < 0 ? -1 : 0;
	/* exit(), not _exit(): a library may deregister at exit (iceoryx's
	 * runtime tells its daemon); stdio was flushed before fork() */
	exit(rc < 0 ? 1 : 0);
}

static bool secondary(const char *s)
{
	return strcmp(s, "the other side failed") == 0;
}

/* why_of - the sides' reasons, else what the waiting said. */
static void why_of(const struct shared *sh, const char *wait_why, char *why,
		   size_t whylen)
{
	const char *a = sh->s[SIDE_A].err, *b = sh->s[SIDE_B].err;

	if (a[0] && b[0] && !secondary(a) && !secondary(b))
		snprintf(why, whylen, "A: %s; B: %s", a, b);
	else if (a[0] && !secondary(a))
		snprintf(why, whylen, "A: %s", a);
	else if (b[0] && !secondary(b))
		snprintf(why, whylen, "B: %s", b);
	else
		snprintf(why, whylen, "%s", wait_why[0] ? wait_why : a);
}

/*
 * run_pair - map the results, set up, fork both sides, wait for them,
 * tear down. The mapping stays for the caller (x->sh, unmapped by it).
 */
static int run_pair(struct ctx *x, size_t shsize, double timeout_s,
		    char *why, size_t whylen)
{
	char wait_why[240] = "";
	pid_t pids[2] = { -1, -1 };
	int side, rc;

	x->sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (x->sh == MAP_FAILED) {
		x->sh = NULL;
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -1;
	}
	x->c.rbuf = aligned_alloc(4096, RBUF_SIZE);
	x->c.sbuf = aligned_alloc(4096, RBUF_SIZE);
	bench_child_init(why, whylen);	/* setup() says why here */
	rc = x->c.rbuf && x->c.sbuf ? 0 : bench_fail("out of memory");
	if (rc == 0 && x->c.m->setup)
		rc = x->c.m->setup(&x->c) < 0 ? -1 : 0;
	bench_child_init(NULL, 0);
	for (side = 0; rc == 0 && side < 2; side++) {
		pids[side] = bench_fork(wait_why, sizeof(wait_why));
		if (pids[side] == 0)
			child_main(x, side);
		if (pids[side] < 0)
			rc = -1;
	}
	if (pids[0] > 0) {
		if (bench_wait_pair(pids, timeout_s, wait_why,
				    sizeof(wait_why)) < 0)
			rc = -1;
		if (rc < 0)
			why_of(x->sh, wait_why, why, whylen);
	} else if (rc < 0 && wait_why[0]) {
		snprintf(why, whylen, "%s", wait_why);
	}
	if (x->c.m->teardown)
		x->c.m->teardown(&x->c);
	free(x->c.rbuf);
	free(x->c.sbuf);
	return rc;
}

static void chan_init(struct chan *c, const struct mech *m, size_t size,
		      bool stream)
{
	static unsigned serial;

	memset(c, 0, sizeof(*c));
	c->m = m;
	c->size = size;
	c->stream = stream;
	snprintf(c->tag, sizeof(c->tag), "mmipc-bench-%d-%u", (int)getpid(),
		 ++serial);
}

/* ---------------------------------------------------------------- */
/* Statistics                                                        */
/* ---------------------------------------------------------------- */

double quant_at(int i)
{
	/* from the median out to 1 - 1e-5: evenly spread on a log scale of
	 * the fraction of samples that are slower */
	return 1.0 - 0.5 * pow(10.0, -4.7 * i / (NQUANT - 1));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* one-way ns at quantile q of the sorted RTTs (nearest rank) */
static double pct(const uint64_t *s, uint64_t n, double q)
{
	return (double)s[(uint64_t)(q * (double)(n - 1) + 0.5)] / 2.0;
}

static void lat_stats(struct shared *sh, uint64_t n, struct lat_result *o)
{
	int i;

	o->wall = sh->s[SIDE_A].wall;
	qsort(sh->samples, n, sizeof(uint64_t), cmp_u64);
	o->p50 = pct(sh->samples, n, 0.50);
	o->p99 = pct(sh->samples, n, 0.99);
	o->p999 = pct(sh->samples, n, 0.999);
	o->max = (double)sh->samples[n - 1] / 2.0;
	for (i = 0; i < NQUANT; i++)
		o->quant[i] = pct(sh->samples, n, quant_at(i));
	o->cpu_a = sh->s[SIDE_A].cpu;
	o->cpu_b = sh->s[SIDE_B].cpu;
	o->csw_rt = (double)(sh->s[SIDE_A].nvcsw + sh->s[SIDE_B].nvcsw) /
		    (double)n;
	o->icsw = sh->s[SIDE_A].nivcsw + sh->s[SIDE_B].nivcsw;
	o->rounds = n;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int thr_stats(const struct shared *sh, size_t size, int runs,
		     struct thr_result *o, char *why, size_t whylen)
{
	double msgs[MAX_RUNS], mb[MAX_RUNS], secs;
	const struct run_res *a, *b;
	int r;

	memset(o, 0, sizeof(*o));
	for (r = 0; r < runs; r++) {
		a = &sh->s[SIDE_A].run[r];
		b = &sh->s[SIDE_B].run[r];
		if (a->msgs != b->msgs || a->msgs == 0) {
			snprintf(why, whylen, "run %d: %llu sent, %llu "
				 "received", r + 1,
				 (unsigned long long)a->msgs,
				 (unsigned long long)b->msgs);
			return -1;
		}
		secs = (double)(b->t1 - a->t0) / 1e9;
		msgs[r] = (double)b->msgs / secs;
		mb[r] = msgs[r] * (double)size / 1e6;
		o->cpu_a += a->cpu;
		o->cpu_b += b->cpu;
		o->wall += secs;
		o->icsw += a->nivcsw + b->nivcsw;
	}
	qsort(msgs, runs, sizeof(double), cmp_dbl);
	qsort(mb, runs, sizeof(double), cmp_dbl);
	o->msgs = msgs[runs / 2];
	o->mb = mb[runs / 2];
	o->msgs_min = msgs[0];
	o->msgs_max = msgs[runs - 1];
	o->mb_min = mb[0];
	o->mb_max = mb[runs - 1];
	o->runs = runs;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Entry points                                                      */
/* ---------------------------------------------------------------- */

static void note_pins(const struct shared *sh)
{
	int side;

	for (side = 0; side < 2; side++)
		if (sh->s[side].pin_err)
			bench_note_pin(side, sh->s[side].pin_err);
}

int bench_latency(const struct mech *m, size_t size, const struct params *p,
		  uint64_t warmup, uint64_t rounds, struct lat_result *out,
		  char *why, size_t whylen)
{
	struct ctx x = { .p = p, .warmup = warmup, .rounds = rounds,
			 .fn = { lat_a, lat_b } };
	size_t shsize = sizeof(struct shared) + rounds * sizeof(uint64_t);
	int rc;

	if (rounds == 0) {
		snprintf(why, whylen, "no round trips asked for");
		return -1;
	}
	chan_init(&x.c, m, size, false);
	/* generous: a row that takes a millisecond a round trip is broken */
	rc = run_pair(&x, shsize, 60 + (double)(warmup + rounds) * 1e-3, why,
		      whylen);
	if (rc == 0) {
		note_pins(x.sh);
		lat_stats(x.sh, rounds, out);
	}
	if (x.sh)
		munmap(x.sh, shsize);
	return rc;
}

int bench_stream(const struct mech *m, size_t size, const struct params *p,
		 struct thr_result *out, char *why, size_t whylen)
{
	struct ctx x = { .p = p, .fn = { stream_a, stream_b } };
	size_t shsize = sizeof(struct shared);
	int rc;

	if (p->runs < 1 || p->runs > MAX_RUNS) {
		snprintf(why, whylen, "runs must be 1..%d", MAX_RUNS);
		return -1;
	}
	chan_init(&x.c, m, size, true);
	rc = run_pair(&x, shsize, 60 + p->runs * (p->seconds + 30), why,
		      whylen);
	if (rc == 0) {
		note_pins(x.sh);
		rc = thr_stats(x.sh, size, p->runs, out, why, whylen);
	}
	if (x.sh)
		munmap(x.sh, shsize);
	return rc;
}

int bench_probe(const struct params *p, double *p50, double *p99)
{
	struct lat_result r;
	char why[256];

	if (bench_latency(&mech_cacheline, 64, p, p->probe_rounds / 10 + 1,
			  p->probe_rounds, &r, why, sizeof(why)) < 0) {
		fprintf(stderr, "mmipc-bench: cache-line probe: %s\n", why);
		return -1;
	}
	*p50 = r.p50;
	*p99 = r.p99;
	return 0;
}
