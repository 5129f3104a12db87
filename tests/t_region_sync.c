/*
 * t_region_sync - mmipc_region_sync() writes a file: region's mapping back
 * to its file: after it (MS_SYNC, and MMIPC_SYNC_ASYNC) the bytes written
 * through the pointer are in the file at data_off, as pread() sees them,
 * and with MS_SYNC no page of the mapping is left dirty (where the file
 * system reports dirty pages at all, which a disk-backed one does). For
 * shm:, anon and memfd it is harmless and returns 0.
 */
#include "region_util.h"

#define SIZE (64 * 1024)

/* Dirty kB of the mapping that contains p, from /proc/self/smaps; -1 if
 * the kernel does not say. */
static long dirty_kb(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long dirty = -1, v;

	CHECK(f != NULL, "fopen smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;

		/* "lo-hi perms ..." starts a mapping; "Name: n kB" lines
		 * never parse as two hex numbers around a '-' */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			if (in)
				dirty = 0;
			continue;
		}
		if (in && (sscanf(line, "Shared_Dirty: %ld kB", &v) == 1 ||
			   sscanf(line, "Private_Dirty: %ld kB", &v) == 1))
			dirty += v;
	}
	fclose(f);
	return dirty;
}

static void file_region(const char *dir)
{
	char addr[512], path[512];
	uint8_t *d, got[SIZE];
	mmipc_region *r = NULL;
	struct mmipc_region_info info;
	long before, after;

	snprintf(addr, sizeof(addr), "file:%s/sync", dir);
	CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
	CHECK_RC(mmipc_region_sync(r, 0), 0); /* the fresh header */
	CHECK_RC(mmipc_region_info(r, &info), 0);
	ru_path(path, sizeof(path), addr);
	d = mmipc_region_data(r);

	ru_fill(d, SIZE, 22);
	before = dirty_kb(d);
	CHECK_RC(mmipc_region_sync(r, 0), 0);
	after = dirty_kb(d);
	printf("dirty kB of the data mapping: %ld before sync, %ld after\n",
	       before, after);
	if (before > 0)
		CHECK(after == 0, "MS_SYNC left %ld kB dirty", after);
	ru_pread(path, (off_t)info.data_off, got, SIZE);
	CHECK_PATTERN(got, SIZE, 22);

	ru_fill(d, SIZE, 23);
	CHECK_RC(mmipc_region_sync(r, MMIPC_SYNC_ASYNC), 0);
	ru_pread(path, (off_t)info.data_off, got, SIZE);
	CHECK_PATTERN(got, SIZE, 23);

	/* and a fresh handle, after close, reads the same */
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, MMIPC_F_RDONLY), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 23);
	CHECK_RC(mmipc_region_sync(r, 0), 0); /* read-only: harmless */
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(addr);
}

int main(void)
{
	char dir[256], buf[512];
	unsigned i;

	t_tmpdir(dir, sizeof(dir));
	file_region(dir);
	for (i = 0; i < RU_NBACKENDS; i++) {
		const char *addr = ru_addr(buf, sizeof(buf), &ru_backends[i],
					   "sync", dir);
		mmipc_region *r = NULL;

		CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
		ru_fill(mmipc_region_data(r), SIZE, 24);
		CHECK_RC(mmipc_region_sync(r, 0), 0);
		CHECK_RC(mmipc_region_sync(r, MMIPC_SYNC_ASYNC), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 24);
		CHECK_RC(mmipc_region_close(r), 0);
		if (ru_backends[i].named)
			ru_unlink(addr);
	}
	t_rmtree(dir);
	return T_PASS;
}
