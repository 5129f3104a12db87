/*
 * t_cli_ring_stat - what stat, ls and rm --stale say of a ring whose
 * creator (the "mmipc create" process) is gone, whose producer (an "mmipc
 * send", after three lines) was killed with -9, and whose consumer (an
 * "mmipc recv", stopped so that it stays attached) lives: stat shows both
 * ends, the counters and the peer table, as text and JSON; ls shows PEERS
 * 1/2; rm --stale keeps the ring. Once the consumer is killed too, the
 * ring is stale and rm --stale removes it.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

#include "cli_util.h"

static char addr[128];

static bool exists(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, addr + 4);
	return access(path, F_OK) == 0;
}

/* The stat line "key: ..." is exactly want. */
static void check_line(const char *key, const char *want)
{
	char line[512];

	CHECK(line_of(R.out, key, line, sizeof(line)) != NULL,
	      "stat has no '%s' line:\n%s", key, R.out);
	CHECK(strcmp(line, want) == 0, "stat: '%s', want '%s'", line, want);
}

/* A sender that sent three lines and died, a receiver that took them and
 * is stopped (alive, attached). */
static void setup(pid_t *sender, pid_t *receiver)
{
	int64_t end = t_now_ms() + 10000;
	int fds[2], nul;

	CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	*sender = start_tool(fds[0], -1, -1, "send", addr, NULL);
	close(fds[0]);
	CHECK(write(fds[1], "one\ntwo\nsix\n", 12) == 12, "write");
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(nul >= 0, "/dev/null: %s", strerror(errno));
	*receiver = start_tool(-1, nul, -1, "recv", addr, NULL);
	close(nul);
	while (ring_now(addr).msgs_recv != 3) {
		CHECK(t_now_ms() < end, "recv did not take 3 lines");
		usleep(2000);
	}
	CHECK(kill(*receiver, SIGSTOP) == 0, "SIGSTOP: %s", strerror(errno));
	CHECK(kill(*sender, SIGKILL) == 0, "SIGKILL: %s", strerror(errno));
	CHECK(wait_ms(*sender, 5000) == 128 + SIGKILL, "send not killed");
	close(fds[1]);
}

static void test_stat_text(pid_t sender, pid_t receiver)
{
	char want[256];

	tool("stat", addr, NULL);
	CHECK_RUN(0, "stat");
	check_line("creator_alive:", "creator_alive: no");
	check_line("stale:", "stale: no");
	check_line("ring_capacity:", "ring_capacity: 4096 (4.0K)");
	check_line("ring_used:", "ring_used: 0 (0%)");
	check_line("ring_msgs_sent:", "ring_msgs_sent: 3");
	check_line("ring_msgs_recv:", "ring_msgs_recv: 3");
	check_line("ring_bytes_sent:", "ring_bytes_sent: 9");
	check_line("ring_bytes_recv:", "ring_bytes_recv: 9");
	snprintf(want, sizeof(want), "ring_producer: dead (pid %d)",
		 (int)sender);
	check_line("ring_producer:", want);
	snprintf(want, sizeof(want), "ring_consumer: attached (pid %d)",
		 (int)receiver);
	check_line("ring_consumer:", want);
	check_line("peers:", "peers: 2 (1 alive)");
	snprintf(want, sizeof(want), ": producer, pid %d, alive no, since ",
		 (int)sender);
	CHECK(strstr(R.out, want), "no dead producer peer line:\n%s", R.out);
	snprintf(want, sizeof(want), ": consumer, pid %d, alive yes, since ",
		 (int)receiver);
	CHECK(strstr(R.out, want), "no live consumer peer line:\n%s", R.out);
}

static void test_stat_json(pid_t sender, pid_t receiver)
{
	char pids[64];

	snprintf(pids, sizeof(pids), "%d,%d", (int)sender, (int)receiver);
	tool("stat", "--json", addr, NULL);
	CHECK_RUN(0, "stat --json");
	py_json(R.out,
		"s, c = map(int, sys.argv[1].split(','))\n"
		"r = d['ring']\n"
		"assert r['capacity'] == 4096 and r['used'] == 0, r\n"
		"assert r['fill_pct'] == 0 and r['broken'] is False, r\n"
		"assert r['msgs_sent'] == r['msgs_recv'] == 3, r\n"
		"assert r['bytes_sent'] == r['bytes_recv'] == 9, r\n"
		"assert r['producer'] == {'state': 'dead', 'pid': s}, r\n"
		"assert r['consumer'] == {'state': 'attached', 'pid': c}, r\n"
		"p = sorted((x['role'], x['pid'], x['alive']) for x in d['peers'])\n"
		"assert p == [('consumer', c, True), ('producer', s, False)], p\n"
		"assert all(x['attach_ns'] > 0 for x in d['peers']), d['peers']\n"
		"assert d['peers_alive'] == 1 and d['peers_attached'] == 2, d\n"
		"assert d['stale'] is False and d['creator_alive'] is False, d\n",
		pids);
}

static void test_ls(void)
{
	char line[1024];

	tool("ls", NULL);
	CHECK_RUN(0, "ls");
	CHECK(line_of(R.out, addr, line, sizeof(line)), "ls: no %s:\n%s", addr,
	      R.out);
	CHECK(strstr(line, " ring ") && strstr(line, " 1/2 ") &&
	      strstr(line, " 0% ") && !strstr(line, "stale"),
	      "ls line: %s", line);
	CHECK(strstr(R.out, "PEERS") && strstr(R.out, "FILL"), "ls: %s", R.out);
	tool("ls", "--json", NULL);
	CHECK_RUN(0, "ls --json");
	py_json(R.out,
		"assert len(d) == 1, d\n"
		"e = d[0]\n"
		"assert e['name'] == sys.argv[1], e\n"
		"assert (e['peers'], e['peers_alive'], e['fill_pct']) == (2, 1, 0), e\n"
		"assert e['stale'] is False, e\n",
		addr);
}

static void test_rm_stale(pid_t receiver)
{
	char want[256];
	struct mmipc_region_info info;

	CHECK_OK(mmipc_region_stat(addr, &info));
	tool("rm", "--stale", "-v", NULL);
	CHECK_RUN(0, "rm --stale with a live consumer");
	snprintf(want, sizeof(want), "keeping %s (creator %d dead, 1 live peer)\n",
		 addr, info.creator_pid);
	CHECK(strcmp(R.out, want) == 0, "rm --stale -v said '%s', want '%s'",
	      R.out, want);
	CHECK(exists(), "rm --stale removed a ring whose consumer lives");

	CHECK(kill(receiver, SIGKILL) == 0, "SIGKILL: %s", strerror(errno));
	CHECK(wait_ms(receiver, 5000) == 128 + SIGKILL, "recv not killed");
	tool("ls", NULL);
	CHECK(strstr(R.out, " 0/2 ") && strstr(R.out, " stale\n"),
	      "ls after both died:\n%s", R.out);
	tool("rm", "--stale", NULL);
	CHECK_RUN(0, "rm --stale");
	snprintf(want, sizeof(want), "removed %s (creator %d dead)\n", addr,
		 info.creator_pid);
	CHECK(strcmp(R.out, want) == 0, "rm --stale said '%s', want '%s'",
	      R.out, want);
	CHECK(!exists(), "rm --stale kept a ring nobody uses");
}

int main(void)
{
	pid_t sender, receiver;

	main_pid = getpid();
	CHECK(atexit(cli_cleanup) == 0, "atexit");
	t_tmpdir(dir, sizeof(dir));
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	t_name(addr, sizeof(addr), "stat");
	tool("create", "ring", addr, "--capacity", "4K", NULL);
	CHECK_RUN(0, "create ring");

	setup(&sender, &receiver);
	test_stat_text(sender, receiver);
	test_stat_json(sender, receiver);
	test_ls();
	test_rm_stale(receiver);

	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	dir[0] = '\0';
	return T_PASS;
}
