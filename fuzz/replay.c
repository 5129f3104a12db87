/*
 * replay.c - a main() for the fuzz targets where libFuzzer is not linked
 * (gcc, plain and ASan builds): runs the target once over every file named
 * on the command line, or found in a directory named there (files whose
 * name starts with '.' are skipped, so that .gitkeep keeps an empty
 * regress/ directory in git). This is how CTest turns every seed and every
 * crash ever found into a regression test:
 *
 *	fuzz-TARGET-replay fuzz/corpus/TARGET fuzz/regress/TARGET
 *
 * Each input runs in a fork()ed child, so that one crash does not hide
 * the inputs after it, a hang is cut short (REPLAY_TIMEOUT_S), and the
 * parent, which made the target's private directory, always removes it.
 * Exit status: 0 every input passed, 1 one failed (or none was found).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_util.h"

/* Generous: one input takes milliseconds, but CI machines are loaded and
 * sanitizers slow. */
#define REPLAY_TIMEOUT_S 60

struct tally {
	unsigned inputs, failed;
};

/* The whole file, malloc()ed (one byte more, so that an empty file is
 * not a NULL buffer); NULL with errno set on failure. */
static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *buf = NULL;
	struct stat st;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == 0 &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		*size = (size_t)st.st_size;
		if (fread(buf, 1, *size, f) != *size) {
			free(buf);
			buf = NULL;
			errno = EIO;
		}
	}
	fclose(f);
	return buf;
}

/* Runs one input in a child; says what went wrong, if anything. */
static void run_one(const char *path, struct tally *t)
{
	size_t size = 0;
	uint8_t *buf = slurp(path, &size);
	pid_t pid;
	int st;

	t->inputs++;
	if (buf == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		t->failed++;
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "replay: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		alarm(REPLAY_TIMEOUT_S);
		LLVMFuzzerTestOneInput(buf, size);
		free(buf);
		exit(0); /* exit(), not _exit(): LeakSanitizer checks here */
	}
	free(buf);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "replay: waitpid: %s\n", strerror(errno));
			exit(1);
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	t->failed++;
	if (WIFSIGNALED(st))
		fprintf(stderr, "replay: FAILED %s: killed by signal %d (%s)%s\n",
			path, WTERMSIG(st), strsignal(WTERMSIG(st)),
			WTERMSIG(st) == SIGALRM ? ": hung" : "");
	else
		fprintf(stderr, "replay: FAILED %s: exit status %d\n", path,
			WEXITSTATUS(st));
}

static int skip_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Every file of a directory, in name order. */
static void run_dir(const char *dir, struct tally *t)
{
	struct dirent **v;
	char path[PATH_MAX];
	int n, i;

	n = scandir(dir, &v, skip_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		t->failed++;
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v[i]->d_name);
		run_one(path, t);
		free(v[i]);
	}
	free(v);
}

int main(int argc, char **argv)
{
	struct tally t = { 0, 0 };
	struct stat st;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			run_dir(argv[i], &t);
		else
			run_one(argv[i], &t);
	}
	printf("replay: %u inputs, %u failed\n", t.inputs, t.failed);
	if (t.inputs == 0)
		fprintf(stderr, "replay: no input found\n");
	return t.failed == 0 && t.inputs > 0 ? 0 : 1;
}
