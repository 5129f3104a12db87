/*
 * t_zz_leftovers - runs after every other test (a CTest cleanup fixture):
 * nothing the tests made may be left behind. Fails, naming them, if a
 * file "mmipct-*" (or ".mmipct-*") is in /dev/shm or $MMIPC_SHM_DIR, or
 * "/tmp/mmipct-*" exists; removes them, so that the next run starts
 * clean.
 *
 * Names made by t_name() and t_tmpdir() carry the pid of their maker
 * ("mmipct-PID-..."). One whose maker is still alive belongs to a test
 * running now (another build tree's ctest on the same machine) and is
 * left alone; one without a pid (t_run's capture file) counts only once
 * it is a minute old.
 */
#include <ftw.h>
#include <sys/stat.h>

#include "region_util.h"

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0)
		fprintf(stderr, "cannot remove %s: %s\n", path,
			strerror(errno));
	return 0;
}

/* Is the name, after the prefix, "PID-..." of a live process? */
static bool maker_alive(const char *name)
{
	const char *p = name + strlen(T_PREFIX);
	char *end;
	long pid = strtol(p, &end, 10);

	if (end == p || *end != '-' || pid <= 0)
		return false;
	return pid != getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static bool has_pid(const char *name)
{
	const char *p = name + strlen(T_PREFIX);

	return *p >= '1' && *p <= '9';
}

static int sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		char path[4096];
		struct stat st;

		if (name[0] == '.' && strncmp(name + 1, T_PREFIX,
					      strlen(T_PREFIX)) == 0)
			name++;
		if (strncmp(name, T_PREFIX, strlen(T_PREFIX)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (maker_alive(name))
			continue;
		if (!has_pid(name) && now - st.st_mtime < 60)
			continue;
		fprintf(stderr, "left behind: %s\n", path);
		n++;
		if (S_ISDIR(st.st_mode))
			nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		else
			CHECK(unlink(path) == 0 || errno == ENOENT,
			      "unlink %s: %s", path, strerror(errno));
	}
	closedir(d);
	return n;
}

int main(void)
{
	const char *env = getenv("MMIPC_SHM_DIR");
	int n = sweep("/dev/shm") + sweep("/tmp");

	if (env != NULL && env[0] != '\0' && strcmp(env, "/dev/shm") != 0)
		n += sweep(env);
	CHECK(n == 0, "%d leftover(s) from the tests (now removed)", n);
	return T_PASS;
}
