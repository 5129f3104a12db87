/*
 * t_region_rdonly - MMIPC_F_RDONLY maps the region read-only: it reads
 * what others write (live), a write through its pointer faults (SIGSEGV,
 * in a child), resize is -EBADF; a file the caller may only read opens
 * read-only but not read-write (-EACCES; as uid 65534 when root); a
 * descriptor opened O_RDONLY maps with MMIPC_F_RDONLY. For shm: and file:.
 */
#include "region_util.h"

#define SIZE (8 * 1024)

static int writer(void *p)
{
	mmipc_region *r = p;

	signal(SIGSEGV, SIG_DFL);
	((volatile uint8_t *)mmipc_region_data(r))[10] = 1;
	return 0; /* should not get here */
}

struct reader_arg {
	const char *addr;
};

static int nobody_reader(void *p)
{
	struct reader_arg *a = p;
	mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;

	t_drop_to_nobody();
	CHECK_RC(mmipc_region_open(&keep, a->addr, MMIPC_KIND_RAW,
				   MMIPC_F_ANY_UID), -EACCES);
	CHECK_RC(mmipc_region_open(&r, a->addr, MMIPC_KIND_RAW,
				   MMIPC_F_ANY_UID | MMIPC_F_RDONLY), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 41);
	CHECK_RC(mmipc_region_resize(r, 2 * SIZE), -EBADF);
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

int main(void)
{
	char dir[256], buf[512], path[512];
	unsigned i;

	t_tmpdir(dir, sizeof(dir));
	CHECK(chmod(dir, 0755) == 0, "chmod %s", dir);
	for (i = 0; i < 2; i++) { /* shm, file */
		const char *addr = ru_addr(buf, sizeof(buf), &ru_backends[i],
					   "ro", dir);
		mmipc_region *w = NULL, *r = NULL, *keep = (mmipc_region *)&keep;
		struct mmipc_region_info info;
		uint8_t flipped;
		int st, fd;

		CHECK_RC(mmipc_region_create(&w, addr, SIZE, 0644, 0), 0);
		ru_fill(mmipc_region_data(w), SIZE, 41);
		CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW,
					   MMIPC_F_RDONLY), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 41);
		/* live: a later write of the writer shows */
		flipped = (uint8_t)~ru_byte(41, 5);
		((uint8_t *)mmipc_region_data(w))[5] = flipped;
		CHECK(((volatile uint8_t *)mmipc_region_data(r))[5] == flipped,
		      "%s: read-only mapping does not see the write", addr);
		((uint8_t *)mmipc_region_data(w))[5] ^= 0xff;

		st = t_wait(ru_fork(writer, r));
		CHECK(st == 128 + SIGSEGV, "%s: write through a read-only "
		      "handle: child %s %d", addr,
		      st > 128 ? "killed by signal" : "exited",
		      st > 128 ? st - 128 : st);
		CHECK_PATTERN(mmipc_region_data(w), SIZE, 41);
		CHECK_RC(mmipc_region_resize(r, 2 * SIZE), -EBADF);
		CHECK_RC(mmipc_region_info(r, &info), 0);
		CHECK(info.data_size == SIZE && info.mode == 0644,
		      "%s: info %llu %o", addr,
		      (unsigned long long)info.data_size, info.mode);
		CHECK_RC(mmipc_region_sync(r, 0), 0);
		CHECK_RC(mmipc_region_refresh(r), 0);
		CHECK_RC(mmipc_region_close(r), 0);

		/* by descriptor */
		ru_path(path, sizeof(path), addr);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0, "open %s", path);
		CHECK_RC(mmipc_region_open_fd(&r, fd, MMIPC_KIND_RAW,
					      MMIPC_F_RDONLY), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 41);
		CHECK_RC(mmipc_region_close(r), 0);
		CHECK(mmipc_region_open_fd(&keep, fd, MMIPC_KIND_RAW, 0) < 0,
		      "%s: read-write map of an O_RDONLY descriptor", addr);
		CHECK(keep == (mmipc_region *)&keep, "failed open set *out");
		close(fd);

		if (t_is_root()) {
			struct reader_arg a = { addr };

			RU_WAIT_OK(ru_fork(nobody_reader, &a), addr);
		}
		CHECK_RC(mmipc_region_close(w), 0);
		ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
