/*
 * t_region_uid - regions of another uid (root only; skipped otherwise).
 * A region root created with the default mode 0600 is -EACCES to uid
 * 65534; one created 0666 it may read, but open refuses it
 * (-MMIPC_EOWNER) unless it asks with MMIPC_F_ANY_UID, and stat reports
 * it. For shm: and file:. Rings alike: uid 65534 cannot open root's 0600
 * ring, and a 0666 one only with MMIPC_F_ANY_UID (then a message passes).
 */
#include "region_util.h"

#define SIZE (8 * 1024)
#define HELLO "from root"

/* In a child: become uid/gid 65534, real and effective, and make sure. */
static void become_nobody(void)
{
	t_drop_to_nobody();
	CHECK(getuid() == 65534 && getgid() == 65534 && getegid() == 65534,
	      "uid %d gid %d/%d after the drop", (int)getuid(), (int)getgid(),
	      (int)getegid());
}

struct nobody_arg {
	const char *addr;
	const char *path;
	unsigned mode;
};

static int as_nobody(void *p)
{
	struct nobody_arg *a = p;
	mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
	struct mmipc_region_info info;
	int rc;

	become_nobody();
	if (a->mode == 0600) {
		CHECK_RC(mmipc_region_open(&keep, a->addr, MMIPC_KIND_ANY, 0),
			 -EACCES);
		CHECK_RC(mmipc_region_open(&keep, a->addr, MMIPC_KIND_ANY,
					   MMIPC_F_ANY_UID | MMIPC_F_RDONLY),
			 -EACCES);
		CHECK_RC(mmipc_region_stat(a->addr, &info), -EACCES);
		CHECK(keep == (mmipc_region *)&keep, "failed open set *out");
		rc = mmipc_region_unlink(a->addr, 0);
		CHECK(rc == -EACCES || rc == -EPERM, "unlink gave %d (%s)", rc,
		      mmipc_strerror(rc));
		CHECK(ru_exists(a->path), "nobody removed %s", a->path);
		return 0;
	}
	/* 0666: readable, but not ours */
	CHECK_RC(mmipc_region_open(&keep, a->addr, MMIPC_KIND_ANY, 0),
		 -MMIPC_EOWNER);
	CHECK_RC(mmipc_region_open(&keep, a->addr, MMIPC_KIND_RAW,
				   MMIPC_F_RDONLY),
		 -MMIPC_EOWNER);
	CHECK(keep == (mmipc_region *)&keep, "failed open set *out");
	CHECK_RC(mmipc_region_stat(a->addr, &info), 0);
	CHECK(info.owner_uid == 0 && info.creator_uid == 0,
	      "stat: owner %u creator %u", info.owner_uid, info.creator_uid);
	CHECK(info.mode == 0666, "stat: mode %o", info.mode);

	CHECK_RC(mmipc_region_open(&r, a->addr, MMIPC_KIND_RAW,
				   MMIPC_F_ANY_UID | MMIPC_F_RDONLY), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 13);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_open(&r, a->addr, MMIPC_KIND_RAW,
				   MMIPC_F_ANY_UID), 0);
	CHECK_PATTERN(mmipc_region_data(r), SIZE, 13);
	ru_fill(mmipc_region_data(r), SIZE, 14);
	CHECK_RC(mmipc_region_info(r, &info), 0);
	CHECK(info.owner_uid == 0, "info: owner %u", info.owner_uid);
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

/* nobody creates: not in a directory of root's (-EACCES, nothing left),
 * but in the sticky, world-writable shm dir; root then sees the region
 * as another uid's. */
static int nobody_creates(void *p)
{
	const char *dir = p;
	char addr[512], name[256];
	mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;

	become_nobody();
	snprintf(addr, sizeof(addr), "file:%s/by-nobody", dir);
	CHECK_RC(mmipc_region_create(&keep, addr, SIZE, 0, 0), -EACCES);
	CHECK(!ru_exists(addr + 5), "%s made", addr + 5);
	/* t_name() of the parent's pid: the parent removes it */
	snprintf(name, sizeof(name), "shm:%s%d-uid-nobody", T_PREFIX,
		 (int)getppid());
	CHECK_RC(mmipc_region_create(&r, name, SIZE, 0644, 0), 0);
	ru_fill(mmipc_region_data(r), SIZE, 43);
	CHECK_RC(mmipc_region_close(r), 0);
	return 0;
}

/* uid 65534 and a ring of root's (shm:), made with mode a->mode. */
static int nobody_ring(void *p)
{
	const struct nobody_arg *a = p;
	mmipc_ring *ring = NULL, *keep = (mmipc_ring *)&keep;
	char buf[64];
	size_t len = 0;

	become_nobody();
	if (a->mode == 0600) {
		CHECK_RC(mmipc_ring_open(&keep, a->addr, MMIPC_ROLE_CONSUMER,
					 0), -EACCES);
		CHECK_RC(mmipc_ring_open(&keep, a->addr, MMIPC_ROLE_CONSUMER,
					 MMIPC_F_ANY_UID), -EACCES);
		return 0;
	}
	CHECK_RC(mmipc_ring_open(&keep, a->addr, MMIPC_ROLE_CONSUMER, 0),
		 -MMIPC_EOWNER);
	CHECK(keep == (mmipc_ring *)&keep, "failed ring open set *out");
	CHECK_RC(mmipc_ring_open(&ring, a->addr, MMIPC_ROLE_CONSUMER,
				 MMIPC_F_ANY_UID), 0);
	CHECK_RC(mmipc_ring_recv(ring, buf, sizeof(buf), &len, 10000), 1);
	CHECK(len == sizeof(HELLO) && memcmp(buf, HELLO, len) == 0,
	      "got %zu bytes", len);
	CHECK_RC(mmipc_ring_close(ring), 0);
	return 0;
}

static void rings(void)
{
	static const unsigned modes[] = { 0600, 0666 };
	char addr[256];
	unsigned m;

	for (m = 0; m < 2; m++) {
		struct nobody_arg a = { addr, NULL, modes[m] };
		mmipc_region *r = NULL;
		mmipc_ring *prod = NULL;

		t_name(addr, sizeof(addr), "uid-ring");
		CHECK_RC(mmipc_ring_create(&r, addr, 4096, modes[m], 0), 0);
		CHECK_RC(mmipc_ring_attach(&prod, r, MMIPC_ROLE_PRODUCER, 0),
			 0);
		CHECK_RC(mmipc_ring_send(prod, HELLO, sizeof(HELLO), 0, 0), 0);
		RU_WAIT_OK(ru_fork(nobody_ring, &a), addr);
		CHECK_RC(mmipc_ring_close(prod), 0);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(addr);
	}
}

int main(void)
{
	static const unsigned modes[] = { 0600, 0666 };
	char dir[256], buf[512], path[512];
	unsigned i, m;

	if (!t_is_root()) {
		printf("not root: skipped\n");
		return T_SKIP;
	}
	t_tmpdir(dir, sizeof(dir));
	CHECK(chmod(dir, 0755) == 0, "chmod %s: %s", dir, strerror(errno));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];

		for (m = 0; m < 2; m++) {
			const char *addr = ru_addr(buf, sizeof(buf), b, "uid",
						   dir);
			struct nobody_arg a = { addr, path, modes[m] };
			mmipc_region *r = NULL;

			CHECK_RC(mmipc_region_create(&r, addr, SIZE, modes[m],
						     0), 0);
			ru_fill(mmipc_region_data(r), SIZE, 13);
			ru_path(path, sizeof(path), addr);
			RU_WAIT_OK(ru_fork(as_nobody, &a), addr);
			CHECK_PATTERN(mmipc_region_data(r), SIZE,
				      modes[m] == 0666 ? 14 : 13);
			CHECK_RC(mmipc_region_close(r), 0);
			ru_unlink(addr);
		}
	}
	{
		char name[256];
		mmipc_region *r = NULL, *keep = (mmipc_region *)&keep;
		struct mmipc_region_info info;

		RU_WAIT_OK(ru_fork(nobody_creates, dir), "nobody creates");
		snprintf(name, sizeof(name), "shm:%s%d-uid-nobody", T_PREFIX,
			 (int)getpid());
		CHECK_RC(mmipc_region_open(&keep, name, MMIPC_KIND_RAW, 0),
			 -MMIPC_EOWNER);
		CHECK_RC(mmipc_region_stat(name, &info), 0);
		CHECK(info.owner_uid == 65534 && info.creator_uid == 65534,
		      "owner %u creator %u", info.owner_uid, info.creator_uid);
		CHECK_RC(mmipc_region_open(&r, name, MMIPC_KIND_RAW,
					   MMIPC_F_ANY_UID | MMIPC_F_RDONLY),
			 0);
		CHECK_PATTERN(mmipc_region_data(r), SIZE, 43);
		CHECK_RC(mmipc_region_close(r), 0);
		ru_unlink(name);
	}
	rings();
	t_rmtree(dir);
	return T_PASS;
}
