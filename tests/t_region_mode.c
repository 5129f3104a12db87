/*
 * t_region_mode - a named region gets exactly the mode asked for (0 means
 * 0600), whatever the umask: with umask 0, 022 and 077, for shm: and
 * file:, as the file system and mmipc_region_info() report it. Mode bits
 * outside 0777 are -EINVAL. The same for rings; and a memfd region is
 * always 0600 (its descriptor may travel to another process), whatever
 * the umask.
 */
#include "region_util.h"

#define SIZE 4096

/* Rings on shm: and file:, and memfd regions and rings, under @um. */
static void rings_and_memfd(mode_t um, const char *dir)
{
	static const unsigned asks[] = { 0, 0640, 0666 };
	char buf[512], path[512];
	struct mmipc_region_info info;
	mmipc_region *r = NULL;
	struct stat st;
	unsigned i, a;

	for (i = 0; i < 2; i++) { /* shm, file */
		for (a = 0; a < sizeof(asks) / sizeof(asks[0]); a++) {
			const char *addr = ru_addr(buf, sizeof(buf),
						   &ru_backends[i], "mode-ring",
						   dir);
			unsigned want = asks[a] ? asks[a] : 0600;

			CHECK_RC(mmipc_ring_create(&r, addr, 4096, asks[a], 0),
				 0);
			CHECK(stat(ru_path(path, sizeof(path), addr), &st) == 0,
			      "stat %s", path);
			CHECK((st.st_mode & 07777) == want, "umask %03o: ring "
			      "%s mode %03o, want %03o", (unsigned)um, addr,
			      (unsigned)(st.st_mode & 07777), want);
			CHECK_RC(mmipc_region_close(r), 0);
			ru_unlink(addr);
		}
	}
	for (i = 0; i < 2; i++) { /* a raw memfd region, a memfd ring */
		if (i == 0)
			CHECK_RC(mmipc_region_create(&r, "memfd", SIZE, 0, 0),
				 0);
		else
			CHECK_RC(mmipc_ring_create(&r, "memfd", 4096, 0, 0), 0);
		CHECK(fstat(mmipc_region_fd(r), &st) == 0, "fstat memfd");
		CHECK_RC(mmipc_region_info(r, &info), 0);
		CHECK((st.st_mode & 07777) == 0600 && info.mode == 0600,
		      "umask %03o: memfd mode %03o, info.mode %03o",
		      (unsigned)um, (unsigned)(st.st_mode & 07777), info.mode);
		CHECK_RC(mmipc_region_close(r), 0);
	}
}

int main(void)
{
	static const mode_t umasks[] = { 0, 022, 077, 0777 };
	static const unsigned asks[] = { 0, 0600, 0640, 0644, 0660, 0666,
					 0400, 0604 };
	char dir[256], buf[512], path[512];
	unsigned u, a, i;
	mode_t old;

	t_tmpdir(dir, sizeof(dir));
	old = umask(0);
	for (u = 0; u < sizeof(umasks) / sizeof(umasks[0]); u++) {
		umask(umasks[u]);
		rings_and_memfd(umasks[u], dir);
		for (i = 0; i < 2; i++) { /* shm, file */
			for (a = 0; a < sizeof(asks) / sizeof(asks[0]); a++) {
				const char *addr = ru_addr(buf, sizeof(buf),
							   &ru_backends[i],
							   "mode", dir);
				unsigned want = asks[a] ? asks[a] : 0600;
				struct mmipc_region_info info;
				mmipc_region *r = NULL;
				struct stat st;

				CHECK_RC(mmipc_region_create(&r, addr, SIZE,
							     asks[a], 0), 0);
				ru_path(path, sizeof(path), addr);
				CHECK(stat(path, &st) == 0, "stat %s", path);
				CHECK((st.st_mode & 07777) == want,
				      "umask %03o, mode %03o asked: file has "
				      "%03o", (unsigned)umasks[u], asks[a],
				      (unsigned)(st.st_mode & 07777));
				CHECK_RC(mmipc_region_info(r, &info), 0);
				CHECK(info.mode == want, "info.mode %03o, "
				      "want %03o", info.mode, want);
				CHECK_RC(mmipc_region_close(r), 0);
				CHECK_RC(mmipc_region_stat(addr, &info), 0);
				CHECK(info.mode == want, "stat mode %03o, "
				      "want %03o", info.mode, want);
				ru_unlink(addr);
			}
		}
	}
	umask(old);
	{
		static const unsigned bad[] = { 010000, 01000, 02600, 04600,
						0177777 };
		mmipc_region *keep = (mmipc_region *)&keep;

		for (a = 0; a < sizeof(bad) / sizeof(bad[0]); a++) {
			const char *addr = ru_addr(buf, sizeof(buf),
						   &ru_backends[0], "mode",
						   dir);

			CHECK_RC(mmipc_region_create(&keep, addr, SIZE, bad[a],
						     0), -EINVAL);
			CHECK(!ru_exists(ru_path(path, sizeof(path), addr)),
			      "%s created", addr);
		}
	}
	t_rmtree(dir);
	return T_PASS;
}
