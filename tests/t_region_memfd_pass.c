/*
 * t_region_memfd_pass - a memfd region handed to another process over a
 * UNIX socket: the receiver maps the same memory (sees our data, we see
 * its reply), and cannot shrink it (F_SEAL_SHRINK: ftruncate, and a reopen
 * through /proc/self/fd with O_TRUNC, are EPERM), so the creator then
 * touches every page without SIGBUS.
 * recv_fd refuses what is not exactly one descriptor (-EBADMSG, without
 * leaking any it got), reports a closed peer (-EPIPE), and validates the
 * descriptor like an open; send_fd of an anon region is -EINVAL.
 */
#include <sys/socket.h>

#include "region_util.h"

#define SIZE (32 * 1024)
#define HALF (SIZE / 2)

static void socks(int sv[2])
{
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
	      "socketpair: %s", strerror(errno));
}

/* The receiver: this program re-executed, the socket inherited as fd
 * argv[2]; an unrelated process except for that socket. */
static int receiver(int sock)
{
	mmipc_region *r = NULL;
	struct mmipc_region_info info;
	char path[64];
	int fd, fd2, seals;

	CHECK_RC(mmipc_region_recv_fd(&r, sock, MMIPC_KIND_RAW, 0), 0);
	CHECK(mmipc_region_size(r) == SIZE, "size %llu",
	      (unsigned long long)mmipc_region_size(r));
	CHECK_PATTERN(mmipc_region_data(r), HALF, 17);
	ru_fill((uint8_t *)mmipc_region_data(r) + HALF, HALF, 18);

	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.backend == MMIPC_BACKEND_MEMFD, "backend %u", info.backend);
	CHECK(info.creator_pid == (int32_t)getppid(), "creator_pid %d",
	      (int)info.creator_pid);
	CHECK(info.seals & F_SEAL_SHRINK, "info.seals %#x", info.seals);
	fd = mmipc_region_fd(r);
	seals = fcntl(fd, F_GET_SEALS);
	CHECK(seals >= 0 && (seals & F_SEAL_SHRINK), "F_GET_SEALS %d", seals);
	CHECK(ftruncate(fd, MMIPC_HDR_SIZE) < 0 && errno == EPERM,
	      "ftruncate smaller: %s", strerror(errno));
	CHECK(ftruncate(fd, 0) < 0 && errno == EPERM, "ftruncate 0: %s",
	      strerror(errno));
	/* another way to truncate: open the same file again, O_TRUNC */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDWR | O_TRUNC | O_CLOEXEC);
	CHECK(fd2 < 0 && errno == EPERM, "reopen O_TRUNC: %s",
	      fd2 < 0 ? strerror(errno) : "opened");
	/* the seals themselves cannot be taken off by adding nothing */
	CHECK(fcntl(fd, F_GET_SEALS) == seals, "seals changed");
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

/* Sends n bytes with no descriptor. */
static void send_plain(int sock, const char *s, size_t n)
{
	CHECK(send(sock, s, n, MSG_NOSIGNAL) == (ssize_t)n, "send: %s",
	      strerror(errno));
}

/* Sends one byte with the given descriptors. */
static void send_fds(int sock, const int *fds, int n)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'R';
	struct iovec iov = { &byte, 1 };
	struct msghdr msg;
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
	CHECK(sendmsg(sock, &msg, MSG_NOSIGNAL) == 1, "sendmsg: %s",
	      strerror(errno));
}

static void garbage(mmipc_region *r)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	struct ru_res before;
	int sv[2], fds[3], fd;
	char path[512] = "";	/* all of it is written to the file */

	/* no descriptor: one byte, two bytes */
	socks(sv);
	before = ru_res_now();
	send_plain(sv[0], "x", 1);
	CHECK_RC(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_ANY, 0),
		 -EBADMSG);
	send_plain(sv[0], "xy", 2);
	CHECK_RC(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_ANY, 0),
		 -EBADMSG);
	CHECK_RES(before, "recv without fd");
	close(sv[0]);
	close(sv[1]);

	/* two and three descriptors: refused, none of them leaked */
	socks(sv);
	fds[0] = fds[1] = fds[2] = mmipc_region_fd(r);
	send_fds(sv[0], fds, 2);
	send_fds(sv[0], fds, 3);
	before = ru_res_now();
	CHECK_RC(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_ANY, 0),
		 -EBADMSG);
	CHECK_RC(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_ANY, 0),
		 -EBADMSG);
	CHECK_RES(before, "recv of several fds");

	/* a descriptor that is not a region: validated like an open */
	snprintf(path, sizeof(path), "/tmp/%s%d-notregion", T_PREFIX,
		 (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	unlink(path);
	CHECK(write(fd, path, sizeof(path)) == sizeof(path), "write");
	send_fds(sv[0], &fd, 1);
	before = ru_res_now();
	CHECK_RC(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_ANY, 0),
		 -MMIPC_EBADMAGIC);
	CHECK_RES(before, "recv of a non-region");
	close(fd);

	/* a pipe */
	CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe");
	send_fds(sv[0], fds, 1);
	before = ru_res_now();
	CHECK(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_ANY, 0) < 0,
	      "a pipe opened as a region");
	CHECK_RES(before, "recv of a pipe");
	close(fds[0]);
	close(fds[1]);

	/* the right region, the wrong kind */
	CHECK_RC(mmipc_region_send_fd(r, sv[0]), 0);
	before = ru_res_now();
	CHECK_RC(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_RING, 0),
		 -MMIPC_EKIND);
	CHECK_RES(before, "recv of wrong kind");

	/* peer gone */
	close(sv[0]);
	CHECK_RC(mmipc_region_recv_fd(&keep, sv[1], MMIPC_KIND_ANY, 0),
		 -EPIPE);
	close(sv[1]);
	CHECK(keep == (mmipc_region *)&keep, "failed recv set *out");
}

int main(int argc, char **argv)
{
	mmipc_region *r = NULL, *a = NULL;
	char fd_s[16];
	char *args[] = { "recv", fd_s, NULL };
	int sv[2];
	pid_t pid;

	if (argc == 3 && strcmp(argv[1], "recv") == 0)
		return receiver(atoi(argv[2]));
	CHECK_RC(mmipc_region_create(&r, "memfd", SIZE, 0, 0), 0);
	ru_fill(mmipc_region_data(r), HALF, 17);
	/* the receiver's end must survive its exec: no CLOEXEC */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s",
	      strerror(errno));
	snprintf(fd_s, sizeof(fd_s), "%d", sv[1]);
	pid = t_self_exec(args);
	close(sv[1]);
	CHECK_RC(mmipc_region_send_fd(r, sv[0]), 0);
	RU_WAIT_OK(pid, "receiver");
	close(sv[0]);
	/* every page still there (a shrunk file would SIGBUS here) */
	CHECK_PATTERN(mmipc_region_data(r), HALF, 17);
	CHECK_PATTERN((uint8_t *)mmipc_region_data(r) + HALF, HALF, 18);
	CHECK(mmipc_region_size(r) == SIZE, "size changed");

	garbage(r);

	/* anon has no descriptor to send */
	CHECK_RC(mmipc_region_create(&a, "anon", SIZE, 0, 0), 0);
	socks(sv);
	CHECK_RC(mmipc_region_send_fd(a, sv[0]), -EINVAL);
	CHECK_RC(mmipc_region_close(a), 0);
	close(sv[0]);
	close(sv[1]);
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}
