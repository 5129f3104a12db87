/*
 * t_cli_ring_exit - how "mmipc send" and "mmipc recv" end: recv --timeout
 * on an empty ring exits 3; recv -n 5 stops after five lines and the
 * sender still writing gets 4; a sender killed with -9 while it waits for
 * input makes recv exit 4, naming it; a receiver killed with -9 while the
 * sender waits for room makes send exit 4, naming it. The other end must
 * notice a death within 1.5 s (the library promises about a second).
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

#include "cli_util.h"

#define NOTICE_MS 1500

static const char *new_ring(char *addr, size_t size, const char *tag)
{
	t_name(addr, size, tag);
	tool("create", "ring", addr, "--capacity", "4K", NULL);
	CHECK_RUN(0, "create ring");
	return addr;
}

/* wait_until - poll the ring until ok(stats) holds, 10 s at most. */
static struct mmipc_ring_stats
wait_until(const char *addr, bool (*ok)(const struct mmipc_ring_stats *),
	   const char *what)
{
	int64_t end = t_now_ms() + 10000;
	struct mmipc_ring_stats st;

	for (;;) {
		st = ring_now(addr);
		if (ok(&st))
			return st;
		CHECK(t_now_ms() < end, "never %s: used %llu, producer %u, consumer %u",
		      what, (unsigned long long)st.used, st.producer,
		      st.consumer);
		usleep(2000);
	}
}

static bool is_full(const struct mmipc_ring_stats *st)
{
	return st->used == st->capacity && st->producer == MMIPC_END_ATTACHED;
}

static bool three_taken(const struct mmipc_ring_stats *st)
{
	return st->msgs_recv == 3;
}

static bool consumer_in(const struct mmipc_ring_stats *st)
{
	return st->consumer == MMIPC_END_ATTACHED;
}

/* The stderr file at path says what, and names pid. */
static void check_said(const char *path, const char *what, pid_t pid)
{
	char want[128];
	size_t n;
	char *err = read_all(path, &n);

	snprintf(want, sizeof(want), "%s (pid %d)", what, (int)pid);
	CHECK(strstr(err, want) != NULL && strncmp(err, "mmipc: ", 7) == 0,
	      "stderr '%s', want 'mmipc: ...%s'", err, want);
	free(err);
}

static void test_timeout(void)
{
	char addr[128];
	int64_t t0;

	new_ring(addr, sizeof(addr), "timeout");
	t0 = t_now_ms();
	tool("recv", "--timeout", "200", addr, NULL);
	t0 = t_now_ms() - t0;
	CHECK_RUN(3, "recv --timeout 200 on an empty ring");
	CHECK(t0 >= 190 && t0 < 3000, "timed out after %lld ms, want 200",
	      (long long)t0);
	CHECK(strstr(R.err, "no message for 200 ms") && R.out[0] == '\0',
	      "timeout said '%s'", R.err);
	tool("send", "--timeout", "x", addr, NULL);
	CHECK_RUN(1, "send --timeout x");
}

/* Usage errors are 2; a line longer than the ring's largest message is
 * an error (1), after the lines before it went through. */
static void test_errors(void)
{
	char addr[128], *in = malloc(5010);
	char *send_argv[] = { (char *)t_tool(), "send", addr, NULL };

	CHECK(in != NULL, "malloc");
	tool("send", "--help", NULL);
	CHECK_RUN(0, "send --help");
	CHECK(strstr(R.out, "Usage: mmipc send") &&
	      strstr(R.out, "seq 1 1000000 | mmipc send"), "send --help:\n%s",
	      R.out);
	tool("recv", "--help", NULL);
	CHECK_RUN(0, "recv --help");
	CHECK(strstr(R.out, "Usage: mmipc recv") && strstr(R.out, "4 the"),
	      "recv --help:\n%s", R.out);
	tool("--help", NULL);
	CHECK(strstr(R.out, "  send ") && strstr(R.out, "  recv "),
	      "mmipc --help lists no send/recv:\n%s", R.out);
	tool("send", NULL);
	CHECK_RUN(2, "send without ADDR");
	tool("recv", "--null", "--raw", "x", NULL);
	CHECK_RUN(2, "recv --null --raw");
	tool("send", "-0", "--raw", "1K", "x", NULL);
	CHECK_RUN(2, "send -0 --raw");
	new_ring(addr, sizeof(addr), "long");
	memset(in, 'x', 5010);
	memcpy(in, "ok\n", 3);
	in[5003] = '\n';
	memcpy(in + 5004, "late\n", 6);
	run_argv(&R, send_argv, in);
	CHECK_RUN(1, "send of a 5000-byte line into a 4K ring");
	CHECK(strstr(R.err, "mmipc: ") == R.err &&
	      strstr(R.err, ": message of 5000 bytes exceeds the ring's maximum of "),
	      "too long a line: '%s'", R.err);
	tool("recv", addr, NULL);
	CHECK_RUN(0, "recv after the failed send");
	CHECK(strcmp(R.out, "ok\n") == 0, "recv got '%s'", R.out);
	free(in);
}

/* recv -n 5 takes five lines, exits 0, and the blocked sender gets 4. */
static void test_count(void)
{
	char *argv[] = { "/bin/sh", "-c", "seq 1 100000 | \"$M\" send \"$A\"",
			 NULL };
	char addr[128], errp[256];
	pid_t sender;
	int efd;

	new_ring(addr, sizeof(addr), "count");
	CHECK(setenv("A", addr, 1) == 0, "setenv");
	efd = new_file("count.err", errp, sizeof(errp));
	sender = spawn_fds(argv, -1, -1, efd);
	close(efd);
	wait_until(addr, is_full, "full");
	tool("recv", "-n", "5", addr, NULL);
	CHECK_RUN(0, "recv -n 5");
	CHECK(strcmp(R.out, "1\n2\n3\n4\n5\n") == 0, "recv -n 5 gave '%s'",
	      R.out);
	CHECK(wait_ms(sender, 5000) == 4, "send did not exit 4 once recv closed");
	CHECK(ring_now(addr).msgs_recv == 5, "recv took more than 5");
}

/* wait_output - the file at path holds want within 5 s: recv writes out
 * what it has before it waits for more. */
static void wait_output(const char *path, const char *want)
{
	int64_t end = t_now_ms() + 5000;
	size_t n;
	char *got;

	for (;;) {
		got = read_all(path, &n);
		if (strcmp(got, want) == 0)
			break;
		CHECK(t_now_ms() < end, "recv, waiting, has written '%s', want '%s'",
		      got, want);
		free(got);
		usleep(2000);
	}
	free(got);
}

/* The sender waits for input (the test holds its stdin open) and dies.
 * Meanwhile, what it was given reached the output at once. */
static void test_sender_killed(void)
{
	char addr[128], errp[256], outp[256], *out;
	pid_t sender, receiver;
	int fds[2], efd, ofd, rc;
	int64_t t0;
	size_t n;

	new_ring(addr, sizeof(addr), "sdie");
	CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	sender = start_tool(fds[0], -1, -1, "send", addr, NULL);
	close(fds[0]);
	CHECK(write(fds[1], "a\nb\nc\n", 6) == 6, "write: %s", strerror(errno));
	efd = new_file("sdie.err", errp, sizeof(errp));
	ofd = new_file("sdie.out", outp, sizeof(outp));
	receiver = start_tool(-1, ofd, efd, "recv", addr, NULL);
	close(efd);
	close(ofd);
	wait_until(addr, three_taken, "3 received");
	wait_output(outp, "a\nb\nc\n");
	CHECK(wait_ms(receiver, 100) == -1, "recv ended while the sender lived");
	CHECK(kill(sender, SIGKILL) == 0, "kill: %s", strerror(errno));
	t0 = t_now_ms();
	CHECK(wait_ms(sender, 5000) == 128 + SIGKILL, "send not killed");
	rc = wait_ms(receiver, NOTICE_MS);
	CHECK(rc == 4, "recv: exit %d after the producer died (-1: still "
	      "running after %d ms)", rc, NOTICE_MS);
	fprintf(stderr, "note: recv noticed the dead sender in %lld ms\n",
		(long long)(t_now_ms() - t0));
	check_said(errp, "producer died", sender);
	out = read_all(outp, &n);
	CHECK(strcmp(out, "a\nb\nc\n") == 0, "recv wrote '%s'", out);
	free(out);
	close(fds[1]);
}

/* The receiver is stopped, the sender fills the ring, the receiver dies. */
static void test_receiver_killed(void)
{
	char *argv[] = { "/bin/sh", "-c",
			 "seq 1 1000000 | exec \"$M\" send \"$A\"", NULL };
	char addr[128], errp[256];
	pid_t sender, receiver;
	int efd, rc;
	int64_t t0;

	new_ring(addr, sizeof(addr), "rdie");
	CHECK(setenv("A", addr, 1) == 0, "setenv");
	receiver = start_tool(-1, -1, -1, "recv", addr, NULL);
	wait_until(addr, consumer_in, "a consumer");
	CHECK(kill(receiver, SIGSTOP) == 0, "kill: %s", strerror(errno));
	efd = new_file("rdie.err", errp, sizeof(errp));
	sender = spawn_fds(argv, -1, -1, efd);
	close(efd);
	wait_until(addr, is_full, "full");
	CHECK(kill(receiver, SIGKILL) == 0, "kill: %s", strerror(errno));
	t0 = t_now_ms();
	CHECK(wait_ms(receiver, 5000) == 128 + SIGKILL, "recv not killed");
	rc = wait_ms(sender, NOTICE_MS);
	CHECK(rc == 4, "send: exit %d after the consumer died (-1: still "
	      "running after %d ms)", rc, NOTICE_MS);
	fprintf(stderr, "note: send noticed the dead receiver in %lld ms\n",
		(long long)(t_now_ms() - t0));
	check_said(errp, "consumer died", receiver);
}

int main(void)
{
	main_pid = getpid();
	CHECK(atexit(cli_cleanup) == 0, "atexit");
	t_tmpdir(dir, sizeof(dir));
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	CHECK(setenv("M", t_tool(), 1) == 0, "setenv");

	test_timeout();
	test_errors();
	test_count();
	test_sender_killed();
	test_receiver_killed();

	rm_dir(dir);
	dir[0] = '\0';
	return T_PASS;
}
