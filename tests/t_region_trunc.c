/*
 * t_region_trunc - sizes in a header that do not fit the file are refused
 * with -MMIPC_ETRUNC, never a crash (SIGBUS, SIGSEGV) or a mapping that
 * reaches past the file: a file cut below its header or its data, a
 * data_size or total_size larger than the file, a data_off beyond it, sums
 * that overflow. Opens run in a child, which also touches every page of
 * whatever it got. A file LONGER than its header says (a resize under way)
 * is fine. For shm: and file:.
 */
#include "region_util.h"

#define SIZE (8 * 1024)
#define TOTAL (MMIPC_HDR_SIZE + SIZE)

static void refused(const char *addr, const char *what)
{
	int rc = ru_try_open(addr, MMIPC_KIND_ANY, 0);

	CHECK(rc == -MMIPC_ETRUNC, "%s: %s: open returned %d (%s), want ETRUNC",
	      addr, what, rc, mmipc_strerror(rc));
	rc = ru_try_open(addr, MMIPC_KIND_RAW, MMIPC_F_RDONLY);
	CHECK(rc == -MMIPC_ETRUNC, "%s: %s: RDONLY open returned %d (%s)", addr,
	      what, rc, mmipc_strerror(rc));
	rc = ru_try_stat(addr);
	CHECK(rc == -MMIPC_ETRUNC, "%s: %s: stat returned %d (%s)", addr, what,
	      rc, mmipc_strerror(rc));
}

static void opens(const char *addr, const char *what)
{
	mmipc_region *r = NULL;

	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY, 0), 0);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	CHECK(mmipc_region_size(r) == SIZE, "%s: %s: size %llu", addr, what,
	      (unsigned long long)mmipc_region_size(r));
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 9);
	CHECK_RC(mmipc_region_close(r), 0);
}

/* A 64-bit header field set to each bad value in turn, then restored. */
static void bad64(const char *addr, const char *path, off_t off,
		  const uint64_t *v, unsigned n, const char *what)
{
	uint64_t orig = ru_get64(path, off);
	unsigned i;

	for (i = 0; i < n; i++) {
		ru_put64(path, off, v[i]);
		refused(addr, what);
	}
	ru_put64(path, off, orig);
	opens(addr, what);
}

int main(void)
{
	/* shorter and shorter (a longer cut would add zeros, not data) */
	static const uint64_t cuts[] = { TOTAL - 1, TOTAL - 4096,
					 MMIPC_HDR_SIZE + 1, MMIPC_HDR_SIZE,
					 MMIPC_HDR_SIZE - 1,
					 sizeof(struct mmipc_hdr),
					 sizeof(struct mmipc_hdr) - 1, 100, 8,
					 1 };
	static const uint64_t data_sizes[] = {
		TOTAL - MMIPC_HDR_SIZE + 1, TOTAL, UINT64_C(1) << 40,
		UINT64_MAX - MMIPC_HDR_SIZE + 1, UINT64_MAX,
	};
	static const uint64_t total_sizes[] = {
		TOTAL + 1, TOTAL + 4096, UINT64_C(1) << 40, UINT64_MAX,
		MMIPC_HDR_SIZE, 0,
	};
	static const uint64_t data_offs[] = {
		TOTAL, TOTAL + 4096, UINT64_C(1) << 30,
		UINT64_MAX - 4095, UINT64_MAX - SIZE + 1,
	};
	char dir[256], buf[512], path[512];
	unsigned i, j;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		const char *addr = ru_addr(buf, sizeof(buf), b, "trunc", dir);
		int rc;

		ru_make(addr, SIZE, 9);
		ru_path(path, sizeof(path), addr);
		CHECK(ru_file_size(path) == TOTAL, "%s: file size %llu", addr,
		      (unsigned long long)ru_file_size(path));
		CHECK(ru_get64(path, RU_OFF(total_size)) == TOTAL &&
			      ru_get64(path, RU_OFF(data_off)) ==
				      MMIPC_HDR_SIZE &&
			      ru_get64(path, RU_OFF(data_size)) == SIZE,
		      "%s: unexpected sizes on disk", addr);

		bad64(addr, path, RU_OFF(data_size), data_sizes,
		      sizeof(data_sizes) / sizeof(data_sizes[0]), "data_size");
		bad64(addr, path, RU_OFF(total_size), total_sizes,
		      sizeof(total_sizes) / sizeof(total_sizes[0]),
		      "total_size");
		bad64(addr, path, RU_OFF(data_off), data_offs,
		      sizeof(data_offs) / sizeof(data_offs[0]), "data_off");

		/* longer than the header says: fine */
		ru_truncate(path, TOTAL + 3 * 4096);
		opens(addr, "file longer than header");

		/* the file cut short, below the header or into the data */
		for (j = 0; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
			char what[64];

			snprintf(what, sizeof(what), "file cut to %llu bytes",
				 (unsigned long long)cuts[j]);
			ru_truncate(path, cuts[j]);
			refused(addr, what);
		}

		/* an empty file: the header does not say which error; it
		 * must be an error, and must not crash */
		ru_truncate(path, 0);
		rc = ru_try_open(addr, MMIPC_KIND_ANY, MMIPC_F_NOWAIT);
		printf("empty file: open gives %d (%s)\n", rc,
		       mmipc_strerror(rc));
		CHECK(rc == -MMIPC_ETRUNC || rc == -MMIPC_ENOTREADY,
		      "%s: empty file: open %d (%s)", addr, rc,
		      mmipc_strerror(rc));
		rc = ru_try_stat(addr);
		CHECK(rc == -MMIPC_ETRUNC || rc == -MMIPC_ENOTREADY ||
			      rc == -MMIPC_EBADMAGIC,
		      "%s: empty file: stat %d (%s)", addr, rc,
		      mmipc_strerror(rc));
		CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);

		/* a short file that was never a region */
		ru_write_file(path, "hello", 5, 0600);
		rc = ru_try_open(addr, MMIPC_KIND_ANY, 0);
		printf("5-byte text file: open gives %d (%s)\n", rc,
		       mmipc_strerror(rc));
		CHECK(rc == -MMIPC_ETRUNC || rc == -MMIPC_EBADMAGIC,
		      "%s: short file: open %d (%s)", addr, rc,
		      mmipc_strerror(rc));
		CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
	}
	t_rmtree(dir);
	return T_PASS;
}
