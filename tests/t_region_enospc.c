/*
 * t_region_enospc - a full file system is -ENOSPC from create (and from
 * resize), never SIGBUS later, and a failed create leaves nothing behind.
 * Root only: a child unshares its mount namespace, mounts a 1 MiB tmpfs on
 * a temporary directory and re-executes this program with $MMIPC_SHM_DIR
 * pointing there (skipped, 77, where that cannot be done).
 *
 * In the tmpfs: a 4 MiB region is -ENOSPC (shm: and file:); a 256 KiB one
 * works and all of it can be written; once the rest of the space is taken
 * by a plain file, another create (raw or ring) is -ENOSPC, leaking no
 * descriptor or mapping, growing the region is -ENOSPC and leaves it as it
 * was, and the region is still all usable. Then the tmpfs's inodes (64)
 * run out: create is -ENOSPC too, and leaves nothing.
 */
#include <sched.h>
#include <sys/mount.h>

#include "region_util.h"

#define SMALL (256 * 1024)

static void no_room(const char *addr, uint64_t size, const char *dir,
		    int had)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	struct ru_res before = ru_res_now();

	CHECK_RC(mmipc_region_create(&keep, addr, size, 0, 0), -ENOSPC);
	CHECK_RC(mmipc_ring_create(&keep, addr, size < 4096 ? 4096 : size, 0,
				   0),
		 -ENOSPC);
	CHECK(keep == (mmipc_region *)&keep, "failed create set *out");
	CHECK_RES(before, addr);
	CHECK(t_count_all(dir) == had, "%s: failed create left a file in %s", addr,
	      dir);
}

/* Takes every inode left with empty files; returns how many it made. */
static int use_up_inodes(const char *dir)
{
	char path[512];
	int n, fd;

	for (n = 0; n < 1000; n++) {
		snprintf(path, sizeof(path), "%s/inode-%d", dir, n);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			break;
		close(fd);
	}
	CHECK(n < 1000 && errno == ENOSPC, "inodes never ran out: %d made, %s",
	      n, strerror(errno));
	return n;
}

static void free_inodes(const char *dir, int n)
{
	char path[512];

	while (n-- > 0) {
		snprintf(path, sizeof(path), "%s/inode-%d", dir, n);
		CHECK(unlink(path) == 0, "unlink %s: %s", path,
		      strerror(errno));
	}
}

/* No inode left: create fails cleanly too (O_TMPFILE needs one). */
static void no_inodes(const char *dir)
{
	char addr[512], file[512];
	int had, n;

	n = use_up_inodes(dir);
	had = t_count_all(dir);
	no_room(t_name(addr, sizeof(addr), "noinode"), 4096, dir, had);
	snprintf(file, sizeof(file), "file:%s/noinode", dir);
	no_room(file, 4096, dir, had);
	free_inodes(dir, n);
	printf("no inodes left (%d files made): create -ENOSPC, nothing left\n",
	       n);
}

/* Runs inside the tmpfs namespace, as an exec'd program. */
static int inner(const char *dir)
{
	char addr[512], path[512], fill[512], file[512];
	mmipc_region *r = NULL;
	struct ru_res before;
	struct stat st;
	uint64_t size;
	int fd;
	static char chunk[4096];

	CHECK(strcmp(mmipc_shm_dir(), dir) == 0, "shm dir %s, want %s",
	      mmipc_shm_dir(), dir);
	/* SIGBUS would kill us: that is the failure we look for */
	signal(SIGBUS, SIG_DFL);
	before = ru_res_now();
	no_room(t_name(addr, sizeof(addr), "nospc"), 4 << 20, dir, 0);
	snprintf(file, sizeof(file), "file:%s/big", dir);
	no_room(file, 4 << 20, dir, 0);
	CHECK_RES(before, "failed creates");

	CHECK_RC(mmipc_region_create(&r, t_name(addr, sizeof(addr), "fits"),
				     SMALL, 0, 0), 0);
	memset(mmipc_region_data(r), 0xab, SMALL);
	ru_path(path, sizeof(path), addr);

	/* take the rest of the space */
	snprintf(fill, sizeof(fill), "%s/filler", dir);
	fd = open(fill, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "open %s: %s", fill, strerror(errno));
	memset(chunk, 'f', sizeof(chunk));
	while (write(fd, chunk, sizeof(chunk)) > 0)
		;
	CHECK(errno == ENOSPC || errno == EFBIG, "filling: %s",
	      strerror(errno));
	close(fd);

	no_room(t_name(fill, sizeof(fill), "full"), 4096, dir, 2);
	no_room(file, 4096, dir, 2);
	size = ru_file_size(path);
	CHECK_RC(mmipc_region_resize(r, 4 * SMALL), -ENOSPC);
	CHECK(mmipc_region_size(r) == SMALL, "size %llu after failed resize",
	      (unsigned long long)mmipc_region_size(r));
	CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == size,
	      "failed resize changed the file size %llu -> %llu",
	      (unsigned long long)size, (unsigned long long)st.st_size);
	/* every page still there: reserved at create */
	memset(mmipc_region_data(r), 0xcd, SMALL);
	CHECK_RC(mmipc_region_refresh(r), 0);
	CHECK_RC(mmipc_region_close(r), 0);
	CHECK_RC(mmipc_region_open(&r, addr, MMIPC_KIND_RAW, 0), 0);
	CHECK(((uint8_t *)mmipc_region_data(r))[SMALL - 1] == 0xcd, "data");
	CHECK_RC(mmipc_region_close(r), 0);
	ru_unlink(addr);
	no_inodes(dir);
	return T_PASS;
}

/* In a child: a private mount namespace with a 1 MiB tmpfs on dir. */
static int setup(void *p)
{
	const char *dir = p;
	char *args[] = { "inner", (char *)dir, NULL };

	if (unshare(CLONE_NEWNS) < 0) {
		printf("unshare(CLONE_NEWNS): %s: skipped\n", strerror(errno));
		return T_SKIP;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("mmipct", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=1m,nr_inodes=64,mode=0700") < 0) {
		printf("mount tmpfs: %s: skipped\n", strerror(errno));
		return T_SKIP;
	}
	CHECK(setenv("MMIPC_SHM_DIR", dir, 1) == 0, "setenv");
	return t_wait(t_self_exec(args));
}

int main(int argc, char **argv)
{
	char dir[256];
	int rc;

	if (argc == 3 && strcmp(argv[1], "inner") == 0)
		return inner(argv[2]);
	if (!t_is_root()) {
		printf("not root: skipped\n");
		return T_SKIP;
	}
	t_tmpdir(dir, sizeof(dir));
	rc = t_wait(ru_fork(setup, dir));
	CHECK(rc == T_PASS || rc == T_SKIP, "inner test %s %d",
	      rc > 128 ? "killed by signal" : "exited",
	      rc > 128 ? rc - 128 : rc);
	/* the tmpfs went with the namespace: the directory is empty */
	CHECK(t_count_all(dir) == 0, "%s not empty", dir);
	t_rmtree(dir);
	return rc;
}
