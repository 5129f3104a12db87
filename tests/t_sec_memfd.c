/*
 * t_sec_memfd - a memfd region handed to a process of another uid cannot
 * be used to crash its creator (issue 6, "Security"). Root only (77
 * otherwise): the receiver is a child that really drops to uid/gid 65534.
 *
 * The receiver gets the descriptor over a UNIX socket: without
 * MMIPC_F_ANY_UID it is refused (-MMIPC_EOWNER, the descriptor closed),
 * with it the region opens. Then it tries every way to shrink the memory
 * under the creator: ftruncate to less and to 0, a reopen through
 * /proc/self/fd with O_TRUNC, adding seals (F_SEAL_SEAL forbids it), and
 * reaching the creator's own descriptor through /proc/PID/fd. All fail,
 * the size stays, and the creator, in a child with SIGBUS at its default,
 * then touches every page of the region: no SIGBUS. Punching a hole is
 * allowed (no seal forbids it while the creator maps it writable): the
 * page reads back as zeros, never SIGBUS.
 */
#include <sys/socket.h>

#include "region_util.h"

#define SIZE (64 * 1024)
#define SEED 53
#define HOLE (SIZE - 4096) /* data offset of the page the receiver punches */

struct recv_arg {
	int sock;
	pid_t creator;
	int creator_fd;
};

static void try_reopen(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	CHECK(fd < 0 && (errno == EPERM || errno == EACCES),
	      "open %s %#x: %s", path, (unsigned)flags,
	      fd < 0 ? strerror(errno) : "opened");
}

/* The receiver's attempts on the region's descriptor fd. */
static void attacks(int fd, const struct recv_arg *a)
{
	char path[64];
	int seals = fcntl(fd, F_GET_SEALS);

	CHECK(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_SEAL),
	      "seals %#x", seals);
	CHECK(ftruncate(fd, MMIPC_HDR_SIZE) < 0 && errno == EPERM,
	      "ftruncate smaller: %s", strerror(errno));
	CHECK(ftruncate(fd, 0) < 0 && errno == EPERM, "ftruncate 0: %s",
	      strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	try_reopen(path, O_RDWR | O_TRUNC);
	try_reopen(path, O_WRONLY | O_TRUNC);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM,
	      "F_SEAL_WRITE: %s", strerror(errno));
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) < 0 && errno == EPERM,
	      "F_SEAL_GROW: %s", strerror(errno));
	CHECK(fcntl(fd, F_GET_SEALS) == seals, "seals changed");
	/* the creator's own descriptor: not ours to reach */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)a->creator,
		 a->creator_fd);
	try_reopen(path, O_RDWR);
	try_reopen(path, O_RDONLY);
	CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			MMIPC_HDR_SIZE + HOLE, 4096) == 0,
	      "punch hole: %s", strerror(errno));
}

static int receiver(void *p)
{
	const struct recv_arg *a = p;
	mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
	struct ru_res before;
	struct stat st;

	t_drop_to_nobody();
	CHECK(getuid() == 65534 && getgid() == 65534, "uid %d gid %d",
	      (int)getuid(), (int)getgid());
	before = ru_res_now();
	CHECK_RC(mmipc_region_recv_fd(&keep, a->sock, MMIPC_KIND_RAW, 0),
		 -MMIPC_EOWNER);
	CHECK_RES(before, "refused descriptor");
	CHECK_RC(mmipc_region_recv_fd(&r, a->sock, MMIPC_KIND_RAW,
				      MMIPC_F_ANY_UID), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, SEED);
	attacks(mmipc_region_fd(r), a);
	CHECK(fstat(mmipc_region_fd(r), &st) == 0 &&
		      st.st_size == MMIPC_HDR_SIZE + SIZE,
	      "size now %lld", (long long)st.st_size);
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

/* The creator, in a child: every page of the region, SIGBUS at default. */
static int toucher(void *p)
{
	mmipc_region *r = p;
	volatile uint8_t *d = mmipc_region_data(r);
	uint64_t i;

	signal(SIGBUS, SIG_DFL);
	for (i = 0; i < SIZE; i += 4096)
		d[i] ^= 0; /* read and write back */
	d[SIZE - 1] ^= 0;
	CHECK_PATTERN((const uint8_t *)d, HOLE, SEED);
	for (i = HOLE; i < SIZE; i++)
		CHECK(d[i] == 0, "punched page: byte %llu is %u",
		      (unsigned long long)i, d[i]);
	return 0;
}

int main(void)
{
	mmipc_region *r = NULL;
	struct recv_arg a;
	struct stat st;
	int sv[2];
	pid_t pid;

	if (!t_is_root()) {
		printf("not root: skipped\n");
		return T_SKIP;
	}
	umask(0); /* the region's mode must not come from it */
	CHECK_RC(mmipc_region_create(&r, "memfd", SIZE, 0, 0), 0);
	ru_fill(mmipc_region_data(r), SIZE, SEED);
	CHECK(fstat(mmipc_region_fd(r), &st) == 0 &&
		      (st.st_mode & 07777) == 0600 && st.st_uid == 0,
	      "memfd mode %03o uid %u", (unsigned)(st.st_mode & 07777),
	      (unsigned)st.st_uid);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
	      "socketpair: %s", strerror(errno));
	a.sock = sv[1];
	a.creator = getpid();
	a.creator_fd = mmipc_region_fd(r);
	pid = ru_fork(receiver, &a);
	CHECK_RC(mmipc_region_send_fd(r, sv[0]), 0);
	CHECK_RC(mmipc_region_send_fd(r, sv[0]), 0);
	RU_WAIT_OK(pid, "receiver of uid 65534");
	CHECK(fstat(mmipc_region_fd(r), &st) == 0 &&
		      st.st_size == MMIPC_HDR_SIZE + SIZE,
	      "size now %lld", (long long)st.st_size);
	RU_WAIT_OK(ru_fork(toucher, r), "creator touching every page");
	CHECK(mmipc_region_size(r) == SIZE, "size %llu",
	      (unsigned long long)mmipc_region_size(r));
	close(sv[0]);
	close(sv[1]);
	CHECK_RC(mmipc_region_close(r), 0);
	printf("memfd: uid 65534 could not shrink, reseal or reach it; "
	       "creator touched all %d pages, no SIGBUS\n", SIZE / 4096);
	return T_PASS;
}
