/*
 * spawn.h - running example programs for "mmipc demo" (spawn.c).
 *
 * A runner starts programs in their own process groups, relays their
 * output, waits for them with a deadline, and kills and reaps them on a
 * timeout or on SIGINT/SIGTERM; the spawn_gone_*() calls then clean up a
 * file or region a program should have removed. Errors are printed as
 * "mmipc: demo: ..." (tool_errf()).
 */
#ifndef MMIPC_SPAWN_H
#define MMIPC_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct spawn_child {
	char **argv;
	pid_t pid;		/* 0 until started, again 0 once reaped */
	int status;		/* exit code, or 128 + signal */
};

/*
 * A runner starts kids[] with stdout and stderr on one pipe, relays their
 * output line by line (indented), keeps the last line containing each
 * grab[] string, and reaps them. With stagger, kid i+1 is started only once
 * a line has come out after kid i was started (the reader says it is
 * waiting before the writer starts). The caller sets kids, nkids, stagger
 * and grab, zeroes the rest, and reads grabbed[] after spawn_run().
 */
struct spawn_runner {
	struct spawn_child *kids;
	int nkids, started;
	bool stagger, failed;
	int64_t deadline_ms;
	const char *grab[2];
	char grabbed[2][256];
	char line[512];
	size_t len;
	sigset_t run_mask;	/* the mask to run with: signals unblocked */
};

/* What spawn_signals_catch() replaced, for spawn_signals_restore(). */
struct spawn_signals {
	struct sigaction old_int, old_term;
	sigset_t old_mask;
};

/*
 * spawn_run - run @rn's kids to their end (see struct spawn_runner), for
 * at most @timeout_ms; on a timeout or a caught signal kill their process
 * groups and still reap them. Call between spawn_signals_catch() and
 * spawn_signals_restore(). Returns 0 if all of them exited 0 in time, -1
 * otherwise (the reason was printed).
 */
int spawn_run(struct spawn_runner *rn, int64_t timeout_ms);

/*
 * spawn_signals_catch - block SIGINT and SIGTERM and have them only set
 * the flag spawn_interrupted() reads (spawn_run() unblocks them while it
 * sleeps); clears that flag. Saves what it replaced in @saved. Returns 0,
 * or -1 with the error printed.
 */
int spawn_signals_catch(struct spawn_signals *saved);

/* spawn_signals_restore - put back the handlers and the signal mask that
 * spawn_signals_catch() saved in @saved. */
void spawn_signals_restore(const struct spawn_signals *saved);

/* spawn_interrupted - has SIGINT or SIGTERM come since
 * spawn_signals_catch()? */
bool spawn_interrupted(void);

/* spawn_gone_file - make sure the file @path a program made is gone.
 * Returns -1 if it was still there (removed now, or it could not be: both
 * are printed), 0 if not. */
int spawn_gone_file(const char *path);

/* spawn_gone_region - the same for the region @addr, which is removed with
 * MMIPC_F_FORCE: the name is the caller's own, whatever is under it goes.
 * Returns -1 if it was still there or could not be removed, 0 if not. */
int spawn_gone_region(const char *addr);

#endif /* MMIPC_SPAWN_H */
