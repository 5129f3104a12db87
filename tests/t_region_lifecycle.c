/*
 * t_region_lifecycle - create, use, close, reopen, unlink, for every
 * backend: the data written survives a close and reopen, the header
 * decodes to what was asked (kind, sizes, creator, state, backend, mode),
 * and a name is gone once unlinked.
 */
#include "region_util.h"

#define SIZE (64 * 1024)
#define ODD_SIZE 5000	/* not a page multiple */

/* Our start time: field 22 of /proc/self/stat, after the last ')'. */
static uint64_t self_start_time(void)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;
	int field;

	CHECK(f != NULL, "fopen /proc/self/stat: %s", strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	CHECK(p != NULL, "bad /proc/self/stat");
	p += 2;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		CHECK(p != NULL, "short /proc/self/stat");
		p++;
	}
	return strtoull(p, NULL, 10);
}

static void check_info(const mmipc_region *r, const struct ru_backend *b,
		       uint64_t size, const char *addr)
{
	struct mmipc_region_info info;
	long page = sysconf(_SC_PAGESIZE);
	int64_t now = (int64_t)time(NULL) * 1000000000;
	struct stat ns;
	unsigned i;

	memset(&info, 0xa5, sizeof(info));
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.version == MMIPC_LAYOUT_VERSION, "%s: version %u", addr,
	      info.version);
	CHECK(info.kind == MMIPC_KIND_RAW, "%s: kind %u", addr, info.kind);
	CHECK(info.state == MMIPC_STATE_READY, "%s: state %#x", addr,
	      info.state);
	CHECK(info.backend == b->backend, "%s: backend %u, want %u", addr,
	      info.backend, b->backend);
	CHECK(info.data_size == size, "%s: data_size %llu, want %llu", addr,
	      (unsigned long long)info.data_size, (unsigned long long)size);
	CHECK(info.data_off >= sizeof(struct mmipc_hdr) &&
		      info.data_off % (uint64_t)page == 0,
	      "%s: data_off %llu", addr, (unsigned long long)info.data_off);
	CHECK(info.total_size >= info.data_off + info.data_size &&
		      info.total_size - info.data_off - info.data_size <
			      (uint64_t)page,
	      "%s: total_size %llu, data_off %llu, data_size %llu", addr,
	      (unsigned long long)info.total_size,
	      (unsigned long long)info.data_off,
	      (unsigned long long)info.data_size);
	CHECK(info.creator_pid == (int32_t)getpid(), "%s: creator_pid %d",
	      addr, (int)info.creator_pid);
	CHECK(info.creator_uid == (uint32_t)getuid(), "%s: creator_uid %u",
	      addr, info.creator_uid);
	CHECK(info.creator_start == self_start_time(),
	      "%s: creator_start %llu, /proc says %llu", addr,
	      (unsigned long long)info.creator_start,
	      (unsigned long long)self_start_time());
	CHECK(info.creator_alive == 1, "%s: creator_alive %d", addr,
	      (int)info.creator_alive);
	CHECK(stat("/proc/self/ns/pid", &ns) == 0, "stat pid ns");
	CHECK(info.creator_pidns == (uint64_t)ns.st_ino,
	      "%s: creator_pidns %llu, ours %llu", addr,
	      (unsigned long long)info.creator_pidns,
	      (unsigned long long)ns.st_ino);
	CHECK(info.ctime_ns > now - INT64_C(60000000000) &&
		      info.ctime_ns < now + INT64_C(60000000000),
	      "%s: ctime_ns %lld, now %lld", addr, (long long)info.ctime_ns,
	      (long long)now);
	CHECK(info.owner_uid == (uint32_t)getuid(), "%s: owner_uid %u", addr,
	      info.owner_uid);
	if (b->named)
		CHECK(info.mode == 0600, "%s: mode %o", addr, info.mode);
	if (b->backend == MMIPC_BACKEND_ANON)
		CHECK(info.mode == 0, "%s: anon mode %o", addr, info.mode);
	if (b->backend == MMIPC_BACKEND_MEMFD)
		CHECK((info.seals & F_SEAL_SHRINK) != 0, "%s: seals %#x", addr,
		      info.seals);
	else
		CHECK(info.seals == 0, "%s: seals %#x", addr, info.seals);
	CHECK(info.file_size == info.total_size,
	      "%s: file_size %llu, total_size %llu", addr,
	      (unsigned long long)info.file_size,
	      (unsigned long long)info.total_size);
	for (i = 0; i < 4; i++)
		CHECK(info.params[i] == 0, "%s: raw params[%u] = %llu", addr,
		      i, (unsigned long long)info.params[i]);
	for (i = 0; i < (int)(sizeof(info.reserved) / sizeof(info.reserved[0])); i++)
		CHECK(info.reserved[i] == 0, "%s: reserved[%u] = %llu", addr,
		      i, (unsigned long long)info.reserved[i]);
	CHECK(mmipc_region_size(r) == size, "%s: region_size %llu", addr,
	      (unsigned long long)mmipc_region_size(r));
	CHECK((uintptr_t)mmipc_region_data(r) % (uintptr_t)page == 0,
	      "%s: data %p not page-aligned", addr, mmipc_region_data(r));
	if (b->backend == MMIPC_BACKEND_ANON)
		CHECK(mmipc_region_fd(r) == -1, "%s: anon fd %d", addr,
		      mmipc_region_fd(r));
	else
		CHECK(mmipc_region_fd(r) >= 0, "%s: fd %d", addr,
		      mmipc_region_fd(r));
}

static void one_backend(const struct ru_backend *b, const char *dir,
			uint64_t size, uint32_t seed)
{
	char buf[512], path[512];
	const char *addr = ru_addr(buf, sizeof(buf), b, "life", dir);
	mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
	struct stat st;

	CHECK_RC(mmipc_region_create(&r, addr, size, 0, 0), 0);
	CHECK(r != NULL, "%s: no handle", addr);
	check_info(r, b, size, addr);
	ru_fill(mmipc_region_data(r), size, seed);
	if (b->named) {
		ru_path(path, sizeof(path), addr);
		CHECK(stat(path, &st) == 0, "%s: no file %s", addr, path);
		CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
		      "%s: st_mode %o", addr, (unsigned)st.st_mode);
	}
	CHECK_RC(mmipc_region_close(r), 0);

	if (!b->named) {
		CHECK_RC(mmipc_region_unlink(addr, 0), -EINVAL);
		CHECK_RC(mmipc_region_open(&keep, addr, MMIPC_KIND_ANY, 0),
			 -EINVAL);
		return;
	}

	r = NULL;
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	check_info(r, b, size, addr);
	CHECK_PATTERN(mmipc_region_data(r), size, seed);
	CHECK_RC(mmipc_region_close(r), 0);

	r = NULL;
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_ANY, MMIPC_F_RDONLY),
		 0);
	CHECK_PATTERN(mmipc_region_data(r), size, seed);
	CHECK_RC(mmipc_region_close(r), 0);

	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	CHECK(!ru_exists(path), "%s: %s still there after unlink", addr, path);
	CHECK_RC(mmipc_region_open(&keep, addr, MMIPC_KIND_ANY, 0), -ENOENT);
	CHECK(keep == (mmipc_region *)&keep, "%s: failed open set *out", addr);
	CHECK_RC(mmipc_region_unlink(addr, 0), -ENOENT);
}

int main(void)
{
	char dir[256];
	unsigned i;

	t_tmpdir(dir, sizeof(dir));
	CHECK_RC(mmipc_region_close(NULL), 0);
	for (i = 0; i < RU_NBACKENDS; i++) {
		one_backend(&ru_backends[i], dir, SIZE, 11 + i);
		one_backend(&ru_backends[i], dir, ODD_SIZE, 21 + i);
		one_backend(&ru_backends[i], dir, 1, 31 + i);
	}
	t_rmtree(dir);
	return T_PASS;
}
