/*
 * t_region_sizes - sizes and arguments create refuses, and leaves nothing
 * behind for: size 0 (-EINVAL), over MMIPC_MAX_SIZE (-EFBIG), over
 * RLIMIT_FSIZE (-EFBIG, and no SIGXFSZ: the default action of that signal
 * would kill us), unknown flags (-EINVAL) on create, open, unlink; and the
 * smallest size (1 byte) works for every backend.
 */
#include "region_util.h"

#define LIMIT (1024 * 1024)	/* RLIMIT_FSIZE in the child */

static void refused(const char *addr, uint64_t size, unsigned mode,
		    unsigned flags, int want)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	char path[512];

	CHECK_RC(mmipc_region_create(&keep, addr, size, mode, flags), want);
	CHECK(keep == (mmipc_region *)&keep, "failed create set *out");
	if (strcmp(addr, "anon") != 0 && strcmp(addr, "memfd") != 0)
		CHECK(!ru_exists(ru_path(path, sizeof(path), addr)),
		      "%s: left behind by a failed create", addr);
}

/* In a child: RLIMIT_FSIZE low, SIGXFSZ at its default (kill). */
static int limited(void *p)
{
	const char *dir = p;
	struct rlimit rl = { LIMIT, LIMIT };
	char buf[512];
	unsigned i;

	signal(SIGXFSZ, SIG_DFL);
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0, "setrlimit: %s",
	      strerror(errno));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		mmipc_region *r = NULL;

		refused(ru_addr(buf, sizeof(buf), b, "fsz", dir), 4 * LIMIT, 0,
			0, -EFBIG);
		refused(ru_addr(buf, sizeof(buf), b, "fsz", dir), LIMIT, 0, 0,
			-EFBIG); /* the header page makes it too big */
		/* below the limit: fine; growing past it: -EFBIG */
		ru_addr(buf, sizeof(buf), b, "fsz", dir);
		CHECK_RC(mmipc_region_create(&r, buf, LIMIT / 4, 0, 0), 0);
		CHECK_RC(mmipc_region_resize(r, 2 * LIMIT), -EFBIG);
		CHECK(mmipc_region_size(r) == LIMIT / 4, "size changed");
		memset(mmipc_region_data(r), 1, LIMIT / 4);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(buf);
	}
	return 0;
}

int main(void)
{
	static const uint64_t too_big[] = { MMIPC_MAX_SIZE + 1,
					    MMIPC_MAX_SIZE + 4096,
					    UINT64_MAX - 4095, UINT64_MAX };
	static const unsigned bad_flags[] = { MMIPC_F_RDONLY, MMIPC_F_ANY_UID,
					      MMIPC_F_NOWAIT, MMIPC_F_PLAIN,
					      MMIPC_F_FORCE, 0x100,
					      0x80000000u };
	char dir[256], buf[512];
	mmipc_region *keep = (mmipc_region *)&keep;
	unsigned i, j;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < RU_NBACKENDS; i++) {
		const struct ru_backend *b = &ru_backends[i];
		mmipc_region *r = NULL;

		refused(ru_addr(buf, sizeof(buf), b, "size", dir), 0, 0, 0,
			-EINVAL);
		for (j = 0; j < sizeof(too_big) / sizeof(too_big[0]); j++)
			refused(ru_addr(buf, sizeof(buf), b, "size", dir),
				too_big[j], 0, 0, -EFBIG);
		/* create takes no flags at all */
		for (j = 0; j < sizeof(bad_flags) / sizeof(bad_flags[0]); j++)
			refused(ru_addr(buf, sizeof(buf), b, "size", dir), 4096,
				0, bad_flags[j], -EINVAL);
		if (b->named)
			refused(ru_addr(buf, sizeof(buf), b, "size", dir), 4096,
				010000, 0, -EINVAL);

		/* one byte: the smallest region */
		ru_addr(buf, sizeof(buf), b, "size", dir);
		CHECK_RC(mmipc_region_create(&r, buf, 1, 0, 0), 0);
		CHECK(mmipc_region_size(r) == 1, "%s: size %llu", b->label,
		      (unsigned long long)mmipc_region_size(r));
		*(volatile uint8_t *)mmipc_region_data(r) = 1;
		if (b->named) {
			CHECK_RC(mmipc_region_open(&keep, buf, MMIPC_KIND_ANY,
						   0x100), -EINVAL);
			CHECK_RC(mmipc_region_open(&keep, buf, MMIPC_KIND_ANY,
						   0x80000000u), -EINVAL);
			CHECK_RC(mmipc_region_unlink(buf, 0x100), -EINVAL);
		}
		if (b->backend != MMIPC_BACKEND_ANON)
			CHECK_RC(mmipc_region_open_fd(&keep, mmipc_region_fd(r),
						      MMIPC_KIND_ANY,
						      0x100),
				 -EINVAL);
		CHECK_RC(mmipc_region_close(r), 0);
		if (b->named)
			ru_unlink(buf);
	}
	CHECK(keep == (mmipc_region *)&keep, "failed call set *out");
	CHECK_RC(mmipc_region_open_fd(&keep, -1, MMIPC_KIND_ANY, 0), -EBADF);
	{
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		CHECK(fd >= 0, "open /dev/null");
		close(fd); /* a descriptor that is not open */
		CHECK_RC(mmipc_region_open_fd(&keep, fd, MMIPC_KIND_ANY, 0),
			 -EBADF);
	}

	RU_WAIT_OK(ru_fork(limited, dir), "RLIMIT_FSIZE child");
	t_rmtree(dir);
	return T_PASS;
}
