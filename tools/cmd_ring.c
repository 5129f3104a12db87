/*
 * cmd_ring.c - standard input and output through a ring, so that two
 * unrelated shell pipelines can talk through shared memory:
 *
 *	mmipc send ADDR [-0|--null | --raw SIZE] [-t|--timeout MS]
 *	mmipc recv ADDR [-n|--count COUNT] [-t|--timeout MS] [-0|--null | --raw]
 *
 * send cuts stdin into messages (lines, NUL-terminated records or blocks
 * of SIZE bytes) and sends them as the ring's producer; recv writes each
 * message it takes as the consumer to stdout, followed by a newline (a
 * NUL, nothing). Both behave as the two ends of a pipe: either may start
 * first, send's end of input is recv's end of stream, a recv that stops
 * early (-n) makes the next send fail, and a peer that dies is noticed.
 *
 * Speed: send reads stdin in big chunks and commits every message of a
 * chunk with MMIPC_RING_MORE, publishing them (one wake-up at most) just
 * before it reads again, which is also when it might block: an interactive
 * sender is never held back. recv tries a non-blocking receive first and
 * flushes its (large) stdout buffer only before it has to wait.
 *
 * Exit status: 0 done, 1 error, 2 usage, 3 timed out (--timeout), 4 the
 * other end closed or died (EXIT_TIMEOUT, EXIT_PEER in tool.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define SEP_NONE (-1)			/* --raw: no separator */
#define CHUNK	 ((size_t)256 * 1024)	/* bytes read from stdin at a time */
#define GO	 (-1)			/* options parsed: go on */

/* ------------------------------------------------------------------------ */
/* Shared by send and recv                                                  */
/* ------------------------------------------------------------------------ */

/* The role of the other end, and its state in the ring's stats. */
static void other_end(int role, const struct mmipc_ring_stats *st,
		      uint32_t *end, int32_t *pid)
{
	*end = role == MMIPC_ROLE_PRODUCER ? st->consumer : st->producer;
	*pid = role == MMIPC_ROLE_PRODUCER ? st->consumer_pid :
	       st->producer_pid;
}

/* peer_gone - "mmipc: ADDR: consumer died (pid N)" and the like, for an
 * -EPIPE seen by the end of role @role. */
static void peer_gone(const char *addr, int role)
{
	const char *who = role == MMIPC_ROLE_PRODUCER ? "consumer" : "producer";
	struct mmipc_ring_stats st;
	uint32_t end = MMIPC_END_NONE;
	int32_t pid = 0;

	if (ring_stats_of(addr, &st) == 0)
		other_end(role, &st, &end, &pid);
	if (end != MMIPC_END_DEAD && end != MMIPC_END_CLOSED)
		tool_errf("%s: the %s is gone", addr, who);
	else if (pid > 0)
		tool_errf("%s: %s %s (pid %d)", addr, who,
			  end == MMIPC_END_DEAD ? "died" : "closed", pid);
	else
		tool_errf("%s: %s %s", addr, who,
			  end == MMIPC_END_DEAD ? "died" : "closed");
}

/* ring_fail - report an error of a ring call; returns the exit status. */
static int ring_fail(const char *addr, int role, int rc, int timeout)
{
	if (rc == -ETIMEDOUT) {
		tool_errf("%s: %s for %d ms", addr,
			  role == MMIPC_ROLE_PRODUCER ? "no room" : "no message",
			  timeout);
		return EXIT_TIMEOUT;
	}
	if (rc == -EPIPE) {
		peer_gone(addr, role);
		return EXIT_PEER;
	}
	tool_err(addr, rc);
	return EXIT_FAIL;
}

/* already_attached - the error for -EBUSY: who holds our role. */
static void already_attached(const char *addr, int role)
{
	const char *name = role_name((uint32_t)role);
	struct mmipc_ring_stats st;
	uint32_t end;
	int32_t pid = 0;

	/* other_end() of the other role is this role's end. */
	if (ring_stats_of(addr, &st) == 0)
		other_end(role == MMIPC_ROLE_PRODUCER ? MMIPC_ROLE_CONSUMER :
			  MMIPC_ROLE_PRODUCER, &st, &end, &pid);
	if (pid > 0)
		tool_errf("%s: a %s is already attached (pid %d)", addr, name,
			  pid);
	else
		tool_errf("%s: a %s is already attached", addr, name);
}

/* ring_attach_by_name - mmipc_ring_open() with the errors a user can act
 * on spelled out. Returns 0 or the exit status. */
static int ring_attach_by_name(mmipc_ring **ring, const char *addr, int role)
{
	int rc = mmipc_ring_open(ring, addr, role, 0);

	if (rc == 0)
		return 0;
	if (rc == -EBUSY) {
		already_attached(addr, role);
	} else if (rc == -MMIPC_EKIND) {
		tool_errf("%s: not a ring (%s)", addr, mmipc_strerror(rc));
	} else {
		tool_err(addr, rc);
	}
	return EXIT_FAIL;
}

/* ------------------------------------------------------------------------ */
/* send                                                                     */
/* ------------------------------------------------------------------------ */

struct send_opts {
	const char *addr;
	int sep;		/* '\n', '\0', or SEP_NONE with block */
	uint64_t block;		/* --raw SIZE */
	int timeout;
};

/*
 * Stdin, buffered: p[beg..end) is read and not yet sent; p[beg..scan) is
 * known to hold no separator. Grows to hold one whole message.
 */
struct inbuf {
	char *p;
	size_t cap, beg, end, scan;
	bool eof;
};

/* next_msg - the next message in b starts at p[beg]: returns 1 with its
 * length in *len and the bytes it takes (separator included) in *take;
 * 0 when more input is needed; -1 at end of input. */
static int next_msg(struct inbuf *b, const struct send_opts *o, size_t *len,
		    size_t *take)
{
	const char *q;

	if (o->sep == SEP_NONE && b->end - b->beg >= o->block) {
		*len = *take = o->block;
		return 1;
	}
	if (o->sep != SEP_NONE) {
		q = memchr(b->p + b->scan, o->sep, b->end - b->scan);
		if (q != NULL) {
			*len = (size_t)(q - (b->p + b->beg));
			*take = *len + 1;
			return 1;
		}
		b->scan = b->end;
	}
	if (!b->eof)
		return 0;
	if (b->end == b->beg)
		return -1;
	*len = *take = b->end - b->beg;	/* the last, unterminated one */
	return 1;
}

/* read_more - move what is left to the front, grow if full (up to limit
 * bytes), read once. Returns 0, or -errno (stdin, or -ENOMEM). */
static int read_more(struct inbuf *b, size_t limit)
{
	size_t cap;
	ssize_t n;
	char *p;

	if (b->beg > 0) {
		memmove(b->p, b->p + b->beg, b->end - b->beg);
		b->end -= b->beg;
		b->scan -= b->beg;
		b->beg = 0;
	}
	if (b->end == b->cap) {
		cap = b->cap < limit / 2 ? 2 * b->cap : limit;
		p = cap > b->cap ? realloc(b->p, cap) : NULL;
		if (p == NULL)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	do
		n = read(STDIN_FILENO, b->p + b->end, b->cap - b->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	b->eof = n == 0;
	b->end += (size_t)n;
	return 0;
}

/*
 * too_long - a message of have bytes (more than max) was found, whole or
 * (!whole) its start only: then read on to its end to say how long it is
 * (but stop counting past 1 GiB more). Prints the error; returns
 * EXIT_FAIL.
 */
static int too_long(struct inbuf *b, const struct send_opts *o, size_t have,
		    bool whole, uint64_t max)
{
	uint64_t n = have;
	const char *q = whole ? "" : NULL, *more = "";

	b->beg = b->end = b->scan = 0;
	while (!b->eof && q == NULL && read_more(b, b->cap) == 0) {
		q = memchr(b->p, o->sep, b->end);
		n += q != NULL ? (uint64_t)(q - b->p) : b->end;
		b->end = 0;
		if (n - have > (UINT64_C(1) << 30)) {
			more = "more than ";
			break;
		}
	}
	tool_errf("%s: message of %s%llu bytes exceeds the ring's maximum of %llu",
		  o->addr, more, (unsigned long long)n,
		  (unsigned long long)max);
	return EXIT_FAIL;
}

/* send_all - the loop of send; returns the exit status. */
static int send_all(mmipc_ring *ring, const struct send_opts *o,
		    struct inbuf *b)
{
	uint64_t max = mmipc_ring_max_msg(ring);
	size_t len, take, limit;
	int rc;

	/* A buffer holds one whole message and its separator (raw: a block). */
	limit = max < SIZE_MAX - 1 ? (size_t)max + 1 : SIZE_MAX;
	if (limit < CHUNK)
		limit = CHUNK;
	for (;;) {
		rc = next_msg(b, o, &len, &take);
		if (rc < 0)
			return EXIT_OK;
		if (rc == 0 && o->sep != SEP_NONE && b->end - b->beg > max)
			return too_long(b, o, b->end - b->beg, false, max);
		if (rc == 0) {
			mmipc_ring_flush(ring);	/* read() may block */
			rc = read_more(b, limit);
			if (rc < 0) {
				tool_err("stdin", rc);
				return EXIT_FAIL;
			}
			continue;
		}
		if (len > max)
			return too_long(b, o, len, true, max);
		rc = mmipc_ring_send(ring, b->p + b->beg, len, MMIPC_RING_MORE,
				     o->timeout);
		if (rc < 0)
			return ring_fail(o->addr, MMIPC_ROLE_PRODUCER, rc,
					 o->timeout);
		b->beg += take;
		b->scan = b->beg;
	}
}

static int send_run(const struct send_opts *o)
{
	struct inbuf b = { NULL, 0, 0, 0, 0, false };
	mmipc_ring *ring;
	uint64_t max;
	int rc, status;

	status = ring_attach_by_name(&ring, o->addr, MMIPC_ROLE_PRODUCER);
	if (status != 0)
		return status;
	max = mmipc_ring_max_msg(ring);
	if (o->sep == SEP_NONE && o->block > max) {
		tool_errf("--raw %llu: blocks exceed the ring's maximum message of %llu bytes",
			  (unsigned long long)o->block,
			  (unsigned long long)max);
		mmipc_ring_close(ring);
		return EXIT_FAIL;
	}
	b.cap = o->sep == SEP_NONE && o->block > CHUNK ? (size_t)o->block :
		CHUNK;
	b.p = malloc(b.cap);
	if (b.p == NULL) {
		tool_err("send", -ENOMEM);
		mmipc_ring_close(ring);
		return EXIT_FAIL;
	}
	status = send_all(ring, o, &b);
	free(b.p);
	rc = mmipc_ring_close(ring);	/* end of stream for the consumer */
	if (rc < 0 && status == EXIT_OK) {
		tool_err(o->addr, rc);
		status = EXIT_FAIL;
	}
	return status;
}

static void send_usage(FILE *f)
{
	fprintf(f,
		"Usage: mmipc send ADDR [-0|--null | --raw SIZE] [-t|--timeout MS]\n"
		"\n"
		"Send standard input to the ring at ADDR (see 'mmipc create ring'),\n"
		"as its producer, one message per line (without the newline; a last\n"
		"line without one is a message too). At the end of input the ring\n"
		"is closed: the receiver gets end-of-stream once it has read all.\n"
		"Starts before or after the receiver; waits while the ring is full.\n"
		"\n"
		"Options:\n"
		"  -0, --null        messages end with a NUL byte, not a newline\n"
		"  -r, --raw SIZE    blocks of SIZE bytes (the last may be shorter),\n"
		"                    whatever they hold; size suffixes as for create\n"
		"  -t, --timeout MS  give up when the ring has had no room for MS\n"
		"                    milliseconds (default -1: wait for ever)\n"
		"  -h, --help        show this help\n"
		"\n"
		"Exit status: 0 all sent, 1 error (e.g. a line longer than the\n"
		"ring's largest message), 2 usage, 3 timed out, 4 the receiver\n"
		"closed or died.\n"
		"\n"
		"Example:\n"
		"  mmipc create ring shm:x --capacity 1M\n"
		"  mmipc recv shm:x > out &\n"
		"  seq 1 1000000 | mmipc send shm:x; wait\n");
}

/* send_opts_parse - fill o; returns GO, or the exit status of --help, a
 * usage error (after the usage) or a bad value (after a message). */
static int send_opts_parse(int argc, char **argv, struct send_opts *o)
{
	static const struct option opts[] = {
		{ "null",    no_argument,       NULL, '0' },
		{ "raw",     required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *raw = NULL, *timeout = NULL, *why = NULL;
	bool null = false;
	int c;

	while ((c = getopt_long(argc, argv, "0r:t:h", opts, NULL)) != -1) {
		switch (c) {
		case '0':
			null = true;
			break;
		case 'r':
			raw = optarg;
			break;
		case 't':
			timeout = optarg;
			break;
		case 'h':
			send_usage(stdout);
			return EXIT_OK;
		default:
			send_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (null && raw != NULL)
		why = "--null and --raw do not mix";
	else if (optind >= argc)
		why = "missing ADDR";
	else if (argc - optind > 1)
		why = "too many arguments";
	if (why != NULL) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		send_usage(stderr);
		return EXIT_USAGE;
	}
	o->sep = raw != NULL ? SEP_NONE : null ? '\0' : '\n';
	if ((raw != NULL && parse_size("--raw", raw, &o->block) < 0) ||
	    (timeout != NULL && parse_timeout("--timeout", timeout,
					      &o->timeout) < 0))
		return EXIT_FAIL;
	return GO;
}

int cmd_send(int argc, char **argv)
{
	struct send_opts o = { NULL, '\n', 0, -1 };
	char addr[PATH_MAX + 8];
	int rc;

	rc = send_opts_parse(argc, argv, &o);
	if (rc != GO)
		return rc;
	o.addr = addr_named(argv[optind], addr, sizeof(addr));
	if (o.addr == NULL)
		return EXIT_FAIL;
	return send_run(&o);
}

/* ------------------------------------------------------------------------ */
/* recv                                                                     */
/* ------------------------------------------------------------------------ */

struct recv_opts {
	const char *addr;
	int sep;		/* '\n', '\0' or SEP_NONE after a message */
	bool counted;		/* -n given */
	uint64_t count;
	int timeout;
};

/* stdout_fail - report a failed write and drop what is still buffered
 * (main's final fclose would only fail again). Returns EXIT_FAIL. */
static int stdout_fail(int err)
{
	tool_errf("stdout: %s", strerror(err ? err : EIO));
	__fpurge(stdout);
	clearerr(stdout);
	return EXIT_FAIL;
}

static int put_msg(const char *buf, size_t len, int sep)
{
	if (fwrite_unlocked(buf, 1, len, stdout) != len)
		return -1;
	if (sep != SEP_NONE && putc_unlocked(sep, stdout) == EOF)
		return -1;
	return 0;
}

/* recv_all - the loop of recv; returns the exit status. */
static int recv_all(mmipc_ring *ring, const struct recv_opts *o, char *buf,
		    size_t size)
{
	uint64_t got;
	size_t len;
	int rc;

	for (got = 0; !o->counted || got < o->count; got++) {
		rc = mmipc_ring_recv(ring, buf, size, &len, 0);
		if (rc == -EAGAIN) {
			/* About to wait: let the reader of stdout have it all. */
			if (fflush(stdout) != 0)
				return stdout_fail(errno);
			rc = mmipc_ring_recv(ring, buf, size, &len,
					     o->timeout);
		}
		if (rc == 0)
			return EXIT_OK;		/* end of stream */
		if (rc < 0)
			return ring_fail(o->addr, MMIPC_ROLE_CONSUMER, rc,
					 o->timeout);
		if (put_msg(buf, len, o->sep) < 0)
			return stdout_fail(errno);
	}
	return EXIT_OK;
}

static int recv_run(const struct recv_opts *o)
{
	static char outbuf[1 << 20];	/* stdout's; lives until exit */
	mmipc_ring *ring;
	uint64_t max;
	char *buf;
	int rc, status;

	/* A closed stdout is a write error (EPIPE), reported, not a signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf)) != 0) {
		tool_errf("recv: cannot set up standard output");
		return EXIT_FAIL;
	}
	status = ring_attach_by_name(&ring, o->addr, MMIPC_ROLE_CONSUMER);
	if (status != 0)
		return status;
	max = mmipc_ring_max_msg(ring);
	buf = max < SIZE_MAX ? malloc(max ? (size_t)max : 1) : NULL;
	if (buf == NULL) {
		tool_err("recv", -ENOMEM);
		mmipc_ring_close(ring);
		return EXIT_FAIL;
	}
	status = recv_all(ring, o, buf, (size_t)max);
	free(buf);
	if (status == EXIT_OK && fflush(stdout) != 0)
		status = stdout_fail(errno);
	rc = mmipc_ring_close(ring);	/* a sender gets EPIPE from now on */
	if (rc < 0 && status == EXIT_OK) {
		tool_err(o->addr, rc);
		status = EXIT_FAIL;
	}
	return status;
}

static void recv_usage(FILE *f)
{
	fprintf(f,
		"Usage: mmipc recv ADDR [-n|--count COUNT] [-t|--timeout MS]\n"
		"                       [-0|--null | --raw]\n"
		"\n"
		"Receive the messages of the ring at ADDR as its consumer and write\n"
		"each to standard output, followed by a newline. Starts before or\n"
		"after the sender; ends when the sender has closed and all was read.\n"
		"\n"
		"Options:\n"
		"  -n, --count COUNT  stop after COUNT messages, and close: the\n"
		"                     sender's next message fails (as with head -n)\n"
		"  -t, --timeout MS   give up when no message came for MS\n"
		"                     milliseconds (default -1: wait for ever)\n"
		"  -0, --null         follow each message with a NUL byte\n"
		"  -r, --raw          write the messages as they are, back to back\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: 0 end of stream or COUNT messages, 1 error, 2 usage,\n"
		"3 timed out (no message for MS ms), 4 the sender died.\n"
		"\n"
		"Example:\n"
		"  mmipc create ring shm:x --capacity 1M\n"
		"  mmipc recv shm:x > out &\n"
		"  seq 1 1000000 | mmipc send shm:x; wait\n");
}

/* recv_opts_parse - as send_opts_parse(). */
static int recv_opts_parse(int argc, char **argv, struct recv_opts *o)
{
	static const struct option opts[] = {
		{ "count",   required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "null",    no_argument,       NULL, '0' },
		{ "raw",     no_argument,       NULL, 'r' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *count = NULL, *timeout = NULL, *why = NULL;
	bool null = false, raw = false;
	int c;

	while ((c = getopt_long(argc, argv, "n:t:0rh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = optarg;
			break;
		case 't':
			timeout = optarg;
			break;
		case '0':
			null = true;
			break;
		case 'r':
			raw = true;
			break;
		case 'h':
			recv_usage(stdout);
			return EXIT_OK;
		default:
			recv_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (null && raw)
		why = "--null and --raw do not mix";
	else if (optind >= argc)
		why = "missing ADDR";
	else if (argc - optind > 1)
		why = "too many arguments";
	if (why != NULL) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		recv_usage(stderr);
		return EXIT_USAGE;
	}
	o->sep = raw ? SEP_NONE : null ? '\0' : '\n';
	o->counted = count != NULL;
	if ((count != NULL && parse_count("--count", count, &o->count) < 0) ||
	    (timeout != NULL && parse_timeout("--timeout", timeout,
					      &o->timeout) < 0))
		return EXIT_FAIL;
	return GO;
}

int cmd_recv(int argc, char **argv)
{
	struct recv_opts o = { NULL, '\n', false, 0, -1 };
	char addr[PATH_MAX + 8];
	int rc;

	rc = recv_opts_parse(argc, argv, &o);
	if (rc != GO)
		return rc;
	o.addr = addr_named(argv[optind], addr, sizeof(addr));
	if (o.addr == NULL)
		return EXIT_FAIL;
	return recv_run(&o);
}
