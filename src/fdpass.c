/*
 * fdpass.c - handing a region's descriptor to another process over a UNIX
 * socket (SCM_RIGHTS). The way to share a memfd region with a process that
 * was not fork()ed from its creator; works for any region with a file.
 *
 * The receiver trusts nothing: exactly one descriptor must arrive, any
 * extra ones are closed, and the descriptor is then validated like any
 * region opened by name.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* Room for a few descriptors, so that a sender pushing more than one cannot
 * make us lose track of (and leak) the extra ones via MSG_CTRUNC. */
#define MAX_FDS 4

int mmipc_region_send_fd(const mmipc_region *r, int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'R';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	if (r->fd < 0)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &r->fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? neg_errno() : 0;
}

/* Receives one byte and the descriptors that came with it; returns the
 * number of descriptors stored in fds[], or -errno. */
static int recv_fds(int sock, int fds[MAX_FDS], bool *truncated)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int nfds = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return neg_errno();
	if (n == 0)
		return -EPIPE;
	*truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		size_t len, i;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		len = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < len && nfds < MAX_FDS; i++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
	}
	return nfds;
}

int mmipc_region_recv_fd(mmipc_region **out, int sock, uint32_t kind,
			 unsigned flags)
{
	int fds[MAX_FDS], n, rc, i;
	bool truncated = false;

	if (out == NULL)
		return -EINVAL;
	n = recv_fds(sock, fds, &truncated);
	if (n < 0)
		return n;
	/* recv_fds() filled fds[0..n). clang 14's analyzer takes a path on
	 * which neg_errno() returned n >= 0 without filling any (it does not
	 * see that -errno < 0 for errno > 0), so it calls fds[] uninitialized
	 * here. NOLINTBEGIN(clang-analyzer-core.CallAndMessage) */
	if (n != 1 || truncated) {
		for (i = 0; i < n; i++)
			close(fds[i]);
		return -EBADMSG;
	}
	rc = mmipc_region_open_fd(out, fds[0], kind, flags);
	/* NOLINTEND(clang-analyzer-core.CallAndMessage) */
	close(fds[0]); /* open_fd made its own duplicate */
	return rc;
}
