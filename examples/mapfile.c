/*
 * mapfile.c - memory-mapped file I/O on an ordinary file.
 *
 *   mmipc-ex-mapfile [PATH]
 *
 * Writes a small text file the usual way (open + write), then maps it with
 * mmipc_region_open(..., MMIPC_F_PLAIN): plain mode reads no mmipc header,
 * the data area is the whole file. It then
 *
 *  1. changes the file through the pointer (upper-cases every letter): no
 *     write() call, just stores to memory; mmipc_region_sync() (msync)
 *     makes sure they reach the disk;
 *  2. reads the file back with an ordinary pread(): the new bytes are
 *     there, because the mapping IS the file's page cache;
 *  3. goes the other way: pwrite()s into the file and sees the change
 *     through the pointer at once.
 *
 * The file (default /tmp/mmipc-ex-mapfile.PID) is created, never
 * overwritten (O_EXCL), and removed at the end in every case.
 *
 * Exit status: 0 if both directions showed the same bytes, 1 otherwise.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mmipc.h"

static const char text[] =
	"hello, memory-mapped world\n"
	"these bytes were written with write(2)\n"
	"and will be changed through a pointer.\n";

/* write_file - create @path exclusively and write the text into it. */
static int write_file(const char *path)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "mapfile: create %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = write(fd, text, sizeof(text) - 1);
	if (n != (ssize_t)(sizeof(text) - 1)) {
		fprintf(stderr, "mapfile: write %s: %s\n", path,
			n < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "mapfile: close %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* read_file - the whole file with pread() into @buf (NUL-terminated);
 * the number of bytes read, or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mapfile: open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = pread(fd, buf, size - 1, 0);
	if (n < 0)
		fprintf(stderr, "mapfile: pread %s: %s\n", path,
			strerror(errno));
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* show - print @len bytes of @s, indented, as the lines they are. */
static void show(const char *title, const char *s, size_t len)
{
	printf("%s\n", title);
	while (len > 0) {
		const char *nl = memchr(s, '\n', len);
		size_t line = nl ? (size_t)(nl - s) + 1 : len;

		printf("    %.*s%s", (int)line, s, nl ? "" : "\n");
		s += line;
		len -= line;
	}
}

/* through_pointer - step 1 and 2: change via memory, check via pread. */
static int through_pointer(mmipc_region *r, const char *path)
{
	char *map = mmipc_region_data(r);
	size_t i, len = (size_t)mmipc_region_size(r);
	char back[sizeof(text)];
	ssize_t n;
	int rc;

	for (i = 0; i < len; i++)	/* plain stores, no system call */
		map[i] = (char)toupper((unsigned char)map[i]);
	rc = mmipc_region_sync(r, 0);	/* msync(MS_SYNC): to the disk */
	if (rc < 0) {
		fprintf(stderr, "mapfile: sync: %s\n", mmipc_strerror(rc));
		return -1;
	}
	printf("changed the %zu bytes through the pointer, then msync()\n",
	       len);

	n = read_file(path, back, sizeof(back));
	if (n < 0)
		return -1;
	show("after, read back with pread():", back, (size_t)n);
	if ((size_t)n != len || memcmp(back, map, len) != 0) {
		printf("WRONG: the file does not hold what was written through "
		       "the pointer\n");
		return -1;
	}
	return 0;
}

/* through_file - step 3: pwrite() into the file, look through the pointer. */
static int through_file(mmipc_region *r, const char *path)
{
	static const char word[] = "mapped";
	const char *map = mmipc_region_data(r);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mapfile: open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	/* "HELLO, MEMORY-MAPPED" -> "HELLO, MEMORY-mapped" */
	n = pwrite(fd, word, sizeof(word) - 1, 14);
	close(fd);
	if (n != (ssize_t)(sizeof(word) - 1)) {
		fprintf(stderr, "mapfile: pwrite: %s\n",
			n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	printf("pwrite(\"%s\") at offset 14; the pointer now shows: %.27s",
	       word, map);
	if (memcmp(map + 14, word, sizeof(word) - 1) != 0) {
		printf("WRONG: the mapping did not see the write\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096], addr[4200];
	mmipc_region *r;
	int rc, ret = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: mmipc-ex-mapfile [PATH]\n");
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: mmipc-ex-mapfile [PATH]\n");
		return 2;
	}
	if (argc == 2)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else
		snprintf(path, sizeof(path), "/tmp/mmipc-ex-mapfile.%d",
			 (int)getpid());
	snprintf(addr, sizeof(addr), "file:%s", path);

	if (write_file(path) < 0)
		return 1;
	show("before, written with write():", text, sizeof(text) - 1);

	/* Plain mode: map the file as it is, no mmipc header. */
	rc = mmipc_region_open(&r, addr, MMIPC_KIND_RAW, MMIPC_F_PLAIN);
	if (rc < 0) {
		fprintf(stderr, "mapfile: cannot map %s: %s\n", addr,
			mmipc_strerror(rc));
		goto out_unlink;
	}
	printf("mapped %s: %llu bytes at %p (MAP_SHARED)\n", path,
	       (unsigned long long)mmipc_region_size(r), mmipc_region_data(r));
	if (mmipc_region_size(r) != sizeof(text) - 1) {
		fprintf(stderr, "mapfile: mapped %llu bytes, the file has %zu\n",
			(unsigned long long)mmipc_region_size(r),
			sizeof(text) - 1);
	} else if (through_pointer(r, path) == 0 && through_file(r, path) == 0) {
		printf("=> the mapping and read()/write() see the same bytes: "
		       "both are the file's page cache.\n");
		ret = 0;
	}
	rc = mmipc_region_close(r);
	if (rc < 0) {
		fprintf(stderr, "mapfile: close: %s\n", mmipc_strerror(rc));
		ret = 1;
	}
out_unlink:
	/* A plain file, not an mmipc region: remove it with unlink(2). */
	if (unlink(path) < 0) {
		fprintf(stderr, "mapfile: unlink %s: %s\n", path,
			strerror(errno));
		ret = 1;
	} else {
		printf("removed %s\n", path);
	}
	return ret;
}
