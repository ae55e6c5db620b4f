/* json.c - JSON text valid whatever the bytes (see common.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid:
 * overlongs, surrogates and values above U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;            /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;            /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

int ig_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t l = utf8_len(p);
		if (!l)
			return 0;
		p += l;
	}
	return 1;
}

char *ig_utf8_sanitize(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char *out = xmalloc(strlen((const char *)p) * 3 + 1), *q = out;
	while (*p) {
		size_t l = utf8_len(p);
		if (l) {
			memcpy(q, p, l);
			q += l;
			p += l;
		} else {
			memcpy(q, "\xef\xbf\xbd", 3);   /* U+FFFD */
			q += 3;
			p++;
		}
	}
	*q = 0;
	return out;
}

void ig_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	putc('"', f);
	while (*p) {
		size_t l = utf8_len(p);
		if (!l) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (l > 1) {
			fwrite(p, 1, l, f);
			p += l;
			continue;
		}
		unsigned char c = *p++;
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				putc(c, f);
		}
	}
	putc('"', f);
}

void ig_json_u64str(FILE *f, uint64_t v)
{
	fprintf(f, "\"%" PRIu64 "\"", v);
}

void ig_json_i64str(FILE *f, int64_t v)
{
	fprintf(f, "\"%" PRId64 "\"", v);
}
