/*
 * t_strerror - mmipc_strerror() names every code: each of mmipc's own
 * codes has its own non-empty text, not the "unknown" one; -X and X give
 * the same text; errno values give the C library's text; 0 is success;
 * anything else (out of range, INT_MIN) gives a non-NULL string. Also
 * mmipc_version().
 */
#include <limits.h>

#include "region_util.h"

int main(void)
{
	static const int odd[] = { MMIPC_EBASE, MMIPC_ELAST, MMIPC_ELAST + 1,
				   4095, 4096, 7999, 99999, INT_MAX, INT_MIN,
				   -INT_MAX, -MMIPC_ELAST, -MMIPC_EBASE };
	const char *unknown = mmipc_strerror(123456);
	int e, f;
	size_t i;

	CHECK(unknown != NULL, "NULL for an unknown code");
	for (e = MMIPC_EBASE + 1; e < MMIPC_ELAST; e++) {
		const char *s = mmipc_strerror(-e);

		CHECK(s != NULL && s[0] != '\0', "code %d: empty text", e);
		CHECK(strcmp(s, unknown) != 0, "code %d: \"%s\"", e, s);
		CHECK(strcmp(s, "unknown error") != 0, "code %d: unknown", e);
		CHECK(strcmp(s, mmipc_strerror(e)) == 0,
		      "code %d: -%d gives \"%s\", %d \"%s\"", e, e, s, e,
		      mmipc_strerror(e));
		for (f = MMIPC_EBASE + 1; f < e; f++)
			CHECK(strcmp(s, mmipc_strerror(-f)) != 0,
			      "codes %d and %d share \"%s\"", f, e, s);
		for (f = 1; f < 134; f++)
			CHECK(strcmp(s, strerror(f)) != 0,
			      "code %d reads like errno %d: \"%s\"", e, f, s);
		printf("%d: %s\n", e, s);
	}
	for (e = 1; e < 134; e++) {
		if (strerrordesc_np(e) == NULL)
			continue; /* a gap in the errno numbers */
		CHECK(strcmp(mmipc_strerror(-e), strerror(e)) == 0,
		      "-%d: \"%s\", libc says \"%s\"", e, mmipc_strerror(-e),
		      strerror(e));
		CHECK(strcmp(mmipc_strerror(e), strerror(e)) == 0,
		      "%d: \"%s\"", e, mmipc_strerror(e));
	}
	CHECK(strcmp(mmipc_strerror(-ENOENT), "No such file or directory") == 0,
	      "-ENOENT: \"%s\"", mmipc_strerror(-ENOENT));
	CHECK(strcasestr(mmipc_strerror(0), "success") != NULL, "0: \"%s\"",
	      mmipc_strerror(0));
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		CHECK(mmipc_strerror(odd[i]) != NULL, "%d: NULL", odd[i]);
	CHECK(strcmp(mmipc_version(), MMIPC_VERSION_STRING) == 0,
	      "version %s, header %s", mmipc_version(), MMIPC_VERSION_STRING);
	return T_PASS;
}
