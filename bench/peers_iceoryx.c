/*
 * peers_iceoryx.c - iceoryx publish/subscribe through its C binding: a
 * topic each way, zero-copy (loan a chunk, write it, publish; take a
 * chunk, read it, release). The producer waits for a slow consumer
 * (WAIT_FOR_CONSUMER + BLOCK_PRODUCER, so nothing is lost), the consumer
 * waits in a WaitSet on "has data" when its queue is empty.
 *
 * iceoryx needs its daemon, iox-roudi: the row starts one (found in
 * $MMIPC_BENCH_ROUDI, where the build found it, or on $PATH), waits for
 * "RouDi is ready for clients" in its log, and stops it with SIGTERM
 * after the row, when it removes its shared memory (/dev/shm/iceoryx_mgmt
 * and /dev/shm/USER) and its files in /tmp. Whatever of those it leaves
 * and was not there before is removed here, and said.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iceoryx_binding_c/log.h"
#include "iceoryx_binding_c/publisher.h"
#include "iceoryx_binding_c/runtime.h"
#include "iceoryx_binding_c/subscriber.h"
#include "iceoryx_binding_c/wait_set.h"

#include "bench.h"

#define ROUDI_READY "RouDi is ready for clients"
#ifndef BENCH_IOX_ROUDI
#define BENCH_IOX_ROUDI "/usr/bin/iox-roudi"	/* where Debian has it */
#endif
#define CONNECT_MS 10000
#define ROUDI_STOP_S 15

struct ist {
	char rt_name[2][64];		/* runtime (process) names */
	iox_pub_storage_t pub_st;
	iox_sub_storage_t sub_st;
	iox_ws_storage_t ws_st;
	iox_pub_t pub;
	iox_sub_t sub;
	iox_ws_t ws;
	const void *held;		/* the chunk taken last */
};

/* ---------------------------------------------------------------- */
/* The daemon                                                        */
/* ---------------------------------------------------------------- */

#define NLEFT 5

static struct {
	pid_t pid;
	int status;		/* its wait status, once reaped */
	char log[64];
	char left[NLEFT][96];	/* what a daemon may leave behind */
	bool existed[NLEFT];
} roudi = { .pid = -1 };

static const char *find_roudi(void)
{
	static char buf[4096];
	const char *env = getenv("MMIPC_BENCH_ROUDI"), *path;
	char dirs[4096], *dir, *save = NULL;

	if (env && *env)
		return env;
	if (access(BENCH_IOX_ROUDI, X_OK) == 0)
		return BENCH_IOX_ROUDI;
	path = getenv("PATH");
	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/iox-roudi", dir);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

static void note_leftovers(void)
{
	struct passwd *pw = getpwuid(getuid());
	struct stat st;
	int i;

	snprintf(roudi.left[0], sizeof(roudi.left[0]), "/dev/shm/iceoryx_mgmt");
	snprintf(roudi.left[1], sizeof(roudi.left[1]), "/dev/shm/%s",
		 pw ? pw->pw_name : "iceoryx_user");
	snprintf(roudi.left[2], sizeof(roudi.left[2]), "/tmp/roudi");
	snprintf(roudi.left[3], sizeof(roudi.left[3]), "/tmp/roudi.lock");
	snprintf(roudi.left[4], sizeof(roudi.left[4]),
		 "/tmp/iox-unique-roudi.lock");
	for (i = 0; i < NLEFT; i++)
		roudi.existed[i] = lstat(roudi.left[i], &st) == 0;
}

/* log_says - 1 the log holds ROUDI_READY, 0 not yet; its last line in
 * last (for a daemon that gave up). */
static int log_says(char *last, size_t lastlen)
{
	char line[512];
	int ready = 0;
	size_t n;
	FILE *f;

	f = fopen(roudi.log, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, ROUDI_READY))
			ready = 1;
		n = strcspn(line, "\n");
		if (n == 0)
			continue;
		if (n >= lastlen)
			n = lastlen - 1;	/* a long line: its start */
		memcpy(last, line, n);
		last[n] = '\0';
	}
	fclose(f);
	return ready;
}

static void roudi_stop(void);

/* roudi_exited - reap the daemon if it is gone (1), else 0 */
static int roudi_exited(void)
{
	if (waitpid(roudi.pid, &roudi.status, WNOHANG) != roudi.pid)
		return 0;
	roudi.pid = -1;
	return 1;
}

static int roudi_start(char *why, size_t whylen)
{
	const char *exe = find_roudi();
	char last[256] = "no output";
	int64_t deadline;
	pid_t pid;
	int fd;

	if (!exe) {
		snprintf(why, whylen, "iox-roudi not found (apt-get install "
			 "iceoryx, or set MMIPC_BENCH_ROUDI)");
		return -1;
	}
	note_leftovers();
	snprintf(roudi.log, sizeof(roudi.log), "/tmp/mmipc-bench-roudi-XXXXXX");
	fd = mkstemp(roudi.log);
	if (fd < 0) {
		snprintf(why, whylen, "mkstemp: %s", strerror(errno));
		roudi.log[0] = '\0';
		return -1;
	}
	pid = bench_fork(why, whylen);
	if (pid == 0) {
		/* its own process group: Ctrl-C is for us to pass on as the
		 * one SIGTERM it shuts down cleanly on */
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || setpgid(0, 0) < 0)
			_exit(127);
		execl(exe, exe, "-l", "info", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(fd);
	if (pid < 0) {
		roudi_stop();
		return -1;
	}
	roudi.pid = pid;
	deadline = now_ns() + 10 * (int64_t)1000000000;
	while (!log_says(last, sizeof(last))) {
		if (roudi_exited() || now_ns() > deadline ||
		    bench_interrupted()) {
			snprintf(why, whylen, "iox-roudi did not start: %s",
				 last);
			roudi_stop();
			return -1;
		}
		usleep(10000);
	}
	return 0;
}

static void roudi_stop(void)
{
	char why[256] = "";
	int64_t deadline;
	struct stat st;
	int i, left = 0;

	if (roudi.pid > 0) {
		if (kill(roudi.pid, SIGTERM) < 0 && errno != ESRCH)
			fprintf(stderr, "mmipc-bench: kill iox-roudi: %s\n",
				strerror(errno));
		/* its own clean-up takes a moment: even after Ctrl-C, wait
		 * for it (bench_wait() would kill at once) */
		deadline = now_ns() + ROUDI_STOP_S * (int64_t)1000000000;
		while (!roudi_exited() && now_ns() < deadline)
			usleep(10000);
		if (roudi.pid > 0) {
			fprintf(stderr, "mmipc-bench: iox-roudi did not stop "
				"in %d s: killed\n", ROUDI_STOP_S);
			if (bench_wait(&roudi.pid, 1, 0, 0, why,
				       sizeof(why)) < 0 && why[0])
				fprintf(stderr, "mmipc-bench: iox-roudi: %s\n",
					why);
		}
		roudi.pid = -1;
	}
	for (i = 0; i < NLEFT; i++) {
		if (roudi.existed[i] || lstat(roudi.left[i], &st) < 0)
			continue;
		if (!left++) {
			log_says(why, sizeof(why));
			fprintf(stderr, "mmipc-bench: iox-roudi (wait status "
				"%#x) did not clean up; it said last: %s\n",
				roudi.status, why);
		}
		fprintf(stderr, "mmipc-bench: iox-roudi left %s: removed\n",
			roudi.left[i]);
		if (unlink(roudi.left[i]) < 0)
			fprintf(stderr, "mmipc-bench: unlink %s: %s\n",
				roudi.left[i], strerror(errno));
	}
	if (roudi.log[0])
		unlink(roudi.log);
	roudi.log[0] = '\0';
}

/* ---------------------------------------------------------------- */
/* The row                                                           */
/* ---------------------------------------------------------------- */

static int isetup(struct chan *c)
{
	struct ist *s = calloc(1, sizeof(*s));

	if (!s)
		return bench_sys("calloc", ENOMEM);
	c->st = s;
	snprintf(s->rt_name[0], sizeof(s->rt_name[0]), "%s-a", c->tag);
	snprintf(s->rt_name[1], sizeof(s->rt_name[1]), "%s-b", c->tag);
	return 0;
}

/* wait_connected - until our publisher has a subscriber and our
 * subscriber is subscribed (the other side made its ends meanwhile). */
static int wait_connected(struct ist *s)
{
	int64_t deadline = now_ns() + CONNECT_MS * (int64_t)1000000;

	while ((s->pub && !iox_pub_has_subscribers(s->pub)) ||
	       (s->sub && iox_sub_get_subscription_state(s->sub) !=
			  SubscribeState_SUBSCRIBED)) {
		if (now_ns() > deadline)
			return bench_fail("iceoryx: not connected after %d ms",
					  CONNECT_MS);
		usleep(1000);
	}
	return 0;
}

static int iopen(struct chan *c)
{
	struct ist *s = c->st;
	const char *out = c->side == SIDE_A ? "ab" : "ba";
	const char *in = c->side == SIDE_A ? "ba" : "ab";
	iox_pub_options_t po;
	iox_sub_options_t so;

	iox_set_loglevel(Iceoryx_LogLevel_Warn);	/* before the runtime */
	iox_runtime_init(s->rt_name[c->side]);
	if (c->side == SIDE_A || !c->stream) {
		iox_pub_options_init(&po);
		po.historyCapacity = 0;
		po.subscriberTooSlowPolicy =
			ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
		s->pub = iox_pub_init(&s->pub_st, "mmipc-bench", c->tag, out,
				      &po);
	}
	if (c->side == SIDE_B || !c->stream) {
		iox_sub_options_init(&so);
		so.queueCapacity = 256;
		so.historyRequest = 0;
		so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
		s->sub = iox_sub_init(&s->sub_st, "mmipc-bench", c->tag, in,
				      &so);
		s->ws = iox_ws_init(&s->ws_st);
		if (iox_ws_attach_subscriber_state(s->ws, s->sub,
						   SubscriberState_HAS_DATA, 0,
						   NULL) != WaitSetResult_SUCCESS)
			return bench_fail("iox_ws_attach_subscriber_state "
					  "failed");
	}
	return wait_connected(s);
}

static int iloan(struct chan *c, void **buf, size_t len)
{
	struct ist *s = c->st;
	enum iox_AllocationResult r;

	r = iox_pub_loan_chunk(s->pub, buf, (uint32_t)len);
	if (r != AllocationResult_SUCCESS)
		return bench_fail("iox_pub_loan_chunk: failed (%d)", (int)r);
	return 0;
}

static int isend(struct chan *c, const void *buf, size_t len,
		 unsigned flags)
{
	struct ist *s = c->st;

	(void)len;
	(void)flags;
	iox_pub_publish_chunk(s->pub, (void *)buf);
	return 0;
}

static int irecv(struct chan *c, const void **buf, size_t *len)
{
	struct ist *s = c->st;
	iox_notification_info_t info[2];
	enum iox_ChunkReceiveResult r;
	uint64_t missed;

	for (;;) {
		r = iox_sub_take_chunk(s->sub, buf);
		if (r == ChunkReceiveResult_SUCCESS)
			break;
		if (r != ChunkReceiveResult_NO_CHUNK_AVAILABLE)
			return bench_fail("iox_sub_take_chunk: failed (%d)",
					  (int)r);
		iox_ws_wait(s->ws, info, 2, &missed);
	}
	s->held = *buf;
	*len = c->size;	/* every chunk of a row has this size */
	return 0;
}

static int irelease(struct chan *c)
{
	struct ist *s = c->st;

	iox_sub_release_chunk(s->sub, s->held);
	s->held = NULL;
	return 0;
}

static void iclose(struct chan *c)
{
	struct ist *s = c->st;

	if (s->ws)
		iox_ws_deinit(s->ws);
	if (s->sub)
		iox_sub_deinit(s->sub);
	if (s->pub)
		iox_pub_deinit(s->pub);
}

static void iteardown(struct chan *c)
{
	struct ist *s = c->st;
	char path[96];
	int i;

	if (!s)
		return;
	/* a runtime's socket and lock file, if its process was killed */
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/tmp/%s%s", s->rt_name[i / 2],
			 i % 2 ? ".lock" : "");
		if (unlink(path) < 0 && errno != ENOENT)
			fprintf(stderr, "mmipc-bench: iceoryx: unlink %s: %s\n",
				path, strerror(errno));
	}
	free(s);
	c->st = NULL;
}

const struct mech mech_iceoryx = {
	.name = "iceoryx",
	.what = "iceoryx publish/subscribe (C binding), zero-copy, WaitSet",
	.setup = isetup,
	.open = iopen,
	.loan = iloan,
	.send = isend,
	.recv = irecv,
	.release = irelease,
	.close = iclose,
	.teardown = iteardown,
	.row_start = roudi_start,
	.row_stop = roudi_stop,
};
