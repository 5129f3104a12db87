/*
 * t_region_special - what is at a region's name need not be a file: a
 * FIFO (open must not block on it), a directory, a UNIX socket, a device
 * (/dev/null, /dev/zero by name). Open and stat fail at once with an
 * error, create over them is -EEXIST, unlink without FORCE leaves them
 * (not tried on the devices). For shm: names and file: paths.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "region_util.h"

#define SIZE 4096

static void refused(const char *addr, const char *path, const char *what,
		    bool try_unlink)
{
	mmipc_region *keep = (mmipc_region *)&keep;
	struct mmipc_region_info info;
	int64_t t0 = ru_now_ns();
	int rc;

	rc = ru_try_open(addr, MMIPC_KIND_ANY, 0);
	CHECK(rc < 0, "%s: %s opened as a region", addr, what);
	printf("%s: open %d (%s)\n", what, rc, mmipc_strerror(rc));
	rc = ru_try_open(addr, MMIPC_KIND_ANY, MMIPC_F_PLAIN | MMIPC_F_RDONLY);
	CHECK(rc < 0, "%s: %s opened PLAIN", addr, what);
	rc = mmipc_region_stat(addr, &info);
	CHECK(rc < 0, "%s: %s stat as a region", addr, what);
	CHECK(ru_ms_since(t0) < 3000, "%s: %s: took %lld ms", addr, what,
	      (long long)ru_ms_since(t0));
	CHECK_RC(mmipc_region_create(&keep, addr, SIZE, 0, 0), -EEXIST);
	if (try_unlink) /* not on /dev/null: a bug there would hurt */
		CHECK(mmipc_region_unlink(addr, 0) < 0,
		      "%s: unlink removed a %s", addr, what);
	CHECK(ru_exists(path), "%s: %s gone", addr, what);
	CHECK(keep == (mmipc_region *)&keep, "failed call set *out");
}

int main(void)
{
	char dir[256], buf[512], path[512];
	unsigned i;

	t_tmpdir(dir, sizeof(dir));
	for (i = 0; i < 2; i++) { /* shm, file */
		const struct ru_backend *b = &ru_backends[i];
		struct sockaddr_un sa;
		const char *addr;
		int s;

		addr = ru_addr(buf, sizeof(buf), b, "fifo", dir);
		ru_path(path, sizeof(path), addr);
		CHECK(mkfifo(path, 0600) == 0, "mkfifo %s: %s", path,
		      strerror(errno));
		refused(addr, path, "FIFO", true);
		CHECK(unlink(path) == 0, "unlink %s", path);

		addr = ru_addr(buf, sizeof(buf), b, "dir", dir);
		ru_path(path, sizeof(path), addr);
		CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);
		refused(addr, path, "directory", true);
		CHECK(rmdir(path) == 0, "rmdir %s", path);

		addr = ru_addr(buf, sizeof(buf), b, "sock", dir);
		ru_path(path, sizeof(path), addr);
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK(s >= 0, "socket");
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		CHECK(strlen(path) < sizeof(sa.sun_path), "path too long");
		memcpy(sa.sun_path, path, strlen(path));
		CHECK(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		      "bind %s: %s", path, strerror(errno));
		refused(addr, path, "socket", true);
		close(s);
		CHECK(unlink(path) == 0, "unlink %s", path);
	}
	/* a device, by its own name */
	refused("/dev/null", "/dev/null", "device", false);
	refused("file:/dev/zero", "/dev/zero", "device", false);
	t_rmtree(dir);
	return T_PASS;
}
