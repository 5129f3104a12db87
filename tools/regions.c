/*
 * regions.c - the tool's view of the regions in the shm directory: a
 * sorted list of stat results, the scan that fills it, and the rules that
 * decide what is stale and what is not an mmipc region at all, and a
 * look at a ring's counters. Used by "mmipc ls", "mmipc stat" and "mmipc
 * rm --stale" (and later "mmipc top").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

/*
 * A region is stale when nobody can be using it: its creator is dead and
 * no attached peer (a ring's producer or consumer) is alive. "Cannot tell"
 * (-1, e.g. a process in another pid namespace) counts as alive, for the
 * creator and for peers (peers_alive includes them), so it is never stale.
 */
bool region_is_stale(const struct mmipc_region_info *info)
{
	return info->creator_alive == 0 && info->peers_alive == 0;
}

int region_open_peek(mmipc_region **out, const char *addr)
{
	return mmipc_region_open_timeout(out, addr, MMIPC_KIND_ANY,
					 MMIPC_F_RDONLY | MMIPC_F_ANY_UID |
					 MMIPC_F_NOWAIT, 0);
}

int ring_stats_of(const char *addr, struct mmipc_ring_stats *st)
{
	mmipc_region *r;
	int rc;

	rc = region_open_peek(&r, addr);
	if (rc < 0)
		return rc;
	rc = mmipc_ring_stats(r, st);
	mmipc_region_close(r);
	return rc;
}

unsigned ring_fill_pct(const struct mmipc_ring_stats *st)
{
	uint64_t used = st->used;

	if (st->capacity == 0)
		return 0;
	if (used > st->capacity)	/* counters read at different moments */
		used = st->capacity;
	return (unsigned)(used * 100 / st->capacity);
}

bool region_is_foreign(int rc)
{
	return rc == -MMIPC_EBADMAGIC || rc == -MMIPC_ETRUNC ||
	       rc == -MMIPC_EBADNAME;
}

int region_list_add(struct region_list *l, const char *addr)
{
	char path[PATH_MAX];
	struct region_entry *e;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 32;
		e = realloc(l->v, cap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		l->v = e;
		l->cap = cap;
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->addr = strdup(addr);
	if (e->addr == NULL)
		return -ENOMEM;
	e->rc = mmipc_region_stat(addr, &e->info);
	if (e->rc < 0 && addr_fs_path(addr, path, sizeof(path)) != NULL)
		e->have_st = lstat(path, &e->st) == 0;
	if (e->rc == 0 && e->info.kind == MMIPC_KIND_RING &&
	    e->info.state == MMIPC_STATE_READY) {
		e->ring_rc = ring_stats_of(addr, &e->ring);
		e->have_ring = e->ring_rc == 0;
	}
	l->n++;
	return 0;
}

void region_list_drop_last(struct region_list *l)
{
	if (l->n > 0)
		free(l->v[--l->n].addr);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct region_entry *x = a, *y = b;

	return strcmp(x->addr, y->addr);
}

void region_list_sort(struct region_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), entry_cmp);
}

void region_list_free(struct region_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].addr);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* is_regular - d is a regular file (not a symlink, directory, ...). */
static bool is_regular(DIR *dir, const struct dirent *d)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_REG;
	if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;		/* gone meanwhile */
	return S_ISREG(st.st_mode);
}

/* scan_add - stat shm:NAME and keep it, unless it vanished meanwhile. */
static int scan_add(struct region_list *l, const char *name)
{
	char addr[NAME_MAX + 8];
	int rc;

	snprintf(addr, sizeof(addr), "shm:%s", name);
	rc = region_list_add(l, addr);
	if (rc < 0)
		return rc;
	if (l->v[l->n - 1].rc == -ENOENT)
		region_list_drop_last(l);
	return 0;
}

static int scan_dir(DIR *dir, struct region_list *l)
{
	struct dirent *d;
	int rc;

	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (d == NULL)
			return -errno;
		if (!is_regular(dir, d))
			continue;
		rc = scan_add(l, d->d_name);
		if (rc < 0)
			return rc;
	}
}

int region_scan(struct region_list *l)
{
	const char *path = mmipc_shm_dir();
	DIR *dir;
	int rc;

	memset(l, 0, sizeof(*l));
	dir = opendir(path);
	if (dir == NULL) {
		tool_err(path, -errno);
		return -1;
	}
	rc = scan_dir(dir, l);
	closedir(dir);
	if (rc < 0) {
		tool_err(path, rc);
		region_list_free(l);
		return -1;
	}
	region_list_sort(l);
	return 0;
}

void json_info(FILE *f, const char *addr,
	       const struct mmipc_region_info *in)
{
	char state[32];
	int64_t age = age_seconds(in->ctime_ns);

	fputs("{\"name\": ", f);
	json_string(f, addr);
	fmt_state(in->state, state, sizeof(state));
	fprintf(f, ", \"kind\": \"%s\", \"backend\": \"%s\", \"state\": \"%s\"",
		mmipc_kind_name(in->kind), backend_name(in->backend), state);
	fprintf(f, ", \"data_size\": %llu, \"total_size\": %llu",
		(unsigned long long)in->data_size,
		(unsigned long long)in->total_size);
	fprintf(f, ", \"creator_pid\": %d, \"creator_uid\": %u, \"creator_alive\": %s",
		in->creator_pid, in->creator_uid,
		in->creator_alive == 1 ? "true" :
		in->creator_alive == 0 ? "false" : "null");
	fprintf(f, ", \"ctime_ns\": %lld, \"age_s\": ", (long long)in->ctime_ns);
	if (age < 0)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)age);
	fprintf(f, ", \"mode\": \"%04o\", \"owner_uid\": %u, \"stale\": %s",
		in->mode & 07777, in->owner_uid,
		region_is_stale(in) ? "true" : "false");
}
