/*
 * main.c - the mmipc command: global options and the dispatch table.
 *
 *	mmipc [-h|--help] [-V|--version] COMMAND [ARGS]
 *
 * Each COMMAND is a cmd_X() (tool.h) that parses its own options with
 * getopt_long and returns the exit status. To add one, write it and add a
 * line to commands[] below.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "create", cmd_create, "create a region" },
	{ "ls",     cmd_ls,     "list regions" },
	{ "stat",   cmd_stat,   "show everything a region's header says" },
	{ "rm",     cmd_rm,     "remove regions, or every stale one" },
	{ "send",   cmd_send,   "send stdin through a ring, a message per line" },
	{ "recv",   cmd_recv,   "receive a ring's messages on stdout" },
	{ "demo",   cmd_demo,   "run the classic shared-memory scenarios" },
	{ "bench",  cmd_bench,  "measure every IPC mechanism side by side" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: mmipc [-h|--help] [-V|--version] COMMAND [ARGS]\n"
		"\n"
		"See and manage mmipc shared-memory regions, and pipe data through\n"
		"their rings.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"  %-8s %s\n"
		"\n"
		"Addresses: shm:NAME (or a bare NAME) for POSIX shared memory in\n"
		"%s ($MMIPC_SHM_DIR), file:PATH (or any path with a '/').\n"
		"\n"
		"Run 'mmipc COMMAND --help' for the options of a command.\n",
		"help", "show the help of a command", mmipc_shm_dir());
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * run_command - call cmd with argv[0] set to "mmipc NAME", so that
 * getopt's own messages read "mmipc NAME: unrecognized option ...", and
 * getopt reset (optind = 0 makes glibc start over).
 */
static int run_command(const struct command *cmd, int argc, char **argv)
{
	static char argv0[64];

	snprintf(argv0, sizeof(argv0), "mmipc %s", cmd->name);
	argv[0] = argv0;
	optind = 0;
	return cmd->run(argc, argv);
}

/* mmipc help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
	static char help_opt[] = "--help";
	const struct command *cmd;
	char *args[3];

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL || argc > 2) {
		if (cmd == NULL)
			tool_errf("help: unknown command '%s'", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	args[0] = argv[1];
	args[1] = help_opt;
	args[2] = NULL;
	return run_command(cmd, 2, args);
}

/* The command's output is useless if it did not all reach stdout. */
static int close_stdout(int status)
{
	int had_error = ferror(stdout);

	if (fclose(stdout) != 0 || had_error) {
		tool_errf("write error: %s",
			  had_error ? "output failed" : strerror(errno));
		return EXIT_FAIL;
	}
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *cmd;
	int c;

	/* '+': stop at COMMAND; what follows belongs to it. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return close_stdout(EXIT_OK);
		case 'V':
			printf("mmipc %s (libmmipc %s)\n", MMIPC_VERSION_STRING,
			       mmipc_version());
			return close_stdout(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0)
		return close_stdout(cmd_help(argc - optind, argv + optind));
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		tool_errf("unknown command '%s' (try 'mmipc --help')",
			  argv[optind]);
		return EXIT_USAGE;
	}
	return close_stdout(run_command(cmd, argc - optind, argv + optind));
}
