/*
 * bench.h - private declarations of mmipc-bench, the side-by-side
 * benchmark of shared-memory and kernel IPC.
 *
 * Every mechanism (a "row") plugs into one driver (method.c) through a
 * small vtable: the parent prepares what must exist before fork() (setup),
 * each of the two child processes opens its side (open), moves messages
 * (loan/send/flush on the sending side, recv/release on the receiving
 * side), and closes it; the parent removes what is left (teardown). The
 * driver owns pinning, timing, statistics and checking, so every row is
 * measured the same way.
 *
 * Side A is the pinger (latency) or the producer (stream), side B the
 * ponger or the consumer. In a ping-pong both directions are used; in a
 * stream only A -> B (chan.stream is set before setup, so a mechanism
 * builds only what it needs).
 *
 * Conventions: hooks return 0 (or a count) on success and a negative errno
 * on failure, after saying why with bench_fail(). The first failure of a
 * process is kept; it is what the row prints.
 */
#ifndef MMIPC_BENCH_H
#define MMIPC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { SIDE_A = 0, SIDE_B = 1 };

/* Flags for mech.send(). */
#define SEND_MORE 0x1u	/* more follows: a mechanism may hold it back */

/* Flags of a mechanism (mech.flags). */
#define M_NOPAYLOAD 0x1u /* signals only: nothing to check, no stream */
#define M_BATCH	    0x2u /* honours SEND_MORE (needs flush()) */

/* One channel between the two sides, as one process sees it. */
struct chan {
	const struct mech *m;
	size_t size;		/* every message is exactly this long */
	bool stream;		/* one-way stream (else ping-pong) */
	int side;		/* SIDE_A or SIDE_B, set before open() */
	char tag[48];		/* unique: "mmipc-bench-PID-N", for names */
	void *st;		/* the mechanism's state, made by setup() */
	unsigned char *rbuf;	/* receive buffer, RBUF_SIZE bytes, aligned */
	void *sbuf;		/* send buffer, RBUF_SIZE bytes, aligned */
};

#define RBUF_SIZE (256 * 1024)	/* >= largest message + stream slack */

struct mech {
	const char *name;
	unsigned flags;		/* M_* */
	const char *what;	/* one line: what the row exercises */
	/* parent, before fork: make what both sides share (may be NULL) */
	int (*setup)(struct chan *c);
	/* child: open side c->side */
	int (*open)(struct chan *c);
	/* A (and B to echo): a buffer of len bytes to fill in place, sent
	 * by the next send() (NULL: the driver sends from its buffer) */
	int (*loan)(struct chan *c, void **buf, size_t len);
	int (*send)(struct chan *c, const void *buf, size_t len,
		    unsigned flags);
	int (*flush)(struct chan *c);			/* may be NULL */
	/* the next message: *buf valid until release() or the next recv */
	int (*recv)(struct chan *c, const void **buf, size_t *len);
	int (*release)(struct chan *c);			/* may be NULL */
	void (*close)(struct chan *c);			/* may be NULL */
	/* parent, after both sides exited (also after a failure, so it
	 * must cope with what setup() did not get to make) */
	void (*teardown)(struct chan *c);		/* may be NULL */
	/* parent, around all of the row's measurements (may be NULL): a
	 * daemon the row needs; row_start explains a failure in why */
	int (*row_start)(char *why, size_t whylen);
	void (*row_stop)(void);
};

/* ---- method.c: the driver and its measurements ---- */

#define NQUANT 64	/* points of a latency distribution kept for plots */

struct lat_result {
	double p50, p99, p999, max;	/* one-way (RTT/2), ns */
	double cpu_a, cpu_b;		/* CPU seconds of each side (timed) */
	double wall;			/* seconds of the timed part */
	double csw_rt;			/* voluntary context switches/RTT */
	long icsw;			/* involuntary ones (both sides): the
					 * sides were preempted that often */
	double quant[NQUANT];		/* one-way ns at quant_p[i] */
	uint64_t rounds;
};

struct thr_result {
	double msgs, mb;		/* median of the runs, per second */
	double msgs_min, msgs_max, mb_min, mb_max;
	double cpu_a, cpu_b, wall;	/* summed over the runs */
	long icsw;			/* involuntary context switches */
	int runs;
};

/* What one run asks for. */
struct params {
	uint64_t warmup, rounds;	/* ping-pong round trips */
	uint64_t probe_rounds;		/* of the cache-line probe */
	double seconds;			/* how long a stream run lasts */
	int runs;			/* stream runs (median of) */
	int cpu[2];			/* CPUs of sides A and B; -1 none */
};

/* quant_at - the quantile of lat_result.quant[i] (0.5 up to 1 - 1e-5). */
double quant_at(int i);

/* payload.c: a message's words. payload_fill writes message seq (size a
 * multiple of 8, >= 16: [seq][checksum][payload]); payload_ok checks the
 * checksum against the payload and against seq. */
void payload_fill(void *buf, size_t size, uint64_t seq);
bool payload_ok(const void *buf, size_t size, uint64_t seq);
uint64_t ld64(const void *p);	/* an unaligned 64-bit load */

/* bench_latency - a ping-pong of rounds round trips after warmup, size
 * bytes each way. Returns 0, or -1 with the reason in why. */
int bench_latency(const struct mech *m, size_t size, const struct params *p,
		  uint64_t warmup, uint64_t rounds, struct lat_result *out,
		  char *why, size_t whylen);

/* bench_stream - p->runs one-way streams of p->seconds each. */
int bench_stream(const struct mech *m, size_t size, const struct params *p,
		 struct thr_result *out, char *why, size_t whylen);

/* bench_probe - the cache-line ping-pong, short: one-way p50 and p99. */
int bench_probe(const struct params *p, double *p50, double *p99);

/* bench_run_child - run fn(arg, res) in a child pinned to cpu and wait
 * for it; res (reslen bytes) comes back through shared memory. Returns 0,
 * or -1 with the reason in why. For the single-process rows. */
int bench_run_child(int (*fn)(void *arg, void *res), void *arg, int cpu,
		    void *res, size_t reslen, double timeout_s, char *why,
		    size_t whylen);

/* cpu_relax - what a spinning loop does between two looks (inline: the
 * cache-line row must not pay a call per look). */
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define CPU_RELAX() __asm__ __volatile__("" ::: "memory")
#endif

static inline void cpu_relax(void)
{
	CPU_RELAX();
}

/* ---- proc.c: processes, failures, clock, pinning ---- */

/* bench_fail - record why this process failed (the first call wins) and
 * return -1; bench_failed - that text ("" if none); bench_sys -
 * bench_fail("what: strerror(err)") and return -|err|. */
int bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *bench_failed(void);
int bench_sys(const char *what, int err);
/* bench_child_init - where bench_fail() writes from now on (NULL: a
 * private buffer); clears it. */
void bench_child_init(char *buf, size_t len);

int64_t now_ns(void);		/* CLOCK_MONOTONIC */
double clock_cost_ns(void);	/* of one now_ns(), measured */
int pin_to(int cpu);		/* 0 (also for cpu < 0) or -errno */
void bench_note_pin(int side, int err);	/* a side could not pin */
int bench_pin_error(int side);		/* its first errno, or 0 */

/* Signals: the parent blocks SIGCHLD/SIGINT/SIGTERM/SIGHUP and takes them
 * while it waits; bench_interrupted() says whether one stopped the run. */
void bench_catch_signals(void);
bool bench_interrupted(void);
/* bench_fork - fork(); the child gets the original signal mask and dies
 * with the parent. -1 with why on failure. */
pid_t bench_fork(char *why, size_t whylen);
/* bench_wait - wait for pids (see proc.c); bench_wait_pair - both sides
 * of a row, two seconds of grace after one failed. */
int bench_wait(pid_t *pids, int n, double timeout_s, double grace_s,
	       char *why, size_t whylen);
int bench_wait_pair(pid_t *pids, double timeout_s, char *why, size_t whylen);

/* ---- the rows (each file one family) ---- */

extern const struct mech mech_cacheline;	/* limit.c */
/* memcpy_bw - single-thread memcpy of size bytes, p->runs runs of
 * p->seconds on side A's CPU: MB/s (median, min, max), CPU time and wall
 * time in out (limit.c). */
int memcpy_bw(size_t size, const struct params *p, struct thr_result *out,
	      char *why, size_t whylen);

extern const struct mech mech_pipe, mech_unix_stream, mech_unix_seqpacket,
	mech_posix_mq, mech_sysv_mq, mech_futex, mech_eventfd; /* kernel.c */

extern const struct mech mech_ring, mech_ring_zc, mech_ring_spin,
	mech_ring_sleep;	/* ring.c */

/* The peers, each only when its package was found at configure time. */
#ifdef BENCH_HAVE_ZMQ
extern const struct mech mech_zmq;
#define MECH_ZMQ (&mech_zmq)
#else
#define MECH_ZMQ NULL
#endif
#ifdef BENCH_HAVE_NNG
extern const struct mech mech_nng;
#define MECH_NNG (&mech_nng)
#else
#define MECH_NNG NULL
#endif
#ifdef BENCH_HAVE_BOOST
extern const struct mech mech_boost;
#define MECH_BOOST (&mech_boost)
#else
#define MECH_BOOST NULL
#endif
#ifdef BENCH_HAVE_ICEORYX
extern const struct mech mech_iceoryx;
#define MECH_ICEORYX (&mech_iceoryx)
#else
#define MECH_ICEORYX NULL
#endif

#ifdef __cplusplus
}
#endif

#endif /* MMIPC_BENCH_H */
