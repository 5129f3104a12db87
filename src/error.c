/*
 * error.c - error texts, kind names and the library version.
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

static const char *const mmipc_errors[] = {
	[MMIPC_EBADMAGIC - MMIPC_EBASE] =
		"not an mmipc region (bad magic number)",
	[MMIPC_EVERSION - MMIPC_EBASE] =
		"unsupported mmipc layout version",
	[MMIPC_EFORMAT - MMIPC_EBASE] =
		"region made by an incompatible build (byte order or layout options)",
	[MMIPC_EKIND - MMIPC_EBASE] =
		"region holds another kind of object",
	[MMIPC_ETRUNC - MMIPC_EBASE] =
		"region is truncated: header sizes do not fit the file",
	[MMIPC_ENOTREADY - MMIPC_EBASE] =
		"region not ready: its creator never finished initialising it",
	[MMIPC_EOWNER - MMIPC_EBASE] =
		"region is owned by another user",
	[MMIPC_EBADNAME - MMIPC_EBASE] =
		"invalid region address (want shm:NAME, file:PATH, anon or memfd)",
};

const char *mmipc_strerror(int err)
{
	const char *s;

	if (err == INT_MIN)
		return "unknown error"; /* -INT_MIN does not exist */
	if (err < 0)
		err = -err;
	if (err == 0)
		return "success";
	if (err > MMIPC_EBASE && err < MMIPC_ELAST)
		return mmipc_errors[err - MMIPC_EBASE];
	/* strerrordesc_np: a static string, unlike strerror() thread-safe */
	s = strerrordesc_np(err);
	return s != NULL ? s : "unknown error";
}

const char *mmipc_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[MMIPC_KIND_RAW] = "raw",     [MMIPC_KIND_RING] = "ring",
		[MMIPC_KIND_QUEUE] = "queue", [MMIPC_KIND_BCAST] = "bcast",
		[MMIPC_KIND_BOARD] = "board", [MMIPC_KIND_JOURNAL] = "journal",
	};

	if (kind < sizeof(names) / sizeof(names[0]) && names[kind] != NULL)
		return names[kind];
	return "unknown";
}

const char *mmipc_version(void)
{
	return MMIPC_VERSION_STRING;
}
