/*
 * run.c - the parent's processes and housekeeping: the shm directory and
 * the ledger, starting, reaping and killing the children, failures, and
 * running the real `mmipc rm --stale`.
 *
 * Every child goes through ring_util.h's rg_exec()/rg_wait(), so a run
 * that ends early (a CHECK, the watchdog) still kills and reaps them and
 * removes the private shm directory. Those helpers keep their list in a
 * static of this file: the other files of the parent call in here.
 */
#include <stdarg.h>

#include "torture.h"

/* The parent's own watchdog: a trial that takes this long hung. */
#define TRIAL_WATCHDOG_S 120

static const char *const end_name[] = { "producer", "consumer", "creator" };

void tt_run_setup(struct tt_run *R)
{
	/* cleanup at exit; SIGALRM (re-armed every trial) fails the run */
	rg_init(TRIAL_WATCHDOG_S);
	if (R->dir[0] == '\0') {
		rg_tmpdir(R->dir, sizeof(R->dir));
		R->private_dir = true;
	}
	CHECK(setenv("MMIPC_SHM_DIR", R->dir, 1) == 0, "setenv: %s",
	      strerror(errno));
	snprintf(R->prefix, sizeof(R->prefix), T_PREFIX "%d-torture-",
		 (int)getpid());
	R->L = tt_ledger_new(&R->fd);
	R->L->parent = (uint64_t)getpid();
	R->L->seed = R->seed;
}

/* Removes what is left of ours in a shared shm directory (after a
 * failure: a clean run's `rm --stale` removed it all). */
static void remove_ours(struct tt_run *R)
{
	DIR *d = opendir(R->dir);
	struct dirent *e;
	char addr[320];

	CHECK(d != NULL, "opendir %s: %s", R->dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, R->prefix, strlen(R->prefix)) != 0)
			continue;
		snprintf(addr, sizeof(addr), "shm:%s", e->d_name);
		mmipc_region_unlink(addr, MMIPC_F_FORCE);
	}
	closedir(d);
}

void tt_run_teardown(struct tt_run *R)
{
	int i;

	for (i = 0; i < 3; i++)
		if (R->pid[i] > 0)
			tt_kill(R, i);
	if (R->region != NULL)
		CHECK_RC(mmipc_region_close(R->region), 0);
	R->region = NULL;
	if (!R->private_dir)
		remove_ours(R);
	else
		rg_rmtmpdir(R->dir);
	CHECK(munmap(R->L, sizeof(*R->L)) == 0, "munmap: %s",
	      strerror(errno));
	CHECK(close(R->fd) == 0, "close: %s", strerror(errno));
}

/* The prefix of every failure line: enough to find and replay it. */
static void fail_prefix(const struct tt_run *R)
{
	fprintf(stderr, "torture: FAIL trial %llu (--seed %llu, channel %llu, "
		"capacity %llu): ", (unsigned long long)R->trial,
		(unsigned long long)R->seed, (unsigned long long)R->L->chan,
		(unsigned long long)R->L->cap);
}

void tt_fail(struct tt_run *R, const char *fmt, ...)
{
	va_list ap;

	fail_prefix(R);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	R->f.failures++;
	if (R->region != NULL)
		rg_dump(R->region, "failure");
}

/* tt_report - print the failures the children logged since the last call. */
void tt_report(struct tt_run *R)
{
	uint64_t n = rg_load(&R->L->nfail), i;

	for (i = R->fails_seen; i < n && i < TT_FAIL_MAX; i++) {
		fail_prefix(R);
		fprintf(stderr, "%s\n", R->L->fail[i]);
	}
	if (n > TT_FAIL_MAX && n > R->fails_seen) {
		fail_prefix(R);	/* the children printed these themselves */
		fprintf(stderr, "%llu more failures (printed above)\n",
			(unsigned long long)(n - (R->fails_seen > TT_FAIL_MAX
							  ? R->fails_seen
							  : TT_FAIL_MAX)));
	}
	R->f.failures += n - R->fails_seen;
	R->fails_seen = n;
	alarm(TRIAL_WATCHDOG_S);
}

/*
 * tt_spawn - start end[@idx] as a new process (/proc/self/exe --child
 * ROLE FD), with fresh orders: none, but a self-kill timer at phase
 * @timer (0: none), @timer_us after it.
 */
void tt_spawn(struct tt_run *R, int idx, uint64_t timer, uint64_t timer_us)
{
	static const char *const role[] = { "prod", "cons", "create" };
	struct tt_end *e = &R->L->end[idx];
	char fd[16];
	char *args[] = { "--child", (char *)role[idx], fd, NULL };

	CHECK(R->pid[idx] == 0, "%s still running", end_name[idx]);
	memset(e, 0, sizeof(*e));
	e->seed = tt_rand(&R->rng);
	if (idx != TT_CREATOR)
		e->inc = ++R->inc[idx];
	e->timer_us = timer_us;
	e->timer = timer;
	snprintf(fd, sizeof(fd), "%d", R->fd);
	R->pid[idx] = rg_exec(args);
	e->pid = (uint64_t)R->pid[idx];
}

/* tt_reap - wait up to @ms for end[@idx] to exit: its status (exit code,
 * 128 + signal), or -1 if it still runs. */
int tt_reap(struct tt_run *R, int idx, int ms)
{
	int st = rg_wait_timeout(R->pid[idx], ms);

	if (st >= 0)
		R->pid[idx] = 0;
	return st;
}

/* tt_kill - kill -9 end[@idx] and reap it. */
void tt_kill(struct tt_run *R, int idx)
{
	CHECK(kill(R->pid[idx], SIGKILL) == 0, "kill %d: %s", (int)R->pid[idx],
	      strerror(errno));
	rg_wait(R->pid[idx]);
	R->pid[idx] = 0;
}

/* tt_alive - is end[@idx] still running? One that exited on its own is
 * a failure (it logged why, or crashed). */
bool tt_alive(struct tt_run *R, int idx)
{
	int st;

	if (R->pid[idx] == 0)
		return false;
	if ((st = tt_reap(R, idx, 0)) < 0)
		return true;
	tt_report(R);
	tt_fail(R, "%s %llu exited on its own: %s %d", end_name[idx],
		(unsigned long long)R->L->end[idx].inc,
		st > 128 ? "signal" : "status", st > 128 ? st - 128 : st);
	return false;
}

/* tt_all_alive - are the producer and the consumer both running? */
bool tt_all_alive(struct tt_run *R)
{
	bool prod = tt_alive(R, TT_PROD);

	return tt_alive(R, TT_CONS) && prod;
}

/* tt_rm_stale - run the real tool's `mmipc rm --stale -v` on our shm
 * directory (MMIPC_SHM_DIR is in our environment): its exit code, and
 * what it printed in @out. */
int tt_rm_stale(struct tt_run *R, char *out, size_t size)
{
	char *argv[] = { (char *)t_tool(), "rm", "--stale", "-v", NULL };

	(void)R;
	fflush(NULL);
	return t_run(argv, out, size);
}
