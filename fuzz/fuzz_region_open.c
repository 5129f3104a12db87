/*
 * fuzz_region_open.c - opening a region whose file holds arbitrary bytes.
 *
 * Input: the whole content of a region file (header, peer table, data),
 * of any length. The file is rewritten to exactly those bytes, then opened
 * every way there is: mmipc_region_open_fd() (read-write, read-only, with
 * a kind, plain), mmipc_region_open_timeout() by "file:" and by "shm:"
 * address, mmipc_region_stat(), and the "inspect" open that stat uses. If
 * the header names a total size other than the input's length, it runs
 * again with the file cut or zero-extended to that size (up to 256 KiB),
 * so that the paths behind the size checks are reached too.
 *
 * What must hold, whatever the bytes: every call returns a documented
 * error or a handle whose mapping lies inside the file (every page of it
 * is read: a mapping past the end of the file would raise SIGBUS), whose
 * data area lies inside the mapping, and whose info, peers and ring stats
 * are sane; stat reports a READY region exactly when open accepts it; and
 * nothing is left open or mapped afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/internal.h"
#include "fuzz_util.h"

static int file_fd;
static char file_addr[PATH_MAX + 8], shm_addr[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init("region_open");
	file_fd = fz_file("region");
	fz_file_addr(file_addr, sizeof(file_addr), "region");
	fz_shm_addr(shm_addr, sizeof(shm_addr), "region");
	fz_leak_check_setup(NULL);
	return 0;
}

static bool open_error_ok(int rc)
{
	return rc == -MMIPC_EBADMAGIC || rc == -MMIPC_EVERSION ||
	       rc == -MMIPC_EFORMAT || rc == -MMIPC_EKIND ||
	       rc == -MMIPC_ETRUNC || rc == -MMIPC_ENOTREADY;
}

/* Info, peer list and ring stats of a handle: sane, and consistent. */
static void check_describe(const struct mmipc_region *r, bool validated)
{
	struct mmipc_peer_info v[MMIPC_MAX_PEERS];
	struct mmipc_region_info info;
	struct mmipc_ring_stats st;
	int n, rc;

	FZ_CHECK(mmipc_region_info(r, &info) == 0, "info failed");
	FZ_CHECK(info.peers <= MMIPC_MAX_PEERS &&
			 info.peers_alive <= info.peers,
		 "info: %u peers, %u alive", info.peers, info.peers_alive);
	if (validated && r->hdr != NULL)
		FZ_CHECK(info.total_size == r->map_size,
			 "info: total_size %llu, mapped %zu",
			 (unsigned long long)info.total_size, r->map_size);
	n = mmipc_region_peers(r, v, MMIPC_MAX_PEERS);
	FZ_CHECK(n >= 0 && (uint32_t)n == info.peers,
		 "peers: %d, info says %u", n, info.peers);
	for (int i = 0; i < n; i++)
		FZ_CHECK(v[i].slot < MMIPC_PEER_SLOTS &&
				 (i == 0 || v[i].slot > v[i - 1].slot),
			 "peer %d: slot %u", i, v[i].slot);
	if (!validated)
		return; /* not READY: describe it, never read its ring */
	rc = mmipc_ring_stats(r, &st);
	FZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -MMIPC_EKIND,
		 "ring_stats: %d (%s)", rc, fz_rc(rc));
	if (rc == 0)
		FZ_CHECK(st.capacity == r->data_size && st.used <= st.capacity &&
				 st.producer <= MMIPC_END_DEAD &&
				 st.consumer <= MMIPC_END_DEAD,
			 "ring_stats: capacity %llu used %llu ends %u %u",
			 (unsigned long long)st.capacity,
			 (unsigned long long)st.used, st.producer, st.consumer);
}

/* Whatever opened: inside the file, data inside the mapping. */
static void check_handle(const struct mmipc_region *r, bool validated)
{
	struct stat st;

	FZ_CHECK(fstat(r->fd, &st) == 0, "fstat: %s", strerror(errno));
	FZ_CHECK(r->base != NULL && r->map_size <= (uint64_t)st.st_size,
		 "mapped %zu bytes of a %lld-byte file", r->map_size,
		 (long long)st.st_size);
	FZ_CHECK(r->data_off <= r->map_size &&
			 r->data_size <= r->map_size - r->data_off,
		 "data [%llu, +%llu) outside the %zu-byte mapping",
		 (unsigned long long)r->data_off,
		 (unsigned long long)r->data_size, r->map_size);
	FZ_CHECK(!validated || r->hdr == NULL ||
			 r->map_size >= MMIPC_HDR_SIZE,
		 "header region mapped with %zu bytes", r->map_size);
	FZ_CHECK((char *)mmipc_region_data(r) == (char *)r->base + r->data_off,
		 "data pointer");
	FZ_CHECK(mmipc_region_size(r) == r->data_size, "data size");
	fz_touch(r->base, r->map_size);
	check_describe(r, validated);
}

/* The result of an open (rc, and *rp when rc is 0): a handle that passes
 * check_handle(), or a documented error; the handle is closed. */
static int try_open(int rc, mmipc_region **rp, const char *how)
{
	FZ_CHECK(rc == 0 || open_error_ok(rc), "%s: %d (%s)", how, rc,
		 fz_rc(rc));
	if (rc == 0) {
		check_handle(*rp, true);
		FZ_CHECK(mmipc_region_close(*rp) == 0, "%s: close", how);
	}
	return rc;
}

/* [p, p + len) lies inside the data area of r. */
static bool in_data(const struct mmipc_region *r, const void *p, size_t len)
{
	const char *lo = mmipc_region_data(r), *q = p;

	return q >= lo && len <= r->data_size &&
	       (uint64_t)(q - lo) <= r->data_size - len;
}

/* A ring in the file: both ends attach or get a documented error. */
static void try_attach(void)
{
	mmipc_region *r;
	mmipc_ring *ring;
	const void *p;
	size_t len;
	int role, rc;

	if (mmipc_region_open_fd(&r, file_fd, MMIPC_KIND_RING,
				 MMIPC_F_NOWAIT) != 0)
		return;
	for (role = MMIPC_ROLE_PRODUCER; role <= MMIPC_ROLE_CONSUMER; role++) {
		rc = mmipc_ring_attach(&ring, r, role, 0);
		FZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EBUSY ||
				 rc == -EUSERS,
			 "attach %d: %d (%s)", role, rc, fz_rc(rc));
		if (rc != 0)
			continue;
		if (role == MMIPC_ROLE_CONSUMER) {
			rc = mmipc_ring_peek(ring, &p, &len, 0);
			FZ_CHECK(rc == 1 || rc == 0 || rc == -EAGAIN ||
					 rc == -EPIPE || rc == -EBADMSG,
				 "peek: %d (%s)", rc, fz_rc(rc));
			FZ_CHECK(rc != 1 || in_data(r, p, len),
				 "peek: %zu bytes at %p, outside the data area",
				 len, p);
		}
		mmipc_ring_close(ring);
	}
	mmipc_region_close(r);
}

/* Every way of opening the file as it is now. */
static void try_all(void)
{
	struct mmipc_region_info info;
	mmipc_region *r;
	int rc_rw, rc;

	memset(&info, 0, sizeof(info)); /* for the message, if stat fails */
	rc_rw = try_open(mmipc_region_open_fd(&r, file_fd, MMIPC_KIND_ANY,
					      MMIPC_F_NOWAIT), &r, "open_fd");
	try_open(mmipc_region_open_fd(&r, file_fd, MMIPC_KIND_RING,
				      MMIPC_F_NOWAIT | MMIPC_F_RDONLY),
		 &r, "open_fd ring rdonly");
	rc = mmipc_region_open_fd(&r, file_fd, MMIPC_KIND_ANY,
				  MMIPC_F_PLAIN | MMIPC_F_RDONLY);
	FZ_CHECK(rc == 0 || rc == -EINVAL, "open plain: %d (%s)", rc,
		 fz_rc(rc));
	if (rc == 0) {
		check_handle(r, true);
		mmipc_region_close(r);
	}
	try_open(mmipc_region_open_timeout(&r, file_addr, MMIPC_KIND_RAW,
					   MMIPC_F_NOWAIT, 0),
		 &r, "open file: raw");
	try_open(mmipc_region_open_timeout(&r, shm_addr, MMIPC_KIND_ANY,
					   MMIPC_F_RDONLY | MMIPC_F_ANY_UID, 0),
		 &r, "open shm:");
	rc = region_open_inspect(&r, file_addr);
	FZ_CHECK(rc == 0 || open_error_ok(rc), "inspect: %d (%s)", rc,
		 fz_rc(rc));
	if (rc == 0) {
		check_handle(r, READ_ONCE(r->hdr->state) == MMIPC_STATE_READY);
		mmipc_region_close(r);
	}
	rc = mmipc_region_stat(file_addr, &info);
	FZ_CHECK(rc == 0 || open_error_ok(rc), "stat: %d (%s)", rc,
		 fz_rc(rc));
	/* stat reports what open refuses for not being READY, nothing else */
	FZ_CHECK((rc_rw == 0) == (rc == 0 && info.state == MMIPC_STATE_READY),
		 "open gave %d (%s) but stat %d (%s), state 0x%x", rc_rw,
		 fz_rc(rc_rw), rc, fz_rc(rc), info.state);
	try_attach();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t total = fz_claimed_size(data, size);

	fz_write(file_fd, data, size);
	try_all();
	if (total != 0) {
		fz_resize(file_fd, total);
		try_all();
	}
	fz_leak_check();
	return 0;
}
