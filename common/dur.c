/* dur.c - the duration and time grammar of every flag, and the one
 * duration printer (see common.h, docs/cli.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

static int parse_sum(const char *s, double *total)
{
	double t = 0;
	if (!*s)
		return -1;
	while (*s) {
		/* digits and one point only: no signs, spaces, hex, exponents, inf */
		char num[32], *end;
		size_t l = strspn(s, "0123456789.");
		if (!l || l >= sizeof num)
			return -1;
		memcpy(num, s, l);
		num[l] = 0;
		errno = 0;
		double v = strtod(num, &end);
		if (*end || errno)
			return -1;
		s += l;
		double mul;
		if (!*s) mul = 1e9;   /* a bare number: seconds */
		else if (!strncmp(s, "ns", 2)) { mul = 1; s += 2; }
		else if (!strncmp(s, "us", 2)) { mul = 1e3; s += 2; }
		else if (!strncmp(s, "\xc2\xb5s", 3)) { mul = 1e3; s += 3; }
		else if (!strncmp(s, "ms", 2)) { mul = 1e6; s += 2; }
		else if (*s == 's') { mul = 1e9; s++; }
		else if (*s == 'm') { mul = 60e9; s++; }
		else if (*s == 'h') { mul = 3600e9; s++; }
		else if (*s == 'd') { mul = 86400e9; s++; }
		else return -1;
		t += v * mul;
	}
	if (!(t >= 0 && t <= 9.2e18))
		return -1;
	*total = t;
	return 0;
}

int ig_parse_duration(const char *s, int64_t *ns)
{
	double t;
	if (!s || parse_sum(s, &t))
		return -1;
	*ns = (int64_t)(t + 0.5);
	return 0;
}

int ig_parse_offset(const char *s, int64_t *ns)
{
	int neg = 0;
	double t;
	if (!s)
		return -1;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (parse_sum(s, &t))
		return -1;
	*ns = neg ? -(int64_t)(t + 0.5) : (int64_t)(t + 0.5);
	return 0;
}

int ig_parse_time(const char *s, int64_t start, int64_t end, int64_t *out)
{
	int64_t d;
	struct tm tm;
	char *p;

	if (!s || !*s)
		return -1;
	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))) {
		int64_t frac = 0;
		if (*p == '.') {
			int64_t scale = 100000000;
			for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
				frac += (*p - '0') * scale;
		}
		if (*p == 'Z')
			p++;
		if (*p)
			return -1;
		*out = (int64_t)timegm(&tm) * 1000000000 + frac;
		return 0;
	}
	if (*s == '-') {
		if (ig_parse_duration(s + 1, &d))
			return -1;
		*out = end - d;
		return 0;
	}
	if (*s == '+')
		s++;
	/* a bare integer of unix-epoch size is absolute ns */
	if (strspn(s, "0123456789") == strlen(s) && strlen(s) >= 16) {
		errno = 0;
		long long v = strtoll(s, NULL, 10);
		if (errno)
			return -1;
		*out = v;
		return 0;
	}
	if (ig_parse_duration(s, &d))
		return -1;
	*out = start + d;
	return 0;
}

/* v in [1, 1000) of `unit` with 3 significant digits; 0 if it rounds to 1000 */
static int fmt3(char *buf, size_t len, const char *sign, double v, const char *unit)
{
	if (v >= 99.95) {
		if (v >= 999.5)
			return 0;
		snprintf(buf, len, "%s%.0f%s", sign, v, unit);
	} else if (v >= 9.995) {
		snprintf(buf, len, "%s%.1f%s", sign, v, unit);
	} else {
		snprintf(buf, len, "%s%.2f%s", sign, v, unit);
	}
	return 1;
}

const char *ig_fmt_duration(int64_t ns, char *buf, size_t len)
{
	const char *sign = "";
	uint64_t u;
	if (ns < 0) {
		sign = "-";
		u = (uint64_t)0 - (uint64_t)ns;
	} else {
		u = (uint64_t)ns;
	}
	if (u < 1000) {
		snprintf(buf, len, "%s%" PRIu64 "ns", sign, u);
		return buf;
	}
	if (u < 999500 && fmt3(buf, len, sign, u / 1e3, "us"))
		return buf;
	if (u < 999500000 && fmt3(buf, len, sign, u / 1e6, "ms"))
		return buf;
	if (u < 59995000000ULL && fmt3(buf, len, sign, u / 1e9, "s"))
		return buf;
	/* minutes and above: two units, rounded to the smaller */
	uint64_t s = (u + 500000000) / 1000000000;
	if (s < 3600)
		snprintf(buf, len, "%s%" PRIu64 "m%02" PRIu64 "s", sign, s / 60, s % 60);
	else if (s < 86400 - 30)
		snprintf(buf, len, "%s%" PRIu64 "h%02" PRIu64 "m", sign, (s + 30) / 3600, (s + 30) % 3600 / 60);
	else
		snprintf(buf, len, "%s%" PRIu64 "d%02" PRIu64 "h", sign, s / 86400, (s % 86400) / 3600);
	return buf;
}
