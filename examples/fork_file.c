/*
 * fork_file.c - a parent and its child share a file-backed mapping.
 *
 *   mmipc-ex-fork-file [PATH]
 *
 * The parent creates a "file:" region (default /tmp/mmipc-ex-fork-file.PID)
 * and fork()s. The child writes a greeting into the region and changes an
 * ordinary global variable, then exits. The parent reads the greeting
 * through ITS OWN mapping, and looks at its own copy of the global.
 *
 * What it shows: after fork() the two processes have separate copies of
 * their ordinary memory (copy-on-write: the first write gives the writer a
 * private copy of the page), so the child's change to the global is
 * invisible to the parent. The region is mapped MAP_SHARED from a file: both
 * processes' page tables point at the same page of the file's page cache,
 * so what one writes the other reads, with no copy and no system call. The
 * bytes are in the file too (after mmipc's header page), so they outlive
 * both processes until the file is removed.
 *
 * Exit status: 0 the parent read the child's greeting and its global was
 * unchanged; 1 otherwise. The file is removed in every case.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmipc.h"

/* A plain global variable: private to each process after fork(). */
static int global_counter = 1;

/* child - runs in the child process only: write, then exit. */
static void child(char *shared, size_t size)
{
	snprintf(shared, size, "hello from child %d", (int)getpid());
	global_counter = 42;
	printf("child  (pid %d): wrote \"%s\" into the region, "
	       "set global_counter = %d\n", (int)getpid(), shared,
	       global_counter);
	fflush(stdout);
	_exit(0);	/* not exit(): the parent owns the cleanup */
}

/* wait_child - 0 if @pid exited with status 0. */
static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("fork-file: waitpid");
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "fork-file: the child failed (status 0x%x)\n",
			status);
		return -1;
	}
	return 0;
}

/* show_file - read the greeting back with pread() from the file itself,
 * at the data area's offset: it is in the file, not only in memory. */
static void show_file(mmipc_region *r, const char *path)
{
	struct mmipc_region_info info;
	char buf[64];
	ssize_t n;

	mmipc_region_info(r, &info);
	n = pread(mmipc_region_fd(r), buf, sizeof(buf) - 1,
		  (off_t)info.data_off);
	if (n < 0) {
		perror("fork-file: pread");
		return;
	}
	buf[n] = '\0';
	printf("parent: the file %s holds it too, at offset %" PRIu64
	       ": \"%s\"\n", path, info.data_off, buf);
}

/* run - the demonstration proper, on the region @r. 0 if it worked. */
static int run(mmipc_region *r, const char *path)
{
	char *shared = mmipc_region_data(r);
	size_t size = (size_t)mmipc_region_size(r);
	char want[64];
	pid_t pid;
	int ok = 1;

	printf("parent (pid %d): created %s (%zu bytes, MAP_SHARED); "
	       "global_counter = %d\n", (int)getpid(), path, size,
	       global_counter);
	fflush(stdout);	/* or the child would print our buffer again */
	pid = fork();
	if (pid < 0) {
		perror("fork-file: fork");
		return -1;
	}
	if (pid == 0)
		child(shared, size);
	if (wait_child(pid) < 0)
		return -1;

	/* The child has exited; its write is still there in the shared page.
	 * The region's data area is ours to read, but it was written by
	 * another process: bound the string before printing it. */
	shared[size - 1] = '\0';
	printf("parent: read \"%s\" through its own mapping\n", shared);
	snprintf(want, sizeof(want), "hello from child %d", (int)pid);
	if (strcmp(shared, want) != 0) {
		printf("parent: WRONG: expected \"%s\"\n", want);
		ok = 0;
	}
	show_file(r, path);
	printf("parent: global_counter = %d (the child set 42 in its own "
	       "copy-on-write copy)\n", global_counter);
	if (global_counter != 1) {
		printf("parent: WRONG: the global changed\n");
		ok = 0;
	}
	if (ok)
		printf("=> the region is one set of pages seen by both "
		       "processes; the global was private memory.\n");
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char path[4096], addr[4200];
	mmipc_region *r;
	int rc, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: mmipc-ex-fork-file [PATH]\n");
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: mmipc-ex-fork-file [PATH]\n");
		return 2;
	}
	if (argc == 2)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else
		snprintf(path, sizeof(path), "/tmp/mmipc-ex-fork-file.%d",
			 (int)getpid());
	snprintf(addr, sizeof(addr), "file:%s", path);

	/* One page of data; mmipc adds its header page in front of it. */
	rc = mmipc_region_create(&r, addr, 4096, 0, 0);
	if (rc < 0) {
		fprintf(stderr, "fork-file: cannot create %s: %s\n", addr,
			mmipc_strerror(rc));
		return 1;
	}
	ret = run(r, path) == 0 ? 0 : 1;

	/* Clean up whatever happened: unmap, then remove the file. */
	rc = mmipc_region_close(r);
	if (rc < 0) {
		fprintf(stderr, "fork-file: close: %s\n", mmipc_strerror(rc));
		ret = 1;
	}
	rc = mmipc_region_unlink(addr, 0);
	if (rc < 0) {
		fprintf(stderr, "fork-file: unlink %s: %s\n", addr,
			mmipc_strerror(rc));
		ret = 1;
	} else {
		printf("parent: removed %s\n", path);
	}
	return ret;
}
