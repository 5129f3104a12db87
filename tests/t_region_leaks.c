/*
 * t_region_leaks - a region handle owns one descriptor and its mappings,
 * and gives all of them back: the counts of open descriptors and mappings
 * are the same before and after create/close and open/close cycles of
 * every backend, and after every FAILED create or open (exists, missing,
 * bad magic, bad version, truncated, not ready, wrong kind, bad name).
 */
#include "region_util.h"

#define SIZE (16 * 1024)

/* A failing call must not leak, and must leave *out alone. */
static void failing_open(const char *addr, uint32_t kind, unsigned flags,
			 int want, const char *what)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	struct ru_res before = ru_res_now();

	CHECK_RC(mmipc_region_open(&keep, addr, kind, flags), want);
	CHECK(keep == (mmipc_region *)&keep, "%s: failed open set *out", what);
	CHECK_RES(before, what);
}

static void cycles(const char *dir)
{
	unsigned i;

	for (i = 0; i < RU_NBACKENDS; i++) {
		const struct ru_backend *b = &ru_backends[i];
		char buf[512];
		const char *addr = ru_addr(buf, sizeof(buf), b, "leak", dir);
		struct ru_res before = ru_res_now();
		mmipc_region *r = NULL, *r2 = NULL;

		CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
		if (b->named) {
			CHECK_RC(mmipc_region_open(&r2, addr, MMIPC_KIND_RAW,
						   0), 0);
			CHECK_RC(mmipc_region_close(r2), 0);
			CHECK_RC(mmipc_region_open(&r2, addr, MMIPC_KIND_RAW,
						   MMIPC_F_RDONLY), 0);
			CHECK_RC(mmipc_region_close(r2), 0);
		}
		if (b->backend != MMIPC_BACKEND_ANON) {
			CHECK_RC(mmipc_region_open_fd(&r2, mmipc_region_fd(r),
						      MMIPC_KIND_RAW, 0), 0);
			CHECK_RC(mmipc_region_close(r2), 0);
		}
		CHECK_RC(mmipc_region_resize(r, 2 * SIZE),
			 b->backend == MMIPC_BACKEND_ANON ? -EOPNOTSUPP : 0);
		CHECK_RC(mmipc_region_close(r), 0);
		if (b->named)
			ru_unlink(addr);
		CHECK_RES(before, b->label);
	}
}

int main(void)
{
	char dir[256], name[256], path[512], garbage[8192];
	struct ru_res before;
	mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
	int fd;

	t_tmpdir(dir, sizeof(dir));
	cycles(dir); /* once to warm up whatever the C library caches */
	cycles(dir);

	/* create over an existing name */
	t_name(name, sizeof(name), "leak");
	ru_make(name, SIZE, 1);
	before = ru_res_now();
	CHECK_RC(mmipc_region_create(&keep, name, SIZE, 0, 0), -EEXIST);
	CHECK(keep == (mmipc_region *)&keep, "failed create set *out");
	CHECK_RES(before, "create over existing");
	snprintf(path, sizeof(path), "file:%s/exists", dir);
	ru_make(path, SIZE, 1);
	before = ru_res_now();
	CHECK_RC(mmipc_region_create(&keep, path, SIZE, 0, 0), -EEXIST);
	CHECK_RES(before, "file create over existing");
	ru_unlink(path);

	/* failed creates of other kinds */
	before = ru_res_now();
	CHECK_RC(mmipc_region_create(&keep, "shm:a/b", SIZE, 0, 0),
		 -MMIPC_EBADNAME);
	CHECK_RC(mmipc_region_create(&keep, "memfd", 0, 0, 0), -EINVAL);
	CHECK_RC(mmipc_region_create(&keep, "anon", MMIPC_MAX_SIZE + 1, 0, 0),
		 -EFBIG);
	snprintf(path, sizeof(path), "file:%s/no/such/dir", dir);
	CHECK_RC(mmipc_region_create(&keep, path, SIZE, 0, 0), -ENOENT);
	CHECK(keep == (mmipc_region *)&keep, "failed create set *out");
	CHECK_RES(before, "failed creates");

	/* failed opens */
	t_name(path, sizeof(path), "leak-missing");
	failing_open(path, MMIPC_KIND_ANY, 0, -ENOENT, "missing");
	failing_open(name, MMIPC_KIND_RING, 0, -MMIPC_EKIND, "wrong kind");
	failing_open("shm:..", MMIPC_KIND_ANY, 0, -MMIPC_EBADNAME, "bad name");
	failing_open(name, MMIPC_KIND_ANY, 0x40000000u, -EINVAL, "bad flags");

	ru_path(path, sizeof(path), name);
	ru_put32(path, RU_OFF(version), 99);
	failing_open(name, MMIPC_KIND_ANY, 0, -MMIPC_EVERSION, "bad version");
	ru_put32(path, RU_OFF(version), MMIPC_LAYOUT_VERSION);
	ru_put32(path, RU_OFF(state), MMIPC_STATE_INIT);
	failing_open(name, MMIPC_KIND_ANY, MMIPC_F_NOWAIT, -MMIPC_ENOTREADY,
		     "not ready");
	ru_put32(path, RU_OFF(state), MMIPC_STATE_READY);
	ru_put64(path, RU_OFF(data_size), 1024 * 1024);
	failing_open(name, MMIPC_KIND_ANY, 0, -MMIPC_ETRUNC, "truncated");
	ru_put64(path, RU_OFF(data_size), SIZE);
	ru_put64(path, RU_OFF(magic), 0x0123456789abcdefull);
	failing_open(name, MMIPC_KIND_ANY, 0, -MMIPC_EBADMAGIC, "bad magic");

	/* open_fd and stat failures */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	before = ru_res_now();
	CHECK_RC(mmipc_region_open_fd(&keep, fd, MMIPC_KIND_ANY,
				      MMIPC_F_RDONLY),
		 -MMIPC_EBADMAGIC);
	CHECK_RES(before, "open_fd bad magic");
	close(fd);
	memset(garbage, 'g', sizeof(garbage));
	snprintf(path, sizeof(path), "%s/garbage", dir);
	ru_write_file(path, garbage, sizeof(garbage), 0600);
	before = ru_res_now();
	{
		struct mmipc_region_info info;

		CHECK_RC(mmipc_region_stat(path, &info), -MMIPC_EBADMAGIC);
		CHECK_RC(mmipc_region_stat(name, &info), -MMIPC_EBADMAGIC);
	}
	CHECK(keep == (mmipc_region *)&keep, "failed open set *out");
	CHECK_RES(before, "failed stats");

	/* a successful open after all that still works */
	ru_put64(ru_path(path, sizeof(path), name), RU_OFF(magic),
		 MMIPC_MAGIC);
	CHECK_RC(mmipc_region_open(&r, name, MMIPC_KIND_RAW, 0), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 1);
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(name);
	t_rmtree(dir);
	return T_PASS;
}
