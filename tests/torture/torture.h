/*
 * torture.h - the crash-torture harness (mmipc-torture), shared by the
 * parent that runs the trials (torture.c, trial.c) and the children it
 * kills (producer.c, consumer.c, child.c): one program, re-executed with
 * a role ("--child prod|cons|create FD").
 *
 * The LEDGER is a memfd shared by the parent and every child (FD is its
 * descriptor, inherited across exec). It is not in the ring's region, so
 * whatever happens to the ring, the account of what was sent survives a
 * kill -9 of either side. Who writes what:
 *
 *   struct tt_end (one per role)   parent: the orders (arm, timer, hold,
 *                                  cycle, finish, block) and the identity
 *                                  of the process; the child: where it is
 *                                  (phase), and what it saw (notices)
 *   p_tried, p_conf                the producer (see below)
 *   c_state, ctx[3]                the consumer (see below)
 *   maybe[]                        the parent, after reaping a producer
 *   counters, fail[]               anyone (atomic adds)
 *
 * The stream. Messages carry a sequence number (seq, from 1) that goes on
 * across producer incarnations. A "headered" message (>= TT_HDR bytes)
 * holds seq, incarnation, length, the number of FOLLOWERS that come right
 * after it, and a checksum; its payload is a pseudo-random stream keyed by
 * (run seed, channel, seq), so every byte is checked. The followers are
 * short messages (0..23 bytes, so that sizes below a header are sent too)
 * whose bytes come from the same kind of key: follower 1 is 0..11 bytes,
 * follower 2 is 12..23, so a follower's length tells which one it is.
 *
 * Producer accounting: before the call that may publish seq S it stores
 * p_tried = S + 1; once a call returns that is known to have PUBLISHED
 * everything committed (a commit or send without MORE, a flush, a close)
 * it stores p_conf = the next seq. So seqs in [p_conf, p_tried) are the
 * ones a killed producer may or may not have published: the parent moves
 * that range to maybe[] before it starts a replacement, which goes on at
 * p_tried. Nothing below p_conf may be lost; nothing at or above p_tried
 * may ever be received.
 *
 * Consumer accounting: ctx[] holds where the consumer is in the stream
 * (the last seq taken, and the follower context of the last headered
 * message). c_state says which ctx is current and what the consumer was
 * doing, in ONE word, so that a kill between any two stores leaves a
 * consistent account:
 *
 *   IDLE|a        ctx[a] is current; peeked-but-unreleased messages will
 *                 be delivered again to a replacement (and must be)
 *   RELEASING|a|b releasing what leads from ctx[a] to ctx[b] (seqs
 *                 ctx[b].lo..hi): a replacement gets either ctx[b].lo
 *                 again (the release did not happen) or what follows hi
 *   RECV|a        in a copying recv, which releases inside: the message
 *                 it takes may be lost for good (budget: how many)
 *
 * A new ctx is always written into a slot the stored state does not name,
 * and only then is the state word stored.
 */
#ifndef MMIPC_TORTURE_H
#define MMIPC_TORTURE_H

#include <stdbool.h>

#include "../ring_util.h"

/* Indexes of struct tt_ledger.end[]: the two roles and the creator. */
enum { TT_PROD = 0, TT_CONS = 1, TT_CREATOR = 2 };

/* Where a child is (struct tt_end.phase): the places a kill is aimed at. */
enum {
	PH_NONE,	/* 0: no phase (in the orders: none armed) */
	PH_IDLE,	/* between calls */
	PH_ATTACH,	/* about to open/attach the ring */
	PH_DETACH,	/* about to close it */
	PH_CALL,	/* in a call that may block (reserve, send, peek...) */
	PH_RESV_HALF,	/* reserve done, half the payload written */
	PH_RESV_FULL,	/* payload written, commit not called */
	PH_MORE,	/* committed with MMIPC_RING_MORE, not flushed */
	PH_COMMIT,	/* about to commit */
	PH_FLUSH,	/* about to flush */
	PH_SEND,	/* about to send (copying) */
	PH_PEEKED,	/* peeked one message, not released */
	PH_BATCH,	/* peeked a batch, not released */
	PH_RELEASE,	/* about to release */
	PH_RECV,	/* about to recv (copying) */
	PH_CREATE,	/* about to create the ring */
	PH_WAIT,	/* the parent's name for "blocked in PH_CALL" */
	PH_COUNT
};

extern const char *const tt_phase_name[PH_COUNT];

/* One role's process: orders from the parent, reports from the child. */
struct tt_end {
	uint64_t pid;		/* parent: the process holding the role */
	uint64_t seed;		/* parent: the child's random seed */
	uint64_t inc;		/* parent: incarnation (goes into messages) */
	uint64_t arm;		/* parent: pause at this phase (0: none) */
	uint64_t arm_us;	/* parent: for so many microseconds */
	uint64_t timer;		/* parent: at this phase, arm a self-kill */
	uint64_t timer_us;	/* parent: timer that fires this much later */
	uint64_t hold;		/* parent: stop at the next boundary */
	uint64_t cycle;		/* parent: detach and attach again */
	uint64_t finish;	/* parent: close cleanly and exit 0 */
	uint64_t block;		/* parent: use long timeouts (to be caught
				 * blocked in a wait) */
	uint64_t phase;		/* child: PH_* now */
	uint64_t phase_n;	/* child: bumped at every phase entry */
	uint64_t hit;		/* child: reached the armed phase or timer */
	uint64_t hit_ns;	/* child: when (CLOCK_MONOTONIC) */
	uint64_t held;		/* child: holding (after a hold order) */
	uint64_t cycles;	/* child: cycles done */
	uint64_t attached;	/* child: attached and running */
	uint64_t progress;	/* child: loop iterations */
	uint64_t notices;	/* child: end-of-stream or -EPIPE seen */
	uint64_t notice_ns;	/* child: when the last one came */
	uint64_t taken;		/* consumer: messages taken */
	uint64_t pad[10];
};

/* The consumer's place in the stream (see the top of this file). */
struct tt_ctx {
	uint64_t last;		/* seq of the last message taken (0: none) */
	uint64_t fbase;		/* seq of the last headered message */
	uint64_t inc;		/* its incarnation */
	uint64_t fnum;		/* the followers it announced */
	uint64_t lo, hi;	/* the seqs of the take that led here */
};

/* c_state: kind | a << 8 | b << 12 | budget << 16 */
enum { CS_IDLE = 0, CS_RELEASING = 1, CS_RECV = 2 };
#define CS_WORD(kind, a, b, budget)                                           \
	((uint64_t)(kind) | (uint64_t)(a) << 8 | (uint64_t)(b) << 12 |       \
	 (uint64_t)(budget) << 16)
#define CS_KIND(w)   ((unsigned)((w) & 0xff))
#define CS_A(w)	     ((unsigned)(((w) >> 8) & 3))
#define CS_B(w)	     ((unsigned)(((w) >> 12) & 3))
#define CS_BUDGET(w) ((w) >> 16)

#define TT_MAYBE_MAX 4096
#define TT_FAIL_MAX  32
#define TT_FAIL_LEN  480

struct tt_ledger {
	uint64_t parent;	/* the parent's pid: children die with it */
	uint64_t seed;		/* the run's seed: part of every content key */
	uint64_t chan;		/* channel number (a new ring per channel) */
	uint64_t cap;		/* its capacity */
	char addr[160];		/* its address */
	struct tt_end end[3];

	/* the stream of the current channel */
	uint64_t p_tried;	/* producer: seqs below were attempted */
	uint64_t p_conf;	/* producer: seqs below were published */
	uint64_t c_state;	/* consumer: CS_WORD() */
	struct tt_ctx ctx[3];
	uint64_t c_inc;		/* consumer: incarnation of the last taken */
	uint64_t c_peek_hi;	/* consumer: highest seq peeked so far */
	uint64_t nmaybe;	/* parent: ranges in maybe[] */
	uint64_t maybe[TT_MAYBE_MAX][2]; /* [lo, hi): maybe published */

	/* over the whole run */
	uint64_t checked;	/* messages taken and checked */
	uint64_t bytes;		/* their bytes */
	uint64_t redelivered;	/* taken again after a consumer died */
	uint64_t lost_recv;	/* lost inside a killed consumer's recv */
	uint64_t maybe_lost;	/* maybe-published seqs never received */
	uint64_t ebusy;		/* attach retries on -EBUSY */
	uint64_t timeouts;	/* calls that timed out (not an error) */
	uint64_t nfail;
	char fail[TT_FAIL_MAX][TT_FAIL_LEN];
};

/* ledger.c */
struct tt_ledger *tt_ledger_new(int *fd);
struct tt_ledger *tt_ledger_map(int fd);
void tt_failf(struct tt_ledger *L, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t tt_confirmed_in_gap(const struct tt_ledger *L, uint64_t a,
			     uint64_t b);
void tt_add(uint64_t *p, uint64_t v);
uint64_t tt_rand(uint64_t *s);
uint64_t tt_range(uint64_t *s, uint64_t lo, uint64_t hi);
uint64_t tt_logrand(uint64_t *s, uint64_t lo, uint64_t hi);
uint64_t tt_now(void);
void tt_sleep_us(uint64_t us);

/* msg.c: the message format */
#define TT_HDR 24u	/* seq u64, inc u32, len u32, fnum u32, sum u32 */
#define TT_MAX_MSG 8192u

struct tt_msg {
	uint64_t seq;
	uint64_t inc;
	uint64_t fnum;
};

size_t tt_msg_len(const struct tt_ledger *L, uint64_t seq, size_t max);
unsigned tt_msg_followers(const struct tt_ledger *L, uint64_t seq);
size_t tt_follower_len(const struct tt_ledger *L, uint64_t seq, unsigned j);
void tt_msg_fill(const struct tt_ledger *L, void *buf, size_t len,
		 uint64_t inc, uint64_t seq, unsigned fnum);
void tt_follower_fill(const struct tt_ledger *L, void *buf, size_t len,
		      uint64_t seq);
int tt_msg_parse(const struct tt_ledger *L, const void *buf, size_t len,
		 struct tt_msg *m, char *why, size_t wn);
bool tt_follower_ok(const struct tt_ledger *L, const void *buf, size_t len,
		    uint64_t seq);

/* child.c: what both roles of a child share */
struct tt_child {
	struct tt_ledger *L;
	struct tt_end *me;
	int role;		/* MMIPC_ROLE_* (0: the creator) */
	uint64_t rng;
	mmipc_region *region;	/* when attached with mmipc_ring_attach() */
	mmipc_ring *ring;
	const char *who;	/* "producer 12" */
	char whobuf[48];
};

void tt_child_init(struct tt_child *c, int fd, int idx);
void tt_phase(struct tt_child *c, uint64_t ph);
void tt_tick(struct tt_child *c);
void tt_attach(struct tt_child *c);
void tt_detach(struct tt_child *c);
void tt_cycle(struct tt_child *c);
void tt_notice(struct tt_child *c);
int tt_timeout(struct tt_child *c);
void tt_check_time(struct tt_child *c, const char *call, int timeout_ms,
		   uint64_t start);
int tt_hold(struct tt_child *c);
int tt_producer_main(int fd);
int tt_consumer_main(int fd);
int tt_create_main(int fd);

/* ------------------------------------------------------------------------
 * The parent
 * ------------------------------------------------------------------------ */

/* Kill counts by phase, and how the run went: the figures it prints. */
struct tt_figures {
	uint64_t kills[2];	/* processes killed, per role */
	uint64_t failures;	/* parent-seen failures + the ledger's */
	uint64_t notice_max;	/* ns: the slowest notice of a death */
	uint64_t noticed;	/* trials that waited for the notice */
	uint64_t hot;		/* trials that replaced at once */
	uint64_t by_phase[2][PH_COUNT];
	uint64_t precise;	/* killed while still at the aimed phase */
	uint64_t timers;	/* killed by a self-kill timer */
	uint64_t missed;	/* aimed phase not reached in time */
	uint64_t channels;	/* rings used */
	uint64_t abandoned;	/* rings left with both ends killed */
	uint64_t create_kills;	/* creators killed inside create */
	uint64_t attach_kills;	/* replacements killed while attaching */
	uint64_t stale_runs;	/* `mmipc rm --stale` checks */
	uint64_t counters_off;	/* rings ended cleanly with msgs_sent !=
				 * msgs_recv in their stats */
};

struct tt_run {
	struct tt_ledger *L;
	int fd;			/* the ledger's memfd */
	uint64_t seed;
	uint64_t trials;	/* to run (0: until duration) */
	uint64_t duration_s;
	int verbose;
	bool private_dir;	/* the shm dir is ours (mkdtemp) */
	char dir[256];		/* the shm dir */
	char prefix[64];	/* of our region names */
	uint64_t trial;		/* the current trial (from 1) */
	uint64_t rng;		/* the current trial's random state */
	pid_t pid[3];		/* of end[]: 0 when none */
	uint64_t inc[2];	/* incarnations handed out */
	mmipc_region *region;	/* our handle on the current ring */
	uint64_t chan_left;	/* trials before the ring is retired */
	uint64_t fails_seen;	/* ledger failures already printed */
	struct tt_figures f;
};

/* run.c */
void tt_run_setup(struct tt_run *R);
void tt_run_teardown(struct tt_run *R);
void tt_fail(struct tt_run *R, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tt_report(struct tt_run *R);
void tt_spawn(struct tt_run *R, int idx, uint64_t timer, uint64_t timer_us);
int tt_reap(struct tt_run *R, int idx, int ms);
void tt_kill(struct tt_run *R, int idx);
bool tt_alive(struct tt_run *R, int idx);
bool tt_all_alive(struct tt_run *R);
int tt_rm_stale(struct tt_run *R, char *out, size_t size);

/* channel.c */
void tt_channel_new(struct tt_run *R);
void tt_channel_retire(struct tt_run *R, bool clean);
void tt_stale_check(struct tt_run *R, bool live);
void tt_producer_gone(struct tt_run *R);
bool tt_wait_works(struct tt_run *R, int idx, uint64_t inc);

/* trial.c */
void tt_trial(struct tt_run *R);

#endif /* MMIPC_TORTURE_H */
