/*
 * util.c - helpers shared by the subcommands of the mmipc tool: error
 * messages, parsing of sizes and modes, address normalisation, and the
 * formatting of sizes, ages, times, users and JSON strings.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tool.h"

void tool_err(const char *what, int rc)
{
	fprintf(stderr, "mmipc: %s: %s\n", what, mmipc_strerror(rc));
}

void tool_errf(const char *fmt, ...)
{
	va_list ap;

	fputs("mmipc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* unit_shift - "" -> 0, "K"/"KiB" -> 10, ... "T"/"TiB" -> 40; -1 if bad. */
static int unit_shift(const char *u)
{
	static const char units[] = "KMGT";
	const char *p;

	if (u[0] == '\0')
		return 0;
	p = strchr(units, toupper((unsigned char)u[0]));
	if (p == NULL || (u[1] != '\0' && strcasecmp(u + 1, "iB") != 0))
		return -1;
	return 10 * (int)(p - units + 1);
}

int parse_size(const char *opt, const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift;

	/* strtoull() would skip blanks and accept (and negate) a sign. */
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	shift = unit_shift(end);
	if (shift < 0)
		goto bad;
	if (errno == ERANGE || v > (UINT64_MAX >> shift)) {
		tool_errf("%s '%s': too large", opt, s);
		return -1;
	}
	if (v == 0) {
		tool_errf("%s '%s': must be at least 1", opt, s);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
bad:
	tool_errf("%s '%s': invalid size (want a number with an optional K, M, G or T suffix)",
		  opt, s);
	return -1;
}

int parse_mode(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '7' || strlen(s) > 4)
		goto bad;
	v = strtoul(s, &end, 8);
	if (*end != '\0' || v == 0 || v > 0777)
		goto bad;
	*out = (unsigned)v;
	return 0;
bad:
	tool_errf("--mode '%s': invalid mode (want octal permission bits, 1 to 0777)",
		  s);
	return -1;
}

int parse_timeout(const char *opt, const char *s, int *out)
{
	long v;
	char *end;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v > INT_MAX)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	tool_errf("%s '%s': invalid timeout (want milliseconds, 0 to %d, or -1 for no limit)",
		  opt, s, INT_MAX);
	return -1;
}

int parse_count(const char *opt, const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		goto bad;
	*out = v;
	return 0;
bad:
	tool_errf("%s '%s': invalid count (want a whole number, 0 or more)",
		  opt, s);
	return -1;
}

static bool addr_is_unnamed(const char *addr)
{
	return strcmp(addr, "anon") == 0 || strcmp(addr, "memfd") == 0;
}

const char *addr_normalize(const char *arg, char *buf, size_t size)
{
	const char *prefix = "";
	int n;

	if (strncmp(arg, "shm:", 4) == 0 || strncmp(arg, "file:", 5) == 0 ||
	    addr_is_unnamed(arg))
		prefix = "";
	else if (strchr(arg, '/') != NULL)
		prefix = "file:";
	else
		prefix = "shm:";
	n = snprintf(buf, size, "%s%s", prefix, arg);
	if (n < 0 || (size_t)n >= size) {
		tool_errf("%s: address too long", arg);
		return NULL;
	}
	return buf;
}

const char *addr_named(const char *arg, char *buf, size_t size)
{
	if (addr_is_unnamed(arg)) {
		tool_errf("%s: an unnamed region exists only inside the programs that share it; mmipc handles shm:NAME and file:PATH",
			  arg);
		return NULL;
	}
	return addr_normalize(arg, buf, size);
}

const char *addr_fs_path(const char *addr, char *buf, size_t size)
{
	int n;

	if (strncmp(addr, "shm:", 4) == 0)
		n = snprintf(buf, size, "%s/%s", mmipc_shm_dir(), addr + 4);
	else if (strncmp(addr, "file:", 5) == 0)
		n = snprintf(buf, size, "%s", addr + 5);
	else
		return NULL;
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}

void fmt_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
		return;
	}
	/* 1023.99K would print as "1024.0K": step up at what rounds to 1024.
	 * At least once (bytes >= 1024), so i >= 0 below. */
	do {
		v /= 1024;
		i++;
	} while (v >= 1023.95 && i < 5);
	snprintf(buf, size, "%.1f%c", v, units[i]);
}

void fmt_age(int64_t secs, char *buf, size_t size)
{
	long long s = secs;

	if (s < 0)
		snprintf(buf, size, "?");
	else if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh", s / 3600);
	else
		snprintf(buf, size, "%lldd", s / 86400);
}

/* Returns -1 when the stamp is meaningless (not after the epoch). */
int64_t age_seconds(int64_t ctime_ns)
{
	struct timespec now;
	int64_t now_ns;

	if (ctime_ns <= 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -1;
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (ctime_ns >= now_ns)
		return 0;
	return (now_ns - ctime_ns) / 1000000000;
}

void fmt_time_iso(int64_t ns, char *buf, size_t size)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	if (ns <= 0 || localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm)) == 0) {
		snprintf(buf, size, "?");
		return;
	}
	/* %z gives "+0100"; ISO-8601 extended format wants "+01:00". */
	if (n >= 5 && n + 2 <= size) {
		memmove(buf + n - 1, buf + n - 2, 3);
		buf[n - 2] = ':';
	}
}

void fmt_user(uint32_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%u", uid);
}

const char *backend_name(uint32_t backend)
{
	switch (backend) {
	case MMIPC_BACKEND_SHM:
		return "shm";
	case MMIPC_BACKEND_FILE:
		return "file";
	case MMIPC_BACKEND_ANON:
		return "anon";
	case MMIPC_BACKEND_MEMFD:
		return "memfd";
	}
	return "unknown";
}

const char *end_name(uint32_t end)
{
	switch (end) {
	case MMIPC_END_NONE:
		return "none";
	case MMIPC_END_ATTACHED:
		return "attached";
	case MMIPC_END_CLOSED:
		return "closed";
	case MMIPC_END_DEAD:
		return "dead";
	}
	return "?";
}

const char *role_name(uint32_t role)
{
	return role == MMIPC_ROLE_PRODUCER ? "producer" :
	       role == MMIPC_ROLE_CONSUMER ? "consumer" : "?";
}

void fmt_state(uint32_t state, char *buf, size_t size)
{
	if (state == MMIPC_STATE_READY)
		snprintf(buf, size, "ready");
	else if (state == MMIPC_STATE_INIT)
		snprintf(buf, size, "init");
	else
		snprintf(buf, size, "0x%08x", state);
}

/* utf8_len - length of the valid UTF-8 sequence at p, or 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void json_char(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	case '\r':
		fputs("\\r", f);
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p != '\0') {
		n = utf8_len(p);
		if (n == 1)
			json_char(f, *p);
		else if (n > 1)
			fwrite(p, 1, n, f);
		else
			fprintf(f, "\\udc%02x", *p);
		p += n ? n : 1;
	}
	fputc('"', f);
}

const char *table_safe(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (*p != '\0' && i + 1 < size) {
		n = utf8_len(p);
		if (n > 1 && i + n < size) {
			memcpy(buf + i, p, n);
			i += n;
			p += n;
			continue;
		}
		buf[i++] = (char)((n == 1 && *p >= 0x20 && *p != 0x7f) ? *p : '?');
		p += n > 1 ? n : 1;
	}
	if (size > 0)
		buf[i] = '\0';
	return buf;
}

size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}
