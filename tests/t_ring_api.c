/*
 * t_ring_api - the ring calls refuse what the header says they refuse,
 * and a misuse never corrupts the ring:
 *
 *  - create: a capacity that is not a power of two from 4 KiB to 1 GiB,
 *    or flags, are -EINVAL;
 *  - attach/open: bad role or flags -EINVAL, a raw region -MMIPC_EKIND, a
 *    read-only region -EBADF (open with MMIPC_F_RDONLY refused too), a
 *    missing one -ENOENT, a role a live process holds -EBUSY (this one
 *    too), a peer table full of live peers -EUSERS (and slots of dead
 *    processes are reclaimed); refused and repeated opens leak no
 *    descriptor, mapping or peer slot;
 *  - each end's calls are -EINVAL on the other end; commit with nothing
 *    reserved, more than reserved, or unknown flags, release with nothing
 *    peeked, recv without *len: -EINVAL; set_wait with an unknown mode;
 *  - an empty message may be sent from and received into NULL;
 *  - reserving again replaces the reservation: one message, of the
 *    second size, and nothing of the first in the ring;
 *  - 8 processes attach as the same role at once: one wins, 7 get -EBUSY;
 *    likewise when they race to replace a dead holder;
 *  - a ring region cannot be resized or refreshed (-EOPNOTSUPP: a
 *    channel's size is fixed), and the attached ends go on working
 *    (this runs in a child: a crash is a failure, not the end);
 *  - a second reserve that fails after it padded to the end of the ring
 *    (-EAGAIN): whatever commit then says, the ring is not broken and
 *    what the consumer gets is whole.
 */
#include "ring_util.h"

#define CAP 4096u

static void create_args(void)
{
	static const uint64_t bad[] = { 0, 1, 8, 2048, 4095, 4097, 12288,
					(UINT64_C(1) << 30) + 4096,
					UINT64_C(1) << 31, UINT64_C(1) << 40,
					UINT64_MAX };
	mmipc_region *r = (mmipc_region *)&r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(mmipc_ring_create(&r, "anon", bad[i], 0, 0) == -EINVAL,
		      "capacity %#llx accepted", (unsigned long long)bad[i]);
	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 1), -EINVAL);
	CHECK(r == (mmipc_region *)&r, "a failed create set *out");
	CHECK_RC(mmipc_ring_create(&r, "anon", UINT64_C(1) << 20, 0, 0), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK(strcmp(mmipc_kind_name(MMIPC_KIND_RING), "ring") == 0,
	      "kind name %s", mmipc_kind_name(MMIPC_KIND_RING));
}

/* Refused opens and attaches, and open/close cycles, leave no descriptor,
 * mapping or peer slot behind. Both ends of @addr are held by us. */
static void no_leaks(mmipc_region *r, const char *addr)
{
	struct ru_res before = ru_res_now();
	int peers = mmipc_region_peers(r, NULL, 0), i;
	mmipc_ring *x = NULL;

	for (i = 0; i < 40; i++) {
		CHECK_RC(mmipc_ring_open(&x, addr, 1 + i % 2, 0), -EBUSY);
		CHECK_RC(mmipc_ring_attach(&x, r, 1 + i % 2, 0), -EBUSY);
	}
	CHECK_RES(before, "refused opens");
	CHECK(mmipc_region_peers(r, NULL, 0) == peers,
	      "refused attaches left peer slots: %d, were %d",
	      mmipc_region_peers(r, NULL, 0), peers);
}

static void cycles(void)
{
	struct ru_res before;
	mmipc_region *r = NULL;
	mmipc_ring *x = NULL;
	char addr[128];
	int i;

	rg_name(addr, sizeof(addr), "apicyc");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	before = ru_res_now();
	for (i = 0; i < 40; i++) {
		CHECK_RC(mmipc_ring_open(&x, addr, 1 + i % 2, 0), 0);
		if (i % 2 == 0) {
			CHECK_RC(mmipc_ring_send(x, "x", 1, 0, 0), 0);
		} else {
			char c;
			size_t len;

			CHECK_RC(mmipc_ring_recv(x, &c, 1, &len, 0), 1);
		}
		CHECK_RC(mmipc_ring_close(x), 0);
	}
	CHECK_RES(before, "open/close cycles");
	CHECK(mmipc_region_peers(r, NULL, 0) == 0, "%d peers left",
	      mmipc_region_peers(r, NULL, 0));
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

static void attach_args(void)
{
	mmipc_region *r = NULL, *raw = NULL, *ro = NULL;
	mmipc_ring *a = NULL, *b = NULL, *x = NULL;
	char addr[128], raddr[128];

	rg_name(addr, sizeof(addr), "api");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&a, r, 0, 0), -EINVAL);
	CHECK_RC(mmipc_ring_attach(&a, r, 3, 0), -EINVAL);
	CHECK_RC(mmipc_ring_attach(&a, r, MMIPC_ROLE_PRODUCER, 1), -EINVAL);
	CHECK_RC(mmipc_ring_attach(NULL, r, MMIPC_ROLE_PRODUCER, 0), -EINVAL);
	CHECK_RC(mmipc_ring_open(&a, addr, 7, 0), -EINVAL);

	rg_name(raddr, sizeof(raddr), "apiraw");
	CHECK_RC(mmipc_region_create(&raw, raddr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&a, raw, MMIPC_ROLE_PRODUCER, 0),
		 -MMIPC_EKIND);
	CHECK_RC(mmipc_ring_open(&a, raddr, MMIPC_ROLE_CONSUMER, 0),
		 -MMIPC_EKIND);
	CHECK_RC(mmipc_region_close(raw), 0);
	CHECK_RC(mmipc_region_unlink(raddr, 0), 0);
	CHECK_RC(mmipc_ring_open(&a, raddr, MMIPC_ROLE_CONSUMER, 0), -ENOENT);

	CHECK_RC(mmipc_region_open(&ro, addr, MMIPC_KIND_RING, MMIPC_F_RDONLY),
		 0);
	CHECK_RC(mmipc_ring_attach(&a, ro, MMIPC_ROLE_CONSUMER, 0), -EBADF);
	CHECK_RC(mmipc_region_close(ro), 0);
	CHECK(mmipc_ring_open(&a, addr, MMIPC_ROLE_CONSUMER, MMIPC_F_RDONLY) <
		      0,
	      "a read-only ring end");

	/* one producer at a time, even within one process */
	CHECK_RC(mmipc_ring_attach(&a, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&b, r, MMIPC_ROLE_PRODUCER, 0), -EBUSY);
	CHECK_RC(mmipc_ring_open(&b, addr, MMIPC_ROLE_PRODUCER, 0), -EBUSY);
	CHECK_RC(mmipc_ring_open(&b, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&x, r, MMIPC_ROLE_CONSUMER, 0), -EBUSY);
	CHECK(x == NULL, "a failed attach set *out");
	no_leaks(r, addr);
	CHECK_RC(mmipc_ring_close(b), 0);
	CHECK_RC(mmipc_ring_close(a), 0);
	CHECK_RC(mmipc_ring_close(NULL), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

/* Our own start time, field 22 of /proc/self/stat. */
static uint64_t self_start(void)
{
	char buf[1024], *p;
	int fd = open("/proc/self/stat", O_RDONLY), f;
	ssize_t n;

	CHECK(fd >= 0, "open /proc/self/stat");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0, "read /proc/self/stat");
	buf[n] = '\0';
	p = strrchr(buf, ')');
	CHECK(p != NULL, "stat format");
	for (f = 2; f < 22 && p != NULL; f++)
		p = strchr(p + 1, ' ');
	CHECK(p != NULL, "stat format");
	return strtoull(p + 1, NULL, 10);
}

static int just_exit(void *arg)
{
	(void)arg;
	return 0;
}

static void full_table(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *a = NULL;
	struct mmipc_peer_slot *s;
	pid_t dead;
	int i;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	s = rg_slots(r);
	for (i = 0; i < (int)MMIPC_PEER_SLOTS; i++) {
		s[i].start = self_start();
		s[i].pidns = 0;
		s[i].role = MMIPC_ROLE_CONSUMER;
		__atomic_store_n(&s[i].word,
				 PEER_WORD(getpid(), 1, PEER_ACTIVE),
				 __ATOMIC_RELEASE);
	}
	CHECK_RC(mmipc_region_peers(r, NULL, 0), MMIPC_MAX_PEERS);
	CHECK_RC(mmipc_ring_attach(&a, r, MMIPC_ROLE_PRODUCER, 0), -EUSERS);
	/* slots of a process that is gone are taken over */
	dead = ru_fork(just_exit, NULL);
	CHECK(t_wait(dead) == 0, "child");
	for (i = 0; i < 3; i++)
		__atomic_store_n(&s[i].word, PEER_WORD(dead, 1, PEER_ACTIVE),
				 __ATOMIC_RELEASE);
	CHECK_RC(mmipc_ring_attach(&a, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_close(a), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

static void wrong_end(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *p = NULL, *c = NULL;
	const void *cp = NULL;
	void *vp = NULL;
	char buf[64];
	size_t len;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&p, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&c, r, MMIPC_ROLE_CONSUMER, 0), 0);

	CHECK_RC(mmipc_ring_reserve(c, 8, &vp, 0), -EINVAL);
	CHECK_RC(mmipc_ring_send(c, "x", 1, 0, 0), -EINVAL);
	CHECK_RC(mmipc_ring_commit(c, 0, 0), -EINVAL);
	CHECK_RC(mmipc_ring_flush(c), -EINVAL);
	CHECK_RC(mmipc_ring_peek(p, &cp, &len, 0), -EINVAL);
	CHECK_RC(mmipc_ring_recv(p, buf, sizeof(buf), &len, 0), -EINVAL);
	CHECK_RC(mmipc_ring_release(p), -EINVAL);

	CHECK_RC(mmipc_ring_commit(p, 0, 0), -EINVAL);
	CHECK_RC(mmipc_ring_reserve(p, 8, &vp, 0), 0);
	CHECK_RC(mmipc_ring_commit(p, 9, 0), -EINVAL);
	CHECK_RC(mmipc_ring_commit(p, 8, 0x100), -EINVAL);
	CHECK_RC(mmipc_ring_send(p, "x", 1, 0x100, 0), -EINVAL);
	memcpy(vp, "whole ok", 8);
	CHECK_RC(mmipc_ring_commit(p, 8, 0), 0);
	CHECK_RC(mmipc_ring_commit(p, 8, 0), -EINVAL); /* already done */
	CHECK_RC(mmipc_ring_release(c), -EINVAL);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), NULL, 0), -EINVAL);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 1);
	CHECK(len == 8 && memcmp(buf, "whole ok", 8) == 0, "message");
	CHECK_RC(mmipc_ring_release(c), -EINVAL);

	/* empty messages need no buffer (no memcpy from or to NULL: the
	 * UBSan build checks) */
	CHECK_RC(mmipc_ring_send(p, NULL, 0, 0, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "x", 1, 0, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, NULL, 0, &len, 0), 1);
	CHECK(len == 0, "empty message: %zu bytes", len);
	CHECK_RC(mmipc_ring_recv(c, NULL, 0, &len, 0), -EMSGSIZE);
	CHECK(len == 1, "-EMSGSIZE: *len %zu", len);
	CHECK_RC(mmipc_ring_recv(c, buf, 1, &len, 0), 1);

	CHECK_RC(mmipc_ring_set_wait(p, 3, 0), -EINVAL);
	CHECK_RC(mmipc_ring_set_wait(p, -1, 0), -EINVAL);
	CHECK_RC(mmipc_ring_set_wait(p, MMIPC_WAIT_SPIN, 1000), 0);
	CHECK_RC(mmipc_ring_set_wait(c, MMIPC_WAIT_SLEEP, 0), 0);
	CHECK_RC(mmipc_ring_set_wait(c, MMIPC_WAIT_ADAPTIVE, 0), 0);

	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

static void re_reserve(void)
{
	mmipc_region *r = NULL;
	mmipc_ring *p = NULL, *c = NULL;
	struct mmipc_ring_stats st;
	void *a = NULL, *b = NULL;
	char buf[CAP];
	size_t len;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&p, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&c, r, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_reserve(p, 100, &a, 0), 0);
	memset(a, 'a', 100);
	CHECK_RC(mmipc_ring_reserve(p, 10, &b, 0), 0);
	memcpy(b, "second one", 10);
	CHECK_RC(mmipc_ring_commit(p, 10, 0), 0);
	CHECK_RC(mmipc_ring_stats(r, &st), 0);
	CHECK(st.msgs_sent == 1 && st.used == rg_rec(10),
	      "after a replaced reservation: %llu sent, %llu used",
	      (unsigned long long)st.msgs_sent, (unsigned long long)st.used);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 1);
	CHECK(len == 10 && memcmp(buf, "second one", 10) == 0, "message");
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), -EAGAIN);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

/* See the head comment: a re-reserve that pads, then fails. */
static void failed_re_reserve(bool take_between)
{
	mmipc_region *r = NULL;
	mmipc_ring *p = NULL, *c = NULL;
	void *a = NULL, *b = NULL;
	char buf[CAP];
	size_t len;
	int rc, crc, i;

	CHECK_RC(mmipc_ring_create(&r, "anon", CAP, 0, 0), 0);
	CHECK_RC(mmipc_ring_attach(&p, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_attach(&c, r, MMIPC_ROLE_CONSUMER, 0), 0);
	memset(buf, 'A', sizeof(buf));
	CHECK_RC(mmipc_ring_send(p, buf, 56, 0, 0), 0);	  /* [0, 64) */
	memset(buf, 'B', sizeof(buf));
	CHECK_RC(mmipc_ring_send(p, buf, 3960, 0, 0), 0); /* [64, 4032) */
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 1);
	CHECK_RC(mmipc_ring_reserve(p, 8, &a, 0), 0);	  /* at 4032 */
	memcpy(a, "reserved", 8);
	/* does not fit before the end, nor (yet) at the start */
	CHECK_RC(mmipc_ring_reserve(p, 100, &b, 0), -EAGAIN);
	if (take_between) {
		CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 1);
		CHECK(len == 3960 && buf[0] == 'B', "B: %zu bytes", len);
		rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 0);
		CHECK(rc == -EAGAIN, "recv: %d (%s)", rc, mmipc_strerror(rc));
	}
	crc = mmipc_ring_commit(p, 8, 0);
	CHECK(crc == 0 || crc == -EINVAL, "commit after a failed reserve: %d",
	      crc);
	CHECK_RC(mmipc_ring_send(p, "after", 5, 0, 0), 0);
	for (i = 0; i < 4; i++) {
		rc = mmipc_ring_recv(c, buf, sizeof(buf), &len, 0);
		CHECK(rc == 1 || rc == -EAGAIN,
		      "%s: a commit (%d) after a failed reserve broke the "
		      "ring: recv %d (%s)",
		      take_between ? "PAD taken first" : "PAD not taken", crc,
		      rc, mmipc_strerror(rc));
		if (rc != 1)
			break;
		CHECK((len == 3960 && buf[0] == 'B') ||
			      (crc == 0 && len == 8 &&
			       memcmp(buf, "reserved", 8) == 0) ||
			      (len == 5 && memcmp(buf, "after", 5) == 0),
		      "a message of %zu bytes '%.8s'", len, buf);
		if (len == 5)
			break;
	}
	CHECK(rc == 1 && len == 5, "the message after it did not come: %d",
	      rc);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r), 0);
}

/* ---- racing attaches ---- */

#define RACERS 8

struct race {
	const char *addr;
	int role;
	uint64_t go;
	uint64_t won, busy, other;
};

static int racer(void *arg)
{
	struct race *x = arg;
	mmipc_ring *ring = NULL;
	int rc;

	while (!rg_load(&x->go))
		;
	rc = mmipc_ring_open(&ring, x->addr, x->role, 0);
	if (rc == 0) {
		__atomic_fetch_add(&x->won, 1, __ATOMIC_SEQ_CST);
		/* hold it until every other racer has tried (however late
		 * a loaded machine runs them), or 10 s */
		for (int i = 0; i < 1000; i++) {
			if (rg_load(&x->won) + rg_load(&x->busy) +
				    rg_load(&x->other) >= RACERS)
				break;
			ru_sleep_ms(10);
		}
		CHECK_RC(mmipc_ring_close(ring), 0);
	} else if (rc == -EBUSY) {
		__atomic_fetch_add(&x->busy, 1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_fetch_add(&x->other, 1, __ATOMIC_SEQ_CST);
		fprintf(stderr, "racer: %d (%s)\n", rc, mmipc_strerror(rc));
	}
	return 0;
}

static int attach_and_die(void *arg)
{
	struct race *x = arg;
	mmipc_ring *ring = NULL;

	CHECK_RC(mmipc_ring_open(&ring, x->addr, x->role, 0), 0);
	return 0; /* exits without closing: a dead holder */
}

/* RACERS processes attach as @role at once: exactly one wins; again once
 * the holder is dead (they race to replace it). */
static void race(int role, bool dead_holder)
{
	struct race *x = rg_shared(sizeof(*x));
	mmipc_region *r = NULL;
	pid_t pids[RACERS];
	char addr[128];
	int i;

	rg_name(addr, sizeof(addr), "apirace");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	x->addr = addr;
	x->role = role;
	if (dead_holder)
		RG_WAIT_OK(rg_fork(attach_and_die, x), "dead holder");
	for (i = 0; i < RACERS; i++)
		pids[i] = rg_fork(racer, x);
	ru_sleep_ms(20);
	rg_store(&x->go, 1);
	rg_wait_all(pids, RACERS, 20000, "racers");
	printf("%d racing %s%s: %llu won, %llu -EBUSY\n", RACERS,
	       role == MMIPC_ROLE_PRODUCER ? "producers" : "consumers",
	       dead_holder ? " (replacing a dead one)" : "",
	       (unsigned long long)x->won, (unsigned long long)x->busy);
	CHECK(x->won == 1 && x->busy == RACERS - 1 && x->other == 0,
	      "%d racing attaches: %llu won, %llu -EBUSY, %llu other", RACERS,
	      (unsigned long long)x->won, (unsigned long long)x->busy,
	      (unsigned long long)x->other);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
	munmap(x, sizeof(*x));
}

/* In a child (a crash is a failure, not the end of the test): resize and
 * refresh of a ring region with ends attached are refused, and the ring
 * goes on working (send, a new consumer, the messages). */
static int resize_child(void *arg)
{
	const char *addr = arg;
	mmipc_region *r = NULL, *r2 = NULL;
	mmipc_ring *p = NULL, *c = NULL;
	char buf[64];
	size_t len;
	int rc;

	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RING, 0), 0);
	CHECK_RC(mmipc_ring_attach(&p, r, MMIPC_ROLE_PRODUCER, 0), 0);
	CHECK_RC(mmipc_ring_send(p, "hello", 5, 0, 0), 0);
	rc = mmipc_region_resize(r, 2 * CAP);
	printf("resize of a ring region: %d (%s)\n", rc, mmipc_strerror(rc));
	CHECK_RC(rc, -EOPNOTSUPP); /* a channel's size is fixed */
	CHECK_RC(mmipc_ring_send(p, "again", 5, 0, 0), 0);
	CHECK_RC(mmipc_ring_open(&c, addr, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 1);
	CHECK(len == 5 && memcmp(buf, "hello", 5) == 0, "first message");
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 1);
	CHECK(len == 5 && memcmp(buf, "again", 5) == 0, "second message");
	/* the same through a second handle that refreshes */
	CHECK_RC(mmipc_region_open(&r2, addr, MMIPC_KIND_RING, 0), 0);
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_ring_attach(&c, r2, MMIPC_ROLE_CONSUMER, 0), 0);
	CHECK_RC(mmipc_region_resize(r2, 4 * CAP), -EOPNOTSUPP);
	CHECK_RC(mmipc_region_refresh(r2), -EOPNOTSUPP);
	CHECK_RC(mmipc_region_refresh(r), -EOPNOTSUPP);
	CHECK_RC(mmipc_ring_send(p, "third", 5, 0, 0), 0);
	CHECK_RC(mmipc_ring_recv(c, buf, sizeof(buf), &len, 0), 1);
	CHECK(len == 5 && memcmp(buf, "third", 5) == 0, "third message");
	CHECK_RC(mmipc_ring_close(c), 0);
	CHECK_RC(mmipc_ring_close(p), 0);
	CHECK_RC(mmipc_region_close(r2), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

static void resize(void)
{
	mmipc_region *r = NULL;
	char addr[128];
	int st;

	rg_name(addr, sizeof(addr), "apiresize");
	CHECK_RC(mmipc_ring_create(&r, addr, CAP, 0, 0), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	st = rg_wait(rg_fork(resize_child, addr));
	CHECK(st == 0, "a ring region resized under an attached end: %s %d",
	      st > 128 ? "killed by signal" : "status", st > 128 ? st - 128
								: st);
	CHECK_RC(mmipc_region_unlink(addr, 0), 0);
}

int main(void)
{
	rg_init(60);
	create_args();
	attach_args();
	cycles();
	full_table();
	wrong_end();
	re_reserve();
	race(MMIPC_ROLE_PRODUCER, false);
	race(MMIPC_ROLE_CONSUMER, false);
	race(MMIPC_ROLE_PRODUCER, true);
	race(MMIPC_ROLE_CONSUMER, true);
	resize();
	failed_re_reserve(false);
	failed_re_reserve(true);
	return T_PASS;
}
