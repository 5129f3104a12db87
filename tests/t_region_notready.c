/*
 * t_region_notready - a region whose state word is not READY (a creator
 * that died half-way, with the O_CREAT fallback) is waited for, then
 * refused with -MMIPC_ENOTREADY: after about MMIPC_OPEN_TIMEOUT_MS by
 * default, after the given time with open_timeout, at once with
 * MMIPC_F_NOWAIT or timeout 0. And a waiting opener is let in as soon as
 * another process stores READY and wakes the state word.
 */
#include "region_util.h"

#define SIZE (8 * 1024)

static int64_t timed_open(const char *addr, unsigned flags, int timeout_ms,
			  int want)
{
	int64_t t0 = ru_now_ns();
	int rc = timeout_ms == INT32_MIN
			 ? ru_try(addr, MMIPC_KIND_ANY, flags, 0, RU_OPEN)
			 : ru_try(addr, MMIPC_KIND_ANY, flags, timeout_ms,
				  RU_OPEN_TIMEOUT);
	int64_t ms = ru_ms_since(t0);

	CHECK(rc == want, "%s: open (flags %#x, timeout %d) gave %d (%s) "
	      "after %lld ms, want %d (%s)", addr, flags, timeout_ms, rc,
	      mmipc_strerror(rc), (long long)ms, want, mmipc_strerror(want));
	return ms;
}

/* The publisher: maps the file itself, stores READY, wakes the word. */
struct pub_arg {
	const char *path;
	int delay_ms;
	bool wake;
};

static int publisher(void *p)
{
	struct pub_arg *a = p;
	int fd = open(a->path, O_RDWR | O_CLOEXEC);
	uint8_t *m;
	uint32_t *state;

	CHECK(fd >= 0, "open %s: %s", a->path, strerror(errno));
	m = mmap(NULL, MMIPC_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	close(fd);
	state = (uint32_t *)(m + RU_OFF(state));
	ru_sleep_ms(a->delay_ms);
	__atomic_store_n(state, MMIPC_STATE_READY, __ATOMIC_RELEASE);
	if (a->wake)
		CHECK_OK(mmipc_futex_wake(state, INT32_MAX));
	munmap(m, MMIPC_HDR_SIZE);
	return 0;
}

int main(void)
{
	char dir[256], buf[512], path[512];
	unsigned i;
	int64_t ms, t0;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		const char *addr = ru_addr(buf, sizeof(buf), b, "nrdy", dir);
		struct pub_arg pa;
		pid_t pid;

		ru_make(addr, SIZE, 10);
		ru_path(path, sizeof(path), addr);
		ru_put32(path, RU_OFF(state), MMIPC_STATE_INIT);

		ms = timed_open(addr, 0, INT32_MIN, -MMIPC_ENOTREADY);
		CHECK(ms >= MMIPC_OPEN_TIMEOUT_MS - 20 &&
			      ms < MMIPC_OPEN_TIMEOUT_MS + 4000,
		      "%s: default wait took %lld ms", addr, (long long)ms);
		ms = timed_open(addr, 0, 100, -MMIPC_ENOTREADY);
		CHECK(ms >= 98 && ms < 3000, "%s: 100 ms wait took %lld ms",
		      addr, (long long)ms);
		ms = timed_open(addr, MMIPC_F_NOWAIT, INT32_MIN,
				-MMIPC_ENOTREADY);
		CHECK(ms < 500, "%s: NOWAIT took %lld ms", addr, (long long)ms);
		ms = timed_open(addr, MMIPC_F_NOWAIT, 5000, -MMIPC_ENOTREADY);
		CHECK(ms < 500, "%s: NOWAIT + 5 s took %lld ms", addr,
		      (long long)ms);
		ms = timed_open(addr, 0, 0, -MMIPC_ENOTREADY);
		CHECK(ms < 500, "%s: timeout 0 took %lld ms", addr,
		      (long long)ms);
		/* any state but READY is not ready */
		ru_put32(path, RU_OFF(state), MMIPC_STATE_READY ^ 1);
		ms = timed_open(addr, 0, 50, -MMIPC_ENOTREADY);
		ru_put32(path, RU_OFF(state), MMIPC_STATE_INIT);

		/* stored READY + woken while we wait: let in, well before
		 * the 10 s timeout and not before the store */
		pa.path = path;
		pa.delay_ms = 300;
		pa.wake = true;
		/* "not before the store": timed from the fork, as the
		 * publisher's 300 ms are (a loaded machine may run us late) */
		t0 = ru_now_ns();
		pid = ru_fork(publisher, &pa);
		ms = timed_open(addr, 0, 10000, 0);
		RU_WAIT_OK(pid, "publisher");
		CHECK(ru_ms_since(t0) >= 295 && ms < 5000,
		      "%s: woken open took %lld ms, %lld ms after the fork "
		      "(publisher after 300)", addr, (long long)ms,
		      (long long)ru_ms_since(t0));

		/* the same with forever (-1) */
		ru_put32(path, RU_OFF(state), MMIPC_STATE_INIT);
		t0 = ru_now_ns();
		pid = ru_fork(publisher, &pa);
		ms = timed_open(addr, 0, -1, 0);
		RU_WAIT_OK(pid, "publisher");
		CHECK(ru_ms_since(t0) >= 295 && ms < 5000,
		      "%s: woken open (-1) took %lld ms, %lld ms after the fork",
		      addr, (long long)ms, (long long)ru_ms_since(t0));

		/* state INIT is reported, not waited for, by stat */
		ru_put32(path, RU_OFF(state), MMIPC_STATE_INIT);
		{
			struct mmipc_region_info info;

			t0 = ru_now_ns();
			CHECK_RC(mmipc_region_stat(addr, &info), 0);
			CHECK(info.state == MMIPC_STATE_INIT, "%s: state %#x",
			      addr, info.state);
			CHECK(ru_ms_since(t0) < 500, "%s: stat waited", addr);
		}
		/* unlink needs no READY */
		ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
