/*
 * tool.h - private declarations shared by the files of the mmipc tool.
 *
 * The tool is a set of thin programs over the public API (mmipc.h), one
 * file per group of subcommands, dispatched from main.c. Every cmd_X()
 * takes the argv of its subcommand (argv[0] is "mmipc X") and returns the
 * process exit status: 0 success, 1 an operation failed (an error was
 * printed as "mmipc: WHAT: reason"), 2 a usage error (usage was printed on
 * stderr); send and recv add 3 (timed out) and 4 (the other end is gone).
 */
#ifndef MMIPC_TOOL_H
#define MMIPC_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "mmipc.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_TIMEOUT	3	/* send/recv: --timeout ran out */
#define EXIT_PEER	4	/* send/recv: the other end closed or died */

/* Subcommands (each has a line in main.c's table). */
int cmd_create(int argc, char **argv);	/* cmd_region.c */
int cmd_stat(int argc, char **argv);	/* cmd_region.c */
int cmd_rm(int argc, char **argv);	/* cmd_region.c */
int cmd_ls(int argc, char **argv);	/* cmd_ls.c */
int cmd_send(int argc, char **argv);	/* cmd_ring.c */
int cmd_recv(int argc, char **argv);	/* cmd_ring.c */
int cmd_demo(int argc, char **argv);	/* demo.c */
int cmd_bench(int argc, char **argv);	/* cmd_bench.c */

/*
 * Regions as the tool sees them (regions.c): the result of
 * mmipc_region_stat() on an address, plus lstat() of its file when the
 * header could not be read (to show at least the owner and mode).
 */
struct region_entry {
	char *addr;			/* normalised address (owned) */
	int rc;				/* of mmipc_region_stat(): 0 or -error */
	bool have_st;			/* st is valid (only when rc < 0) */
	struct stat st;
	struct mmipc_region_info info;	/* valid when rc == 0 */
	bool have_ring;			/* a ring whose stats were read */
	int ring_rc;			/* else why not (< 0), or 0 */
	struct mmipc_ring_stats ring;	/* valid when have_ring */
};

struct region_list {
	struct region_entry *v;
	size_t n, cap;
};

/* region_list_add - stat addr and append it; -ENOMEM on failure, which is
 * the only error (the entry carries the stat error). */
int region_list_add(struct region_list *l, const char *addr);
void region_list_drop_last(struct region_list *l);
void region_list_sort(struct region_list *l);	/* by address */
void region_list_free(struct region_list *l);

/* region_scan - every regular file of mmipc_shm_dir() as "shm:NAME",
 * sorted, files that vanished meanwhile left out. Prints the error and
 * returns -1 if the directory cannot be read; returns 0. */
int region_scan(struct region_list *l);

/* region_is_stale - nobody can be using it: the one rule of ls and rm. */
bool region_is_stale(const struct mmipc_region_info *info);

/* region_open_peek - open addr read-only, of any uid and kind, without
 * waiting for READY: for looking at peers and ring counters (never to
 * attach). Returns 0 or -error. */
int region_open_peek(mmipc_region **out, const char *addr);

/* ring_stats_of - mmipc_ring_stats() of the ring at addr. */
int ring_stats_of(const char *addr, struct mmipc_ring_stats *st);

/* ring_fill_pct - used bytes in whole percent of the capacity (rounded
 * down, so 100 means full). */
unsigned ring_fill_pct(const struct mmipc_ring_stats *st);

/*
 * What "mmipc stat" shows below the header (ring_info.c): the peer table
 * and a ring's counters, read through region_open_peek().
 */
struct region_extra {
	int open_rc;			/* of region_open_peek() */
	int npeers;			/* of mmipc_region_peers() */
	struct mmipc_peer_info peers[MMIPC_MAX_PEERS];
	int ring_rc;			/* of mmipc_ring_stats(); 1: not read */
	struct mmipc_ring_stats ring;
};

/* region_extra_read - fill x for the region at addr of the given kind;
 * returns open_rc (the sections say what could not be read). */
int region_extra_read(const char *addr, uint32_t kind,
		      struct region_extra *x);
/* The "ring_*:" and "peer N:" lines of stat, and its JSON keys "ring",
 * "peers_attached", "peers_alive", "peers" (after other keys). */
void region_extra_text(const struct mmipc_region_info *in,
		       const struct region_extra *x);
void region_extra_json(const struct mmipc_region_info *in,
		       const struct region_extra *x);

/* end_name - "none", "attached", "closed", "dead" (MMIPC_END_*);
 * role_name - "producer", "consumer" (MMIPC_ROLE_*); "?" otherwise. */
const char *end_name(uint32_t end);
const char *role_name(uint32_t role);

/* region_is_foreign - rc says the file is no mmipc region at all (only
 * "ls --all" shows those). */
bool region_is_foreign(int rc);

/* json_info - '{"name": ADDR, ...' with the keys "mmipc ls --json" shows,
 * without the closing brace (callers add their own keys). */
void json_info(FILE *f, const char *addr,
	       const struct mmipc_region_info *info);

/* Errors: "mmipc: WHAT: mmipc_strerror(rc)" / "mmipc: formatted text". */
void tool_err(const char *what, int rc);
void tool_errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * parse_size - "4096", "64K", "1M", "2GiB", "1T" (powers of 1024) into
 * *out. Rejects empty strings, signs, garbage, zero and overflow: prints
 * "mmipc: OPT S: why" (opt is the option's name, "--size") and returns -1;
 * returns 0 on success.
 */
int parse_size(const char *opt, const char *s, uint64_t *out);

/* parse_mode - octal permission bits 1..0777 ("640", "0600"); prints an
 * error and returns -1 on anything else, 0 on success. */
int parse_mode(const char *s, unsigned *out);

/* parse_timeout - milliseconds for opt, -1 (forever) to INT_MAX; prints
 * an error and returns -1 on anything else, 0 on success. */
int parse_timeout(const char *opt, const char *s, int *out);

/* parse_count - a whole number >= 0 for opt (-n COUNT); same contract. */
int parse_count(const char *opt, const char *s, uint64_t *out);

/*
 * addr_normalize - the address the library should see for a user's
 * argument: "shm:..." and "file:..." as given, "anon"/"memfd" as given, a
 * string containing '/' as "file:STRING", anything else (a bare NAME) as
 * "shm:NAME". Returns buf, or NULL (and prints an error) if too long.
 */
const char *addr_normalize(const char *arg, char *buf, size_t size);

/* addr_named - addr_normalize(), and refuse "anon" and "memfd" (which
 * exist only inside programs) with an error message. */
const char *addr_named(const char *arg, char *buf, size_t size);

/* addr_fs_path - the file behind a normalised shm:/file: address, in buf;
 * NULL for anything else or if it does not fit. */
const char *addr_fs_path(const char *addr, char *buf, size_t size);

/* Formatting for tables: "512", "4.0K", "1.0M"; "12s", "5m", "3h", "2d". */
void fmt_size(uint64_t bytes, char *buf, size_t size);
void fmt_age(int64_t secs, char *buf, size_t size);

/* age_seconds - whole seconds from a CLOCK_REALTIME ns stamp to now: 0 if
 * the stamp is in the future, -1 if it is meaningless (not after the
 * epoch); fmt_age() shows -1 as "?". */
int64_t age_seconds(int64_t ctime_ns);

/* fmt_time_iso - a CLOCK_REALTIME ns stamp as ISO-8601 local time,
 * "2024-11-24T23:17:01+01:00". */
void fmt_time_iso(int64_t ns, char *buf, size_t size);

/* fmt_user - the user name of uid, or the number when it has none. */
void fmt_user(uint32_t uid, char *buf, size_t size);

/* Names of header values: "shm", "file"...; "ready", "init", "0x...". */
const char *backend_name(uint32_t backend);
void fmt_state(uint32_t state, char *buf, size_t size);

/*
 * json_string - write s as a JSON string (with the quotes). Quotes,
 * backslashes and control characters are escaped; valid UTF-8 is copied;
 * each byte of invalid UTF-8 becomes \udcXX (the "surrogateescape"
 * convention, so Python's os.fsencode() gives the original bytes back).
 */
void json_string(FILE *f, const char *s);

/* table_safe - copy s into buf with control characters and bytes that are
 * not UTF-8 shown as '?' (a terminal gets nothing it could act on). */
const char *table_safe(const char *s, char *buf, size_t size);

/* text_width - columns taken by UTF-8 text (one per character). */
size_t text_width(const char *s);

#endif /* MMIPC_TOOL_H */
