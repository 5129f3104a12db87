/*
 * report.h - what a run found and how it is shown: the tables and
 * progress lines (report.c), the JSON file (json.c), the SVG (plot.c).
 */
#ifndef MMIPC_BENCH_REPORT_H
#define MMIPC_BENCH_REPORT_H

#include <stdio.h>

#include "bench.h"

/* A row of the run: one mechanism. */
struct row {
	const char *name;	/* as in --only and the JSON "mechanism" */
	const struct mech *m;	/* NULL: its package was not found */
	const char *pkg;	/* what to install for it */
	size_t sig_size;	/* no payload: the size it signals with */
	bool off;		/* not selected by --only */
};

/* One row at one message size. */
struct result {
	const char *mech;
	size_t size;
	bool is_memcpy;
	bool lat_ok, thr_ok, failed;
	char why[256];			/* when failed */
	double probe_p50, probe_p99;	/* the cache-line probe before it */
	struct lat_result lat;
	struct thr_result thr;
	double cpu_s;			/* both sides, every timed part */
};

#define MAX_RESULTS 64

struct config {
	const char *mode;		/* "default", "quick", "smoke" */
	const char *json, *plot;	/* output files, or NULL */
	struct params p;
	bool cpus_given;
	char pin_note[160];		/* why the sides are not pinned */
	double clock_ns;
	double load[2];			/* load average before and after */
	int ncpus;
	const struct row *rows;
	int nrows;
	struct result res[MAX_RESULTS];
	int nres;
};

/* report.c */
void print_header(const struct config *cfg, FILE *f);
void progress(const struct config *cfg, const struct result *r);
void print_tables(const struct config *cfg, FILE *f);
/* pipe_mb - the pipe's MB/s at this size in this run, 0 if none */
double pipe_mb(const struct config *cfg, size_t size);

/* json.c: write cfg->json; -1 (and a message) if it cannot be written */
int write_json(const struct config *cfg);

/* plot.c: draw cfg->plot with gnuplot, or say how to get gnuplot (0) */
int write_plot(const struct config *cfg);

#endif /* MMIPC_BENCH_REPORT_H */
