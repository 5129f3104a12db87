/*
 * proc.c - who is alive, and what time it is.
 *
 * A pid alone does not name a process: pids are reused. A process is named
 * by its pid plus its start time (field 22 of /proc/PID/stat, clock ticks
 * after boot), which a reused pid does not share. A zombie counts as dead:
 * it holds no mapping and will never act again.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Reads /proc/PID/stat into buf; returns bytes read, or -errno. */
static ssize_t read_stat(int32_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = neg_errno();
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/*
 * Parses state (field 3) and starttime (field 22). The command name (field
 * 2) is in parentheses and may itself hold ')' and spaces: skip to the LAST
 * ')' before counting fields.
 */
static int parse_stat(const char *buf, char *state, uint64_t *start)
{
	const char *p = strrchr(buf, ')');
	int field;

	if (p == NULL || p[1] != ' ')
		return -EINVAL;
	p += 2;
	*state = *p;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -EINVAL;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

uint64_t proc_start_time(int32_t pid)
{
	char buf[1024], state;
	uint64_t start;

	if (pid <= 0 || read_stat(pid, buf, sizeof(buf)) <= 0 ||
	    parse_stat(buf, &state, &start) < 0)
		return 0;
	return start;
}

uint64_t proc_self_start_time(void)
{
	/* Cached per pid: a fork()ed child must not inherit its parent's. */
	static __thread int32_t cached_pid;
	static __thread uint64_t cached_start;
	int32_t pid = (int32_t)getpid();

	/* 0 is a read that failed (EMFILE, ENOMEM): not kept, tried again */
	if (cached_pid != pid || cached_start == 0) {
		cached_start = proc_start_time(pid);
		cached_pid = pid;
	}
	return cached_start;
}

int proc_alive(int32_t pid, uint64_t start)
{
	char buf[1024], state;
	uint64_t now_start;
	ssize_t n;

	if (pid <= 0)
		return 0;
	n = read_stat(pid, buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH)
		return 0;
	if (n < 0 || parse_stat(buf, &state, &now_start) < 0) {
		/* no /proc: a signal 0 tells existence, not identity */
		if (kill(pid, 0) == 0 || errno == EPERM)
			return -1;
		return 0;
	}
	if (state == 'Z' || state == 'X')
		return 0;
	if (start != 0 && now_start != start)
		return 0; /* the pid was reused by another process */
	return 1;
}

/* The inode of our pid namespace: a pid recorded in another namespace
 * names some other process (or none) here. */
uint64_t proc_self_pidns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
