/*
 * t_region_names - addresses are parsed strictly: bad ones are
 * -MMIPC_EBADNAME for create, open, unlink and stat, ring create and ring
 * open, and create nothing (a shm: name with "/" or ".." never escapes
 * the shm directory);
 * "anon" and "memfd" have no name to open, unlink or stat (-EINVAL); good
 * ones of every spelling work.
 */
#include "region_util.h"

#define SIZE 4096

static void bad(const char *addr)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	mmipc_ring *rkeep = (mmipc_ring *)&rkeep;
	struct mmipc_region_info info;

	CHECK_RC(mmipc_ring_create(&keep, addr, 4096, 0, 0), -MMIPC_EBADNAME);
	CHECK_RC(mmipc_ring_open(&rkeep, addr, MMIPC_ROLE_CONSUMER, 0),
		 -MMIPC_EBADNAME);
	CHECK(rkeep == (mmipc_ring *)&rkeep, "%s: ring open set *out", addr);

	CHECK_RC(mmipc_region_create(&keep, addr, SIZE, 0, 0),
		 -MMIPC_EBADNAME);
	CHECK_RC(mmipc_region_open(&keep, addr, MMIPC_KIND_ANY, 0),
		 -MMIPC_EBADNAME);
	CHECK_RC(mmipc_region_open_timeout(&keep, addr, MMIPC_KIND_ANY, 0, 10),
		 -MMIPC_EBADNAME);
	CHECK_RC(mmipc_region_unlink(addr, 0), -MMIPC_EBADNAME);
	CHECK_RC(mmipc_region_unlink(addr, MMIPC_F_FORCE), -MMIPC_EBADNAME);
	CHECK_RC(mmipc_region_stat(addr, &info), -MMIPC_EBADNAME);
	CHECK(keep == (mmipc_region *)&keep, "%s: failed call set *out", addr);
}

static void good(const char *addr)
{
	mmipc_region *r = NULL;
	struct mmipc_region_info info;

	CHECK_RC(mmipc_region_create(&r, addr, SIZE, 0, 0), 0);
	ru_fill(mmipc_region_data(r), SIZE, 12);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_stat(addr, &info), 0);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 12);
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(addr);
}

/* shm: names that would land outside the shm directory, or in it under
 * another name, if '/' and ".." were let through: refused, and nothing
 * appears where they point. */
static void escapes(void)
{
	static const char *const around[][2] = { /* before, after the name */
		{ "../", "" }, { "../../tmp/", "" }, { "sub/../", "" },
		{ "./", "" }, { "", "/" }, { "", "/.." }, { "..%2f", "" },
	};
	const char *dir = mmipc_shm_dir();
	char name[128], addr[256], where[3][512];
	unsigned i, j;

	snprintf(name, sizeof(name), "%s%d-escape", T_PREFIX, (int)getpid());
	snprintf(where[0], sizeof(where[0]), "%s/../%s", dir, name);
	snprintf(where[1], sizeof(where[1]), "/tmp/%s", name);
	snprintf(where[2], sizeof(where[2]), "%s/%s", dir, name);
	for (i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
		snprintf(addr, sizeof(addr), "shm:%s%s%s", around[i][0], name,
			 around[i][1]);
		bad(addr);
		for (j = 0; j < 3; j++)
			CHECK(!ru_exists(where[j]), "%s made %s", addr,
			      where[j]);
	}
}

int main(void)
{
	static const char *const bads[] = {
		"", "shm:", "shm:a/b", "shm:/x", "shm:..", "shm:.", "shm:../x",
		"shm:.hidden", "shm:a\nb", "shm:a b", "shm:a*b", "shm:a\\b",
		"shm:a:b", "shm:\xc3\xa9t\xc3\xa9", "shm:a\tb", "bogus",
		"anon:", "memfd:", "ANON", "Memfd", "SHM:x", "shm", "file:",
		"file:/tmp/x\n", "file:/tmp/dir/", "/tmp/x\x7f",
	};
	char dir[256], cwd[4096], buf[512], name[512];
	mmipc_region *keep = (mmipc_region *)&keep;
	struct mmipc_region_info info;
	size_t i;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		bad(bads[i]);
	CHECK_RC(mmipc_region_open(&keep, NULL, MMIPC_KIND_ANY, 0),
		 -MMIPC_EBADNAME);

	/* a hidden name must not have been made in the shm dir either */
	snprintf(name, sizeof(name), "shm:.%s%d-hidden", T_PREFIX,
		 (int)getpid());
	bad(name);
	CHECK(!ru_exists(ru_path(buf, sizeof(buf), name)), "%s created", name);

	escapes();

	/* names: 200 bytes is the limit, 201 and 300 are over */
	snprintf(name, sizeof(name), "shm:%s%d-", T_PREFIX, (int)getpid());
	while (strlen(name) < 4 + 200)
		strcat(name, "x");
	good(name);
	strcat(name, "y");
	bad(name);
	while (strlen(name) < 4 + 300)
		strcat(name, "z");
	bad(name);

	/* nameless backends */
	CHECK_RC(mmipc_region_open(&keep, "anon", MMIPC_KIND_ANY, 0), -EINVAL);
	CHECK_RC(mmipc_region_open(&keep, "memfd", MMIPC_KIND_ANY, 0), -EINVAL);
	CHECK_RC(mmipc_region_open_timeout(&keep, "memfd", MMIPC_KIND_ANY, 0,
					   10),
		 -EINVAL);
	CHECK_RC(mmipc_region_unlink("anon", 0), -EINVAL);
	CHECK_RC(mmipc_region_unlink("memfd", 0), -EINVAL);
	CHECK_RC(mmipc_region_stat("anon", &info), -EINVAL);
	CHECK_RC(mmipc_region_stat("memfd", &info), -EINVAL);
	CHECK(keep == (mmipc_region *)&keep, "failed call set *out");

	/* good spellings */
	snprintf(name, sizeof(name), "shm:%s%d-Az09._-", T_PREFIX,
		 (int)getpid());
	good(name);
	good(t_name(buf, sizeof(buf), "n.a-m_e"));
	snprintf(name, sizeof(name), "file:%s/f", dir);
	good(name);
	snprintf(name, sizeof(name), "%s/bare", dir);
	good(name);
	snprintf(name, sizeof(name), "%s/sub/../odd name:with\xc3\xa9", dir);
	CHECK(mkdir(strcat(strcpy(buf, dir), "/sub"), 0700) == 0, "mkdir");
	good(name);
	/* relative paths, from the working directory */
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL, "getcwd");
	CHECK(chdir(dir) == 0, "chdir %s", dir);
	good("./rel");
	good("file:rel2");
	good("sub/rel3");
	CHECK(chdir(cwd) == 0, "chdir back");
	CHECK(t_count_dir(dir) == 1, "files left in %s", dir);
	t_rmtree(dir);
	return T_PASS;
}
