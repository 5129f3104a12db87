/*
 * t_ex_mapfile - examples/mapfile.c (mmipc-ex-mapfile): a plain file
 * written with write() is changed through the mapping and the change is
 * read back with pread(); a pwrite() is seen through the mapping; the file
 * is removed at the end. An existing file is never touched.
 */
#include <limits.h>

#include "helpers.h"

static int run(const char *path, char *out, size_t size)
{
	char bin[PATH_MAX];
	char *argv[] = { (char *)t_bin(bin, sizeof(bin), "mmipc-ex-mapfile"),
			 (char *)path, NULL };

	return t_run(argv, out, size);
}

int main(void)
{
	static const char before[] =
		"before, written with write():\n"
		"    hello, memory-mapped world\n";
	static const char after[] =
		"after, read back with pread():\n"
		"    HELLO, MEMORY-MAPPED WORLD\n"
		"    THESE BYTES WERE WRITTEN WITH WRITE(2)\n"
		"    AND WILL BE CHANGED THROUGH A POINTER.\n";
	char dir[256], path[512], out[8192], buf[16];
	struct stat st;
	int rc, fd;

	t_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/plain.txt", dir);
	rc = run(path, out, sizeof(out));
	CHECK(rc == 0, "exit %d, output:\n%s", rc, out);
	CHECK(strstr(out, before), "no original text in:\n%s", out);
	CHECK(strstr(out, after), "the file did not change:\n%s", out);
	CHECK(strstr(out, "the pointer now shows: HELLO, MEMORY-mapped WORLD"),
	      "the pwrite() was not seen through the pointer:\n%s", out);
	CHECK(stat(path, &st) < 0 && errno == ENOENT, "%s left behind", path);

	/* An existing file: refused (O_EXCL), left as it was. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "keep me", 7) == 7 && close(fd) == 0,
	      "make %s: %s", path, strerror(errno));
	rc = run(path, out, sizeof(out));
	CHECK(rc == 1, "existing file: exit %d, output:\n%s", rc, out);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 7 &&
	      memcmp(buf, "keep me", 7) == 0, "the existing file changed");
	close(fd);
	CHECK(unlink(path) == 0, "unlink: %s", strerror(errno));
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	return T_PASS;
}
