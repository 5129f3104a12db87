/*
 * t_region_plain - MMIPC_F_PLAIN maps an ordinary file as it is: the data
 * area is the whole file from offset 0 (size = file size, not a page
 * multiple), writes through the pointer reach the file, resize grows the
 * file. An empty file is -EINVAL; a kind other than ANY/RAW is refused.
 * For file: paths and shm: names; a real region opened PLAIN shows its
 * header bytes.
 */
#include "region_util.h"

#define LEN 10000	/* not a page multiple */

static void plain(const char *addr, const char *path)
{
	uint8_t content[LEN], got[LEN];
	mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
	struct mmipc_region_info info;
	uint8_t *d;
	int rc;

	ru_fill(content, LEN, 25);
	ru_write_file(path, content, LEN, 0600);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_ANY, MMIPC_F_PLAIN), 0);
	CHECK(mmipc_region_size(r) == LEN, "%s: size %llu", addr,
	      (unsigned long long)mmipc_region_size(r));
	d = mmipc_region_data(r);
	CHECK_PATTERN(d, LEN, 25);
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.kind == MMIPC_KIND_RAW, "%s: kind %u", addr, info.kind);
	CHECK(info.data_off == 0 && info.data_size == LEN,
	      "%s: data_off %llu data_size %llu", addr,
	      (unsigned long long)info.data_off,
	      (unsigned long long)info.data_size);
	CHECK(info.file_size == LEN, "%s: file_size %llu", addr,
	      (unsigned long long)info.file_size);

	ru_fill(d, LEN, 26);
	CHECK_RC(mmipc_region_sync(r, 0), 0);
	ru_pread(path, 0, got, LEN);
	CHECK_PATTERN(got, LEN, 26);
	CHECK(ru_file_size(path) == LEN, "%s: file size changed", addr);

	/* growing the file */
	CHECK_RC(mmipc_region_resize(r, LEN - 1), -EINVAL);
	CHECK_RC(mmipc_region_resize(r, 3 * LEN), 0);
	CHECK(mmipc_region_size(r) == 3 * LEN, "%s: size %llu after resize",
	      addr, (unsigned long long)mmipc_region_size(r));
	CHECK(ru_file_size(path) == 3 * LEN, "%s: file size %llu after resize",
	      addr, (unsigned long long)ru_file_size(path));
	d = mmipc_region_data(r);
	CHECK_PATTERN(d, LEN, 26);
	d[3 * LEN - 1] = 0x77;
	CHECK_RC(mmipc_region_sync(r, MMIPC_SYNC_ASYNC), 0);
	ru_pread(path, 3 * LEN - 1, got, 1);
	CHECK(got[0] == 0x77, "%s: last byte %#x", addr, got[0]);
	CHECK_RC(mmipc_region_close(r), 0);

	/* read-only, RAW kind */
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW,
				   MMIPC_F_PLAIN | MMIPC_F_RDONLY), 0);
	CHECK_PATTERN(mmipc_region_data(r), LEN, 26);
	CHECK_RC(mmipc_region_close(r), 0);

	/* other kinds: refused */
	rc = mmipc_region_open(&keep, addr, MMIPC_KIND_RING, MMIPC_F_PLAIN);
	CHECK(rc < 0, "%s: PLAIN opened as a ring", addr);
	printf("PLAIN with KIND_RING: %d (%s)\n", rc, mmipc_strerror(rc));
	CHECK(mmipc_region_open(&keep, addr, MMIPC_KIND_JOURNAL,
				MMIPC_F_PLAIN) < 0, "%s: PLAIN as journal", addr);

	/* without PLAIN it is no region */
	CHECK_RC(mmipc_region_open(&keep, addr, MMIPC_KIND_ANY, 0),
		 -MMIPC_EBADMAGIC);

	/* empty */
	ru_truncate(path, 0);
	CHECK_RC(mmipc_region_open(&keep, addr, MMIPC_KIND_ANY, MMIPC_F_PLAIN),
		 -EINVAL);
	CHECK(keep == (mmipc_region *)&keep, "failed open set *out");
	CHECK(unlink(path) == 0, "unlink %s", path);
	CHECK_RC(mmipc_region_open(&keep, addr, MMIPC_KIND_ANY, MMIPC_F_PLAIN),
		 -ENOENT);
}

int main(void)
{
	char dir[256], addr[512], path[512];
	mmipc_region *r = NULL;
	uint64_t magic;

	t_tmpdir(dir, sizeof(dir));
	snprintf(addr, sizeof(addr), "file:%s/plain", dir);
	plain(addr, ru_path(path, sizeof(path), addr));
	snprintf(addr, sizeof(addr), "%s/plain2", dir);
	plain(addr, ru_path(path, sizeof(path), addr));
	t_name(addr, sizeof(addr), "plain");
	plain(addr, ru_path(path, sizeof(path), addr));

	/* a region opened PLAIN: header and all */
	t_name(addr, sizeof(addr), "plainreg");
	ru_make(addr, 4096, 27);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_ANY, MMIPC_F_PLAIN), 0);
	CHECK(mmipc_region_size(r) == MMIPC_HDR_SIZE + 4096, "size %llu",
	      (unsigned long long)mmipc_region_size(r));
	memcpy(&magic, mmipc_region_data(r), sizeof(magic));
	CHECK(magic == MMIPC_MAGIC, "magic %#llx", (unsigned long long)magic);
	CHECK_PATTERN((uint8_t *)mmipc_region_data(r) + MMIPC_HDR_SIZE, 4096,
		      27);
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(addr);
	t_rmtree(dir);
	return T_PASS;
}
