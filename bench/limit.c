/*
 * limit.c - what the hardware allows, for the other rows to be held
 * against:
 *
 *  cacheline  two processes ping-pong one cache line of shared memory,
 *             each spinning on it until the other's write shows: the
 *             least a message between two CPUs can cost. It is also the
 *             probe taken before every row (the host moves this machine's
 *             vCPUs around, and the limit with them).
 *  memcpy     one thread copying 4 KiB, 64 KiB and 1 MiB buffers: the most
 *             bytes a copying channel could move.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "bench.h"

/* ---------------------------------------------------------------- */
/* cacheline                                                         */
/* ---------------------------------------------------------------- */

/*
 * The line holds a counter. Each side remembers the last value it saw or
 * wrote; a send stores the next value, a receive spins until the line
 * holds something else. The sides alternate, so every store is seen.
 */
struct line_st {
	uint64_t *line;		/* a page of its own, shared */
	uint64_t v;		/* this side's last value */
};

static int line_setup(struct chan *c)
{
	struct line_st *s = calloc(1, sizeof(*s));
	void *p;

	if (!s)
		return bench_sys("calloc", ENOMEM);
	c->st = s;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return bench_sys("mmap", errno);
	s->line = p;
	return 0;
}

static int line_open(struct chan *c)
{
	(void)c;
	return 0;
}

static int line_send(struct chan *c, const void *buf, size_t len,
		     unsigned flags)
{
	struct line_st *s = c->st;

	(void)buf;
	(void)len;
	(void)flags;
	/* release: pairs with the acquire load of the other side */
	__atomic_store_n(s->line, ++s->v, __ATOMIC_RELEASE);
	return 0;
}

static int line_recv(struct chan *c, const void **buf, size_t *len)
{
	struct line_st *s = c->st;
	uint64_t v;

	while ((v = __atomic_load_n(s->line, __ATOMIC_ACQUIRE)) == s->v)
		cpu_relax();
	s->v = v;
	*buf = c->rbuf;
	*len = c->size;
	return 0;
}

static void line_teardown(struct chan *c)
{
	struct line_st *s = c->st;

	if (!s)
		return;
	if (s->line)
		munmap(s->line, 4096);
	free(s);
	c->st = NULL;
}

const struct mech mech_cacheline = {
	.name = "cacheline",
	.flags = M_NOPAYLOAD,
	.what = "one cache line ping-ponged by two spinning processes",
	.setup = line_setup,
	.open = line_open,
	.send = line_send,
	.recv = line_recv,
	.teardown = line_teardown,
};

/* ---------------------------------------------------------------- */
/* memcpy                                                            */
/* ---------------------------------------------------------------- */

#define MEMCPY_RUNS 9

struct copy_arg {
	size_t size;
	double seconds;
	int runs;
};

struct copy_res {
	double mb[MEMCPY_RUNS];
	double cpu, wall;
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* copy_child - in the pinned child: runs of copying src to dst, the clock
 * read about every MiB copied. */
static int copy_child(void *arg, void *res)
{
	const struct copy_arg *a = arg;
	struct copy_res *r = res;
	size_t size = a->size;
	uint64_t copies, i, check = size >= (1 << 20) ? 1 : (1 << 20) / size;
	unsigned char *src, *dst;
	int64_t t0, t1, deadline;
	double cpu0;
	int run;

	src = aligned_alloc(4096, size);
	dst = aligned_alloc(4096, size);
	if (!src || !dst)
		return bench_sys("aligned_alloc", ENOMEM);
	memset(src, 0x5a, size);
	memset(dst, 0, size);
	cpu0 = cpu_now();
	t0 = now_ns();
	for (run = 0; run < a->runs; run++) {
		copies = 0;
		t1 = now_ns();
		deadline = t1 + (int64_t)(a->seconds * 1e9);
		do {
			for (i = 0; i < check; i++) {
				memcpy(dst, src, size);
				/* the copy must happen: dst is "used" */
				__asm__ __volatile__("" : : "r"(dst) : "memory");
			}
			copies += check;
		} while (now_ns() < deadline);
		r->mb[run] = (double)copies * (double)size /
			     ((double)(now_ns() - t1) / 1e9) / 1e6;
	}
	r->wall = (double)(now_ns() - t0) / 1e9;
	r->cpu = cpu_now() - cpu0;
	if (memcmp(src, dst, size) != 0)
		return bench_fail("memcpy: the copy differs");
	free(src);
	free(dst);
	return 0;
}

int memcpy_bw(size_t size, const struct params *p, struct thr_result *out,
	      char *why, size_t whylen)
{
	struct copy_arg a = { size, p->seconds, p->runs };
	struct copy_res r;

	if (a.runs > MEMCPY_RUNS)
		a.runs = MEMCPY_RUNS;
	if (bench_run_child(copy_child, &a, p->cpu[SIDE_A], &r, sizeof(r),
			    60 + a.runs * (a.seconds + 10), why, whylen) < 0)
		return -1;
	qsort(r.mb, a.runs, sizeof(double), cmp_dbl);
	memset(out, 0, sizeof(*out));
	out->mb = r.mb[a.runs / 2];
	out->mb_min = r.mb[0];
	out->mb_max = r.mb[a.runs - 1];
	out->cpu_a = r.cpu;
	out->wall = r.wall;
	out->runs = a.runs;
	return 0;
}
