/*
 * t_futex - mmipc_futex_wait/wake on words in shared regions, across
 * processes: a sleeper is woken by a wake from another process (forked, on
 * a memfd region; exec'd, on a shm: region mapped at another address),
 * wake returns how many it woke (1, 0 with nobody asleep, all of 3, only
 * the asked number), a wake on another word wakes nobody; wait returns
 * -EAGAIN at once when the value differs, -ETIMEDOUT after the timeout
 * (not before), -ETIMEDOUT at once for timeout 0; misaligned words are
 * -EINVAL.
 */
#include <sys/syscall.h>

#include "region_util.h"

#define SIZE 4096

/* Blocks until pid sleeps in the futex system call: /proc/PID/syscall
 * starts with its number, and the state is S. */
static void await_sleeping(pid_t pid)
{
	int64_t t0 = ru_now_ns();
	char path[64], buf[256], nr[16];
	size_t nrlen = (size_t)snprintf(nr, sizeof(nr), "%ld ", (long)SYS_futex);

	for (;;) {
		FILE *f;
		bool in_futex = false;

		snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
		f = fopen(path, "r");
		if (f != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL)
				in_futex = strncmp(buf, nr, nrlen) == 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		CHECK(f != NULL, "%s: %s", path, strerror(errno));
		CHECK(fgets(buf, sizeof(buf), f) != NULL, "read %s", path);
		fclose(f);
		if (in_futex && strstr(buf, ") S ") != NULL)
			return;
		CHECK(ru_ms_since(t0) < 10000, "pid %d never slept: %s",
		      (int)pid, buf);
		ru_sleep_ms(1);
	}
}

struct waiter {
	uint32_t *word;
	uint32_t expect;
	int timeout_ms;
};

/* Exit code: 0 woken, 1 (CHECK) other, 2 -ETIMEDOUT, 3 -EAGAIN. */
static int waiter(void *p)
{
	struct waiter *w = p;
	int rc = mmipc_futex_wait(w->word, w->expect, w->timeout_ms);

	if (rc == -ETIMEDOUT)
		return 2;
	if (rc == -EAGAIN)
		return 3;
	CHECK_RC(rc, 0);
	return 0;
}

/* The exec'd waiter: opens the shm: region, waits on word 16. */
static int exec_waiter(const char *addr)
{
	mmipc_region *r = NULL;
	uint32_t *w;

	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	w = (uint32_t *)mmipc_region_data(r) + 16;
	CHECK_RC(mmipc_futex_wait(w, 0, 20000), 0);
	CHECK(__atomic_load_n(w, __ATOMIC_ACQUIRE) == 1, "woken, word %u", *w);
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}

static void wake_one(uint32_t *word)
{
	struct waiter w = { word, 0, 20000 };
	pid_t pid;

	__atomic_store_n(word, 0, __ATOMIC_SEQ_CST);
	pid = ru_fork(waiter, &w);
	await_sleeping(pid);
	__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
	CHECK_RC(mmipc_futex_wake(word, 1), 1);
	RU_WAIT_OK(pid, "woken waiter");
	CHECK_RC(mmipc_futex_wake(word, 1), 0);
	CHECK_RC(mmipc_futex_wake(word, INT32_MAX), 0);
}

static void wake_many(uint32_t *word, uint32_t *other)
{
	struct waiter w = { word, 0, 20000 };
	pid_t pids[3];
	int i;

	__atomic_store_n(word, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < 3; i++) {
		pids[i] = ru_fork(waiter, &w);
		await_sleeping(pids[i]);
	}
	/* another word, in the same page: nobody */
	CHECK_RC(mmipc_futex_wake(other, INT32_MAX), 0);
	/* one only, then the other two */
	CHECK_RC(mmipc_futex_wake(word, 1), 1);
	ru_sleep_ms(50);
	CHECK_RC(mmipc_futex_wake(word, INT32_MAX), 2);
	for (i = 0; i < 3; i++)
		RU_WAIT_OK(pids[i], "waiter of many");
}

static void timeouts(uint32_t *word)
{
	int64_t t0, ms;
	int i;

	__atomic_store_n(word, 5, __ATOMIC_SEQ_CST);
	t0 = ru_now_ns();
	CHECK_RC(mmipc_futex_wait(word, 4, 1000), -EAGAIN);
	CHECK_RC(mmipc_futex_wait(word, 4, -1), -EAGAIN);
	CHECK_RC(mmipc_futex_wait(word, 4, 0), -EAGAIN);
	CHECK(ru_ms_since(t0) < 200, "EAGAIN took %lld ms",
	      (long long)ru_ms_since(t0));

	/* 0 = do not sleep: twenty of them together take no time worth
	 * the name */
	t0 = ru_now_ns();
	for (i = 0; i < 20; i++)
		CHECK_RC(mmipc_futex_wait(word, 5, 0), -ETIMEDOUT);
	CHECK(ru_ms_since(t0) < 100, "20 waits with timeout 0 took %lld ms",
	      (long long)ru_ms_since(t0));

	t0 = ru_now_ns();
	CHECK_RC(mmipc_futex_wait(word, 5, 100), -ETIMEDOUT);
	ms = ru_ms_since(t0);
	CHECK(ms >= 100 && ms < 3000, "timeout 100 took %lld ms",
	      (long long)ms);

	t0 = ru_now_ns();
	CHECK_RC(mmipc_futex_wait(word, 5, 1), -ETIMEDOUT);
	CHECK(ru_ms_since(t0) >= 1, "timeout 1 took no time");
}

int main(int argc, char **argv)
{
	char name[256];
	char *args[] = { "wait", name, NULL };
	mmipc_region *r = NULL, *s = NULL;
	uint32_t *word;
	uint8_t *d;
	pid_t pid;

	if (argc == 3 && strcmp(argv[1], "wait") == 0)
		return exec_waiter(argv[2]);
	CHECK_RC(mmipc_region_create(&r, "memfd", SIZE, 0, 0), 0);
	d = mmipc_region_data(r);
	word = (uint32_t *)d;

	wake_one(word);
	wake_one(word + 100);
	wake_many(word + 1, word + 2);
	timeouts(word + 3);

	CHECK_RC(mmipc_futex_wait((const uint32_t *)(d + 1), 0, 10), -EINVAL);
	CHECK_RC(mmipc_futex_wait((const uint32_t *)(d + 2), 0, -1), -EINVAL);
	CHECK_RC(mmipc_futex_wake((uint32_t *)(d + 3), 1), -EINVAL);
	CHECK_RC(mmipc_region_close(r), 0);

	/* an unrelated process, its own mapping of a shm: region */
	CHECK_RC(mmipc_region_create(&s, t_name(name, sizeof(name), "futex"),
				     SIZE, 0, 0), 0);
	word = (uint32_t *)mmipc_region_data(s) + 16;
	pid = t_self_exec(args);
	await_sleeping(pid);
	__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
	CHECK_RC(mmipc_futex_wake(word, INT32_MAX), 1);
	RU_WAIT_OK(pid, "exec'd waiter");
	CHECK_RC(mmipc_region_close(s), 0);
	ru_unlink(name);
	return T_PASS;
}
