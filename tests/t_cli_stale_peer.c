/*
 * t_cli_stale_peer - "mmipc rm --stale" never removes a region with a live
 * peer. In a private shm directory, two rings are each created by a
 * process that is then killed with SIGKILL, while another process stays
 * attached to each (the producer of one, the consumer of the other):
 *  - "ls" (and --json, and "stat") do not call them stale: creator dead,
 *    one live peer; "rm --stale" (and --dry-run) keep both, and say why
 *    with -v;
 *  - the peer of the first is killed and reaped: that ring is stale now,
 *    the other not; the peer of the second is killed and left a zombie
 *    (dead, not reaped): it counts as dead, so that ring is stale too;
 *  - "rm --stale --dry-run" names both, "rm --stale" removes both.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "helpers.h"

#include "cli_util.h"

#define LIMIT_MS 20000	/* a tool run killed after this has hung */

static char ring[2][128];	/* the two rings, shm:NAME */
static pid_t creator[2], peer[2];

/* A child that does what @role says (0: create the ring, 1 and 2: attach
 * as that role), then writes one byte to the pipe and waits to be killed.
 * Registered with kill_kids() for a failed CHECK. */
static pid_t holder(const char *addr, int role)
{
	mmipc_region *r;
	mmipc_ring *end;
	int fds[2], rc;
	pid_t pid;
	char c;

	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	CHECK(nkids < (int)(sizeof(kids) / sizeof(kids[0])), "too many kids");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		rc = role == 0 ? mmipc_ring_create(&r, addr, 4096, 0, 0)
			       : mmipc_ring_open(&end, addr, role, 0);
		if (rc < 0 || write(fds[1], "r", 1) != 1)
			_exit(T_FAIL);
		for (;;)
			pause();
	}
	kids[nkids++] = pid;
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1, "%s of %s in pid %d failed",
	      role == 0 ? "create" : "attach", addr, (int)pid);
	close(fds[0]);
	return pid;
}

static void kill_reaped(pid_t pid)
{
	CHECK(kill(pid, SIGKILL) == 0, "kill %d: %s", (int)pid,
	      strerror(errno));
	CHECK(wait_ms(pid, 10000) == 128 + SIGKILL, "pid %d: not killed",
	      (int)pid);
}

/* Kills @pid and waits until it is a zombie ('Z' in /proc/PID/stat),
 * without reaping it. */
static void kill_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	int64_t end = t_now_ms() + 10000;
	FILE *f;

	CHECK(kill(pid, SIGKILL) == 0, "kill %d: %s", (int)pid,
	      strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (;;) {
		f = fopen(path, "r");
		CHECK(f != NULL, "%s: %s", path, strerror(errno));
		buf[0] = '\0';
		CHECK(fgets(buf, sizeof(buf), f) != NULL || feof(f), "read");
		fclose(f);
		p = strrchr(buf, ')');
		if (p != NULL && p[1] == ' ' && p[2] == 'Z')
			return;
		CHECK(t_now_ms() < end, "pid %d: no zombie after 10 s: %s",
		      (int)pid, buf);
		usleep(2000);
	}
}

static bool exists(const char *addr)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, addr + 4);
	return access(path, F_OK) == 0;
}

/* The run in R ended on its own with status @want. */
static void ran(int want, const char *what)
{
	CHECK(R.rc != -1, "%s: still running after %d ms: hung", what,
	      LIMIT_MS);
	CHECK_RUN(want, what);
}

/* ls, ls --json and stat agree that ring @i is (or is not) stale, with
 * its creator dead and @alive of its peers alive. */
static void check_ls(int i, bool stale, int alive)
{
	char line[1024], want[32], arg[8];

	tool_ms(LIMIT_MS, "ls", NULL);
	ran(0, "ls");
	CHECK(line_of(R.out, ring[i], line, sizeof(line)) != NULL,
	      "ls: no %s in\n%s", ring[i], R.out);
	snprintf(want, sizeof(want), " %d/1 ", alive);
	CHECK(strstr(line, " no ") != NULL && strstr(line, want) != NULL,
	      "ls: %s: want creator 'no', peers '%s':\n%s", ring[i], want,
	      line);
	CHECK(stale == (strlen(line) > 6 &&
			strcmp(line + strlen(line) - 6, " stale") == 0),
	      "ls: %s %s stale:\n%s", ring[i], stale ? "not marked" : "marked",
	      line);
	tool_ms(LIMIT_MS, "ls", "--json", ring[i], NULL);
	ran(0, "ls --json");
	snprintf(arg, sizeof(arg), "%d%d", stale, alive);
	py_json(R.out,
		"r, = d\n"
		"assert r['creator_alive'] is False, r\n"
		"assert r['stale'] == (sys.argv[1][0] == '1'), r\n"
		"assert (r['peers'], r['peers_alive']) == "
		"(1, int(sys.argv[1][1])), r\n",
		arg);
	tool_ms(LIMIT_MS, "stat", ring[i], NULL);
	ran(0, "stat");
	CHECK(strstr(R.out, stale ? "\nstale: yes\n" : "\nstale: no\n"),
	      "stat %s: want stale: %s\n%s", ring[i], stale ? "yes" : "no",
	      R.out);
}

/* Both creators dead, both peers alive: nothing is stale, nothing goes. */
static void live_peers_keep(void)
{
	char want[512];

	check_ls(0, false, 1);
	check_ls(1, false, 1);
	tool_ms(LIMIT_MS, "rm", "--stale", "--dry-run", NULL);
	ran(0, "rm --stale --dry-run");
	CHECK(R.out[0] == '\0', "rm --stale --dry-run with live peers: '%s'",
	      R.out);
	tool_ms(LIMIT_MS, "rm", "--stale", "-v", NULL);
	ran(0, "rm --stale -v");
	snprintf(want, sizeof(want),
		 "keeping %s (creator %d dead, 1 live peer)\n"
		 "keeping %s (creator %d dead, 1 live peer)\n",
		 ring[0], (int)creator[0], ring[1], (int)creator[1]);
	CHECK(strcmp(R.out, want) == 0, "rm --stale -v said\n%s\nwant\n%s",
	      R.out, want);
	CHECK(exists(ring[0]) && exists(ring[1]),
	      "rm --stale removed a ring with a live peer");
	printf("creators killed, peers alive: not stale, kept by rm "
	       "--stale\n");
}

/* Peer 0 killed and reaped, peer 1 a zombie: both stale, both go. */
static void dead_peers_go(void)
{
	char want[512];

	kill_reaped(peer[0]);
	check_ls(0, true, 0);
	check_ls(1, false, 1);
	kill_zombie(peer[1]);
	check_ls(1, true, 0);
	tool_ms(LIMIT_MS, "rm", "--stale", "--dry-run", NULL);
	ran(0, "rm --stale --dry-run");
	snprintf(want, sizeof(want),
		 "would remove %s (creator %d dead)\n"
		 "would remove %s (creator %d dead)\n",
		 ring[0], (int)creator[0], ring[1], (int)creator[1]);
	CHECK(strcmp(R.out, want) == 0, "dry run said\n%s\nwant\n%s", R.out,
	      want);
	CHECK(exists(ring[0]) && exists(ring[1]), "--dry-run removed one");
	tool_ms(LIMIT_MS, "rm", "--stale", NULL);
	ran(0, "rm --stale");
	CHECK(!exists(ring[0]) && !exists(ring[1]),
	      "rm --stale left a ring whose peers are dead:\n%s", R.out);
	printf("peer killed (reaped; zombie): stale, removed by rm --stale\n");
	CHECK(wait_ms(peer[1], 10000) == 128 + SIGKILL, "zombie reaped");
}

int main(void)
{
	int i;

	main_pid = getpid();
	CHECK(atexit(cli_cleanup) == 0, "atexit");
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_tmpdir(dir, sizeof(dir));
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	for (i = 0; i < 2; i++) {
		t_name(ring[i], sizeof(ring[i]), "sp");
		creator[i] = holder(ring[i], 0);
		peer[i] = holder(ring[i], i == 0 ? MMIPC_ROLE_PRODUCER
						 : MMIPC_ROLE_CONSUMER);
		kill_reaped(creator[i]);
	}
	live_peers_keep();
	dead_peers_go();
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	dir[0] = '\0';
	return T_PASS;
}
