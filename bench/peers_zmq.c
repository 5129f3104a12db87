/*
 * peers_zmq.c - ZeroMQ: a PAIR socket over ipc:// (a UNIX socket in /tmp,
 * removed after the row). B binds, A connects; zmq_send()/zmq_recv()
 * copy, and zmq's I/O thread batches a stream on its own (the default
 * high-water mark, 1000 messages, holds the producer back). Each side
 * makes its own context after fork(): a zmq context must not cross one.
 * Its I/O thread inherits the side's CPU (pinning is per process), so it
 * takes turns with the application thread: the "preempt" column shows it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bench.h"

struct zst {
	char path[96];
	char url[110];
	void *ctx, *sock;
};

static int zfail(const char *what)
{
	return bench_fail("%s: %s", what, zmq_strerror(zmq_errno()));
}

static int zsetup(struct chan *c)
{
	struct zst *s = calloc(1, sizeof(*s));

	if (!s)
		return bench_sys("calloc", ENOMEM);
	c->st = s;
	snprintf(s->path, sizeof(s->path), "/tmp/%s-zmq.sock", c->tag);
	snprintf(s->url, sizeof(s->url), "ipc://%s", s->path);
	return 0;
}

static int zopen(struct chan *c)
{
	struct zst *s = c->st;
	int linger = 0;

	s->ctx = zmq_ctx_new();
	if (!s->ctx)
		return zfail("zmq_ctx_new");
	s->sock = zmq_socket(s->ctx, ZMQ_PAIR);
	if (!s->sock)
		return zfail("zmq_socket");
	/* closing must not wait for what a failed run left queued */
	if (zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0)
		return zfail("zmq_setsockopt(ZMQ_LINGER)");
	if (c->side == SIDE_B) {
		if (zmq_bind(s->sock, s->url) < 0)
			return zfail("zmq_bind");
	} else if (zmq_connect(s->sock, s->url) < 0) {
		/* connects (and retries) in the background until B binds */
		return zfail("zmq_connect");
	}
	/* a hello from A: connected before anything is timed */
	if (c->side == SIDE_A ? zmq_send(s->sock, "h", 1, 0) < 0 :
				zmq_recv(s->sock, c->rbuf, 1, 0) < 0)
		return zfail("zmq hello");
	return 0;
}

static int zsend(struct chan *c, const void *buf, size_t len,
		 unsigned flags)
{
	struct zst *s = c->st;

	(void)flags;
	while (zmq_send(s->sock, buf, len, 0) < 0)
		if (zmq_errno() != EINTR)
			return zfail("zmq_send");
	return 0;
}

static int zrecv(struct chan *c, const void **buf, size_t *len)
{
	struct zst *s = c->st;
	int n;

	while ((n = zmq_recv(s->sock, c->rbuf, RBUF_SIZE, 0)) < 0)
		if (zmq_errno() != EINTR)
			return zfail("zmq_recv");
	if (n > RBUF_SIZE)
		return bench_fail("zmq_recv: a message of %d bytes", n);
	*buf = c->rbuf;
	*len = (size_t)n;
	return 0;
}

static void zclose(struct chan *c)
{
	struct zst *s = c->st;

	if (s->sock)
		zmq_close(s->sock);
	if (s->ctx)
		zmq_ctx_term(s->ctx);
}

static void zteardown(struct chan *c)
{
	struct zst *s = c->st;

	if (!s)
		return;
	if (unlink(s->path) < 0 && errno != ENOENT)
		fprintf(stderr, "mmipc-bench: zmq: unlink %s: %s\n", s->path,
			strerror(errno));
	free(s);
	c->st = NULL;
}

const struct mech mech_zmq = {
	.name = "zmq",
	.what = "ZeroMQ PAIR sockets over ipc:// (a UNIX socket)",
	.setup = zsetup,
	.open = zopen,
	.send = zsend,
	.recv = zrecv,
	.close = zclose,
	.teardown = zteardown,
};
