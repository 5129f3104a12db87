/*
 * t_ring_idle - a blocked end costs no CPU (the default wait mode spins
 * briefly, then sleeps). Measured with getrusage in the waiting process:
 *
 *  - a consumer in recv(2000) on an empty ring (a live producer sends
 *    nothing) uses < 20 ms of CPU over the 2 s (1 %), and again in
 *    recv(-1) until the producer sends after 2 s;
 *  - a producer in send(2000) on a full ring (a live consumer reads
 *    nothing) likewise, and in send(-1) until the consumer reads.
 *
 * Both cases run at the same time, in four processes.
 */
#include "ring_util.h"

#define WAIT_MS 2000
#define MAX_CPU_MS 20.0

struct sh {
	uint64_t attached[2];	/* the idle peer of case 0 / 1 is there */
	uint64_t waiting[2];	/* the measured end starts its 2nd wait */
	double cpu[2][2];	/* [case][wait]: CPU ms used */
	int64_t wall[2][2];
};

struct ctx {
	const char *addr;
	int which;		/* 0: consumer waits, 1: producer waits */
	struct sh *sh;
};

/* The peer that idles, then after 2 s of the second wait acts once. */
static int peer(void *arg)
{
	struct ctx *x = arg;
	int role = x->which == 0 ? MMIPC_ROLE_PRODUCER : MMIPC_ROLE_CONSUMER;
	mmipc_ring *ring = NULL;
	char buf[64];
	size_t len;

	CHECK_RC(mmipc_ring_open(&ring, x->addr, role, 0), 0);
	rg_store(&x->sh->attached[x->which], 1);
	rg_await_at_least(&x->sh->waiting[x->which], 1, 20000, "second wait");
	ru_sleep_ms(WAIT_MS);
	if (role == MMIPC_ROLE_PRODUCER)
		CHECK_RC(mmipc_ring_send(ring, "wake", 4, 0, 1000), 0);
	else
		CHECK_RC(mmipc_ring_recv(ring, buf, sizeof(buf), &len, 1000),
			 1);
	rg_await_at_least(&x->sh->waiting[x->which], 2, 20000, "done");
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

static int waiter(void *arg)
{
	struct ctx *x = arg;
	int role = x->which == 0 ? MMIPC_ROLE_CONSUMER : MMIPC_ROLE_PRODUCER;
	mmipc_ring *ring = NULL;
	char buf[64];
	size_t len;
	double cpu;
	int64_t t0;
	int rc, w;

	CHECK_RC(mmipc_ring_open(&ring, x->addr, role, 0), 0);
	rg_await_at_least(&x->sh->attached[x->which], 1, 10000, "peer");
	if (role == MMIPC_ROLE_PRODUCER)
		while ((rc = mmipc_ring_send(ring, "full", 4, 0, 0)) == 0)
			;
	for (w = 0; w < 2; w++) {
		int timeout = w == 0 ? WAIT_MS : -1;

		if (w == 1)
			rg_store(&x->sh->waiting[x->which], 1);
		cpu = rg_cpu_ms();
		t0 = ru_now_ns();
		if (role == MMIPC_ROLE_PRODUCER)
			rc = mmipc_ring_send(ring, "more", 4, 0, timeout);
		else
			rc = mmipc_ring_recv(ring, buf, sizeof(buf), &len,
					     timeout);
		x->sh->cpu[x->which][w] = rg_cpu_ms() - cpu;
		x->sh->wall[x->which][w] = ru_ms_since(t0);
		if (w == 0)
			CHECK_RC(rc, -ETIMEDOUT);
		else
			CHECK_RC(rc, role == MMIPC_ROLE_PRODUCER ? 0 : 1);
	}
	rg_store(&x->sh->waiting[x->which], 2);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

int main(void)
{
	static const char *const what[2] = { "consumer on an empty ring",
					     "producer on a full ring" };
	struct sh *sh;
	struct ctx x[2];
	mmipc_region *r[2];
	char addr[2][128];
	pid_t pids[4];
	int i, w;

	rg_init(60);
	sh = rg_shared(sizeof(*sh));
	for (i = 0; i < 2; i++) {
		rg_name(addr[i], sizeof(addr[i]), "idle");
		CHECK_RC(mmipc_ring_create(&r[i], addr[i], 4096, 0, 0), 0);
		x[i].addr = addr[i];
		x[i].which = i;
		x[i].sh = sh;
		pids[2 * i] = rg_fork(peer, &x[i]);
		pids[2 * i + 1] = rg_fork(waiter, &x[i]);
	}
	for (i = 0; i < 4; i++)
		RG_WAIT_OK(pids[i], i & 1 ? "waiter" : "peer");
	for (i = 0; i < 2; i++)
		for (w = 0; w < 2; w++) {
			printf("%s, %s: %.1f ms CPU in %lld ms\n", what[i],
			       w == 0 ? "timeout 2000" : "timeout -1",
			       sh->cpu[i][w], (long long)sh->wall[i][w]);
			CHECK(sh->wall[i][w] >= WAIT_MS - 100,
			      "%s: the wait lasted %lld ms", what[i],
			      (long long)sh->wall[i][w]);
			CHECK(sh->cpu[i][w] < MAX_CPU_MS,
			      "%s: %.1f ms of CPU in a %lld ms wait", what[i],
			      sh->cpu[i][w], (long long)sh->wall[i][w]);
		}
	for (i = 0; i < 2; i++) {
		CHECK_RC(mmipc_region_close(r[i]), 0);
		CHECK_RC(mmipc_region_unlink(addr[i], 0), 0);
	}
	return T_PASS;
}
