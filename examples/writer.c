/*
 * writer.c - publish a counter to unrelated readers through shared memory.
 *
 *   mmipc-ex-writer [--name ADDR] [--count N] [--interval-us U]
 *
 * Creates the raw region ADDR (default shm:mmipc-demo, one page of data),
 * then publishes counter = 1..N, one value every U microseconds, as the
 * record of examples/record.h. Any number of mmipc-ex-reader processes,
 * started on their own, open the same name and follow the counter. At the
 * end the writer marks the record closed, wakes the readers and unlinks
 * the name (readers keep their mapping until they close it).
 *
 * Two techniques are shown:
 *
 *  1. A sequence lock ("seqlock"). The writer makes seq odd, writes the
 *     payload, makes seq even again. A reader copies the payload between two
 *     reads of seq and keeps the copy only if both reads are equal and even.
 *     The writer never waits for readers; readers never block the writer.
 *
 *  2. Wake-ups without polling. Readers sleep on the seq word with a futex.
 *     The writer calls FUTEX_WAKE (a system call) only when a reader has
 *     announced that it sleeps (waiters != 0), so a busy writer with awake
 *     readers makes no system call at all.
 *
 *     The lost wake-up race, and why it cannot happen here:
 *
 *       writer                           reader
 *       ------                           ------
 *       store seq = new      (W3)        waiters += 1          (R4)
 *       full fence           (W4)        full fence            (R5)
 *       load waiters                     load seq
 *       if waiters != 0: wake            if seq unchanged: futex_wait(seq)
 *
 *     Each side stores, then (full fence) loads what the other stored. Two
 *     full fences are totally ordered, so at least one side sees the other's
 *     store: either the reader sees the new seq and does not sleep, or the
 *     writer sees waiters != 0 and wakes. If both see each other, the reader
 *     calls futex_wait with the old seq, and the kernel, which compares the
 *     word under its own lock, returns at once (-EAGAIN). Without the fences
 *     each CPU could keep its store in its store buffer, both loads would
 *     read old values, and the reader would sleep through the last update.
 *
 * Exit status: 0 done, 1 error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmipc.h"
#include "record.h"

static const char usage_text[] =
	"usage: mmipc-ex-writer [--name ADDR] [--count N] [--interval-us U]\n"
	"  --name ADDR       region to create (default " EX_DEFAULT_NAME ")\n"
	"  --count N         publish the values 1..N (default 100)\n"
	"  --interval-us U   pause between values, microseconds (default\n"
	"                    20000; 0 = as fast as possible)\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * publish - one seqlock write section: copy @p (if not NULL) into the
 * record, set closed if @close, then wake sleeping readers if any.
 * Returns 1 if a wake-up system call was made, 0 if not.
 * Only this process ever stores seq, so reading it relaxed is exact.
 */
static int publish(struct ex_record *rec, const struct ex_payload *p,
		   bool close)
{
	uint32_t s = atomic_load_explicit(&rec->seq, memory_order_relaxed);

	/* (W1) Odd: an update is in progress. Relaxed is enough because of
	 * the fence that follows. */
	atomic_store_explicit(&rec->seq, s + 1, memory_order_relaxed);
	/* (W2) Pairs with the reader's acquire fence (R2): a reader whose copy
	 * holds any byte written below will see seq != its first read at its
	 * second read, and throw the copy away. */
	atomic_thread_fence(memory_order_release);
	if (p)
		memcpy(&rec->p, p, sizeof(*p));
	if (close)
		atomic_store_explicit(&rec->closed, 1, memory_order_relaxed);
	/* (W3) Even again: pairs with the reader's acquire load (R1); a reader
	 * that reads s + 2 sees the whole payload written above. */
	atomic_store_explicit(&rec->seq, s + 2, memory_order_release);
	/* (W4) Full fence between our store of seq and our load of waiters;
	 * pairs with the reader's (R5). See the lost wake-up table above. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&rec->waiters, memory_order_relaxed) == 0)
		return 0;	/* nobody sleeps: no system call */
	mmipc_futex_wake(ex_seq_word(rec), INT32_MAX);
	return 1;
}

/* fill - the payload for @counter: text naming it, then the checksum. */
static void fill(struct ex_payload *p, uint64_t counter)
{
	memset(p, 0, sizeof(*p));	/* the checksum covers the padding too */
	p->counter = counter;
	snprintf(p->text, sizeof(p->text), "record %" PRIu64
		 " from writer pid %d", counter, (int)getpid());
	p->checksum = ex_checksum(p);
}

/* pace - sleep until @next, then advance it by @us (absolute deadlines on
 * CLOCK_MONOTONIC: the pace does not drift with the time spent writing). */
static void pace(struct timespec *next, unsigned long us)
{
	int rc;

	next->tv_nsec += (long)(us % 1000000) * 1000;
	next->tv_sec += (time_t)(us / 1000000) + next->tv_nsec / 1000000000;
	next->tv_nsec %= 1000000000;
	do
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
	while (rc == EINTR && !stop);
}

static int parse_ulong(const char *opt, const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "mmipc-ex-writer: bad %s: %s\n", opt, s);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, const char **name,
		      unsigned long *count, unsigned long *interval)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval-us", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			*name = optarg;
			break;
		case 'c':
			if (parse_ulong("--count", optarg, count) < 0)
				return 2;
			break;
		case 'i':
			if (parse_ulong("--interval-us", optarg, interval) < 0)
				return 2;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmipc-ex-writer: unexpected argument: %s\n",
			argv[optind]);
		fputs(usage_text, stderr);
		return 2;
	}
	return -1;	/* go on */
}

int main(int argc, char **argv)
{
	const char *name = EX_DEFAULT_NAME;
	unsigned long count = 100, interval = 20000, n, wakes = 0;
	struct sigaction sa;
	struct timespec next;
	struct ex_payload p;
	struct ex_record *rec;
	mmipc_region *r;
	int rc, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = parse_args(argc, argv, &name, &count, &interval);
	if (rc >= 0)
		return rc;

	/* Ctrl-C or kill: stop early but still close and unlink. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0) {
		perror("mmipc-ex-writer: sigaction");
		return 1;
	}

	/*
	 * One page of data. The region appears under its name only when it is
	 * complete, zero-filled and READY: a reader never sees half a header,
	 * and sees seq == 0 (nothing published yet) until our first write.
	 */
	rc = mmipc_region_create(&r, name, (uint64_t)sysconf(_SC_PAGESIZE), 0, 0);
	if (rc < 0) {
		fprintf(stderr, "mmipc-ex-writer: cannot create %s: %s%s\n", name,
			mmipc_strerror(rc), rc == -EEXIST ?
			" (left by a dead writer? remove it with mmipc rm)" : "");
		return 1;
	}
	rec = mmipc_region_data(r);
	printf("writer: created %s (pid %d), publishing 1..%lu every %lu us\n",
	       name, (int)getpid(), count, interval);

	if (clock_gettime(CLOCK_MONOTONIC, &next) < 0) {
		perror("mmipc-ex-writer: clock_gettime");
		ret = 1;
		goto out_unlink;
	}
	for (n = 1; n <= count && !stop; n++) {
		fill(&p, n);
		wakes += (unsigned long)publish(rec, &p, false);
		if (interval && n < count)
			pace(&next, interval);
	}
	if (stop) {
		printf("writer: interrupted after %lu values\n", n - 1);
		ret = 1;
	}

	/* The end: closed = 1 under the seqlock (so a reader sees it together
	 * with the last payload), seq moves on, sleepers are woken. */
	wakes += (unsigned long)publish(rec, NULL, true);
	printf("writer: published %lu values, woke sleeping readers %lu times "
	       "(no system call when nobody sleeps)\n", n - 1, wakes);

out_unlink:
	/* Remove the name; readers that have it mapped keep reading it. */
	rc = mmipc_region_unlink(name, 0);
	if (rc < 0) {
		fprintf(stderr, "mmipc-ex-writer: unlink %s: %s\n", name,
			mmipc_strerror(rc));
		ret = 1;
	}
	rc = mmipc_region_close(r);
	if (rc < 0) {
		fprintf(stderr, "mmipc-ex-writer: close: %s\n",
			mmipc_strerror(rc));
		ret = 1;
	}
	if (ret == 0)
		printf("writer: closed the record and unlinked %s\n", name);
	return ret;
}
