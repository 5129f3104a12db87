/*
 * t_region_badmagic - a file that does not start with the mmipc magic is
 * not a region: open, open_fd and stat refuse it with -MMIPC_EBADMAGIC
 * (and do not crash on it), unlink refuses to remove it without
 * MMIPC_F_FORCE. For shm: and file:, on regions whose magic was
 * overwritten and on files that never were regions.
 *
 * A magic of ZERO is the exception: it is what a region still being built
 * in place (the no-O_TMPFILE fallback) looks like, so open waits for it
 * and then says -MMIPC_ENOTREADY (stat too); unlink still refuses it.
 */
#include "region_util.h"

#define SIZE (8 * 1024)

static void refused(const char *addr, const char *what, bool zero)
{
	int want = zero ? -MMIPC_ENOTREADY : -MMIPC_EBADMAGIC;
	char path[512];
	mmipc_region *keep = (mmipc_region *)&keep;
	int fd;

	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY, zero ? MMIPC_F_NOWAIT : 0),
		 want);
	CHECK_RC(ru_try_open(addr, MMIPC_KIND_RAW,
			     MMIPC_F_RDONLY | MMIPC_F_NOWAIT),
		 want);
	CHECK_RC(ru_try_stat(addr), want);
	ru_path(path, sizeof(path), addr);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "%s: open %s: %s", what, path, strerror(errno));
	if (!zero)
		CHECK_RC(mmipc_region_open_fd(&keep, fd, MMIPC_KIND_ANY, 0),
			 want);
	close(fd);
	CHECK_RC(mmipc_region_unlink(addr, 0), -MMIPC_EBADMAGIC);
	CHECK(ru_exists(path), "%s: unlink removed a non-region", what);
}

int main(void)
{
	static const uint64_t bad[] = {
		0,
		0x0123456789abcdefull,
		MMIPC_MAGIC ^ 1,		/* one bit off */
		MMIPC_MAGIC ^ (UINT64_C(1) << 63),
		~MMIPC_MAGIC,
	};
	char dir[256], buf[512], path[512], garbage[3 * 4096];
	unsigned i, j;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		const char *addr = ru_addr(buf, sizeof(buf), b, "magic", dir);
		mmipc_region *r = NULL;

		ru_make(addr, SIZE, 3);
		ru_path(path, sizeof(path), addr);
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			ru_put64(path, RU_OFF(magic), bad[j]);
			refused(addr, b->label, bad[j] == 0);
		}
		/* the magic alone was the trouble */
		ru_put64(path, RU_OFF(magic), MMIPC_MAGIC);
		CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 3);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(addr);

		/* files that never were regions: text, all zero, all ones */
		for (j = 0; j < 3; j++) {
			addr = ru_addr(buf, sizeof(buf), b, "magic", dir);
			ru_path(path, sizeof(path), addr);
			memset(garbage, j == 0 ? 'g' : j == 1 ? 0 : 0xff,
			       sizeof(garbage));
			ru_write_file(path, garbage, sizeof(garbage), 0600);
			refused(addr, b->label, j == 1);
			CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
			CHECK(!ru_exists(path), "%s: FORCE left %s", b->label,
			      path);
		}
	}
	t_rmtree(dir);
	return T_PASS;
}
