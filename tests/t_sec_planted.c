/*
 * t_sec_planted - another uid plants something at the name root is about
 * to use (issue 6, "Security"). Root only (77 otherwise): the planter is a
 * child that really drops to uid/gid 65534, and plants in the directories
 * every uid can write to: the shm directory (/dev/shm, mode 1777) for
 * shm:, and a directory of mode 1777 like /tmp for file:.
 *
 * What it plants: a symlink to a file of root's (the classic attack: make
 * root write through it), a symlink to one of root's regions, a dangling
 * symlink into a directory only root can write (make root create a file
 * there), a file of garbage, a valid mmipc region of its own, a FIFO, and
 * a directory. For each, root's create and ring create are -EEXIST; open,
 * ring open and stat refuse it (-ELOOP for a symlink, -MMIPC_EOWNER for
 * nobody's file or region, -MMIPC_EBADMAGIC for a FIFO, -EISDIR), at once
 * (a FIFO must not block us); nothing planted and nothing a symlink points
 * at is changed, and nothing is created where the dangling one points. A
 * region of another uid is used only on explicit request (MMIPC_F_ANY_UID).
 */
#include "region_util.h"

#define SIZE 8192
#define SEED 41
#define PRECIOUS "root's precious file\n"

enum plant {
	P_LINK_FILE,	/* symlink to a file of root's */
	P_LINK_REGION,	/* symlink to a region of root's */
	P_DANGLING,	/* symlink to a name in a directory of root's */
	P_FILE,		/* a file of garbage */
	P_REGION,	/* a valid region, made by uid 65534 */
	P_FIFO,
	P_DIR,
	P_COUNT
};

static const char *const plant_names[P_COUNT] = {
	"symlink to a file", "symlink to a region", "dangling symlink",
	"file of garbage", "region of uid 65534", "FIFO", "directory",
};

struct plant_arg {
	const char *addr, *path;
	enum plant what;
	const char *target;	/* of a symlink */
};

/* In a child: become uid/gid 65534, and make sure of it. */
static void become_nobody(void)
{
	t_drop_to_nobody();
	CHECK(getuid() == 65534 && getgid() == 65534 && getegid() == 65534,
	      "uid %d gid %d/%d after the drop", (int)getuid(), (int)getgid(),
	      (int)getegid());
}

static int plant(void *p)
{
	const struct plant_arg *a = p;
	static char junk[SIZE];
	mmipc_region *r = NULL;

	become_nobody();
	switch (a->what) {
	case P_LINK_FILE:
	case P_LINK_REGION:
	case P_DANGLING:
		CHECK(symlink(a->target, a->path) == 0, "symlink %s: %s",
		      a->path, strerror(errno));
		break;
	case P_FILE:
		memset(junk, 'j', sizeof(junk));
		ru_write_file(a->path, junk, sizeof(junk), 0666);
		break;
	case P_REGION:
		CHECK_RC(mmipc_region_create(&r, a->addr, SIZE, 0666, 0), 0);
		ru_fill(mmipc_region_data(r), SIZE, SEED);
		CHECK_RC(mmipc_region_close(r), 0);
		break;
	case P_FIFO:
		CHECK(mkfifo(a->path, 0666) == 0, "mkfifo: %s",
		      strerror(errno));
		break;
	default:
		CHECK(mkdir(a->path, 0777) == 0, "mkdir: %s", strerror(errno));
		break;
	}
	return 0;
}

/* What open and ring open say of each plant, and stat. */
static int want_open(enum plant w)
{
	static const int want[P_COUNT] = {
		-ELOOP, -ELOOP, -ELOOP, -MMIPC_EOWNER, -MMIPC_EOWNER,
		-MMIPC_EBADMAGIC, -EISDIR,
	};

	return want[w];
}

static int want_stat(enum plant w)
{
	return w == P_FILE ? -MMIPC_EBADMAGIC : w == P_REGION ? 0
								 : want_open(w);
}

/* The planted name is what it was: same inode, owner, mode and size (and
 * the same target, for a symlink). */
static void unchanged(const char *path, const struct stat *was,
		      const char *target)
{
	struct stat st;
	char got[512];
	ssize_t n;

	CHECK(lstat(path, &st) == 0, "%s: gone: %s", path, strerror(errno));
	CHECK(st.st_ino == was->st_ino && st.st_uid == 65534 &&
		      st.st_mode == was->st_mode && st.st_size == was->st_size,
	      "%s changed: ino %lu->%lu uid %u mode %o->%o size %lld->%lld",
	      path, (unsigned long)was->st_ino, (unsigned long)st.st_ino,
	      (unsigned)st.st_uid, (unsigned)was->st_mode,
	      (unsigned)st.st_mode, (long long)was->st_size,
	      (long long)st.st_size);
	if (target == NULL)
		return;
	n = readlink(path, got, sizeof(got) - 1);
	CHECK(n > 0, "%s: not a symlink now", path);
	got[n] = '\0';
	CHECK(strcmp(got, target) == 0, "%s now points at %s", path, got);
}

static void refused(const struct plant_arg *a)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	mmipc_ring *rkeep = (mmipc_ring *)&rkeep;
	struct mmipc_region_info info;
	int64_t t0 = t_now_ms();

	CHECK_RC(mmipc_region_create(&keep, a->addr, SIZE, 0, 0), -EEXIST);
	CHECK_RC(mmipc_region_create(&keep, a->addr, SIZE, 0666, 0), -EEXIST);
	CHECK_RC(mmipc_ring_create(&keep, a->addr, 4096, 0, 0), -EEXIST);
	CHECK_RC(ru_try_open(a->addr, MMIPC_KIND_ANY, 0), want_open(a->what));
	CHECK_RC(ru_try_open(a->addr, MMIPC_KIND_ANY,
			     MMIPC_F_RDONLY | MMIPC_F_NOWAIT),
		 want_open(a->what));
	CHECK_RC(mmipc_ring_open(&rkeep, a->addr, MMIPC_ROLE_CONSUMER, 0),
		 want_open(a->what));
	CHECK_RC(ru_try_stat(a->addr), want_stat(a->what));
	CHECK(keep == (mmipc_region *)&keep && rkeep == (mmipc_ring *)&rkeep,
	      "a failed call set its *out");
	/* refusals are immediate: no wait for READY, no block on a FIFO */
	CHECK(t_now_ms() - t0 < 5000, "%s: refusing took %lld ms", a->addr,
	      (long long)(t_now_ms() - t0));
	if (a->what == P_REGION) { /* only on explicit request */
		mmipc_region *r = NULL;

		CHECK_RC(mmipc_region_stat(a->addr, &info), 0);
		CHECK(info.owner_uid == 65534 && info.creator_uid == 65534,
		      "owner %u creator %u", info.owner_uid, info.creator_uid);
		CHECK_RC(mmipc_region_open(&r, a->addr, MMIPC_KIND_RAW,
					   MMIPC_F_ANY_UID), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, SEED);
		CHECK_RC(mmipc_region_close(r), 0);
	}
	if (a->what == P_FILE)
		CHECK_RC(ru_try_open(a->addr, MMIPC_KIND_ANY, MMIPC_F_ANY_UID),
			 -MMIPC_EBADMAGIC);
}

/* Root's own things a symlink may point at. */
struct roots {
	char dir[256];		/* 0755, only root writes here */
	char precious[512];	/* a file with PRECIOUS in it */
	char region[512];	/* a region of root's, its file */
	char region_addr[512];
	char absent[512];	/* a name that does not exist */
};

static void check_roots(const struct roots *r)
{
	char got[64] = "";
	struct stat st;

	CHECK(stat(r->precious, &st) == 0 && st.st_uid == 0 &&
		      (st.st_mode & 07777) == 0644 &&
		      st.st_size == (off_t)strlen(PRECIOUS),
	      "%s changed", r->precious);
	ru_pread(r->precious, 0, got, strlen(PRECIOUS));
	CHECK(memcmp(got, PRECIOUS, strlen(PRECIOUS)) == 0, "%s rewritten",
	      r->precious);
	CHECK(ru_get64(r->region, RU_OFF(magic)) == MMIPC_MAGIC &&
		      ru_file_size(r->region) == MMIPC_HDR_SIZE + SIZE,
	      "%s changed", r->region);
	CHECK(!ru_exists(r->absent), "%s was created through the symlink",
	      r->absent);
}

static const char *target_of(const struct roots *r, enum plant w)
{
	return w == P_LINK_FILE     ? r->precious
	       : w == P_LINK_REGION ? r->region
	       : w == P_DANGLING    ? r->absent
				    : NULL;
}

static void one(const struct ru_backend *b, const char *shared,
		const struct roots *roots, enum plant w)
{
	char addr[512], path[512];
	struct plant_arg a = { addr, path, w, target_of(roots, w) };
	struct stat was;

	ru_addr(addr, sizeof(addr), b, "planted", shared);
	ru_path(path, sizeof(path), addr);
	RU_WAIT_OK(ru_fork(plant, &a), plant_names[w]);
	CHECK(lstat(path, &was) == 0 && was.st_uid == 65534,
	      "%s: not planted by uid 65534", path);
	refused(&a);
	unchanged(path, &was, a.target);
	check_roots(roots);
	/* FORCE removes the name itself, never what a symlink points at */
	if (w == P_DIR)
		CHECK(rmdir(path) == 0, "rmdir %s: %s", path, strerror(errno));
	else
		CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), 0);
	check_roots(roots);
	printf("%s: %s planted by uid 65534: refused\n", b->label,
	       plant_names[w]);
}

int main(void)
{
	char top[256], shared[300];
	struct roots roots;
	unsigned i, w;

	if (!t_is_root()) {
		printf("not root: skipped\n");
		return T_SKIP;
	}
	/* root's things, in a directory uid 65534 can read but not write */
	t_tmpdir(top, sizeof(top));
	CHECK(chmod(top, 0755) == 0, "chmod: %s", strerror(errno));
	snprintf(roots.dir, sizeof(roots.dir), "%s", top);
	snprintf(roots.precious, sizeof(roots.precious), "%s/precious", top);
	ru_write_file(roots.precious, PRECIOUS, strlen(PRECIOUS), 0644);
	snprintf(roots.region_addr, sizeof(roots.region_addr), "file:%s/region",
		 top);
	snprintf(roots.region, sizeof(roots.region), "%s/region", top);
	ru_make(roots.region_addr, SIZE, SEED + 1);
	snprintf(roots.absent, sizeof(roots.absent), "%s/absent", top);
	/* the shared directory for file:, like /tmp */
	snprintf(shared, sizeof(shared), "%s/shared", top);
	CHECK(mkdir(shared, 0777) == 0 && chmod(shared, 01777) == 0,
	      "mkdir %s: %s", shared, strerror(errno));

	for (i = 0; i < 2; i++) /* shm, file */
		for (w = 0; w < P_COUNT; w++)
			one(&ru_backends[i], shared, &roots, (enum plant)w);
	CHECK(t_count_dir(shared) == 0, "%s not empty", shared);
	t_rmtree(top);
	return T_PASS;
}
