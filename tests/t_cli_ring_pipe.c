/*
 * t_cli_ring_pipe - "mmipc send" and "mmipc recv" carry a stream through a
 * ring between unrelated processes, byte for byte: a million lines through
 * a shell pipeline (recv started first), the same with the sender first
 * and blocked on a full ring, NUL-separated binary records (-0), fixed
 * blocks of random bytes (--raw 4096), and a last line without a newline.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

#include "cli_util.h"

/* A fresh ring in the private directory. */
static const char *new_ring(char *addr, size_t size, const char *tag,
			    const char *capacity)
{
	t_name(addr, size, tag);
	tool("create", "ring", addr, "--capacity", capacity, NULL);
	CHECK_RUN(0, "create ring");
	return addr;
}

/* seq_text - what "seq 1 n" prints, in a malloc'd buffer. */
static char *seq_text(long n, size_t *len)
{
	char *buf = malloc((size_t)n * 8 + 1);
	size_t at = 0;
	long i;

	CHECK(buf != NULL, "malloc");
	for (i = 1; i <= n; i++)
		at += (size_t)sprintf(buf + at, "%ld\n", i);
	*len = at;
	return buf;
}

/* check_same - the file at path holds exactly want[0..len). */
static void check_same(const char *path, const char *want, size_t len,
		       const char *what)
{
	size_t n, i;
	char *got = read_all(path, &n);

	for (i = 0; i < n && i < len && got[i] == want[i]; i++)
		;
	CHECK(n == len && i == len,
	      "%s: output differs at byte %zu (got %zu bytes, want %zu): "
	      "'%.20s' vs '%.20s'", what, i, n, len, got + (i < n ? i : n),
	      want + (i < len ? i : len));
	free(got);
}

/* The pipeline of the manual, through /bin/sh: recv in the background,
 * then seq | send; the shell exits with send's status * 16 + recv's. */
static void test_million_lines(void)
{
	static const char script[] =
		"\"$M\" recv \"$A\" > \"$O\" & r=$!\n"
		"seq 1 1000000 | \"$M\" send \"$A\"; s=$?\n"
		"wait $r; v=$?\n"
		"exit $((s * 16 + v))\n";
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	char addr[128], out[256];
	size_t len;
	char *want;
	int64_t t0;
	int rc;

	new_ring(addr, sizeof(addr), "million", "1M");
	close(new_file("million.out", out, sizeof(out)));
	CHECK(setenv("M", t_tool(), 1) == 0 && setenv("A", addr, 1) == 0 &&
	      setenv("O", out, 1) == 0, "setenv");
	t0 = t_now_ms();
	rc = wait_ms(spawn_fds(argv, -1, -1, -1), 60000);
	CHECK(rc == 0, "pipeline: exit %d (send %d, recv %d; -1: hung)", rc,
	      rc / 16, rc % 16);
	fprintf(stderr, "note: 1,000,000 lines in %lld ms\n",
		(long long)(t_now_ms() - t0));
	want = seq_text(1000000, &len);
	check_same(out, want, len, "seq 1 1000000 | send, recv");
	free(want);
	CHECK(ring_now(addr).msgs_recv == 1000000, "not 1,000,000 messages");
}

/* wait_full - until the ring holds capacity bytes (the sender waits). */
static void wait_full(const char *addr)
{
	int64_t end = t_now_ms() + 10000;
	struct mmipc_ring_stats st;

	for (;;) {
		st = ring_now(addr);
		if (st.used == st.capacity &&
		    st.producer == MMIPC_END_ATTACHED)
			return;
		CHECK(t_now_ms() < end, "ring never filled: used %llu, producer %u",
		      (unsigned long long)st.used, st.producer);
		usleep(2000);
	}
}

/* The sender first, into a small ring it fills; the receiver later. */
static void test_sender_first(void)
{
	char *argv[] = { "/bin/sh", "-c",
			 "seq 1 200000 | \"$M\" send \"$A\"", NULL };
	char addr[128], out[256];
	pid_t sender, receiver;
	size_t len;
	char *want;
	int fd;

	new_ring(addr, sizeof(addr), "first", "4K");
	CHECK(setenv("A", addr, 1) == 0, "setenv");
	sender = spawn_fds(argv, -1, -1, -1);
	wait_full(addr);
	CHECK(wait_ms(sender, 0) == -1, "the sender did not wait for room");
	CHECK(ring_now(addr).consumer == MMIPC_END_NONE, "a consumer already");
	fd = new_file("first.out", out, sizeof(out));
	receiver = start_tool(-1, fd, -1, "recv", addr, NULL);
	close(fd);
	CHECK(wait_ms(sender, 30000) == 0, "send failed or hung");
	CHECK(wait_ms(receiver, 30000) == 0, "recv failed or hung");
	want = seq_text(200000, &len);
	check_same(out, want, len, "send first, recv later");
	free(want);
}

/* Tiny xorshift: the same "random" data on every run. */
static uint32_t rnd(void)
{
	static uint32_t x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* round_trip - recv OPT > out in the background, send OPTS < in; both
 * must succeed and out must equal in. Returns the ring's stats. */
static struct mmipc_ring_stats round_trip(const char *tag, const char *in,
					  const char *send_opt,
					  const char *send_arg,
					  const char *recv_opt)
{
	char addr[128], out[256];
	pid_t receiver, sender;
	size_t len;
	char *want;
	int ifd, ofd;

	new_ring(addr, sizeof(addr), tag, "64K");
	ofd = new_file(tag, out, sizeof(out));
	receiver = start_tool(-1, ofd, -1, "recv", recv_opt, addr, NULL);
	close(ofd);
	ifd = open(in, O_RDONLY | O_CLOEXEC);
	CHECK(ifd >= 0, "open %s: %s", in, strerror(errno));
	sender = send_arg != NULL ?
		 start_tool(ifd, -1, -1, "send", send_opt, send_arg, addr, NULL) :
		 start_tool(ifd, -1, -1, "send", send_opt, addr, NULL);
	close(ifd);
	CHECK(wait_ms(sender, 30000) == 0, "%s: send failed or hung", tag);
	CHECK(wait_ms(receiver, 30000) == 0, "%s: recv failed or hung", tag);
	want = read_all(in, &len);
	check_same(out, want, len, tag);
	free(want);
	return ring_now(addr);
}

/* Binary records, newlines inside, empty ones too, each ending in NUL. */
static void test_null(void)
{
	char path[256];
	unsigned char rec[256];
	int fd, i, n, j;
	struct mmipc_ring_stats st;

	fd = new_file("null.in", path, sizeof(path));
	for (i = 0; i < 20000; i++) {
		n = (int)(rnd() % 200);
		for (j = 0; j < n; j++)
			rec[j] = (unsigned char)(1 + rnd() % 255);
		rec[n] = '\0';
		CHECK(write(fd, rec, (size_t)n + 1) == n + 1, "write");
	}
	close(fd);
	st = round_trip("null", path, "-0", NULL, "-0");
	CHECK(st.msgs_sent == 20000 && st.msgs_recv == 20000,
	      "-0: %llu messages sent, %llu received, want 20000",
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.msgs_recv);
}

/* Random bytes (NULs and newlines included) in blocks of 4096. */
static void test_raw(void)
{
	enum { SIZE = 1000000 + 123 };
	struct mmipc_ring_stats st;
	char path[256];
	unsigned char *buf = malloc(SIZE);
	int fd, i;

	CHECK(buf != NULL, "malloc");
	for (i = 0; i < SIZE; i++)
		buf[i] = (unsigned char)rnd();
	fd = new_file("raw.in", path, sizeof(path));
	CHECK(write(fd, buf, SIZE) == SIZE, "write");
	close(fd);
	free(buf);
	st = round_trip("raw", path, "--raw", "4096", "--raw");
	CHECK(st.msgs_sent == (SIZE + 4095) / 4096 && st.bytes_sent == SIZE,
	      "--raw 4096: %llu messages of %llu bytes, want %d of %d",
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.bytes_sent, (SIZE + 4095) / 4096, SIZE);
}

/* --raw 1000 cuts 2500 bytes into 1000, 1000 and 500: recv, with a
 * newline after each message, shows where the cuts fell. */
static void test_raw_blocks(void)
{
	char addr[128], in[2501], want[2504];
	char *send_argv[] = { (char *)t_tool(), "send", "--raw", "1000", addr,
			      NULL };
	int i;

	for (i = 0; i < 2500; i++)
		in[i] = (char)('a' + i % 26);
	in[2500] = '\0';
	snprintf(want, sizeof(want), "%.1000s\n%.1000s\n%.500s\n", in,
		 in + 1000, in + 2000);
	new_ring(addr, sizeof(addr), "blocks", "64K");
	run_argv(&R, send_argv, in);
	CHECK_RUN(0, "send --raw 1000");
	tool("recv", addr, NULL);
	CHECK_RUN(0, "recv");
	CHECK(strcmp(R.out, want) == 0, "--raw 1000 blocks came as:\n%s",
	      R.out);
}

/* A last line without a newline is a message; an empty line is one. */
static void test_last_line(void)
{
	char addr[128];
	char *send_argv[] = { (char *)t_tool(), "send", addr, NULL };

	new_ring(addr, sizeof(addr), "last", "4K");
	run_argv(&R, send_argv, "a\n\nb");
	CHECK_RUN(0, "send 'a\\n\\nb'");
	tool("recv", addr, NULL);
	CHECK_RUN(0, "recv");
	CHECK(strcmp(R.out, "a\n\nb\n") == 0, "recv gave '%s'", R.out);
	CHECK(ring_now(addr).msgs_recv == 3, "not 3 messages");
}

int main(void)
{
	main_pid = getpid();
	CHECK(atexit(cli_cleanup) == 0, "atexit");
	t_tmpdir(dir, sizeof(dir));
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	CHECK(setenv("M", t_tool(), 1) == 0, "setenv");

	test_last_line();
	test_raw_blocks();
	test_million_lines();
	test_sender_first();
	test_null();
	test_raw();

	rm_dir(dir);
	dir[0] = '\0';
	return T_PASS;
}
