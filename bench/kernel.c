/*
 * kernel.c - the kernel's own ways for two processes to talk, each used
 * as its manual page intends:
 *
 *  pipe            two pipes for a ping-pong (one each way), one for a
 *                  stream; the reader takes all that is there (a pipe is a
 *                  byte stream: messages are cut out of what was read)
 *  unix-stream     a socketpair(AF_UNIX, SOCK_STREAM), read the same way
 *  unix-seqpacket  a socketpair(AF_UNIX, SOCK_SEQPACKET): one message a read
 *  posix-mq        mq_open() queues (10 messages deep, the default limit),
 *                  one each way; unlinked at once, so none is left behind
 *  sysv-mq         one msgget() queue, message type 1 to B, 2 to A
 *  futex           a shared word: the sender bumps it and FUTEX_WAKEs, the
 *                  receiver FUTEX_WAITs at once (no spinning); no payload
 *  eventfd         two eventfds, write 1 / read; no payload
 *
 * The parent makes every object before fork(); each side closes the ends
 * it does not use, so that a side that dies is seen as end-of-file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define MQ_DEPTH 10

/* One state for every row of this file. */
struct kst {
	int fd[4];		/* [0] A->B read, [1] A->B write,
				 * [2] B->A read, [3] B->A write; -1 unused */
	int in, out;		/* this side's */
	size_t have, off;	/* byte streams: bytes read, bytes consumed */
	int msqid;		/* sysv-mq */
	long type_in, type_out;
	struct sysv_msg *mb;	/* sysv-mq: the message being built */
	uint32_t *word;		/* futex */
	uint32_t v;		/* futex: this side's last value */
};

struct sysv_msg {
	long mtype;
	unsigned char mtext[];
};

static struct kst *kst_new(struct chan *c)
{
	struct kst *s = calloc(1, sizeof(*s));
	int i;

	if (!s) {
		bench_sys("calloc", ENOMEM);
		return NULL;
	}
	for (i = 0; i < 4; i++)
		s->fd[i] = -1;
	s->in = s->out = s->msqid = -1;
	c->st = s;
	return s;
}

static void kst_teardown(struct chan *c)
{
	struct kst *s = c->st;
	int i;

	if (!s)
		return;
	for (i = 0; i < 4; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	if (s->msqid >= 0 && msgctl(s->msqid, IPC_RMID, NULL) < 0)
		fprintf(stderr, "mmipc-bench: msgctl(IPC_RMID): %s\n",
			strerror(errno));
	if (s->word)
		munmap(s->word, 4096);
	free(s);
	c->st = NULL;
}

/* fd_open - keep this side's two ends (of fd[]), close the rest. */
static int fd_open(struct chan *c)
{
	struct kst *s = c->st;
	int keep_in = c->side == SIDE_A ? 2 : 0;
	int keep_out = c->side == SIDE_A ? 1 : 3;
	int i, j;

	s->in = s->fd[keep_in];
	s->out = s->fd[keep_out];
	for (i = 0; i < 4; i++) {
		if (s->fd[i] < 0 || s->fd[i] == s->in || s->fd[i] == s->out)
			continue;
		/* the same descriptor may stand in two places: close once */
		for (j = 0; j < i && s->fd[j] != s->fd[i]; j++)
			;
		if (j == i)
			close(s->fd[i]);
	}
	return 0;
}

static void fd_close(struct chan *c)
{
	struct kst *s = c->st;

	if (s->in >= 0)
		close(s->in);
	if (s->out >= 0 && s->out != s->in)
		close(s->out);
}

static int fd_send(struct chan *c, const void *buf, size_t len,
		   unsigned flags)
{
	struct kst *s = c->st;
	const unsigned char *p = buf;
	ssize_t n;

	(void)flags;
	while (len > 0) {
		n = write(s->out, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bench_sys("write", errno);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* bytes_recv - the next message of a byte stream: read as much as there
 * is, hand out whole messages from it. */
static int bytes_recv(struct chan *c, const void **buf, size_t *len)
{
	struct kst *s = c->st;
	ssize_t n;

	if (s->have - s->off < c->size) {
		memmove(c->rbuf, c->rbuf + s->off, s->have - s->off);
		s->have -= s->off;
		s->off = 0;
		while (s->have < c->size) {
			n = read(s->in, c->rbuf + s->have, RBUF_SIZE - s->have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return bench_sys("read", errno);
			if (n == 0)
				return bench_fail("read: end of file");
			s->have += (size_t)n;
		}
	}
	*buf = c->rbuf + s->off;
	*len = c->size;
	s->off += c->size;
	return 0;
}

/* msg_recv - one read, one message (seqpacket). */
static int msg_recv(struct chan *c, const void **buf, size_t *len)
{
	struct kst *s = c->st;
	ssize_t n;

	do
		n = read(s->in, c->rbuf, RBUF_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bench_sys("read", errno);
	if (n == 0)
		return bench_fail("read: end of file");
	*buf = c->rbuf;
	*len = (size_t)n;
	return 0;
}

/* ---- pipe ---- */

static int pipe_setup(struct chan *c)
{
	struct kst *s = kst_new(c);

	if (!s)
		return -1;
	if (pipe2(&s->fd[0], O_CLOEXEC) < 0)
		return bench_sys("pipe2", errno);
	if (!c->stream && pipe2(&s->fd[2], O_CLOEXEC) < 0)
		return bench_sys("pipe2", errno);
	return 0;
}

const struct mech mech_pipe = {
	.name = "pipe",
	.what = "two pipes (one for a stream); reads take all there is",
	.setup = pipe_setup,
	.open = fd_open,
	.send = fd_send,
	.recv = bytes_recv,
	.close = fd_close,
	.teardown = kst_teardown,
};

/* ---- UNIX sockets: A has sv[0] (fd[1], fd[2]), B sv[1] (fd[0], fd[3]) -- */

static int pair_setup(struct chan *c, int type)
{
	struct kst *s = kst_new(c);
	int sv[2];

	if (!s)
		return -1;
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return bench_sys("socketpair", errno);
	s->fd[1] = s->fd[2] = sv[0];
	s->fd[0] = s->fd[3] = sv[1];
	return 0;
}

static int ustream_setup(struct chan *c)
{
	return pair_setup(c, SOCK_STREAM);
}

static int useq_setup(struct chan *c)
{
	return pair_setup(c, SOCK_SEQPACKET);
}

static void pair_teardown(struct chan *c)
{
	struct kst *s = c->st;

	if (s) {
		s->fd[2] = s->fd[3] = -1;	/* the same two sockets */
		kst_teardown(c);
	}
}

const struct mech mech_unix_stream = {
	.name = "unix-stream",
	.what = "socketpair(AF_UNIX, SOCK_STREAM); reads take all there is",
	.setup = ustream_setup,
	.open = fd_open,
	.send = fd_send,
	.recv = bytes_recv,
	.close = fd_close,
	.teardown = pair_teardown,
};

const struct mech mech_unix_seqpacket = {
	.name = "unix-seqpacket",
	.what = "socketpair(AF_UNIX, SOCK_SEQPACKET); one message a read",
	.setup = useq_setup,
	.open = fd_open,
	.send = fd_send,
	.recv = msg_recv,
	.close = fd_close,
	.teardown = pair_teardown,
};

/* ---- POSIX message queues ---- */

static int mq_make(struct chan *c, const char *dir, int *fd)
{
	struct mq_attr attr = { .mq_maxmsg = MQ_DEPTH,
				.mq_msgsize = (long)c->size };
	char name[80];
	mqd_t q;

	snprintf(name, sizeof(name), "/%s-%s", c->tag, dir);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1)
		return bench_sys("mq_open", errno);
	/* on Linux an mqd_t is a descriptor: fork() shares it */
	*fd = (int)q;
	if (mq_unlink(name) < 0)
		return bench_sys("mq_unlink", errno);
	return 0;
}

static int pmq_setup(struct chan *c)
{
	struct kst *s = kst_new(c);

	if (!s || mq_make(c, "ab", &s->fd[0]) < 0)
		return -1;
	s->fd[1] = s->fd[0];
	if (!c->stream) {
		if (mq_make(c, "ba", &s->fd[2]) < 0)
			return -1;
		s->fd[3] = s->fd[2];
	}
	return 0;
}

static void pmq_teardown(struct chan *c)
{
	struct kst *s = c->st;

	if (s) {
		s->fd[1] = s->fd[3] = -1;	/* the same queues */
		kst_teardown(c);
	}
}

static int pmq_send(struct chan *c, const void *buf, size_t len,
		    unsigned flags)
{
	struct kst *s = c->st;

	(void)flags;
	while (mq_send((mqd_t)s->out, buf, len, 0) < 0)
		if (errno != EINTR)
			return bench_sys("mq_send", errno);
	return 0;
}

static int pmq_recv(struct chan *c, const void **buf, size_t *len)
{
	struct kst *s = c->st;
	ssize_t n;

	do
		n = mq_receive((mqd_t)s->in, (char *)c->rbuf, c->size, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bench_sys("mq_receive", errno);
	*buf = c->rbuf;
	*len = (size_t)n;
	return 0;
}

const struct mech mech_posix_mq = {
	.name = "posix-mq",
	.what = "POSIX message queues, 10 deep, one each way",
	.setup = pmq_setup,
	.open = fd_open,
	.send = pmq_send,
	.recv = pmq_recv,
	.close = fd_close,
	.teardown = pmq_teardown,
};

/* ---- System V message queue ---- */

static int smq_setup(struct chan *c)
{
	struct kst *s = kst_new(c);

	if (!s)
		return -1;
	s->msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (s->msqid < 0)
		return bench_sys("msgget", errno);
	return 0;
}

static int smq_open(struct chan *c)
{
	struct kst *s = c->st;

	s->type_out = c->side == SIDE_A ? 1 : 2;
	s->type_in = c->side == SIDE_A ? 2 : 1;
	s->mb = malloc(sizeof(*s->mb) + c->size);
	if (!s->mb)
		return bench_sys("malloc", ENOMEM);
	return 0;
}

/* The message is built where msgsnd() wants it, after its type. */
static int smq_loan(struct chan *c, void **buf, size_t len)
{
	struct kst *s = c->st;

	(void)len;
	*buf = s->mb->mtext;
	return 0;
}

static int smq_send(struct chan *c, const void *buf, size_t len,
		    unsigned flags)
{
	struct kst *s = c->st;

	(void)flags;
	if (buf != s->mb->mtext)
		memcpy(s->mb->mtext, buf, len);
	s->mb->mtype = s->type_out;
	while (msgsnd(s->msqid, s->mb, len, 0) < 0)
		if (errno != EINTR)
			return bench_sys("msgsnd", errno);
	return 0;
}

static int smq_recv(struct chan *c, const void **buf, size_t *len)
{
	struct kst *s = c->st;
	struct sysv_msg *m = (struct sysv_msg *)c->rbuf;
	ssize_t n;

	do
		n = msgrcv(s->msqid, m, RBUF_SIZE - sizeof(*m), s->type_in, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bench_sys("msgrcv", errno);
	*buf = m->mtext;
	*len = (size_t)n;
	return 0;
}

static void smq_close(struct chan *c)
{
	struct kst *s = c->st;

	free(s->mb);
}

const struct mech mech_sysv_mq = {
	.name = "sysv-mq",
	.what = "one System V message queue, a message type each way",
	.setup = smq_setup,
	.open = smq_open,
	.loan = smq_loan,
	.send = smq_send,
	.recv = smq_recv,
	.close = smq_close,
	.teardown = kst_teardown,
};

/* ---- futex ---- */

static long sys_futex(uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static int futex_setup(struct chan *c)
{
	struct kst *s = kst_new(c);
	void *p;

	if (!s)
		return -1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return bench_sys("mmap", errno);
	s->word = p;
	return 0;
}

static int futex_open(struct chan *c)
{
	(void)c;
	return 0;
}

static int futex_send(struct chan *c, const void *buf, size_t len,
		      unsigned flags)
{
	struct kst *s = c->st;

	(void)buf;
	(void)len;
	(void)flags;
	/* release: pairs with the acquire load of the waiter */
	__atomic_store_n(s->word, ++s->v, __ATOMIC_RELEASE);
	/* raw: wake whether or not anyone sleeps (no waiter count) */
	if (sys_futex(s->word, FUTEX_WAKE, 1) < 0)
		return bench_sys("futex(FUTEX_WAKE)", errno);
	return 0;
}

static int futex_recv(struct chan *c, const void **buf, size_t *len)
{
	struct kst *s = c->st;
	uint32_t v;

	while ((v = __atomic_load_n(s->word, __ATOMIC_ACQUIRE)) == s->v) {
		/* sleeps unless the word moved since the load (EAGAIN) */
		if (sys_futex(s->word, FUTEX_WAIT, s->v) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			return bench_sys("futex(FUTEX_WAIT)", errno);
	}
	s->v = v;
	*buf = c->rbuf;
	*len = c->size;
	return 0;
}

const struct mech mech_futex = {
	.name = "futex",
	.flags = M_NOPAYLOAD,
	.what = "a shared word: FUTEX_WAKE / FUTEX_WAIT, the waiter sleeps",
	.setup = futex_setup,
	.open = futex_open,
	.send = futex_send,
	.recv = futex_recv,
	.teardown = kst_teardown,
};

/* ---- eventfd ---- */

static int efd_setup(struct chan *c)
{
	struct kst *s = kst_new(c);

	if (!s)
		return -1;
	s->fd[0] = eventfd(0, EFD_CLOEXEC);
	s->fd[2] = eventfd(0, EFD_CLOEXEC);
	if (s->fd[0] < 0 || s->fd[2] < 0)
		return bench_sys("eventfd", errno);
	s->fd[1] = s->fd[0];
	s->fd[3] = s->fd[2];
	return 0;
}

static int efd_send(struct chan *c, const void *buf, size_t len,
		    unsigned flags)
{
	struct kst *s = c->st;
	uint64_t one = 1;

	(void)buf;
	(void)len;
	(void)flags;
	while (write(s->out, &one, 8) != 8)
		if (errno != EINTR)
			return bench_sys("write(eventfd)", errno);
	return 0;
}

static int efd_recv(struct chan *c, const void **buf, size_t *len)
{
	struct kst *s = c->st;
	uint64_t v;

	while (read(s->in, &v, 8) != 8)
		if (errno != EINTR)
			return bench_sys("read(eventfd)", errno);
	*buf = c->rbuf;
	*len = c->size;
	return 0;
}

const struct mech mech_eventfd = {
	.name = "eventfd",
	.flags = M_NOPAYLOAD,
	.what = "two eventfds: write 1, read; the reader sleeps in read()",
	.setup = efd_setup,
	.open = fd_open,
	.send = efd_send,
	.recv = efd_recv,
	.close = fd_close,
	.teardown = pmq_teardown,	/* fd[1], fd[3] alias fd[0], fd[2] */
};
