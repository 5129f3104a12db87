/*
 * cmd_region.c - the region commands of the mmipc tool:
 *
 *	mmipc create raw ADDR --size SIZE [--mode MODE] [-v]
 *	mmipc create ring ADDR --capacity BYTES [--mode MODE] [-v]
 *	mmipc stat [--json] ADDR...
 *	mmipc rm [-f|--force] [-v] ADDR...
 *	mmipc rm --stale [-n|--dry-run] [-v]
 *
 * (mmipc ls is in cmd_ls.c; the scan of the shm directory both ls and
 * rm --stale use is in regions.c.) Thin code over mmipc.h, as LMDB's
 * mdb_stat.c is over lmdb.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

/* ------------------------------------------------------------------------ */
/* create                                                                   */
/* ------------------------------------------------------------------------ */

static int create_raw(const char *addr, uint64_t size, unsigned mode)
{
	mmipc_region *r;
	int rc;

	rc = mmipc_region_create(&r, addr, size, mode, 0);
	if (rc < 0)
		return rc;
	return mmipc_region_close(r);
}

static int create_ring(const char *addr, uint64_t capacity, unsigned mode)
{
	mmipc_region *r;
	int rc;

	rc = mmipc_ring_create(&r, addr, capacity, mode, 0);
	if (rc < 0)
		return rc;
	return mmipc_region_close(r);
}

static int check_raw_size(const char *arg, uint64_t size)
{
	if (size <= MMIPC_MAX_SIZE)
		return 0;
	tool_errf("--size '%s': too large (the largest region is 1T)", arg);
	return -1;
}

static int check_ring_capacity(const char *arg, uint64_t cap)
{
	if (cap >= MMIPC_RING_MIN_CAPACITY && cap <= MMIPC_RING_MAX_CAPACITY &&
	    (cap & (cap - 1)) == 0)
		return 0;
	tool_errf("--capacity '%s': must be a power of two between 4K and 1G",
		  arg);
	return -1;
}

/* The kinds "mmipc create" makes, and the option that sizes each. */
static const struct create_kind {
	const char *name;
	bool by_capacity;		/* sized by --capacity, not --size */
	const char *opt;		/* "--size" or "--capacity" */
	int (*check)(const char *arg, uint64_t size);
	int (*create)(const char *addr, uint64_t size, unsigned mode);
} create_kinds[] = {
	{ "raw",  false, "--size",     check_raw_size,      create_raw },
	{ "ring", true,  "--capacity", check_ring_capacity, create_ring },
};

#define NKINDS (sizeof(create_kinds) / sizeof(create_kinds[0]))

static void create_usage(FILE *f)
{
	fprintf(f,
		"Usage: mmipc create raw ADDR -s|--size SIZE [-m|--mode MODE] [-v]\n"
		"       mmipc create ring ADDR -c|--capacity BYTES [-m|--mode MODE] [-v]\n"
		"\n"
		"Create a region of KIND at ADDR (shm:NAME, NAME, file:PATH or a\n"
		"path with a '/').\n"
		"\n"
		"Kinds:\n"
		"  raw              a plain data area of SIZE bytes, laid out by the\n"
		"                   application\n"
		"  ring             a message ring of BYTES capacity for one producer\n"
		"                   and one consumer ('mmipc send', 'mmipc recv')\n"
		"\n"
		"Options:\n"
		"  -s, --size SIZE  (raw) bytes of data: 4096, 64K, 16M, 2G, 1T\n"
		"                   (powers of 1024; KiB, MiB, GiB, TiB too), at\n"
		"                   most 1T\n"
		"  -c, --capacity BYTES\n"
		"                   (ring) bytes of ring, a power of two from 4K to\n"
		"                   1G, with the same suffixes as --size\n"
		"  -m, --mode MODE  octal permission bits (default 0600, applied\n"
		"                   exactly, whatever the umask)\n"
		"  -v, --verbose    say what was created\n"
		"  -h, --help       show this help\n"
		"\n"
		"Examples:\n"
		"  mmipc create raw shm:frames --size 16M --mode 0640\n"
		"  mmipc create ring shm:log --capacity 1M\n");
}

static const struct create_kind *find_kind(const char *name)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(create_kinds[i].name, name) == 0)
			return &create_kinds[i];
	return NULL;
}

static void unknown_kind(const char *prog, const char *name)
{
	size_t i;

	fprintf(stderr, "%s: unknown kind '%s' (known kinds:", prog, name);
	for (i = 0; i < NKINDS; i++)
		fprintf(stderr, " %s", create_kinds[i].name);
	fprintf(stderr, ")\n");
}

/* What the options of "mmipc create" said (NULL: not given). */
struct create_opts {
	const char *size_arg, *cap_arg, *mode_arg;
	bool verbose;
};

/* create_args - check the operands and that the kind's size option (and
 * only it) was given; returns the kind, or NULL after a message. */
static const struct create_kind *create_args(int argc, char **argv,
					     const struct create_opts *o)
{
	const struct create_kind *k;
	const char *mine, *other;

	if (argc - optind != 2) {
		fprintf(stderr, "%s: %s\n", argv[0],
			argc - optind < 2 ? "missing KIND or ADDR" :
			"too many arguments");
		return NULL;
	}
	k = find_kind(argv[optind]);
	if (k == NULL) {
		unknown_kind(argv[0], argv[optind]);
		return NULL;
	}
	mine = k->by_capacity ? o->cap_arg : o->size_arg;
	other = k->by_capacity ? o->size_arg : o->cap_arg;
	if (other != NULL) {
		fprintf(stderr, "%s: a %s region is sized by %s, not %s\n",
			argv[0], k->name, k->opt,
			k->by_capacity ? "--size" : "--capacity");
		return NULL;
	}
	if (mine == NULL) {
		fprintf(stderr, "%s: missing %s\n", argv[0], k->opt);
		return NULL;
	}
	return k;
}

/* create_region - the part after option parsing; returns the exit status. */
static int create_region(const struct create_kind *k, const char *arg,
			 const struct create_opts *o)
{
	const char *size_arg = k->by_capacity ? o->cap_arg : o->size_arg;
	char addr[PATH_MAX + 8], human[32];
	unsigned mode = 0;
	uint64_t size;
	int rc;

	if (addr_named(arg, addr, sizeof(addr)) == NULL)
		return EXIT_FAIL;
	if (parse_size(k->opt, size_arg, &size) < 0 ||
	    k->check(size_arg, size) < 0 ||
	    (o->mode_arg != NULL && parse_mode(o->mode_arg, &mode) < 0))
		return EXIT_FAIL;
	rc = k->create(addr, size, mode);
	if (rc < 0) {
		tool_err(addr, rc);
		return EXIT_FAIL;
	}
	fmt_size(size, human, sizeof(human));
	if (o->verbose)
		printf("created %s (%s, %s, mode %04o)\n", addr, k->name, human,
		       mode ? mode : MMIPC_DEFAULT_MODE);
	return EXIT_OK;
}

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size",     required_argument, NULL, 's' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "mode",     required_argument, NULL, 'm' },
		{ "verbose",  no_argument,       NULL, 'v' },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct create_opts o = { NULL, NULL, NULL, false };
	const struct create_kind *k;
	int c;

	while ((c = getopt_long(argc, argv, "s:c:m:vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.size_arg = optarg;
			break;
		case 'c':
			o.cap_arg = optarg;
			break;
		case 'm':
			o.mode_arg = optarg;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			create_usage(stdout);
			return EXIT_OK;
		default:
			create_usage(stderr);
			return EXIT_USAGE;
		}
	}
	k = create_args(argc, argv, &o);
	if (k == NULL) {
		create_usage(stderr);
		return EXIT_USAGE;
	}
	return create_region(k, argv[optind + 1], &o);
}

/* ------------------------------------------------------------------------ */
/* stat                                                                     */
/* ------------------------------------------------------------------------ */

static void stat_usage(FILE *f)
{
	fprintf(f,
		"Usage: mmipc stat [--json] ADDR...\n"
		"\n"
		"Show every field of each region's header and what the file\n"
		"system says of it, one 'key: value' per line; then, for a ring,\n"
		"its capacity, fill level, counters and ends (ring_*), and the\n"
		"processes attached to the region (peer N: role, pid, alive,\n"
		"since when).\n"
		"\n"
		"Options:\n"
		"  -j, --json   one JSON object (an array of them for several ADDRs)\n"
		"  -h, --help   show this help\n"
		"\n"
		"Example:\n"
		"  mmipc stat shm:frames\n");
}

static void fmt_seals(uint32_t seals, char *buf, size_t size)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ F_SEAL_SEAL, "seal" }, { F_SEAL_SHRINK, "shrink" },
		{ F_SEAL_GROW, "grow" }, { F_SEAL_WRITE, "write" },
		{ 0x10, "future_write" },
	};
	size_t i, n;

	n = (size_t)snprintf(buf, size, "0x%x", seals);
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < size; i++)
		if (seals & names[i].bit)
			n += (size_t)snprintf(buf + n, size - n, " %s",
					      names[i].name);
}

static const char *alive_word(int32_t alive)
{
	return alive == 1 ? "yes" : alive == 0 ? "no" : "?";
}

static void stat_text(const char *addr, const struct mmipc_region_info *in)
{
	char buf[96], user[64], human[32];

	printf("name: %s\n", addr);
	printf("kind: %s\n", mmipc_kind_name(in->kind));
	printf("backend: %s\n", backend_name(in->backend));
	fmt_state(in->state, buf, sizeof(buf));
	printf("state: %s\n", buf);
	printf("version: %u\n", in->version);
	fmt_size(in->data_size, human, sizeof(human));
	printf("data_size: %llu (%s)\n", (unsigned long long)in->data_size,
	       human);
	printf("data_off: %llu\n", (unsigned long long)in->data_off);
	printf("total_size: %llu\n", (unsigned long long)in->total_size);
	printf("file_size: %llu\n", (unsigned long long)in->file_size);
	printf("creator_pid: %d\n", in->creator_pid);
	fmt_user(in->creator_uid, user, sizeof(user));
	printf("creator_uid: %u (%s)\n", in->creator_uid, user);
	printf("creator_start: %llu\n", (unsigned long long)in->creator_start);
	printf("creator_alive: %s\n", alive_word(in->creator_alive));
	fmt_time_iso(in->ctime_ns, buf, sizeof(buf));
	fmt_age(age_seconds(in->ctime_ns), human, sizeof(human));
	printf("created: %s (%s ago)\n", buf, human);
	printf("ctime_ns: %lld\n", (long long)in->ctime_ns);
	fmt_user(in->owner_uid, user, sizeof(user));
	printf("owner_uid: %u (%s)\n", in->owner_uid, user);
	printf("mode: %04o\n", in->mode & 07777);
	if (in->backend == MMIPC_BACKEND_MEMFD || in->seals != 0) {
		fmt_seals(in->seals, buf, sizeof(buf));
		printf("seals: %s\n", buf);
	}
	printf("params: %llu %llu %llu %llu\n",
	       (unsigned long long)in->params[0],
	       (unsigned long long)in->params[1],
	       (unsigned long long)in->params[2],
	       (unsigned long long)in->params[3]);
	printf("stale: %s\n", region_is_stale(in) ? "yes" : "no");
}

static void stat_json(const char *addr, const struct mmipc_region_info *in,
		      const struct region_extra *x)
{
	char buf[96];
	int i;

	json_info(stdout, addr, in);
	printf(", \"version\": %u, \"data_off\": %llu, \"file_size\": %llu",
	       in->version, (unsigned long long)in->data_off,
	       (unsigned long long)in->file_size);
	printf(", \"creator_start\": %llu, \"created\": ",
	       (unsigned long long)in->creator_start);
	fmt_time_iso(in->ctime_ns, buf, sizeof(buf));
	json_string(stdout, buf);
	printf(", \"seals\": %u, \"params\": [", in->seals);
	for (i = 0; i < 4; i++)
		printf("%s%llu", i ? ", " : "",
		       (unsigned long long)in->params[i]);
	printf("]");
	region_extra_json(in, x);
	printf("}");
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct mmipc_region_info info;
	struct region_extra extra;
	char addr[PATH_MAX + 8];
	bool json = false, many;
	int c, i, rc, status = EXIT_OK, shown = 0;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			stat_usage(stdout);
			return EXIT_OK;
		default:
			stat_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: missing ADDR\n", argv[0]);
		stat_usage(stderr);
		return EXIT_USAGE;
	}
	many = argc - optind > 1;
	if (json && many)
		printf("[");
	for (i = optind; i < argc; i++) {
		if (addr_named(argv[i], addr, sizeof(addr)) == NULL) {
			status = EXIT_FAIL;
			continue;
		}
		rc = mmipc_region_stat(addr, &info);
		if (rc < 0) {
			tool_err(addr, rc);
			status = EXIT_FAIL;
			continue;
		}
		region_extra_read(addr, info.kind, &extra);
		if (json) {
			printf("%s", shown ? ",\n " : "");
			stat_json(addr, &info, &extra);
		} else {
			printf("%s", shown ? "\n" : "");
			stat_text(addr, &info);
			region_extra_text(&info, &extra);
		}
		shown++;
	}
	if (json && (many || shown))
		printf(many ? "]\n" : "\n");
	return status;
}

/* ------------------------------------------------------------------------ */
/* rm                                                                       */
/* ------------------------------------------------------------------------ */

static void rm_usage(FILE *f)
{
	fprintf(f,
		"Usage: mmipc rm [-f|--force] [-v] ADDR...\n"
		"       mmipc rm --stale [-n|--dry-run] [-v]\n"
		"\n"
		"Remove the named regions. Processes that have one mapped keep\n"
		"using it; its memory is freed when the last one lets go.\n"
		"\n"
		"Options:\n"
		"  -f, --force     remove ADDR even if it is not an mmipc region\n"
		"      --stale     remove every region in %s whose creator\n"
		"                  is dead and that no live process is attached to\n"
		"                  (never one whose creator or a peer is alive or\n"
		"                  cannot be told)\n"
		"  -n, --dry-run   with --stale: only say what would be removed\n"
		"  -v, --verbose   say what is removed (and, with --stale, kept)\n"
		"  -h, --help      show this help\n"
		"\n"
		"Examples:\n"
		"  mmipc rm shm:frames\n"
		"  mmipc rm --stale --dry-run\n",
		mmipc_shm_dir());
}

static int rm_named(char **args, int n, bool force, bool verbose)
{
	char addr[PATH_MAX + 8];
	int i, rc, status = EXIT_OK;

	for (i = 0; i < n; i++) {
		if (addr_named(args[i], addr, sizeof(addr)) == NULL) {
			status = EXIT_FAIL;
			continue;
		}
		rc = mmipc_region_unlink(addr, force ? MMIPC_F_FORCE : 0);
		if (rc == -MMIPC_EBADMAGIC && !force) {
			tool_errf("%s: %s (--force removes it anyway)", addr,
				  mmipc_strerror(rc));
			status = EXIT_FAIL;
		} else if (rc < 0) {
			tool_err(addr, rc);
			status = EXIT_FAIL;
		} else if (verbose) {
			printf("removed %s\n", addr);
		}
	}
	return status;
}

/*
 * same_and_stale - read the region again just before removing it: the
 * scan may be old by now, and a new region may have taken the name. This
 * narrows the race to the time between this stat and the unlink (the
 * library has no "unlink if still this one").
 */
static bool same_and_stale(const struct region_entry *e)
{
	struct mmipc_region_info now;

	return mmipc_region_stat(e->addr, &now) == 0 && region_is_stale(&now) &&
	       now.ctime_ns == e->info.ctime_ns &&
	       now.creator_pid == e->info.creator_pid &&
	       now.creator_start == e->info.creator_start;
}

/* keep_note - why rm --stale keeps a region (for -v). */
static void keep_note(const struct mmipc_region_info *in, const char *addr)
{
	if (in->creator_alive != 0)
		printf("keeping %s (creator %d %s)\n", addr, in->creator_pid,
		       in->creator_alive == 1 ? "alive" : "cannot be told");
	else
		printf("keeping %s (creator %d dead, %u live peer%s)\n", addr,
		       in->creator_pid, in->peers_alive,
		       in->peers_alive == 1 ? "" : "s");
}

/* rm_one_stale - act on one entry of the scan; returns the exit status. */
static int rm_one_stale(const struct region_entry *e, bool dry_run,
			bool verbose)
{
	int rc;

	if (e->rc < 0)
		return EXIT_OK;		/* not a region we can judge */
	if (!region_is_stale(&e->info)) {
		if (verbose)
			keep_note(&e->info, e->addr);
		return EXIT_OK;
	}
	if (dry_run) {
		printf("would remove %s (creator %d dead)\n", e->addr,
		       e->info.creator_pid);
		return EXIT_OK;
	}
	if (!same_and_stale(e))		/* removed or replaced meanwhile */
		return EXIT_OK;
	rc = mmipc_region_unlink(e->addr, 0);
	if (rc == -ENOENT)		/* someone else removed it first */
		return EXIT_OK;
	if (rc < 0) {
		tool_err(e->addr, rc);
		return EXIT_FAIL;
	}
	printf("removed %s (creator %d dead)\n", e->addr, e->info.creator_pid);
	return EXIT_OK;
}

static int rm_stale(bool dry_run, bool verbose)
{
	struct region_list list;
	int status = EXIT_OK;
	size_t i;

	if (region_scan(&list) < 0)
		return EXIT_FAIL;
	for (i = 0; i < list.n; i++)
		if (rm_one_stale(&list.v[i], dry_run, verbose) != EXIT_OK)
			status = EXIT_FAIL;
	region_list_free(&list);
	return status;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force",   no_argument, NULL, 'f' },
		{ "stale",   no_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help",    no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool force = false, stale = false, dry_run = false, verbose = false;
	const char *why = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "fnvh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'S':
			stale = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			rm_usage(stdout);
			return EXIT_OK;
		default:
			rm_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (stale && optind < argc)
		why = "--stale takes no ADDR";
	else if (stale && force)
		why = "--stale and --force do not mix";
	else if (!stale && dry_run)
		why = "--dry-run goes with --stale";
	else if (!stale && optind >= argc)
		why = "missing ADDR (or --stale)";
	if (why != NULL) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		rm_usage(stderr);
		return EXIT_USAGE;
	}
	if (stale)
		return rm_stale(dry_run, verbose);
	return rm_named(argv + optind, argc - optind, force, verbose);
}
