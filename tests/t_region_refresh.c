/*
 * t_region_refresh - mmipc_region_refresh() trusts nothing of what another
 * process wrote in the header: a resize generation bumped over sizes that
 * do not fit the file (too big, shrunk, data past total, a file cut
 * short) is -MMIPC_ETRUNC, and the handle stays as it was (same size,
 * data readable, never SIGBUS); once the header is honest again refresh
 * picks it up. Refresh with nothing changed is 0. For shm: and file:.
 */
#include "region_util.h"

#define SIZE (16 * 1024)
#define TOTAL (MMIPC_HDR_SIZE + SIZE)

struct try_arg {
	mmipc_region *r;
	int want;
};

/* In a child: refresh must give want, then the handle must still map
 * SIZE readable bytes holding the pattern. */
static int try_refresh(void *p)
{
	struct try_arg *a = p;

	CHECK_RC(mmipc_region_refresh(a->r), a->want);
	CHECK(mmipc_region_size(a->r) == SIZE, "size now %llu",
	      (unsigned long long)mmipc_region_size(a->r));
	CHECK_PATTERN(mmipc_region_data(a->r), SIZE, 42);
	return 0;
}

static void hostile(mmipc_region *r, const char *path, off_t off,
		    uint64_t v, const char *what)
{
	uint64_t orig = ru_get64(path, off);
	uint32_t gen = ru_get32(path, RU_OFF(resize_gen));
	struct try_arg a = { r, -MMIPC_ETRUNC };

	ru_put64(path, off, v);
	ru_put32(path, RU_OFF(resize_gen), gen + 1);
	RU_WAIT_OK(ru_fork(try_refresh, &a), what);
	ru_put64(path, off, orig);
}

int main(void)
{
	char dir[256], buf[512], path[512];
	unsigned i;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const char *addr = ru_addr(buf, sizeof(buf), &ru_backends[i],
					   "refresh", dir);
		mmipc_region *r = NULL;
		struct try_arg ok = { NULL, 0 };

		ru_make(addr, SIZE, 42);
		ru_path(path, sizeof(path), addr);
		CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
		CHECK_RC(mmipc_region_refresh(r), 0);
		ok.r = r;

		hostile(r, path, RU_OFF(total_size), TOTAL + 4096,
			"total_size past the file");
		hostile(r, path, RU_OFF(total_size), UINT64_MAX,
			"total_size huge");
		hostile(r, path, RU_OFF(total_size), MMIPC_HDR_SIZE,
			"total_size shrunk");
		hostile(r, path, RU_OFF(data_size), SIZE + 4096 + 1,
			"data_size past total");
		hostile(r, path, RU_OFF(data_size), UINT64_MAX,
			"data_size huge");
		hostile(r, path, RU_OFF(data_size), SIZE / 2,
			"data_size shrunk");
		hostile(r, path, RU_OFF(data_size), 0, "data_size 0");

		/* grown in the header, consistently, but not in the file
		 * (or the file cut back after the growth) */
		ru_put64(path, RU_OFF(data_size), SIZE + 8192);
		hostile(r, path, RU_OFF(total_size), TOTAL + 8192,
			"sizes past the file");
		ru_put64(path, RU_OFF(data_size), SIZE);

		/* no change: 0, whether or not the generation moved (a
		 * resize to a size the region already had) */
		RU_WAIT_OK(ru_fork(try_refresh, &ok), "generation moved, "
			   "sizes as before");
		CHECK_RC(mmipc_region_refresh(r), 0);
		CHECK_RC(mmipc_region_refresh(r), 0);

		/* honest growth: 1 */
		ru_truncate(path, TOTAL + 4096);
		ru_put64(path, RU_OFF(total_size), TOTAL + 4096);
		ru_put64(path, RU_OFF(data_size), SIZE + 4096);
		ru_put32(path, RU_OFF(resize_gen),
			 ru_get32(path, RU_OFF(resize_gen)) + 1);
		CHECK_RC(mmipc_region_refresh(r), 1);
		CHECK(mmipc_region_size(r) == SIZE + 4096, "size %llu",
		      (unsigned long long)mmipc_region_size(r));
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 42);
		((volatile uint8_t *)mmipc_region_data(r))[SIZE + 4095] = 1;
		CHECK_RC(mmipc_region_refresh(r), 0);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
