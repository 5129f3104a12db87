/*
 * plot.c - --plot FILE.svg: the latency distributions of every row (one
 * panel per message size: how many round trips were slower than x, both
 * axes logarithmic, from the median out to the 1e-5 tail) and the
 * throughput of every row as bars (log scale), drawn by gnuplot.
 *
 * The data and the script go to a private temporary directory, gnuplot
 * draws into it, and the picture is copied to FILE: no quoting of the
 * user's file name in a script. Without gnuplot, says how to get it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

struct plot {
	char dir[64];
	char path[128];		/* scratch: a file in dir */
	int nfiles;
};

static const char *in_dir(struct plot *pl, const char *name)
{
	snprintf(pl->path, sizeof(pl->path), "%s/%s", pl->dir, name);
	return pl->path;
}

static bool have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char buf[4096], *dir, *save = NULL, full[4200];

	snprintf(buf, sizeof(buf), "%s",
		 path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/gnuplot", dir);
		if (access(full, X_OK) == 0)
			return true;
	}
	return false;
}

/* lat_file - lat-N.dat: one-way ns, fraction of round trips slower. */
static int lat_file(struct plot *pl, int n, const struct result *r)
{
	char name[32];
	FILE *f;
	int i;

	snprintf(name, sizeof(name), "lat-%d.dat", n);
	f = fopen(in_dir(pl, name), "w");
	if (!f)
		return -1;
	for (i = 0; i < NQUANT; i++)
		fprintf(f, "%g %g\n", r->lat.quant[i], 1.0 - quant_at(i));
	return fclose(f);
}

/* lat_panel - the plot command of one message-size panel. */
static int lat_panel(struct plot *pl, const struct config *cfg, FILE *s,
		     bool small, const char *title)
{
	const struct result *r;
	int i, k = 0;

	fprintf(s, "set title '%s'\nset logscale xy\nset xlabel 'one-way "
		"latency, ns (RTT/2)'\nset ylabel 'fraction of round trips "
		"slower'\nset key outside right\n", title);
	for (i = 0; i < cfg->nres; i++) {
		r = &cfg->res[i];
		if (!r->lat_ok || (r->size <= 64) != small)
			continue;
		if (lat_file(pl, pl->nfiles, r) < 0)
			return -1;
		fprintf(s, "%s '%s/lat-%d.dat' with lines lw 2 lc %d dt %d "
			"title '%s %zu'", k ? ", \\\n     " : "plot ", pl->dir,
			pl->nfiles, k % 8 + 1, k / 8 + 1, r->mech, r->size);
		pl->nfiles++;
		k++;
	}
	if (k == 0)
		fprintf(s, "set label 1 'no data' at graph 0.5,0.5\nplot "
			"[1:10] [0.1:1] NaN notitle\nunset label 1\n");
	else
		fprintf(s, "\n");
	return 0;
}

/* thr_file - thr.dat: a row a mechanism, MB/s at 64 B and at 4 KiB. */
static int thr_file(struct plot *pl, const struct config *cfg)
{
	const struct result *r;
	double mb[2];
	int i, j, k;
	FILE *f;

	f = fopen(in_dir(pl, "thr.dat"), "w");
	if (!f)
		return -1;
	for (i = 0; i < cfg->nrows; i++) {
		mb[0] = mb[1] = -1;
		for (j = 0; j < cfg->nres; j++) {
			r = &cfg->res[j];
			if (strcmp(r->mech, cfg->rows[i].name) != 0 ||
			    !r->thr_ok || r->is_memcpy)
				continue;
			k = r->size <= 64 ? 0 : 1;
			mb[k] = r->thr.mb;
		}
		if (mb[0] < 0 && mb[1] < 0)
			continue;
		fprintf(f, "%s", cfg->rows[i].name);
		for (k = 0; k < 2; k++)
			if (mb[k] > 0)
				fprintf(f, " %g", mb[k]);
			else
				fprintf(f, " ?");
		fprintf(f, "\n");
	}
	return fclose(f);
}

static int script(struct plot *pl, const struct config *cfg)
{
	char dir[sizeof(pl->dir)];
	FILE *s;

	snprintf(dir, sizeof(dir), "%s", pl->dir);
	if (thr_file(pl, cfg) < 0)
		return -1;
	s = fopen(in_dir(pl, "plot.gp"), "w");
	if (!s)
		return -1;
	fprintf(s, "set terminal svg size 1100,1500 dynamic noenhanced "
		"font 'sans,11' background '#ffffff'\nset output '%s/plot.svg'"
		"\nset datafile missing '?'\nset grid\nset format y '%%.0e'\n"
		"set multiplot layout "
		"3,1 title 'mmipc-bench, %s run'\n", dir, cfg->mode);
	if (lat_panel(pl, cfg, s, true, "one-way latency, 64 B (and "
		      "signal-only rows)") < 0 ||
	    lat_panel(pl, cfg, s, false, "one-way latency, 4 KiB") < 0) {
		fclose(s);
		return -1;
	}
	fprintf(s, "set title 'throughput, MB/s (median of runs)'\nunset "
		"logscale x\nset logscale y\nset xlabel ''\nset ylabel "
		"'MB/s'\nset format y '%%g'\nset style data histograms\n"
		"set style histogram "
		"clustered gap 1\nset style fill solid 0.8 border -1\nset "
		"xtics rotate by -35\nset key inside top right\nplot "
		"'%s/thr.dat' using 2:xtic(1) title '64 B', '' using 3 "
		"title '4 KiB'\nunset multiplot\n", dir);
	return fclose(s);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in, *out;
	size_t n;
	int rc = 0;

	in = fopen(from, "r");
	if (!in)
		return -1;
	out = fopen(to, "w");
	if (!out) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (ferror(in))
		rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

static void cleanup(struct plot *pl)
{
	static const char *const names[] = { "plot.gp", "plot.svg",
					     "thr.dat" };
	char name[32];
	int i;

	for (i = 0; i < 3; i++)
		unlink(in_dir(pl, names[i]));
	for (i = 0; i < pl->nfiles; i++) {
		snprintf(name, sizeof(name), "lat-%d.dat", i);
		unlink(in_dir(pl, name));
	}
	rmdir(pl->dir);
}

int write_plot(const struct config *cfg)
{
	struct plot pl = { .dir = "/tmp/mmipc-bench-plot-XXXXXX" };
	char why[256] = "", svg[128], gp[128];
	pid_t pid;
	int rc = -1;

	if (!have_gnuplot()) {
		fprintf(stderr, "mmipc-bench: --plot: gnuplot is not "
			"installed; to draw %s: apt-get install gnuplot-nox\n",
			cfg->plot);
		return 0;
	}
	if (!mkdtemp(pl.dir)) {
		fprintf(stderr, "mmipc-bench: --plot: mkdtemp: %s\n",
			strerror(errno));
		return -1;
	}
	snprintf(svg, sizeof(svg), "%s", in_dir(&pl, "plot.svg"));
	snprintf(gp, sizeof(gp), "%s", in_dir(&pl, "plot.gp"));
	if (script(&pl, cfg) < 0) {
		snprintf(why, sizeof(why), "writing the data: %s",
			 strerror(errno));
		goto out;
	}
	pid = bench_fork(why, sizeof(why));
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", gp, (char *)NULL);
		fprintf(stderr, "mmipc-bench: gnuplot: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0 || bench_wait(&pid, 1, 120, 0, why, sizeof(why)) < 0)
		goto out;
	if (copy_file(svg, cfg->plot) < 0) {
		snprintf(why, sizeof(why), "%s: %s", cfg->plot,
			 strerror(errno));
		goto out;
	}
	fprintf(stderr, "mmipc-bench: plot written to %s\n", cfg->plot);
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "mmipc-bench: --plot: %s\n", why);
	cleanup(&pl);
	return rc;
}
