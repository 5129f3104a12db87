/*
 * t_region_stat - mmipc_region_stat() decodes a named region's header
 * without keeping it open: on a live region (every field right, creator
 * alive); on a region whose creator has exited (creator_alive 0, the
 * region itself fine); on a creator pid that lives but is another process
 * (start time differs: 0) or is no pid at all (0, -1: never "alive"); on a
 * region not READY (reported as INIT, at once); on files that are not
 * regions (-MMIPC_EBADMAGIC) or not there (-ENOENT). For shm: and file:.
 */
#include "region_util.h"

#define SIZE (20 * 1024)

struct creator_arg {
	const char *addr;
};

static int creator(void *p)
{
	struct creator_arg *a = p;

	ru_make(a->addr, SIZE, 28);
	return 0; /* and die, leaving the region */
}

static void alive_as(const char *addr, const char *path, int32_t pid,
		     uint64_t start, int want, bool exact)
{
	struct mmipc_region_info info;
	int32_t opid = (int32_t)ru_get32(path, RU_OFF(creator_pid));
	uint64_t ostart = ru_get64(path, RU_OFF(creator_start));

	ru_put32(path, RU_OFF(creator_pid), (uint32_t)pid);
	ru_put64(path, RU_OFF(creator_start), start);
	CHECK_RC(mmipc_region_stat(addr, &info), 0);
	CHECK(info.creator_pid == pid, "creator_pid %d", (int)info.creator_pid);
	if (exact)
		CHECK(info.creator_alive == want,
		      "creator pid %d start %llu: alive %d, want %d", (int)pid,
		      (unsigned long long)start, (int)info.creator_alive, want);
	else
		CHECK(info.creator_alive != 1,
		      "creator pid %d start %llu: alive %d", (int)pid,
		      (unsigned long long)start, (int)info.creator_alive);
	ru_put32(path, RU_OFF(creator_pid), (uint32_t)opid);
	ru_put64(path, RU_OFF(creator_start), ostart);
}

static void one(const struct ru_backend *b, const char *dir)
{
	char buf[512], path[512];
	const char *addr = ru_addr(buf, sizeof(buf), b, "stat", dir);
	struct creator_arg a = { addr };
	struct mmipc_region_info info, oinfo;
	mmipc_region *r = NULL;
	int64_t t0;
	pid_t pid;

	/* live: ours */
	CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0640, 0), 0);
	memset(&info, 0xa5, sizeof(info));
	CHECK_RC(mmipc_region_stat(addr, &info), 0);
	CHECK_RC(mmipc_region_info(r, &oinfo), 0);
	CHECK(info.version == MMIPC_LAYOUT_VERSION &&
		      info.kind == MMIPC_KIND_RAW &&
		      info.state == MMIPC_STATE_READY &&
		      info.backend == b->backend,
	      "%s: version %u kind %u state %#x backend %u", addr,
	      info.version, info.kind, info.state, info.backend);
	CHECK(info.data_size == SIZE && info.data_off == MMIPC_HDR_SIZE &&
		      info.total_size == MMIPC_HDR_SIZE + SIZE &&
		      info.file_size == info.total_size,
	      "%s: sizes %llu %llu %llu %llu", addr,
	      (unsigned long long)info.data_size,
	      (unsigned long long)info.data_off,
	      (unsigned long long)info.total_size,
	      (unsigned long long)info.file_size);
	CHECK(info.creator_pid == (int32_t)getpid() &&
		      info.creator_uid == (uint32_t)getuid() &&
		      info.owner_uid == (uint32_t)getuid() &&
		      info.creator_alive == 1 && info.mode == 0640,
	      "%s: pid %d uid %u owner %u alive %d mode %o", addr,
	      (int)info.creator_pid, info.creator_uid, info.owner_uid,
	      (int)info.creator_alive, info.mode);
	CHECK(memcmp(&info, &oinfo, sizeof(info)) == 0,
	      "%s: stat and info disagree", addr);
	CHECK_RC(mmipc_region_close(r), 0);

	/* pids that are not the creator */
	ru_path(path, sizeof(path), addr);
	alive_as(addr, path, (int32_t)getpid(), oinfo.creator_start + 1, 0,
		 true);
	alive_as(addr, path, 1, UINT64_MAX - 1, 0, true); /* init, not its start */
	alive_as(addr, path, 0, 0, 0, false);
	alive_as(addr, path, -1, 0, 0, false);
	alive_as(addr, path, INT32_MIN, 0, 0, false);
	alive_as(addr, path, INT32_MAX, 0, 0, false);
	/* made in another pid namespace: the pid means nothing here */
	{
		uint64_t ns = ru_get64(path, RU_OFF(creator_pidns));

		CHECK(ns != 0, "%s: no creator_pidns", addr);
		ru_put64(path, RU_OFF(creator_pidns), ns + 1);
		CHECK_RC(mmipc_region_stat(addr, &info), 0);
		CHECK(info.creator_alive == -1 && info.creator_pidns == ns + 1,
		      "%s: other pid ns: alive %d", addr,
		      (int)info.creator_alive);
		ru_put64(path, RU_OFF(creator_pidns), ns);
	}
	ru_unlink(addr);

	/* dead creator */
	addr = ru_addr(buf, sizeof(buf), b, "stat", dir);
	a.addr = addr;
	pid = ru_fork(creator, &a);
	RU_WAIT_OK(pid, "creator");
	CHECK_RC(mmipc_region_stat(addr, &info), 0);
	CHECK(info.creator_pid == (int32_t)pid, "%s: creator_pid %d, want %d",
	      addr, (int)info.creator_pid, (int)pid);
	CHECK(info.creator_alive == 0, "%s: dead creator: alive %d", addr,
	      (int)info.creator_alive);
	CHECK(info.state == MMIPC_STATE_READY, "%s: state %#x", addr,
	      info.state);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 28);
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.creator_alive == 0, "%s: info: alive %d", addr,
	      (int)info.creator_alive);
	CHECK_RC(mmipc_region_close(r), 0);

	/* not READY: reported, not waited for */
	ru_path(path, sizeof(path), addr);
	ru_put32(path, RU_OFF(state), MMIPC_STATE_INIT);
	t0 = ru_now_ns();
	CHECK_RC(mmipc_region_stat(addr, &info), 0);
	CHECK(ru_ms_since(t0) < 500, "%s: stat waited %lld ms", addr,
	      (long long)ru_ms_since(t0));
	CHECK(info.state == MMIPC_STATE_INIT, "%s: state %#x", addr,
	      info.state);
	ru_unlink(addr);

	/* not a region, not there */
	{
		char text[1000];
		int rc;

		memset(text, '#', sizeof(text));
		ru_write_file(path, text, sizeof(text), 0600);
		CHECK_RC(mmipc_region_stat(addr, &info), -MMIPC_EBADMAGIC);
		/* shorter than a header: either error will do */
		ru_truncate(path, 17);
		rc = mmipc_region_stat(addr, &info);
		CHECK(rc == -MMIPC_EBADMAGIC || rc == -MMIPC_ETRUNC,
		      "%s: 17-byte file: %d (%s)", addr, rc,
		      mmipc_strerror(rc));
		CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
	}
	ru_write_file(path, NULL, 0, 0600);
	CHECK(mmipc_region_stat(addr, &info) < 0, "%s: empty file", addr);
	CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
	CHECK_RC(mmipc_region_stat(addr, &info), -ENOENT);
	/* a directory is not a region either */
	CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);
	CHECK_RC(mmipc_region_stat(addr, &info), -EISDIR);
	{
		mmipc_region *keep = (mmipc_region *)&keep;
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		CHECK_RC(mmipc_region_open(&keep, addr, MMIPC_KIND_ANY,
					   MMIPC_F_RDONLY), -EISDIR);
		CHECK(fd >= 0, "open dir %s", path);
		CHECK_RC(mmipc_region_open_fd(&keep, fd, MMIPC_KIND_ANY,
					      MMIPC_F_RDONLY), -EISDIR);
		close(fd);
		CHECK(keep == (mmipc_region *)&keep, "failed open set *out");
	}
	CHECK(rmdir(path) == 0, "rmdir %s", path);
}

int main(void)
{
	char dir[256];

	t_tmpdir(dir, sizeof(dir));
	one(&ru_backends[0], dir);
	one(&ru_backends[1], dir);
	t_rmtree(dir);
	return T_PASS;
}
