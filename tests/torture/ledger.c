/*
 * ledger.c - the ledger shared by the parent and the children (its format
 * and protocol are in torture.h), plus the small tools every part uses:
 * random numbers, clocks, the failure log.
 */
#include <stdarg.h>
#include <sys/mman.h>

#include "torture.h"

const char *const tt_phase_name[PH_COUNT] = {
	"any", "idle", "attach", "detach", "call", "reserve-half", "reserve-full",
	"more-pending", "commit", "flush", "send", "peeked", "batch-peeked",
	"release", "recv", "create", "blocked-wait",
};

/*
 * tt_ledger_new - a zeroed ledger in a memfd WITHOUT close-on-exec: the
 * children find it as the descriptor number they are given.
 */
struct tt_ledger *tt_ledger_new(int *fd)
{
	*fd = memfd_create("mmipc-torture-ledger", 0);
	CHECK(*fd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(ftruncate(*fd, sizeof(struct tt_ledger)) == 0, "ftruncate: %s",
	      strerror(errno));
	return tt_ledger_map(*fd);
}

struct tt_ledger *tt_ledger_map(int fd)
{
	void *p = mmap(NULL, sizeof(struct tt_ledger), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED, "mmap ledger (fd %d): %s", fd, strerror(errno));
	return p;
}

void tt_add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

/*
 * tt_failf - record an invariant violation. Children cannot print with the
 * trial's context (they do not know it), so the text goes to the ledger
 * and the parent prints it with the trial number and seeds.
 */
void tt_failf(struct tt_ledger *L, const char *fmt, ...)
{
	uint64_t i = __atomic_fetch_add(&L->nfail, 1, __ATOMIC_ACQ_REL);
	char buf[TT_FAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (i < TT_FAIL_MAX)
		memcpy(L->fail[i], buf, sizeof(buf));
	else
		fprintf(stderr, "torture: [pid %d] %s\n", (int)getpid(), buf);
}

/*
 * tt_confirmed_in_gap - how many seqs strictly between @a and @b are NOT
 * in a maybe[] range: messages reported as published, so missing them is
 * a loss. The ranges are disjoint (each holds one dead producer's seqs).
 */
uint64_t tt_confirmed_in_gap(const struct tt_ledger *L, uint64_t a,
			     uint64_t b)
{
	uint64_t n = rg_load(&L->nmaybe), lo = a + 1, gap, i;

	if (b <= lo)
		return 0;
	gap = b - lo;
	for (i = 0; i < n && i < TT_MAYBE_MAX; i++) {
		uint64_t x = L->maybe[i][0], y = L->maybe[i][1];

		x = x > lo ? x : lo;
		y = y < b ? y : b;
		if (x < y)
			gap -= y - x;
	}
	return gap;
}

/* A splitmix64 step: the state moves by the golden gamma, rg_mix mixes. */
uint64_t tt_rand(uint64_t *s)
{
	*s += UINT64_C(0x9e3779b97f4a7c15);
	return rg_mix(*s);
}

/* Uniform in [lo, hi]. */
uint64_t tt_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + tt_rand(s) % (hi - lo + 1);
}

/* Roughly log-uniform in [lo, hi] (lo >= 1): a power-of-two octave
 * first, then a point in it, so microseconds come as often as tens of ms. */
uint64_t tt_logrand(uint64_t *s, uint64_t lo, uint64_t hi)
{
	uint64_t base, v;
	int octaves = 0;

	while ((lo << (octaves + 1)) <= hi)
		octaves++;
	base = lo << tt_range(s, 0, (uint64_t)octaves);
	v = base + tt_rand(s) % base;
	return v > hi ? hi : v;
}

uint64_t tt_now(void)
{
	return (uint64_t)ru_now_ns();
}

void tt_sleep_us(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000),
			       (long)(us % 1000000) * 1000 };

	/* an early wake-up by a signal only shortens a pause: harmless */
	nanosleep(&ts, NULL);
}
