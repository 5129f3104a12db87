/*
 * fault.h - the fault test's operations (ops.c) and what the driver
 * (t_fault.c) needs to know of them.
 *
 * An operation is one library call under test (a create, an open, a
 * resize, ...) with what it needs around it: setup() makes its
 * preconditions (a region to open, a socket with a descriptor in it),
 * run() is the call itself, the only code that runs with the shim armed,
 * intact() checks after a FAILED run that what setup made is as it was,
 * undo() checks and releases what a SUCCESSFUL run made, teardown() what
 * setup made. All but run() fail the test at once (CHECK) when something
 * is wrong with the test itself.
 */
#ifndef MMIPC_FAULT_H
#define MMIPC_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "mmipc.h"

/* What a failed call must leave in *out: untouched. */
#define FAULT_UNTOUCHED ((mmipc_region *)&fault_untouched)
extern char fault_untouched;

struct fault_ctx {
	char addr[512];		/* the address the operation works on */
	char path[512];		/* its file, for a named region */
	mmipc_region *r;	/* made by setup: the region worked on */
	mmipc_region *out;	/* made by run */
	mmipc_ring *ring;	/* made by run (ring open) */
	int sv[2];		/* a socketpair, for descriptor passing */
};

/* op flags */
#define OP_NO_TMPFILE	0x1u /* run without O_TMPFILE: the fallback path */
#define OP_INFO_FSTAT	0x2u /* the last fstat only feeds info's owner
			      * and mode: stat may succeed without it */

struct fault_op {
	const char *name;
	unsigned flags;
	void (*setup)(struct fault_ctx *c);
	int (*run)(struct fault_ctx *c);
	void (*intact)(struct fault_ctx *c);
	void (*undo)(struct fault_ctx *c);
	void (*teardown)(struct fault_ctx *c);
};

extern const struct fault_op fault_ops[];
extern const unsigned fault_nops;

/* Where shm: regions (MMIPC_SHM_DIR) and file: regions are made. */
extern char fault_shm_dir[];
extern char fault_file_dir[];

#endif /* MMIPC_FAULT_H */
