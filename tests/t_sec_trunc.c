/*
 * t_sec_trunc - truncation of a named region by another process (issue 6,
 * "Security"). Root only (77 otherwise): the other process is a child
 * that really drops to uid/gid 65534. For shm: and file:.
 *
 * mmipc's answer is a documented limit (README "Safety, and its limits",
 * mmipc(3) "Limits"), and this test holds each part of it true:
 *
 *  - the defence: a region created 0600 by root cannot be truncated by
 *    uid 65534 (open O_RDWR / O_TRUNC and truncate() are EACCES), and is
 *    left as it was;
 *  - the limit: a process that CAN write the file (here uid 65534, on a
 *    region created 0666) cuts it, and a process that had it mapped takes
 *    SIGBUS when it touches the cut pages (while the pages left work);
 *  - the detection: afterwards open, open read-only, stat and ring open
 *    report -MMIPC_ETRUNC cleanly, and so does refresh on a raw region's
 *    handle mapped before the cut. Each runs in a child, so a crash is reported as
 *    such. The cuts: into the data, to the header alone, to nothing.
 */
#include "region_util.h"

#define SIZE (64 * 1024)
#define TOTAL (MMIPC_HDR_SIZE + SIZE)
#define SEED 31

/* In a child: become uid/gid 65534 with no groups, and make sure of it. */
static void become_nobody(void)
{
	t_drop_to_nobody();
	CHECK(getuid() == 65534 && geteuid() == 65534 && getgid() == 65534 &&
		      getegid() == 65534,
	      "uid %d/%d gid %d/%d after the drop", (int)getuid(),
	      (int)geteuid(), (int)getgid(), (int)getegid());
	CHECK(getgroups(0, NULL) == 0, "still in %d groups",
	      getgroups(0, NULL));
}

/* uid 65534 tries every way to shorten a 0600 file of root's. */
static int nobody_denied(void *p)
{
	const char *path = p;
	int fd;

	become_nobody();
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd < 0 && errno == EACCES, "open O_RDWR: %s",
	      fd < 0 ? strerror(errno) : "opened");
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd < 0 && errno == EACCES, "open O_TRUNC: %s",
	      fd < 0 ? strerror(errno) : "opened");
	CHECK(truncate(path, 0) < 0 && errno == EACCES, "truncate: %s",
	      strerror(errno));
	return 0;
}

/* uid 65534 cuts a 0666 region it may write to @len bytes. */
struct cut_arg {
	const char *path;
	uint64_t len;
};

static int nobody_cuts(void *p)
{
	const struct cut_arg *a = p;

	become_nobody();
	CHECK(truncate(a->path, (off_t)a->len) == 0, "truncate %s: %s",
	      a->path, strerror(errno));
	return 0;
}

/* The mapper: maps the region, waits for the cut, touches a page that is
 * left (reports it), then one that is gone: SIGBUS is expected there. */
struct mapper_arg {
	const char *addr;
	uint64_t cut_off;	/* offset in the data of a page cut away */
	int ready, go, said;	/* pipe ends */
};

static int mapper(void *p)
{
	const struct mapper_arg *a = p;
	volatile uint8_t *d;
	mmipc_region *r = NULL;

	CHECK_RC(mmipc_region_open(&r, a->addr, MMIPC_KIND_ANY, 0), 0);
	d = mmipc_region_data(r);
	signal(SIGBUS, SIG_DFL);
	ru_post(a->ready);
	ru_await(a->go);
	d[0] = 1; /* the first data page is left by every cut we make */
	ru_post(a->said);
	d[a->cut_off] = 1;
	return 0; /* survived: the documented SIGBUS did not come */
}

/* In a child: refresh a handle mapped before the cut; the result. */
static int refresh_child(void *p)
{
	mmipc_region *r = p;
	int rc = mmipc_region_refresh(r);

	printf("refresh after the cut: %d (%s)\n", rc, mmipc_strerror(rc));
	fflush(stdout);
	return rc == -MMIPC_ETRUNC ? 0 : 1;
}

/* Everything that looks at the cut region reports -MMIPC_ETRUNC. */
static void detected(const char *addr, uint64_t len, mmipc_region *old,
		     bool ring)
{
	mmipc_ring *r = NULL;
	int st;

	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY,
			     MMIPC_F_NOWAIT | MMIPC_F_ANY_UID), -MMIPC_ETRUNC);
	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY,
			     MMIPC_F_RDONLY | MMIPC_F_NOWAIT | MMIPC_F_ANY_UID),
		 -MMIPC_ETRUNC);
	CHECK_RC(ru_try_stat(addr), -MMIPC_ETRUNC);
	if (ring) {
		CHECK_RC(mmipc_ring_open(&r, addr, MMIPC_ROLE_CONSUMER,
					 MMIPC_F_NOWAIT),
			 -MMIPC_ETRUNC);
		return; /* a ring's size is fixed: refresh does not apply */
	}
	/* before a5a5555 this gave 0, or SIGBUS once the header page was cut */
	st = t_wait(ru_fork(refresh_child, old));
	CHECK(st == 0, "%s cut to %llu bytes: refresh of a handle mapped "
	      "before the cut: %s %d, want -MMIPC_ETRUNC", addr,
	      (unsigned long long)len,
	      st > 128 ? "killed by signal" : "exit", st > 128 ? st - 128 : st);
}

/* A process that can write the region cuts it under a mapper. */
static void cut_under_mapper(const char *addr, const char *path,
			     uint64_t len, bool ring)
{
	int ready[2], go[2], said[2];
	struct mapper_arg m = { addr, SIZE - 1, 0, 0, 0 };
	struct cut_arg c = { path, len };
	mmipc_region *r = NULL, *old = NULL;
	pid_t pid;
	int st;

	if (ring)
		CHECK_RC(mmipc_ring_create(&r, addr, SIZE, 0666, 0), 0);
	else
		CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0666, 0), 0);
	ru_fill(mmipc_region_data(r), SIZE, SEED);
	CHECK_RC(mmipc_region_open(&old, addr, MMIPC_KIND_ANY, 0), 0);
	ru_pipe(ready);
	ru_pipe(go);
	ru_pipe(said);
	m.ready = ready[1];
	m.go = go[0];
	m.said = said[1];
	pid = ru_fork(mapper, &m);
	ru_await(ready[0]);
	RU_WAIT_OK(ru_fork(nobody_cuts, &c), "uid 65534 truncating");
	CHECK(ru_file_size(path) == len, "%s: size %llu after the cut", path,
	      (unsigned long long)ru_file_size(path));
	ru_post(go[1]);
	st = t_wait(pid);
	if (len > MMIPC_HDR_SIZE)
		ru_await(said[0]); /* the page left was fine */
	CHECK(st == 128 + SIGBUS,
	      "%s cut to %llu: the mapper touching a cut page %s %d, want "
	      "SIGBUS (the limit documented in README and mmipc(3))", addr,
	      (unsigned long long)len,
	      st > 128 ? "was killed by signal" : "exited",
	      st > 128 ? st - 128 : st);
	detected(addr, len, old, ring);
	CHECK_RC(mmipc_region_close(old), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
	close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
	close(said[0]), close(said[1]);
}

/* A 0600 region of root's: uid 65534 can neither cut nor open it. */
static void defended(const char *addr, const char *path)
{
	mmipc_region *r = NULL;

	CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
	ru_fill(mmipc_region_data(r), SIZE, SEED);
	RU_WAIT_OK(ru_fork(nobody_denied, (void *)path), "uid 65534 denied");
	CHECK(ru_file_size(path) == TOTAL, "%s: size now %llu", path,
	      (unsigned long long)ru_file_size(path));
	CHECK_PATTERN(mmipc_region_data(r), SIZE, SEED);
	CHECK_RC(mmipc_region_refresh(r), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(addr);
}

int main(void)
{
	/* into the data (its first page stays), the header alone, nothing */
	static const uint64_t cuts[] = { MMIPC_HDR_SIZE + 4096, MMIPC_HDR_SIZE,
					 0 };
	char dir[256], buf[512], path[512];
	unsigned i, j;

	if (!t_is_root()) {
		printf("not root: skipped\n");
		return T_SKIP;
	}
	t_tmpdir(dir, sizeof(dir));
	CHECK(chmod(dir, 0755) == 0, "chmod %s: %s", dir, strerror(errno));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		const char *addr = ru_addr(buf, sizeof(buf), b, "sectrunc", dir);

		ru_path(path, sizeof(path), addr);
		defended(addr, path);
		for (j = 0; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
			cut_under_mapper(addr, path, cuts[j], false);
			cut_under_mapper(addr, path, cuts[j], true);
		}
		printf("%s: 0600 uncuttable by uid 65534; cut 0666 regions: "
		       "SIGBUS in the mapper, ETRUNC for open/stat/ring open\n",
		       b->label);
	}
	t_rmtree(dir);
	return T_PASS;
}
