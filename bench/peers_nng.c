/*
 * peers_nng.c - nng: a pair (v1) socket over ipc:// (a UNIX socket in
 * /tmp, removed after the row). B listens, A dials in the background
 * (retried every 10 ms until B listens); nng_send()/nng_recv() copy. For
 * a stream both sockets queue up to 1000 messages (zmq's default
 * high-water mark; nng's default is no queue). Each side starts nng after
 * fork(); its threads share the side's CPU (pinning is per process).
 */
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct nst {
	char path[96];
	char url[110];
	nng_socket sock;
	bool open;
};

static int nfail(const char *what, int rv)
{
	return bench_fail("%s: %s", what, nng_strerror(rv));
}

static int nsetup(struct chan *c)
{
	struct nst *s = calloc(1, sizeof(*s));

	if (!s)
		return bench_sys("calloc", ENOMEM);
	c->st = s;
	snprintf(s->path, sizeof(s->path), "/tmp/%s-nng.sock", c->tag);
	snprintf(s->url, sizeof(s->url), "ipc://%s", s->path);
	return 0;
}

static int nopen_socket(struct chan *c)
{
	struct nst *s = c->st;
	int rv;

	rv = nng_pair1_open(&s->sock);
	if (rv != 0)
		return nfail("nng_pair1_open", rv);
	s->open = true;
	/* a stream gets a queue of messages each side, as zmq has by
	 * default (its high-water mark); the default is no queue at all */
	if (c->stream &&
	    ((rv = nng_socket_set_int(s->sock, NNG_OPT_SENDBUF, 1000)) != 0 ||
	     (rv = nng_socket_set_int(s->sock, NNG_OPT_RECVBUF, 1000)) != 0))
		return nfail("nng_socket_set_int(NNG_OPT_SENDBUF/RECVBUF)", rv);
	if (c->side == SIDE_B) {
		rv = nng_listen(s->sock, s->url, NULL, 0);
		if (rv != 0)
			return nfail("nng_listen", rv);
		return 0;
	}
	rv = nng_socket_set_ms(s->sock, NNG_OPT_RECONNMINT, 10);
	if (rv != 0)
		return nfail("nng_socket_set_ms(NNG_OPT_RECONNMINT)", rv);
	rv = nng_dial(s->sock, s->url, NULL, NNG_FLAG_NONBLOCK);
	if (rv != 0)
		return nfail("nng_dial", rv);
	return 0;
}

/* hello - one byte from A: connected before anything is timed */
static int hello(struct chan *c)
{
	struct nst *s = c->st;
	size_t n = RBUF_SIZE;
	int rv;

	if (c->side == SIDE_A)
		rv = nng_send(s->sock, "h", 1, 0);
	else
		rv = nng_recv(s->sock, c->rbuf, &n, 0);
	if (rv != 0)
		return nfail("nng hello", rv);
	return 0;
}

static int nopen(struct chan *c)
{
	return nopen_socket(c) < 0 ? -1 : hello(c);
}

static int nsend(struct chan *c, const void *buf, size_t len,
		 unsigned flags)
{
	struct nst *s = c->st;
	int rv;

	(void)flags;
	rv = nng_send(s->sock, (void *)buf, len, 0);
	if (rv != 0)
		return nfail("nng_send", rv);
	return 0;
}

static int nrecv(struct chan *c, const void **buf, size_t *len)
{
	struct nst *s = c->st;
	size_t n = RBUF_SIZE;
	int rv;

	rv = nng_recv(s->sock, c->rbuf, &n, 0);
	if (rv != 0)
		return nfail("nng_recv", rv);
	*buf = c->rbuf;
	*len = n;
	return 0;
}

static void nclose(struct chan *c)
{
	struct nst *s = c->st;

	if (s->open)
		nng_close(s->sock);
}

static void nteardown(struct chan *c)
{
	struct nst *s = c->st;

	if (!s)
		return;
	if (unlink(s->path) < 0 && errno != ENOENT)
		fprintf(stderr, "mmipc-bench: nng: unlink %s: %s\n", s->path,
			strerror(errno));
	free(s);
	c->st = NULL;
}

const struct mech mech_nng = {
	.name = "nng",
	.what = "nng pair1 sockets over ipc:// (a UNIX socket)",
	.setup = nsetup,
	.open = nopen,
	.send = nsend,
	.recv = nrecv,
	.close = nclose,
	.teardown = nteardown,
};
