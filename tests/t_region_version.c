/*
 * t_region_version - a region whose layout version this library does not
 * know is refused with -MMIPC_EVERSION by open, open_fd and stat, whatever
 * the version (older, newer, absurd), for shm: and file:; putting the
 * version back makes it open again.
 */
#include "region_util.h"

#define SIZE (8 * 1024)

int main(void)
{
	static const uint32_t bad[] = {
		0, MMIPC_LAYOUT_VERSION + 1, 0x100 | MMIPC_LAYOUT_VERSION,
		0x01000000, UINT32_MAX,
	};
	char dir[256], buf[512], path[512];
	unsigned i, j;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		const char *addr = ru_addr(buf, sizeof(buf), b, "vers", dir);
		mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
		int fd;

		ru_make(addr, SIZE, 4);
		ru_path(path, sizeof(path), addr);
		CHECK(ru_get32(path, RU_OFF(version)) == MMIPC_LAYOUT_VERSION,
		      "%s: version on disk %u", addr,
		      ru_get32(path, RU_OFF(version)));
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			ru_put32(path, RU_OFF(version), bad[j]);
			CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY, 0),
				 -MMIPC_EVERSION);
			CHECK_RC(ru_try_open(addr, MMIPC_KIND_RAW,
					     MMIPC_F_RDONLY | MMIPC_F_NOWAIT),
				 -MMIPC_EVERSION);
			CHECK_RC(ru_try_stat(addr), -MMIPC_EVERSION);
			fd = open(path, O_RDWR | O_CLOEXEC);
			CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
			CHECK_RC(mmipc_region_open_fd(&keep, fd,
						      MMIPC_KIND_ANY, 0),
				 -MMIPC_EVERSION);
			close(fd);
		}
		ru_put32(path, RU_OFF(version), MMIPC_LAYOUT_VERSION);
		CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 4);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
