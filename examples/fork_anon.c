/*
 * fork_anon.c - a parent and its child share an anonymous mapping.
 *
 *   mmipc-ex-fork-anon
 *
 * The same scene as fork_file.c, with no file at all:
 *
 *  - "anon": mmap(MAP_SHARED | MAP_ANONYMOUS). The memory has no name; the
 *    only way to share it is to inherit it, so it must be created BEFORE
 *    fork(). Nothing is left on disk or in /dev/shm, whatever happens.
 *
 *  - "memfd": memfd_create(), an anonymous file in memory. Shared the same
 *    way here (the child inherits it), but it also has a descriptor that
 *    could be passed to an unrelated process over a UNIX socket
 *    (mmipc_region_send_fd). mmipc seals it so nobody can shrink it.
 *
 * In both, the child writes a greeting and sets a plain global to 42; the
 * parent reads the greeting through its own mapping, and still sees 1 in
 * the global: MAP_SHARED pages are one set of pages for both processes,
 * ordinary memory is copied on write after fork().
 *
 * Exit status: 0 if both worked, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmipc.h"

/* A plain global variable: private to each process after fork(). */
static int global_counter = 1;

/* child - runs in the child process only: write, then exit. */
static void child(const char *kind, char *shared, size_t size)
{
	snprintf(shared, size, "hello from child %d", (int)getpid());
	global_counter = 42;
	printf("  child  (pid %d): wrote \"%s\" into the %s region, "
	       "set global_counter = %d\n", (int)getpid(), shared, kind,
	       global_counter);
	fflush(stdout);
	_exit(0);
}

/* wait_child - 0 if @pid exited with status 0. */
static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("fork-anon: waitpid");
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "fork-anon: the child failed (status 0x%x)\n",
			status);
		return -1;
	}
	return 0;
}

/* run - create a region of kind @addr ("anon" or "memfd"), fork, and
 * check what the parent sees. 0 if it worked. The global is reset first,
 * so each round starts from 1. */
static int run(const char *addr)
{
	struct mmipc_region_info info;
	mmipc_region *r;
	char want[64], how[80];
	char *shared;
	size_t size;
	pid_t pid;
	int rc, ok = 1;

	global_counter = 1;
	rc = mmipc_region_create(&r, addr, 4096, 0, 0);
	if (rc < 0) {
		fprintf(stderr, "fork-anon: cannot create %s: %s\n", addr,
			mmipc_strerror(rc));
		return -1;
	}
	shared = mmipc_region_data(r);
	size = (size_t)mmipc_region_size(r);
	mmipc_region_info(r, &info);
	if (mmipc_region_fd(r) < 0)
		snprintf(how, sizeof(how), "no descriptor, no name");
	else
		snprintf(how, sizeof(how), "descriptor %d, no name%s",
			 mmipc_region_fd(r), info.seals ?
			 ", sealed against shrinking" : "");
	printf("%s: parent (pid %d) created a %zu-byte region (%s); "
	       "global_counter = %d\n", addr, (int)getpid(), size, how,
	       global_counter);
	fflush(stdout);	/* or the child would print our buffer again */

	pid = fork();
	if (pid < 0) {
		perror("fork-anon: fork");
		ok = 0;
		goto out_close;
	}
	if (pid == 0)
		child(addr, shared, size);
	if (wait_child(pid) < 0) {
		ok = 0;
		goto out_close;
	}

	shared[size - 1] = '\0';	/* written by another process: bound it */
	printf("  parent: read \"%s\" through its own mapping\n", shared);
	snprintf(want, sizeof(want), "hello from child %d", (int)pid);
	if (strcmp(shared, want) != 0) {
		printf("  parent: WRONG: expected \"%s\"\n", want);
		ok = 0;
	}
	printf("  parent: global_counter = %d (the child's 42 went to its "
	       "own copy-on-write copy)\n", global_counter);
	if (global_counter != 1) {
		printf("  parent: WRONG: the global changed\n");
		ok = 0;
	}
out_close:
	/* Closing the last mapping frees the memory: no name to unlink. */
	rc = mmipc_region_close(r);
	if (rc < 0) {
		fprintf(stderr, "fork-anon: close: %s\n", mmipc_strerror(rc));
		ok = 0;
	}
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	int ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: mmipc-ex-fork-anon\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: mmipc-ex-fork-anon\n");
		return 2;
	}
	if (run("anon") < 0)
		ret = 1;
	if (run("memfd") < 0)
		ret = 1;
	if (ret == 0)
		printf("=> shared without a name: nothing to clean up on disk "
		       "or in /dev/shm; the memory went away with the last "
		       "mapping.\n");
	return ret;
}
