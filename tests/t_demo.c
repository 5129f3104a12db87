/*
 * t_demo - `mmipc demo`: runs every scenario and says what it showed;
 * --help, --list, bad flags and scenarios; a missing example program; and
 * a failing run (fake example programs) that must name the failed
 * scenarios and leave nothing behind, also when the demo is stopped with
 * SIGTERM while a program hangs.
 */
#include <limits.h>

#include "helpers.h"

/*
 * What a failed CHECK must not leave behind: the files and region of every
 * demo started (named after its pid), the fake programs' directory and a
 * hanging fake writer. cleanup() runs at exit; the checks look first.
 */
static pid_t demos[16], fake_writer;
static int ndemos;
static char fake_dir[256];

static void cleanup(void)
{
	char buf[PATH_MAX];
	int i;

	if (fake_writer > 0)
		kill(fake_writer, SIGKILL);
	for (i = 0; i < ndemos; i++) {
		snprintf(buf, sizeof(buf), "/tmp/mmipc-demo-%d-fork-file",
			 (int)demos[i]);
		unlink(buf);
		snprintf(buf, sizeof(buf), "/tmp/mmipc-demo-%d-mapfile",
			 (int)demos[i]);
		unlink(buf);
		snprintf(buf, sizeof(buf), "shm:mmipc-demo-%d", (int)demos[i]);
		mmipc_region_unlink(buf, MMIPC_F_FORCE);
	}
	if (fake_dir[0]) {
		snprintf(buf, sizeof(buf), "rm -rf '%s'", fake_dir);
		if (system(buf) != 0)
			fprintf(stderr, "cannot remove %s\n", fake_dir);
	}
}

static void spawned(pid_t pid)
{
	if (ndemos < 16)
		demos[ndemos++] = pid;
}

/* run - `mmipc demo ARGS...` with the environment as it is; output in out.
 * Returns the exit code; *pid is the demo's pid (names its files). */
static int run(char *const args[], char *out, size_t size, pid_t *pid)
{
	char tmpl[] = "/tmp/" T_PREFIX "out-XXXXXX";
	char *argv[16] = { (char *)t_tool(), "demo" };
	int i, fd, rc;
	ssize_t n;

	for (i = 0; args[i] && i < 13; i++)
		argv[i + 2] = args[i];
	argv[i + 2] = NULL;
	fd = mkstemp(tmpl);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(tmpl);
	*pid = t_spawn(argv, fd);
	spawned(*pid);
	rc = t_wait(*pid);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* check_clean - nothing of demo @pid is left in /tmp or the shm dir. */
static void check_clean(pid_t pid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/tmp/mmipc-demo-%d-fork-file", (int)pid);
	CHECK(!exists(path), "%s left behind", path);
	snprintf(path, sizeof(path), "/tmp/mmipc-demo-%d-mapfile", (int)pid);
	CHECK(!exists(path), "%s left behind", path);
	snprintf(path, sizeof(path), "%s/mmipc-demo-%d", mmipc_shm_dir(),
		 (int)pid);
	CHECK(!exists(path), "%s left behind", path);
}

static void want(const char *out, const char *what)
{
	CHECK(strstr(out, what), "no '%s' in:\n%s", what, out);
}

static void whole_demo(void)
{
	static char out[65536];
	char *args[] = { NULL };
	pid_t pid;
	int rc;

	rc = run(args, out, sizeof(out), &pid);
	CHECK(rc == 0, "mmipc demo: exit %d:\n%s", rc, out);
	want(out, "== 1. parent and child over a file-backed MAP_SHARED "
	     "region ==");
	want(out, "parent: read \"hello from child ");
	want(out, "parent: global_counter = 1 (the child set 42");
	want(out, "-> the parent read the child's string");
	want(out, "== 2. ");
	want(out, "memfd: parent");
	want(out, "parent: global_counter = 1 (the child's 42");
	want(out, "== 3. ");
	want(out, "strictly increasing, 0 torn reads");
	want(out, "-> the reader saw increasing values ");
	want(out, "never a torn record");
	want(out, "it never polled");
	want(out, "Now with no pause: 100000 values");
	want(out, "-> the writer never waited for the reader: the reader's "
	     "first value was ");
	want(out, "== 4. ");
	want(out, "HELLO, MEMORY-MAPPED WORLD");
	want(out, "== 5. the same writer and reader, every value through a "
	     "ring ==");
	want(out, "reader: 100000 values received, 1..100000, none skipped, "
	     "none repeated, 0 corrupt");
	want(out, "-> the reader received all 100000 values, none skipped, "
	     "none repeated.");
	want(out, "The latest-value region of scenario 3 never makes the "
	     "writer wait");
	want(out, "== all 5 scenarios showed what they should ==");
	CHECK(!strstr(out, "FAILED") && !strstr(out, "WRONG"),
	      "a failure reported:\n%s", out);
	check_clean(pid);
}

static void options(void)
{
	static char out[16384];
	char *help[] = { "--help", NULL }, *list[] = { "--list", NULL };
	char *bad[] = { "--bogus", NULL }, *unknown[] = { "nosuch", NULL };
	char *zero[] = { "--seconds", "0", NULL };
	char *junk[] = { "--seconds", "3x", NULL };
	char *one[] = { "4", NULL }, *ring[] = { "ring", NULL };
	pid_t pid;
	int rc;

	rc = run(help, out, sizeof(out), &pid);
	CHECK(rc == 0, "--help: exit %d:\n%s", rc, out);
	want(out, "Usage: mmipc demo [--list] [--seconds S] [SCENARIO...]");
	want(out, "writer-reader");

	rc = run(list, out, sizeof(out), &pid);
	CHECK(rc == 0, "--list: exit %d:\n%s", rc, out);
	want(out, "1 fork-file");
	want(out, "2 fork-anon");
	want(out, "3 writer-reader");
	want(out, "4 mapfile");
	want(out, "5 ring");
	CHECK(!strstr(out, "=="), "--list ran something:\n%s", out);

	rc = run(bad, out, sizeof(out), &pid);
	CHECK(rc == 2, "--bogus: exit %d:\n%s", rc, out);
	want(out, "Usage: mmipc demo");
	rc = run(unknown, out, sizeof(out), &pid);
	CHECK(rc == 2, "unknown scenario: exit %d:\n%s", rc, out);
	want(out, "mmipc: demo: unknown scenario 'nosuch'");
	rc = run(zero, out, sizeof(out), &pid);
	CHECK(rc == 2, "--seconds 0: exit %d:\n%s", rc, out);
	rc = run(junk, out, sizeof(out), &pid);
	CHECK(rc == 2, "--seconds 3x: exit %d:\n%s", rc, out);

	/* One scenario, by number. */
	rc = run(one, out, sizeof(out), &pid);
	CHECK(rc == 0, "demo 4: exit %d:\n%s", rc, out);
	want(out, "== 4. memory-mapped file I/O");
	want(out, "== the scenario showed what it should ==");
	CHECK(!strstr(out, "== 1."), "demo 4 ran scenario 1:\n%s", out);
	check_clean(pid);

	/* The ring alone, by name: no scenario 3 to compare with. */
	rc = run(ring, out, sizeof(out), &pid);
	CHECK(rc == 0, "demo ring: exit %d:\n%s", rc, out);
	want(out, "== 5. the same writer and reader, every value through a "
	     "ring ==");
	want(out, "-> the reader received all 100000 values");
	CHECK(!strstr(out, "scenario 3"), "narrated a scenario not run:\n%s",
	      out);
	check_clean(pid);
}

static void missing_programs(void)
{
	static char out[16384];
	char *args[] = { NULL };
	pid_t pid;
	int rc;

	CHECK(setenv("MMIPC_EXAMPLES_DIR", "/nonexistent-mmipc", 1) == 0,
	      "setenv");
	rc = run(args, out, sizeof(out), &pid);
	CHECK(unsetenv("MMIPC_EXAMPLES_DIR") == 0, "unsetenv");
	CHECK(rc == 1, "no programs: exit %d:\n%s", rc, out);
	want(out, "mmipc: demo: cannot find mmipc-ex-");
	want(out, "(looked in /nonexistent-mmipc)");
}

/* wait_ms - t_wait() for at most @ms; -1 if @pid is still running. */
static int wait_ms(pid_t pid, int ms)
{
	int64_t end = t_now_ms() + ms;
	pid_t got;
	int st;

	while ((got = waitpid(pid, &st, WNOHANG)) == 0 && t_now_ms() < end)
		usleep(10000);
	CHECK(got >= 0, "waitpid: %s", strerror(errno));
	if (got == 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void write_script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL, "fopen %s: %s", path, strerror(errno));
	CHECK(fputs(text, f) >= 0 && fclose(f) == 0, "write %s", path);
	CHECK(chmod(path, 0755) == 0, "chmod: %s", strerror(errno));
}

/*
 * failing - example programs that misbehave: fork-file leaves its file and
 * fails; the writer leaves garbage under the region's name and hangs. The
 * demo is stopped with SIGTERM while the writer hangs. It must name both
 * failed scenarios, kill the hanging program and remove what was left.
 */
static void failing(void)
{
	static char out[65536];
	char dir[256], path[PATH_MAX], pidfile[512], text[2048];
	char bin[PATH_MAX], tmpl[] = "/tmp/" T_PREFIX "out-XXXXXX";
	char *argv[] = { (char *)t_tool(), "demo", "--seconds", "1", "1",
			 "writer-reader", NULL };
	char *mapfile[] = { "mapfile", NULL };
	int64_t t0;
	pid_t pid, fake;
	FILE *f;
	ssize_t n;
	int fd, rc;

	t_tmpdir(dir, sizeof(dir));
	snprintf(fake_dir, sizeof(fake_dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/mmipc-ex-fork-file", dir);
	write_script(path, "#!/bin/sh\necho \"fake: leaving $1\"\n"
		     "echo x > \"$1\"\nexit 1\n");
	snprintf(pidfile, sizeof(pidfile), "%s/writer.pid", dir);
	snprintf(text, sizeof(text), "#!/bin/sh\n"
		 "echo garbage > \"${MMIPC_SHM_DIR:-/dev/shm}/${2#shm:}\"\n"
		 "echo $$ > %s.tmp && mv %s.tmp %s\n"
		 "exec sleep 1000\n", pidfile, pidfile, pidfile);
	snprintf(path, sizeof(path), "%s/mmipc-ex-writer", dir);
	write_script(path, text);
	snprintf(path, sizeof(path), "%s/mmipc-ex-mapfile", dir);
	write_script(path, "#!/bin/sh\necho 'fake: failing cleanly'\n"
		     "exit 1\n");
	snprintf(path, sizeof(path), "%s/mmipc-ex-reader", dir);
	CHECK(symlink(t_bin(bin, sizeof(bin), "mmipc-ex-reader"), path) == 0,
	      "symlink: %s", strerror(errno));

	CHECK(setenv("MMIPC_EXAMPLES_DIR", dir, 1) == 0, "setenv");
	fd = mkstemp(tmpl);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(tmpl);
	pid = t_spawn(argv, fd);
	spawned(pid);
	CHECK(unsetenv("MMIPC_EXAMPLES_DIR") == 0, "unsetenv");

	/* Wait (test side, polling is fine) for the fake writer to hang. */
	t0 = t_now_ms();
	while ((f = fopen(pidfile, "r")) == NULL) {
		CHECK(t_now_ms() - t0 < 20000, "the fake writer never ran");
		usleep(20000);
	}
	CHECK(fscanf(f, "%d", &fake) == 1, "pid file");
	fclose(f);
	fake_writer = fake;
	usleep(300000);		/* let the reader meet the garbage */
	CHECK(kill(pid, SIGTERM) == 0, "kill: %s", strerror(errno));
	rc = wait_ms(pid, 5000);
	if (rc < 0) {
		kill(pid, SIGKILL);
		kill(fake, SIGKILL);
		t_wait(pid);
		t_failf(__FILE__, __LINE__, "the demo did not stop in 5 s "
			"after SIGTERM");
	}
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);

	CHECK(rc == 1, "failing demo: exit %d:\n%s", rc, out);
	want(out, "-> FAILED");
	want(out, "scenarios failed: fork-file, writer-reader");
	want(out, "mmipc: demo: interrupted");
	want(out, "was left behind; removed it");
	CHECK(kill(fake, 0) < 0 && errno == ESRCH,
	      "the hanging writer (pid %d) is still there", (int)fake);
	fake_writer = 0;
	check_clean(pid);

	/* A program that fails and leaves nothing: its exit status alone
	 * must fail the scenario. */
	CHECK(setenv("MMIPC_EXAMPLES_DIR", dir, 1) == 0, "setenv");
	rc = run(mapfile, out, sizeof(out), &pid);
	CHECK(unsetenv("MMIPC_EXAMPLES_DIR") == 0, "unsetenv");
	CHECK(rc == 1, "failing mapfile: exit %d:\n%s", rc, out);
	want(out, "mmipc: demo: mmipc-ex-mapfile failed (exit status 1)");
	want(out, "mmipc: demo: 1 of 1 scenarios failed: mapfile");
	check_clean(pid);
	t_rmtree(dir);
	fake_dir[0] = '\0';
}

int main(void)
{
	CHECK(atexit(cleanup) == 0, "atexit");
	whole_demo();
	options();
	missing_programs();
	failing();
	return T_PASS;
}
