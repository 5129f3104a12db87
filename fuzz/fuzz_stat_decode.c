/*
 * fuzz_stat_decode.c - the mmipc tool's decoders on a region file of
 * arbitrary bytes: `mmipc stat` (text and --json, with the peer and ring
 * sections of ring_info.c), `mmipc ls` of the file and of the shm
 * directory (which holds only it), and `mmipc rm --stale --dry-run`, which
 * judges it. The tool's own code runs (its files in tools/ but main.c,
 * compiled into this target); its output goes to /dev/null.
 *
 * Input: the whole content of the file, as for fuzz_region_open.c (and,
 * as there, run again with the file at the size its header claims).
 *
 * What must hold: no crash, no SIGBUS, exit status 0 or 1 (never a usage
 * error: the arguments are fixed), nothing left open or mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../tools/tool.h"
#include "fuzz_util.h"

static int file_fd;
static char file_addr[PATH_MAX + 8], shm_addr[64];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init("stat_decode");
	file_fd = fz_file("region");
	fz_file_addr(file_addr, sizeof(file_addr), "region");
	fz_shm_addr(shm_addr, sizeof(shm_addr), "region");
	devnull = fopen("/dev/null", "we");
	FZ_CHECK(devnull != NULL, "/dev/null: %s", strerror(errno));
	fz_leak_check_setup(NULL);
	return 0;
}

/* Runs one subcommand as main.c would, with its output going nowhere
 * (the FILE pointers only: fd 1 and 2 stay for libFuzzer and the
 * sanitizers). */
static void run(int (*cmd)(int, char **), const char *const args[])
{
	char *argv[8];
	FILE *out = stdout, *err = stderr;
	int argc, rc;

	for (argc = 0; args[argc] != NULL; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	optind = 0; /* glibc: start getopt afresh */
	stdout = stderr = devnull;
	rc = cmd(argc, argv);
	fflush(devnull);
	stdout = out;
	stderr = err;
	FZ_CHECK(rc == EXIT_OK || rc == EXIT_FAIL, "%s %s: exit status %d",
		 args[0], args[1], rc);
}

static void decode_all(void)
{
	run(cmd_stat, (const char *const[]){ "mmipc stat", file_addr, NULL });
	run(cmd_stat, (const char *const[]){ "mmipc stat", "--json", shm_addr,
					     file_addr, NULL });
	run(cmd_ls, (const char *const[]){ "mmipc ls", file_addr, NULL });
	run(cmd_ls, (const char *const[]){ "mmipc ls", "--all", NULL });
	run(cmd_ls, (const char *const[]){ "mmipc ls", "--json", "--all",
					   NULL });
	run(cmd_rm, (const char *const[]){ "mmipc rm", "--stale", "--dry-run",
					   "-v", NULL });
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t total = fz_claimed_size(data, size);

	fz_write(file_fd, data, size);
	decode_all();
	if (total != 0) {
		fz_resize(file_fd, total);
		decode_all();
	}
	fz_leak_check();
	return 0;
}
