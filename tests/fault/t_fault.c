/*
 * t_fault - fault injection (issue 6, "Faults"): the system calls libmmipc
 * makes to create, open, map and grow a region are made to fail on
 * purpose, one at a time, and every error path must
 *
 *  - return the injected error (-ENOMEM, -ENOSPC, -EMFILE, and -EAGAIN,
 *    which must not be retried for ever), not swallow it nor turn it into
 *    another, and leave *out untouched;
 *  - leak nothing: the same open descriptors, shared mappings and (but
 *    under ASan, whose allocator maps as it goes) mappings as before;
 *  - leave nothing half-made in the shm directory (a private one, through
 *    $MMIPC_SHM_DIR) nor in the directory of the file: regions;
 *  - leave what it worked on intact (a failed resize or refresh keeps the
 *    old size and data), so that the same call, without the failure, then
 *    works.
 * EINTR from posix_fallocate, sendmsg and recvmsg must be retried: the call
 * succeeds. A few calls are optional and their failure may be absorbed (see
 * optional_call()); the operation must then still work.
 *
 * For each operation of ops.c, a census run counts the calls of each kind
 * it makes; then for each kind, each n up to that count and each errno,
 * the operation runs with the n-th call of that kind failing. The
 * injection itself is shim.c, linked into this program (see shim.h).
 *
 *   t_fault [-v] [OPERATION-SUBSTRING]
 *
 * prints one line per operation with -v, and always a summary line.
 */
#include "../region_util.h"
#include "fault.h"
#include "shim.h"

char fault_shm_dir[320];
char fault_file_dir[320];
static char top[256];
static pid_t top_owner;
static bool verbose;

struct tally {
	unsigned ops, sites, tries, errors, retried, tolerated, missed;
	unsigned failures;
};

static const int errnos[] = { ENOMEM, ENOSPC, EMFILE, EAGAIN, EINTR };
#define NERRNOS (sizeof(errnos) / sizeof(errnos[0]))

/* The library retries these on EINTR; any other call's EINTR would be a
 * real error, and open/mmap of regular files never give it. */
static bool retried_call(enum fault_call k)
{
	return k == FC_FALLOCATE || k == FC_RECVMSG || k == FC_SENDMSG;
}

/* What may leak or be left: descriptors, mappings, directory entries. */
struct snap {
	struct ru_res res;
	int shm, file;
};

static struct snap snap_now(void)
{
	struct snap s;

	s.res = ru_res_now();
	s.shm = t_count_all(fault_shm_dir);
	s.file = t_count_all(fault_file_dir);
	return s;
}

/* Describes in why[] how now differs from then; false if it does not. */
static bool snap_differs(struct snap then, struct snap now, char *why,
			 size_t size)
{
	if (now.res.fds != then.res.fds)
		snprintf(why, size, "open fds %d -> %d", then.res.fds,
			 now.res.fds);
	else if (now.res.shared != then.res.shared)
		snprintf(why, size, "shared mappings %d -> %d",
			 then.res.shared, now.res.shared);
	else if (!RU_SANITIZED && now.res.maps != then.res.maps)
		snprintf(why, size, "mappings %d -> %d", then.res.maps,
			 now.res.maps);
	else if (now.shm != then.shm)
		snprintf(why, size, "shm dir entries %d -> %d", then.shm,
			 now.shm);
	else if (now.file != then.file)
		snprintf(why, size, "file dir entries %d -> %d", then.file,
			 now.file);
	else
		return false;
	return true;
}

/* One injection: which operation, which call, which errno. */
struct shot {
	const struct fault_op *op;
	enum fault_call call;
	unsigned n;
	int err;
	const unsigned *census;
	struct tally *t;
	bool failed;
};

__attribute__((format(printf, 2, 3)))
static void fail(struct shot *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL [%s] %s #%u -> %s (%s): ", s->op->name,
		fault_call_name(s->call), s->n, strerrorname_np(s->err),
		fault_what());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	s->t->failures++;
	s->failed = true;
}

/*
 * Calls whose failure an operation may absorb: reading a start time from
 * /proc/PID/stat (ours at create and attach: start 0, liveness by pid
 * alone; the creator's at stat: creator_alive "cannot tell"), create's
 * early look for the name (fstatat: linkat decides anyway), and what only
 * feeds mmipc_region_info() (the seals, and stat's fstat for owner and
 * mode).
 */
static bool optional_call(const struct shot *s)
{
	const char *w = fault_what();

	if (strncmp(w, "open(/proc/", 11) == 0 || s->call == FC_FSTATAT ||
	    strcmp(w, "fcntl(F_GET_SEALS)") == 0)
		return true;
	return (s->op->flags & OP_INFO_FSTAT) && s->call == FC_FSTAT &&
	       s->n == s->census[FC_FSTAT];
}

static void init_ctx(struct fault_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->sv[0] = c->sv[1] = -1;
}

/* After a failed run: the error, *out, leaks, what setup made, retry. */
static void after_failure(struct shot *s, struct fault_ctx *c, int rc,
			  struct snap before)
{
	char why[128];

	if (s->err == EINTR)
		fail(s, "not retried: returned %d (%s)", rc,
		     mmipc_strerror(rc));
	else if (rc != -s->err)
		fail(s, "returned %d (%s), not the injected error", rc,
		     mmipc_strerror(rc));
	else
		s->t->errors++;
	if (c->out != FAULT_UNTOUCHED ||
	    c->ring != (mmipc_ring *)FAULT_UNTOUCHED)
		fail(s, "a failed call set its *out");
	if (snap_differs(before, snap_now(), why, sizeof(why)))
		fail(s, "%s", why);
	if (s->op->intact != NULL)
		s->op->intact(c);
	rc = s->op->run(c);
	CHECK(rc >= 0, "[%s] %s #%u -> %s: then, without injection: %d (%s)",
	      s->op->name, fault_call_name(s->call), s->n,
	      strerrorname_np(s->err), rc, mmipc_strerror(rc));
	s->op->undo(c);
}

static void trial(struct shot *s)
{
	const struct fault_op *op = s->op;
	struct snap base = snap_now(), before;
	struct fault_ctx c;
	char why[128];
	int rc;

	init_ctx(&c);
	op->setup(&c);
	before = snap_now();
	c.out = FAULT_UNTOUCHED;
	c.ring = (mmipc_ring *)FAULT_UNTOUCHED;
	fault_no_tmpfile(op->flags & OP_NO_TMPFILE);
	fault_arm(s->call, s->n, s->err);
	rc = op->run(&c);
	fault_disarm();
	if (!fault_fired()) {
		s->t->missed++; /* fewer calls than the census saw */
		CHECK(rc >= 0, "[%s] failed with nothing injected: %d",
		      op->name, rc);
		op->undo(&c);
	} else if (rc >= 0) {
		if (s->err == EINTR)
			s->t->retried++;
		else if (optional_call(s))
			s->t->tolerated++;
		else
			fail(s, "returned %d: the failure was swallowed", rc);
		op->undo(&c);
	} else {
		after_failure(s, &c, rc, before);
	}
	s->t->tries++;
	fault_no_tmpfile(false);
	if (op->teardown != NULL)
		op->teardown(&c);
	if (!s->failed && snap_differs(base, snap_now(), why, sizeof(why)))
		fail(s, "after cleanup: %s", why);
}

/* A run with nothing failing: how many calls of each kind op makes. */
static void census(const struct fault_op *op, unsigned count[FC_NCALLS])
{
	struct fault_ctx c;
	int rc, k;

	init_ctx(&c);
	op->setup(&c);
	fault_no_tmpfile(op->flags & OP_NO_TMPFILE);
	fault_arm(FC_OPEN, 0, 0);
	rc = op->run(&c);
	fault_disarm();
	fault_no_tmpfile(false);
	CHECK(rc >= 0, "[%s] census run failed: %d (%s)", op->name, rc,
	      mmipc_strerror(rc));
	for (k = 0; k < FC_NCALLS; k++)
		count[k] = fault_seen((enum fault_call)k);
	op->undo(&c);
	if (op->teardown != NULL)
		op->teardown(&c);
}

static void run_op(const struct fault_op *op, struct tally *t,
		   unsigned total[FC_NCALLS])
{
	unsigned count[FC_NCALLS], n, e, f0 = t->failures, n0 = t->tries;
	char calls[512] = "";
	int k;

	census(op, count);
	for (k = 0; k < FC_NCALLS; k++) {
		struct shot s = { op, (enum fault_call)k, 0, 0, count, t,
				  false };

		total[k] += count[k];
		if (count[k] == 0)
			continue;
		snprintf(calls + strlen(calls), sizeof(calls) - strlen(calls),
			 " %s %u", fault_call_name(s.call), count[k]);
		t->sites += count[k];
		for (n = 1; n <= count[k]; n++)
			for (e = 0; e < NERRNOS; e++) {
				if (errnos[e] == EINTR && !retried_call(s.call))
					continue;
				s.n = n;
				s.err = errnos[e];
				s.failed = false;
				trial(&s);
			}
	}
	t->ops++;
	if (verbose)
		printf("%-36s calls:%s; %u injections, %u failures\n", op->name,
		       calls, t->tries - n0, t->failures - f0);
}

/*
 * A name taken between create's early look (fstatat) and the moment it
 * links or creates the file: fstatat is made to say ENOENT while a
 * symlink (dangling, or to a file) or a file is there. Both paths must
 * still refuse with -EEXIST (linkat and O_EXCL|O_NOFOLLOW never follow a
 * symlink), leave the name as it was and create nothing at its target.
 */
static void late_planted(bool tmpfile, bool shm, int what)
{
	char addr[512], path[512], target[512], old[64] = "", got[64] = "";
	mmipc_region *keep = (mmipc_region *)&keep;
	struct snap before;
	int rc;

	snprintf(target, sizeof(target), "%s/target", fault_file_dir);
	if (shm)
		t_name(addr, sizeof(addr), "late");
	else
		snprintf(addr, sizeof(addr), "file:%s/late", fault_file_dir);
	ru_path(path, sizeof(path), addr);
	if (what == 1)
		ru_write_file(target, "keep", 4, 0600);
	if (what == 2)
		ru_write_file(path, "keep", 4, 0600);
	else
		CHECK(symlink(target, path) == 0, "symlink: %s",
		      strerror(errno));
	before = snap_now();
	fault_no_tmpfile(!tmpfile);
	fault_arm(FC_FSTATAT, 1, ENOENT);
	rc = mmipc_region_create(&keep, addr, 4096, 0, 0);
	fault_disarm();
	fault_no_tmpfile(false);
	CHECK(fault_fired(), "create made no fstatat");
	CHECK(rc == -EEXIST && keep == (mmipc_region *)&keep,
	      "%s, %s, late %s: create %d (%s), want -EEXIST", addr,
	      tmpfile ? "O_TMPFILE" : "no O_TMPFILE",
	      what == 2 ? "file" : "symlink", rc, mmipc_strerror(rc));
	CHECK(!snap_differs(before, snap_now(), old, sizeof(old)), "%s: %s",
	      addr, old);
	if (what != 0)
		ru_pread(what == 2 ? path : target, 0, got, 4);
	CHECK(what == 0 ? !ru_exists(target) : memcmp(got, "keep", 4) == 0,
	      "%s: the file behind the name was made or changed", addr);
	CHECK(unlink(path) == 0 && (what != 1 || unlink(target) == 0),
	      "unlink: %s", strerror(errno));
}

static void late_planted_all(void)
{
	int i, what;

	for (i = 0; i < 4; i++)
		for (what = 0; what < 3; what++)
			late_planted(i & 1, i & 2, what);
	printf("fault: a dangling symlink, a symlink to a file or a file "
	       "planted after create's early look: -EEXIST, nothing followed "
	       "(O_TMPFILE and O_CREAT paths, shm: and file:)\n");
}

/*
 * In a fresh process (the start time is cached per pid), the first read
 * of /proc/PID/stat fails, which create absorbs; the next region made
 * must record the start time again. A failure remembered for the life of
 * the process would leave every later region and peer slot of it with
 * start time 0: liveness by pid alone, so a reused pid passes for it.
 */
static int first_read_fails(void *arg)
{
	struct mmipc_region_info info;
	mmipc_region *r = NULL;
	int i;

	(void)arg;
	for (i = 0; i < 2; i++) {
		if (i == 0)
			fault_arm(FC_OPEN, 1, EMFILE);
		CHECK_RC(mmipc_region_create(&r, "anon", 4096, 0, 0), 0);
		fault_disarm();
		CHECK(i == 1 || strncmp(fault_what(), "open(/proc/", 11) == 0,
		      "the first open was %s", fault_what());
		CHECK_RC(mmipc_region_info(r, &info), 0);
		CHECK_RC(mmipc_region_close(r), 0);
	}
	return info.creator_start != 0 ? 0 : 1;
}

static void start_time_not_remembered(struct tally *t)
{
	int st = t_wait(ru_fork(first_read_fails, NULL));

	if (st != 0) {
		fprintf(stderr, "FAIL [start time] open(/proc/PID/stat) #1 -> "
			"EMFILE: %s %d: the failure is remembered, every "
			"region made afterwards has creator_start 0\n",
			st > 128 ? "killed by signal" : "exit",
			st > 128 ? st - 128 : st);
		t->failures++;
	}
}

static void remove_top(void)
{
	char cmd[512];

	if (top[0] == '\0' || getpid() != top_owner)
		return; /* a forked child that failed leaves it to us */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "%s failed\n", cmd);
	top[0] = '\0';
}

static void make_dirs(void)
{
	t_tmpdir(top, sizeof(top));
	top_owner = getpid();
	CHECK(atexit(remove_top) == 0, "atexit");
	snprintf(fault_shm_dir, sizeof(fault_shm_dir), "%s/shm", top);
	snprintf(fault_file_dir, sizeof(fault_file_dir), "%s/file", top);
	CHECK(mkdir(fault_shm_dir, 0700) == 0, "mkdir: %s", strerror(errno));
	CHECK(mkdir(fault_file_dir, 0700) == 0, "mkdir: %s", strerror(errno));
	CHECK(setenv("MMIPC_SHM_DIR", fault_shm_dir, 1) == 0, "setenv");
}

int main(int argc, char **argv)
{
	unsigned total[FC_NCALLS] = { 0 }, i;
	struct tally t = { 0 };
	const char *only = NULL;
	int k;

	for (i = 1; i < (unsigned)argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			only = argv[i];
	}
	umask(077); /* create's mode must not come from it */
	make_dirs();
	for (i = 0; i < fault_nops; i++)
		if (only == NULL || strstr(fault_ops[i].name, only) != NULL)
			run_op(&fault_ops[i], &t, total);
	CHECK(t.ops > 0, "no operation matches '%s'", only);
	if (only == NULL) {
		late_planted_all();
		start_time_not_remembered(&t);
	}
	/* a kind no operation reached: the shim is not in the path */
	for (k = 0; k < FC_NCALLS && only == NULL; k++)
		CHECK(total[k] > 0, "no %s call seen: is libmmipc reaching the "
		      "shim?", fault_call_name((enum fault_call)k));
	CHECK(t_count_all(fault_shm_dir) == 0 &&
		      t_count_all(fault_file_dir) == 0,
	      "regions left in %s", top);
	remove_top();
	printf("fault: %u operations, %u call sites, %u injections "
	       "(ENOMEM, ENOSPC, EMFILE, EAGAIN; EINTR where retried): "
	       "%u returned the injected error, %u retried EINTR, "
	       "%u absorbed by optional calls, %u not reached; failures %u\n",
	       t.ops, t.sites, t.tries, t.errors, t.retried, t.tolerated,
	       t.missed, t.failures);
	return t.failures == 0 ? T_PASS : T_FAIL;
}
