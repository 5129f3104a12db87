/*
 * futex.c - the wait layer: sleep on a 32-bit word in shared memory until
 * another process changes it, with deadlines on CLOCK_MONOTONIC.
 *
 * The futexes are process-SHARED (no FUTEX_PRIVATE_FLAG): the kernel keys
 * them by the backing page, so every process mapping the region meets on
 * the same word whatever address it is mapped at.
 *
 * The lost wake-up. A waiter must not sleep after the event it waits for,
 * and a waker must not skip the wake because it thinks nobody sleeps:
 *
 *   waiter                                waker
 *   ------                                -----
 *   v = load(word)        // "no news"
 *                                         store(word, v + 1)   // news
 *                                         if (load(waiters) == 0)
 *                                                 skip the wake // nobody?
 *   waiters++
 *   futex_wait(word, v)   // sleeps forever: the news came before it
 *
 * The fix is an announcement plus two full barriers (a Dekker pattern):
 *
 *   waiter                                waker
 *   ------                                -----
 *   waiters++                             store(word, v + 1)
 *   (A) full barrier                      (B) full barrier
 *   v = load(word)                        w = load(waiters)
 *   if (v is news) { waiters--; done }    if (w != 0)
 *   futex_wait(word, v)                           futex_wake(word)
 *   waiters--
 *
 * (A) pairs with (B): at least one side sees the other's store. Either the
 * waiter sees the news and does not sleep, or the waker sees waiters != 0
 * and wakes. And if the waker's store lands after the waiter's load but
 * before futex_wait, the kernel compares *word with v under its own lock
 * and returns EAGAIN instead of sleeping. A store-then-load pair is the one
 * reordering x86 does, so neither barrier may be weaker than seq_cst.
 *
 * The channels use this as an eventcount (struct mmipc_evc in layout.h),
 * one per direction: the sleeper announces itself in `waiters` and sleeps
 * on `seq`; the side that makes progress publishes, fences, and only when
 * `waiters` is non-zero bumps `seq` and wakes. `seq` rather than the data
 * word is the futex word so that events which do not move the data (the
 * other end closing, dying, the ring found broken) wake the sleeper too:
 * every such event bumps `seq`, and a sleeper that read `seq` before it
 * gets EAGAIN from the kernel instead of sleeping through it.
 *
 * The examples (examples/writer.c, examples/reader.c) use the public
 * mmipc_futex_wait()/mmipc_futex_wake() with the same announcement.
 */
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static long sys_futex(const uint32_t *word, int op, uint32_t val,
		      const struct timespec *ts, uint32_t val3)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, val3);
}

void deadline_after_ms(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

bool deadline_passed(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec ||
	       (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/*
 * futex_wait_abs - sleep while *word == expected, until @deadline (absolute
 * CLOCK_MONOTONIC; NULL = no limit). FUTEX_WAIT_BITSET takes an absolute
 * time, so a wait interrupted by a signal restarts with the same deadline
 * and never sleeps longer in total than asked.
 *
 * Returns 0 when woken (or spuriously), -EAGAIN if the word did not hold
 * @expected, -ETIMEDOUT at the deadline.
 */
int futex_wait_abs(const uint32_t *word, uint32_t expected,
		   const struct timespec *deadline)
{
	for (;;) {
		long rc = sys_futex(word, FUTEX_WAIT_BITSET, expected,
				    deadline, FUTEX_BITSET_MATCH_ANY);

		if (rc == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return neg_errno(); /* -EAGAIN, -ETIMEDOUT, -EFAULT */
	}
}

int mmipc_futex_wait(const uint32_t *word, uint32_t expected, int timeout_ms)
{
	struct timespec deadline;

	if (((uintptr_t)word & 3) != 0)
		return -EINVAL;
	if (READ_ONCE(*word) != expected)
		return -EAGAIN;
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	if (timeout_ms < 0)
		return futex_wait_abs(word, expected, NULL);
	deadline_after_ms(&deadline, timeout_ms);
	return futex_wait_abs(word, expected, &deadline);
}

int mmipc_futex_wake(uint32_t *word, int n)
{
	long rc;

	if (((uintptr_t)word & 3) != 0 || n <= 0)
		return -EINVAL;
	rc = sys_futex(word, FUTEX_WAKE, (uint32_t)n, NULL, 0);
	return rc < 0 ? neg_errno() : (int)rc;
}

/*
 * evc_prepare - announce a sleeper and take the key to sleep on. The
 * caller then re-checks its condition and either calls evc_cancel() (the
 * condition holds) or evc_wait() with the key.
 */
uint32_t evc_prepare(struct mmipc_evc *e)
{
	__atomic_fetch_add(&e->waiters, 1, __ATOMIC_RELAXED);
	/* (A): pairs with (B) in evc_signal(). Our waiters++ is visible to a
	 * signaller before we load the condition, or we see its store. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* acquire: pairs with the release bump in evc_signal(); a key that
	 * already includes an event comes with that event's data visible */
	return __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
}

void evc_cancel(struct mmipc_evc *e)
{
	__atomic_fetch_sub(&e->waiters, 1, __ATOMIC_RELAXED);
}

/*
 * evc_wait - sleep until the key changes or @until (absolute
 * CLOCK_MONOTONIC, NULL = no limit), then take the announcement back.
 * Returns 0 (woken, maybe spuriously: re-check), -ETIMEDOUT.
 */
int evc_wait(struct mmipc_evc *e, uint32_t key, const struct timespec *until)
{
	int rc = futex_wait_abs(&e->seq, key, until);

	evc_cancel(e);
	return rc == -ETIMEDOUT ? rc : 0;
}

/*
 * evc_signal - after a release store that a sleeper may wait for: wake the
 * sleepers if there are any. Costs a fence and a load of a line nobody
 * writes while nobody sleeps; the system call only when someone does.
 */
void evc_signal(struct mmipc_evc *e)
{
	/* (B): pairs with (A); orders our data store before the load of
	 * waiters (a store-load pair: only a full fence orders it) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&e->waiters, __ATOMIC_RELAXED) != 0)
		evc_signal_all(e);
}

/* evc_signal_all - an event without a data store (close, death, broken):
 * bump the key and wake whoever sleeps, unconditionally. */
void evc_signal_all(struct mmipc_evc *e)
{
	/* release: the sleeper that reads the new key (acquire) sees what
	 * was stored before the signal */
	__atomic_fetch_add(&e->seq, 1, __ATOMIC_RELEASE);
	sys_futex(&e->seq, FUTEX_WAKE, INT32_MAX, NULL, 0);
}
