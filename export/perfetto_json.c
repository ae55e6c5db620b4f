/*
 * perfetto_json.c - ingero-perfetto Chrome Trace Event JSON helpers.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_int.h"


/* length of the longest prefix of s, at most max bytes, that ends on a
 * UTF-8 character boundary */
size_t u8cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n <= max) return n;
	n = max;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
	return n;
}

/* JSON string: escapes, invalid UTF-8 replaced by U+FFFD, cut at 4*MAX_STR */
void json_str(FILE *f, const char *s)
{
	size_t n = u8cut(s, 4 * MAX_STR);
	putc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') { putc('\\', f); putc(c, f); i++; continue; }
		if (c < 0x20) { fprintf(f, "\\u%04x", c); i++; continue; }
		if (c < 0x80) { putc(c, f); i++; continue; }
		size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		int okseq = len && i + len <= n;
		for (size_t k = 1; okseq && k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80) okseq = 0;
		if (okseq) { fwrite(s + i, 1, len, f); i += len; }
		else { fputs("\\ufffd", f); i++; }
	}
	putc('"', f);
}

void json_sep(struct px *px)
{
	if (px->json_first) { px->json_first = 0; fputs("\n", px->out); }
	else fputs(",\n", px->out);
}

void json_ts(struct px *px, const char *key, uint64_t ts)
{
	int64_t d = (int64_t)(ts - px->origin);
	uint64_t a = d < 0 ? (uint64_t)(-d) : (uint64_t)d;
	fprintf(px->out, ",\"%s\":%s%" PRIu64 ".%03u", key, d < 0 ? "-" : "", a / 1000, (unsigned)(a % 1000));
}

void json_dur(struct px *px, uint64_t dur)
{
	fprintf(px->out, ",\"dur\":%" PRIu64 ".%03u", dur / 1000, (unsigned)(dur % 1000));
}

void json_meta(struct px *px, const char *what, int32_t pid, int32_t tid, const char *name)
{
	json_sep(px);
	fprintf(px->out, "{\"name\":\"%s\",\"ph\":\"M\",\"ts\":0,\"pid\":%d", what, pid);
	if (tid >= 0) fprintf(px->out, ",\"tid\":%d", tid);
	fputs(",\"args\":{\"name\":", px->out);
	json_str(px->out, name);
	fputs("}}", px->out);
}

void json_sort(struct px *px, int32_t pid, int32_t tid, long idx)
{
	json_sep(px);
	if (tid < 0)
		fprintf(px->out, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":%d,"
			"\"args\":{\"sort_index\":%ld}}", pid, idx);
	else
		fprintf(px->out, "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":%d,"
			"\"tid\":%d,\"args\":{\"sort_index\":%ld}}", pid, tid, idx);
}
