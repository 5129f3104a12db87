/*
 * t_futex_signal - a signal does not cut a futex wait short: under a storm
 * of SIGUSR1 (a handler installed WITHOUT SA_RESTART, one signal per
 * millisecond from another process) a 300 ms wait still returns
 * -ETIMEDOUT, and not before 300 ms (the wait is restarted with the time
 * left, not from scratch: it does not take much longer either); and an
 * unlimited wait under the same storm returns 0 only when woken.
 */
#include "region_util.h"

#define SIZE 4096

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

struct storm {
	pid_t target;
	uint32_t *stop;
};

/* Sends SIGUSR1 to target every millisecond until *stop. */
static int storm(void *p)
{
	struct storm *s = p;

	while (!__atomic_load_n(s->stop, __ATOMIC_ACQUIRE)) {
		if (kill(s->target, SIGUSR1) < 0)
			return errno == ESRCH ? 0 : 1;
		ru_sleep_ms(1);
	}
	return 0;
}

int main(void)
{
	mmipc_region *r = NULL;
	struct sigaction sa;
	struct storm st;
	uint32_t *word, *stop, *flag;
	int64_t t0, ms;
	pid_t pid;
	int rc, calls = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = 0; /* no SA_RESTART: the kernel returns EINTR */
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");

	CHECK_RC(mmipc_region_create(&r, "anon", SIZE, 0, 0), 0);
	word = mmipc_region_data(r);
	stop = word + 16;
	flag = word + 32;

	/* timed wait under the storm */
	st.target = getpid();
	st.stop = stop;
	pid = ru_fork(storm, &st);
	ru_sleep_ms(20);
	t0 = ru_now_ns();
	hits = 0;
	rc = mmipc_futex_wait(word, 0, 300);
	ms = ru_ms_since(t0);
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
	RU_WAIT_OK(pid, "storm");
	printf("300 ms wait: %d (%s) after %lld ms, %d signals\n", rc,
	       mmipc_strerror(rc), (long long)ms, (int)hits);
	CHECK_RC(rc, -ETIMEDOUT);
	CHECK(ms >= 300, "returned after %lld ms, before the timeout",
	      (long long)ms);
	CHECK(ms < 1500, "took %lld ms: restarted from scratch?",
	      (long long)ms);
	CHECK(hits >= 20, "only %d signals arrived: no storm", (int)hits);

	/* unlimited wait under the storm, woken after 300 ms */
	__atomic_store_n(stop, 0, __ATOMIC_RELEASE);
	pid = ru_fork(storm, &st);
	{
		pid_t waker;

		fflush(NULL);
		waker = fork();
		CHECK(waker >= 0, "fork");
		if (waker == 0) {
			ru_sleep_ms(300);
			__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
			__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
			mmipc_futex_wake(word, INT32_MAX);
			_exit(0);
		}
		hits = 0;
		t0 = ru_now_ns();
		do {
			rc = mmipc_futex_wait(word, 0, -1);
			calls++;
		} while (rc == 0 && !__atomic_load_n(flag, __ATOMIC_SEQ_CST));
		ms = ru_ms_since(t0);
		RU_WAIT_OK(waker, "waker");
	}
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
	RU_WAIT_OK(pid, "storm");
	printf("unlimited wait: %d after %lld ms, %d signals, %d calls\n", rc,
	       (long long)ms, (int)hits, calls);
	/* "possibly spuriously" allows the odd early return, not one per
	 * signal */
	CHECK(calls <= 3, "the wait returned %d times under %d signals", calls,
	      (int)hits);
	CHECK(rc == 0 || rc == -EAGAIN, "unlimited wait: %d (%s)", rc,
	      mmipc_strerror(rc));
	CHECK(hits >= 20, "only %d signals arrived", (int)hits);
	CHECK(ms >= 250, "left the wait after %lld ms", (long long)ms);
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}
