/*
 * inspect.c - describing a region to a bystander: the decoded header, the
 * file's owner and mode, and the liveness of its creator and peers. Sits
 * above the peer layer (region_open.c below it only opens and validates).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int mmipc_region_info(const mmipc_region *r, struct mmipc_region_info *info)
{
	const struct mmipc_hdr *h = r->hdr;
	struct stat st;
	int seals;

	memset(info, 0, sizeof(*info));
	info->backend = (uint32_t)r->backend;
	if (h != NULL) {
		info->version = READ_ONCE(h->version);
		info->kind = READ_ONCE(h->kind);
		info->state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
		info->total_size = READ_ONCE(h->total_size);
		info->data_off = READ_ONCE(h->data_off);
		info->data_size = READ_ONCE(h->data_size);
		info->creator_pid = READ_ONCE(h->creator_pid);
		info->creator_uid = READ_ONCE(h->creator_uid);
		info->creator_start = READ_ONCE(h->creator_start);
		info->ctime_ns = READ_ONCE(h->ctime_ns);
		for (int i = 0; i < 4; i++)
			info->params[i] = READ_ONCE(h->params[i]);
		info->creator_pidns = READ_ONCE(h->creator_pidns);
		info->creator_alive =
			info->creator_pidns != 0 &&
					info->creator_pidns != proc_self_pidns()
				? -1 /* another pid namespace: cannot tell */
				: proc_alive(info->creator_pid,
					     info->creator_start);
	} else {
		info->kind = MMIPC_KIND_RAW;
		info->state = MMIPC_STATE_READY;
		info->total_size = r->map_size;
		info->data_size = r->data_size;
		info->creator_alive = -1;
	}
	/* the peer table lies in the header block: only when all of it is
	 * mapped (a region still being built may be shorter) */
	if (h != NULL && r->map_size >= MMIPC_HDR_SIZE)
		peer_count(r, &info->peers, &info->peers_alive);
	info->owner_uid = info->creator_uid;
	info->file_size = r->map_size;
	if (r->fd >= 0 && fstat(r->fd, &st) == 0) {
		info->owner_uid = st.st_uid;
		info->mode = st.st_mode & 07777;
		info->file_size = (uint64_t)st.st_size;
	}
	if (r->backend == MMIPC_BACKEND_MEMFD &&
	    (seals = fcntl(r->fd, F_GET_SEALS)) >= 0)
		info->seals = (uint32_t)seals;
	return 0;
}

int mmipc_region_stat(const char *addr, struct mmipc_region_info *info)
{
	struct mmipc_region *r;
	int rc = region_open_inspect(&r, addr);

	if (rc < 0)
		return rc;
	mmipc_region_info(r, info);
	mmipc_region_close(r);
	return 0;
}
