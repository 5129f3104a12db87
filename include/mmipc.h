/*
 * mmipc.h - inter-process communication over mmap'd shared memory (Linux).
 *
 * This is the whole public API of libmmipc. Read these caveats first:
 *
 *  - Every call that can fail returns 0 (or a non-negative count) on success
 *    and a NEGATIVE error code on failure: either -errno (-ENOENT, -EEXIST,
 *    -EACCES, ...) or one of mmipc's own codes below (-MMIPC_EBADMAGIC, ...).
 *    errno itself is never the way an error is reported. mmipc_strerror()
 *    names both kinds.
 *
 *  - A region is shared with other processes, and they are not trusted:
 *    everything libmmipc reads from a region's header is validated before it
 *    is used. The bytes of a region's data area are yours: libmmipc does not
 *    interpret them, so code that reads data written by another process must
 *    validate it too.
 *
 *  - A region is addressed by one string:
 *        "shm:NAME"      POSIX shared memory (a file in /dev/shm, or in the
 *                        directory named by $MMIPC_SHM_DIR). NAME is 1..200
 *                        bytes of [A-Za-z0-9._-], not starting with '.'.
 *        "file:PATH"     a memory-mapped file; any address containing '/'
 *                        is taken as a file path too ("./x", "/tmp/x").
 *        "anon"          MAP_SHARED|MAP_ANONYMOUS: shared with the children
 *                        the creator fork()s afterwards, nothing else.
 *        "memfd"         an anonymous memory file (memfd_create) sealed
 *                        against shrinking; share it by fork() or by passing
 *                        its descriptor (mmipc_region_send_fd()).
 *
 *  - Space is reserved at creation (posix_fallocate), so a full /dev/shm or
 *    disk is -ENOSPC from mmipc_region_create(), not SIGBUS later. A shm: or
 *    file: region that ANOTHER process truncates afterwards can still raise
 *    SIGBUS when its truncated pages are touched: the kernel gives no way to
 *    prevent that for named files. Give regions to trusted uids only (the
 *    default mode is 0600), or use memfd, whose size cannot shrink.
 *
 *  - Handles (mmipc_region *) are process-local. One handle may be used by
 *    several threads for reading; close/resize/refresh need external
 *    serialisation against every other use of the same handle.
 *
 *  - After fork(), the child inherits the mapping and may use the parent's
 *    handle; each process must close its own copy.
 */
#ifndef MMIPC_H
#define MMIPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MMIPC_BUILDING) && defined(__GNUC__)
#define MMIPC_API __attribute__((visibility("default")))
#else
#define MMIPC_API
#endif

#define MMIPC_VERSION_MAJOR 0
#define MMIPC_VERSION_MINOR 1
#define MMIPC_VERSION_PATCH 0
#define MMIPC_VERSION_STRING "0.1.0"

/** The library's version string ("0.1.0"), which may differ from the header's. */
MMIPC_API const char *mmipc_version(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * mmipc's own error codes, returned negated like -errno. They sit above the
 * kernel's errno range (which ends at 4095), so they never collide.
 */
enum {
	MMIPC_EBASE = 8000,
	MMIPC_EBADMAGIC,	/* not an mmipc region (wrong magic number) */
	MMIPC_EVERSION,		/* layout version this library does not know */
	MMIPC_EFORMAT,		/* made by an incompatible build (endianness, word size) */
	MMIPC_EKIND,		/* a region of another kind than the one asked for */
	MMIPC_ETRUNC,		/* header sizes do not fit the file or mapping */
	MMIPC_ENOTREADY,	/* the creator never finished initialising it */
	MMIPC_EOWNER,		/* owned by another uid (see MMIPC_F_ANY_UID) */
	MMIPC_EBADNAME,		/* invalid region address or name */
	MMIPC_ELAST
};

/**
 * mmipc_strerror - describe an error code.
 * @err: a code returned by libmmipc, negative or positive (-ENOENT and ENOENT
 *       give the same text); 0 gives "success".
 *
 * Returns a static string; never NULL. Thread-safe.
 */
MMIPC_API const char *mmipc_strerror(int err);

/* ------------------------------------------------------------------------ */
/* Regions                                                                  */
/* ------------------------------------------------------------------------ */

/* Kinds of object a region holds; the kind is fixed at creation. */
enum {
	MMIPC_KIND_ANY = 0,	/* for open: accept any kind */
	MMIPC_KIND_RAW = 1,	/* a plain data area, laid out by the application */
	MMIPC_KIND_RING = 2,	/* reserved for channels (later) */
	MMIPC_KIND_QUEUE = 3,
	MMIPC_KIND_BCAST = 4,
	MMIPC_KIND_BOARD = 5,
	MMIPC_KIND_JOURNAL = 6,
};

/** mmipc_kind_name - "raw", "ring", ...; "unknown" for anything else. */
MMIPC_API const char *mmipc_kind_name(uint32_t kind);

/* Backends, as reported in struct mmipc_region_info. */
enum {
	MMIPC_BACKEND_SHM = 1,
	MMIPC_BACKEND_FILE = 2,
	MMIPC_BACKEND_ANON = 3,
	MMIPC_BACKEND_MEMFD = 4,
};

/* Region state word values (struct mmipc_region_info.state). */
enum {
	MMIPC_STATE_INIT = 0,		/* being created; not usable yet */
	MMIPC_STATE_READY = 0x59444552,	/* "REDY": published by the creator */
};

/* Flags for create/open/unlink/stat; unknown bits give -EINVAL. */
#define MMIPC_F_RDONLY	 0x0001u /* open: map read-only (PROT_READ) */
#define MMIPC_F_ANY_UID	 0x0002u /* open: accept a region owned by another uid */
#define MMIPC_F_FORCE	 0x0004u /* unlink: remove even if not an mmipc region */
#define MMIPC_F_NOWAIT	 0x0008u /* open: do not wait for READY (fail at once) */
#define MMIPC_F_PLAIN	 0x0010u /* open: map a plain file that has no mmipc
				  * header (memory-mapped file I/O); the data
				  * area is the whole file, kind is RAW */

/* Flags for mmipc_region_sync(). */
#define MMIPC_SYNC_ASYNC 0x0001u /* schedule write-back and return (MS_ASYNC) */

/* The default mode of a new named region, whatever the umask. */
#define MMIPC_DEFAULT_MODE 0600

/* How long open waits for a region to become READY, by default. */
#define MMIPC_OPEN_TIMEOUT_MS 1000

/* The largest data size any region may have (1 TiB). */
#define MMIPC_MAX_SIZE (UINT64_C(1) << 40)

typedef struct mmipc_region mmipc_region;

/* A decoded region header plus what the file system says of it. */
struct mmipc_region_info {
	uint32_t version;	/* layout version */
	uint32_t kind;		/* MMIPC_KIND_* */
	uint32_t state;		/* MMIPC_STATE_* */
	uint32_t backend;	/* MMIPC_BACKEND_* */
	uint64_t total_size;	/* bytes mapped: header + data */
	uint64_t data_off;	/* offset of the data area from the start */
	uint64_t data_size;	/* bytes of the data area */
	int32_t creator_pid;
	uint32_t creator_uid;
	uint64_t creator_start;	/* creator's start time, clock ticks after boot */
	int64_t ctime_ns;	/* creation time, CLOCK_REALTIME nanoseconds */
	uint64_t creator_pidns;	/* creator's pid namespace (inode), 0 unknown */
	int32_t creator_alive;	/* 1 alive, 0 dead, -1 cannot tell (e.g. made
				 * in another pid namespace: a container) */
	uint32_t owner_uid;	/* st_uid of the file (creator_uid for anon) */
	uint32_t mode;		/* permission bits of the file (0 for anon) */
	uint32_t seals;		/* F_GET_SEALS bits (memfd), else 0 */
	uint64_t file_size;	/* st_size of the file (total_size for anon) */
	uint64_t params[4];	/* kind parameters (meaning depends on kind) */
	uint32_t peers;		/* attached peers (slots in use) */
	uint32_t peers_alive;	/* of those, alive or cannot tell */
	uint64_t reserved[5];	/* zero; room to grow without breaking the ABI */
};

/**
 * mmipc_region_create - create a new region and map it read-write.
 * @out:   receives the handle on success (untouched on failure).
 * @addr:  "shm:NAME", "file:PATH" (or a path with '/'), "anon" or "memfd".
 * @size:  bytes of data area wanted, 1..MMIPC_MAX_SIZE. The header page comes
 *         on top of it; the data area starts page-aligned.
 * @mode:  permission bits (0777 at most; 0 means MMIPC_DEFAULT_MODE, 0600)
 *         for shm:/file:, applied exactly, whatever the umask. anon and
 *         memfd regions are always 0600.
 * @flags: must be 0 for now.
 *
 * A named region appears under its name only once it is complete and READY
 * (it is built in an unnamed file and linked into place), so a crash during
 * create leaves nothing behind and openers never see a half-built header.
 *
 * The data area is exactly @size bytes; the file is rounded up to a page.
 *
 * Errors: -MMIPC_EBADNAME bad address (also a file path with control
 * characters or a trailing '/'); -EINVAL zero size, mode bits beyond 0777
 * (no set-uid, set-gid or sticky), unknown flags;
 * -EFBIG size over MMIPC_MAX_SIZE or over the backend's or RLIMIT_FSIZE's
 * limit; -EEXIST the name exists (also when it is a symlink); -ENOSPC no room
 * (full /dev/shm, full disk); -EACCES, -ENOENT (missing directory), -ENOMEM,
 * -EMFILE and other errno values from open/fallocate/mmap.
 */
MMIPC_API int mmipc_region_create(mmipc_region **out, const char *addr,
				  uint64_t size, unsigned mode, unsigned flags);

/**
 * mmipc_region_open - map an existing region.
 * @kind:  MMIPC_KIND_* the caller expects, or MMIPC_KIND_ANY.
 * @flags: MMIPC_F_RDONLY, MMIPC_F_ANY_UID, MMIPC_F_NOWAIT, MMIPC_F_PLAIN.
 *
 * Waits up to MMIPC_OPEN_TIMEOUT_MS for the region to become READY.
 *
 * With MMIPC_F_PLAIN, any regular file (shm: or file:) is mapped as it is:
 * no header is read, the data area is the whole file (offset 0), @kind must
 * be MMIPC_KIND_ANY or MMIPC_KIND_RAW (else -MMIPC_EKIND), and an empty
 * file is -EINVAL. Writes
 * through the pointer land in the file (mmipc_region_sync() forces them to
 * disk); mmipc_region_resize() grows the file.
 *
 * A file that is empty or all zeros is taken for a region still being
 * built (see create) and waited for: after the wait it is -MMIPC_ETRUNC
 * (empty, or shorter than a header) or -MMIPC_ENOTREADY (zeros).
 *
 * Errors: -ENOENT no such region; -EACCES permission denied; -ELOOP the
 * path is a symbolic link (never followed); -MMIPC_EBADNAME bad address;
 * -MMIPC_EBADMAGIC not an mmipc region; -MMIPC_EVERSION unsupported layout
 * version; -MMIPC_EFORMAT incompatible build; -MMIPC_EKIND other kind;
 * -MMIPC_ETRUNC sizes in the header do not fit the file; -MMIPC_ENOTREADY
 * not READY in time; -MMIPC_EOWNER owned by another uid; -EINVAL for "anon"
 * or "memfd" (they have no name: inherit them or pass the descriptor).
 */
MMIPC_API int mmipc_region_open(mmipc_region **out, const char *addr,
				uint32_t kind, unsigned flags);

/** mmipc_region_open_timeout - mmipc_region_open() with its own READY wait
 *  (milliseconds; 0 = do not wait, -1 = forever). */
MMIPC_API int mmipc_region_open_timeout(mmipc_region **out, const char *addr,
					uint32_t kind, unsigned flags,
					int timeout_ms);

/**
 * mmipc_region_open_fd - map a region from a descriptor (a memfd received
 * over a socket, a file opened by the caller). The descriptor is duplicated;
 * the caller keeps its own. Same validation and errors as open, plus -EBADF.
 * A directory is -EISDIR (here and for open and stat).
 */
MMIPC_API int mmipc_region_open_fd(mmipc_region **out, int fd, uint32_t kind,
				   unsigned flags);

/**
 * mmipc_region_close - unmap and release a handle. NULL is allowed.
 * Always frees the handle; returns 0, or the first error met while unmapping
 * or closing (the rest is still released).
 */
MMIPC_API int mmipc_region_close(mmipc_region *r);

/**
 * mmipc_region_unlink - remove a named region (shm: or file:). Processes that
 * have it mapped keep using it; the memory is freed when the last one closes.
 * Refuses (-MMIPC_EBADMAGIC) to remove a file that is not an mmipc region,
 * and a symlink (-ELOOP), unless MMIPC_F_FORCE is given: then the name is
 * removed whatever it is (a symlink itself, never its target).
 * Errors: -ENOENT, -EACCES, -EPERM, -MMIPC_EBADNAME, -EINVAL (anon, memfd).
 */
MMIPC_API int mmipc_region_unlink(const char *addr, unsigned flags);

/**
 * mmipc_region_resize - grow the data area to @size bytes (shm:, file:,
 * memfd). The handle is remapped and its data pointer may change. Other
 * processes keep their old size until they reopen or call
 * mmipc_region_refresh(). Shrinking is refused.
 * Errors: -EINVAL smaller than now; -EBADF read-only handle; -EOPNOTSUPP
 * anon, or a region that is not raw (a channel's size is fixed at
 * creation); -EFBIG; -ENOSPC; -ENOMEM; -EPERM (a seal forbids growing).
 */
MMIPC_API int mmipc_region_resize(mmipc_region *r, uint64_t size);

/**
 * mmipc_region_refresh - pick up a size change made by another process.
 * Returns 1 if the handle was remapped (data pointer may have changed), 0 if
 * the size was unchanged, or a negative error (-MMIPC_ETRUNC if the file
 * was cut below our mapping or the header no longer fits it, -EOPNOTSUPP
 * for a region that is not raw). Costs one fstat().
 */
MMIPC_API int mmipc_region_refresh(mmipc_region *r);

/**
 * mmipc_region_sync - write the mapping back to its file (msync). Blocks
 * until written (MS_SYNC) unless MMIPC_SYNC_ASYNC. For shm:, anon and memfd
 * there is no disk behind the memory and this is cheap and harmless.
 */
MMIPC_API int mmipc_region_sync(mmipc_region *r, unsigned flags);

/** mmipc_region_data - start of the data area (page-aligned). */
MMIPC_API void *mmipc_region_data(const mmipc_region *r);

/** mmipc_region_size - bytes of the data area as this handle maps it. */
MMIPC_API uint64_t mmipc_region_size(const mmipc_region *r);

/** mmipc_region_fd - the region's descriptor, or -1 for anon. Owned by the
 *  handle: do not close it. */
MMIPC_API int mmipc_region_fd(const mmipc_region *r);

/** mmipc_region_info - decode the header of an open region. Returns 0. */
MMIPC_API int mmipc_region_info(const mmipc_region *r,
				struct mmipc_region_info *info);

/**
 * mmipc_region_stat - open a named region read-only without waiting, decode
 * its header and close it. Regions of other uids are read when the file's
 * permissions allow. A region that is not READY is reported, not refused
 * (info->state tells). Errors as for mmipc_region_open().
 */
MMIPC_API int mmipc_region_stat(const char *addr,
				struct mmipc_region_info *info);

/**
 * mmipc_region_send_fd - send the region's descriptor over a connected UNIX
 * socket (SCM_RIGHTS), with one byte of payload. The receiver calls
 * mmipc_region_recv_fd(). Errors: -EINVAL anon region; errno of sendmsg.
 */
MMIPC_API int mmipc_region_send_fd(const mmipc_region *r, int sock);

/**
 * mmipc_region_recv_fd - receive a descriptor sent by mmipc_region_send_fd()
 * and open it as mmipc_region_open_fd() does. Errors: -EBADMSG nothing or
 * something else than one descriptor arrived; -EPIPE the peer closed the
 * socket; errno of recvmsg; the errors of open.
 */
MMIPC_API int mmipc_region_recv_fd(mmipc_region **out, int sock, uint32_t kind,
				   unsigned flags);

/** mmipc_shm_dir - where shm: regions live: $MMIPC_SHM_DIR or "/dev/shm". */
MMIPC_API const char *mmipc_shm_dir(void);

/* ------------------------------------------------------------------------ */
/* Peers                                                                    */
/* ------------------------------------------------------------------------ */

/* Roles of an attached process. */
enum {
	MMIPC_ROLE_PRODUCER = 1,
	MMIPC_ROLE_CONSUMER = 2,
};

/* The most processes that can be attached to one region at once. */
#define MMIPC_MAX_PEERS 16

struct mmipc_peer_info {
	uint32_t slot;		/* index in the region's peer table */
	uint32_t role;		/* MMIPC_ROLE_* */
	int32_t pid;
	int32_t alive;		/* 1 alive, 0 dead, -1 cannot tell */
	uint64_t start;		/* process start time, clock ticks after boot */
	int64_t attach_ns;	/* when it attached, CLOCK_REALTIME ns */
};

/**
 * mmipc_region_peers - list the processes attached to a region (a ring's
 * producer and consumer, ...): fills up to @max entries of @v, returns how
 * many slots are in use (which may exceed @max). Liveness is judged from
 * /proc: pid plus start time, so a reused pid does not pass for the peer.
 */
MMIPC_API int mmipc_region_peers(const mmipc_region *r,
				 struct mmipc_peer_info *v, int max);

/* ------------------------------------------------------------------------ */
/* Ring: one producer, one consumer, variable-size messages                 */
/* ------------------------------------------------------------------------ */

/*
 * A ring is a region of kind MMIPC_KIND_RING holding a byte ring of a
 * power-of-two capacity. One producer and one consumer attach to it, from
 * any processes, in any order; messages of 0 to mmipc_ring_max_msg() bytes
 * pass in order, each delivered once. It behaves like a pipe that keeps
 * message boundaries:
 *
 *  - the consumer may start before or after the producer; a producer with
 *    no consumer yet fills the ring and then waits;
 *  - when the producer closes, the consumer drains what is left and then
 *    gets end-of-stream (0);
 *  - when the consumer has closed, the producer gets -EPIPE;
 *  - a peer that died (kill -9) counts as gone: the blocked side notices
 *    within a second (-EPIPE on either side; the consumer first drains
 *    everything the dead producer had committed);
 *  - a new producer or consumer may attach once the old one is gone, and
 *    the stream goes on: what a dead producer had reserved but not
 *    committed is discarded; what a consumer released is never delivered
 *    again. An end that closed or died before the other attached counts as
 *    not come yet: a late producer waits for a new consumer, a late
 *    consumer for a new producer (after draining what the old one left),
 *    so one ring carries one stream after another;
 *  - a non-blocking call (timeout 0) learns of a dead peer too (it asks at
 *    most every 250 ms, so polling costs nothing extra);
 *  - a corrupt position or length found in the region gives -EBADMSG and
 *    marks the ring broken for both sides; no call ever reads or writes
 *    outside the mapping, or loops for ever.
 *
 * Timeouts are in milliseconds: 0 never blocks (-EAGAIN when it would),
 * -1 waits without limit, otherwise -ETIMEDOUT when the time is up. A
 * signal does not cut a wait short. Waiting spins briefly, then sleeps on a
 * futex; a busy stream makes no system call, an idle one uses no CPU.
 *
 * A ring handle belongs to one thread at a time.
 */
typedef struct mmipc_ring mmipc_ring;

/* The largest capacity a ring may have (1 GiB), and the smallest (4 KiB). */
#define MMIPC_RING_MAX_CAPACITY (UINT64_C(1) << 30)
#define MMIPC_RING_MIN_CAPACITY UINT64_C(4096)

/* Flags for mmipc_ring_commit() and mmipc_ring_send(). */
#define MMIPC_RING_MORE 0x0001u /* more follows: do not publish yet */

/* Wait modes (mmipc_ring_set_wait()). */
enum {
	MMIPC_WAIT_ADAPTIVE = 0, /* spin a while (learning how long pays),
				  * then sleep: the default */
	MMIPC_WAIT_SPIN = 1,	 /* never sleep: lowest latency, burns a CPU */
	MMIPC_WAIT_SLEEP = 2,	 /* sleep at once: fewest cycles */
};

/**
 * mmipc_ring_create - create a ring region.
 * @capacity: bytes of ring, a power of two from MMIPC_RING_MIN_CAPACITY to
 *            MMIPC_RING_MAX_CAPACITY (-EINVAL otherwise).
 * Other parameters and errors as mmipc_region_create(). The caller gets a
 * region handle; attach ends to it with mmipc_ring_attach() (anon, memfd,
 * or within the creating process), or open them by name elsewhere.
 */
MMIPC_API int mmipc_ring_create(mmipc_region **out, const char *addr,
				uint64_t capacity, unsigned mode,
				unsigned flags);

/**
 * mmipc_ring_attach - attach this process as the producer or the consumer
 * (@role) of the ring in @region, which the caller keeps owning and must
 * not close before mmipc_ring_close(). Attach AFTER fork(): the peer table
 * records the attaching process.
 *
 * Errors: -MMIPC_EKIND not a ring; -EBADMSG the ring's header is corrupt;
 * -EBUSY a live process already holds that role; -EUSERS the peer table is
 * full; -EINVAL bad role or flags; -EBADF a read-only region.
 */
MMIPC_API int mmipc_ring_attach(mmipc_ring **out, mmipc_region *region,
				int role, unsigned flags);

/**
 * mmipc_ring_open - open the ring region at @addr (as mmipc_region_open()
 * with MMIPC_KIND_RING and @flags) and attach as @role. The ring owns that
 * region and closes it in mmipc_ring_close(). Errors of both calls.
 */
MMIPC_API int mmipc_ring_open(mmipc_ring **out, const char *addr, int role,
			      unsigned flags);

/**
 * mmipc_ring_close - detach: a producer publishes what it committed with
 * MMIPC_RING_MORE and signals end-of-stream; a consumer signals that it is
 * gone (the producer's next send gets -EPIPE). Frees the peer slot and the
 * handle (and the region, if opened by mmipc_ring_open()). NULL is allowed.
 */
MMIPC_API int mmipc_ring_close(mmipc_ring *ring);

/** mmipc_ring_set_wait - how this end waits: MMIPC_WAIT_* and the spin
 *  budget in nanoseconds (0: the default, 20000). Returns 0 or -EINVAL. */
MMIPC_API int mmipc_ring_set_wait(mmipc_ring *ring, int mode,
				  uint32_t spin_ns);

/** mmipc_ring_max_msg - the largest message this ring carries. */
MMIPC_API uint64_t mmipc_ring_max_msg(const mmipc_ring *ring);

/**
 * mmipc_ring_reserve - producer: make room for a message of @len bytes and
 * point *@buf at it (8-byte aligned, contiguous). Fill it, then call
 * mmipc_ring_commit(). Reserving again without committing replaces the
 * reservation. Returns 0, or -EMSGSIZE (@len over mmipc_ring_max_msg()),
 * -EAGAIN (@timeout_ms 0 and the ring is full), -ETIMEDOUT, -EPIPE (the
 * consumer closed or died), -EBADMSG (corrupt ring), -EINVAL (not the
 * producer).
 */
MMIPC_API int mmipc_ring_reserve(mmipc_ring *ring, size_t len, void **buf,
				 int timeout_ms);

/**
 * mmipc_ring_commit - producer: the reserved message is written; @len (at
 * most what was reserved) is its real length. The message is published
 * (and a sleeping consumer woken) unless @flags has MMIPC_RING_MORE, in
 * which case it waits for the next commit without MORE, mmipc_ring_flush(),
 * a reserve that has to wait, or close. Returns 0, or -EINVAL (nothing
 * reserved, @len too big).
 */
MMIPC_API int mmipc_ring_commit(mmipc_ring *ring, size_t len, unsigned flags);

/** mmipc_ring_flush - producer: publish every message committed with
 *  MMIPC_RING_MORE, and wake the consumer if it sleeps. Returns 0, or
 *  -EINVAL when called on the consumer's end. */
MMIPC_API int mmipc_ring_flush(mmipc_ring *ring);

/** mmipc_ring_send - producer: reserve, copy @len bytes, commit with
 *  @flags. Errors of mmipc_ring_reserve(). */
MMIPC_API int mmipc_ring_send(mmipc_ring *ring, const void *buf, size_t len,
			      unsigned flags, int timeout_ms);

/**
 * mmipc_ring_peek - consumer: point *@buf and *@len at the next message
 * without taking it; it stays valid until mmipc_ring_release(). Returns 1
 * (a message), 0 (end-of-stream: the producer closed and all was read),
 * -EAGAIN (@timeout_ms 0, nothing yet), -ETIMEDOUT, -EPIPE (the producer
 * died, and all it committed was read), -EBADMSG (corrupt ring), -EINVAL
 * (not the consumer).
 */
MMIPC_API int mmipc_ring_peek(mmipc_ring *ring, const void **buf, size_t *len,
			      int timeout_ms);

/** mmipc_ring_release - consumer: done with the message of the last peek;
 *  the space goes back to the producer. Returns 0, or -EINVAL if nothing
 *  was peeked. */
MMIPC_API int mmipc_ring_release(mmipc_ring *ring);

/* One message of a batch (mmipc_ring_peek_batch()). */
struct mmipc_ring_msg {
	const void *data;	/* valid until released */
	size_t len;
};

/**
 * mmipc_ring_peek_batch - consumer: every message available now, up to
 * @max, into @v (waiting as mmipc_ring_peek() for the first one). Returns
 * how many (>= 1), 0 at end-of-stream, or the errors of mmipc_ring_peek().
 * Release them with one mmipc_ring_release_batch(): the position is then
 * published, and the producer woken, once for the whole batch. A consumer
 * that dies before releasing leaves the batch to its replacement, as with
 * mmipc_ring_peek().
 */
MMIPC_API int mmipc_ring_peek_batch(mmipc_ring *ring, struct mmipc_ring_msg *v,
				    int max, int timeout_ms);

/** mmipc_ring_release_batch - consumer: release the first @n messages of
 *  the last peek (batch or single). Returns 0; -EINVAL if @n is more than
 *  were peeked; -EBADMSG if the ring was corrupted meanwhile. */
MMIPC_API int mmipc_ring_release_batch(mmipc_ring *ring, int n);

/**
 * mmipc_ring_recv - consumer: copy the next message into @buf (@size bytes)
 * and take it; *@len gets its length. Returns 1, 0 at end-of-stream, or
 * the errors of mmipc_ring_peek(), plus -EMSGSIZE when the message is
 * larger than @size: *@len then says how large, and the message stays in
 * the ring.
 */
MMIPC_API int mmipc_ring_recv(mmipc_ring *ring, void *buf, size_t size,
			      size_t *len, int timeout_ms);

/* What mmipc_ring_stats() reports; every counter is as seen at one moment
 * by a reader that holds no lock, so they may be a little apart. */
struct mmipc_ring_stats {
	uint64_t capacity;	/* bytes */
	uint64_t used;		/* bytes published and not yet released */
	uint64_t msgs_sent;	/* messages published since creation */
	uint64_t msgs_recv;	/* messages released since creation */
	uint64_t bytes_sent;	/* payload bytes published */
	uint64_t bytes_recv;	/* payload bytes released */
	uint32_t producer;	/* MMIPC_END_* */
	uint32_t consumer;	/* MMIPC_END_* */
	int32_t producer_pid;	/* 0 when none */
	int32_t consumer_pid;
	uint32_t broken;	/* 1: corruption was found */
	uint32_t reserved0;
	uint64_t reserved[4];
};

/* State of one end of a ring. */
enum {
	MMIPC_END_NONE = 0,	/* never attached */
	MMIPC_END_ATTACHED = 1, /* attached and alive */
	MMIPC_END_CLOSED = 2,	/* closed cleanly */
	MMIPC_END_DEAD = 3,	/* attached, but the process is gone */
};

/** mmipc_ring_stats - fill level, counters and ends of the ring in @r (any
 *  open handle, read-only is enough). -MMIPC_EKIND if not a ring,
 *  -EBADMSG if its control block is corrupt. */
MMIPC_API int mmipc_ring_stats(const mmipc_region *r,
			       struct mmipc_ring_stats *st);

/* ------------------------------------------------------------------------ */
/* Futex helpers                                                            */
/* ------------------------------------------------------------------------ */

/**
 * mmipc_futex_wait - sleep while *@word == @expected, until woken by
 * mmipc_futex_wake() on the same word (in any process mapping it).
 * @timeout_ms: 0 = do not sleep, -1 = no limit. Measured on CLOCK_MONOTONIC;
 *              a signal does not cut the wait short (it is restarted with
 *              the time left).
 *
 * Returns 0 when woken (possibly spuriously: re-check your condition),
 * -EAGAIN if *@word != @expected on entry, -ETIMEDOUT when the time ran out,
 * -EINVAL for a misaligned word.
 *
 * The lost wake-up race is the caller's: announce that you sleep (a waiter
 * count), then re-read the condition, then wait on the value you read; the
 * waker publishes, then reads the waiter count, and wakes only if non-zero.
 * Both sides need a full barrier between their store and their load (see
 * examples/writer.c and src/futex.c).
 */
MMIPC_API int mmipc_futex_wait(const uint32_t *word, uint32_t expected,
			       int timeout_ms);

/** mmipc_futex_wake - wake up to @n waiters (INT32_MAX: all) on @word.
 *  Returns how many were woken, or a negative errno. */
MMIPC_API int mmipc_futex_wake(uint32_t *word, int n);

#ifdef __cplusplus
}
#endif

#endif /* MMIPC_H */
