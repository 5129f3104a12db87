/*
 * t_ex_fork_anon - examples/fork_anon.c (mmipc-ex-fork-anon): over an anon
 * region and over a memfd region, the parent reads the string its child
 * wrote, and its own global variable is unchanged.
 */
#include <limits.h>

#include "helpers.h"

/* check_kind - the block of output for @kind ("anon:" ... up to the next
 * kind) shows the child's string read by the parent and the global at 1. */
static void check_kind(const char *out, const char *kind)
{
	char head[32], want[128];
	const char *p, *q;
	int child;

	snprintf(head, sizeof(head), "%s: parent (pid ", kind);
	p = strstr(out, head);
	CHECK(p, "no %s section in:\n%s", kind, out);
	q = strstr(p, "child  (pid ");
	CHECK(q && sscanf(q, "child  (pid %d)", &child) == 1,
	      "%s: no child line in:\n%s", kind, out);
	snprintf(want, sizeof(want), "parent: read \"hello from child %d\" "
		 "through its own mapping\n  parent: global_counter = 1 ",
		 child);
	CHECK(strstr(q, want), "%s: want '%s' in:\n%s", kind, want, out);
}

int main(void)
{
	char bin[PATH_MAX], out[8192];
	char *argv[] = { (char *)t_bin(bin, sizeof(bin), "mmipc-ex-fork-anon"),
			 NULL };
	char *bad[] = { bin, "extra", NULL };
	int rc;

	rc = t_run(argv, out, sizeof(out));
	CHECK(rc == 0, "exit %d, output:\n%s", rc, out);
	check_kind(out, "anon");
	check_kind(out, "memfd");
	CHECK(strstr(out, "sealed against shrinking"), "memfd not sealed:\n%s",
	      out);
	CHECK(!strstr(out, "WRONG"), "the example reports an error:\n%s", out);

	rc = t_run(bad, out, sizeof(out));
	CHECK(rc == 2 && strstr(out, "usage: mmipc-ex-fork-anon"),
	      "bad argument: exit %d, output:\n%s", rc, out);
	return T_PASS;
}
