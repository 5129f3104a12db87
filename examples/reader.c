/*
 * reader.c - follow the counter that mmipc-ex-writer publishes.
 *
 *   mmipc-ex-reader [--ring] [--name ADDR] [--count N] [--timeout-ms T]
 *                   [--wait-ms W] [--print-every K] [--quiet]
 *
 * An unrelated program: it shares nothing with the writer but the region's
 * name and the layout of examples/record.h. It
 *
 *  - waits for the region to appear, without polling: one open attempt,
 *    then an inotify watch on the directory, then a second attempt (the
 *    region may have appeared in between), then sleep until the directory
 *    reports the name. A region appears at once, complete (mmipc builds it
 *    unnamed and links it into place), so one event is enough.
 *
 *  - reads the record under the writer's sequence lock, and proves each
 *    copy whole: its checksum matches and its text names its counter. A
 *    copy that passed the sequence check but fails this is a TORN READ, a
 *    bug, reported as such (exit 1). Counters must strictly increase.
 *
 *  - sleeps on the seq word with a futex between updates, after announcing
 *    itself in the waiters count (the writer only makes a wake-up system
 *    call when someone sleeps). The lost wake-up argument is in writer.c.
 *
 *  - if nothing changes for T ms, asks the region's header whether the
 *    writer (its creator) is still alive: a writer killed with kill -9
 *    never sets closed, and the reader says so instead of waiting forever.
 *
 * With --ring (mmipc-ex-writer --ring) it waits for the name the same way,
 * attaches to the ring as its consumer and receives EVERY value until the
 * end-of-stream, checking each as above and that its counter is the last
 * plus 1: nothing skipped, nothing repeated. No seqlock, no futex code: a
 * ring never overwrites what the reader has not released (writer.c,
 * run_ring()); the library sleeps, wakes, and notices a dead writer.
 *
 * Exit status: 0 the writer closed (or N values seen), 1 error (torn read,
 * counter going back, a value skipped or repeated in a ring, region never
 * appeared), 2 usage, 3 the writer died.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "mmipc.h"
#include "record.h"

static const char usage_text[] =
	"usage: mmipc-ex-reader [--ring] [--name ADDR] [--count N] "
	"[--timeout-ms T]\n"
	"                       [--wait-ms W] [--print-every K] [--quiet]\n"
	"  --ring            receive every value from mmipc-ex-writer --ring\n"
	"  --name ADDR       region to read (default " EX_DEFAULT_NAME ")\n"
	"  --count N         stop after N distinct values (default 0: until\n"
	"                    the writer closes)\n"
	"  --timeout-ms T    after T ms without a change, check that the\n"
	"                    writer is alive (default 1000; a ring does it\n"
	"                    by itself)\n"
	"  --wait-ms W       wait up to W ms for the region to appear\n"
	"                    (default 10000)\n"
	"  --print-every K   print every K-th value seen (default 1)\n"
	"  --quiet           print only the summary\n";

struct opts {
	const char *name;
	unsigned long count, timeout_ms, wait_ms, print_every;
	bool quiet, ring;
};

/* What the reader saw; printed as the summary line. */
struct stats {
	unsigned long distinct, retries, torn;
	uint64_t first, last;
	bool backwards;
};

/* ------------------------------------------------------------------ */
/* Waiting for the region to appear                                    */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* split_addr - the directory to watch and the file name to expect for a
 * "shm:NAME" or "file:PATH" address. Returns -1 for addresses without a
 * name (anon, memfd). */
static int split_addr(const char *addr, char *dir, size_t dsize,
		      const char **base)
{
	const char *path, *slash;

	if (strncmp(addr, "shm:", 4) == 0) {
		snprintf(dir, dsize, "%s", mmipc_shm_dir());
		*base = addr + 4;
		return 0;
	}
	path = strncmp(addr, "file:", 5) == 0 ? addr + 5 : addr;
	slash = strrchr(path, '/');
	if (!slash)
		return -1;
	if (slash == path)
		snprintf(dir, dsize, "/");
	else
		snprintf(dir, dsize, "%.*s", (int)(slash - path), path);
	*base = slash + 1;
	return 0;
}

/* saw_name - read the pending inotify events; true if one names @base. */
static bool saw_name(int ifd, const char *base)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	n = read(ifd, buf, sizeof(buf));
	if (n <= 0)
		return false;
	for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)p;
		if (ev->len && strcmp(ev->name, base) == 0)
			return true;
		if (ev->mask & IN_Q_OVERFLOW)
			return true;	/* events lost: just try again */
	}
	return false;
}

/* try_open - one attempt to open what the writer makes: the raw region,
 * or with --ring the ring, attached as its consumer. */
static int try_open(const struct opts *o, mmipc_region **r, mmipc_ring **ring)
{
	if (o->ring)
		return mmipc_ring_open(ring, o->name, MMIPC_ROLE_CONSUMER, 0);
	return mmipc_region_open(r, o->name, MMIPC_KIND_RAW, 0);
}

/*
 * open_when_there - open o->name (try_open()), waiting up to o->wait_ms for
 * it to appear. Returns what try_open() returned last.
 */
static int open_when_there(const struct opts *o, mmipc_region **r,
			   mmipc_ring **ring)
{
	int64_t deadline = now_ms() + (int64_t)o->wait_ms;
	const char *base, *addr = o->name;
	struct pollfd pfd;
	char dir[PATH_MAX];
	int rc, ifd;

	rc = try_open(o, r, ring);
	if (rc != -ENOENT || split_addr(addr, dir, sizeof(dir), &base) < 0)
		return rc;

	/* Not there yet. Arm the watch FIRST, then try again: a region that
	 * appears between our first open and the watch is found by the second
	 * open; one that appears after it raises an event. Linking a file
	 * into place is IN_CREATE; IN_MOVED_TO covers a rename into place. */
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0) {
		perror("mmipc-ex-reader: inotify_init1");
		return -errno;
	}
	if (inotify_add_watch(ifd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
		rc = -errno;
		fprintf(stderr, "mmipc-ex-reader: watch %s: %s\n", dir,
			strerror(errno));
		goto out_close;
	}
	printf("reader: waiting for %s to appear (inotify on %s)\n", addr, dir);
	for (;;) {
		int64_t left = deadline - now_ms();

		rc = try_open(o, r, ring);
		if (rc != -ENOENT || left <= 0)
			break;
		pfd.fd = ifd;
		pfd.events = POLLIN;
		do {
			left = deadline - now_ms();
			if (left < 0)
				left = 0;
			rc = poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left));
			if (rc < 0 && errno != EINTR) {
				rc = -errno;
				perror("mmipc-ex-reader: poll");
				goto out_close;
			}
		} while (rc > 0 && !saw_name(ifd, base));
		/* An event for our name, or the deadline: try to open. A name
		 * that came and went meanwhile just loops again. */
	}
out_close:
	close(ifd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reading under the sequence lock                                     */
/* ------------------------------------------------------------------ */

/*
 * snapshot - copy the payload and the closed flag as one consistent whole.
 * Returns 0 with *@seq set to the (even) sequence of the copy, or -EAGAIN
 * after many failed tries (the writer is in the middle of a write, or it
 * died there), with *@seq set to the last value read, to wait on.
 */
static int snapshot(struct ex_record *rec, struct ex_payload *p,
		    uint32_t *closed, uint32_t *seq, struct stats *st)
{
	uint32_t s1 = 0, s2;
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		/* (R1) Pairs with the writer's release store (W3): seeing
		 * the even value s1 means seeing the payload written before
		 * it. */
		s1 = atomic_load_explicit(&rec->seq, memory_order_acquire);
		if (s1 & 1) {
			st->retries++;	/* a write is in progress */
			continue;
		}
		/*
		 * The writer may be changing these bytes while we copy them:
		 * the copy can be garbage, and is then thrown away below. (In
		 * the C11 model this racy copy is formally a data race; copying
		 * with relaxed atomic loads would make it well defined, at a
		 * cost. memcpy is what seqlocks do in practice, and the
		 * checksum would catch a compiler that broke it.)
		 */
		memcpy(p, &rec->p, sizeof(*p));
		/* closed is part of the snapshot: validated by seq like
		 * the payload, so relaxed is enough. */
		*closed = atomic_load_explicit(&rec->closed,
					       memory_order_relaxed);
		/* (R2) Pairs with the writer's release fence (W2): if the copy
		 * read anything written after the writer made seq odd, the
		 * load below sees that odd value or a later one. */
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&rec->seq, memory_order_relaxed);
		if (s1 == s2) {
			*seq = s1;
			return 0;
		}
		st->retries++;	/* overlapped a write: copy again */
	}
	*seq = s1;
	return -EAGAIN;
}

/* valid - is this copy one whole record, as some writer wrote it? The
 * bytes come from another process: check them all, trust nothing. */
static bool valid(const struct ex_payload *p, int writer_pid)
{
	char want[EX_TEXT_SIZE];

	if (memchr(p->text, '\0', sizeof(p->text)) == NULL)
		return false;
	if (p->checksum != ex_checksum(p))
		return false;
	snprintf(want, sizeof(want), "record %" PRIu64 " from writer pid %d",
		 p->counter, writer_pid);
	return p->counter != 0 && strcmp(p->text, want) == 0;
}

/*
 * wait_change - sleep until seq is no longer @seq, or @timeout_ms passed.
 * Returns 0 (changed, or woken: the caller re-reads anyway) or -ETIMEDOUT.
 */
static int wait_change(struct ex_record *rec, uint32_t seq,
		       unsigned long timeout_ms)
{
	int rc = 0;

	/* (R4) Announce that we are about to sleep... */
	atomic_fetch_add_explicit(&rec->waiters, 1, memory_order_seq_cst);
	/* (R5) ...full fence: pairs with the writer's (W4). Either the writer
	 * sees waiters != 0 and wakes us, or we see its new seq below. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&rec->seq, memory_order_relaxed) == seq)
		/* The kernel compares the word again under its lock: if the
		 * writer moved it since, this returns -EAGAIN at once. */
		rc = mmipc_futex_wait(ex_seq_word(rec), seq,
				      (int)(timeout_ms > INT_MAX ?
					    INT_MAX : timeout_ms));
	/* Relaxed: nothing is published with it. A writer that still reads
	 * the old count only makes one wake-up call for nobody. */
	atomic_fetch_sub_explicit(&rec->waiters, 1, memory_order_relaxed);
	return rc == -ETIMEDOUT ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* The reader                                                          */
/* ------------------------------------------------------------------ */

static void summary(const struct stats *st)
{
	printf("reader: %lu distinct values seen, first %" PRIu64 ", last %"
	       PRIu64 ", %s, %lu torn reads (%lu seqlock retries)\n",
	       st->distinct, st->first, st->last,
	       st->backwards ? "NOT increasing" : "strictly increasing",
	       st->torn, st->retries);
}

/* show - print the @nth value seen (from 1) if it is a K-th one. */
static void show(const struct opts *o, unsigned long nth,
		 const struct ex_payload *p)
{
	if (!o->quiet && (nth - 1) % o->print_every == 0)
		printf("reader: %" PRIu64 "  \"%s\"\n", p->counter, p->text);
}

/* see - account for one valid copy. Returns false if the counter went
 * back: the writer only counts up, so that would be a broken read. */
static bool see(const struct opts *o, struct stats *st,
		const struct ex_payload *p)
{
	if (p->counter == st->last)
		return true;	/* woken, but the same record */
	if (p->counter < st->last) {
		fprintf(stderr, "reader: counter went back from %" PRIu64
			" to %" PRIu64 "\n", st->last, p->counter);
		st->backwards = true;
		return false;
	}
	if (st->distinct++ == 0)
		st->first = p->counter;
	st->last = p->counter;
	show(o, st->distinct, p);
	return true;
}

/* follow - the main loop. Returns the exit status. */
static int follow(const struct opts *o, mmipc_region *r)
{
	struct ex_record *rec = mmipc_region_data(r);
	struct mmipc_region_info info;
	struct stats st = { 0 };
	struct ex_payload p;
	uint32_t seq = 0, closed = 0;
	bool dead = false;

	mmipc_region_info(r, &info);
	for (;;) {
		/* seq 0: the writer has not published anything yet. */
		if (snapshot(rec, &p, &closed, &seq, &st) == 0 && seq != 0) {
			if (!valid(&p, info.creator_pid)) {
				st.torn++;
				fprintf(stderr, "reader: TORN READ at seq %"
					PRIu32 ": counter %" PRIu64
					" text \"%.*s\"\n", seq, p.counter,
					EX_TEXT_SIZE, p.text);
				summary(&st);
				return 1;
			}
			if (!see(o, &st, &p)) {
				summary(&st);
				return 1;
			}
			if (closed || (o->count && st.distinct >= o->count))
				break;
		}
		if (dead) {
			printf("reader: writer (pid %d) died without closing; "
			       "%s is left behind (mmipc rm)\n",
			       (int)info.creator_pid, o->name);
			summary(&st);
			return 3;
		}
		if (wait_change(rec, seq, o->timeout_ms) < 0) {
			/* Quiet for T ms: is the writer still there? If not,
			 * read the record once more before saying it died:
			 * it may have closed just before it exited. */
			mmipc_region_info(r, &info);
			dead = info.creator_alive == 0;
		}
	}
	if (closed)
		printf("reader: the writer closed the record\n");
	summary(&st);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The ring reader (--ring)                                            */
/* ------------------------------------------------------------------ */

/* What the ring reader counted; printed as its summary line. */
struct ring_stats {
	unsigned long received, skipped, repeated, corrupt;
	uint64_t first, last;
	int writer_pid;		/* learnt from the first record */
};

static void ring_summary(const struct ring_stats *st)
{
	char skipped[32] = "none", repeated[32] = "none";

	if (st->skipped)
		snprintf(skipped, sizeof(skipped), "%lu", st->skipped);
	if (st->repeated)
		snprintf(repeated, sizeof(repeated), "%lu", st->repeated);
	printf("reader: %lu values received, %" PRIu64 "..%" PRIu64 ", %s "
	       "skipped, %s repeated, %lu corrupt\n", st->received, st->first,
	       st->last, skipped, repeated, st->corrupt);
}

/*
 * take - account for one message of @len bytes. A ring delivers every
 * message once and in order, so each counter must be the last plus 1.
 */
static void take(const struct opts *o, struct ring_stats *st,
		 const struct ex_payload *p, size_t len)
{
	/* The writer's pid comes from the first record (once its text is
	 * known to end inside it); valid() then wants it in every one. */
	if (!st->writer_pid && len == sizeof(*p) &&
	    memchr(p->text, '\0', sizeof(p->text)))
		sscanf(p->text, "record %*[0-9] from writer pid %d",
		       &st->writer_pid);
	if (len != sizeof(*p) || !valid(p, st->writer_pid)) {
		st->corrupt++;
		return;
	}
	if (st->received++ == 0)
		st->first = p->counter;
	if (p->counter <= st->last) {
		st->repeated++;
		return;
	}
	st->skipped += p->counter - st->last - 1;
	st->last = p->counter;
	show(o, st->received, p);
}

/*
 * follow_ring - receive until the end-of-stream. Returns the exit status.
 * No sequence check: the writer never writes where a message we have not
 * released lies, so its bytes cannot change while recv copies them. take()
 * checks anyway: data from another process is never trusted, and the
 * checks PROVE what the ring promises: every value, once, in order.
 */
static int follow_ring(const struct opts *o, mmipc_ring *ring)
{
	struct ring_stats st = { 0 };
	struct ex_payload p;
	size_t len;
	int rc;

	do {
		/* -1: no time limit. The library notices a writer that died
		 * within a second: -EPIPE, once all it sent has been read. */
		rc = mmipc_ring_recv(ring, &p, sizeof(p), &len, -1);
		if (rc == 1)
			take(o, &st, &p, len);
	} while (rc == 1 && (!o->count || st.received < o->count));

	if (rc == 0)
		printf("reader: end-of-stream: the writer closed the ring\n");
	else if (rc == -EPIPE)
		printf("reader: writer (pid %d) died without closing the ring; "
		       "%s is left behind (mmipc rm)\n", st.writer_pid,
		       o->name);
	else if (rc < 0)
		fprintf(stderr, "reader: receive: %s%s\n", mmipc_strerror(rc),
			rc == -EMSGSIZE ? " (larger than a record)" : "");
	ring_summary(&st);
	if (rc == -EPIPE)
		return 3;
	return rc < 0 || st.skipped || st.repeated || st.corrupt ? 1 : 0;
}

static int parse_ulong(const char *opt, const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "mmipc-ex-reader: bad %s: %s\n", opt, s);
		return -1;
	}
	return 0;
}

/* parse_args - returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "wait-ms", required_argument, NULL, 'w' },
		{ "print-every", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ring", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->name = optarg;
			break;
		case 'c':
			bad |= parse_ulong("--count", optarg, &o->count);
			break;
		case 't':
			bad |= parse_ulong("--timeout-ms", optarg,
					   &o->timeout_ms);
			break;
		case 'w':
			bad |= parse_ulong("--wait-ms", optarg, &o->wait_ms);
			break;
		case 'k':
			bad |= parse_ulong("--print-every", optarg,
					   &o->print_every);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'r':
			o->ring = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			bad = 1;
		}
	}
	if (!bad && optind < argc) {
		fprintf(stderr, "mmipc-ex-reader: unexpected argument: %s\n",
			argv[optind]);
		bad = 1;
	}
	if (!bad && (o->print_every == 0 || o->timeout_ms == 0)) {
		fprintf(stderr, "mmipc-ex-reader: --print-every and "
			"--timeout-ms must be at least 1\n");
		bad = 1;
	}
	if (bad) {
		fputs(usage_text, stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.name = EX_DEFAULT_NAME,
		.timeout_ms = 1000,
		.wait_ms = 10000,
		.print_every = 1,
	};
	struct mmipc_region_info info;
	mmipc_region *r = NULL;
	mmipc_ring *ring = NULL;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;

	rc = open_when_there(&o, &r, &ring);
	if (rc < 0) {
		fprintf(stderr, "mmipc-ex-reader: cannot open %s: %s%s\n",
			o.name, mmipc_strerror(rc), rc == -ENOENT ?
			" (no writer appeared in time)" : "");
		return 1;
	}
	if (o.ring) {
		printf("reader: attached to ring %s as its consumer, receiving "
		       "every value\n", o.name);
		rc = follow_ring(&o, ring);
		mmipc_ring_close(ring);
		return rc;
	}
	/* The region's size comes from its creator: check it holds a record
	 * before touching one. */
	if (mmipc_region_size(r) < sizeof(struct ex_record)) {
		fprintf(stderr, "mmipc-ex-reader: %s is too small (%" PRIu64
			" bytes) to hold a record\n", o.name,
			mmipc_region_size(r));
		mmipc_region_close(r);
		return 1;
	}
	mmipc_region_info(r, &info);
	printf("reader: opened %s, writer pid %d; sleeping on the seq word "
	       "between updates\n", o.name, (int)info.creator_pid);

	rc = follow(&o, r);
	mmipc_region_close(r);
	return rc;
}
