/*
 * ring_util.h - helpers of the ring tests (t_ring_*.c):
 *
 *  - cleanup that runs however the test ends: children are killed and
 *    reaped, regions unlinked, directories removed (atexit, and from a
 *    SIGALRM watchdog so that a hang fails the test instead of CTest
 *    killing it and leaving children behind);
 *  - calls watched from outside: a child notes the call it is in, and the
 *    parent names a call that hangs (rg_call_begin(), rg_watch_all());
 *  - the message stream of the stream tests: message seq of stream seed
 *    has a length and content that both sides derive from (seed, seq), so
 *    the consumer checks every byte without a copy of what was sent;
 *  - a producer and a consumer of such a stream, copying or zero-copy;
 *  - raw access to the ring's control block and peer table (layout.h), for
 *    the tests that corrupt them or check positions, and garbage to write
 *    there (the scribbler tests).
 */
#ifndef MMIPC_TEST_RING_UTIL_H
#define MMIPC_TEST_RING_UTIL_H

#include <sys/mman.h>
#include <sys/resource.h>

#include "region_util.h"

/* ------------------------------------------------------------------------
 * Cleanup
 * ------------------------------------------------------------------------ */

#define RG_MAX_KIDS  128
#define RG_MAX_NAMES 32

struct rg_cleanup {
	pid_t owner;			/* only this process cleans up */
	pid_t kids[RG_MAX_KIDS];
	char names[RG_MAX_NAMES][256];	/* regions to unlink */
	char dir[256];			/* a t_tmpdir() to remove */
};

static inline struct rg_cleanup *rg_cl(void)
{
	static struct rg_cleanup c;

	return &c;
}

/* Kills and reaps the children, unlinks the regions. Only async-signal-
 * safe calls but the unlink, which is one syscall deep. */
static inline void rg_cleanup_now(void)
{
	struct rg_cleanup *c = rg_cl();
	int i;

	if (c->owner != getpid())
		return;
	for (i = 0; i < RG_MAX_KIDS; i++)
		if (c->kids[i] > 0)
			kill(c->kids[i], SIGKILL);
	for (i = 0; i < RG_MAX_KIDS; i++)
		if (c->kids[i] > 0) {
			waitpid(c->kids[i], NULL, 0);
			c->kids[i] = 0;
		}
	for (i = 0; i < RG_MAX_NAMES; i++)
		if (c->names[i][0] != '\0') {
			mmipc_region_unlink(c->names[i], MMIPC_F_FORCE);
			c->names[i][0] = '\0';
		}
}

static inline void rg_atexit(void)
{
	struct rg_cleanup *c = rg_cl();
	char cmd[300];

	if (c->owner != getpid())
		return;
	rg_cleanup_now();
	if (c->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", c->dir);
		c->dir[0] = '\0';
	}
}

static inline void rg_on_alarm(int sig)
{
	static const char msg[] = "FAIL: watchdog: the test hung\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do */
	}
	rg_cleanup_now();
	_exit(T_FAIL);
}

/* rg_init - call first in main(): cleanup at exit, and a watchdog that
 * fails the test after @watchdog_s seconds (0: none). */
static inline void rg_init(unsigned watchdog_s)
{
	struct sigaction sa;

	rg_cl()->owner = getpid();
	atexit(rg_atexit);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (watchdog_s > 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = rg_on_alarm;
		sigemptyset(&sa.sa_mask);
		CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
		alarm(watchdog_s);
	}
}

static inline void rg_add_kid(pid_t pid)
{
	struct rg_cleanup *c = rg_cl();
	int i;

	if (c->owner != getpid())
		return;
	for (i = 0; i < RG_MAX_KIDS; i++)
		if (c->kids[i] == 0) {
			c->kids[i] = pid;
			return;
		}
}

static inline void rg_forget_kid(pid_t pid)
{
	struct rg_cleanup *c = rg_cl();
	int i;

	for (i = 0; i < RG_MAX_KIDS; i++)
		if (c->kids[i] == pid)
			c->kids[i] = 0;
}

/* rg_name - a t_name() address, unlinked at exit if still there. */
static inline const char *rg_name(char *buf, size_t size, const char *tag)
{
	struct rg_cleanup *c = rg_cl();
	int i;

	t_name(buf, size, tag);
	CHECK(strlen(buf) < sizeof(c->names[0]), "name too long");
	for (i = 0; i < RG_MAX_NAMES; i++)
		if (c->names[i][0] == '\0') {
			memcpy(c->names[i], buf, strlen(buf) + 1);
			break;
		}
	return buf;
}

/* rg_forget_name - the test removed @addr itself: its slot is free for
 * the next rg_name() (there are RG_MAX_NAMES). */
static inline void rg_forget_name(const char *addr)
{
	struct rg_cleanup *c = rg_cl();
	int i;

	for (i = 0; i < RG_MAX_NAMES; i++)
		if (strcmp(c->names[i], addr) == 0)
			c->names[i][0] = '\0';
}

/* rg_tmpdir - a t_tmpdir() removed at exit. */
static inline const char *rg_tmpdir(char *buf, size_t size)
{
	t_tmpdir(buf, size);
	CHECK(strlen(buf) < sizeof(rg_cl()->dir), "dir name too long");
	memcpy(rg_cl()->dir, buf, strlen(buf) + 1);
	return buf;
}

/* Forget the directory once it was removed by the test itself. */
static inline void rg_rmtmpdir(const char *dir)
{
	t_rmtree(dir);
	rg_cl()->dir[0] = '\0';
}

/* rg_fork - ru_fork() of a child that is killed at exit if still there. */
static inline pid_t rg_fork(int (*fn)(void *), void *arg)
{
	pid_t pid = ru_fork(fn, arg);

	rg_add_kid(pid);
	return pid;
}

/* rg_exec - t_self_exec() (an unrelated process), killed at exit. */
static inline pid_t rg_exec(char *const args[])
{
	pid_t pid;

	fflush(NULL);
	pid = t_self_exec(args);
	rg_add_kid(pid);
	return pid;
}

/* rg_wait - t_wait() of a child of ours: exit code, or 128+signal. */
static inline int rg_wait(pid_t pid)
{
	int st = t_wait(pid);

	rg_forget_kid(pid);
	return st;
}

/* rg_wait_timeout - like rg_wait, but gives up after @ms: -1 then (the
 * child is still running). */
static inline int rg_wait_timeout(pid_t pid, int ms)
{
	int64_t end = ru_now_ns() + (int64_t)ms * 1000000;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		CHECK(r == 0 || errno == EINTR, "waitpid: %s",
		      strerror(errno));
		if (ru_now_ns() > end)
			return -1;
		ru_sleep_ms(2);
	}
	rg_forget_kid(pid);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* ------------------------------------------------------------------------
 * Calls watched from outside. A child notes each library call it starts
 * in an rg_call (in rg_shared() memory); the parent, while it waits for
 * the child (rg_watch_all()), fails the test naming the call that has run
 * past its limit: a hang is caught and named while it happens, not when
 * the watchdog or CTest's timeout kills everything.
 * ------------------------------------------------------------------------ */
struct rg_call {
	int64_t since_ns;	/* CLOCK_MONOTONIC at the start; 0: none */
	int64_t limit_ms;	/* the longest the call may take */
	const char *what;	/* a string literal: same address after fork */
};

static inline void rg_call_begin(struct rg_call *c, const char *what,
				 int limit_ms)
{
	c->what = what;
	c->limit_ms = limit_ms;
	/* release: a watcher that sees since_ns sees what and limit_ms */
	__atomic_store_n(&c->since_ns, ru_now_ns(), __ATOMIC_RELEASE);
}

/* rg_call_end - the call returned: how long it took, in ms. */
static inline int64_t rg_call_end(struct rg_call *c)
{
	int64_t ms = ru_ms_since(c->since_ns);

	__atomic_store_n(&c->since_ns, 0, __ATOMIC_RELEASE);
	return ms;
}

/* rg_calls_check - fail if one of the @n calls has run past its limit. */
static inline void rg_calls_check(const struct rg_call *calls, int n,
				  const char *what)
{
	int i;

	for (i = 0; i < n; i++) {
		int64_t t = __atomic_load_n(&calls[i].since_ns,
					    __ATOMIC_ACQUIRE);

		CHECK(t == 0 || (ru_now_ns() - t) / 1000000 <=
					calls[i].limit_ms,
		      "%s: call %d (%s) still running after %lld ms, limit "
		      "%lld ms: hung", what, i, calls[i].what,
		      (long long)((ru_now_ns() - t) / 1000000),
		      (long long)calls[i].limit_ms);
	}
}

/*
 * rg_watch_all - wait for the @n children in @pids to exit 0; fails as
 * soon as one exits otherwise (the others are then killed at exit, so a
 * producer left waiting for a dead consumer cannot hang the test), as soon
 * as one of the @ncalls calls (may be NULL) overruns its limit, or after
 * @ms (-1: no limit).
 */
static inline void rg_watch_all(const pid_t *pids, int n,
				const struct rg_call *calls, int ncalls,
				int ms, const char *what)
{
	int64_t end = ru_now_ns() + (int64_t)ms * 1000000;
	bool done[16] = { false };
	int left = n, i, st;

	CHECK(n <= 16, "rg_wait_all: %d children", n);
	while (left > 0) {
		for (i = 0; i < n; i++) {
			pid_t r;

			if (done[i])
				continue;
			r = waitpid(pids[i], &st, WNOHANG);
			CHECK(r >= 0 || errno == EINTR, "waitpid: %s",
			      strerror(errno));
			if (r != pids[i])
				continue;
			rg_forget_kid(pids[i]);
			done[i] = true;
			left--;
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "%s: child %d of %d %s %d", what, i + 1, n,
			      WIFEXITED(st) ? "exited" : "killed by signal",
			      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		}
		if (calls != NULL)
			rg_calls_check(calls, ncalls, what);
		CHECK(ms < 0 || ru_now_ns() < end,
		      "%s: %d of %d children still running after %d ms", what,
		      left, n, ms);
		if (left > 0)
			ru_sleep_ms(2);
	}
}

/* rg_wait_all - rg_watch_all() without calls to watch. */
static inline void rg_wait_all(const pid_t *pids, int n, int ms,
			       const char *what)
{
	rg_watch_all(pids, n, NULL, 0, ms, what);
}

#define RG_WAIT_OK(pid, what)                                                 \
	do {                                                                  \
		int rg_st_ = rg_wait(pid);                                    \
		CHECK(rg_st_ == 0, "%s: child %s %d", (what),                \
		      rg_st_ > 128 ? "killed by signal" : "exited",          \
		      rg_st_ > 128 ? rg_st_ - 128 : rg_st_);                 \
	} while (0)

/* rg_kill - SIGKILL a child and reap it. */
static inline void rg_kill(pid_t pid)
{
	int st;

	CHECK(kill(pid, SIGKILL) == 0, "kill %d: %s", (int)pid,
	      strerror(errno));
	st = rg_wait(pid);
	CHECK(st == 128 + SIGKILL || st == 0 || st < 128,
	      "child %d: status %d", (int)pid, st);
}

/* rg_shared - zeroed memory shared with the children forked afterwards
 * (for counters and reports that must survive a child's kill -9). */
static inline void *rg_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap shared: %s", strerror(errno));
	return p;
}

/* Atomic helpers for the words in rg_shared() memory. */
static inline uint64_t rg_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void rg_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Waits until *p >= v; fails after @ms. */
static inline void rg_await_at_least(const uint64_t *p, uint64_t v, int ms,
				     const char *what)
{
	int64_t end = ru_now_ns() + (int64_t)ms * 1000000;

	while (rg_load(p) < v) {
		CHECK(ru_now_ns() < end, "%s: waited %d ms (at %llu of %llu)",
		      what, ms, (unsigned long long)rg_load(p),
		      (unsigned long long)v);
		ru_sleep_ms(1);
	}
}

static inline double rg_cpu_ms(void)
{
	struct rusage ru;

	CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* ------------------------------------------------------------------------
 * The message stream
 * ------------------------------------------------------------------------ */

/* A 64-bit mixer (the splitmix64 finaliser). */
static inline uint64_t rg_mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static inline uint64_t rg_key(uint32_t seed, uint64_t seq)
{
	return rg_mix(seq ^ ((uint64_t)seed << 40) ^ UINT64_C(0x6d6d697063));
}

/*
 * rg_len - the length of message @seq: 0..64 bytes 90% of the time,
 * 65..512 9%, 513..4096 1%; never over @max.
 */
static inline size_t rg_len(uint32_t seed, uint64_t seq, size_t max)
{
	uint64_t r = rg_key(seed, seq);
	uint64_t p = r % 100, x = r >> 16;
	size_t len;

	if (p < 90)
		len = (size_t)(x % 65);
	else if (p < 99)
		len = 65 + (size_t)(x % 448);
	else
		len = 513 + (size_t)(x % 3584);
	return len < max ? len : max;
}

/* Bit 33 of the key: send this one with MMIPC_RING_MORE (1 in 4). */
static inline bool rg_more(uint32_t seed, uint64_t seq)
{
	return ((rg_key(seed, seq) >> 33) & 3) == 0;
}

/*
 * The content: word 0 is seq ^ seed (so a message found out of place
 * tells where it came from), then a xorshift64 stream seeded by the key.
 * Messages shorter than 8 bytes hold a prefix of word 0 mixed with the
 * key, so that a lost or doubled short message still shows.
 */
static inline uint64_t rg_word0(uint32_t seed, uint64_t seq)
{
	return seq ^ ((uint64_t)seed << 32);
}

static inline void rg_fill(void *buf, size_t len, uint32_t seed,
			   uint64_t seq)
{
	unsigned char *p = buf;
	uint64_t x = rg_key(seed, seq) | 1, w;
	size_t i = 0;

	if (len < 8) {
		w = rg_word0(seed, seq) ^ x;
		memcpy(p, &w, len);
		return;
	}
	w = rg_word0(seed, seq);
	memcpy(p, &w, 8);
	for (i = 8; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	if (i < len) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, len - i);
	}
}

/* rg_check_msg - offset of the first byte that is not what message @seq
 * holds, or @len if all are right. */
static inline size_t rg_check_msg(const void *buf, size_t len, uint32_t seed,
				  uint64_t seq)
{
	const unsigned char *p = buf;
	uint64_t x = rg_key(seed, seq) | 1, w;
	size_t i;

	if (len < 8) {
		w = rg_word0(seed, seq) ^ x;
		return memcmp(p, &w, len) == 0 ? len : 0;
	}
	w = rg_word0(seed, seq);
	if (memcmp(p, &w, 8) != 0)
		return 0;
	for (i = 8; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (memcmp(p + i, &x, 8) != 0)
			return i;
	}
	if (i < len) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (memcmp(p + i, &x, len - i) != 0)
			return i;
	}
	return len;
}

/* The seq a message of 8 bytes or more says it is (for diagnostics). */
static inline uint64_t rg_seq_of(const void *buf, size_t len, uint32_t seed)
{
	uint64_t w = UINT64_MAX;

	if (len >= 8) {
		memcpy(&w, buf, 8);
		w ^= (uint64_t)seed << 32;
	}
	return w;
}

/* Checks that (buf, len) is exactly message @seq; fails the test if not. */
static inline void rg_expect_msg(const void *buf, size_t len, uint32_t seed,
				 uint64_t seq, size_t max, const char *who)
{
	size_t want = rg_len(seed, seq, max), at;

	CHECK(len == want,
	      "%s: message %llu has %zu bytes, want %zu (it says it is "
	      "message %lld: lost, doubled or reordered?)",
	      who, (unsigned long long)seq, len, want,
	      (long long)rg_seq_of(buf, len, seed));
	at = rg_check_msg(buf, len, seed, seq);
	CHECK(at == len,
	      "%s: message %llu (%zu bytes) corrupt at byte %zu (it says "
	      "it is message %lld)",
	      who, (unsigned long long)seq, len, at,
	      (long long)rg_seq_of(buf, len, seed));
}

/* How a stream is sent and received. */
struct rg_stream {
	uint64_t first;		/* seq of the first message */
	uint64_t n;		/* how many */
	uint32_t seed;
	bool zc;		/* reserve/commit, peek/release */
	bool batch;		/* consumer: peek_batch/release_batch */
	bool more;		/* batch some with MMIPC_RING_MORE, flush */
	size_t max;		/* cap on lengths (<= the ring's max msg) */
	int timeout_ms;		/* for every call (-1: none) */
	bool expect_eof;	/* consumer: then 0 (end-of-stream) */
	uint64_t *progress;	/* if set: messages done so far */
};

/* rg_send_one - send message @seq as the stream says; the call's result. */
static inline int rg_send_one(mmipc_ring *ring, const struct rg_stream *s,
			      uint64_t seq, void *tmp)
{
	size_t len = rg_len(s->seed, seq, s->max);
	unsigned flags = s->more && rg_more(s->seed, seq) ? MMIPC_RING_MORE
							  : 0;
	void *p = NULL;
	int rc;

	if (!s->zc) {
		rg_fill(tmp, len, s->seed, seq);
		return mmipc_ring_send(ring, tmp, len, flags, s->timeout_ms);
	}
	/* now and then reserve more than is committed */
	if ((seq & 7) == 3 && len + 24 <= s->max) {
		rc = mmipc_ring_reserve(ring, len + 24, &p, s->timeout_ms);
	} else {
		rc = mmipc_ring_reserve(ring, len, &p, s->timeout_ms);
	}
	if (rc < 0)
		return rc;
	CHECK(((uintptr_t)p & 7) == 0, "reserve: %p not 8-byte aligned", p);
	rg_fill(p, len, s->seed, seq);
	return mmipc_ring_commit(ring, len, flags);
}

/* rg_produce - send the stream; 0, or the first error (seq in *at). */
static inline int rg_produce(mmipc_ring *ring, const struct rg_stream *s,
			     uint64_t *at)
{
	void *tmp = malloc(s->max + 8);
	uint64_t i;
	int rc = 0;

	CHECK(tmp != NULL, "malloc");
	for (i = 0; i < s->n; i++) {
		uint64_t seq = s->first + i;

		rc = rg_send_one(ring, s, seq, tmp);
		if (rc < 0)
			break;
		if (s->more && (seq & 4095) == 4095)
			CHECK_RC(mmipc_ring_flush(ring), 0);
		if (s->progress != NULL)
			rg_store(s->progress, i + 1);
	}
	if (at != NULL)
		*at = s->first + i;
	free(tmp);
	return rc;
}

/* rg_recv_one - take message @seq and check it: 1, or the call's result
 * (0, -EPIPE, ...). */
static inline int rg_recv_one(mmipc_ring *ring, const struct rg_stream *s,
			      uint64_t seq, void *tmp)
{
	const void *p = NULL;
	size_t len = 0;
	int rc;

	if (s->zc) {
		rc = mmipc_ring_peek(ring, &p, &len, s->timeout_ms);
		if (rc != 1)
			return rc;
		CHECK(((uintptr_t)p & 7) == 0, "peek: %p not aligned", p);
		rg_expect_msg(p, len, s->seed, seq, s->max, "peek");
		CHECK_RC(mmipc_ring_release(ring), 0);
		return 1;
	}
	rc = mmipc_ring_recv(ring, tmp, s->max, &len, s->timeout_ms);
	if (rc != 1)
		return rc;
	rg_expect_msg(tmp, len, s->seed, seq, s->max, "recv");
	return 1;
}

/*
 * rg_recv_batch - take up to @left messages from @seq on with one
 * peek_batch; every 5th batch only its first half is released (the rest
 * comes again in the next). Returns how many were taken, or the result
 * of peek_batch (0, -EPIPE, ...).
 */
static inline int rg_recv_batch(mmipc_ring *ring, const struct rg_stream *s,
				uint64_t seq, uint64_t left)
{
	struct mmipc_ring_msg v[64];
	int max = left < 64 ? (int)left : 64, n, i, take;

	n = mmipc_ring_peek_batch(ring, v, max, s->timeout_ms);
	if (n <= 0)
		return n;
	CHECK(n <= max, "peek_batch: %d of at most %d", n, max);
	for (i = 0; i < n; i++) {
		CHECK(((uintptr_t)v[i].data & 7) == 0, "batch: %p not aligned",
		      v[i].data);
		rg_expect_msg(v[i].data, v[i].len, s->seed, seq + (uint64_t)i,
			      s->max, "peek_batch");
	}
	take = (seq / 64) % 5 == 0 && n > 1 ? n / 2 : n;
	CHECK_RC(mmipc_ring_release_batch(ring, take), 0);
	return take;
}

/*
 * rg_consume - receive and check the stream (then end-of-stream if
 * s->expect_eof). Returns 0, or the first unexpected result (the seq it
 * came at in *at): -ENODATA for an end-of-stream before the last one.
 */
static inline int rg_consume(mmipc_ring *ring, const struct rg_stream *s,
			     uint64_t *at)
{
	void *tmp = malloc(s->max + 8);
	uint64_t i;
	int rc = 0;

	CHECK(tmp != NULL, "malloc");
	for (i = 0; i < s->n;) {
		if (s->batch) {
			rc = rg_recv_batch(ring, s, s->first + i, s->n - i);
			if (rc <= 0)
				break;
			i += (uint64_t)rc;
		} else {
			rc = rg_recv_one(ring, s, s->first + i, tmp);
			if (rc != 1)
				break;
			i++;
		}
		if (s->progress != NULL)
			rg_store(s->progress, i);
	}
	if (at != NULL)
		*at = s->first + i;
	if (i < s->n && rc == 0)
		rc = -ENODATA; /* end-of-stream too early */
	if (i == s->n) {
		rc = 0;
		if (s->expect_eof) {
			size_t len = 0;

			rc = mmipc_ring_recv(ring, tmp, s->max, &len,
					     s->timeout_ms);
			CHECK(rc == 0,
			      "after %llu messages: recv returned %d (%s), "
			      "want 0 (end-of-stream)",
			      (unsigned long long)s->n, rc, mmipc_strerror(rc));
		}
	}
	free(tmp);
	return rc;
}

/* ------------------------------------------------------------------------
 * Ends of a stream in exec'd processes (t_self_exec)
 * ------------------------------------------------------------------------ */

/* The arguments of an exec'd end: ROLE ADDR FIRST N SEED OPTS MAX, OPTS a
 * string of letters: z zero-copy, m MORE batching, e expect end-of-stream,
 * b consumer takes batches. */
struct rg_argv {
	char first[24], n[24], seed[24], max[24], opts[12];
	char *args[9];
};

static inline char *const *rg_args(struct rg_argv *a, const char *role,
				   const char *addr, const struct rg_stream *s)
{
	char *o = a->opts;

	snprintf(a->first, sizeof(a->first), "%llu",
		 (unsigned long long)s->first);
	snprintf(a->n, sizeof(a->n), "%llu", (unsigned long long)s->n);
	snprintf(a->seed, sizeof(a->seed), "%u", s->seed);
	snprintf(a->max, sizeof(a->max), "%zu", s->max);
	if (s->zc)
		*o++ = 'z';
	if (s->more)
		*o++ = 'm';
	if (s->expect_eof)
		*o++ = 'e';
	if (s->batch)
		*o++ = 'b';
	*o++ = '-';
	*o = '\0';
	a->args[0] = (char *)role;
	a->args[1] = (char *)addr;
	a->args[2] = a->first;
	a->args[3] = a->n;
	a->args[4] = a->seed;
	a->args[5] = a->opts;
	a->args[6] = a->max;
	a->args[7] = NULL;
	return a->args;
}

/* rg_parse - the stream of an exec'd end, from its argv (argv[1] is the
 * role, argv[2] the address). */
static inline void rg_parse(struct rg_stream *s, char **argv)
{
	memset(s, 0, sizeof(*s));
	s->first = strtoull(argv[3], NULL, 10);
	s->n = strtoull(argv[4], NULL, 10);
	s->seed = (uint32_t)strtoul(argv[5], NULL, 10);
	s->zc = strchr(argv[6], 'z') != NULL;
	s->more = strchr(argv[6], 'm') != NULL;
	s->expect_eof = strchr(argv[6], 'e') != NULL;
	s->batch = strchr(argv[6], 'b') != NULL;
	s->max = (size_t)strtoull(argv[7], NULL, 10);
	s->timeout_ms = -1;
}

/* rg_run_end - be the producer or consumer of stream @s on @ring, then
 * close it; prints what it did. Returns the exit code. */
static inline int rg_run_end(mmipc_ring *ring, int role,
			     const struct rg_stream *s, const char *what)
{
	int64_t t0 = ru_now_ns();
	uint64_t at = 0;
	double ms;
	int rc;

	CHECK(mmipc_ring_max_msg(ring) >= s->max, "max msg %llu < %zu",
	      (unsigned long long)mmipc_ring_max_msg(ring), s->max);
	if (role == MMIPC_ROLE_PRODUCER) {
		rc = rg_produce(ring, s, &at);
		CHECK(rc == 0, "%s: send of message %llu: %d (%s)", what,
		      (unsigned long long)at, rc, mmipc_strerror(rc));
	} else {
		rc = rg_consume(ring, s, &at);
		CHECK(rc == 0, "%s: recv of message %llu: %d (%s)", what,
		      (unsigned long long)at, rc, mmipc_strerror(rc));
	}
	CHECK_RC(mmipc_ring_close(ring), 0);
	ms = (double)(ru_now_ns() - t0) / 1e6;
	printf("%s %s: %llu messages in %.0f ms (%.2f M/s)\n", what,
	       role == MMIPC_ROLE_PRODUCER ? "producer" : "consumer",
	       (unsigned long long)s->n, ms,
	       ms > 0 ? (double)s->n / ms / 1e3 : 0.0);
	return T_PASS;
}

/* rg_end_main - main() of an exec'd end: argv[1] "prod" or "cons", then
 * as rg_args(); opens the ring by name. */
static inline int rg_end_main(int argc, char **argv)
{
	struct rg_stream s;
	mmipc_ring *ring = NULL;
	int role;

	CHECK(argc == 8, "end: %d arguments", argc);
	role = strcmp(argv[1], "prod") == 0 ? MMIPC_ROLE_PRODUCER
					     : MMIPC_ROLE_CONSUMER;
	rg_parse(&s, argv);
	CHECK_RC(mmipc_ring_open(&ring, argv[2], role, 0), 0);
	return rg_run_end(ring, role, &s, argv[2]);
}

/* ------------------------------------------------------------------------
 * Raw access to the shared layout (src/layout.h)
 * ------------------------------------------------------------------------ */

/* Start of the region's mapping (its header), from a handle. */
static inline unsigned char *rg_base(mmipc_region *r)
{
	struct mmipc_region_info info;

	CHECK_RC(mmipc_region_info(r, &info), 0);
	return (unsigned char *)mmipc_region_data(r) - info.data_off;
}

static inline struct mmipc_ring_ctl *rg_ctl(mmipc_region *r)
{
	return (struct mmipc_ring_ctl *)(rg_base(r) + MMIPC_RING_CTL_OFF);
}

static inline struct mmipc_peer_slot *rg_slots(mmipc_region *r)
{
	return (struct mmipc_peer_slot *)(rg_base(r) + MMIPC_PEER_OFF);
}

/* rg_dump - print the ring's control block (to explain a failure). */
static inline void rg_dump(mmipc_region *r, const char *why)
{
	struct mmipc_ring_ctl *c = rg_ctl(r);
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	int i, n = mmipc_region_peers(r, v, MMIPC_MAX_PEERS);

	fprintf(stderr,
		"[pid %d] ring at %s: head %llu tail %llu (used %lld) sent "
		"%llu recv %llu; data seq %u waiters %u; space seq %u "
		"waiters %u; prod_end %#x cons_end %#x broken %u; %d peers\n",
		(int)getpid(), why,
		(unsigned long long)__atomic_load_n(&c->head, __ATOMIC_SEQ_CST),
		(unsigned long long)__atomic_load_n(&c->tail, __ATOMIC_SEQ_CST),
		(long long)(c->head - c->tail),
		(unsigned long long)c->msgs_sent,
		(unsigned long long)c->msgs_recv, c->data.seq, c->data.waiters,
		c->space.seq, c->space.waiters, c->prod_end, c->cons_end,
		c->broken, n);
	for (i = 0; i < n && i < MMIPC_MAX_PEERS; i++)
		fprintf(stderr, "  slot %u role %u pid %d alive %d\n",
			v[i].slot, v[i].role, (int)v[i].pid, (int)v[i].alive);
}

/* Bytes a message of @len takes in the ring: header + payload padded. */
static inline uint64_t rg_rec(uint64_t len)
{
	return (REC_HDR + len + 7) & ~UINT64_C(7);
}

static inline const char *rg_end_name(uint32_t e)
{
	switch (e) {
	case MMIPC_END_NONE:
		return "none";
	case MMIPC_END_ATTACHED:
		return "attached";
	case MMIPC_END_CLOSED:
		return "closed";
	case MMIPC_END_DEAD:
		return "dead";
	default:
		return "garbage";
	}
}

/* ------------------------------------------------------------------------
 * Garbage, for the scribbler tests (t_ring_scribble, t_region_scribble):
 * what a hostile process with the region mapped may write into it.
 * ------------------------------------------------------------------------ */

/* rg_rnd - xorshift64: a cheap random stream from *s (never 0). */
static inline uint64_t rg_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* rg_garbage - a 64-bit value a hostile peer might put where @near
 * belongs: random, huge, tiny, a little behind, past a capacity, odd. */
static inline uint64_t rg_garbage(uint64_t *rs, uint64_t near)
{
	switch (rg_rnd(rs) % 6) {
	case 0:
		return rg_rnd(rs);
	case 1:
		return UINT64_MAX - rg_rnd(rs) % 64;
	case 2:
		return rg_rnd(rs) % 64;
	case 3:
		return near - 8 * (1 + rg_rnd(rs) % 64); /* backwards */
	case 4:
		return near + 8 * (1 + rg_rnd(rs) % 4096); /* far ahead */
	default:
		return near + (rg_rnd(rs) % 9); /* misaligned */
	}
}

/* rg_garbage32 - random, or a 32-bit value with a meaning somewhere (the
 * record types, 0, all ones, sizes around a page, the top bit). */
static inline uint32_t rg_garbage32(uint64_t *rs)
{
	static const uint32_t known[] = { REC_DATA, REC_PAD, 0, 0xffffffffu,
					  8, 4088, 4096, 0x80000000u };

	if (rg_rnd(rs) % 2)
		return (uint32_t)rg_rnd(rs);
	return known[rg_rnd(rs) % 8];
}

/* rg_flip - flips one random bit of the @size bytes at @p. */
static inline void rg_flip(void *p, size_t size, uint64_t *rs)
{
	uint64_t bit = rg_rnd(rs) % (size * 8);

	__atomic_fetch_xor((unsigned char *)p + bit / 8,
			   (unsigned char)(1u << bit % 8), __ATOMIC_RELAXED);
}

#define RG_PUT(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

/* The groups of header fields rg_scrib_hdr() writes. */
enum { RG_HDR_IDENT, RG_HDR_SIZES, RG_HDR_STATE };

static inline void rg_scrib_ident(struct mmipc_hdr *hd, uint64_t *rs)
{
	switch (rg_rnd(rs) % 4) {
	case 0:
		RG_PUT(hd->magic, rg_rnd(rs) % 2 ? MMIPC_MAGIC_SWAPPED
						 : rg_rnd(rs));
		break;
	case 1:
		RG_PUT(hd->version, rg_rnd(rs) % 2 ? MMIPC_LAYOUT_VERSION + 1
						   : (uint32_t)rg_rnd(rs));
		break;
	case 2:
		RG_PUT(hd->format, (uint32_t)rg_rnd(rs));
		break;
	default:
		RG_PUT(hd->hdr_size, rg_rnd(rs) % 2 ? 256 : rg_garbage32(rs));
		break;
	}
}

static inline void rg_scrib_sizes(struct mmipc_hdr *hd, uint64_t size,
				  uint64_t *rs)
{
	switch (rg_rnd(rs) % 4) {
	case 0:
		RG_PUT(hd->total_size,
		       rg_garbage(rs, size + MMIPC_HDR_SIZE));
		break;
	case 1:
		RG_PUT(hd->data_off, rg_garbage(rs, MMIPC_HDR_SIZE));
		break;
	case 2:
		RG_PUT(hd->data_size, rg_garbage(rs, size));
		break;
	default: /* a ring's capacity */
		RG_PUT(hd->params[0], rg_rnd(rs) % 2 ? size << (rg_rnd(rs) % 3)
						     : rg_garbage(rs, size));
		break;
	}
}

static inline void rg_scrib_state(struct mmipc_hdr *hd, uint64_t *rs)
{
	switch (rg_rnd(rs) % 4) {
	case 0:
		RG_PUT(hd->kind, rg_rnd(rs) % 2 ? (uint32_t)MMIPC_KIND_RAW +
							  rg_rnd(rs) % 2
						: rg_garbage32(rs));
		break;
	case 1:
		RG_PUT(hd->state, rg_rnd(rs) % 2 ? MMIPC_STATE_INIT
						 : rg_garbage32(rs));
		break;
	case 2: /* openers re-read the sizes of a newer generation */
		__atomic_fetch_add(&hd->resize_gen, 1, __ATOMIC_RELEASE);
		break;
	default:
		RG_PUT(hd->creator_pid, (int32_t)rg_garbage32(rs));
		RG_PUT(hd->creator_start, rg_rnd(rs) % 2 ? 0 : rg_rnd(rs));
		RG_PUT(hd->creator_pidns, rg_rnd(rs) % 2 ? 0 : rg_rnd(rs));
		break;
	}
}

/*
 * rg_scrib_hdr - garbage into one field of group @group (RG_HDR_*) of the
 * header @hd of a region whose data area has @size bytes; or, one time in
 * 8, the header's first line back from @saved whole, so that openers see
 * it go bad and good again.
 */
static inline void rg_scrib_hdr(struct mmipc_hdr *hd,
				const struct mmipc_hdr *saved, int group,
				uint64_t size, uint64_t *rs)
{
	if (rg_rnd(rs) % 8 == 0)
		memcpy(hd, saved, offsetof(struct mmipc_hdr, state));
	else if (group == RG_HDR_IDENT)
		rg_scrib_ident(hd, rs);
	else if (group == RG_HDR_SIZES)
		rg_scrib_sizes(hd, size, rs);
	else
		rg_scrib_state(hd, rs);
}

/*
 * rg_scrib_slot - garbage into one of the 16 peer slots at @slots: a
 * random word, or a plausible one (CLAIMING or ACTIVE, or a state past
 * them, with the pid of init or of the caller's parent, which are alive),
 * a role, a start time (0: "pid only"), a pid namespace.
 */
static inline void rg_scrib_slot(struct mmipc_peer_slot *slots, uint64_t *rs)
{
	struct mmipc_peer_slot *s = &slots[rg_rnd(rs) % MMIPC_PEER_SLOTS];

	switch (rg_rnd(rs) % 5) {
	case 0:
		RG_PUT(s->word, rg_rnd(rs));
		break;
	case 1:
		RG_PUT(s->word, PEER_WORD(rg_rnd(rs) % 2 ? 1 : getppid(),
					  rg_rnd(rs), rg_rnd(rs) % 4));
		break;
	case 2:
		RG_PUT(s->role, rg_garbage32(rs));
		break;
	case 3:
		RG_PUT(s->start, rg_rnd(rs) % 2 ? 0 : rg_rnd(rs));
		break;
	default:
		RG_PUT(s->pidns, rg_rnd(rs) % 2 ? 0 : rg_rnd(rs));
		break;
	}
}

/*
 * rg_map_file - maps the whole file of the named region @addr read-write
 * by itself (not through the library, which refuses a region once its
 * header is garbage); its size goes to *size. munmap() it when done.
 */
static inline unsigned char *rg_map_file(const char *addr, size_t *size)
{
	char path[512];
	void *p;
	int fd;

	ru_path(path, sizeof(path), addr);
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	*size = (size_t)ru_file_size(path);
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap %s: %s", path, strerror(errno));
	close(fd);
	return p;
}

/*
 * rg_stream_main - the 10 M message stream of t_ring_stream and
 * t_ring_stream_zc: two exec'd ends, then the stats must agree. @zc: the
 * ends use reserve/commit and peek/release instead of send/recv.
 */
static inline int rg_stream_main(int argc, char **argv, bool zc,
				 const char *tag)
{
	struct rg_stream s = { 0 };
	struct rg_argv pa, ca;
	struct mmipc_ring_stats st;
	mmipc_region *r = NULL;
	char addr[128];
	uint64_t i, bytes = 0;
	int64_t t0;
	pid_t prod, cons, pids[2];

	if (argc > 1)
		return rg_end_main(argc, argv);
	rg_init(115);

	/* 10 M takes about a second, under ASan too */
	s.n = 10000000ull;
	s.seed = (uint32_t)getpid();
	s.more = true;
	s.zc = zc;
	s.max = 4096;
	s.timeout_ms = -1;
	s.expect_eof = true;
	printf("%llu messages, seed %u\n", (unsigned long long)s.n, s.seed);

	rg_name(addr, sizeof(addr), tag);
	CHECK_RC(mmipc_ring_create(&r, addr, 64 * 1024, 0, 0), 0);

	t0 = ru_now_ns();
	prod = rg_exec(rg_args(&pa, "prod", addr, &s));
	cons = rg_exec(rg_args(&ca, "cons", addr, &s));
	pids[0] = prod;
	pids[1] = cons;
	rg_wait_all(pids, 2, -1, "stream");
	printf("total %.0f ms\n", (double)(ru_now_ns() - t0) / 1e6);

	for (i = 0; i < s.n; i++)
		bytes += rg_len(s.seed, i, s.max);
	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	CHECK(st.msgs_sent == s.n && st.msgs_recv == s.n,
	      "stats: %llu sent, %llu received, want %llu",
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.msgs_recv, (unsigned long long)s.n);
	CHECK(st.bytes_sent == bytes && st.bytes_recv == bytes,
	      "stats: %llu bytes sent, %llu received, want %llu",
	      (unsigned long long)st.bytes_sent,
	      (unsigned long long)st.bytes_recv, (unsigned long long)bytes);
	CHECK(st.used == 0, "stats: %llu bytes used after all was read",
	      (unsigned long long)st.used);
	CHECK(st.producer == MMIPC_END_CLOSED &&
		      st.consumer == MMIPC_END_CLOSED,
	      "ends: producer %s, consumer %s", rg_end_name(st.producer),
	      rg_end_name(st.consumer));
	CHECK(st.broken == 0, "broken");

	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	return T_PASS;
}

#endif /* MMIPC_TEST_RING_UTIL_H */
