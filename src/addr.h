/* addr.h - parsing of region addresses (private). */
#ifndef MMIPC_ADDR_H
#define MMIPC_ADDR_H

#include <limits.h>

#include "internal.h"

#define MMIPC_NAME_MAX 200

struct addr {
	int backend;		/* MMIPC_BACKEND_* */
	char path[PATH_MAX];	/* file path for shm:/file:, else "" */
};

/* Returns 0, or -MMIPC_EBADNAME. */
int addr_parse(const char *addr, struct addr *a);
void addr_split(const struct addr *a, char *dir, size_t dsize,
		const char **base);

#endif
