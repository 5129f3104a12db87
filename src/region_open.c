/*
 * region_open.c - opening an existing region, and the checks on what we
 * find in it before anything of it is used.
 *
 * The file may be anything: a region of ours, of another version or byte
 * order, a region still being built (fallback path, see region.c), a file
 * somebody truncated, another program's shm object, or bytes written by a
 * hostile process. Every header field is loaded once into a local,
 * checked, and only the checked local is used; the sizes must fit the file
 * as fstat() sees it after the header was read, so that nothing we map
 * lies past the end of the file.
 *
 * What remains outside our control: a process with write access may
 * truncate a shm: or file: region AFTER we checked it, and touching the
 * lost pages raises SIGBUS. No file-system API prevents that for named
 * files; memfd regions are sealed against it. mmipc.h says so.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "internal.h"

#define OPEN_FLAGS                                                            \
	(MMIPC_F_RDONLY | MMIPC_F_ANY_UID | MMIPC_F_NOWAIT | MMIPC_F_PLAIN)

/* look() found a region that is not there yet: wait and look again. */
#define NOT_YET 1

/* How long one futex sleep on the state word lasts at most before we look
 * at the file again (a creator that died never wakes us). */
#define STATE_NAP_MS 100

static int map_fd(struct mmipc_region *r, uint64_t size)
{
	int prot = (r->flags & MMIPC_F_RDONLY) ? PROT_READ
					       : PROT_READ | PROT_WRITE;
	void *p = mmap(NULL, (size_t)size, prot, MAP_SHARED, r->fd, 0);

	if (p == MAP_FAILED)
		return neg_errno();
	r->base = p;
	r->map_size = (size_t)size;
	return 0;
}

static void unmap(struct mmipc_region *r)
{
	if (r->base != NULL)
		munmap(r->base, r->map_size);
	r->base = NULL;
	r->hdr = NULL;
	r->map_size = 0;
}

/*
 * The header says READY: check the rest of it and map exactly total_size.
 * The file is fstat()ed again AFTER the sizes were read, because a resize
 * grows the file before it raises the sizes in the header.
 */
static int validate(struct mmipc_region *r, uint32_t want_kind)
{
	const struct mmipc_hdr *h = r->base;
	uint32_t gen, format, hdr_size, kind;
	uint64_t total, off, size;
	struct stat st;

	/* acquire: pairs with the release increment in resize; sizes read
	 * after it are at least as new as this generation */
	gen = __atomic_load_n(&h->resize_gen, __ATOMIC_ACQUIRE);
	format = READ_ONCE(h->format);
	hdr_size = READ_ONCE(h->hdr_size);
	kind = READ_ONCE(h->kind);
	total = READ_ONCE(h->total_size);
	off = READ_ONCE(h->data_off);
	size = READ_ONCE(h->data_size);
	if (format != MMIPC_FORMAT)
		return -MMIPC_EFORMAT;
	if (want_kind != MMIPC_KIND_ANY && kind != want_kind)
		return -MMIPC_EKIND;
	if (fstat(r->fd, &st) < 0)
		return neg_errno();
	/* layout 1 has one header block size; the peer table and the kind
	 * control blocks live in it, so it must be mapped whole */
	if (hdr_size != MMIPC_HDR_SIZE || off < hdr_size ||
	    off % MMIPC_CACHELINE != 0 || size == 0 || off > total ||
	    size > total - off || total > (uint64_t)st.st_size)
		return -MMIPC_ETRUNC;
	if (total != r->map_size) {
		int rc;

		unmap(r);
		rc = map_fd(r, total);
		if (rc < 0)
			return rc;
	}
	r->hdr = r->base;
	r->kind = kind;
	r->data_off = off;
	r->data_size = size;
	r->resize_gen = gen;
	return 0;
}

/*
 * One look at the file: maps it at its current size and reads the header.
 * Returns 0 (valid and READY, mapped at total_size), NOT_YET (being built:
 * *state holds the state word seen, the mapping is kept for waiting on it),
 * or a negative error.
 */
static int look(struct mmipc_region *r, uint32_t kind, uint32_t *state)
{
	const struct mmipc_hdr *h;
	struct stat st;
	uint64_t magic;
	int rc;

	*state = MMIPC_STATE_INIT;
	if (fstat(r->fd, &st) < 0)
		return neg_errno();
	if ((uint64_t)st.st_size < sizeof(struct mmipc_hdr))
		return st.st_size == 0 ? NOT_YET : -MMIPC_ETRUNC;
	rc = map_fd(r, (uint64_t)st.st_size);
	if (rc < 0)
		return rc;
	h = r->base;
	r->hdr = r->base;
	magic = READ_ONCE(h->magic);
	if (magic == MMIPC_MAGIC_SWAPPED)
		return -MMIPC_EFORMAT;
	if (magic == 0) {
		/* all zero: a fallback creator has not written it yet */
		*state = READ_ONCE(h->state);
		return NOT_YET;
	}
	if (magic != MMIPC_MAGIC)
		return -MMIPC_EBADMAGIC;
	/* before the state: another version may keep it elsewhere */
	if (READ_ONCE(h->version) != MMIPC_LAYOUT_VERSION)
		return -MMIPC_EVERSION;
	/* acquire: pairs with the release store of READY in region.c
	 * build(): every field the creator wrote is visible below */
	*state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	if (*state != MMIPC_STATE_READY)
		return NOT_YET;
	return validate(r, kind);
}

/* Sleeps until the creator may have made progress: on the state word when
 * the header is mapped (the creator wakes it after READY), else briefly. */
static void nap(struct mmipc_region *r, uint32_t state,
		const struct timespec *deadline)
{
	struct timespec until;

	deadline_after_ms(&until, STATE_NAP_MS);
	if (deadline != NULL && (until.tv_sec > deadline->tv_sec ||
				 (until.tv_sec == deadline->tv_sec &&
				  until.tv_nsec > deadline->tv_nsec)))
		until = *deadline;
	if (r->base != NULL) {
		futex_wait_abs(&r->hdr->state, state, &until);
	} else {
		/* size 0: nothing mapped to sleep on; only the fallback
		 * path of a creator on a file system without O_TMPFILE */
		struct timespec ms2 = { 0, 2000000 };

		nanosleep(&ms2, NULL);
	}
}

static int open_header(struct mmipc_region *r, uint32_t kind, unsigned flags,
		       int timeout_ms)
{
	struct timespec deadline;
	uint32_t state;
	int rc;

	if (timeout_ms > 0)
		deadline_after_ms(&deadline, timeout_ms);
	for (;;) {
		rc = look(r, kind, &state);
		if (rc != NOT_YET)
			return rc;
		if ((flags & MMIPC_F_NOWAIT) || timeout_ms == 0 ||
		    (timeout_ms > 0 && deadline_passed(&deadline)))
			return r->base == NULL ? -MMIPC_ETRUNC
					       : -MMIPC_ENOTREADY;
		nap(r, state, timeout_ms > 0 ? &deadline : NULL);
		unmap(r);
	}
}

/* MMIPC_F_PLAIN: the whole file is the data area, no header. */
static int open_plain(struct mmipc_region *r, uint32_t kind)
{
	struct stat st;
	int rc;

	if (kind != MMIPC_KIND_ANY && kind != MMIPC_KIND_RAW)
		return -MMIPC_EKIND;
	if (fstat(r->fd, &st) < 0)
		return neg_errno();
	if (st.st_size == 0)
		return -EINVAL;
	rc = map_fd(r, (uint64_t)st.st_size);
	if (rc < 0)
		return rc;
	r->hdr = NULL;
	r->kind = MMIPC_KIND_RAW;
	r->data_off = 0;
	r->data_size = (uint64_t)st.st_size;
	return 0;
}

int region_open_fd(struct mmipc_region **out, int fd, int backend,
		   uint32_t kind, unsigned flags, int timeout_ms)
{
	struct mmipc_region *r = region_alloc();
	struct stat st;
	int rc;

	if (r == NULL) {
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->backend = backend;
	r->flags = flags & (MMIPC_F_RDONLY | MMIPC_F_PLAIN);
	if (fstat(fd, &st) < 0) {
		rc = neg_errno();
		goto fail;
	}
	rc = S_ISDIR(st.st_mode) ? -EISDIR : -MMIPC_EBADMAGIC;
	if (!S_ISREG(st.st_mode))
		goto fail;
	rc = -MMIPC_EOWNER;
	if (st.st_uid != geteuid() && !(flags & MMIPC_F_ANY_UID))
		goto fail;
	if (flags & MMIPC_F_PLAIN)
		rc = open_plain(r, kind);
	else
		rc = open_header(r, kind, flags, timeout_ms);
	if (rc < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	mmipc_region_close(r);
	return rc;
}

static int open_path(const struct addr *a, unsigned flags)
{
	int acc = (flags & MMIPC_F_RDONLY) ? O_RDONLY : O_RDWR;
	/* O_NONBLOCK: a FIFO planted at the path must not hang us */
	int fd = open(a->path,
		      acc | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	/* cppcheck-suppress resourceLeak ; fd is returned, not leaked */
	return fd < 0 ? neg_errno() : fd;
}

int mmipc_region_open_timeout(mmipc_region **out, const char *addr,
			      uint32_t kind, unsigned flags, int timeout_ms)
{
	struct addr a;
	int fd, rc;

	if (out == NULL || (flags & ~OPEN_FLAGS) != 0)
		return -EINVAL;
	rc = addr_parse(addr, &a);
	if (rc < 0)
		return rc;
	if (a.backend == MMIPC_BACKEND_ANON || a.backend == MMIPC_BACKEND_MEMFD)
		return -EINVAL;
	fd = open_path(&a, flags);
	if (fd < 0)
		return fd;
	return region_open_fd(out, fd, a.backend, kind, flags, timeout_ms);
}

int mmipc_region_open(mmipc_region **out, const char *addr, uint32_t kind,
		      unsigned flags)
{
	return mmipc_region_open_timeout(out, addr, kind, flags,
					 MMIPC_OPEN_TIMEOUT_MS);
}

/* What kind of file a descriptor handed to us is, for info->backend. */
static int fd_backend(int fd)
{
	char proc[64], path[PATH_MAX];
	const char *dir = mmipc_shm_dir();
	size_t n = strlen(dir);
	ssize_t len;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* readlink's parameters are (path, buf): our "proc" is its path and
	 * "path" the buf. NOLINTNEXTLINE(readability-suspicious-call-argument) */
	len = readlink(proc, path, sizeof(path) - 1);
	if (len < 0)
		return MMIPC_BACKEND_FILE;
	path[len] = '\0';
	if (strncmp(path, "/memfd:", 7) == 0)
		return MMIPC_BACKEND_MEMFD;
	if (strncmp(path, dir, n) == 0 && path[n] == '/')
		return MMIPC_BACKEND_SHM;
	return MMIPC_BACKEND_FILE;
}

int mmipc_region_open_fd(mmipc_region **out, int fd, uint32_t kind,
			 unsigned flags)
{
	int dup;

	if (out == NULL || (flags & ~OPEN_FLAGS) != 0)
		return -EINVAL;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		return neg_errno();
	return region_open_fd(out, dup, fd_backend(dup), kind, flags,
			      MMIPC_OPEN_TIMEOUT_MS);
}

/*
 * region_open_inspect - like open read-only without waiting, but a region
 * that is not READY yet is handed back rather than refused (with its
 * header mapped, unvalidated: describe it, never use it): `mmipc ls` must
 * show what is there. Errors as open; a region whose header is still zero
 * is -MMIPC_ENOTREADY, an empty file -MMIPC_ETRUNC.
 */
int region_open_inspect(struct mmipc_region **out, const char *addr)
{
	struct mmipc_region *r;
	struct stat st;
	struct addr a;
	uint32_t state;
	int fd, rc;

	rc = addr_parse(addr, &a);
	if (rc < 0)
		return rc;
	if (a.backend == MMIPC_BACKEND_ANON || a.backend == MMIPC_BACKEND_MEMFD)
		return -EINVAL;
	fd = open_path(&a, MMIPC_F_RDONLY);
	if (fd < 0)
		return fd;
	r = region_alloc();
	if (r == NULL) {
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->backend = a.backend;
	r->flags = MMIPC_F_RDONLY;
	if (fstat(fd, &st) < 0)
		rc = neg_errno();
	else if (!S_ISREG(st.st_mode))
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -MMIPC_EBADMAGIC;
	else
		rc = look(r, MMIPC_KIND_ANY, &state);
	if (rc == NOT_YET)
		rc = r->base == NULL ? -MMIPC_ETRUNC
		     : READ_ONCE(r->hdr->magic) == 0 ? -MMIPC_ENOTREADY
						     : 0;
	if (rc < 0) {
		mmipc_region_close(r);
		return rc;
	}
	*out = r;
	return 0;
}
