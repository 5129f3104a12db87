/*
 * peers_boost.cpp - Boost.Interprocess message_queue: a named queue in
 * /dev/shm each way, 10 messages deep (as the POSIX queues), made by the
 * parent before fork() and removed after the row; each side opens them by
 * name. send() and receive() copy and block on the queue's process-shared
 * mutex and condition variables.
 *
 * C++ only here: the rest of the benchmark sees the vtable (bench.h).
 */
#include <boost/interprocess/ipc/message_queue.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "bench.h"

namespace bi = boost::interprocess;

#define BOOST_DEPTH 10

struct bst {
	char name[2][96];		/* A->B, B->A */
	int nq;
	bi::message_queue *out, *in;
};

static int bsetup(struct chan *c)
{
	bst *s = new (std::nothrow) bst();
	int i;

	if (!s)
		return bench_sys("new", ENOMEM);
	c->st = s;
	s->nq = c->stream ? 1 : 2;
	for (i = 0; i < s->nq; i++) {
		std::snprintf(s->name[i], sizeof(s->name[i]), "%s-%s", c->tag,
			      i ? "ba" : "ab");
		try {
			bi::message_queue q(bi::create_only, s->name[i],
					    BOOST_DEPTH, c->size);
		} catch (const bi::interprocess_exception &e) {
			s->name[i][0] = '\0';
			return bench_fail("message_queue(create_only): %s",
					  e.what());
		}
	}
	return 0;
}

static int bopen(struct chan *c)
{
	bst *s = static_cast<bst *>(c->st);
	int out = c->side == SIDE_A ? 0 : 1;

	try {
		if (out < s->nq)
			s->out = new bi::message_queue(bi::open_only,
						       s->name[out]);
		if (1 - out < s->nq)
			s->in = new bi::message_queue(bi::open_only,
						      s->name[1 - out]);
	} catch (const bi::interprocess_exception &e) {
		return bench_fail("message_queue(open_only): %s", e.what());
	} catch (const std::bad_alloc &) {
		return bench_sys("new", ENOMEM);
	}
	return 0;
}

static int bsend(struct chan *c, const void *buf, size_t len, unsigned flags)
{
	bst *s = static_cast<bst *>(c->st);

	(void)flags;
	try {
		s->out->send(buf, len, 0);
	} catch (const bi::interprocess_exception &e) {
		return bench_fail("message_queue::send: %s", e.what());
	}
	return 0;
}

static int brecv(struct chan *c, const void **buf, size_t *len)
{
	bst *s = static_cast<bst *>(c->st);
	bi::message_queue::size_type got = 0;
	unsigned prio;

	try {
		s->in->receive(c->rbuf, RBUF_SIZE, got, prio);
	} catch (const bi::interprocess_exception &e) {
		return bench_fail("message_queue::receive: %s", e.what());
	}
	*buf = c->rbuf;
	*len = got;
	return 0;
}

static void bclose(struct chan *c)
{
	bst *s = static_cast<bst *>(c->st);

	delete s->out;
	delete s->in;
	s->out = s->in = nullptr;
}

static void bteardown(struct chan *c)
{
	bst *s = static_cast<bst *>(c->st);
	int i;

	if (!s)
		return;
	for (i = 0; i < s->nq; i++)
		if (s->name[i][0] && !bi::message_queue::remove(s->name[i]))
			std::fprintf(stderr, "mmipc-bench: boost-mq: cannot "
				     "remove %s\n", s->name[i]);
	delete s;
	c->st = nullptr;
}

extern "C" const struct mech mech_boost = {
	.name = "boost-mq",
	.flags = 0,
	.what = "Boost.Interprocess message_queue, 10 deep, one each way",
	.setup = bsetup,
	.open = bopen,
	.loan = nullptr,
	.send = bsend,
	.flush = nullptr,
	.recv = brecv,
	.release = nullptr,
	.close = bclose,
	.teardown = bteardown,
	.row_start = nullptr,
	.row_stop = nullptr,
};
