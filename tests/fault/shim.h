/*
 * shim.h - fault injection for the fault test (tests/fault/): wrappers of
 * the libc calls libmmipc makes to build, open and map a region, linked
 * into the test program itself. A symbol defined in the executable comes
 * first in the dynamic linker's search, so libmmipc.so's calls to open(),
 * mmap(), ... land in shim.c, which either fails the call on purpose or
 * passes it on to libc (dlsym(RTLD_NEXT)). Only calls made through the
 * PLT are seen: libmmipc's, and the test's own; libc's internal calls and
 * a sanitizer's are not.
 *
 * Use: fault_arm(call, n, err) fails the n-th call of that kind from now
 * on with errno err (n = 0: fail none, only count them: a census);
 * fault_disarm() stops counting and says how many calls of the armed kind
 * were made, fault_seen() how many of any kind.
 */
#ifndef MMIPC_FAULT_SHIM_H
#define MMIPC_FAULT_SHIM_H

#include <stdbool.h>

/* The calls that can be made to fail. */
enum fault_call {
	FC_OPEN,
	FC_OPENAT,
	FC_MEMFD_CREATE,
	FC_FCHMOD,
	FC_FALLOCATE,	/* posix_fallocate(): returns the error, no errno */
	FC_MMAP,
	FC_MREMAP,
	FC_LINKAT,
	FC_FCNTL,
	FC_FSTAT,
	FC_FSTATAT,
	FC_RECVMSG,
	FC_SENDMSG,
	FC_NCALLS
};

const char *fault_call_name(enum fault_call c);

/* Fail the nth call of kind c from now on with err (0: count only). */
void fault_arm(enum fault_call c, unsigned nth, int err);

/* Stop; returns the calls of the armed kind made while armed. */
unsigned fault_disarm(void);

/* Calls of kind c made during the last armed period. */
unsigned fault_seen(enum fault_call c);

/* Did the armed failure happen? What call was failed ("open(/proc/self/
 * stat)", "fcntl(F_ADD_SEALS)", ...)? */
bool fault_fired(void);
const char *fault_what(void);

/* While on, openat(O_TMPFILE) fails with EOPNOTSUPP (not counted): a file
 * system without O_TMPFILE, to drive region.c's O_CREAT|O_EXCL fallback. */
void fault_no_tmpfile(bool on);

#endif /* MMIPC_FAULT_SHIM_H */
