/*
 * cmd_ls.c - "mmipc ls": list the regions in the shm directory (the
 * ipcs(1) of mmipc), or the regions named on the command line.
 *
 *	mmipc ls [-j|--json] [-a|--all] [ADDR...]
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

enum {
	C_NAME, C_KIND, C_SIZE, C_CREATOR, C_ALIVE, C_PEERS, C_FILL, C_AGE,
	C_MODE, C_OWNER, C_STATE, C_NOTE, NCOLS
};

static const char *const headers[NCOLS] = {
	"NAME", "KIND", "SIZE", "CREATOR", "ALIVE", "PEERS", "FILL", "AGE",
	"MODE", "OWNER", "STATE", "NOTE",
};

/* Numbers read better right-aligned. */
static const bool right_align[NCOLS] = {
	[C_SIZE] = true, [C_CREATOR] = true, [C_PEERS] = true,
	[C_FILL] = true, [C_AGE] = true,
};

/* One line of the table; cell[] points into name, buf or a static string. */
struct row {
	char name[PATH_MAX + 8];
	char buf[NCOLS][40];
	const char *cell[NCOLS];
};

static void ls_usage(FILE *f)
{
	fprintf(f,
		"Usage: mmipc ls [-j|--json] [-a|--all] [ADDR...]\n"
		"\n"
		"List the mmipc regions in %s ($MMIPC_SHM_DIR), or\n"
		"the regions named by ADDR (file:PATH regions are only found\n"
		"that way). Columns: NAME, KIND, SIZE (of the data area),\n"
		"CREATOR (pid), ALIVE (creator alive: yes, no, ?), PEERS (attached\n"
		"processes alive/attached, e.g. 1/2; '-' for a raw region with\n"
		"none), FILL (how full a ring is; '-' for other kinds), AGE, MODE,\n"
		"OWNER, STATE, NOTE ('stale' when the creator is dead and no peer\n"
		"is alive, 'ring: Bad message' for a ring whose control block is\n"
		"corrupt, or why the region could not be read).\n"
		"\n"
		"Options:\n"
		"  -a, --all    also list files that are not mmipc regions\n"
		"  -j, --json   a JSON array of objects instead of the table\n"
		"  -h, --help   show this help\n"
		"\n"
		"Examples:\n"
		"  mmipc ls\n"
		"  mmipc ls --json file:/var/lib/app/state\n",
		mmipc_shm_dir());
}

static void row_error(const struct region_entry *e, struct row *r)
{
	if (e->have_st) {
		snprintf(r->buf[C_MODE], sizeof(r->buf[C_MODE]), "%04o",
			 (unsigned)e->st.st_mode & 07777);
		fmt_user((uint32_t)e->st.st_uid, r->buf[C_OWNER],
			 sizeof(r->buf[C_OWNER]));
	}
	r->cell[C_NOTE] = mmipc_strerror(e->rc);
}

/* PEERS "alive/attached" and FILL "12%"; "-" where they mean nothing. */
static void row_peers(const struct region_entry *e, struct row *r)
{
	const struct mmipc_region_info *in = &e->info;

	if (in->peers == 0 && in->kind != MMIPC_KIND_RING)
		r->cell[C_PEERS] = "-";
	else
		snprintf(r->buf[C_PEERS], sizeof(r->buf[0]), "%u/%u",
			 in->peers_alive, in->peers);
	if (in->kind != MMIPC_KIND_RING)
		r->cell[C_FILL] = "-";
	else if (e->have_ring)
		snprintf(r->buf[C_FILL], sizeof(r->buf[0]), "%u%%",
			 ring_fill_pct(&e->ring));
}

/* NOTE: "stale", and why a ring's control block could not be read (a
 * corrupt one: "ring: Bad message"). */
static void row_note(const struct region_entry *e, struct row *r)
{
	const char *stale = region_is_stale(&e->info) ? "stale" : "";

	if (e->ring_rc < 0)
		snprintf(r->buf[C_NOTE], sizeof(r->buf[0]), "%s%sring: %s",
			 stale, *stale ? ", " : "", mmipc_strerror(e->ring_rc));
	else
		snprintf(r->buf[C_NOTE], sizeof(r->buf[0]), "%s", stale);
	r->cell[C_NOTE] = r->buf[C_NOTE];
}

static void row_fill(const struct region_entry *e, struct row *r)
{
	const struct mmipc_region_info *in = &e->info;
	int i;

	table_safe(e->addr, r->name, sizeof(r->name));
	r->cell[C_NAME] = r->name;
	for (i = C_NAME + 1; i < NCOLS; i++) {
		snprintf(r->buf[i], sizeof(r->buf[i]), "?");
		r->cell[i] = r->buf[i];
	}
	if (e->rc < 0) {
		row_error(e, r);
		return;
	}
	snprintf(r->buf[C_KIND], sizeof(r->buf[0]), "%s",
		 mmipc_kind_name(in->kind));
	fmt_size(in->data_size, r->buf[C_SIZE], sizeof(r->buf[0]));
	snprintf(r->buf[C_CREATOR], sizeof(r->buf[0]), "%d", in->creator_pid);
	r->cell[C_ALIVE] = in->creator_alive == 1 ? "yes" :
			   in->creator_alive == 0 ? "no" : "?";
	row_peers(e, r);
	fmt_age(age_seconds(in->ctime_ns), r->buf[C_AGE], sizeof(r->buf[0]));
	snprintf(r->buf[C_MODE], sizeof(r->buf[0]), "%04o", in->mode & 07777);
	fmt_user(in->owner_uid, r->buf[C_OWNER], sizeof(r->buf[0]));
	fmt_state(in->state, r->buf[C_STATE], sizeof(r->buf[0]));
	row_note(e, r);
}

/* row_print - cells padded to width[], nothing trailing after the last. */
static void row_print(const char *const cell[NCOLS], const size_t width[NCOLS])
{
	int i, pad, last = C_STATE;

	if (cell[C_NOTE][0] != '\0')
		last = C_NOTE;
	for (i = 0; i <= last; i++) {
		pad = (int)(width[i] - text_width(cell[i]));
		if (i == last)
			printf("%s\n", cell[i]);
		else if (right_align[i])
			printf("%*s%s  ", pad, "", cell[i]);
		else
			printf("%s%*s  ", cell[i], pad, "");
	}
}

static bool ls_shows(const struct region_entry *e, bool all)
{
	return e->rc == 0 || all || !region_is_foreign(e->rc);
}

static void ls_table(const struct region_list *l, bool all)
{
	size_t width[NCOLS], i, n;
	struct row r;
	int c;

	for (c = 0; c < NCOLS; c++)
		width[c] = text_width(headers[c]);
	/* Two passes over the rows: widths first, then the lines. */
	for (i = 0; i < l->n; i++) {
		if (!ls_shows(&l->v[i], all))
			continue;
		row_fill(&l->v[i], &r);
		for (c = 0; c < NCOLS; c++) {
			n = text_width(r.cell[c]);
			width[c] = n > width[c] ? n : width[c];
		}
	}
	row_print(headers, width);
	for (i = 0; i < l->n; i++) {
		if (!ls_shows(&l->v[i], all))
			continue;
		row_fill(&l->v[i], &r);
		row_print(r.cell, width);
	}
}

/* json_error_entry - what can be said of a file whose header is unread. */
static void json_error_entry(const struct region_entry *e)
{
	fputs("{\"name\": ", stdout);
	json_string(stdout, e->addr);
	printf(", \"kind\": null, \"backend\": \"%s\", \"state\": null",
	       strncmp(e->addr, "shm:", 4) == 0 ? "shm" : "file");
	printf(", \"data_size\": null, \"total_size\": null, \"creator_pid\": null");
	printf(", \"creator_uid\": null, \"creator_alive\": null");
	printf(", \"ctime_ns\": null, \"age_s\": null");
	printf(", \"peers\": null, \"peers_alive\": null, \"fill_pct\": null");
	if (e->have_st)
		printf(", \"mode\": \"%04o\", \"owner_uid\": %u",
		       (unsigned)e->st.st_mode & 07777, (unsigned)e->st.st_uid);
	else
		printf(", \"mode\": null, \"owner_uid\": null");
	printf(", \"stale\": false, \"error\": ");
	json_string(stdout, mmipc_strerror(e->rc));
	printf("}");
}

/* The keys of ls --json that stat --json shows otherwise (as lists). */
static void json_peers(const struct region_entry *e)
{
	printf(", \"peers\": %u, \"peers_alive\": %u, \"fill_pct\": ",
	       e->info.peers, e->info.peers_alive);
	if (e->have_ring)
		printf("%u", ring_fill_pct(&e->ring));
	else
		printf("null");
	printf(", \"ring_error\": ");
	if (e->ring_rc < 0)
		json_string(stdout, mmipc_strerror(e->ring_rc));
	else
		printf("null");
}

static void ls_json(const struct region_list *l, bool all)
{
	const struct region_entry *e;
	int shown = 0;
	size_t i;

	printf("[");
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (!ls_shows(e, all))
			continue;
		printf("%s\n  ", shown++ ? "," : "");
		if (e->rc < 0) {
			json_error_entry(e);
		} else {
			json_info(stdout, e->addr, &e->info);
			json_peers(e);
			printf(", \"error\": null}");
		}
	}
	printf(shown ? "\n]\n" : "]\n");
}

/* ls_named - the regions named as arguments; a failure is an error. */
static int ls_named(struct region_list *l, char **args, int n)
{
	char addr[PATH_MAX + 8];
	int i, rc, status = EXIT_OK;

	for (i = 0; i < n; i++) {
		if (addr_named(args[i], addr, sizeof(addr)) == NULL) {
			status = EXIT_FAIL;
			continue;
		}
		rc = region_list_add(l, addr);
		if (rc < 0) {
			tool_err("ls", rc);
			return EXIT_FAIL;
		}
		rc = l->v[l->n - 1].rc;
		if (rc < 0) {
			tool_err(addr, rc);
			region_list_drop_last(l);
			status = EXIT_FAIL;
		}
	}
	region_list_sort(l);
	return status;
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all",  no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct region_list list = { NULL, 0, 0 };
	bool json = false, all = false;
	int c, status = EXIT_OK;

	while ((c = getopt_long(argc, argv, "jah", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			ls_usage(stdout);
			return EXIT_OK;
		default:
			ls_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		status = ls_named(&list, argv + optind, argc - optind);
	else if (region_scan(&list) < 0)
		return EXIT_FAIL;
	if (json)
		ls_json(&list, all);
	else
		ls_table(&list, all);
	region_list_free(&list);
	return status;
}
