/*
 * cmd_bench.c - mmipc bench: run mmipc-bench, the side-by-side benchmark
 * of shared-memory and kernel IPC (bench/), with the arguments given.
 *
 *	mmipc bench [ARGS...]	(mmipc bench --help: its options)
 *
 * The benchmark is a program of its own (it links the optional peer
 * libraries the tool must not depend on); this command finds it and execs
 * it, so its output, exit status and signals are the benchmark's own.
 *
 * Where it is: $MMIPC_BENCH if set (the program, or a directory holding
 * it); else next to this executable (the build tree's bin/); else in
 * ../libexec/mmipc beside it (an installed tree moved elsewhere); else in
 * MMIPC_LIBEXECDIR, where it is installed.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#ifndef MMIPC_LIBEXECDIR
#define MMIPC_LIBEXECDIR "/usr/local/libexec/mmipc"
#endif

#define BENCH_PROG "mmipc-bench"

/* try_dir - path = dir/mmipc-bench if that is executable: 0, else -1. */
static int try_dir(const char *dir, char *path, size_t size)
{
	struct stat st;
	int n;

	n = snprintf(path, size, "%s/%s", dir, BENCH_PROG);
	if (n < 0 || (size_t)n >= size)
		return -1;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    access(path, X_OK) < 0)
		return -1;
	return 0;
}

/* from_env - $MMIPC_BENCH: the program itself, or its directory. Only
 * this is looked at when it is set. */
static int from_env(const char *env, char *path, size_t size)
{
	struct stat st;

	if (stat(env, &st) == 0 && S_ISDIR(st.st_mode))
		return try_dir(env, path, size);
	if (strlen(env) >= size || access(env, X_OK) < 0)
		return -1;
	strcpy(path, env);
	return 0;
}

/* find_bench - the program's path in path, with the places looked in
 * listed in looked (for the error message). */
static int find_bench(char *path, size_t size, char *looked, size_t lsize)
{
	const char *env = getenv("MMIPC_BENCH");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(looked, lsize, "$MMIPC_BENCH=%s", env);
		return from_env(env, path, size);
	}
	looked[0] = '\0';
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';	/* absolute: it has a '/' */
		if (!self[0])
			strcpy(self, "/");
		snprintf(looked, lsize, "%s, ", self);
		if (try_dir(self, path, size) == 0)
			return 0;
		/* an installed tree moved elsewhere: BIN/../libexec/mmipc */
		if (strlen(self) + sizeof("/../libexec/mmipc") <=
		    sizeof(self)) {
			strcat(self, "/../libexec/mmipc");
			strncat(looked, self, lsize - strlen(looked) - 1);
			strncat(looked, ", ", lsize - strlen(looked) - 1);
			if (try_dir(self, path, size) == 0)
				return 0;
		}
	}
	strncat(looked, MMIPC_LIBEXECDIR, lsize - strlen(looked) - 1);
	return try_dir(MMIPC_LIBEXECDIR, path, size);
}

int cmd_bench(int argc, char **argv)
{
	static char argv0[] = "mmipc bench";
	char path[PATH_MAX], looked[3 * PATH_MAX + 64];

	(void)argc;
	if (find_bench(path, sizeof(path), looked, sizeof(looked)) < 0) {
		tool_errf("bench: cannot find %s (looked in %s); it is built "
			  "with the tool unless -DMMIPC_BUILD_BENCH=OFF",
			  BENCH_PROG, looked);
		return EXIT_FAIL;
	}
	/* the benchmark's usage then reads "Usage: mmipc bench ..." */
	argv[0] = argv0;
	fflush(NULL);
	execv(path, argv);
	tool_errf("bench: cannot run %s: %s", path, strerror(errno));
	return EXIT_FAIL;
}
