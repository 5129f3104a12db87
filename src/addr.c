/*
 * addr.c - region addresses: "shm:NAME", "file:PATH" (or any string with a
 * '/'), "anon", "memfd". Parsing is strict: a name that could escape the
 * shm directory, hide itself, or smuggle control bytes is refused.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

const char *mmipc_shm_dir(void)
{
	/* secure_getenv: a set-uid program never takes the directory from
	 * whoever started it */
	const char *dir = secure_getenv("MMIPC_SHM_DIR");

	return dir != NULL && dir[0] != '\0' ? dir : "/dev/shm";
}

/* 1..MMIPC_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.': no '/',
 * no "..", no hidden files, nothing a shell or a terminal trips over. */
static bool shm_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > MMIPC_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static bool file_path_ok(const char *path)
{
	size_t n = strlen(path), i;

	if (n == 0 || n >= PATH_MAX || path[n - 1] == '/')
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return false;
	return true;
}

int addr_parse(const char *addr, struct addr *a)
{
	const char *p;

	if (addr == NULL)
		return -MMIPC_EBADNAME;
	if (strcmp(addr, "anon") == 0) {
		a->backend = MMIPC_BACKEND_ANON;
		a->path[0] = '\0';
		return 0;
	}
	if (strcmp(addr, "memfd") == 0) {
		a->backend = MMIPC_BACKEND_MEMFD;
		a->path[0] = '\0';
		return 0;
	}
	if (strncmp(addr, "shm:", 4) == 0) {
		const char *dir = mmipc_shm_dir();

		if (!shm_name_ok(addr + 4) ||
		    strlen(dir) + 1 + strlen(addr + 4) >= sizeof(a->path))
			return -MMIPC_EBADNAME;
		a->backend = MMIPC_BACKEND_SHM;
		strcpy(a->path, dir);
		strcat(a->path, "/");
		strcat(a->path, addr + 4);
		return 0;
	}
	if (strncmp(addr, "file:", 5) == 0)
		p = addr + 5;
	else if (strchr(addr, '/') != NULL)
		p = addr;
	else
		return -MMIPC_EBADNAME;
	if (!file_path_ok(p) || strlen(p) >= sizeof(a->path))
		return -MMIPC_EBADNAME;
	a->backend = MMIPC_BACKEND_FILE;
	strcpy(a->path, p);
	return 0;
}

/* Splits a->path into its directory ("." when none) and last component. */
void addr_split(const struct addr *a, char *dir, size_t dsize,
		const char **base)
{
	const char *slash = strrchr(a->path, '/');
	size_t n;

	if (slash == NULL) {
		strcpy(dir, ".");
		*base = a->path;
		return;
	}
	n = (size_t)(slash - a->path);
	if (n == 0)
		n = 1; /* "/x": the directory is "/" */
	if (n >= dsize)
		n = dsize - 1;
	memcpy(dir, a->path, n);
	dir[n] = '\0';
	*base = slash + 1;
}
