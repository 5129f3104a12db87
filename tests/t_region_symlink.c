/*
 * t_region_symlink - names are never followed through a symlink: create
 * over a symlink (to a file, to a region, dangling) is -EEXIST and touches
 * neither the link nor its target; open, stat and unlink of a symlink are
 * -ELOOP, even when it points at a valid region, and the link stays. And
 * (root only) a region file owned by another uid: create is -EEXIST, open
 * -MMIPC_EOWNER unless MMIPC_F_ANY_UID.
 */
#include "region_util.h"

#define SIZE (8 * 1024)
#define PRECIOUS "precious data, not a region\n"

static void check_target(const char *target)
{
	char got[64] = "";

	CHECK(ru_file_size(target) == strlen(PRECIOUS), "%s: size changed",
	      target);
	ru_pread(target, 0, got, strlen(PRECIOUS));
	CHECK(memcmp(got, PRECIOUS, strlen(PRECIOUS)) == 0, "%s changed",
	      target);
}

static void check_link(const char *link, const char *target)
{
	char got[512];
	ssize_t n = readlink(link, got, sizeof(got) - 1);

	CHECK(n > 0, "%s: not a symlink any more: %s", link, strerror(errno));
	got[n] = '\0';
	CHECK(strcmp(got, target) == 0, "%s now points at %s", link, got);
}

/* @addr names a symlink (its file @link) pointing at @target, which is
 * the file of PRECIOUS text if @precious. */
static void at_symlink(const char *addr, const char *link, const char *target,
		       bool precious)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	struct mmipc_region_info info;
	int rc;

	CHECK_RC(mmipc_region_create(&keep, addr, SIZE, 0, 0), -EEXIST);
	CHECK_RC(mmipc_region_create(&keep, addr, SIZE, 0666, 0), -EEXIST);
	check_link(link, target);
	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY, 0), -ELOOP);
	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY,
			     MMIPC_F_RDONLY | MMIPC_F_ANY_UID | MMIPC_F_NOWAIT),
		 -ELOOP);
	CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY, MMIPC_F_PLAIN), -ELOOP);
	CHECK_RC(mmipc_region_stat(addr, &info), -ELOOP);
	CHECK_RC(mmipc_region_unlink(addr, 0), -ELOOP);
	CHECK(keep == (mmipc_region *)&keep, "failed call set *out");
	check_link(link, target);
	if (precious)
		check_target(target);
	/* FORCE: the header only promises the link is not followed */
	rc = mmipc_region_unlink(addr, MMIPC_F_FORCE);
	printf("unlink(FORCE) of a symlink: %d (%s)\n", rc,
	       mmipc_strerror(rc));
	CHECK(rc == -ELOOP || rc == 0, "unlink(FORCE) of symlink: %d (%s)", rc,
	      mmipc_strerror(rc));
	if (rc == 0)
		CHECK(symlink(target, link) == 0, "re-link: %s",
		      strerror(errno));
	if (precious)
		check_target(target);
}

static void symlinks(const char *dir, const char *region_addr)
{
	char target[512], region_path[512], link[512], addr[512];
	unsigned i;

	snprintf(target, sizeof(target), "%s/target", dir);
	ru_write_file(target, PRECIOUS, strlen(PRECIOUS), 0644);
	ru_path(region_path, sizeof(region_path), region_addr);

	for (i = 0; i < 2; i++) { /* shm, file */
		const char *targets[] = { target, region_path,
					  "/nonexistent/mmipct-dangling" };
		unsigned t;

		for (t = 0; t < 3; t++) {
			ru_addr(addr, sizeof(addr), &ru_backends[i], "link",
				dir);
			ru_path(link, sizeof(link), addr);
			CHECK(symlink(targets[t], link) == 0, "symlink %s: %s",
			      link, strerror(errno));
			at_symlink(addr, link, targets[t], t == 0);
			CHECK(unlink(link) == 0, "unlink %s", link);
		}
	}
}

/* root: a region (a valid one) whose file belongs to uid 65534 */
static void foreign_owner(const char *dir)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		char buf[512], path[512];
		const char *addr = ru_addr(buf, sizeof(buf), &ru_backends[i],
					   "owner", dir);
		mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
		struct mmipc_region_info info;

		ru_make(addr, SIZE, 15);
		ru_path(path, sizeof(path), addr);
		CHECK(chown(path, 65534, 65534) == 0, "chown: %s",
		      strerror(errno));
		CHECK_RC(mmipc_region_create(&keep, addr, SIZE, 0, 0), -EEXIST);
		CHECK_RC(ru_try_open(addr, MMIPC_KIND_ANY, 0), -MMIPC_EOWNER);
		CHECK_RC(mmipc_region_stat(addr, &info), 0);
		CHECK(info.owner_uid == 65534, "owner_uid %u", info.owner_uid);
		CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW,
					   MMIPC_F_ANY_UID), 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 15);
		CHECK_RC(mmipc_region_close(r), 0);
		CHECK(ru_get64(path, RU_OFF(magic)) == MMIPC_MAGIC,
		      "region changed");
		CHECK(keep == (mmipc_region *)&keep, "failed call set *out");
		ru_unlink(addr);
	}
}

int main(void)
{
	char dir[256], region[512];

	t_tmpdir(dir, sizeof(dir));
	t_name(region, sizeof(region), "link-target");
	ru_make(region, SIZE, 16);
	symlinks(dir, region);
	ru_unlink(region);
	if (t_is_root())
		foreign_owner(dir);
	else
		printf("not root: foreign-owner part skipped\n");
	t_rmtree(dir);
	return T_PASS;
}
