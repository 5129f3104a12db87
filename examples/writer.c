/*
 * writer.c - publish a counter to unrelated readers through shared memory.
 *
 *   mmipc-ex-writer [--ring] [--name ADDR] [--count N] [--interval-us U]
 *
 * Creates the raw region ADDR (default shm:mmipc-demo, one page of data),
 * then publishes counter = 1..N, one value every U microseconds, as the
 * record of examples/record.h. Any number of mmipc-ex-reader processes,
 * started on their own, open the same name and follow the counter. At the
 * end the writer marks the record closed, wakes the readers and unlinks
 * the name (readers keep their mapping until they close it).
 *
 * That is a LATEST-VALUE region: a reader sees the newest record, and when
 * the writer is faster than the reader, the values in between are simply
 * overwritten: the reader skips them. With --ring the writer streams EVERY
 * value instead (technique 3 below), to one reader.
 *
 * Three techniques are shown:
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
 *  3. A ring (--ring): ADDR is a ring region (mmipc_ring_create), the
 *     writer attaches as its producer and sends each record as one message;
 *     mmipc-ex-reader --ring attaches as the consumer and receives them all,
 *     in order, each once. It works like a pipe: when the ring is full the
 *     writer WAITS for the reader (back-pressure) instead of overwriting,
 *     and mmipc_ring_close() is the end-of-stream the reader sees once it
 *     has read everything. Because nothing is ever overwritten before the
 *     reader is done with it, a ring needs no seqlock (see run_ring()).
 *     The library does the waiting and the wake-ups (the same futex
 *     technique as 2), and notices a reader that died (-EPIPE).
 *
 *     Start the reader first: the writer unlinks the name when it is
 *     done, and a stream that fits in the ring (about 540 values) can be
 *     done before a late reader looks; a longer one waits for its reader.
 *
 * Exit status: 0 done, 1 error (also: the ring reader went away), 2 usage.
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
	"usage: mmipc-ex-writer [--ring] [--name ADDR] [--count N] "
	"[--interval-us U]\n"
	"  --ring            send every value through a ring (default: publish\n"
	"                    the latest value under a seqlock)\n"
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
		      unsigned long *count, unsigned long *interval, bool *ring)
{
	static const struct option opts[] = {
		{ "ring", no_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval-us", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*ring = true;
			break;
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

/* create_failed - say why the region could not be created. */
static void create_failed(const char *name, int rc)
{
	fprintf(stderr, "mmipc-ex-writer: cannot create %s: %s%s\n", name,
		mmipc_strerror(rc), rc == -EEXIST ?
		" (left by a dead writer? remove it with mmipc rm)" : "");
}

/* finish - remove the name (readers that have it mapped keep reading it)
 * and close the region. Returns @ret, or 1 if either failed. */
static int finish(const char *name, mmipc_region *r, int ret)
{
	int rc = mmipc_region_unlink(name, 0);

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
	return ret;
}

/* run_latest - techniques 1 and 2: the latest value under a seqlock. */
static int run_latest(const char *name, unsigned long count,
		      unsigned long interval)
{
	unsigned long n, wakes = 0;
	struct timespec next;
	struct ex_payload p;
	struct ex_record *rec;
	mmipc_region *r;
	int rc, ret = 0;

	/*
	 * One page of data. The region appears under its name only when it is
	 * complete, zero-filled and READY: a reader never sees half a header,
	 * and sees seq == 0 (nothing published yet) until our first write.
	 */
	rc = mmipc_region_create(&r, name, (uint64_t)sysconf(_SC_PAGESIZE), 0, 0);
	if (rc < 0) {
		create_failed(name, rc);
		return 1;
	}
	rec = mmipc_region_data(r);
	printf("writer: created %s (pid %d), publishing 1..%lu every %lu us\n",
	       name, (int)getpid(), count, interval);

	clock_gettime(CLOCK_MONOTONIC, &next);	/* cannot fail on Linux */
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

	ret = finish(name, r, ret);
	if (ret == 0)
		printf("writer: closed the record and unlinked %s\n", name);
	return ret;
}

/*
 * send_record - technique 3: send @p as one message. When the ring is full
 * the reader is behind: count it in *@full and wait for room, looking at
 * the stop flag every 100 ms (a signal does not cut a ring wait short).
 * Returns 0, or what mmipc_ring_send() returned (-EPIPE: the reader closed
 * the ring or died; -ETIMEDOUT: stopped while waiting).
 */
static int send_record(mmipc_ring *ring, const struct ex_payload *p,
		       unsigned long *full)
{
	int rc = mmipc_ring_send(ring, p, sizeof(*p), 0, 0);

	if (rc != -EAGAIN)
		return rc;
	(*full)++;
	do
		rc = mmipc_ring_send(ring, p, sizeof(*p), 0, 100);
	while (rc == -ETIMEDOUT && !stop);
	return rc;
}

/*
 * run_ring - technique 3: every value through a ring.
 *
 * Why no seqlock here: a ring has a head (where the producer writes next)
 * and a tail (what the consumer has released). The producer only writes
 * into the space between head and tail + capacity, which the consumer is
 * done with; a message it has sent is never touched again until the
 * consumer releases it. So the bytes the reader copies cannot change under
 * it: there is no torn read to detect, and nothing to retry. The price is
 * the waiting: the writer cannot run ahead of the reader by more than the
 * ring holds.
 */
static int run_ring(const char *name, unsigned long count,
		    unsigned long interval)
{
	unsigned long n, full = 0;
	struct timespec next;
	struct ex_payload p;
	mmipc_region *r;
	mmipc_ring *ring;
	int rc, ret = 0;

	rc = mmipc_ring_create(&r, name, EX_RING_CAPACITY, 0, 0);
	if (rc < 0) {
		create_failed(name, rc);
		return 1;
	}
	/* The region handle stays ours; the ring end borrows it. */
	rc = mmipc_ring_attach(&ring, r, MMIPC_ROLE_PRODUCER, 0);
	if (rc < 0) {
		fprintf(stderr, "mmipc-ex-writer: attach to %s: %s\n", name,
			mmipc_strerror(rc));
		return finish(name, r, 1);
	}
	printf("writer: created ring %s (pid %d, %" PRIu64 " KiB), sending "
	       "1..%lu every %lu us\n", name, (int)getpid(),
	       EX_RING_CAPACITY / 1024, count, interval);

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (n = 1; n <= count && !stop; n++) {
		fill(&p, n);
		rc = send_record(ring, &p, &full);
		if (rc < 0)
			break;
		if (interval && n < count)
			pace(&next, interval);
	}
	if (stop) {
		printf("writer: interrupted after %lu values\n", n - 1);
		ret = 1;
	} else if (rc < 0) {
		printf("writer: cannot send value %lu: %s%s\n", n,
		       mmipc_strerror(rc), rc == -EPIPE ?
		       " (the reader closed the ring or died)" : "");
		ret = 1;
	}

	/* The end-of-stream: the reader gets 0 once it has read the rest. */
	rc = mmipc_ring_close(ring);
	if (rc < 0) {
		fprintf(stderr, "mmipc-ex-writer: ring close: %s\n",
			mmipc_strerror(rc));
		ret = 1;
	}
	printf("writer: sent %lu values; waited for room in the ring %lu "
	       "times\n", n - 1, full);

	ret = finish(name, r, ret);
	if (ret == 0)
		printf("writer: closed the ring (end-of-stream) and unlinked "
		       "%s\n", name);
	return ret;
}

int main(int argc, char **argv)
{
	const char *name = EX_DEFAULT_NAME;
	unsigned long count = 100, interval = 20000;
	struct sigaction sa;
	bool ring = false;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = parse_args(argc, argv, &name, &count, &interval, &ring);
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
	if (ring)
		return run_ring(name, count, interval);
	return run_latest(name, count, interval);
}
