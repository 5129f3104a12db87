/*
 * report.c - the text a run prints: a header saying how it measures, a
 * progress line per row on stderr, and two tables on stdout (latency and
 * throughput, every row in both, with the ratios the rows are judged by).
 */
#include <string.h>

#include "mmipc.h"

#include "report.h"

void print_header(const struct config *cfg, FILE *f)
{
	const struct params *p = &cfg->p;

	fprintf(f, "mmipc-bench %s (libmmipc %s): %s run\n",
		MMIPC_VERSION_STRING, mmipc_version(), cfg->mode);
	fprintf(f, "latency: ping-pong, %llu warm-up + %llu timed round "
		"trips, one-way = RTT/2;\n         cache-line probe of %llu "
		"round trips before every row\n",
		(unsigned long long)p->warmup, (unsigned long long)p->rounds,
		(unsigned long long)p->probe_rounds);
	fprintf(f, "throughput: one-way stream, %d run%s of %g s, every "
		"message checked\n            (sequence + checksum); median "
		"shown, MB = 10^6 bytes of payload\n", p->runs,
		p->runs > 1 ? "s" : "", p->seconds);
	if (p->cpu[0] >= 0)
		fprintf(f, "cpus: %d online; side A pinned to CPU %d, side B "
			"to CPU %d\n", cfg->ncpus, p->cpu[0], p->cpu[1]);
	else
		fprintf(f, "cpus: %d online; pinning failed (%s): the sides "
			"are NOT pinned\n", cfg->ncpus, cfg->pin_note);
	fprintf(f, "clock: clock_gettime(CLOCK_MONOTONIC) costs %.1f ns a "
		"call (one pair per round trip, included)\n",
		cfg->clock_ns);
	fprintf(f, "load: %.2f before the run (1-minute average); other "
		"work on these CPUs shows as\n      preempt = involuntary "
		"context switches of the two sides, and as cpu < 100%% of\n"
		"      a side that spins\n\n", cfg->load[0]);
	fflush(f);
}

void progress(const struct config *cfg, const struct result *r)
{
	char lat[160] = "", thr[80] = "";

	(void)cfg;
	if (r->failed) {
		fprintf(stderr, "%-15s %7zu  FAILED: %s\n", r->mech, r->size,
			r->why);
		return;
	}
	if (r->lat_ok)
		snprintf(lat, sizeof(lat), "probe %4.0f ns  one-way p50 %7.0f "
			 "p99 %8.0f ns (%.1fx probe)", r->probe_p50,
			 r->lat.p50, r->lat.p99,
			 r->probe_p50 > 0 ? r->lat.p50 / r->probe_p50 : 0);
	if (r->thr_ok)
		snprintf(thr, sizeof(thr), "%s%.0f MB/s", r->lat_ok ? "  " : "",
			 r->thr.mb);
	fprintf(stderr, "%-15s %7zu  %s%s\n", r->mech, r->size, lat, thr);
}

double pipe_mb(const struct config *cfg, size_t size)
{
	int i;

	for (i = 0; i < cfg->nres; i++)
		if (strcmp(cfg->res[i].mech, "pipe") == 0 &&
		    cfg->res[i].size == size && cfg->res[i].thr_ok)
			return cfg->res[i].thr.mb;
	return 0;
}

static double pct_of(double cpu, double wall)
{
	return wall > 0 ? 100.0 * cpu / wall : 0;
}

static void lat_line(const struct result *r, FILE *f)
{
	const struct lat_result *l = &r->lat;
	char probe[32] = "        -", x50[16] = "     -", x99[16] = "     -";

	fprintf(f, "%-15s %7zu ", r->mech, r->size);
	if (!r->lat_ok) {
		fprintf(f, " FAILED: %s\n", r->why);
		return;
	}
	if (r->probe_p50 > 0) {
		snprintf(probe, sizeof(probe), "%4.0f/%4.0f", r->probe_p50,
			 r->probe_p99);
		snprintf(x50, sizeof(x50), "%6.1f", l->p50 / r->probe_p50);
		snprintf(x99, sizeof(x99), "%6.1f", l->p99 / r->probe_p99);
	}
	fprintf(f, "%9s %8.0f %8.0f %8.0f %9.0f %s %s %5.0f%% %5.0f%% "
		"%6.2f %7ld\n", probe, l->p50, l->p99, l->p999, l->max, x50,
		x99, pct_of(l->cpu_a, l->wall), pct_of(l->cpu_b, l->wall),
		l->csw_rt, l->icsw);
}

static void thr_line(const struct config *cfg, const struct result *r,
		     FILE *f)
{
	const struct thr_result *t = &r->thr;
	double pipe = pipe_mb(cfg, r->size);
	char msgs[24] = "-", xp[16] = "-", spread[40];

	fprintf(f, "%-15s %7zu ", r->mech, r->size);
	if (r->failed && !r->thr_ok) {
		fprintf(f, " FAILED: %s\n", r->why);
		return;
	}
	if (!r->is_memcpy)
		snprintf(msgs, sizeof(msgs), "%.0f", t->msgs);
	if (!r->is_memcpy && pipe > 0)
		snprintf(xp, sizeof(xp), "%.2f", t->mb / pipe);
	snprintf(spread, sizeof(spread), "%.1f..%.1f", t->mb_min, t->mb_max);
	if (r->is_memcpy)
		fprintf(f, "%11s %10.1f %21s %7s %5.0f%% %6s %7s\n", msgs,
			t->mb, spread, xp, pct_of(t->cpu_a, t->wall), "-", "-");
	else
		fprintf(f, "%11s %10.1f %21s %7s %5.0f%% %5.0f%% %7ld\n",
			msgs, t->mb, spread, xp, pct_of(t->cpu_a, t->wall),
			pct_of(t->cpu_b, t->wall), t->icsw);
}

/* ---------------------------------------------------------------- */
/* Summary: the ratios mmipc's rings are judged by                   */
/* ---------------------------------------------------------------- */

static const struct result *find(const struct config *cfg, const char *mech,
				 size_t size)
{
	int i;

	for (i = 0; i < cfg->nres; i++)
		if (strcmp(cfg->res[i].mech, mech) == 0 &&
		    cfg->res[i].size == size && !cfg->res[i].failed)
			return &cfg->res[i];
	return NULL;
}

static const char *const peers[] = { "zmq", "nng", "boost-mq", "iceoryx" };

/* best_peer - the peer with the lowest p50 (lat) or highest MB/s. */
static const struct result *best_peer(const struct config *cfg, size_t size,
				      bool lat)
{
	const struct result *r, *best = NULL;
	size_t i;

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		r = find(cfg, peers[i], size);
		if (!r || (lat ? !r->lat_ok : !r->thr_ok))
			continue;
		if (!best || (lat ? r->lat.p50 < best->lat.p50 :
				    r->thr.mb > best->thr.mb))
			best = r;
	}
	return best;
}

static void summary_size(const struct config *cfg, size_t size, FILE *f)
{
	const struct result *ring = find(cfg, "ring", size);
	const struct result *pipe = find(cfg, "pipe", size);
	const struct result *bl = best_peer(cfg, size, true);
	const struct result *bt = best_peer(cfg, size, false);

	if (!ring)
		return;
	if (ring->lat_ok && ring->probe_p50 > 0)
		fprintf(f, "  ring %4zu: one-way p50 %.0f ns = %.1fx the "
			"probe's, p99 %.0f ns = %.1fx the probe's\n", size,
			ring->lat.p50, ring->lat.p50 / ring->probe_p50,
			ring->lat.p99, ring->lat.p99 / ring->probe_p99);
	if (ring->thr_ok && pipe && pipe->thr_ok)
		fprintf(f, "  ring %4zu: %.0f MB/s = %.2fx the pipe's\n", size,
			ring->thr.mb, ring->thr.mb / pipe->thr.mb);
	if (ring->lat_ok && bl)
		fprintf(f, "  ring %4zu: p50 %.0f ns vs the best peer's %.0f "
			"ns (%s): %.1fx faster\n", size, ring->lat.p50,
			bl->lat.p50, bl->mech, bl->lat.p50 / ring->lat.p50);
	if (ring->thr_ok && bt)
		fprintf(f, "  ring %4zu: %.0f MB/s vs the best peer's %.0f MB/s "
			"(%s): %.2fx\n", size, ring->thr.mb, bt->thr.mb,
			bt->mech, ring->thr.mb / bt->thr.mb);
}

static void print_summary(const struct config *cfg, FILE *f)
{
	const struct result *zc = find(cfg, "ring-zc", 4096);
	const struct result *cp = find(cfg, "memcpy", 65536);
	const struct result *sl = find(cfg, "ring-sleep", 64);
	const struct result *fu = find(cfg, "futex", 4);
	int i;

	if (!find(cfg, "ring", 64) && !find(cfg, "ring", 4096) && !zc && !sl)
		return;
	fprintf(f, "\nmmipc in this run:\n");
	for (i = 0; i < 2; i++)
		summary_size(cfg, i ? 4096 : 64, f);
	if (zc && zc->thr_ok && cp && cp->thr_ok)
		fprintf(f, "  ring-zc 4096: %.0f MB/s = %.2fx memcpy of 64 KiB\n",
			zc->thr.mb, zc->thr.mb / cp->thr.mb);
	if (sl && sl->lat_ok && fu && fu->lat_ok)
		fprintf(f, "  ring-sleep 64: p50 %.0f ns = %.2fx the raw futex's "
			"(%.0f ns)\n", sl->lat.p50, sl->lat.p50 / fu->lat.p50,
			fu->lat.p50);
}

void print_tables(const struct config *cfg, FILE *f)
{
	const struct result *r;
	int i, side, err;

	fprintf(f, "\nLatency: one-way ns (RTT/2). probe = cache-line "
		"one-way p50/p99 just before the row;\nx = the row's p50 "
		"and p99 over the probe's; cpu = %% of the timed part's wall "
		"time;\ncsw/rt = voluntary context switches (both sides) per "
		"round trip\n");
	fprintf(f, "%-15s %7s %9s %8s %8s %8s %9s %6s %6s %6s %6s %6s "
		"%7s\n", "mechanism", "size", "probe", "p50", "p99", "p99.9",
		"max", "x p50", "x p99", "cpu A", "cpu B", "csw/rt",
		"preempt");
	for (i = 0; i < cfg->nres; i++) {
		r = &cfg->res[i];
		if (!r->is_memcpy && (r->lat_ok || r->failed))
			lat_line(r, f);
	}

	fprintf(f, "\nThroughput: one-way stream, median of the runs; "
		"x pipe = MB/s over the pipe's at the\nsame size; cpu = %% of "
		"the wall time used by the producer (P) and consumer (C)\n");
	fprintf(f, "%-15s %7s %11s %10s %21s %7s %6s %6s %7s\n",
		"mechanism", "size", "msgs/s", "MB/s", "min..max MB/s",
		"x pipe", "cpu P", "cpu C", "preempt");
	for (i = 0; i < cfg->nres; i++) {
		r = &cfg->res[i];
		if (r->thr_ok || r->failed)
			thr_line(cfg, r, f);
	}

	print_summary(cfg, f);
	fprintf(f, "\n");
	for (i = 0; i < cfg->nrows; i++)
		if (!cfg->rows[i].off && !cfg->rows[i].m &&
		    strcmp(cfg->rows[i].name, "memcpy") != 0)
			fprintf(f, "%s: skipped (install %s)\n",
				cfg->rows[i].name, cfg->rows[i].pkg);
	for (side = 0; side < 2; side++) {
		err = bench_pin_error(side);
		if (err)
			fprintf(f, "note: side %c could not be pinned: %s\n",
				"AB"[side], strerror(err));
	}
	fprintf(f, "load: %.2f after the run\n", cfg->load[1]);
}
