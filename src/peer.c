/*
 * peer.c - the peer table: which processes are attached to a region, and
 * whether they still live. The table's format is in layout.h.
 *
 * How liveness is judged. Two ways were open: the pid plus the process's
 * start time (field 22 of /proc/PID/stat), or an OFD lock (fcntl) held by
 * each peer on one byte of the region's file, which the kernel drops when
 * the process dies. The lock needs a file: an "anon" region has none, and
 * a child that inherits the descriptor across fork() holds the parent's
 * lock too, so a dead parent would look alive. The pid and start time work
 * for every backend and cost one read of /proc per check (a few
 * microseconds: cheap enough for a blocked waiter to do every 250 ms, and
 * nothing on the data path). Their blind spot is a peer in another pid
 * namespace: its pid means nothing here, so such a peer is "cannot tell"
 * (-1), which every caller treats as alive — never reclaimed, never stale.
 * An OFD lock would see across namespaces; it can be added beside this
 * for file-backed regions without changing the table.
 *
 * Everything in the table may have been written by a hostile process: a
 * slot decodes to a pid, a state and a role, which are checked; garbage
 * makes a slot "not a live peer", never an access outside the table.
 */
#include <string.h>
#include <unistd.h>

#include "internal.h"

static struct mmipc_peer_slot *slots(const struct mmipc_region *r)
{
	return (struct mmipc_peer_slot *)((char *)r->base + MMIPC_PEER_OFF);
}

/* A slot somebody holds: CLAIMING or ACTIVE. Any other state is one no
 * version of us writes: garbage, no peer (layout.h), free to reclaim. */
static bool in_use(uint64_t w)
{
	return PEER_STATE(w) == PEER_CLAIMING || PEER_STATE(w) == PEER_ACTIVE;
}

/* Liveness of the process a slot names, given the word seen in it. */
static int slot_alive(const struct mmipc_peer_slot *s, uint64_t w)
{
	uint64_t pidns;

	if (!in_use(w))
		return 0;
	pidns = READ_ONCE(s->pidns);
	if (pidns != 0 && pidns != proc_self_pidns())
		return -1;
	/*
	 * While CLAIMING, start (and pidns) are still the previous holder's:
	 * the claimer writes its own only after the CAS. Judged by them, a
	 * live claimer looked like a reused pid, a second attacher stole
	 * the slot, and two live peers each took it for theirs (a survivor
	 * then never noticed its peer's death). The pid alone (0) decides.
	 */
	return proc_alive(PEER_PID(w), PEER_STATE(w) == PEER_CLAIMING
					       ? 0
					       : READ_ONCE(s->start));
}

/* Takes slot i from the word w seen in it; fills it; true on success. */
static bool claim(struct mmipc_peer_slot *s, uint64_t w, uint32_t role,
		  uint64_t *mine)
{
	int32_t pid = (int32_t)getpid();
	uint32_t gen = PEER_GEN(w) + 1;

	/* acquire on success: nothing we write below moves before the CAS
	 * that made the slot ours */
	if (!__atomic_compare_exchange_n(&s->word, &w,
					 PEER_WORD(pid, gen, PEER_CLAIMING),
					 false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	WRITE_ONCE(s->start, proc_self_start_time());
	WRITE_ONCE(s->pidns, proc_self_pidns());
	WRITE_ONCE(s->attach_ns, now_ns(CLOCK_REALTIME));
	WRITE_ONCE(s->role, role);
	*mine = PEER_WORD(pid, gen, PEER_ACTIVE);
	/* a CAS, not a store: if the slot was taken from us meanwhile
	 * (judged dead: a claimer whose pid this namespace cannot see), it
	 * is the taker's, and we look for another. Release: a reader that
	 * sees ACTIVE (acquire) sees the fields. */
	w = PEER_WORD(pid, gen, PEER_CLAIMING);
	return __atomic_compare_exchange_n(&s->word, &w, *mine, false,
					   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/*
 * peer_attach - take a slot for this process in @role: a free one if there
 * is one, else one whose process is dead. Returns 0 with *slot and *word
 * (what detach must find there), or -EUSERS when all are taken by live
 * (or unknowable) peers.
 */
int peer_attach(struct mmipc_region *r, uint32_t role, uint32_t *slot,
		uint64_t *word)
{
	struct mmipc_peer_slot *t = slots(r);
	uint32_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < MMIPC_PEER_SLOTS; i++) {
			uint64_t w = __atomic_load_n(&t[i].word,
						     __ATOMIC_ACQUIRE);
			bool free = PEER_STATE(w) == PEER_FREE;

			if (pass == 0 ? !free : free || slot_alive(&t[i], w) != 0)
				continue;
			if (claim(&t[i], w, role, word)) {
				*slot = i;
				return 0;
			}
		}
	}
	return -EUSERS;
}

/* peer_detach - free our slot, unless someone took it from us (it was
 * judged dead: then it is theirs now and we leave it alone). */
void peer_detach(struct mmipc_region *r, uint32_t slot, uint64_t word)
{
	struct mmipc_peer_slot *s = &slots(r)[slot];
	uint64_t expect = word;

	/* release: our last writes to the region precede the slot's freeing */
	__atomic_compare_exchange_n(&s->word, &expect,
				    PEER_WORD(0, PEER_GEN(word), PEER_FREE),
				    false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/*
 * peer_alive - is the process in @slot, attached as @role, alive? 1, 0, or
 * -1 (cannot tell). A slot out of range, free, or holding another role is
 * not our peer any more: 0.
 */
int peer_alive(const struct mmipc_region *r, uint32_t slot, uint32_t role)
{
	const struct mmipc_peer_slot *s;
	uint64_t w;

	if (slot >= MMIPC_PEER_SLOTS)
		return 0;
	s = &slots(r)[slot];
	w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
	if (PEER_STATE(w) != PEER_ACTIVE || READ_ONCE(s->role) != role)
		return 0;
	return slot_alive(s, w);
}

/* peer_count - slots in use, and of those the ones alive or unknowable. */
void peer_count(const struct mmipc_region *r, uint32_t *peers,
		uint32_t *alive)
{
	const struct mmipc_peer_slot *t = slots(r);
	uint32_t i;

	*peers = *alive = 0;
	for (i = 0; i < MMIPC_PEER_SLOTS; i++) {
		uint64_t w = __atomic_load_n(&t[i].word, __ATOMIC_ACQUIRE);

		if (!in_use(w))
			continue;
		(*peers)++;
		if (slot_alive(&t[i], w) != 0)
			(*alive)++;
	}
}

int mmipc_region_peers(const mmipc_region *r, struct mmipc_peer_info *v,
		       int max)
{
	const struct mmipc_peer_slot *t;
	uint32_t i;
	int n = 0;

	if (r->hdr == NULL || r->map_size < MMIPC_HDR_SIZE)
		return 0; /* a plain file has no peer table */
	t = slots(r);
	for (i = 0; i < MMIPC_PEER_SLOTS; i++) {
		uint64_t w = __atomic_load_n(&t[i].word, __ATOMIC_ACQUIRE);

		if (!in_use(w))
			continue;
		if (v != NULL && n < max) {
			struct mmipc_peer_info *p = &v[n];

			memset(p, 0, sizeof(*p));
			p->slot = i;
			p->role = READ_ONCE(t[i].role);
			p->pid = PEER_PID(w);
			p->start = READ_ONCE(t[i].start);
			p->attach_ns = READ_ONCE(t[i].attach_ns);
			p->alive = slot_alive(&t[i], w);
		}
		n++;
	}
	return n;
}
