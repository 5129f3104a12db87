/*
 * channel.c - the life of one ring ("channel") in a torture run: made by a
 * creator process (sometimes killed inside create), used by producer and
 * consumer processes over many trials, then retired - cleanly (the
 * producer closes, the consumer drains to end-of-stream and checks that
 * every message reported as sent came), or abandoned with both ends
 * killed. A retired ring stays in the shm directory: its creator and its
 * peers are dead, so the real `mmipc rm --stale` must remove it, and must
 * keep the live one beside it.
 */
#include "torture.h"

/* Ring capacities: mostly 4 KiB (wraps and full-ring waits all the
 * time), some larger. */
static uint64_t pick_capacity(struct tt_run *R)
{
	uint64_t r = tt_range(&R->rng, 0, 99);

	return r < 50 ? 4096 : r < 75 ? 16384 : r < 95 ? 65536 : 1 << 20;
}

/* Starts the creator; with @kill_it, it kills itself inside create.
 * Returns whether the ring now exists (whole). */
static bool create_ring(struct tt_run *R, bool kill_it)
{
	struct mmipc_region_info info;
	int st, rc;

	tt_spawn(R, TT_CREATOR, kill_it ? PH_CREATE : 0,
		 tt_logrand(&R->rng, 1, 2000));
	st = tt_reap(R, TT_CREATOR, 10000);
	if (st < 0) {
		tt_kill(R, TT_CREATOR);
		tt_fail(R, "the creator of %s hung", R->L->addr);
		return false;
	}
	if (st == 128 + SIGKILL && kill_it) {
		R->f.create_kills++;
		/* nothing, or a whole ring: never a half-built one */
		rc = mmipc_region_stat(R->L->addr, &info);
		if (rc == -ENOENT)
			return false;
		if (rc < 0 || info.state != MMIPC_STATE_READY)
			tt_fail(R, "a creator killed in create left %s: %s",
				R->L->addr, mmipc_strerror(rc));
		return rc == 0;
	}
	if (st != 0)
		tt_fail(R, "the creator of %s: status %d", R->L->addr, st);
	return st == 0;
}

/* Resets the ledger's stream for a new ring. */
static void reset_stream(struct tt_ledger *L)
{
	L->p_tried = L->p_conf = 1;
	L->c_state = CS_WORD(CS_IDLE, 0, 0, 0);
	memset(L->ctx, 0, sizeof(L->ctx));
	L->c_inc = L->c_peek_hi = 0;
	rg_store(&L->nmaybe, 0);
}

/*
 * tt_channel_new - a new ring, both ends started (in either order), the
 * stream flowing; then `rm --stale` must remove the retired rings and
 * keep this one.
 */
void tt_channel_new(struct tt_run *R)
{
	struct tt_ledger *L = R->L;
	int first = (int)tt_range(&R->rng, 0, 1);

	R->f.channels++;
	L->chan = R->f.channels;
	L->cap = pick_capacity(R);
	snprintf(L->addr, sizeof(L->addr), "shm:%s%llu", R->prefix,
		 (unsigned long long)L->chan);
	reset_stream(L);
	if (!create_ring(R, tt_range(&R->rng, 0, 9) == 0) &&
	    !create_ring(R, false))
		CHECK(0, "cannot create %s", L->addr);
	CHECK_RC(mmipc_region_open(&R->region, L->addr, MMIPC_KIND_RING, 0), 0);
	tt_spawn(R, first, 0, 0);
	tt_sleep_us(tt_logrand(&R->rng, 1, 5000));
	tt_spawn(R, 1 - first, 0, 0);
	R->chan_left = tt_range(&R->rng, 3, 25);
	if (tt_wait_works(R, TT_CONS, 0))
		tt_stale_check(R, true);
}

/* Waits for end[@idx] to exit with status 0 (at most 10 s). */
static void wait_exit_ok(struct tt_run *R, int idx, const char *what)
{
	int st = tt_reap(R, idx, 10000);

	if (st == 0)
		return;
	if (st < 0)
		tt_kill(R, idx);
	tt_report(R);
	tt_fail(R, "%s: status %d%s", what, st, st < 0 ? " (hung: killed)" : "");
}

/* The ring's own view after a clean end: nothing left, both closed. */
static void check_closed(struct tt_run *R)
{
	struct mmipc_ring_stats st;
	int rc = mmipc_ring_stats(R->region, &st);

	if (rc < 0 || st.used != 0 || st.broken ||
	    st.producer != MMIPC_END_CLOSED || st.consumer != MMIPC_END_CLOSED)
		tt_fail(R, "after a clean end: stats %s, %llu bytes used, "
			"broken %u, producer %s, consumer %s",
			mmipc_strerror(rc), (unsigned long long)st.used,
			st.broken, rg_end_name(st.producer),
			rg_end_name(st.consumer));
	/* informative counters: a kill between a counter's store and the
	 * position's store leaves them apart for good (not a failure) */
	if (rc == 0 && st.msgs_sent != st.msgs_recv)
		R->f.counters_off++;
}

/*
 * tt_channel_retire - end the current ring. @clean: the producer closes
 * and exits, then the consumer drains to end-of-stream and checks that
 * nothing reported as sent is missing (consumer.c final_check). Else both
 * are killed. Either way the ring file stays, for `rm --stale`.
 */
void tt_channel_retire(struct tt_run *R, bool clean)
{
	int i;

	for (i = TT_PROD; i <= TT_CONS; i++)
		rg_store(&R->L->end[i].hold, 0);
	if (!clean || R->pid[TT_PROD] == 0 || R->pid[TT_CONS] == 0) {
		R->f.abandoned++;
		for (i = TT_PROD; i <= TT_CONS; i++)
			if (R->pid[i] != 0)
				tt_kill(R, i);
	} else {
		rg_store(&R->L->end[TT_PROD].finish, 1);
		wait_exit_ok(R, TT_PROD, "the producer's clean close");
		rg_store(&R->L->end[TT_CONS].finish, 1);
		wait_exit_ok(R, TT_CONS, "the consumer's drain to end-of-stream");
		check_closed(R);
	}
	tt_report(R);
	CHECK_RC(mmipc_region_close(R->region), 0);
	R->region = NULL;
}

/* Is @name (a directory entry) one of ours? Everything is in a private
 * directory, but with --shm-dir others' regions may sit beside ours. */
static bool ours(const struct tt_run *R, const char *name)
{
	return R->private_dir ||
	       strncmp(name, R->prefix, strlen(R->prefix)) == 0;
}

/*
 * tt_stale_check - run `mmipc rm --stale`; then the directory must hold
 * exactly the live ring (@live) or nothing of ours: the retired rings,
 * whose creators and peers are dead (killed ones too), are gone, and the
 * live ring, whose creator is dead but whose peers live, is kept.
 */
void tt_stale_check(struct tt_run *R, bool live)
{
	const char *want = live ? R->L->addr + 4 : NULL;
	char out[4096];
	bool found = false;
	struct dirent *e;
	DIR *d;
	int rc = tt_rm_stale(R, out, sizeof(out));

	R->f.stale_runs++;
	if (rc != 0)
		tt_fail(R, "mmipc rm --stale: status %d:\n%s", rc, out);
	d = opendir(R->dir);
	CHECK(d != NULL, "opendir %s: %s", R->dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !ours(R, e->d_name))
			continue;
		if (want != NULL && strcmp(e->d_name, want) == 0)
			found = true;
		else
			tt_fail(R, "after mmipc rm --stale, %s/%s is left "
				"(tool said:\n%s)", R->dir, e->d_name, out);
	}
	closedir(d);
	if (want != NULL && !found)
		tt_fail(R, "mmipc rm --stale removed the live ring %s "
			"(tool said:\n%s)", want, out);
}

/* tt_producer_gone - a producer was reaped: what it tried but did not
 * confirm may or may not have been published. Recorded before a
 * replacement starts, so the consumer knows before it can see a gap. */
void tt_producer_gone(struct tt_run *R)
{
	struct tt_ledger *L = R->L;
	uint64_t n = L->nmaybe;

	if (L->p_conf >= L->p_tried)
		return;
	CHECK(n < TT_MAYBE_MAX, "too many dead producers on one ring");
	L->maybe[n][0] = L->p_conf;
	L->maybe[n][1] = L->p_tried;
	rg_store(&L->nmaybe, n + 1);
	rg_store(&L->p_conf, L->p_tried);
}

/*
 * tt_wait_works - after end[@idx] was (re)started: the stream flows again.
 * A new producer (incarnation @inc): the consumer took one of its
 * messages. A new consumer: it took a message. At most 10 s.
 */
bool tt_wait_works(struct tt_run *R, int idx, uint64_t inc)
{
	uint64_t until = tt_now() + 10000000000ull;

	for (;;) {
		if (idx == TT_PROD && rg_load(&R->L->c_inc) >= inc)
			return true;
		if (idx == TT_CONS && rg_load(&R->L->end[TT_CONS].taken) > 0)
			return true;
		if (!tt_all_alive(R))
			return false;
		if (tt_now() > until) {
			tt_fail(R, "the channel does not work again 10 s after "
				"a new %s", idx == TT_PROD ? "producer"
							   : "consumer");
			return false;
		}
		tt_sleep_us(200);
	}
}
