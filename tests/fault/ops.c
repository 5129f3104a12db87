/*
 * ops.c - the operations the fault test runs with system calls failing:
 * every way a region comes to be mapped (create on each backend and
 * size, the O_CREAT fallback, open, open_fd, recv_fd, stat, ring create
 * and open) and every call that maps or grows an existing one (resize,
 * refresh), plus send_fd. See fault.h for the parts of an operation.
 */
#include <sys/socket.h>

#include "../region_util.h"
#include "fault.h"

#define K64 (64 * 1024)
#define M1 (1024 * 1024)
#define MODE 0640 /* not the default, and not what the umask (077) gives */
#define SEED 23

char fault_untouched;

/* ---- creates -------------------------------------------------------- */

static void addr_shm(struct fault_ctx *c)
{
	t_name(c->addr, sizeof(c->addr), "fault");
	ru_path(c->path, sizeof(c->path), c->addr);
}

static void addr_file(struct fault_ctx *c)
{
	static unsigned n;

	snprintf(c->addr, sizeof(c->addr), "file:%s/f-%u", fault_file_dir,
		 n++);
	ru_path(c->path, sizeof(c->path), c->addr);
}

static void addr_anon(struct fault_ctx *c)
{
	snprintf(c->addr, sizeof(c->addr), "anon");
	c->path[0] = '\0';
}

static void addr_memfd(struct fault_ctx *c)
{
	snprintf(c->addr, sizeof(c->addr), "memfd");
	c->path[0] = '\0';
}

static int create_1(struct fault_ctx *c)
{
	return mmipc_region_create(&c->out, c->addr, 1, MODE, 0);
}

static int create_64k(struct fault_ctx *c)
{
	return mmipc_region_create(&c->out, c->addr, K64, MODE, 0);
}

static int create_1m(struct fault_ctx *c)
{
	return mmipc_region_create(&c->out, c->addr, M1, MODE, 0);
}

static int ring_create_64k(struct fault_ctx *c)
{
	return mmipc_ring_create(&c->out, c->addr, K64, MODE, 0);
}

static int ring_create_4k(struct fault_ctx *c)
{
	return mmipc_ring_create(&c->out, c->addr, 4096, MODE, 0);
}

/* A region a create made: the mode asked for, its whole data writable
 * (every page reserved), then closed and removed. */
static void undo_create(struct fault_ctx *c)
{
	uint8_t *d = mmipc_region_data(c->out);
	uint64_t i, n = mmipc_region_size(c->out);
	struct stat st;

	if (c->path[0] != '\0') {
		CHECK(lstat(c->path, &st) == 0, "%s: no file", c->addr);
		CHECK((st.st_mode & 07777) == MODE, "%s: mode %03o",
		      c->addr, (unsigned)(st.st_mode & 07777));
	} else if (mmipc_region_fd(c->out) >= 0) { /* memfd: always 0600 */
		CHECK(fstat(mmipc_region_fd(c->out), &st) == 0 &&
			      (st.st_mode & 07777) == 0600,
		      "memfd: mode %03o", (unsigned)(st.st_mode & 07777));
	}
	for (i = 0; i < n; i += 4096)
		d[i] = 1;
	d[n - 1] = 1;
	CHECK_RC(mmipc_region_close(c->out), 0);
	c->out = NULL;
	if (c->path[0] != '\0')
		ru_unlink(c->addr);
}

/* ---- opens ---------------------------------------------------------- */

/* A named region of 64 KiB holding the pattern, closed again. */
static void made_shm(struct fault_ctx *c)
{
	addr_shm(c);
	ru_make(c->addr, K64, SEED);
}

static void made_file(struct fault_ctx *c)
{
	addr_file(c);
	ru_make(c->addr, K64, SEED);
}

static void made_plain(struct fault_ctx *c)
{
	static char buf[10000];

	addr_file(c);
	ru_fill(buf, sizeof(buf), SEED);
	ru_write_file(c->path, buf, sizeof(buf), 0600);
}

static void unlink_it(struct fault_ctx *c)
{
	CHECK_RC(mmipc_region_unlink(c->addr, MMIPC_F_FORCE), 0);
}

static int open_rw(struct fault_ctx *c)
{
	return mmipc_region_open(&c->out, c->addr, MMIPC_KIND_RAW, 0);
}

static int open_rdonly(struct fault_ctx *c)
{
	return mmipc_region_open(&c->out, c->addr, MMIPC_KIND_ANY,
				 MMIPC_F_RDONLY);
}

static int open_plain(struct fault_ctx *c)
{
	return mmipc_region_open(&c->out, c->addr, MMIPC_KIND_ANY,
				 MMIPC_F_PLAIN);
}

/* An opened region: it shows the data setup put there. */
static void undo_open(struct fault_ctx *c)
{
	uint64_t n = mmipc_region_size(c->out);

	CHECK(n == K64 || n == 10000, "%s: size %llu", c->addr,
	      (unsigned long long)n);
	CHECK_PATTERN(mmipc_region_data(c->out), n, SEED);
	CHECK_RC(mmipc_region_close(c->out), 0);
	c->out = NULL;
}

/* ---- descriptors ---------------------------------------------------- */

/* A memfd region of 64 KiB with the pattern, kept open in c->r. */
static void memfd_region(struct fault_ctx *c)
{
	addr_memfd(c);
	CHECK_RC(mmipc_region_create(&c->r, "memfd", K64, 0, 0), 0);
	ru_fill(mmipc_region_data(c->r), K64, SEED);
	c->sv[0] = c->sv[1] = -1;
}

static void memfd_socket(struct fault_ctx *c)
{
	memfd_region(c);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sv) == 0,
	      "socketpair: %s", strerror(errno));
}

/* Two copies in flight: a failed receive may have consumed the first. */
static void memfd_sent(struct fault_ctx *c)
{
	memfd_socket(c);
	CHECK_RC(mmipc_region_send_fd(c->r, c->sv[0]), 0);
	CHECK_RC(mmipc_region_send_fd(c->r, c->sv[0]), 0);
}

/* Closes the sockets (and the descriptors still in flight) and c->r. */
static void memfd_close(struct fault_ctx *c)
{
	int i;

	for (i = 0; i < 2; i++)
		if (c->sv[i] >= 0)
			CHECK(close(c->sv[i]) == 0, "close: %s",
			      strerror(errno));
	CHECK_RC(mmipc_region_close(c->r), 0);
	c->r = NULL;
}

static int open_fd(struct fault_ctx *c)
{
	return mmipc_region_open_fd(&c->out, mmipc_region_fd(c->r),
				    MMIPC_KIND_RAW, 0);
}

static int recv_fd(struct fault_ctx *c)
{
	return mmipc_region_recv_fd(&c->out, c->sv[1], MMIPC_KIND_RAW, 0);
}

static int send_fd(struct fault_ctx *c)
{
	return mmipc_region_send_fd(c->r, c->sv[0]);
}

static void undo_nothing(struct fault_ctx *c)
{
	(void)c;
}

/* ---- stat and rings ------------------------------------------------- */

static int stat_it(struct fault_ctx *c)
{
	struct mmipc_region_info info;
	int rc = mmipc_region_stat(c->addr, &info);

	if (rc == 0 && (info.data_size != K64 || info.state != MMIPC_STATE_READY))
		return -EBADE; /* not what is there: the driver reports it */
	return rc;
}

static void ring_made(struct fault_ctx *c)
{
	mmipc_region *r = NULL;

	addr_shm(c);
	CHECK_RC(mmipc_ring_create(&r, c->addr, K64, 0, 0), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

static int ring_open(struct fault_ctx *c)
{
	return mmipc_ring_open(&c->ring, c->addr, MMIPC_ROLE_CONSUMER, 0);
}

/* An attached consumer: the producer end is free, so nothing to read
 * yet, and the ring says so without waiting. */
static void undo_ring(struct fault_ctx *c)
{
	const void *buf;
	size_t len;

	CHECK_RC(mmipc_ring_peek(c->ring, &buf, &len, 0), -EAGAIN);
	CHECK_RC(mmipc_ring_close(c->ring), 0);
	c->ring = NULL;
}

/* ---- resize and refresh --------------------------------------------- */

/* A 64 KiB region with the pattern, kept open in c->r. */
static void grown_shm(struct fault_ctx *c)
{
	addr_shm(c);
	CHECK_RC(mmipc_region_create(&c->r, c->addr, K64, 0, 0), 0);
	ru_fill(mmipc_region_data(c->r), K64, SEED);
}

static void grown_file(struct fault_ctx *c)
{
	addr_file(c);
	CHECK_RC(mmipc_region_create(&c->r, c->addr, K64, 0, 0), 0);
	ru_fill(mmipc_region_data(c->r), K64, SEED);
}

static void grown_memfd(struct fault_ctx *c)
{
	memfd_region(c);
}

static int resize(struct fault_ctx *c)
{
	return mmipc_region_resize(c->r, M1);
}

/* c->r still has its old size and data, and its header says so. */
static void still_64k(struct fault_ctx *c)
{
	struct mmipc_region_info info;

	CHECK(mmipc_region_size(c->r) == K64, "%s: size now %llu", c->addr,
	      (unsigned long long)mmipc_region_size(c->r));
	CHECK_PATTERN(mmipc_region_data(c->r), K64, SEED);
	CHECK_RC(mmipc_region_info(c->r, &info), 0);
	CHECK(info.data_size == K64, "%s: header data_size %llu", c->addr,
	      (unsigned long long)info.data_size);
}

static void now_1m(struct fault_ctx *c)
{
	uint8_t *d = mmipc_region_data(c->r);

	CHECK(mmipc_region_size(c->r) == M1, "%s: size %llu", c->addr,
	      (unsigned long long)mmipc_region_size(c->r));
	CHECK_PATTERN(d, K64, SEED);
	d[M1 - 1] = 1; /* reserved: no SIGBUS */
}

static void close_r(struct fault_ctx *c)
{
	CHECK_RC(mmipc_region_close(c->r), 0);
	c->r = NULL;
	if (c->path[0] != '\0')
		ru_unlink(c->addr);
}

/* c->r is a second handle on a region another handle grew to 1 MiB. */
static void grown_elsewhere(struct fault_ctx *c)
{
	mmipc_region *g = NULL;

	grown_shm(c);
	CHECK_RC(mmipc_region_open(&g, c->addr, MMIPC_KIND_RAW, 0), 0);
	CHECK_RC(mmipc_region_resize(g, M1), 0);
	CHECK_RC(mmipc_region_close(g), 0);
}

static int refresh(struct fault_ctx *c)
{
	return mmipc_region_refresh(c->r);
}

/* after a failed refresh: the old mapping, still whole */
static void still_mapped(struct fault_ctx *c)
{
	CHECK(mmipc_region_size(c->r) == K64, "%s: size now %llu", c->addr,
	      (unsigned long long)mmipc_region_size(c->r));
	CHECK_PATTERN(mmipc_region_data(c->r), K64, SEED);
}

/* ---- the table ------------------------------------------------------ */

const struct fault_op fault_ops[] = {
	{ "create shm: 1 B", 0, addr_shm, create_1, NULL, undo_create, NULL },
	{ "create shm: 64 KiB", 0, addr_shm, create_64k, NULL, undo_create,
	  NULL },
	{ "create shm: 1 MiB", 0, addr_shm, create_1m, NULL, undo_create,
	  NULL },
	{ "create file: 1 B", 0, addr_file, create_1, NULL, undo_create,
	  NULL },
	{ "create file: 1 MiB", 0, addr_file, create_1m, NULL, undo_create,
	  NULL },
	{ "create anon 64 KiB", 0, addr_anon, create_64k, NULL, undo_create,
	  NULL },
	{ "create memfd 1 B", 0, addr_memfd, create_1, NULL, undo_create,
	  NULL },
	{ "create memfd 1 MiB", 0, addr_memfd, create_1m, NULL, undo_create,
	  NULL },
	{ "create shm: 64 KiB, no O_TMPFILE", OP_NO_TMPFILE, addr_shm,
	  create_64k, NULL, undo_create, NULL },
	{ "create file: 64 KiB, no O_TMPFILE", OP_NO_TMPFILE, addr_file,
	  create_64k, NULL, undo_create, NULL },
	{ "ring create shm: 64 KiB", 0, addr_shm, ring_create_64k, NULL,
	  undo_create, NULL },
	{ "ring create memfd 4 KiB", 0, addr_memfd, ring_create_4k, NULL,
	  undo_create, NULL },
	{ "ring create shm:, no O_TMPFILE", OP_NO_TMPFILE, addr_shm,
	  ring_create_4k, NULL, undo_create, NULL },
	{ "open shm:", 0, made_shm, open_rw, NULL, undo_open, unlink_it },
	{ "open file: read-only", 0, made_file, open_rdonly, NULL, undo_open,
	  unlink_it },
	{ "open file: plain", 0, made_plain, open_plain, NULL, undo_open,
	  unlink_it },
	{ "open_fd memfd", 0, memfd_region, open_fd, NULL, undo_open,
	  memfd_close },
	{ "recv_fd memfd", 0, memfd_sent, recv_fd, NULL, undo_open,
	  memfd_close },
	{ "send_fd memfd", 0, memfd_socket, send_fd, NULL, undo_nothing,
	  memfd_close },
	{ "stat shm:", OP_INFO_FSTAT, made_shm, stat_it, NULL, undo_nothing,
	  unlink_it },
	{ "ring open shm:", 0, ring_made, ring_open, NULL, undo_ring,
	  unlink_it },
	{ "resize shm: 64 KiB -> 1 MiB", 0, grown_shm, resize, still_64k,
	  now_1m, close_r },
	{ "resize file: 64 KiB -> 1 MiB", 0, grown_file, resize, still_64k,
	  now_1m, close_r },
	{ "resize memfd 64 KiB -> 1 MiB", 0, grown_memfd, resize, still_64k,
	  now_1m, memfd_close },
	{ "refresh shm: after a resize", 0, grown_elsewhere, refresh,
	  still_mapped, now_1m, close_r },
};

const unsigned fault_nops = sizeof(fault_ops) / sizeof(fault_ops[0]);
