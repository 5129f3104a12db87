/*
 * t_region_kind - open checks the kind: a raw region opened as a ring (or
 * any other kind) is -MMIPC_EKIND, as raw or KIND_ANY it opens; a region
 * whose header says ring opens as ring or any, not as raw. Also
 * mmipc_kind_name() for every kind. For shm:, file: and memfd (open_fd).
 */
#include "region_util.h"

#define SIZE (8 * 1024)

static void kinds_of(const char *addr, int fd, uint32_t have)
{
	uint32_t k;

	for (k = MMIPC_KIND_ANY; k <= MMIPC_KIND_JOURNAL + 1; k++) {
		mmipc_region *r = NULL;
		struct mmipc_region_info info;
		int want = (k == MMIPC_KIND_ANY || k == have) ? 0
							       : -MMIPC_EKIND;

		if (addr != NULL) {
			CHECK_RC(ru_try_open(addr, k, 0), want);
			CHECK_RC(ru_try_open(addr, k, MMIPC_F_RDONLY), want);
		}
		if (fd < 0)
			continue;
		r = (mmipc_region *)&r;
		CHECK_RC(mmipc_region_open_fd(&r, fd, k, 0), want);
		if (want < 0) {
			CHECK(r == (mmipc_region *)&r, "failed open set *out");
			continue;
		}
		CHECK_RC(mmipc_region_info(r, &info), 0);
		CHECK(info.kind == have, "kind %u, want %u", info.kind, have);
		CHECK_RC(mmipc_region_close(r), 0);
	}
}

int main(void)
{
	static const char *const names[] = {
		[MMIPC_KIND_RAW] = "raw",     [MMIPC_KIND_RING] = "ring",
		[MMIPC_KIND_QUEUE] = "queue", [MMIPC_KIND_BCAST] = "bcast",
		[MMIPC_KIND_BOARD] = "board", [MMIPC_KIND_JOURNAL] = "journal",
	};
	char dir[256], buf[512], path[512];
	mmipc_region *r = NULL;
	unsigned i;

	for (i = MMIPC_KIND_RAW; i <= MMIPC_KIND_JOURNAL; i++)
		CHECK(strcmp(mmipc_kind_name(i), names[i]) == 0,
		      "kind_name(%u) = %s", i, mmipc_kind_name(i));
	CHECK(strcmp(mmipc_kind_name(MMIPC_KIND_JOURNAL + 1), "unknown") == 0,
	      "kind_name(7) = %s", mmipc_kind_name(MMIPC_KIND_JOURNAL + 1));
	CHECK(strcmp(mmipc_kind_name(UINT32_MAX), "unknown") == 0,
	      "kind_name(max) = %s", mmipc_kind_name(UINT32_MAX));

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		const char *addr = ru_addr(buf, sizeof(buf), b, "kind", dir);
		int fd;

		ru_make(addr, SIZE, 8);
		ru_path(path, sizeof(path), addr);
		CHECK(ru_get32(path, RU_OFF(kind)) == MMIPC_KIND_RAW,
		      "%s: kind on disk %u", addr,
		      ru_get32(path, RU_OFF(kind)));
		fd = open(path, O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
		kinds_of(addr, fd, MMIPC_KIND_RAW);
		/* the same file, its header now saying "ring" */
		ru_put32(path, RU_OFF(kind), MMIPC_KIND_RING);
		kinds_of(addr, fd, MMIPC_KIND_RING);
		close(fd);
		ru_put32(path, RU_OFF(kind), MMIPC_KIND_RAW);
		ru_unlink(addr);
	}

	/* memfd: by descriptor */
	CHECK_RC(mmipc_region_create(&r, "memfd", SIZE, 0, 0), 0);
	kinds_of(NULL, mmipc_region_fd(r), MMIPC_KIND_RAW);
	CHECK_RC(mmipc_region_close(r), 0);
	t_rmtree(dir);
	return T_PASS;
}
