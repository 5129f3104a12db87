/*
 * shim.c - the wrappers behind shim.h. Each one counts its call while the
 * shim is armed, fails the chosen one (errno set, nothing done: no
 * descriptor made, nothing mapped), and otherwise calls the real function,
 * found once with dlsym(RTLD_NEXT) (under ASan that is ASan's interceptor,
 * which calls libc's).
 *
 * The names wrapped are exactly the ones libmmipc.so imports for these
 * calls (nm -D libmmipc.so | grep ' U '): open and openat, not open64 or
 * __open_2, which it would import only if built with _FORTIFY_SOURCE. The
 * driver checks that every kind wrapped here is called by some operation,
 * so a library that stops reaching the shim fails the test instead of
 * passing it with nothing injected.
 */
#undef _FORTIFY_SOURCE /* fortified headers define open() inline */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

static struct {
	bool armed;
	bool fired;
	bool no_tmpfile;
	enum fault_call call;
	unsigned nth;
	int err;
	unsigned seen[FC_NCALLS];
	char what[160];
} F;

static const char *const names[FC_NCALLS] = {
	[FC_OPEN] = "open",
	[FC_OPENAT] = "openat",
	[FC_MEMFD_CREATE] = "memfd_create",
	[FC_FCHMOD] = "fchmod",
	[FC_FALLOCATE] = "posix_fallocate",
	[FC_MMAP] = "mmap",
	[FC_MREMAP] = "mremap",
	[FC_LINKAT] = "linkat",
	[FC_FCNTL] = "fcntl",
	[FC_FSTAT] = "fstat",
	[FC_FSTATAT] = "fstatat",
	[FC_RECVMSG] = "recvmsg",
	[FC_SENDMSG] = "sendmsg",
};

const char *fault_call_name(enum fault_call c)
{
	return c < FC_NCALLS ? names[c] : "?";
}

void fault_arm(enum fault_call c, unsigned nth, int err)
{
	memset(F.seen, 0, sizeof(F.seen));
	F.call = c;
	F.nth = nth;
	F.err = err;
	F.fired = false;
	F.what[0] = '\0';
	F.armed = true;
}

unsigned fault_disarm(void)
{
	F.armed = false;
	return F.seen[F.call];
}

unsigned fault_seen(enum fault_call c)
{
	return F.seen[c];
}

bool fault_fired(void)
{
	return F.fired;
}

const char *fault_what(void)
{
	return F.what;
}

void fault_no_tmpfile(bool on)
{
	F.no_tmpfile = on;
}

/*
 * Counts a call of kind c; true if this is the one to fail, with errno
 * set and the call described (printf-style) for the driver's messages.
 */
__attribute__((format(printf, 2, 3)))
static bool inject(enum fault_call c, const char *fmt, ...)
{
	va_list ap;

	if (!F.armed)
		return false;
	F.seen[c]++;
	if (c != F.call || F.seen[c] != F.nth)
		return false;
	va_start(ap, fmt);
	vsnprintf(F.what, sizeof(F.what), fmt, ap);
	va_end(ap);
	F.fired = true;
	errno = F.err;
	return true;
}

/* The next definition of @name after ours (libc's, or a sanitizer's). */
static void *real(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		fprintf(stderr, "shim: dlsym(RTLD_NEXT, %s): %s\n", name,
			dlerror());
		abort();
	}
	return p;
}

/* Declares and resolves fn_, the real function of this wrapper. */
#define REAL(fn)                                                              \
	static __typeof__(fn) *fn##_;                                         \
	if (fn##_ == NULL)                                                    \
		fn##_ = (__typeof__(fn) *)real(#fn)

/* open and openat take a mode only with these flags (as glibc's own). */
static mode_t mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, mode_t);
	return 0;
}

static const char *open_kind(int flags)
{
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return "O_TMPFILE";
	if (flags & O_CREAT)
		return "O_CREAT";
	return (flags & O_PATH) ? "O_PATH" : "";
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	REAL(open);

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (inject(FC_OPEN, "open(%s)", path))
		return -1;
	return open_(path, flags, mode);
}

int openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	REAL(openat);

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (F.no_tmpfile && (flags & O_TMPFILE) == O_TMPFILE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (inject(FC_OPENAT, "openat(%s %s)", path, open_kind(flags)))
		return -1;
	return openat_(dfd, path, flags, mode);
}

int memfd_create(const char *name, unsigned int flags)
{
	REAL(memfd_create);

	if (inject(FC_MEMFD_CREATE, "memfd_create"))
		return -1;
	return memfd_create_(name, flags);
}

int fchmod(int fd, mode_t mode)
{
	REAL(fchmod);

	if (inject(FC_FCHMOD, "fchmod(%03o)", (unsigned)mode))
		return -1;
	return fchmod_(fd, mode);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
	REAL(posix_fallocate);

	/* returns the error number itself, and leaves errno alone */
	if (inject(FC_FALLOCATE, "posix_fallocate(%lld)", (long long)len)) {
		errno = 0;
		return F.err;
	}
	return posix_fallocate_(fd, off, len);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap);

	if (inject(FC_MMAP, "mmap(%zu%s)", len,
		   (flags & MAP_ANONYMOUS) ? " anonymous" : ""))
		return MAP_FAILED;
	return mmap_(addr, len, prot, flags, fd, off);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list ap;
	REAL(mremap);

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (inject(FC_MREMAP, "mremap(%zu -> %zu)", old_len, new_len))
		return MAP_FAILED;
	return mremap_(old, old_len, new_len, flags, new_addr);
}

int linkat(int olddfd, const char *old, int newdfd, const char *new,
	   int flags)
{
	REAL(linkat);

	if (inject(FC_LINKAT, "linkat(%s)", new))
		return -1;
	return linkat_(olddfd, old, newdfd, new, flags);
}

static const char *fcntl_name(int cmd)
{
	switch (cmd) {
	case F_ADD_SEALS:
		return "F_ADD_SEALS";
	case F_GET_SEALS:
		return "F_GET_SEALS";
	case F_DUPFD_CLOEXEC:
		return "F_DUPFD_CLOEXEC";
	default:
		return "other";
	}
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	REAL(fcntl);

	/* every fcntl command takes one word or nothing; passing on a word
	 * that was not given is what glibc's own fcntl does */
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (inject(FC_FCNTL, "fcntl(%s)", fcntl_name(cmd)))
		return -1;
	return fcntl_(fd, cmd, arg);
}

int fstat(int fd, struct stat *st)
{
	REAL(fstat);

	if (inject(FC_FSTAT, "fstat"))
		return -1;
	return fstat_(fd, st);
}

int fstatat(int dfd, const char *restrict path, struct stat *restrict st,
	    int flags)
{
	REAL(fstatat);

	if (inject(FC_FSTATAT, "fstatat(%s)", path))
		return -1;
	return fstatat_(dfd, path, st, flags);
}

ssize_t recvmsg(int sock, struct msghdr *msg, int flags)
{
	REAL(recvmsg);

	if (inject(FC_RECVMSG, "recvmsg"))
		return -1;
	return recvmsg_(sock, msg, flags);
}

ssize_t sendmsg(int sock, const struct msghdr *msg, int flags)
{
	REAL(sendmsg);

	if (inject(FC_SENDMSG, "sendmsg"))
		return -1;
	return sendmsg_(sock, msg, flags);
}
