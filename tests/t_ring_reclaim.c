/*
 * t_ring_reclaim - more dead ends than the peer table has slots: KILLS
 * consumers, one after the other, attach and are killed with SIGKILL
 * while attached, then KILLS producers the same way. Each attach must
 * succeed, also once every slot of the table holds a dead peer and attach
 * reclaims one - possibly the very slot the dead holder of its end sat in
 * (that end word names the attacher's own slot then: no live holder, not
 * -EBUSY). Then a producer and a consumer still carry a message.
 */
#include "ring_util.h"

#define KILLS 40 /* > MMIPC_PEER_SLOTS (16), twice over */

struct attach {
	char addr[128];
	int role;
	uint64_t attached;	/* the child's attach returned 0 */
	uint64_t rc;		/* else its error, + 1000 */
};

static int attach_and_wait(void *p)
{
	struct attach *a = p;
	mmipc_ring *r;
	int rc = mmipc_ring_open(&r, a->addr, a->role, 0);

	if (rc < 0) {
		rg_store(&a->rc, (uint64_t)(rc + 1000));
		return T_FAIL;
	}
	rg_store(&a->attached, 1);
	for (;;)
		pause(); /* killed here, attached */
}

static void kill_attached(struct attach *a, int role, int i)
{
	pid_t pid;

	a->role = role;
	rg_store(&a->attached, 0);
	rg_store(&a->rc, 0);
	pid = rg_fork(attach_and_wait, a);
	while (rg_load(&a->attached) == 0 && rg_load(&a->rc) == 0)
		ru_sleep_ms(1);
	CHECK(rg_load(&a->attached) == 1, "%s %d: attach failed: %s",
	      role == MMIPC_ROLE_PRODUCER ? "producer" : "consumer", i,
	      mmipc_strerror((int)rg_load(&a->rc) - 1000));
	rg_kill(pid);
}

int main(void)
{
	struct attach *a;
	mmipc_region *reg = NULL;
	mmipc_ring *p, *c;
	char buf[16];
	size_t len;
	int i;

	rg_init(120);
	a = rg_shared(sizeof(*a));
	rg_name(a->addr, sizeof(a->addr), "reclaim");
	CHECK_RC(mmipc_ring_create(&reg, a->addr, 4096, 0, 0), 0);
	for (i = 0; i < KILLS; i++)
		kill_attached(a, MMIPC_ROLE_CONSUMER, i);
	for (i = 0; i < KILLS; i++)
		kill_attached(a, MMIPC_ROLE_PRODUCER, i);
	printf("%d consumers and %d producers attached and were killed, one "
	       "after the other: every attach succeeded\n", KILLS, KILLS);
	CHECK_RC(mmipc_ring_open(&p, a->addr, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_open(&c, a->addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "hello", 5, 0, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 1000), 1);
	CHECK(len == 5 && memcmp(buf, "hello", 5) == 0, "message garbled");
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_region_close(reg), 0);
	return T_PASS;
}
