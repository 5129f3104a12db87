/*
 * internal.h - private declarations shared by libmmipc's sources. Never
 * installed; nothing here is part of the ABI.
 */
#ifndef MMIPC_INTERNAL_H
#define MMIPC_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "layout.h"
#include "mmipc.h"

/*
 * Loads and stores of shared words that another process may change at any
 * moment. Relaxed: they only stop the compiler from tearing, fusing or
 * re-reading an access; where ordering matters the code says which order it
 * uses and why.
 */
#define READ_ONCE(x)	 __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* A process-local handle on a mapped region. */
struct mmipc_region {
	void *base;		/* start of the mapping */
	size_t map_size;	/* bytes mapped */
	struct mmipc_hdr *hdr;	/* == base; NULL for a plain file */
	uint64_t data_off;	/* validated copies of the header's sizes */
	uint64_t data_size;
	uint32_t resize_gen;	/* header's resize_gen when last validated */
	int fd;			/* -1 for anon */
	int backend;		/* MMIPC_BACKEND_* */
	uint32_t kind;		/* validated at open/create: the header's
				 * word may be rewritten by anyone later */
	unsigned flags;		/* open flags: MMIPC_F_RDONLY, MMIPC_F_PLAIN */
};

/* The one place errno becomes a return value: -errno of the call that just
 * failed (-EIO should a failing call ever leave errno at 0). */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* proc.c: processes and time */
uint64_t proc_start_time(int32_t pid);	/* 0 when it cannot be read */
uint64_t proc_self_start_time(void);
int proc_alive(int32_t pid, uint64_t start); /* 1 alive, 0 dead, -1 unknown */
uint64_t proc_self_pidns(void);		/* 0 when it cannot be read */
int64_t now_ns(clockid_t clk);

/* futex.c */
int futex_wait_abs(const uint32_t *word, uint32_t expected,
		   const struct timespec *deadline);
void deadline_after_ms(struct timespec *ts, int timeout_ms);
bool deadline_passed(const struct timespec *ts);
uint32_t evc_prepare(struct mmipc_evc *e);
void evc_cancel(struct mmipc_evc *e);
int evc_wait(struct mmipc_evc *e, uint32_t key, const struct timespec *until);
void evc_signal(struct mmipc_evc *e);
void evc_signal_all(struct mmipc_evc *e);

/* peer.c */
int peer_attach(struct mmipc_region *r, uint32_t role, uint32_t *slot,
		uint64_t *word);
void peer_detach(struct mmipc_region *r, uint32_t slot, uint64_t word);
int peer_alive(const struct mmipc_region *r, uint32_t slot, uint32_t role);
void peer_count(const struct mmipc_region *r, uint32_t *peers,
		uint32_t *alive);

/* region_open.c: for stat: open read-only, no wait, and accept a region
 * that is not READY yet (its header is described, never used) */
int region_open_inspect(struct mmipc_region **out, const char *addr);

/* region.c: helpers shared with region_open.c */
struct mmipc_region *region_alloc(void);
uint64_t region_total_for(uint64_t data_size);
int region_check_size(uint64_t size, uint64_t off, int backend,
		      uint64_t *total);
int region_reserve(int fd, uint64_t total);

/* region_open.c: open a descriptor the caller hands over (closed on
 * failure). */
int region_open_fd(struct mmipc_region **out, int fd, int backend,
		   uint32_t kind, unsigned flags, int timeout_ms);

/* region.c: the kind-aware create used by the channel layers. @init runs
 * on the mapped, zero-filled region before it is published READY. */
typedef int (*region_init_fn)(struct mmipc_region *r, void *arg);
int region_create(struct mmipc_region **out, const char *addr, uint32_t kind,
		  uint64_t size, unsigned mode, const uint64_t params[4],
		  region_init_fn init, void *arg);

#endif /* MMIPC_INTERNAL_H */
