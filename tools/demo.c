/*
 * demo.c - mmipc demo: run the classic shared-memory scenarios, narrated.
 *
 *	mmipc demo [--list] [--seconds S] [SCENARIO...]
 *
 * Each scenario is one of the example programs (examples/), started as a
 * separate process; the demo prints a header and what to look for, relays
 * the program's output indented, and says what it showed. The programs
 * check their own results (exit 0 only when what they show happened); the
 * demo checks their exit status, and that nothing was left behind in /tmp
 * or the shm directory: every file or region a scenario may create is named
 * after the demo's pid and removed here if the program did not remove it.
 *
 * The programs run in their own process groups, so the demo alone decides
 * their fate: on a timeout, Ctrl-C or SIGTERM it kills the groups, reaps
 * them and cleans up what they left. Running them and cleaning up after
 * them is spawn.c's part; this file holds the scenarios and the command.
 *
 * Where the programs are: $MMIPC_EXAMPLES_DIR if set; else the directory
 * of this executable (in the build tree everything is in build/bin); else
 * MMIPC_LIBEXECDIR, where they are installed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "spawn.h"

#ifndef MMIPC_LIBEXECDIR
#define MMIPC_LIBEXECDIR "/usr/local/libexec/mmipc"
#endif

/* The writer-reader scenario: one value every 20 ms, ~15 lines printed. */
#define WR_INTERVAL_US	20000
#define WR_LINES	15

/* Then writer-reader's burst and the ring scenario: this many values as
 * fast as the writer can; the ring reader prints one in FAST_EVERY. */
#define FAST_COUNT	100000
#define FAST_EVERY	20000

/* The example programs. */
enum { P_FORK_FILE, P_FORK_ANON, P_WRITER, P_READER, P_MAPFILE, NPROGS };

static const char *const prog_names[NPROGS] = {
	[P_FORK_FILE] = "mmipc-ex-fork-file",
	[P_FORK_ANON] = "mmipc-ex-fork-anon",
	[P_WRITER] = "mmipc-ex-writer",
	[P_READER] = "mmipc-ex-reader",
	[P_MAPFILE] = "mmipc-ex-mapfile",
};

struct demo {
	char dirs[3][PATH_MAX];	/* where to look for the programs */
	int ndirs;
	char prog[NPROGS][PATH_MAX];
	unsigned long seconds;
	int pid;		/* names the demo's files and regions */
	unsigned long burst_seen; /* values the reader saw in writer-reader's
				   * burst; 0: not run */
};

struct scenario {
	const char *name;
	const char *title;
	const char *intro;	/* what to look for */
	int progs[2];		/* programs it needs; -1 = none */
	int (*run)(struct demo *d);
};

/* ------------------------------------------------------------------ */
/* The scenarios                                                       */
/* ------------------------------------------------------------------ */

static int sc_fork_file(struct demo *d)
{
	char path[64];
	char *argv[] = { d->prog[P_FORK_FILE], path, NULL };
	struct spawn_child kid = { .argv = argv };
	struct spawn_runner rn = { .kids = &kid, .nkids = 1 };
	int rc;

	snprintf(path, sizeof(path), "/tmp/mmipc-demo-%d-fork-file", d->pid);
	rc = spawn_run(&rn, 10000);
	if (spawn_gone_file(path) < 0)
		rc = -1;
	if (rc == 0)
		printf("-> the parent read the child's string through its own "
		       "mapping of the file,\n   while its global_counter "
		       "stayed 1: fork() copied ordinary memory, not the "
		       "MAP_SHARED pages.\n");
	return rc;
}

static int sc_fork_anon(struct demo *d)
{
	char *argv[] = { d->prog[P_FORK_ANON], NULL };
	struct spawn_child kid = { .argv = argv };
	struct spawn_runner rn = { .kids = &kid, .nkids = 1 };

	if (spawn_run(&rn, 10000) < 0)
		return -1;
	printf("-> the same with no file at all; nothing was left to clean "
	       "up:\n   the memory went away with its last mapping.\n");
	return 0;
}

/* The summary line of the latest-value reader. */
struct wr_summary {
	unsigned long n, torn, retries;
	uint64_t first, last;
};

/* wr_parse - read the summary line @line into @s; -1 (said why) unless it
 * reports increasing values without torn reads. */
static int wr_parse(const char *line, struct wr_summary *s)
{
	/* sscanf: the line is our own example program's summary, not outside
	 * input. NOLINTNEXTLINE(cert-err34-c) */
	if (sscanf(line, "reader: %lu distinct values seen, first %" SCNu64
		   ", last %" SCNu64 ", strictly increasing, %lu torn reads "
		   "(%lu seqlock retries)", &s->n, &s->first, &s->last,
		   &s->torn, &s->retries) != 5 || s->torn != 0) {
		tool_errf("demo: writer-reader: the reader did not report "
			  "increasing values without torn reads");
		return -1;
	}
	return 0;
}

/* wr_result - what the reader's summary line says, in one sentence. */
static int wr_result(const struct spawn_runner *rn, unsigned long count)
{
	unsigned long wakes = 0, published = 0;
	struct wr_summary s;

	if (wr_parse(rn->grabbed[0], &s) < 0)
		return -1;
	if (s.n < count / 2) {
		/* At one value per 20 ms a reader that is woken sees nearly
		 * all of them; one that sleeps through them does not. */
		tool_errf("demo: writer-reader: the reader saw only %lu of %lu "
			  "values: it was not woken", s.n, count);
		return -1;
	}
	/* sscanf: the line is our own example program's summary, not outside
	 * input. NOLINTNEXTLINE(cert-err34-c) */
	sscanf(rn->grabbed[1], "writer: published %lu values, woke sleeping "
	       "readers %lu times", &published, &wakes);
	printf("-> the reader saw increasing values %" PRIu64 "..%" PRIu64
	       " (%lu distinct of %lu published),\n   never a torn record "
	       "(%lu seqlock retries); between updates it slept on a futex\n"
	       "   and was woken %lu times by the writer -- it never polled.\n",
	       s.first, s.last, s.n, count, s.retries, wakes);
	return 0;
}

/*
 * wr_burst - the same pair again, the writer at full speed. How many values
 * the reader sees depends on timing: it is reported, never required.
 */
static int wr_burst(struct demo *d, const char *name)
{
	char cnt[32];
	char *rargv[] = { d->prog[P_READER], "--name", (char *)name,
			  "--quiet", "--wait-ms", "5000", NULL };
	char *wargv[] = { d->prog[P_WRITER], "--name", (char *)name,
			  "--count", cnt, "--interval-us", "0", NULL };
	struct spawn_child kids[2] = { { .argv = rargv }, { .argv = wargv } };
	struct spawn_runner rn = {
		.kids = kids, .nkids = 2, .stagger = true,
		.grab = { " distinct values seen, " },
	};
	struct wr_summary s;
	int rc;

	snprintf(cnt, sizeof(cnt), "%d", FAST_COUNT);
	printf("\n   Now with no pause: %d values as fast as the writer can "
	       "publish them.\n", FAST_COUNT);
	rc = spawn_run(&rn, 30000);
	if (spawn_gone_region(name) < 0)
		rc = -1;
	if (rc < 0 || wr_parse(rn.grabbed[0], &s) < 0)
		return -1;
	if (s.last != FAST_COUNT) {
		tool_errf("demo: writer-reader: the reader's last value was "
			  "%" PRIu64 ", not %d", s.last, FAST_COUNT);
		return -1;
	}
	d->burst_seen = s.n;
	/* The reader's first value tells how far the writer was when the
	 * reader opened the region; from there on, last - first + 1 values
	 * were published, of which it saw n. */
	printf("-> the writer never waited for the reader: the reader's first "
	       "value was %" PRIu64 ",\n   and of the %" PRIu64 " values "
	       "published from then on it saw %lu and skipped %" PRIu64
	       ".\n   A latest-value region holds only the newest value.\n",
	       s.first, s.last - s.first + 1, s.n,
	       s.last - s.first + 1 - s.n);
	return 0;
}

static int sc_writer_reader(struct demo *d)
{
	unsigned long count = d->seconds * 1000000 / WR_INTERVAL_US;
	char name[64], cnt[32], every[32], interval[32];
	char *rargv[] = { d->prog[P_READER], "--name", name, "--print-every",
			  every, "--wait-ms", "5000", NULL };
	char *wargv[] = { d->prog[P_WRITER], "--name", name, "--count", cnt,
			  "--interval-us", interval, NULL };
	struct spawn_child kids[2] = { { .argv = rargv }, { .argv = wargv } };
	struct spawn_runner rn = {
		.kids = kids, .nkids = 2, .stagger = true,
		.grab = { " distinct values seen, ", "writer: published " },
	};
	int rc;

	snprintf(name, sizeof(name), "shm:mmipc-demo-%d", d->pid);
	snprintf(cnt, sizeof(cnt), "%lu", count);
	snprintf(every, sizeof(every), "%lu",
		 count > WR_LINES ? count / WR_LINES : 1);
	snprintf(interval, sizeof(interval), "%d", WR_INTERVAL_US);
	printf("   (%s: %lu values, one every %d ms; the reader prints one "
	       "in %s)\n", name, count, WR_INTERVAL_US / 1000, every);
	rc = spawn_run(&rn, (int64_t)d->seconds * 1000 + 15000);
	if (spawn_gone_region(name) < 0)
		rc = -1;
	if (rc == 0)
		rc = wr_result(&rn, count);
	if (rc == 0)
		rc = wr_burst(d, name);
	return rc;
}

static int sc_mapfile(struct demo *d)
{
	char path[64];
	char *argv[] = { d->prog[P_MAPFILE], path, NULL };
	struct spawn_child kid = { .argv = argv };
	struct spawn_runner rn = { .kids = &kid, .nkids = 1 };
	int rc;

	snprintf(path, sizeof(path), "/tmp/mmipc-demo-%d-mapfile", d->pid);
	rc = spawn_run(&rn, 10000);
	if (spawn_gone_file(path) < 0)
		rc = -1;
	if (rc == 0)
		printf("-> stores through the pointer were in the file for "
		       "pread(), and pwrite() was\n   visible through the "
		       "pointer: the mapping is the file's page cache.\n");
	return rc;
}

/* ring_result - what the ring pair printed, in two sentences. */
static int ring_result(const struct demo *d, const struct spawn_runner *rn)
{
	unsigned long sent = 0, full = 0;
	char want[160];

	snprintf(want, sizeof(want), "reader: %d values received, 1..%d, none "
		 "skipped, none repeated, 0 corrupt", FAST_COUNT, FAST_COUNT);
	if (strcmp(rn->grabbed[0], want) != 0 ||
	    /* NOLINTNEXTLINE(cert-err34-c): our own example's summary */
	    sscanf(rn->grabbed[1], "writer: sent %lu values; waited for room "
		   "in the ring %lu times", &sent, &full) != 2 ||
	    sent != FAST_COUNT) {
		tool_errf("demo: ring: the reader did not report all %d values "
			  "once each", FAST_COUNT);
		return -1;
	}
	printf("-> the reader received all %d values, none skipped, none "
	       "repeated.\n   A ring applies back-pressure: when it is full, "
	       "the writer waits for the\n   reader ", FAST_COUNT);
	if (full)
		printf("(it did, %lu times).\n", full);
	else
		printf("(this time it never had to: the reader kept up).\n");
	if (d->burst_seen)
		printf("   The latest-value region of scenario 3 never makes "
		       "the writer wait: with the\n   same burst its reader "
		       "saw %lu of the %d values.\n", d->burst_seen,
		       FAST_COUNT);
	return 0;
}

static int sc_ring(struct demo *d)
{
	char name[64], cnt[32], every[32];
	char *rargv[] = { d->prog[P_READER], "--ring", "--name", name,
			  "--print-every", every, "--wait-ms", "5000", NULL };
	char *wargv[] = { d->prog[P_WRITER], "--ring", "--name", name,
			  "--count", cnt, "--interval-us", "0", NULL };
	struct spawn_child kids[2] = { { .argv = rargv }, { .argv = wargv } };
	struct spawn_runner rn = {
		.kids = kids, .nkids = 2, .stagger = true,
		.grab = { " values received, ", "writer: sent " },
	};
	int rc;

	snprintf(name, sizeof(name), "shm:mmipc-demo-%d", d->pid);
	snprintf(cnt, sizeof(cnt), "%d", FAST_COUNT);
	snprintf(every, sizeof(every), "%d", FAST_EVERY);
	printf("   (%s: %d values, no pause; the reader prints 1 in %d)\n",
	       name, FAST_COUNT, FAST_EVERY);
	rc = spawn_run(&rn, 60000);
	if (spawn_gone_region(name) < 0)
		rc = -1;
	if (rc == 0)
		rc = ring_result(d, &rn);
	return rc;
}

static const struct scenario scenarios[] = {
	{
		"fork-file",
		"parent and child over a file-backed MAP_SHARED region",
		"The parent maps a file MAP_SHARED and forks. The child writes "
		"a string into the\nmapping and sets an ordinary global "
		"variable to 42. Look for the parent reading\nthe child's "
		"string through its own mapping, and still seeing 1 in its "
		"global.",
		{ P_FORK_FILE, -1 }, sc_fork_file,
	},
	{
		"fork-anon",
		"parent and child over an anonymous MAP_SHARED mapping",
		"The same with memory that has no file: MAP_SHARED|"
		"MAP_ANONYMOUS, then a memfd.\nIt has no name, so it can only "
		"be shared by creating it before fork().",
		{ P_FORK_ANON, -1 }, sc_fork_anon,
	},
	{
		"writer-reader",
		"two unrelated programs: a writer and a reader on shm:NAME",
		"mmipc-ex-writer publishes a counter under a sequence lock. "
		"mmipc-ex-reader,\nstarted first and on its own, waits for "
		"the region with inotify, proves every\nvalue whole "
		"(checksum) and increasing, and sleeps on a futex between "
		"updates.\nThen the same pair once more, with no pause "
		"between values.",
		{ P_READER, P_WRITER }, sc_writer_reader,
	},
	{
		"mapfile",
		"memory-mapped file I/O on an ordinary file",
		"A file written with write() is mapped as it is (no mmipc "
		"header). Its bytes are\nupper-cased through the pointer and "
		"read back with pread(); then the other way.",
		{ P_MAPFILE, -1 }, sc_mapfile,
	},
	{
		"ring",
		"the same writer and reader, every value through a ring",
		"mmipc-ex-writer --ring creates a ring region and sends each "
		"record as one\nmessage, with no pause; mmipc-ex-reader --ring "
		"attaches as its consumer and\nreceives until the "
		"end-of-stream, checking that each counter is the last plus "
		"1.",
		{ P_READER, P_WRITER }, sc_ring,
	},
};

#define NSCENARIOS ((int)(sizeof(scenarios) / sizeof(scenarios[0])))

/* ------------------------------------------------------------------ */
/* Finding the programs                                                */
/* ------------------------------------------------------------------ */

static void add_dir(struct demo *d, const char *dir)
{
	snprintf(d->dirs[d->ndirs++], sizeof(d->dirs[0]), "%s", dir);
}

static void find_dirs(struct demo *d)
{
	const char *env = getenv("MMIPC_EXAMPLES_DIR");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		add_dir(d, env);	/* asked for: look nowhere else */
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';	/* an absolute path: has a '/' */
		add_dir(d, self[0] ? self : "/");
		/* an installed tree moved elsewhere: BIN/../libexec/mmipc */
		if (strlen(self) + sizeof("/../libexec/mmipc") <=
		    sizeof(d->dirs[0])) {
			strcat(self, "/../libexec/mmipc");
			add_dir(d, self);
		}
	}
	add_dir(d, MMIPC_LIBEXECDIR);
}

/* find_prog - the path of program @p in the first directory holding it. */
static int find_prog(struct demo *d, int p)
{
	char looked[sizeof(d->dirs) + 8] = "";
	int i;

	for (i = 0; i < d->ndirs; i++) {
		snprintf(d->prog[p], sizeof(d->prog[p]), "%s/%s", d->dirs[i],
			 prog_names[p]);
		if (access(d->prog[p], X_OK) == 0)
			return 0;
		if (i)
			strcat(looked, ", ");
		strcat(looked, d->dirs[i]);
	}
	tool_errf("demo: cannot find %s (looked in %s)", prog_names[p], looked);
	return -1;
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	int i;

	fprintf(f,
		"Usage: mmipc demo [--list] [--seconds S] [SCENARIO...]\n"
		"\n"
		"Run the classic shared-memory scenarios one after the other, "
		"narrated.\n"
		"Each is an example program, run as its own process; the demo "
		"fails if one\nfails or leaves anything behind.\n"
		"\n"
		"Scenarios (by name or number; default: all):\n");
	for (i = 0; i < NSCENARIOS; i++)
		fprintf(f, "  %d. %-14s %s\n", i + 1, scenarios[i].name,
			scenarios[i].title);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -l, --list         list the scenarios and exit\n"
		"  -s, --seconds S    how long writer-reader runs, 1..600 "
		"(default 3)\n"
		"  -h, --help         show this help\n"
		"\n"
		"The programs are looked for in $MMIPC_EXAMPLES_DIR, else "
		"next to mmipc,\nelse in ../libexec/mmipc beside it, else in "
		"%s.\n", MMIPC_LIBEXECDIR);
}

/* pick - the scenario named (or numbered) @arg, or -1. */
static int pick(const char *arg)
{
	int i;

	for (i = 0; i < NSCENARIOS; i++)
		if (strcmp(arg, scenarios[i].name) == 0 ||
		    (arg[0] == '1' + i && arg[1] == '\0'))
			return i;
	return -1;
}

/* parse - options and scenarios into @d and @want. Returns -1 to go on,
 * or the exit status. */
static int parse(int argc, char **argv, struct demo *d, bool *want)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool any = false;
	char *end;
	int c, i;

	while ((c = getopt_long(argc, argv, "ls:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			for (i = 0; i < NSCENARIOS; i++)
				printf("%d %-14s %s\n", i + 1,
				       scenarios[i].name, scenarios[i].title);
			return EXIT_OK;
		case 's':
			errno = 0;
			d->seconds = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || d->seconds < 1 ||
			    d->seconds > 600 || optarg[0] == '-') {
				tool_errf("demo: --seconds '%s': want a whole "
					  "number of seconds, 1..600", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	for (; optind < argc; optind++) {
		i = pick(argv[optind]);
		if (i < 0) {
			tool_errf("demo: unknown scenario '%s' (see mmipc demo "
				  "--list)", argv[optind]);
			usage(stderr);
			return EXIT_USAGE;
		}
		want[i] = any = true;
	}
	if (!any)
		for (i = 0; i < NSCENARIOS; i++)
			want[i] = true;
	return -1;
}

/* run_all - find the programs, then run the wanted scenarios. */
static int run_all(struct demo *d, const bool *want)
{
	char failed[128] = "";
	int i, j, nrun = 0, nfail = 0;

	for (i = 0; i < NSCENARIOS; i++)
		for (j = 0; j < 2 && want[i]; j++)
			if (scenarios[i].progs[j] >= 0 &&
			    find_prog(d, scenarios[i].progs[j]) < 0)
				return EXIT_FAIL;

	for (i = 0; i < NSCENARIOS && !spawn_interrupted(); i++) {
		if (!want[i])
			continue;
		printf("%s== %d. %s ==\n%s\n\n", nrun ? "\n" : "", i + 1,
		       scenarios[i].title, scenarios[i].intro);
		fflush(stdout);
		nrun++;
		if (scenarios[i].run(d) < 0) {
			printf("-> FAILED\n");
			if (nfail++)
				strcat(failed, ", ");
			strcat(failed, scenarios[i].name);
		}
	}
	fflush(stdout);
	if (nfail)
		tool_errf("demo: %d of %d scenarios failed: %s", nfail, nrun,
			  failed);
	if (spawn_interrupted())
		tool_errf("demo: interrupted");
	if (nfail || spawn_interrupted())
		return EXIT_FAIL;
	if (nrun == 1)
		printf("\n== the scenario showed what it should ==\n");
	else
		printf("\n== all %d scenarios showed what they should ==\n",
		       nrun);
	return EXIT_OK;
}

int cmd_demo(int argc, char **argv)
{
	struct demo d = { .seconds = 3, .pid = (int)getpid() };
	bool want[NSCENARIOS] = { false };
	struct spawn_signals saved;
	int rc;

	rc = parse(argc, argv, &d, want);
	if (rc >= 0)
		return rc;
	find_dirs(&d);

	if (spawn_signals_catch(&saved) < 0)
		return EXIT_FAIL;
	rc = run_all(&d, want);
	spawn_signals_restore(&saved);
	return rc;
}
