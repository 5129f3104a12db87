/*
 * t_ex_writer_reader - examples/writer.c and examples/reader.c, two
 * unrelated exec'd programs on one shm: region:
 *
 *  1. hammer: the writer publishes 200000 values as fast as it can, the
 *     reader reads as fast as it can: no torn read, strictly increasing,
 *     and the reader ends on the last value (closed is seen with it);
 *  2. paced: one value per millisecond; the reader must see many of them
 *     (it is woken by the futex, not starved or sleeping through them);
 *  3. the writer is killed with kill -9 mid-run: the reader reports the
 *     dead writer and exits 3 within a few seconds;
 *  4. a writer that died in the middle of a write (seq left odd);
 *  5. a fake writer (this test) checks the reader's own checks: a record
 *     with a bad checksum is reported as a TORN READ, a counter that goes
 *     back is refused, closed ends the reader with exit 0;
 *  6. no writer at all: the reader gives up after --wait-ms.
 * Every region is named by t_name() and gone at the end.
 */
#include <limits.h>
#include <stdatomic.h>

#include "helpers.h"
#include "proc_util.h"
#include "../examples/record.h"

/* The reader's summary line. */
struct summary {
	unsigned long distinct, torn, retries;
	unsigned long long first, last;
};

static struct summary parse_summary(const char *out)
{
	const char *p = strstr(out, "reader: ");
	struct summary s;
	int found = 0;

	for (; p; p = strstr(p + 1, "reader: "))
		if (sscanf(p, "reader: %lu distinct values seen, first %llu, "
			   "last %llu, strictly increasing, %lu torn reads "
			   "(%lu seqlock retries)", &s.distinct, &s.first,
			   &s.last, &s.torn, &s.retries) == 5)
			found = 1;
	CHECK(found, "no 'strictly increasing' summary in:\n%s", out);
	return s;
}

static char reader_bin[PATH_MAX], writer_bin[PATH_MAX];

/* Case 1 and 2: a whole run of writer and reader. */
static struct summary run_pair(const char *tag, const char *count,
			       const char *interval)
{
	char name[128];
	char *rargv[] = { reader_bin, "--name", name_for(name,
			  sizeof(name), tag), "--quiet", "--timeout-ms", "2000",
			  "--wait-ms", "30000", NULL };
	char *wargv[] = { writer_bin, "--name", name, "--count", (char *)count,
			  "--interval-us", (char *)interval, NULL };
	static struct proc r, w;
	struct mmipc_region_info info;
	struct summary s;
	char want[64];
	int rc;

	/* The reader first; the writer once the reader watches for it. */
	start(&r, rargv);
	wait_for(&r, "reader: waiting for", 30000);
	start(&w, wargv);
	rc = finish(&w, 60000);
	CHECK(rc == 0, "%s: writer exit %d:\n%s", tag, rc, w.out);
	snprintf(want, sizeof(want), "writer: published %s values", count);
	CHECK(strstr(w.out, want), "%s: want '%s' in:\n%s", tag, want, w.out);
	rc = finish(&r, 30000);
	CHECK(rc == 0, "%s: reader exit %d:\n%s", tag, rc, r.out);
	CHECK(strstr(r.out, "reader: the writer closed the record"),
	      "%s: no close seen:\n%s", tag, r.out);
	s = parse_summary(r.out);
	CHECK(s.torn == 0, "%s: torn reads:\n%s", tag, r.out);
	CHECK(s.last == strtoull(count, NULL, 10), "%s: last value %llu, not "
	      "%s:\n%s", tag, s.last, count, r.out);
	CHECK(s.distinct >= 1 && s.first >= 1 &&
	      s.last - s.first + 1 >= s.distinct, "%s: counts do not add up:"
	      "\n%s", tag, r.out);
	CHECK_RC(mmipc_region_stat(name, &info), -ENOENT);
	return s;
}

/* Case 3: kill -9 the writer mid-run. */
static void killed_writer(void)
{
	char name[128], pid_s[64];
	char *wargv[] = { writer_bin, "--name", name_for(name,
			  sizeof(name), "kill"), "--count", "1000000",
			  "--interval-us", "2000", NULL };
	char *rargv[] = { reader_bin, "--name", name, "--timeout-ms", "300",
			  "--wait-ms", "30000", NULL };
	struct proc r, w;
	int64_t t0;
	int rc;

	start(&r, rargv);
	wait_for(&r, "reader: waiting for", 30000);
	start(&w, wargv);
	wait_for(&r, "\"record ", 30000);	/* any value: it runs */
	CHECK(kill(w.pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	t0 = t_now_ms();
	rc = finish(&w, 10000);
	CHECK(rc == 128 + SIGKILL, "writer exit %d", rc);
	rc = finish(&r, 10000);
	CHECK(rc == 3, "reader exit %d, want 3:\n%s", rc, r.out);
	CHECK(t_now_ms() - t0 < 5000, "took %lld ms to notice",
	      (long long)(t_now_ms() - t0));
	snprintf(pid_s, sizeof(pid_s), "writer (pid %d) died", (int)w.pid);
	CHECK(strstr(r.out, pid_s), "want '%s' in:\n%s", pid_s, r.out);
	parse_summary(r.out);
	CHECK_RC(mmipc_region_unlink(name, 0), 0);
}

/*
 * fake_writer - this process as a writer, through record.h: one seqlock
 * write section, then a wake-up if anyone sleeps.
 */
static void fake_publish(struct ex_record *rec, uint64_t counter,
			 bool good_sum, bool close)
{
	uint32_t s = atomic_load(&rec->seq);

	atomic_store(&rec->seq, s + 1);
	if (counter) {
		memset(&rec->p, 0, sizeof(rec->p));
		rec->p.counter = counter;
		snprintf(rec->p.text, sizeof(rec->p.text),
			 "record %llu from writer pid %d",
			 (unsigned long long)counter, (int)getpid());
		rec->p.checksum = ex_checksum(&rec->p) + (good_sum ? 0 : 1);
	}
	if (close)
		atomic_store(&rec->closed, 1);
	atomic_store(&rec->seq, s + 2);
	if (atomic_load(&rec->waiters))
		CHECK_OK(mmipc_futex_wake(ex_seq_word(rec), INT32_MAX));
}

/* Case 4: the creator died with seq odd (in the middle of a write). */
static void died_mid_write(void)
{
	char name[128], c;
	char *rargv[] = { reader_bin, "--name", name_for(name,
			  sizeof(name), "odd"), "--timeout-ms", "300", NULL };
	struct proc r;
	int fds[2], rc;
	pid_t pid;

	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		mmipc_region *reg;
		struct ex_record *rec;

		CHECK_RC(mmipc_region_create(&reg, name, 4096, 0, 0), 0);
		rec = mmipc_region_data(reg);
		fake_publish(rec, 5, true, false);
		atomic_store(&rec->seq, 3);	/* a write begun... */
		CHECK(write(fds[1], "x", 1) == 1, "write");
		raise(SIGKILL);			/* ...and never ended */
	}
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1, "the child did not get there");
	close(fds[0]);
	CHECK(t_wait(pid) == 128 + SIGKILL, "child did not die as planned");

	start(&r, rargv);
	rc = finish(&r, 10000);
	CHECK(rc == 3, "reader exit %d, want 3:\n%s", rc, r.out);
	CHECK(strstr(r.out, "died"), "no 'died' in:\n%s", r.out);
	CHECK_RC(mmipc_region_unlink(name, 0), 0);
}

/* Case 5: the reader's checks, against a writer that breaks the rules. */
static void reader_checks(void)
{
	char name[128];
	char *rargv[] = { reader_bin, "--name", name_for(name,
			  sizeof(name), "fake"), "--timeout-ms", "300", NULL };
	struct ex_record *rec;
	mmipc_region *reg;
	struct summary s;
	struct proc r;
	int rc;

	CHECK_RC(mmipc_region_create(&reg, name, 4096, 0, 0), 0);
	rec = mmipc_region_data(reg);

	/* A record that passes the seq check but not the checksum. */
	fake_publish(rec, 7, false, false);
	start(&r, rargv);
	rc = finish(&r, 10000);
	CHECK(rc == 1 && strstr(r.out, "TORN READ"),
	      "bad checksum: exit %d:\n%s", rc, r.out);

	/* 7, then 9, then 8: the counter went back. */
	fake_publish(rec, 7, true, false);
	start(&r, rargv);
	wait_for(&r, "\"record 7 from", 10000);
	fake_publish(rec, 9, true, false);
	wait_for(&r, "\"record 9 from", 10000);
	fake_publish(rec, 8, true, false);
	rc = finish(&r, 10000);
	CHECK(rc == 1 && strstr(r.out, "counter went back from 9 to 8"),
	      "going back: exit %d:\n%s", rc, r.out);

	/* 10, closed: exit 0, 1 value seen. Also: the reader's silence
	 * checks (every 300 ms) find us alive and let it wait on. */
	fake_publish(rec, 10, true, false);
	start(&r, rargv);
	wait_for(&r, "\"record 10 from", 10000);
	usleep(700 * 1000);
	fake_publish(rec, 0, true, true);
	rc = finish(&r, 10000);
	CHECK(rc == 0, "closed: exit %d:\n%s", rc, r.out);
	s = parse_summary(r.out);
	CHECK(s.distinct == 1 && s.first == 10 && s.last == 10,
	      "closed: wrong summary:\n%s", r.out);

	CHECK_RC(mmipc_region_unlink(name, 0), 0);
	CHECK_RC(mmipc_region_close(reg), 0);
}

/* Case 6: nobody creates the region. */
static void no_writer(void)
{
	char name[128];
	char *rargv[] = { reader_bin, "--name", name_for(name,
			  sizeof(name), "none"), "--wait-ms", "300", NULL };
	struct proc r;
	int64_t t0 = t_now_ms();
	int rc;

	start(&r, rargv);
	rc = finish(&r, 10000);
	CHECK(rc == 1 && strstr(r.out, "no writer appeared"),
	      "no writer: exit %d:\n%s", rc, r.out);
	CHECK(t_now_ms() - t0 >= 250, "gave up too early");
}

int main(void)
{
	struct summary s;
	int i;

	pu_init();
	t_bin(reader_bin, sizeof(reader_bin), "mmipc-ex-reader");
	t_bin(writer_bin, sizeof(writer_bin), "mmipc-ex-writer");

	/* A torn read needs a copy to overlap a write: give it many
	 * chances (a reader that skips the seq check fails here nearly
	 * always). */
	for (i = 0; i < 3; i++) {
		s = run_pair("hammer", "200000", "0");
		printf("hammer: %lu distinct values, first %llu, %lu retries\n",
		       s.distinct, s.first, s.retries);
	}
	s = run_pair("paced", "300", "1000");
	printf("paced: %lu distinct values, first %llu\n", s.distinct,
	       s.first);
	CHECK(s.distinct >= 50, "paced: only %lu distinct values seen",
	      s.distinct);
	killed_writer();
	died_mid_write();
	reader_checks();
	no_writer();
	return T_PASS;
}
