/*
 * json.c - the results as one JSON document (--json FILE, '-' for stdout):
 *
 *   { "tool": "mmipc-bench", "version", "mode", "params": {...},
 *     "cpus", "pinned": [A, B] or null, "pin_note", "clock_ns",
 *     "rows": [ { "mechanism", "size", "p50_ns", "p99_ns", "p999_ns",
 *                 "max_ns", "msgs_per_s", "mb_per_s", "cpu_s",
 *                 "cacheline_ns", ...more, "error" }, ... ],
 *     "skipped": [ { "mechanism", "install" }, ... ] }
 *
 * One object per row and message size; what a row does not measure is
 * null (memcpy has only mb_per_s; futex, eventfd and the cache line have
 * no stream). Latencies are one-way (RTT/2) nanoseconds; cacheline_ns is
 * the probe's one-way p50 taken just before the row; cpu_s is the CPU
 * time of both sides over every timed part of the row.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "mmipc.h"

#include "report.h"

static void jstr(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* jnum - "key": number, or null when !ok (or not finite). */
static void jnum(FILE *f, const char *key, bool ok, double v)
{
	fprintf(f, ",\n      \"%s\": ", key);
	if (ok && isfinite(v))
		fprintf(f, "%.10g", v);
	else
		fputs("null", f);
}

static void row_json(const struct config *cfg, const struct result *r,
		     FILE *f)
{
	const struct lat_result *l = &r->lat;
	const struct thr_result *t = &r->thr;
	bool lat = r->lat_ok, thr = r->thr_ok && !r->is_memcpy;
	bool probe = lat && r->probe_p50 > 0;
	double pipe = pipe_mb(cfg, r->size);

	fputs("    {\n      \"mechanism\": ", f);
	jstr(f, r->mech);
	fprintf(f, ",\n      \"size\": %zu", r->size);
	jnum(f, "p50_ns", lat, l->p50);
	jnum(f, "p99_ns", lat, l->p99);
	jnum(f, "p999_ns", lat, l->p999);
	jnum(f, "max_ns", lat, l->max);
	jnum(f, "msgs_per_s", thr, t->msgs);
	jnum(f, "mb_per_s", r->thr_ok, t->mb);
	jnum(f, "cpu_s", r->lat_ok || r->thr_ok, r->cpu_s);
	jnum(f, "cacheline_ns", probe, r->probe_p50);
	/* more than the brief asked for: the rest of what the tables show */
	jnum(f, "cacheline_p99_ns", probe, r->probe_p99);
	jnum(f, "p50_over_cacheline", probe, l->p50 / r->probe_p50);
	jnum(f, "p99_over_cacheline", probe, l->p99 / r->probe_p99);
	jnum(f, "round_trips", lat, (double)l->rounds);
	jnum(f, "lat_cpu_a_s", lat, l->cpu_a);
	jnum(f, "lat_cpu_b_s", lat, l->cpu_b);
	jnum(f, "lat_wall_s", lat, l->wall);
	jnum(f, "csw_per_rt", lat, l->csw_rt);
	jnum(f, "lat_preempted", lat, (double)l->icsw);
	jnum(f, "msgs_per_s_min", thr, t->msgs_min);
	jnum(f, "msgs_per_s_max", thr, t->msgs_max);
	jnum(f, "mb_per_s_min", r->thr_ok, t->mb_min);
	jnum(f, "mb_per_s_max", r->thr_ok, t->mb_max);
	jnum(f, "mb_over_pipe", thr && pipe > 0, t->mb / pipe);
	jnum(f, "thr_runs", r->thr_ok, t->runs);
	jnum(f, "thr_cpu_a_s", r->thr_ok, t->cpu_a);
	jnum(f, "thr_cpu_b_s", thr, t->cpu_b);
	jnum(f, "thr_wall_s", r->thr_ok, t->wall);
	jnum(f, "thr_preempted", thr, (double)t->icsw);
	fputs(",\n      \"error\": ", f);
	if (r->failed)
		jstr(f, r->why);
	else
		fputs("null", f);
	fputs("\n    }", f);
}

static void doc_json(const struct config *cfg, FILE *f)
{
	const struct params *p = &cfg->p;
	bool first = true;
	int i;

	fprintf(f, "{\n  \"tool\": \"mmipc-bench\",\n  \"version\": ");
	jstr(f, mmipc_version());
	fprintf(f, ",\n  \"mode\": ");
	jstr(f, cfg->mode);
	fprintf(f, ",\n  \"params\": {\"warmup\": %llu, \"round_trips\": "
		"%llu, \"probe_round_trips\": %llu, \"stream_seconds\": %g, "
		"\"stream_runs\": %d},\n", (unsigned long long)p->warmup,
		(unsigned long long)p->rounds,
		(unsigned long long)p->probe_rounds, p->seconds, p->runs);
	fprintf(f, "  \"cpus\": %d,\n  \"pinned\": ", cfg->ncpus);
	if (p->cpu[0] >= 0)
		fprintf(f, "[%d, %d]", p->cpu[0], p->cpu[1]);
	else
		fputs("null", f);
	fputs(",\n  \"pin_note\": ", f);
	if (cfg->pin_note[0])
		jstr(f, cfg->pin_note);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"clock_ns\": %.2f,\n  \"load\": [%.2f, %.2f],\n"
		"  \"rows\": [\n", cfg->clock_ns, cfg->load[0], cfg->load[1]);
	for (i = 0; i < cfg->nres; i++) {
		if (i)
			fputs(",\n", f);
		row_json(cfg, &cfg->res[i], f);
	}
	fputs("\n  ],\n  \"skipped\": [", f);
	for (i = 0; i < cfg->nrows; i++) {
		if (cfg->rows[i].off || cfg->rows[i].m ||
		    strcmp(cfg->rows[i].name, "memcpy") == 0)
			continue;
		fprintf(f, "%s\n    {\"mechanism\": ", first ? "" : ",");
		jstr(f, cfg->rows[i].name);
		fputs(", \"install\": ", f);
		jstr(f, cfg->rows[i].pkg);
		fputc('}', f);
		first = false;
	}
	fprintf(f, "%s]\n}\n", first ? "" : "\n  ");
}

int write_json(const struct config *cfg)
{
	FILE *f;
	int bad;

	if (strcmp(cfg->json, "-") == 0) {
		doc_json(cfg, stdout);
		return 0;
	}
	f = fopen(cfg->json, "w");
	if (!f) {
		fprintf(stderr, "mmipc-bench: %s: %s\n", cfg->json,
			strerror(errno));
		return -1;
	}
	doc_json(cfg, f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "mmipc-bench: %s: write error\n", cfg->json);
		return -1;
	}
	return 0;
}
