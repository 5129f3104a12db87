/*
 * region.c - regions: create, close, resize, refresh, sync, unlink, and the
 * accessors. Opening an existing region (and all the validation of what we
 * find in it) is in region_open.c. The header format is in layout.h.
 *
 * How a named region comes to exist. The classic recipe, shm_open(O_CREAT)
 * + ftruncate + mmap + fill in, has a window in which other processes see a
 * file of size 0, or a header half written, and a crash in that window
 * leaves the half-built file behind for ever. Here the region is built in
 * an unnamed file (O_TMPFILE in the target directory), its space reserved
 * with posix_fallocate (a full /dev/shm is -ENOSPC now, not SIGBUS later),
 * its header written and published READY, and only then linked under its
 * name with linkat(), which fails with EEXIST if the name was taken in the
 * meantime. Openers therefore never see an unfinished region, and a crash
 * at any point leaves nothing. Where the file system has no O_TMPFILE, we
 * fall back to O_CREAT|O_EXCL on the name itself; openers then wait (a
 * bounded time) for the READY state word, which the creator stores last,
 * with release ordering, and wakes them on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "internal.h"

uint64_t region_total_for(uint64_t data_size)
{
	return MMIPC_HDR_SIZE + ((data_size + 4095) & ~UINT64_C(4095));
}

/* Checks a data size and gives the file size it needs with the data at
 * offset @off (0: a plain file, all data, not rounded); -EINVAL for 0,
 * -EFBIG past our limit or the process's RLIMIT_FSIZE (which would
 * otherwise kill us with SIGXFSZ in the middle of fallocate). */
int region_check_size(uint64_t size, uint64_t off, int backend,
		      uint64_t *total)
{
	struct rlimit rl;

	if (size == 0)
		return -EINVAL;
	if (size > MMIPC_MAX_SIZE)
		return -EFBIG;
	*total = off == 0 ? size
			  : off - MMIPC_HDR_SIZE + region_total_for(size);
	if (backend != MMIPC_BACKEND_ANON && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && *total > rl.rlim_cur)
		return -EFBIG;
	return 0;
}

/* Reserves [0, total) of the file: real blocks or pages, not a hole. */
int region_reserve(int fd, uint64_t total)
{
	int e;

	do
		e = posix_fallocate(fd, 0, (off_t)total);
	while (e == EINTR);
	return -e; /* posix_fallocate returns the error, not -1 + errno */
}

struct mmipc_region *region_alloc(void)
{
	struct mmipc_region *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->fd = -1;
	return r;
}

static void hdr_init(struct mmipc_hdr *h, uint32_t kind, uint64_t total,
		     uint64_t size, const uint64_t params[4])
{
	h->magic = MMIPC_MAGIC;
	h->version = MMIPC_LAYOUT_VERSION;
	h->format = MMIPC_FORMAT;
	h->hdr_size = MMIPC_HDR_SIZE;
	h->kind = kind;
	h->total_size = total;
	h->data_off = MMIPC_HDR_SIZE;
	h->data_size = size;
	h->creator_pid = (int32_t)getpid();
	h->creator_uid = (uint32_t)geteuid();
	h->creator_start = proc_self_start_time();
	h->ctime_ns = now_ns(CLOCK_REALTIME);
	h->creator_pidns = proc_self_pidns();
	if (params != NULL)
		memcpy(h->params, params, sizeof(h->params));
}

/*
 * Maps the new region, fills the header, runs the kind's init and stores
 * READY. The release store pairs with the acquire load of the state in
 * region_open.c: an opener that sees READY sees every header field and
 * everything init wrote.
 */
static int build(struct mmipc_region *r, uint32_t kind, uint64_t total,
		 uint64_t size, const uint64_t params[4], region_init_fn init,
		 void *arg)
{
	int rc;

	r->map_size = (size_t)total;
	r->base = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE,
		       r->fd < 0 ? MAP_SHARED | MAP_ANONYMOUS : MAP_SHARED,
		       r->fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return neg_errno();
	}
	r->hdr = r->base;
	r->kind = kind;
	r->data_off = MMIPC_HDR_SIZE;
	r->data_size = size;
	hdr_init(r->hdr, kind, total, size, params);
	if (init != NULL) {
		rc = init(r, arg);
		if (rc < 0)
			return rc;
	}
	__atomic_store_n(&r->hdr->state, MMIPC_STATE_READY, __ATOMIC_RELEASE);
	return 0;
}

/* Gives the unnamed file its name; -EEXIST if the name is taken (by
 * anything, a dangling symlink included: linkat never follows the
 * destination). */
static int link_tmpfile(int fd, int dfd, const char *base)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dfd, base, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return neg_errno();
	/* no /proc: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, try anyway */
	if (linkat(fd, "", dfd, base, AT_EMPTY_PATH) == 0)
		return 0;
	return neg_errno();
}

static int create_named(struct mmipc_region *r, const struct addr *a,
			uint32_t kind, uint64_t size, unsigned mode,
			const uint64_t params[4], region_init_fn init,
			void *arg)
{
	char dir[PATH_MAX];
	const char *base;
	struct stat st;
	bool named = false;
	uint64_t total;
	int dfd, rc;

	rc = region_check_size(size, MMIPC_HDR_SIZE, a->backend, &total);
	if (rc < 0)
		return rc;
	addr_split(a, dir, sizeof(dir), &base);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return neg_errno();
	/* fail early, before reserving space; linkat() decides for real */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = -EEXIST;
		goto out_dir;
	}
	r->fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (r->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		r->fd = openat(dfd, base,
			       O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW |
				       O_CLOEXEC,
			       mode);
		named = true;
	}
	if (r->fd < 0) {
		rc = neg_errno();
		goto out_dir;
	}
	/* the umask must not decide who may read the region */
	if (fchmod(r->fd, mode) < 0) {
		rc = neg_errno();
		goto out_unlink;
	}
	rc = region_reserve(r->fd, total);
	if (rc < 0)
		goto out_unlink;
	rc = build(r, kind, total, size, params, init, arg);
	if (rc < 0)
		goto out_unlink;
	if (named)
		mmipc_futex_wake(&r->hdr->state, INT32_MAX);
	else if ((rc = link_tmpfile(r->fd, dfd, base)) < 0)
		goto out_dir;
	close(dfd);
	return 0;

out_unlink:
	if (named)
		unlinkat(dfd, base, 0);
out_dir:
	close(dfd);
	return rc;
}

static int create_memfd(struct mmipc_region *r, uint32_t kind, uint64_t size,
			const uint64_t params[4], region_init_fn init,
			void *arg)
{
	uint64_t total;
	int rc;

	rc = region_check_size(size, MMIPC_HDR_SIZE, MMIPC_BACKEND_MEMFD,
			       &total);
	if (rc < 0)
		return rc;
	r->fd = memfd_create("mmipc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0)
		return neg_errno();
	if (fchmod(r->fd, MMIPC_DEFAULT_MODE) < 0)
		return neg_errno();
	rc = region_reserve(r->fd, total);
	if (rc < 0)
		return rc;
	/*
	 * Whoever receives the descriptor could ftruncate() it and make us
	 * take SIGBUS: forbid shrinking. F_SEAL_SEAL stops anyone adding
	 * seals later (F_SEAL_GROW would break our resize, F_SEAL_WRITE is
	 * refused anyway while we have it mapped writable).
	 */
	if (fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return neg_errno();
	return build(r, kind, total, size, params, init, arg);
}

int region_create(struct mmipc_region **out, const char *addr, uint32_t kind,
		  uint64_t size, unsigned mode, const uint64_t params[4],
		  region_init_fn init, void *arg)
{
	struct mmipc_region *r;
	struct addr a;
	uint64_t total;
	int rc;

	if (out == NULL)
		return -EINVAL;
	rc = addr_parse(addr, &a);
	if (rc < 0)
		return rc;
	if (mode == 0)
		mode = MMIPC_DEFAULT_MODE;
	if ((mode & ~0777u) != 0)
		return -EINVAL;
	r = region_alloc();
	if (r == NULL)
		return -ENOMEM;
	r->backend = a.backend;
	switch (a.backend) {
	case MMIPC_BACKEND_ANON:
		rc = region_check_size(size, MMIPC_HDR_SIZE, a.backend, &total);
		if (rc == 0)
			rc = build(r, kind, total, size, params, init, arg);
		break;
	case MMIPC_BACKEND_MEMFD:
		rc = create_memfd(r, kind, size, params, init, arg);
		break;
	default:
		rc = create_named(r, &a, kind, size, mode, params, init, arg);
		break;
	}
	if (rc < 0) {
		mmipc_region_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int mmipc_region_create(mmipc_region **out, const char *addr, uint64_t size,
			unsigned mode, unsigned flags)
{
	if (flags != 0)
		return -EINVAL;
	return region_create(out, addr, MMIPC_KIND_RAW, size, mode, NULL, NULL,
			     NULL);
}

int mmipc_region_close(mmipc_region *r)
{
	int rc = 0;

	if (r == NULL)
		return 0;
	if (r->base != NULL && munmap(r->base, r->map_size) < 0)
		rc = neg_errno();
	if (r->fd >= 0 && close(r->fd) < 0 && rc == 0 && errno != EINTR)
		rc = neg_errno();
	free(r);
	return rc;
}

void *mmipc_region_data(const mmipc_region *r)
{
	return (char *)r->base + r->data_off;
}

uint64_t mmipc_region_size(const mmipc_region *r)
{
	return r->data_size;
}

int mmipc_region_fd(const mmipc_region *r)
{
	return r->fd;
}

int mmipc_region_sync(mmipc_region *r, unsigned flags)
{
	if ((flags & ~MMIPC_SYNC_ASYNC) != 0)
		return -EINVAL;
	if (msync(r->base, r->map_size,
		  (flags & MMIPC_SYNC_ASYNC) ? MS_ASYNC : MS_SYNC) < 0)
		return neg_errno();
	return 0;
}

/* Raises *p to v unless another resizer already raised it further: two
 * processes growing one region concurrently must never shrink its header. */
static void store_max(uint64_t *p, uint64_t v)
{
	uint64_t cur = READ_ONCE(*p);

	while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, false,
						       __ATOMIC_RELEASE,
						       __ATOMIC_RELAXED))
		;
}

static int remap(struct mmipc_region *r, uint64_t total)
{
	void *p = mremap(r->base, r->map_size, (size_t)total, MREMAP_MAYMOVE);

	if (p == MAP_FAILED)
		return neg_errno();
	r->base = p;
	r->map_size = (size_t)total;
	if (r->hdr != NULL)
		r->hdr = p;
	return 0;
}

int mmipc_region_resize(mmipc_region *r, uint64_t size)
{
	bool plain = r->hdr == NULL;
	uint64_t total;
	int rc;

	/* a channel's geometry is fixed at creation; its handles hold
	 * pointers into the mapping that a resize would leave dangling */
	if (r->backend == MMIPC_BACKEND_ANON || r->kind != MMIPC_KIND_RAW)
		return -EOPNOTSUPP;
	if (r->flags & MMIPC_F_RDONLY)
		return -EBADF;
	if (size < r->data_size)
		return -EINVAL;
	if (size == r->data_size)
		return 0;
	/* the data starts where the header said at open (any multiple of
	 * a cache line past the header block), not where we would put it:
	 * the file must hold data_off + size */
	rc = region_check_size(size, r->data_off, r->backend, &total);
	if (rc < 0)
		return rc;
	rc = region_reserve(r->fd, total);
	if (rc < 0)
		return rc;
	rc = remap(r, total);
	if (rc < 0)
		return rc;
	r->data_size = size;
	if (plain)
		return 0;
	/*
	 * Release stores, in this order, pair with the acquire load of
	 * resize_gen in mmipc_region_refresh(): whoever sees the new
	 * generation sees total_size raised before data_size, so
	 * data_off + data_size <= total_size holds at every instant.
	 */
	store_max(&r->hdr->total_size, total);
	store_max(&r->hdr->data_size, size);
	r->resize_gen = __atomic_add_fetch(&r->hdr->resize_gen, 1,
					   __ATOMIC_RELEASE);
	return 0;
}

int mmipc_region_refresh(mmipc_region *r)
{
	uint64_t total, size;
	uint32_t gen;
	struct stat st;
	int rc;

	if (r->hdr == NULL || r->backend == MMIPC_BACKEND_ANON)
		return 0;
	if (r->kind != MMIPC_KIND_RAW)
		return -EOPNOTSUPP; /* channels never change size */
	/* the file first: cut below our mapping (by a process that may
	 * write it, see mmipc.h), even the load of the header below would
	 * raise SIGBUS; one fstat tells, short of a cut racing with it */
	if (fstat(r->fd, &st) < 0)
		return neg_errno();
	if ((uint64_t)st.st_size < r->map_size)
		return -MMIPC_ETRUNC;
	/* acquire: pairs with the release increment in resize */
	gen = __atomic_load_n(&r->hdr->resize_gen, __ATOMIC_ACQUIRE);
	if (gen == r->resize_gen)
		return 0;
	total = READ_ONCE(r->hdr->total_size);
	size = READ_ONCE(r->hdr->data_size);
	if (fstat(r->fd, &st) < 0)
		return neg_errno();
	if (total < r->map_size || total > (uint64_t)st.st_size ||
	    size < r->data_size || size > total - r->data_off)
		return -MMIPC_ETRUNC;
	if (total == r->map_size && size == r->data_size) {
		r->resize_gen = gen; /* a resize that grew nothing we map */
		return 0;
	}
	if (total != r->map_size && (rc = remap(r, total)) < 0)
		return rc; /* resize_gen kept: the next refresh tries again */
	r->data_size = size;
	r->resize_gen = gen;
	return 1;
}

/*
 * Removes a named region. Unless forced, only a file that starts with our
 * magic is removed, so that `mmipc rm /etc/passwd` run as root does not do
 * what it says; and the file checked is the file removed (same inode),
 * short of a rename race we do not try to win.
 */
int mmipc_region_unlink(const char *addr, unsigned flags)
{
	uint64_t magic = 0;
	struct stat st, st2;
	struct addr a;
	int fd, rc;

	if ((flags & ~MMIPC_F_FORCE) != 0)
		return -EINVAL;
	rc = addr_parse(addr, &a);
	if (rc < 0)
		return rc;
	if (a.backend == MMIPC_BACKEND_ANON || a.backend == MMIPC_BACKEND_MEMFD)
		return -EINVAL;
	if (flags & MMIPC_F_FORCE)
		goto do_unlink;
	fd = open(a.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	rc = fstat(fd, &st) < 0 ? neg_errno() : 0;
	if (rc == 0 && (!S_ISREG(st.st_mode) ||
			pread(fd, &magic, sizeof(magic), 0) != sizeof(magic) ||
			(magic != MMIPC_MAGIC && magic != MMIPC_MAGIC_SWAPPED)))
		rc = -MMIPC_EBADMAGIC;
	close(fd);
	if (rc < 0)
		return rc;
	if (lstat(a.path, &st2) < 0)
		return neg_errno();
	if (st2.st_ino != st.st_ino || st2.st_dev != st.st_dev)
		return -EAGAIN; /* replaced under us: let the caller look again */
do_unlink:
	if (unlink(a.path) < 0)
		return neg_errno();
	return 0;
}
