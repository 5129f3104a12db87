/*
 * main.c - mmipc-bench: every IPC mechanism of this machine measured side
 * by side, the same way, in one run ("mmipc bench" runs this program).
 *
 *	mmipc-bench [--quick | --smoke] [--only ROW,...] [--json FILE]
 *		    [--plot FILE.svg] [--rounds N] [--warmup N]
 *		    [--seconds S] [--runs N] [--cpus A,B]
 *
 * The rows run in a fixed order: the limit (cache line, memcpy), the
 * kernel, the peer libraries that were found at build time, then mmipc's
 * rings. Before every row and size a short cache-line probe is taken, and
 * the row's latency is compared with it: the host moves this machine's
 * vCPUs around, so absolute numbers drift from minute to minute while a
 * ratio to the probe taken at the same moment holds. Throughput is
 * compared with the pipe at the same message size.
 *
 * A row that fails says why and the run goes on; the exit status is 1 if
 * any row failed, 2 for a usage error, 0 otherwise. Progress goes to
 * stderr, the tables to stdout (to stderr with --json -, so that stdout is
 * the JSON alone).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmipc.h"

#include "bench.h"
#include "report.h"

#define NSIZES 2
static const size_t sizes[NSIZES] = { 64, 4096 };
static const size_t copy_sizes[3] = { 4096, 65536, 1048576 };

static struct row rows[] = {
	{ "cacheline", &mech_cacheline, NULL, 64, false },
	{ "memcpy", NULL, NULL, 0, false },
	{ "pipe", &mech_pipe, NULL, 0, false },
	{ "unix-stream", &mech_unix_stream, NULL, 0, false },
	{ "unix-seqpacket", &mech_unix_seqpacket, NULL, 0, false },
	{ "posix-mq", &mech_posix_mq, NULL, 0, false },
	{ "sysv-mq", &mech_sysv_mq, NULL, 0, false },
	{ "futex", &mech_futex, NULL, 4, false },
	{ "eventfd", &mech_eventfd, NULL, 8, false },
	{ "zmq", MECH_ZMQ, "libzmq3-dev", 0, false },
	{ "nng", MECH_NNG, "libnng-dev", 0, false },
	{ "boost-mq", MECH_BOOST, "libboost-dev", 0, false },
	{ "iceoryx", MECH_ICEORYX, "iceoryx libiceoryx-binding-c-dev", 0,
	  false },
	{ "ring", &mech_ring, NULL, 0, false },
	{ "ring-zc", &mech_ring_zc, NULL, 0, false },
	{ "ring-spin", &mech_ring_spin, NULL, 0, false },
	{ "ring-sleep", &mech_ring_sleep, NULL, 0, false },
};

#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

static bool is_memcpy(const struct row *r)
{
	return strcmp(r->name, "memcpy") == 0;
}

static bool is_skipped(const struct row *r)
{
	return !r->m && !is_memcpy(r);
}

/* ---------------------------------------------------------------- */
/* Options                                                           */
/* ---------------------------------------------------------------- */

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"\n"
		"Measure every IPC mechanism of this machine side by side, "
		"the same way:\n"
		"two processes pinned to two CPUs; latency by ping-pong "
		"(one-way = RTT/2),\nthroughput by a one-way stream the "
		"consumer checks message by message.\n"
		"\n"
		"Options:\n"
		"  -q, --quick          a short run (under a minute)\n"
		"      --smoke          a few seconds: prove that every row "
		"works\n"
		"  -o, --only ROW,...   run only these rows (see --list)\n"
		"  -l, --list           list the rows and exit\n"
		"  -j, --json FILE      also write the results as JSON "
		"('-': stdout, the\n"
		"                       tables then go to stderr)\n"
		"  -p, --plot FILE.svg  draw latency distributions and "
		"throughput (gnuplot)\n"
		"      --rounds N       timed round trips (default 200000)\n"
		"      --warmup N       warm-up round trips (default 10000)\n"
		"      --seconds S      length of a stream run (default 1)\n"
		"      --runs N         stream runs, the median is shown "
		"(default 3, max 9)\n"
		"      --cpus A,B       the CPUs of the two sides (default: "
		"the first two)\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit status: 0 all rows ran, 1 a row failed, 2 usage.\n",
		prog);
}

static void list_rows(void)
{
	int i;

	for (i = 0; i < NROWS; i++) {
		if (is_skipped(&rows[i]))
			printf("%-15s skipped (install %s)\n", rows[i].name,
			       rows[i].pkg);
		else
			printf("%-15s %s\n", rows[i].name,
			       is_memcpy(&rows[i]) ?
			       "single-thread memcpy of 4 KiB, 64 KiB, 1 MiB" :
			       rows[i].m->what);
	}
}

/* select_rows - mark the rows of a comma-separated list; -1 on a name
 * that is no row. */
static int select_rows(char *list)
{
	char *name, *save = NULL;
	int i;

	for (i = 0; i < NROWS; i++)
		rows[i].off = true;
	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NROWS && strcmp(rows[i].name, name); i++)
			;
		if (i == NROWS) {
			fprintf(stderr, "mmipc-bench: --only: no row '%s' "
				"(see --list)\n", name);
			return -1;
		}
		rows[i].off = false;
	}
	return 0;
}

static int parse_num(const char *opt, const char *s, double lo, double hi,
		     double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= lo && *out <= hi)) {
		fprintf(stderr, "mmipc-bench: %s '%s': want a number from "
			"%g to %g\n", opt, s, lo, hi);
		return -1;
	}
	return 0;
}

static int parse_cpus(const char *s, int cpu[2])
{
	if (sscanf(s, "%d,%d", &cpu[0], &cpu[1]) != 2 || cpu[0] < 0 ||
	    cpu[1] < 0 || cpu[0] == cpu[1] || cpu[0] >= CPU_SETSIZE ||
	    cpu[1] >= CPU_SETSIZE) {
		fprintf(stderr, "mmipc-bench: --cpus '%s': want two different "
			"CPU numbers, A,B\n", s);
		return -1;
	}
	return 0;
}

enum { O_SMOKE = 256, O_ROUNDS, O_WARMUP, O_SECONDS, O_RUNS, O_CPUS };

/* parse - into cfg; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "smoke", no_argument, NULL, O_SMOKE },
		{ "only", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "json", required_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double rounds = -1, warmup = -1, seconds = -1, runs = -1;
	int c, rc = 0;

	cfg->p.cpu[0] = cfg->p.cpu[1] = -1;
	while ((c = getopt_long(argc, argv, "qo:lj:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': cfg->mode = "quick"; break;
		case O_SMOKE: cfg->mode = "smoke"; break;
		case 'o': rc = select_rows(optarg); break;
		case 'l': list_rows(); return 0;
		case 'j': cfg->json = optarg; break;
		case 'p': cfg->plot = optarg; break;
		case O_ROUNDS:
			rc = parse_num("--rounds", optarg, 1, 1e8, &rounds);
			break;
		case O_WARMUP:
			rc = parse_num("--warmup", optarg, 0, 1e8, &warmup);
			break;
		case O_SECONDS:
			rc = parse_num("--seconds", optarg, 0.001, 600,
				       &seconds);
			break;
		case O_RUNS:
			rc = parse_num("--runs", optarg, 1, 9, &runs);
			break;
		case O_CPUS:
			rc = parse_cpus(optarg, cfg->p.cpu);
			cfg->cpus_given = true;
			break;
		case 'h': usage(stdout, argv[0]); return 0;
		default: usage(stderr, argv[0]); return 2;
		}
		if (rc < 0) {
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmipc-bench: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	if (strcmp(cfg->mode, "smoke") == 0)
		cfg->p = (struct params){ 100, 1000, 1000, 0.02, 1,
					  { cfg->p.cpu[0], cfg->p.cpu[1] } };
	else if (strcmp(cfg->mode, "quick") == 0)
		cfg->p = (struct params){ 1000, 20000, 5000, 0.2, 3,
					  { cfg->p.cpu[0], cfg->p.cpu[1] } };
	else
		cfg->p = (struct params){ 10000, 200000, 20000, 1.0, 3,
					  { cfg->p.cpu[0], cfg->p.cpu[1] } };
	if (rounds > 0)
		cfg->p.rounds = (uint64_t)rounds;
	if (warmup >= 0)
		cfg->p.warmup = (uint64_t)warmup;
	if (seconds > 0)
		cfg->p.seconds = seconds;
	if (runs > 0)
		cfg->p.runs = (int)runs;
	return -1;
}

/*
 * choose_cpus - the first two CPUs we may run on (unless --cpus), and
 * whether pinning to them works: tried on this process, then undone.
 */
static void choose_cpus(struct config *cfg)
{
	cpu_set_t orig;
	int i, n = 0, err;

	if (sched_getaffinity(0, sizeof(orig), &orig) < 0) {
		snprintf(cfg->pin_note, sizeof(cfg->pin_note),
			 "sched_getaffinity: %s", strerror(errno));
		cfg->p.cpu[0] = cfg->p.cpu[1] = -1;
		return;
	}
	for (i = 0; i < CPU_SETSIZE && !cfg->cpus_given && n < 2; i++)
		if (CPU_ISSET(i, &orig))
			cfg->p.cpu[n++] = i;
	if (!cfg->cpus_given && n < 2) {
		snprintf(cfg->pin_note, sizeof(cfg->pin_note),
			 "only %d CPU allowed", n);
		cfg->p.cpu[0] = cfg->p.cpu[1] = -1;
		return;
	}
	for (i = 0; i < 2; i++) {
		err = pin_to(cfg->p.cpu[i]);
		if (err < 0) {
			snprintf(cfg->pin_note, sizeof(cfg->pin_note),
				 "sched_setaffinity(CPU %d): %s",
				 cfg->p.cpu[i], strerror(-err));
			cfg->p.cpu[0] = cfg->p.cpu[1] = -1;
			break;
		}
	}
	if (sched_setaffinity(0, sizeof(orig), &orig) < 0)
		fprintf(stderr, "mmipc-bench: sched_setaffinity (restoring): "
			"%s\n", strerror(errno));
}

/* ---------------------------------------------------------------- */
/* Running the rows                                                  */
/* ---------------------------------------------------------------- */

static struct result *new_result(struct config *cfg, const char *name,
				 size_t size)
{
	struct result *r = &cfg->res[cfg->nres++];

	memset(r, 0, sizeof(*r));
	r->mech = name;
	r->size = size;
	return r;
}

static void run_memcpy(struct config *cfg)
{
	struct result *r;
	int i;

	for (i = 0; i < 3 && !bench_interrupted(); i++) {
		r = new_result(cfg, "memcpy", copy_sizes[i]);
		r->is_memcpy = true;
		if (memcpy_bw(copy_sizes[i], &cfg->p, &r->thr, r->why,
			      sizeof(r->why)) < 0) {
			r->failed = true;
		} else {
			r->thr_ok = true;
			r->cpu_s = r->thr.cpu_a;
		}
		progress(cfg, r);
	}
}

/* run_size - probe, ping-pong and (for rows with a payload) stream. */
static void run_size(struct config *cfg, const struct row *row, size_t size)
{
	struct result *r = new_result(cfg, row->name, row->sig_size ?
				      row->sig_size : size);
	const struct mech *m = row->m;

	if (bench_probe(&cfg->p, &r->probe_p50, &r->probe_p99) < 0)
		r->probe_p50 = r->probe_p99 = 0;
	if (bench_latency(m, size, &cfg->p, cfg->p.warmup, cfg->p.rounds,
			  &r->lat, r->why, sizeof(r->why)) < 0) {
		r->failed = true;
	} else {
		r->lat_ok = true;
		r->cpu_s += r->lat.cpu_a + r->lat.cpu_b;
	}
	if (!r->failed && !(m->flags & M_NOPAYLOAD) && !bench_interrupted()) {
		if (bench_stream(m, size, &cfg->p, &r->thr, r->why,
				 sizeof(r->why)) < 0) {
			r->failed = true;
		} else {
			r->thr_ok = true;
			r->cpu_s += r->thr.cpu_a + r->thr.cpu_b;
		}
	}
	progress(cfg, r);
}

static void run_row(struct config *cfg, const struct row *row)
{
	struct result *r;
	char why[256] = "";
	int i;

	if (is_skipped(row)) {
		fprintf(stderr, "%s: skipped (install %s)\n", row->name,
			row->pkg);
		return;
	}
	if (is_memcpy(row)) {
		run_memcpy(cfg);
		return;
	}
	if (row->m->row_start && row->m->row_start(why, sizeof(why)) < 0) {
		r = new_result(cfg, row->name, sizes[0]);
		r->failed = true;
		snprintf(r->why, sizeof(r->why), "%s", why);
		progress(cfg, r);
		return;
	}
	for (i = 0; i < NSIZES && !bench_interrupted(); i++) {
		run_size(cfg, row, sizes[i]);
		if (row->sig_size)
			break;	/* no payload: one size says it all */
	}
	if (row->m->row_stop)
		row->m->row_stop();
}

int main(int argc, char **argv)
{
	static struct config cfg = { .mode = "default" };
	int i, rc, failed = 0;
	FILE *out;

	cfg.rows = rows;
	cfg.nrows = NROWS;
	/* "mmipc bench" when run by the tool, else the program's name */
	if (strrchr(argv[0], '/'))
		argv[0] = strrchr(argv[0], '/') + 1;
	rc = parse(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	bench_catch_signals();
	choose_cpus(&cfg);
	cfg.clock_ns = clock_cost_ns();
	cfg.ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (getloadavg(&cfg.load[0], 1) < 1)
		cfg.load[0] = -1;
	out = cfg.json && strcmp(cfg.json, "-") == 0 ? stderr : stdout;
	print_header(&cfg, out);

	for (i = 0; i < NROWS && !bench_interrupted(); i++)
		if (!rows[i].off)
			run_row(&cfg, &rows[i]);

	if (getloadavg(&cfg.load[1], 1) < 1)
		cfg.load[1] = -1;
	print_tables(&cfg, out);
	for (i = 0; i < cfg.nres; i++)
		failed += cfg.res[i].failed;
	if (cfg.json && write_json(&cfg) < 0)
		failed++;
	if (cfg.plot && !bench_interrupted() && write_plot(&cfg) < 0)
		failed++;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mmipc-bench: write error on stdout\n");
		return 1;
	}
	if (bench_interrupted()) {
		fprintf(stderr, "mmipc-bench: interrupted\n");
		return 1;
	}
	if (failed)
		fprintf(stderr, "mmipc-bench: %d measurement(s) failed\n",
			failed);
	return failed ? 1 : 0;
}
