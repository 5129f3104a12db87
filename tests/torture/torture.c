/*
 * mmipc-torture - crash torture for the ring (issue 6).
 *
 * Trial after trial, a producer and a consumer run as separate processes
 * on a ring in a named shm region; one of them is killed with SIGKILL at a
 * chosen or random moment (trial.c), a replacement takes over, and the
 * stream goes on. Every message is judged by the consumer against a
 * ledger kept outside the ring (torture.h): received whole, once, in
 * order, nothing lost that was reported as sent, nothing that was never
 * sent. The survivor must notice each death within a second. Rings are
 * retired and replaced now and then (channel.c); the real `mmipc rm
 * --stale` must then remove the dead ones and keep the live one, and at
 * the end leave the shm directory as it was.
 *
 * Ends with ONE line on stdout:
 *   torture: N trials, kills: producer P consumer C, messages checked M,
 *   max notice T s, failures F, seed S
 * and exits 0 only if F is 0. A failure is printed on stderr with its
 * trial and the seed to replay with (--seed): the kill plan of trial N
 * is the same for the same seed, though timing makes no two runs alike.
 */
#include <getopt.h>

#include "torture.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--trials N | --duration SECONDS] [--seed S]\n"
		"       [--shm-dir DIR] [-v]\n"
		"Crash torture of the mmipc ring: kill -9 a producer or a\n"
		"consumer at chosen and random moments, replace it, and check\n"
		"every message and the survivor's notice of each death.\n"
		"  -n, --trials N        run N trials (default 200)\n"
		"  -d, --duration SECS   run trials for SECS seconds instead\n"
		"  -s, --seed S          the run's seed (default: from the\n"
		"                        clock; printed, to replay a failure)\n"
		"  -D, --shm-dir DIR     make the rings in DIR (default: a new\n"
		"                        private /tmp/mmipct-* directory, as\n"
		"                        `rm --stale` must not race other tests)\n"
		"  -v, --verbose         a line per trial, figures per phase\n"
		"  -h, --help            this text\n"
		"Prints one summary line on stdout; exit 0 iff no failure.\n",
		prog);
}

static uint64_t number(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || s[0] == '-') {
		fprintf(stderr, "mmipc-torture: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse(struct tt_run *R, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trials", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "shm-dir", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	R->trials = 200;
	R->seed = rg_mix((uint64_t)ru_now_ns() ^ (uint64_t)getpid() << 32);
	while ((c = getopt_long(argc, argv, "n:d:s:D:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': R->trials = number(optarg, "--trials"); break;
		case 'd':
			R->duration_s = number(optarg, "--duration");
			R->trials = 0;
			break;
		case 's': R->seed = number(optarg, "--seed"); break;
		case 'D':
			snprintf(R->dir, sizeof(R->dir), "%s", optarg);
			break;
		case 'v': R->verbose++; break;
		case 'h': usage(stdout, argv[0]); exit(0);
		default: usage(stderr, argv[0]); exit(2);
		}
	}
	if (optind < argc || (R->trials == 0 && R->duration_s == 0)) {
		usage(stderr, argv[0]);
		exit(2);
	}
}

/* --child ROLE FD: be the producer, consumer or creator. */
static int child_main(const char *role, const char *fd)
{
	int n = (int)number(fd, "ledger descriptor");

	if (strcmp(role, "prod") == 0)
		return tt_producer_main(n);
	if (strcmp(role, "cons") == 0)
		return tt_consumer_main(n);
	return tt_create_main(n);
}

/* Set by SIGINT/SIGTERM: the run ends after this trial, with its figures
 * and its cleanup (a second signal kills it at once). */
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESETHAND;
	CHECK(sigaction(SIGINT, &sa, NULL) == 0 &&
		      sigaction(SIGTERM, &sa, NULL) == 0,
	      "sigaction: %s", strerror(errno));
}

static bool more_trials(const struct tt_run *R, uint64_t start)
{
	if (stop)
		return false;
	if (R->trials != 0)
		return R->trial < R->trials;
	return tt_now() - start < R->duration_s * 1000000000ull;
}

/* The figures behind the summary, on stderr. */
static void details(const struct tt_run *R, double secs)
{
	const struct tt_figures *f = &R->f;
	const struct tt_ledger *L = R->L;
	int v, ph;

	fprintf(stderr,
		"torture: %.1f s; %llu rings (%llu abandoned); %llu trials "
		"waited for the notice, %llu replaced at once; kills at the "
		"aimed phase %llu, by timer %llu, phase missed %llu; %llu "
		"replacements and %llu creators killed inside attach/create; "
		"%llu bytes checked, %llu messages redelivered after a "
		"consumer died, %llu lost inside a killed recv; %llu -EBUSY "
		"retries, %llu timeouts; rm --stale checked %llu times; "
		"%llu rings ended with stats msgs_sent != msgs_recv\n",
		secs, (unsigned long long)f->channels,
		(unsigned long long)f->abandoned,
		(unsigned long long)f->noticed, (unsigned long long)f->hot,
		(unsigned long long)f->precise, (unsigned long long)f->timers,
		(unsigned long long)f->missed,
		(unsigned long long)f->attach_kills,
		(unsigned long long)f->create_kills,
		(unsigned long long)L->bytes,
		(unsigned long long)L->redelivered,
		(unsigned long long)L->lost_recv, (unsigned long long)L->ebusy,
		(unsigned long long)L->timeouts,
		(unsigned long long)f->stale_runs,
		(unsigned long long)f->counters_off);
	if (!R->verbose)
		return;
	for (v = TT_PROD; v <= TT_CONS; v++)
		for (ph = 0; ph < PH_COUNT; ph++)
			if (f->by_phase[v][ph] != 0)
				fprintf(stderr, "torture:   %s at %s: %llu\n",
					v == TT_PROD ? "producer" : "consumer",
					tt_phase_name[ph],
					(unsigned long long)f->by_phase[v][ph]);
}

int main(int argc, char **argv)
{
	struct tt_run R;
	uint64_t start;

	if (argc == 4 && strcmp(argv[1], "--child") == 0)
		return child_main(argv[2], argv[3]);
	memset(&R, 0, sizeof(R));
	parse(&R, argc, argv);
	fprintf(stderr, "torture: seed %llu (replay with --seed %llu)\n",
		(unsigned long long)R.seed, (unsigned long long)R.seed);
	tt_run_setup(&R);
	catch_stop();
	start = tt_now();
	R.rng = rg_mix(R.seed);
	tt_channel_new(&R);
	while (more_trials(&R, start)) {
		R.trial++;
		R.rng = rg_mix(R.seed ^ rg_mix(R.trial));
		tt_trial(&R);
	}
	R.rng = rg_mix(R.seed ^ UINT64_MAX);
	tt_channel_retire(&R, true);
	tt_stale_check(&R, false);
	printf("torture: %llu trials, kills: producer %llu consumer %llu, "
	       "messages checked %llu, max notice %.2f s, failures %llu, "
	       "seed %llu\n",
	       (unsigned long long)R.trial, (unsigned long long)R.f.kills[0],
	       (unsigned long long)R.f.kills[1],
	       (unsigned long long)R.L->checked, (double)R.f.notice_max / 1e9,
	       (unsigned long long)R.f.failures, (unsigned long long)R.seed);
	details(&R, (double)(tt_now() - start) / 1e9);
	tt_run_teardown(&R);
	return R.f.failures == 0 ? T_PASS : T_FAIL;
}
