/*
 * region_util.h - helpers of the region and futex tests (t_region_*.c,
 * t_futex*.c): a table of backends, address and path building, a data
 * pattern, raw access to a region's header through its file (to craft
 * corrupt regions), and a few process helpers.
 *
 * The header offsets come from src/layout.h itself, so a layout change
 * cannot leave these tests poking at stale offsets.
 */
#ifndef MMIPC_TEST_REGION_UTIL_H
#define MMIPC_TEST_REGION_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "helpers.h"
#include "../src/layout.h"

#define RU_OFF(field) ((off_t)offsetof(struct mmipc_hdr, field))

/* One way to make a region: the backend and how its address is spelt. */
struct ru_backend {
	const char *label;	/* for messages */
	uint32_t backend;	/* MMIPC_BACKEND_* the library should report */
	bool named;		/* has a name: can be opened, unlinked */
	bool bare_path;		/* file backend addressed without "file:" */
};

static const struct ru_backend ru_backends[] = {
	{ "shm", MMIPC_BACKEND_SHM, true, false },
	{ "file", MMIPC_BACKEND_FILE, true, false },
	{ "path", MMIPC_BACKEND_FILE, true, true },
	{ "anon", MMIPC_BACKEND_ANON, false, false },
	{ "memfd", MMIPC_BACKEND_MEMFD, false, false },
};
#define RU_NBACKENDS (sizeof(ru_backends) / sizeof(ru_backends[0]))

/*
 * ru_addr - an address for backend @b in buf (returned): a fresh t_name()
 * for shm:, "file:DIR/TAG-N" or "DIR/TAG-N" for files (@dir from
 * t_tmpdir()), and the bare words for anon and memfd.
 */
static inline const char *ru_addr(char *buf, size_t size,
				  const struct ru_backend *b, const char *tag,
				  const char *dir)
{
	static unsigned n;

	switch (b->backend) {
	case MMIPC_BACKEND_SHM:
		return t_name(buf, size, tag);
	case MMIPC_BACKEND_FILE:
		snprintf(buf, size, "%s%s/%s-%u", b->bare_path ? "" : "file:",
			 dir, tag, n++);
		return buf;
	case MMIPC_BACKEND_ANON:
		snprintf(buf, size, "anon");
		return buf;
	default:
		snprintf(buf, size, "memfd");
		return buf;
	}
}

/* ru_path - the file behind a named address ("shm:N", "file:P" or "P"). */
static inline const char *ru_path(char *buf, size_t size, const char *addr)
{
	if (strncmp(addr, "shm:", 4) == 0)
		snprintf(buf, size, "%s/%s", mmipc_shm_dir(), addr + 4);
	else if (strncmp(addr, "file:", 5) == 0)
		snprintf(buf, size, "%s", addr + 5);
	else
		snprintf(buf, size, "%s", addr);
	return buf;
}

static inline bool ru_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A byte pattern that differs per seed and has no short period. */
static inline uint8_t ru_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * UINT64_C(0x9e3779b97f4a7c15) + seed * 0x85ebca6bu;

	return (uint8_t)(x >> 56 ^ x >> 29 ^ seed);
}

static inline void ru_fill(void *p, uint64_t n, uint32_t seed)
{
	uint8_t *b = p;
	uint64_t i;

	for (i = 0; i < n; i++)
		b[i] = ru_byte(seed, i);
}

/* ru_check - index of the first byte that breaks the pattern, or n. */
static inline uint64_t ru_check(const void *p, uint64_t n, uint32_t seed)
{
	const uint8_t *b = p;
	uint64_t i;

	for (i = 0; i < n; i++)
		if (b[i] != ru_byte(seed, i))
			return i;
	return n;
}

#define CHECK_PATTERN(p, n, seed)                                             \
	do {                                                                  \
		uint64_t ru_n_ = (n), ru_at_ = ru_check((p), ru_n_, (seed)); \
		CHECK(ru_at_ == ru_n_,                                        \
		      "pattern %u broken at byte %llu of %llu",              \
		      (unsigned)(seed), (unsigned long long)ru_at_,          \
		      (unsigned long long)ru_n_);                            \
	} while (0)

/* Raw access to a region's header through its file. */
static inline void ru_pwrite(const char *path, off_t off, const void *v,
			     size_t n)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(pwrite(fd, v, n, off) == (ssize_t)n, "pwrite %s@%lld: %s", path,
	      (long long)off, strerror(errno));
	close(fd);
}

static inline void ru_pread(const char *path, off_t off, void *v, size_t n)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(pread(fd, v, n, off) == (ssize_t)n, "pread %s@%lld: %s", path,
	      (long long)off, strerror(errno));
	close(fd);
}

static inline void ru_put32(const char *path, off_t off, uint32_t v)
{
	ru_pwrite(path, off, &v, sizeof(v));
}

static inline void ru_put64(const char *path, off_t off, uint64_t v)
{
	ru_pwrite(path, off, &v, sizeof(v));
}

static inline uint32_t ru_get32(const char *path, off_t off)
{
	uint32_t v;

	ru_pread(path, off, &v, sizeof(v));
	return v;
}

static inline uint64_t ru_get64(const char *path, off_t off)
{
	uint64_t v;

	ru_pread(path, off, &v, sizeof(v));
	return v;
}

static inline uint64_t ru_file_size(const char *path)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0, "lstat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_size;
}

static inline void ru_truncate(const char *path, uint64_t len)
{
	CHECK(truncate(path, (off_t)len) == 0, "truncate %s: %s", path,
	      strerror(errno));
}

/* ru_write_file - create (or replace) a regular file holding n bytes. */
static inline void ru_write_file(const char *path, const void *p, size_t n,
				 mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	CHECK(fd >= 0, "create %s: %s", path, strerror(errno));
	CHECK(n == 0 || write(fd, p, n) == (ssize_t)n, "write %s: %s", path,
	      strerror(errno));
	close(fd);
}

/* ru_make - create a raw region of @size, fill its data with @seed and
 * close it: the raw material of the corruption tests. */
static inline void ru_make(const char *addr, uint64_t size, uint32_t seed)
{
	mmipc_region *r = NULL;

	CHECK_RC(mmipc_region_create(&r, addr, size, 0, 0), 0);
	ru_fill(mmipc_region_data(r), size, seed);
	CHECK_RC(mmipc_region_close(r), 0);
}

/* ru_unlink - remove a named region; it must be there. */
static inline void ru_unlink(const char *addr)
{
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

/* Shared mappings of this process ("s" in the permission column): exactly
 * the region mappings, and unlike the total count not disturbed by what a
 * sanitizer's allocator maps as it goes. */
static inline int ru_count_shared_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int n = 0;

	CHECK(f != NULL, "fopen maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' ');

		if (sp != NULL && sp[4] == 's')
			n++;
	}
	fclose(f);
	return n;
}

/* A snapshot of what a region handle may leak. */
struct ru_res {
	int fds, maps, shared;
};

static inline struct ru_res ru_res_now(void)
{
	struct ru_res r;

	r.fds = t_count_fds();
	r.maps = t_count_maps();
	r.shared = ru_count_shared_maps();
	return r;
}

#if defined(__SANITIZE_ADDRESS__)
#define RU_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RU_SANITIZED 1
#endif
#endif
#ifndef RU_SANITIZED
#define RU_SANITIZED 0
#endif

/* CHECK_RES(before, what): nothing leaked since @before. The total map
 * count is compared only without ASan, whose allocator maps memory as it
 * pleases. */
#define CHECK_RES(before, what)                                               \
	do {                                                                  \
		struct ru_res ru_now_ = ru_res_now();                         \
		CHECK(ru_now_.fds == (before).fds,                            \
		      "%s: fd count %d -> %d", (what), (before).fds,         \
		      ru_now_.fds);                                           \
		CHECK(ru_now_.shared == (before).shared,                      \
		      "%s: shared mapping count %d -> %d", (what),           \
		      (before).shared, ru_now_.shared);                      \
		CHECK(RU_SANITIZED || ru_now_.maps == (before).maps,          \
		      "%s: mapping count %d -> %d", (what), (before).maps,   \
		      ru_now_.maps);                                          \
	} while (0)

/* Elapsed-time helpers: nanosecond monotonic clock. */
static inline int64_t ru_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t ru_ms_since(int64_t start_ns)
{
	return (ru_now_ns() - start_ns) / 1000000;
}

static inline void ru_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Pipes as one-shot barriers between a parent and a child. */
static inline void ru_pipe(int p[2])
{
	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
}

static inline void ru_post(int fd)
{
	char c = 'x';

	CHECK(write(fd, &c, 1) == 1, "pipe write: %s", strerror(errno));
}

/* Waits for a byte on fd; fails after 60 s (a peer that died holding the
 * other end of the pipe must not hang the test until CTest's timeout). */
static inline void ru_await(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;
	ssize_t n;
	int rc;

	do
		rc = poll(&pfd, 1, 60000);
	while (rc < 0 && errno == EINTR);
	CHECK(rc == 1, "pipe: nothing came in 60 s");
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	CHECK(n == 1, "pipe read: %zd (%s)", n, n < 0 ? strerror(errno) : "EOF");
}

/* ru_fork - fork; in the child, fn(arg) runs and its value is the exit
 * code. Returns the child's pid in the parent. */
static inline pid_t ru_fork(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* ru_wait_ok - the child exited 0 (fails the test otherwise). */
#define RU_WAIT_OK(pid, what)                                                 \
	do {                                                                  \
		int ru_st_ = t_wait(pid);                                     \
		CHECK(ru_st_ == 0, "%s: child %s %d", (what),                \
		      ru_st_ > 128 ? "killed by signal" : "exited",          \
		      ru_st_ > 128 ? ru_st_ - 128 : ru_st_);                 \
	} while (0)

/*
 * ru_open_rc - try mmipc_region_open_timeout() in a forked child, so that a
 * crash (SIGBUS on a truncated file, SIGSEGV) is reported as such instead
 * of killing the test. Returns the open's result; a handle it got is
 * closed in the child.
 */
struct ru_open_args {
	const char *addr;
	uint32_t kind;
	unsigned flags;
	int timeout_ms;
	int pipe_w;
	int how;	/* RU_OPEN, RU_OPEN_TIMEOUT or RU_STAT */
};

enum { RU_OPEN, RU_OPEN_TIMEOUT, RU_STAT };

static inline int ru_open_child(void *p)
{
	struct ru_open_args *a = p;
	mmipc_region *r = NULL;
	struct mmipc_region_info info;
	int rc;

	if (a->how == RU_STAT)
		rc = mmipc_region_stat(a->addr, &info);
	else if (a->how == RU_OPEN)
		rc = mmipc_region_open(&r, a->addr, a->kind, a->flags);
	else
		rc = mmipc_region_open_timeout(&r, a->addr, a->kind, a->flags,
					       a->timeout_ms);
	if (rc == 0 && r != NULL) {
		/* touch every page of the data area: must not fault */
		volatile const uint8_t *d = mmipc_region_data(r);
		uint64_t i, n = mmipc_region_size(r);
		uint8_t sum = 0;

		for (i = 0; i < n; i += 4096)
			sum ^= d[i];
		if (n > 0)
			sum ^= d[n - 1];
		(void)sum;
		mmipc_region_close(r);
	}
	if (write(a->pipe_w, &rc, sizeof(rc)) != sizeof(rc))
		return 3;
	return 0;
}

static inline int ru_try(const char *addr, uint32_t kind, unsigned flags,
			 int timeout_ms, int how)
{
	struct ru_open_args a = { addr, kind, flags, timeout_ms, -1, how };
	int p[2], rc = 1, st;
	pid_t pid;

	ru_pipe(p);
	a.pipe_w = p[1];
	pid = ru_fork(ru_open_child, &a);
	close(p[1]);
	st = t_wait(pid);
	CHECK(st == 0, "%s of %s: child %s %d", how == RU_STAT ? "stat" : "open",
	      addr,
	      st > 128 ? "killed by signal" : "exited",
	      st > 128 ? st - 128 : st);
	CHECK(read(p[0], &rc, sizeof(rc)) == sizeof(rc), "result pipe");
	close(p[0]);
	return rc;
}

/* mmipc_region_open(addr, kind, flags) in a child; its result. */
static inline int ru_try_open(const char *addr, uint32_t kind, unsigned flags)
{
	return ru_try(addr, kind, flags, 0, RU_OPEN);
}

/* mmipc_region_stat(addr) in a child; its result. */
static inline int ru_try_stat(const char *addr)
{
	return ru_try(addr, MMIPC_KIND_ANY, 0, 0, RU_STAT);
}

#endif /* MMIPC_TEST_REGION_UTIL_H */
