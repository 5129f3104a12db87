/*
 * t_ex_ring - mmipc-ex-writer --ring and mmipc-ex-reader --ring, two
 * unrelated exec'd programs streaming every value through a ring:
 *
 *  1. full speed: 200000 values as fast as the writer can send them; the
 *     reader's summary says all were received, none skipped or repeated,
 *     none corrupt, and both exit 0 with the name gone;
 *  2. back-pressure: the writer starts alone and fills the ring, so it
 *     must wait for room; the reader comes later and still gets them all;
 *  3. the writer is killed with kill -9 mid-run: the reader drains what
 *     was sent (consecutive values) and exits 3 within 1.5 s;
 *  4. the reader stops early (--count): the writer gets -EPIPE, exits 1;
 *  5. a fake writer (this test) checks the reader's own checks: a skipped
 *     value, a repeated one, a bad checksum and a short message are all
 *     counted in the summary, and the reader exits 1.
 * Every region is named by t_name() and gone at the end.
 */
#include <limits.h>

#include "helpers.h"
#include "proc_util.h"
#include "../examples/record.h"

static char reader_bin[PATH_MAX], writer_bin[PATH_MAX];

/* The reader's summary line (the last one in @out). */
struct summary {
	unsigned long received, corrupt;
	unsigned long long first, last;
	char skipped[32], repeated[32];
};

static struct summary parse_summary(const char *out)
{
	const char *p = strstr(out, "reader: ");
	struct summary s;
	int found = 0;

	for (; p; p = strstr(p + 1, "reader: "))
		if (sscanf(p, "reader: %lu values received, %llu..%llu, %31s "
			   "skipped, %31s repeated, %lu corrupt", &s.received,
			   &s.first, &s.last, s.skipped, s.repeated,
			   &s.corrupt) == 6)
			found = 1;
	CHECK(found, "no ring summary in:\n%s", out);
	return s;
}

/* want_all - the summary says that values 1..@n all came, once each. */
static void want_all(const char *tag, const char *out, unsigned long n)
{
	char want[160];

	snprintf(want, sizeof(want), "reader: %lu values received, 1..%lu, "
		 "none skipped, none repeated, 0 corrupt\n", n, n);
	CHECK(strstr(out, want), "%s: want '%s' in:\n%s", tag, want, out);
}

/* Case 1: the pair at full speed, the reader waiting for the name. */
static void full_speed(void)
{
	char name[128];
	char *rargv[] = { reader_bin, "--ring", "--name", name_for(name,
			  sizeof(name), "ring"), "--quiet", "--wait-ms",
			  "30000", NULL };
	char *wargv[] = { writer_bin, "--ring", "--name", name, "--count",
			  "200000", "--interval-us", "0", NULL };
	struct mmipc_region_info info;
	static struct proc r, w;
	int rc;

	start(&r, rargv);
	wait_for(&r, "reader: waiting for", 30000);
	start(&w, wargv);
	rc = finish(&w, 60000);
	CHECK(rc == 0, "writer exit %d:\n%s", rc, w.out);
	CHECK(strstr(w.out, "writer: sent 200000 values;"), "writer:\n%s",
	      w.out);
	rc = finish(&r, 30000);
	CHECK(rc == 0, "reader exit %d:\n%s", rc, r.out);
	CHECK(strstr(r.out, "reader: end-of-stream: the writer closed the "
		     "ring"), "no end-of-stream:\n%s", r.out);
	want_all("full speed", r.out, 200000);
	CHECK_RC(mmipc_region_stat(name, &info), -ENOENT);
}

/* Case 2: no reader yet: ~540 records fill the ring, then the writer
 * waits; a reader that comes later gets every value. */
static void back_pressure(void)
{
	char name[128];
	char *wargv[] = { writer_bin, "--ring", "--name", name_for(name,
			  sizeof(name), "late"), "--count", "5000",
			  "--interval-us", "0", NULL };
	char *rargv[] = { reader_bin, "--ring", "--name", name, "--quiet",
			  NULL };
	static struct proc r, w;
	unsigned long sent, full;
	const char *line;
	int rc;

	start(&w, wargv);
	wait_for(&w, "writer: created ring", 30000);
	usleep(200 * 1000);
	slurp(&w, 0);
	CHECK(!strstr(w.out, "writer: sent"),
	      "the writer did not wait for a reader:\n%s", w.out);
	start(&r, rargv);
	rc = finish(&r, 30000);
	CHECK(rc == 0, "late reader exit %d:\n%s", rc, r.out);
	want_all("late reader", r.out, 5000);
	rc = finish(&w, 30000);
	CHECK(rc == 0, "writer exit %d:\n%s", rc, w.out);
	line = strstr(w.out, "writer: sent ");
	CHECK(line && sscanf(line, "writer: sent %lu values; waited for room "
			     "in the ring %lu times", &sent, &full) == 2,
	      "no 'sent' line:\n%s", w.out);
	CHECK(sent == 5000 && full >= 1, "sent %lu, waited %lu times:\n%s",
	      sent, full, w.out);
}

/* Case 3: kill -9 the writer mid-run. */
static void killed_writer(void)
{
	char name[128], want[64];
	char *rargv[] = { reader_bin, "--ring", "--name", name_for(name,
			  sizeof(name), "kill"), "--print-every", "100",
			  "--wait-ms", "30000", NULL };
	char *wargv[] = { writer_bin, "--ring", "--name", name, "--count",
			  "1000000", "--interval-us", "1000", NULL };
	static struct proc r, w;
	struct summary s;
	int64_t t0;
	int rc;

	start(&r, rargv);
	wait_for(&r, "reader: waiting for", 30000);
	start(&w, wargv);
	wait_for(&r, "\"record 101 ", 30000);	/* it runs */
	CHECK(kill(w.pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	t0 = t_now_ms();
	rc = finish(&w, 10000);
	CHECK(rc == 128 + SIGKILL, "writer exit %d", rc);
	rc = finish(&r, 10000);
	CHECK(rc == 3, "reader exit %d, want 3:\n%s", rc, r.out);
	CHECK(t_now_ms() - t0 <= 1500, "took %lld ms to notice",
	      (long long)(t_now_ms() - t0));
	printf("killed writer: the reader exited 3 after %lld ms\n",
	       (long long)(t_now_ms() - t0));
	snprintf(want, sizeof(want), "writer (pid %d) died", (int)w.pid);
	CHECK(strstr(r.out, want), "want '%s' in:\n%s", want, r.out);
	s = parse_summary(r.out);
	CHECK(s.received >= 101, "only %lu values", s.received);
	want_all("killed writer", r.out, s.received);
	CHECK_RC(mmipc_region_unlink(name, 0), 0);
}

/* Case 4: the reader takes 1000 values and goes: the writer's next send
 * after that is refused (-EPIPE), like a write to a pipe nobody reads. */
static void reader_goes(void)
{
	char name[128];
	char *rargv[] = { reader_bin, "--ring", "--name", name_for(name,
			  sizeof(name), "epipe"), "--quiet", "--count", "1000",
			  "--wait-ms", "30000", NULL };
	char *wargv[] = { writer_bin, "--ring", "--name", name, "--count",
			  "1000000", "--interval-us", "0", NULL };
	static struct proc r, w;
	int rc;

	start(&r, rargv);
	wait_for(&r, "reader: waiting for", 30000);
	start(&w, wargv);
	rc = finish(&r, 30000);
	CHECK(rc == 0, "reader exit %d:\n%s", rc, r.out);
	want_all("--count 1000", r.out, 1000);
	rc = finish(&w, 10000);
	CHECK(rc == 1, "writer exit %d, want 1:\n%s", rc, w.out);
	CHECK(strstr(w.out, "(the reader closed the ring or died)"),
	      "no -EPIPE in:\n%s", w.out);
	CHECK_RC(mmipc_region_unlink(name, MMIPC_F_FORCE), -ENOENT);
}

/* fake_send - this process as the writer: record @counter, its checksum
 * off by @bad_sum, its length cut to @len. */
static void fake_send(mmipc_ring *ring, uint64_t counter, int bad_sum,
		      size_t len)
{
	struct ex_payload p;

	memset(&p, 0, sizeof(p));
	p.counter = counter;
	snprintf(p.text, sizeof(p.text), "record %llu from writer pid %d",
		 (unsigned long long)counter, (int)getpid());
	p.checksum = ex_checksum(&p) + (uint64_t)bad_sum;
	CHECK_RC(mmipc_ring_send(ring, &p, len, 0, 5000), 0);
}

/* Case 5: a writer that breaks the promises, to test the reader's checks:
 * 1 2 4 (3 skipped) 4 (repeated), a bad checksum, a short message, 5. */
static void reader_checks(void)
{
	char name[128];
	char *rargv[] = { reader_bin, "--ring", "--name", name_for(name,
			  sizeof(name), "fake"), NULL };
	mmipc_region *reg;
	mmipc_ring *ring;
	struct summary s;
	struct proc r;
	int rc;

	CHECK_RC(mmipc_ring_create(&reg, name, EX_RING_CAPACITY, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&ring, reg, MMIPC_ROLE_PRODUCER, 0), 0);
	fake_send(ring, 1, 0, sizeof(struct ex_payload));
	fake_send(ring, 2, 0, sizeof(struct ex_payload));
	fake_send(ring, 4, 0, sizeof(struct ex_payload));
	fake_send(ring, 4, 0, sizeof(struct ex_payload));
	fake_send(ring, 5, 1, sizeof(struct ex_payload));
	fake_send(ring, 5, 0, 64);
	fake_send(ring, 5, 0, sizeof(struct ex_payload));
	CHECK_RC(mmipc_ring_close(ring), 0);

	start(&r, rargv);
	rc = finish(&r, 10000);
	CHECK(rc == 1, "reader exit %d, want 1:\n%s", rc, r.out);
	s = parse_summary(r.out);
	CHECK(s.received == 5 && s.first == 1 && s.last == 5 &&
	      strcmp(s.skipped, "1") == 0 && strcmp(s.repeated, "1") == 0 &&
	      s.corrupt == 2, "wrong summary:\n%s", r.out);
	CHECK_RC(mmipc_region_unlink(name, 0), 0);
	CHECK_RC(mmipc_region_close(reg), 0);
}

int main(void)
{
	int i;

	pu_init();
	t_bin(reader_bin, sizeof(reader_bin), "mmipc-ex-reader");
	t_bin(writer_bin, sizeof(writer_bin), "mmipc-ex-writer");

	for (i = 0; i < 3; i++)
		full_speed();
	back_pressure();
	killed_writer();
	reader_goes();
	reader_checks();
	return T_PASS;
}
