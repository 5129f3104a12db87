/*
 * fuzz_util.h - what the fuzz targets share: the libFuzzer entry points,
 * a check that fails the current input, a private directory for the files
 * a target rewrites per input, and the leak checks run after every input.
 *
 * A target runs millions of inputs in one process: it makes its files
 * once (fz_init(), fz_file()), rewrites them per input (fz_write()), and
 * ends every input with fz_leak_check(), which fails the input that left a
 * descriptor or a mapping of those files behind. A check that fails calls
 * abort(), which libFuzzer (and replay.c) report as a crash of that input.
 */
#ifndef MMIPC_FUZZ_UTIL_H
#define MMIPC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The entry points libFuzzer calls (and replay.c, for the CTest runs). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* FZ_CHECK(cond, "fmt", ...): the library broke a promise on this input. */
#define FZ_CHECK(cond, ...)                                                   \
	do {                                                                  \
		if (!(cond))                                                  \
			fz_fail(__FILE__, __LINE__, __VA_ARGS__);             \
	} while (0)

/* fz_trace - with FZ_TRACE=1 in the environment, print a line to fd 2
 * (what a target did with an input, for a bug report); else nothing. */
void fz_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fz_rc - a call's result for a message: its error's name, or "ok". */
const char *fz_rc(int rc);

/*
 * fz_init - once per process: make the private directory
 * ($TMPDIR or /tmp)/mmipct-fuzz-PID-XXXXXX, removed at exit by this
 * process (not by a fork()ed child), and point MMIPC_SHM_DIR at it so that
 * "shm:NAME" addresses land there too. @tag names the target in messages.
 */
void fz_init(const char *tag);

/* fz_path - "DIR/NAME"; fz_file_addr - "file:DIR/NAME"; fz_shm_addr -
 * "shm:NAME" (the same file, through MMIPC_SHM_DIR). Each returns buf. */
const char *fz_path(char *buf, size_t size, const char *name);
const char *fz_file_addr(char *buf, size_t size, const char *name);
const char *fz_shm_addr(char *buf, size_t size, const char *name);

/* fz_file - create DIR/NAME (0600) and keep it open for the whole run;
 * returns the descriptor. */
int fz_file(const char *name);

/* fz_write - make the file behind fd exactly these bytes. */
void fz_write(int fd, const void *data, size_t size);

/* fz_resize - ftruncate fd to size (zero-extends or cuts). */
void fz_resize(int fd, uint64_t size);

/* fz_claimed_size - the total_size the header in data claims, when it
 * differs from size and is at most FZ_MAX_RESIZE: a file size worth
 * trying too, so that the paths behind the size checks are reached;
 * else 0. */
#define FZ_MAX_RESIZE (256u * 1024)
uint64_t fz_claimed_size(const uint8_t *data, size_t size);

/*
 * fz_leak_check_setup - call at the end of the target's initialisation,
 * once every descriptor and mapping the target keeps for the whole run
 * exists; fz_leak_check - call at the end of every input: fails it if
 * more descriptors on files (regions, memfds, /proc: not pipes or
 * sockets) are open, or more mappings of our files (the directory, or a
 * memfd named @memfd_name, NULL for none) exist, than at setup.
 */
void fz_leak_check_setup(const char *memfd_name);
void fz_leak_check(void);

/* fz_touch - read one byte of every page of [p, p + size) and the last
 * byte: a mapping that reaches past the end of its file raises SIGBUS
 * here, which is the bug, not a crash of the harness. */
void fz_touch(const void *p, size_t size);

#endif /* MMIPC_FUZZ_UTIL_H */
