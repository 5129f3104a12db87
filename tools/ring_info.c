/*
 * ring_info.c - what "mmipc stat" shows below a region's header: the
 * processes attached to it (mmipc_region_peers()) and, for a ring, its
 * fill level, counters and ends (mmipc_ring_stats()), as text and JSON.
 *
 * The region is opened read-only without waiting (region_open_peek()):
 * looking never attaches, never changes the region, never blocks.
 */
#include <stdio.h>
#include <string.h>

#include "tool.h"

int region_extra_read(const char *addr, uint32_t kind,
		      struct region_extra *x)
{
	mmipc_region *r;

	memset(x, 0, sizeof(*x));
	x->ring_rc = 1;
	x->open_rc = region_open_peek(&r, addr);
	if (x->open_rc < 0)
		return x->open_rc;
	x->npeers = mmipc_region_peers(r, x->peers, MMIPC_MAX_PEERS);
	if (kind == MMIPC_KIND_RING)
		x->ring_rc = mmipc_ring_stats(r, &x->ring);
	mmipc_region_close(r);
	return 0;
}

/* --- text ----------------------------------------------------------------- */

static void end_text(const char *key, uint32_t end, int32_t pid)
{
	printf("%s: %s", key, end_name(end));
	if (pid > 0)
		printf(" (pid %d)", pid);
	printf("\n");
}

static void ring_text(const struct mmipc_ring_stats *st)
{
	char human[32];

	fmt_size(st->capacity, human, sizeof(human));
	printf("ring_capacity: %llu (%s)\n",
	       (unsigned long long)st->capacity, human);
	printf("ring_used: %llu (%u%%)\n", (unsigned long long)st->used,
	       ring_fill_pct(st));
	printf("ring_msgs_sent: %llu\n", (unsigned long long)st->msgs_sent);
	printf("ring_msgs_recv: %llu\n", (unsigned long long)st->msgs_recv);
	printf("ring_bytes_sent: %llu\n", (unsigned long long)st->bytes_sent);
	printf("ring_bytes_recv: %llu\n", (unsigned long long)st->bytes_recv);
	end_text("ring_producer", st->producer, st->producer_pid);
	end_text("ring_consumer", st->consumer, st->consumer_pid);
	printf("ring_broken: %s\n", st->broken ? "yes" : "no");
}

static const char *alive_text(int32_t alive)
{
	return alive == 1 ? "yes" : alive == 0 ? "no" : "?";
}

static void peer_text(const struct mmipc_peer_info *p)
{
	char when[64], age[32];

	fmt_time_iso(p->attach_ns, when, sizeof(when));
	fmt_age(age_seconds(p->attach_ns), age, sizeof(age));
	printf("peer %u: %s, pid %d, alive %s, since %s (%s ago)\n", p->slot,
	       role_name(p->role), p->pid, alive_text(p->alive), when, age);
}

void region_extra_text(const struct mmipc_region_info *in,
		       const struct region_extra *x)
{
	int i;

	if (in->kind == MMIPC_KIND_RING && x->ring_rc == 0)
		ring_text(&x->ring);
	else if (in->kind == MMIPC_KIND_RING)
		printf("ring: ? (%s)\n", mmipc_strerror(x->open_rc < 0 ?
			x->open_rc : x->ring_rc));
	printf("peers: %u (%u alive)\n", in->peers, in->peers_alive);
	if (x->open_rc < 0 || x->npeers < 0)
		return;
	for (i = 0; i < x->npeers && i < MMIPC_MAX_PEERS; i++)
		peer_text(&x->peers[i]);
}

/* --- JSON ----------------------------------------------------------------- */

static void end_json(const char *key, uint32_t end, int32_t pid)
{
	printf("\"%s\": {\"state\": \"%s\", \"pid\": ", key, end_name(end));
	if (pid > 0)
		printf("%d}", pid);
	else
		printf("null}");
}

static void ring_json(const struct mmipc_ring_stats *st)
{
	printf("{\"capacity\": %llu, \"used\": %llu, \"fill_pct\": %u",
	       (unsigned long long)st->capacity, (unsigned long long)st->used,
	       ring_fill_pct(st));
	printf(", \"msgs_sent\": %llu, \"msgs_recv\": %llu",
	       (unsigned long long)st->msgs_sent,
	       (unsigned long long)st->msgs_recv);
	printf(", \"bytes_sent\": %llu, \"bytes_recv\": %llu, ",
	       (unsigned long long)st->bytes_sent,
	       (unsigned long long)st->bytes_recv);
	end_json("producer", st->producer, st->producer_pid);
	printf(", ");
	end_json("consumer", st->consumer, st->consumer_pid);
	printf(", \"broken\": %s}", st->broken ? "true" : "false");
}

static void peer_json(const struct mmipc_peer_info *p)
{
	char when[64];

	fmt_time_iso(p->attach_ns, when, sizeof(when));
	printf("{\"slot\": %u, \"role\": \"%s\", \"pid\": %d, \"alive\": %s",
	       p->slot, role_name(p->role), p->pid,
	       p->alive == 1 ? "true" : p->alive == 0 ? "false" : "null");
	printf(", \"start\": %llu, \"attach_ns\": %lld, \"attached\": ",
	       (unsigned long long)p->start, (long long)p->attach_ns);
	json_string(stdout, when);
	printf("}");
}

void region_extra_json(const struct mmipc_region_info *in,
		       const struct region_extra *x)
{
	int i;

	printf(", \"ring\": ");
	if (in->kind == MMIPC_KIND_RING && x->ring_rc == 0)
		ring_json(&x->ring);
	else
		printf("null");
	printf(", \"peers_attached\": %u, \"peers_alive\": %u, \"peers\": ",
	       in->peers, in->peers_alive);
	if (x->open_rc < 0 || x->npeers < 0) {
		printf("null");
		return;
	}
	printf("[");
	for (i = 0; i < x->npeers && i < MMIPC_MAX_PEERS; i++) {
		printf("%s", i ? ", " : "");
		peer_json(&x->peers[i]);
	}
	printf("]");
}
