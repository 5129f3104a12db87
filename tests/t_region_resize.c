/*
 * t_region_resize - growing a region: the data survives and the new end
 * is usable; a process opening it afterwards (an unrelated, exec'd one)
 * sees the new size; a process that had it open before keeps the old size
 * until mmipc_region_refresh() says 1 (remapped), then sees the new size
 * and what was written there, and a second refresh says 0. Shrinking is
 * -EINVAL, a read-only handle -EBADF, past MMIPC_MAX_SIZE -EFBIG, anon
 * -EOPNOTSUPP. For shm:, file: and memfd. A region whose data starts
 * past the header block grows with its data where it is.
 */
#include "region_util.h"

#define OLD 4096
#define NEW (1024 * 1024)
#define TAIL 4096

static void check_grown(mmipc_region *r, const char *who)
{
	uint8_t *d = mmipc_region_data(r);
	struct mmipc_region_info info;

	CHECK(mmipc_region_size(r) == NEW, "%s: size %llu", who,
	      (unsigned long long)mmipc_region_size(r));
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.data_size == NEW, "%s: info.data_size %llu", who,
	      (unsigned long long)info.data_size);
	CHECK(info.total_size == info.data_off + NEW, "%s: total_size %llu",
	      who, (unsigned long long)info.total_size);
	CHECK(info.file_size >= info.total_size, "%s: file_size %llu", who,
	      (unsigned long long)info.file_size);
	CHECK_PATTERN(d, OLD, 20);
	CHECK_PATTERN(d + NEW - TAIL, TAIL, 21);
}

/* An unrelated process opening the grown region by name. */
static int opener_main(const char *addr)
{
	mmipc_region *r = NULL;

	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	check_grown(r, "opener");
	CHECK_RC(mmipc_region_refresh(r), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}

/* A process that had the region mapped before it grew: by name, or (r
 * set) the handle inherited across fork. */
struct holder {
	const char *addr;
	mmipc_region *r;
	int opened, resized;	/* pipes: we post, we wait */
	int others[2];		/* the parent's ends, closed here */
};

static int holder(void *p)
{
	struct holder *h = p;
	mmipc_region *r = h->r;

	close(h->others[0]);
	close(h->others[1]);
	if (h->addr != NULL)
		CHECK_RC(mmipc_region_open(&r, h->addr, MMIPC_KIND_RAW, 0), 0);
	CHECK(mmipc_region_size(r) == OLD, "holder: size %llu before",
	      (unsigned long long)mmipc_region_size(r));
	CHECK_RC(mmipc_region_refresh(r), 0);
	ru_post(h->opened);
	ru_await(h->resized);
	CHECK(mmipc_region_size(r) == OLD, "holder: size %llu before refresh",
	      (unsigned long long)mmipc_region_size(r));
	CHECK_PATTERN(mmipc_region_data(r), OLD, 20);
	CHECK_RC(mmipc_region_refresh(r), 1);
	check_grown(r, "holder");
	CHECK_RC(mmipc_region_refresh(r), 0);
	CHECK(mmipc_region_size(r) == NEW, "holder: size after 2nd refresh");
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

static void grow(const struct ru_backend *b, const char *dir)
{
	char buf[512], path[512];
	const char *addr = ru_addr(buf, sizeof(buf), b, "resize", dir);
	char *args[] = { "open", (char *)addr, NULL };
	struct holder h = { NULL, NULL, -1, -1, { -1, -1 } };
	mmipc_region *r = NULL, *ro = NULL;
	int opened[2], resized[2];
	pid_t pid;

	CHECK_RC(mmipc_region_create(&r, addr, OLD, 0, 0), 0);
	ru_fill(mmipc_region_data(r), OLD, 20);
	ru_pipe(opened);
	ru_pipe(resized);
	h.addr = b->named ? addr : NULL;
	h.r = b->named ? NULL : r;
	h.opened = opened[1];
	h.resized = resized[0];
	h.others[0] = opened[0];
	h.others[1] = resized[1];
	pid = ru_fork(holder, &h);
	close(opened[1]);
	close(resized[0]);
	ru_await(opened[0]);

	CHECK_RC(mmipc_region_resize(r, OLD - 1), -EINVAL);
	CHECK_RC(mmipc_region_resize(r, OLD), 0);
	CHECK_RC(mmipc_region_resize(r, NEW), 0);
	ru_fill((uint8_t *)mmipc_region_data(r) + NEW - TAIL, TAIL, 21);
	check_grown(r, "resizer");
	ru_post(resized[1]);
	RU_WAIT_OK(pid, "holder");
	close(opened[0]);
	close(resized[1]);

	if (b->named) {
		ru_path(path, sizeof(path), addr);
		CHECK(ru_file_size(path) == MMIPC_HDR_SIZE + NEW,
		      "%s: file size %llu", addr,
		      (unsigned long long)ru_file_size(path));
		RU_WAIT_OK(t_self_exec(args), "opener");
		CHECK_RC(mmipc_region_open(&ro, addr, MMIPC_KIND_RAW,
					   MMIPC_F_RDONLY), 0);
		CHECK_RC(mmipc_region_resize(ro, 2 * NEW), -EBADF);
		CHECK(mmipc_region_size(ro) == NEW, "read-only handle grew");
		CHECK_RC(mmipc_region_close(ro), 0);
	}
	CHECK_RC(mmipc_region_resize(r, NEW - 1), -EINVAL);
	CHECK_RC(mmipc_region_resize(r, OLD), -EINVAL);
	CHECK_RC(mmipc_region_resize(r, MMIPC_MAX_SIZE + 1), -EFBIG);
	CHECK_RC(mmipc_region_resize(r, UINT64_MAX), -EFBIG);
	check_grown(r, "after refused resizes");
	/* a size that is not a page multiple */
	CHECK_RC(mmipc_region_resize(r, NEW + 1), 0);
	CHECK(mmipc_region_size(r) == NEW + 1, "size %llu",
	      (unsigned long long)mmipc_region_size(r));
	((volatile uint8_t *)mmipc_region_data(r))[NEW] = 0x5a;
	CHECK_RC(mmipc_region_close(r), 0);
	if (b->named)
		ru_unlink(addr);
}

/*
 * A header may put the data further than right after the header block (a
 * multiple of a cache line, which open accepts). Growing such a region
 * must size the file for data_off + the new size: the scribbler test once
 * crashed reading the last byte of a handle grown by a resize that sized
 * it as if data_off were MMIPC_HDR_SIZE.
 */
static void far_data(const char *dir)
{
	const uint64_t off = MMIPC_HDR_SIZE + 4096 + 3 * 64;
	char buf[512], path[512];
	const char *addr = ru_addr(buf, sizeof(buf), &ru_backends[1], "far",
				   dir);
	struct mmipc_region_info info;
	mmipc_region *r = NULL;
	uint64_t total;

	CHECK_RC(mmipc_region_create(&r, addr, OLD, 0, 0), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	ru_path(path, sizeof(path), addr);
	total = off + 4096;
	ru_truncate(path, total);
	ru_put64(path, offsetof(struct mmipc_hdr, total_size), total);
	ru_put64(path, offsetof(struct mmipc_hdr, data_off), off);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	CHECK(mmipc_region_size(r) == OLD, "size %llu", (unsigned long long)mmipc_region_size(r));
	CHECK_RC(mmipc_region_resize(r, 3 * OLD), 0);
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.data_off == off && info.total_size >= off + 3 * OLD &&
		      info.file_size >= info.total_size,
	      "data_off %llu, total %llu, file %llu",
	      (unsigned long long)info.data_off,
	      (unsigned long long)info.total_size,
	      (unsigned long long)info.file_size);
	/* the whole data area is mapped and backed: the last byte too */
	ru_fill(mmipc_region_data(r), 3 * OLD, 22);
	CHECK_PATTERN(mmipc_region_data(r), 3 * OLD, 22);
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(addr);
}

int main(int argc, char **argv)
{
	mmipc_region *r = NULL;
	char dir[256];

	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return opener_main(argv[2]);
	t_tmpdir(dir, sizeof(dir));
	grow(&ru_backends[0], dir);	/* shm */
	grow(&ru_backends[1], dir);	/* file */
	grow(&ru_backends[4], dir);	/* memfd */
	far_data(dir);

	CHECK_RC(mmipc_region_create(&r, "anon", OLD, 0, 0), 0);
	CHECK_RC(mmipc_region_resize(r, NEW), -EOPNOTSUPP);
	CHECK(mmipc_region_size(r) == OLD, "anon size changed");
	CHECK_RC(mmipc_region_refresh(r), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	t_rmtree(dir);
	return T_PASS;
}
