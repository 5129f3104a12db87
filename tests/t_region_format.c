/*
 * t_region_format - a region made by an incompatible build is refused with
 * -MMIPC_EFORMAT: its magic byte-swapped (the other endianness), or its
 * format word (cache line, word size, byte order) not ours. For shm: and
 * file:, by open, open_fd and stat; restoring the field makes it open.
 */
#include "region_util.h"

#define SIZE (8 * 1024)

static void refused(const char *addr, const char *path, const char *what)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	int fd;

	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY, 0), -MMIPC_EFORMAT);
	CHECK_RC(ru_try_open(addr, MMIPC_KIND_RAW,
			     MMIPC_F_RDONLY | MMIPC_F_NOWAIT),
		 -MMIPC_EFORMAT);
	CHECK_RC(ru_try_stat(addr), -MMIPC_EFORMAT);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "%s: open %s: %s", what, path, strerror(errno));
	CHECK_RC(mmipc_region_open_fd(&keep, fd, MMIPC_KIND_ANY, 0),
		 -MMIPC_EFORMAT);
	close(fd);
}

int main(void)
{
	char dir[256], buf[512], path[512];
	unsigned i, j;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		const char *addr = ru_addr(buf, sizeof(buf), b, "fmt", dir);
		mmipc_region *r = NULL;
		uint32_t fmt, bad[5];

		ru_make(addr, SIZE, 6);
		ru_path(path, sizeof(path), addr);
		CHECK(ru_get64(path, RU_OFF(magic)) == MMIPC_MAGIC,
		      "%s: magic on disk %#llx", addr,
		      (unsigned long long)ru_get64(path, RU_OFF(magic)));
		fmt = ru_get32(path, RU_OFF(format));
		CHECK(fmt == MMIPC_FORMAT, "%s: format on disk %#x, want %#x",
		      addr, fmt, MMIPC_FORMAT);

		/* the other endianness: swapped magic (and swapped fields) */
		ru_put64(path, RU_OFF(magic), MMIPC_MAGIC_SWAPPED);
		refused(addr, path, "swapped magic");
		ru_put32(path, RU_OFF(version),
			 __builtin_bswap32(MMIPC_LAYOUT_VERSION));
		ru_put32(path, RU_OFF(format), __builtin_bswap32(fmt));
		refused(addr, path, "swapped header");
		ru_put64(path, RU_OFF(magic), MMIPC_MAGIC);
		ru_put32(path, RU_OFF(version), MMIPC_LAYOUT_VERSION);

		/* other builds: another cache line, word size, byte order */
		bad[0] = (fmt & ~0xffu) | 128;
		bad[1] = (fmt & ~0xff00u) | (4u << 8);
		bad[2] = (fmt & ~0xff0000u) | ((uint32_t)'B' << 16);
		bad[3] = 0;
		bad[4] = fmt | 0x80000000u;
		for (j = 0; j < 5; j++) {
			ru_put32(path, RU_OFF(format), bad[j]);
			refused(addr, path, "format word");
		}
		ru_put32(path, RU_OFF(format), fmt);
		CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 6);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
