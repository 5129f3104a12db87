/*
 * fuzz_util.c - the private directory, file rewriting and leak checks
 * shared by the fuzz targets (see fuzz_util.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/layout.h"
#include "fuzz_util.h"
#include "mmipc.h"

#define FZ_MAX_FD 1024

static struct {
	const char *tag;
	pid_t owner;		/* the process that removes dir at exit */
	char dir[PATH_MAX - 64];
	int fds;		/* descriptors on files after setup */
	bool setup_fd[FZ_MAX_FD]; /* which they were */
	char memfd[64];		/* "/memfd:NAME " as /proc/self/maps shows it */
	int maps;		/* mappings of our files after setup */
} fz;

void fz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	/* fd 2 itself: stat_decode points the stderr FILE at /dev/null */
	dprintf(2, "FUZZ CHECK FAILED (%s) %s:%d: ", fz.tag ? fz.tag : "?",
		file, line);
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	abort();
}

void fz_trace(const char *fmt, ...)
{
	static int on = -1;
	va_list ap;

	if (on < 0)
		on = getenv("FZ_TRACE") != NULL;
	if (!on)
		return;
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
}

const char *fz_rc(int rc)
{
	return rc < 0 ? mmipc_strerror(rc) : "ok";
}

static void remove_dir(void)
{
	struct dirent *e;
	DIR *d;

	if (getpid() != fz.owner || fz.dir[0] == '\0')
		return;
	d = opendir(fz.dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	if (rmdir(fz.dir) < 0)
		dprintf(2, "fuzz: rmdir %s: %s\n", fz.dir, strerror(errno));
}

void fz_init(const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	fz.tag = tag;
	fz.owner = getpid();
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	/* mmipct-: the suite's last test (zz_leftovers) sees it if left */
	snprintf(fz.dir, sizeof(fz.dir), "%s/mmipct-fuzz-%d-XXXXXX", tmp,
		 (int)getpid());
	FZ_CHECK(mkdtemp(fz.dir) != NULL, "mkdtemp %s: %s", fz.dir,
		 strerror(errno));
	FZ_CHECK(atexit(remove_dir) == 0, "atexit");
	FZ_CHECK(setenv("MMIPC_SHM_DIR", fz.dir, 1) == 0, "setenv: %s",
		 strerror(errno));
}

const char *fz_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", fz.dir, name);
	return buf;
}

const char *fz_file_addr(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "file:%s/%s", fz.dir, name);
	return buf;
}

const char *fz_shm_addr(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "shm:%s", name);
	return buf;
}

int fz_file(const char *name)
{
	char path[PATH_MAX];
	int fd = open(fz_path(path, sizeof(path), name),
		      O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	FZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

void fz_resize(int fd, uint64_t size)
{
	FZ_CHECK(ftruncate(fd, (off_t)size) == 0, "ftruncate: %s",
		 strerror(errno));
}

void fz_write(int fd, const void *data, size_t size)
{
	/* write, then cut: two calls whatever the old size was */
	FZ_CHECK(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size,
		 "pwrite: %s", strerror(errno));
	fz_resize(fd, size);
}

uint64_t fz_claimed_size(const uint8_t *data, size_t size)
{
	size_t at = offsetof(struct mmipc_hdr, total_size);
	uint64_t total;

	if (size < at + sizeof(total))
		return 0;
	memcpy(&total, data + at, sizeof(total));
	return total != 0 && total != size && total <= FZ_MAX_RESIZE ? total : 0;
}

/*
 * Descriptors open on a file with a path (a region file, a memfd, /proc):
 * what the library opens. Pipes and sockets are left out: the sanitizers
 * keep pipes to a symbolizer they start while libFuzzer runs. With @mark,
 * remembers which they are; else @what gets the file of one that was not
 * there when they were marked.
 */
static int count_file_fds(bool mark, char *what, size_t size)
{
	DIR *d = opendir("/proc/self/fd");
	char proc[300], link[PATH_MAX];
	struct dirent *e;
	ssize_t len;
	int n = 0, fd;

	FZ_CHECK(d != NULL, "opendir /proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d)) != NULL) {
		fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%s", e->d_name);
		len = readlink(proc, link, sizeof(link) - 1);
		if (len <= 0 || link[0] != '/')
			continue;
		link[len] = '\0';
		n++;
		if (fd < 0 || fd >= FZ_MAX_FD)
			continue;
		if (mark)
			fz.setup_fd[fd] = true;
		else if (!fz.setup_fd[fd])
			snprintf(what, size, "fd %d: %.*s", fd, (int)(size - 16),
				 link);
	}
	closedir(d);
	return n;
}

/* Lines of /proc/self/maps that map one of our files. */
static int count_our_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	size_t cap = 0;
	char *line = NULL;
	int n = 0;

	FZ_CHECK(f != NULL, "fopen maps: %s", strerror(errno));
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, fz.dir) != NULL ||
		    (fz.memfd[0] != '\0' && strstr(line, fz.memfd) != NULL))
			n++;
	free(line);
	fclose(f);
	return n;
}

void fz_leak_check_setup(const char *memfd_name)
{
	char what[PATH_MAX];

	if (memfd_name != NULL)
		snprintf(fz.memfd, sizeof(fz.memfd), "/memfd:%s ", memfd_name);
	fz.fds = count_file_fds(true, what, sizeof(what));
	fz.maps = count_our_maps();
}

void fz_leak_check(void)
{
	char what[PATH_MAX] = "";
	int fds = count_file_fds(false, what, sizeof(what)), maps;

	FZ_CHECK(fds == fz.fds, "a descriptor was left open (%d open, was "
		 "%d; %s)", fds, fz.fds, what);
	maps = count_our_maps();
	FZ_CHECK(maps == fz.maps, "a mapping was left behind (%d of our "
		 "files mapped, was %d)", maps, fz.maps);
}
void fz_touch(const void *p, size_t size)
{
	const volatile unsigned char *b = p;
	unsigned sum = 0;
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < size; i += 4096)
		sum += b[i];
	sum += b[size - 1];
	(void)sum;
}
