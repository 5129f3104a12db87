/*
 * t_ring_backends - a stream of 100,000 messages (random sizes, a quarter
 * batched with MMIPC_RING_MORE; copying for some, zero-copy for others)
 * through a ring on every backend (the consumer taking batches with
 * peek_batch/release_batch on some): shm: and file: (and a bare path)
 * between two exec'd processes that open it by name; anon and memfd
 * between two forked children that attach to the region they inherit;
 * and memfd passed over a UNIX socket (mmipc_region_send_fd) to an exec'd
 * consumer. Every message arrives once, in order, intact, then
 * end-of-stream; the region reports its backend; the stats count them.
 */
#include <sys/socket.h>

#include "ring_util.h"

#define N   100000
#define CAP (32 * 1024)

struct fctx {
	mmipc_region *r;
	int role;
	struct rg_stream s;
};

static int forked_end(void *arg)
{
	struct fctx *x = arg;
	mmipc_ring *ring = NULL;

	CHECK_RC(mmipc_ring_attach(&ring, x->r, x->role, 0), 0);
	return rg_run_end(ring, x->role, &x->s, "inherited");
}

/* The exec'd end of the memfd case: argv "mcons FD FIRST N SEED OPTS MAX". */
static int memfd_consumer(int argc, char **argv)
{
	struct rg_stream s;
	mmipc_region *r = NULL;
	mmipc_ring *ring = NULL;
	struct mmipc_region_info info;

	CHECK(argc == 8, "mcons: %d arguments", argc);
	rg_parse(&s, argv);
	CHECK_RC(mmipc_region_recv_fd(&r, atoi(argv[2]), MMIPC_KIND_RING, 0),
		 0);
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.backend == MMIPC_BACKEND_MEMFD, "backend %u", info.backend);
	CHECK_RC(mmipc_ring_attach(&ring, r, MMIPC_ROLE_CONSUMER, 0), 0);
	rg_run_end(ring, MMIPC_ROLE_CONSUMER, &s, "memfd passed");
	CHECK_RC(mmipc_region_close(r), 0);
	return T_PASS;
}

static void stream_of(struct rg_stream *s, uint32_t seed, bool zc)
{
	memset(s, 0, sizeof(*s));
	s->n = N;
	s->seed = seed;
	s->zc = zc;
	s->more = true;
	s->max = 4096;
	s->timeout_ms = -1;
	s->expect_eof = true;
}

static void check_done(mmipc_region *r, uint32_t backend, const char *what)
{
	struct mmipc_region_info info;
	struct mmipc_ring_stats st;

	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.backend == backend, "%s: backend %u, want %u", what,
	      info.backend, backend);
	CHECK(info.kind == MMIPC_KIND_RING && info.params[0] == CAP,
	      "%s: kind %u capacity %llu", what, info.kind,
	      (unsigned long long)info.params[0]);
	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	CHECK(st.msgs_sent == N && st.msgs_recv == N && st.used == 0,
	      "%s: stats %llu sent %llu received %llu used", what,
	      (unsigned long long)st.msgs_sent,
	      (unsigned long long)st.msgs_recv, (unsigned long long)st.used);
	printf("%s: %d messages\n", what, N);
}

/* shm:, file:, a bare path: two exec'd processes open it by name. */
static void named(const char *addr, uint32_t backend, bool zc)
{
	struct rg_stream s;
	struct rg_argv pa, ca;
	mmipc_region *r = NULL;
	pid_t pp, pc, pids[2];

	stream_of(&s, (uint32_t)getpid() + backend, zc);
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	pc = rg_exec(rg_args(&ca, "cons", addr, &s));
	pp = rg_exec(rg_args(&pa, "prod", addr, &s));
	pids[0] = pp;
	pids[1] = pc;
	rg_wait_all(pids, 2, -1, addr);
	check_done(r, backend, addr);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

/* anon, memfd: two forked children attach to what they inherit. */
static void inherited(const char *addr, uint32_t backend, bool zc)
{
	struct fctx p, c;
	mmipc_region *r = NULL;
	pid_t pp, pc, pids[2];

	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	p.r = r;
	p.role = MMIPC_ROLE_PRODUCER;
	stream_of(&p.s, (uint32_t)getpid() + 10 + backend, zc);
	c = p;
	c.role = MMIPC_ROLE_CONSUMER;
	c.s.batch = backend == MMIPC_BACKEND_ANON;
	pp = rg_fork(forked_end, &p);
	pc = rg_fork(forked_end, &c);
	pids[0] = pp;
	pids[1] = pc;
	rg_wait_all(pids, 2, -1, addr);
	check_done(r, backend, addr);
	CHECK_RC(mmipc_region_close(r), 0);
}

/* memfd passed to an exec'd consumer; the producer forked. */
static void passed(void)
{
	struct rg_argv ca;
	struct fctx p;
	mmipc_region *r = NULL;
	char fd_s[16];
	char *const *args;
	char *argv[8];
	int sv[2], i;
	pid_t pp, pc, pids[2];

	CHECK_RC(mmipc_ring_create(&r, "memfd", CAP, 0, 0), 0);
	p.r = r;
	p.role = MMIPC_ROLE_PRODUCER;
	stream_of(&p.s, (uint32_t)getpid() + 20, true);
	p.s.batch = true; /* the consumer's, passed in its arguments */
	/* the consumer's end must survive its exec: no CLOEXEC */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s",
	      strerror(errno));
	snprintf(fd_s, sizeof(fd_s), "%d", sv[1]);
	args = rg_args(&ca, "mcons", "-", &p.s);
	for (i = 0; i < 8; i++)
		argv[i] = args[i];
	argv[1] = fd_s;
	pc = rg_exec(argv);
	close(sv[1]);
	CHECK_RC(mmipc_region_send_fd(r, sv[0]), 0);
	close(sv[0]);
	pp = rg_fork(forked_end, &p);
	pids[0] = pp;
	pids[1] = pc;
	rg_wait_all(pids, 2, -1, "memfd passed");
	check_done(r, MMIPC_BACKEND_MEMFD, "memfd passed over a socket");
	CHECK_RC(mmipc_region_close(r), 0);
}

int main(int argc, char **argv)
{
	char addr[512], dir[256];

	if (argc > 1 && strcmp(argv[1], "mcons") == 0)
		return memfd_consumer(argc, argv);
	if (argc > 1)
		return rg_end_main(argc, argv);
	rg_init(110);

	named(rg_name(addr, sizeof(addr), "backends"), MMIPC_BACKEND_SHM,
	      false);
	rg_tmpdir(dir, sizeof(dir));
	snprintf(addr, sizeof(addr), "file:%s/ring", dir);
	named(addr, MMIPC_BACKEND_FILE, true);
	snprintf(addr, sizeof(addr), "%s/ring2", dir);
	named(addr, MMIPC_BACKEND_FILE, false);
	rg_rmtmpdir(dir);
	inherited("anon", MMIPC_BACKEND_ANON, false);
	inherited("memfd", MMIPC_BACKEND_MEMFD, true);
	passed();
	return T_PASS;
}
