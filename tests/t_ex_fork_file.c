/*
 * t_ex_fork_file - examples/fork_file.c (mmipc-ex-fork-file): the parent
 * reads the string its child wrote into a file-backed MAP_SHARED region,
 * its own global variable is unchanged, and the file is removed at the
 * end. Run with an explicit path and with the default path.
 */
#include <limits.h>

#include "helpers.h"

/* run - start the example with @path (or none), wait, capture its output.
 * Returns the exit code; *pid is the example's pid. */
static int run(const char *path, char *out, size_t size, pid_t *pid)
{
	char bin[PATH_MAX], tmpl[] = "/tmp/" T_PREFIX "out-XXXXXX";
	char *argv[] = { (char *)t_bin(bin, sizeof(bin), "mmipc-ex-fork-file"),
			 (char *)path, NULL };
	int fd = mkstemp(tmpl), rc;
	ssize_t n;

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(tmpl);
	*pid = t_spawn(argv, fd);
	rc = t_wait(*pid);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

/* check_output - the child's string was read by the parent, the global
 * stayed 1, and nothing was reported wrong. */
static void check_output(const char *out)
{
	char want[128];
	const char *p;
	int child;

	p = strstr(out, "child  (pid ");
	CHECK(p && sscanf(p, "child  (pid %d)", &child) == 1,
	      "no child line in:\n%s", out);
	snprintf(want, sizeof(want),
		 "parent: read \"hello from child %d\" through its own mapping",
		 child);
	CHECK(strstr(out, want), "parent did not read the child's string "
	      "(want '%s') in:\n%s", want, out);
	CHECK(strstr(out, "parent: global_counter = 1 "),
	      "the global is not shown unchanged in:\n%s", out);
	CHECK(!strstr(out, "WRONG"), "the example reports an error:\n%s", out);
}

int main(void)
{
	char dir[256], path[512], out[8192];
	struct stat st;
	pid_t pid;
	int rc;

	/* An explicit path, in a private directory. */
	t_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/fork-file", dir);
	rc = run(path, out, sizeof(out), &pid);
	CHECK(rc == 0, "exit %d, output:\n%s", rc, out);
	check_output(out);
	CHECK(stat(path, &st) < 0 && errno == ENOENT, "%s left behind", path);

	/* An existing file is not overwritten: create fails, file stays. */
	rc = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(rc >= 0 && write(rc, "mine", 4) == 4 && close(rc) == 0,
	      "make %s: %s", path, strerror(errno));
	rc = run(path, out, sizeof(out), &pid);
	CHECK(rc == 1, "existing file: exit %d, output:\n%s", rc, out);
	CHECK(stat(path, &st) == 0 && st.st_size == 4,
	      "the existing file was changed or removed");
	CHECK(unlink(path) == 0, "unlink: %s", strerror(errno));
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));

	/* The default path: /tmp/mmipc-ex-fork-file.PID, removed at the end. */
	rc = run(NULL, out, sizeof(out), &pid);
	CHECK(rc == 0, "exit %d, output:\n%s", rc, out);
	check_output(out);
	snprintf(path, sizeof(path), "/tmp/mmipc-ex-fork-file.%d", (int)pid);
	CHECK(strstr(out, path), "default path %s not used:\n%s", path, out);
	CHECK(stat(path, &st) < 0 && errno == ENOENT, "%s left behind", path);
	return T_PASS;
}
