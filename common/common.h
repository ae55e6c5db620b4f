/*
 * common.h - the helper layer every tool links (libingero-common.a, libc
 * only).  One contract per helper, documented here; the SQLite helpers are
 * in db.h.
 *
 * Messages: every tool prints errors as git does, one line on stderr,
 * "<prog>: <file>: <what>", and exits 0 success, 1 failure, 2 usage error.
 * ig_set_prog() names the tool once, at the top of main().
 *
 * Allocation: the x* functions never return NULL; when memory runs out
 * they print "<prog>: out of memory" and exit(1).  Use plain malloc where a
 * failure must be survived (the recorder's hot path, formats/).
 */
#ifndef INGERO_COMMON_H
#define INGERO_COMMON_H

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ------------------------------------------------------------ messages */

/* Exit codes of every tool. */
enum { IG_EXIT_OK = 0, IG_EXIT_FAIL = 1, IG_EXIT_USAGE = 2 };

void ig_set_prog(const char *name);
const char *ig_prog(void);
/* 0 normal, 1 (-q) no warnings/progress, 2 (-qq) errors only. Default 0. */
extern int ig_quiet;
extern int ig_verbose;

/* "<prog>: <msg>" on stderr, then exit(1). */
void ig_die(const char *fmt, ...) IG_PRINTF(1, 2) __attribute__((noreturn));
/* "<prog>: <msg>" on stderr.  Returns -1 (for `return ig_error(...)`). */
int ig_error(const char *fmt, ...) IG_PRINTF(1, 2);
/* "<prog>: warning: <msg>" unless ig_quiet; counted in ig_warnings. */
void ig_warning(const char *fmt, ...) IG_PRINTF(1, 2);
extern unsigned ig_warnings;
/* Usage error: "<prog>: <msg>" and "Try '<prog> --help'." on stderr.
 * Returns IG_EXIT_USAGE. */
int ig_usage_error(const char *fmt, ...) IG_PRINTF(1, 2);

/* ---------------------------------------------------------- allocation */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* strdup; NULL gives "" (never NULL). */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) IG_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap);
/* Grow *p (an array of *cap elements of size sz) to hold at least need. */
void ig_grow(void *pp, size_t *cap, size_t need, size_t sz);

/* ----------------------------------------------------------- durations */

/*
 * One grammar for every duration flag of every tool (docs/cli.md):
 *   a number with a unit, or several summed: 250ms, 1.5s, 2m30s, 20us, 850ns
 *   units ns, us (or µs), ms, s, m, h, d; a bare number means SECONDS.
 * ig_parse_duration: >= 0, at most ~292 years.  ig_parse_offset: an
 * optional leading + or - (clock offsets).  Both return 0, or -1 when s is
 * not a duration (out untouched).
 */
int ig_parse_duration(const char *s, int64_t *ns);
int ig_parse_offset(const char *s, int64_t *ns);
/*
 * A point in a recording for --since/--until (docs/cli.md):
 *   30s, +2m       after the recording's start
 *   -10s           before its end
 *   1700000000123456789   unix ns (16 digits or more)
 *   2026-12-02 10:00:00[.123][Z], 2026-12-02T10:00:00   UTC
 * Returns 0 with *out in unix ns, or -1.  start/end: the recording's span.
 */
int ig_parse_time(const char *s, int64_t start, int64_t end, int64_t *out);
/*
 * The one duration printer: 3 significant digits and the largest unit that
 * keeps the value >= 1: "850ns", "25.3us", "4.56ms", "12.3s", "3m20s"
 * (minutes and above: "1h02m", "3m20s").  Negative values get a '-'.
 * Returns buf.
 */
const char *ig_fmt_duration(int64_t ns, char *buf, size_t len);
#define IG_DUR_BUF 24

/* --------------------------------------------------------- hash tables */

/* u64 -> u64 open-addressing map.  Keys: any u64 except IG_MAP_EMPTY.
 * Zero-initialize to start; ig_map_release frees. */
#define IG_MAP_EMPTY UINT64_MAX
struct ig_map {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap;   /* power of two, 0 until the first put */
	size_t n;
};
/* Pointer to the value of key, or NULL.  Valid until the next put. */
uint64_t *ig_map_get(const struct ig_map *m, uint64_t key);
/* Insert or overwrite; pointer to the stored value, NULL on ENOMEM (the
 * recorder survives it; others use ig_map_xput). */
uint64_t *ig_map_put(struct ig_map *m, uint64_t key, uint64_t val);
uint64_t *ig_map_xput(struct ig_map *m, uint64_t key, uint64_t val);
/* Remove key (backward-shift deletion).  Returns 1 if it was present. */
int ig_map_del(struct ig_map *m, uint64_t key);
void ig_map_clear(struct ig_map *m);
void ig_map_release(struct ig_map *m);

static inline uint64_t ig_hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* FNV-1a 64 over bytes, continuing from h (start with IG_FNV64_OFFSET). */
#define IG_FNV64_OFFSET 0xcbf29ce484222325ULL
#define IG_FNV64_PRIME 0x100000001b3ULL
static inline uint64_t ig_fnv64a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= IG_FNV64_PRIME;
	}
	return h;
}

/* String table: interns strings as dense ids 1..n in first-seen order.
 * Zero-initialize; ig_strtab_release frees. */
struct ig_strtab {
	char **s;
	uint32_t n, cap;
	uint32_t max;          /* 0 = unbounded; else ig_strtab_id returns 0 when full */
	struct ig_map idx;     /* hash -> id */
};
/* Id of s (interned on first use); 0 when the table is full. */
uint32_t ig_strtab_id(struct ig_strtab *t, const char *s);
/* Id of s without adding it; 0 when absent. */
uint32_t ig_strtab_find(const struct ig_strtab *t, const char *s);
static inline const char *ig_strtab_str(const struct ig_strtab *t, uint32_t id)
{
	return id && id <= t->n ? t->s[id - 1] : NULL;
}
void ig_strtab_release(struct ig_strtab *t);

/* ------------------------------------------------------------ select */

/*
 * Exact order statistics without sorting (quickselect, O(n) on average).
 * ig_kth_*: the k-th smallest (0-based) of a[0..n), n > 0, k < n; reorders a
 * so that a[0..k] <= a[k] <= a[k+1..n).  ig_rank: the nearest-rank index of
 * percentile p in (0, 1] over n values, ceil(p*n) - 1 clamped to [0, n) (the
 * original tool's definition).  ig_pctl_i64: that value (0 when n == 0).
 */
int64_t ig_kth_i64(int64_t *a, size_t n, size_t k);
double ig_kth_f64(double *a, size_t n, size_t k);
size_t ig_rank(size_t n, double p);
int64_t ig_pctl_i64(int64_t *a, size_t n, double p);

/* ----------------------------------------------------------------- CLI */

/*
 * getopt_long with one error style for every tool: unknown options and
 * missing values print one line ("<prog>: unknown option '--jsno' (did you
 * mean '--json'?)" / "<prog>: option '--since' needs a value") plus the
 * "Try --help" line, and return '?'; the caller returns IG_EXIT_USAGE.
 */
int ig_getopt(int argc, char *const argv[], const char *shortopts,
	      const struct option *longopts, int *longindex);
/* Closest of the NULL-terminated candidates to s (edit distance <= 2, or
 * a unique prefix), or NULL. */
const char *ig_did_you_mean(const char *s, const char *const *candidates);
/* "<prog> <version> (recording format <major>.<minor>)" on stdout. */
void ig_print_version(void);
/* Parse a non-negative integer in [min, max]; 0 or -1. */
int ig_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* -------------------------------------------------------- output files */

/*
 * Safe output (-o of every tool): the result is written to a temporary file
 * beside the target and renamed over it only when complete, so an
 * interrupted run (error, Ctrl-C, SIGTERM, a closed pipe) leaves the old
 * file as it was and no temporary behind.  Never replaced: a device, FIFO,
 * socket, directory or symbolic link.  An existing regular file is
 * replaced only with IG_OUT_FORCE.  "-" is stdout.
 */
enum {
	IG_OUT_FORCE = 0x1,    /* replace an existing regular file */
	IG_OUT_NOFILE = 0x2,   /* create the temporary, do not open a FILE
				  (the caller writes tmp by path, e.g. SQLite) */
	IG_OUT_NOSTDOUT = 0x4, /* "-" is refused */
};
struct ig_out {
	const char *path;      /* the target as given */
	char *tmp;             /* temporary beside it (NULL for stdout) */
	FILE *f;               /* write here (stdout for "-") */
	int is_stdout;
};
/* Check the target and create the temporary.  Returns 0, or -1 after
 * printing "<prog>: <path>: <why>". */
int ig_out_open(struct ig_out *o, const char *path, unsigned flags);
/* Flush, fsync and close the temporary, then rename it over the target.
 * Returns 0, or -1 after printing an error (the temporary is removed). */
int ig_out_commit(struct ig_out *o);
/* Remove the temporary; the target is untouched.  NULL-safe, idempotent. */
void ig_out_abort(struct ig_out *o);
/* Temporary paths created by ig_out_open / ig_tmp_register are removed on
 * SIGINT, SIGTERM, SIGHUP and SIGPIPE (then the signal is re-raised) and
 * by ig_out_abort.  For other temporaries of a tool (e.g. a scratch DB). */
void ig_tmp_register(const char *path);
void ig_tmp_unregister(const char *path);
/* Remove every registered temporary now and forget it: for an atexit
 * handler, so that an exit from anywhere (ig_die, out of memory in a
 * thread) leaves no temporary behind. */
void ig_tmp_remove_all(void);
/* A scratch file beside `near` (or in $TMPDIR when near is NULL), removed on
 * signals; the caller unlinks it and calls ig_tmp_unregister.  Returns a
 * malloc'ed path or NULL after printing an error. */
char *ig_tmp_create(const char *near, const char *suffix);
/* A private directory in $TMPDIR, removed (when empty) on signals after the
 * registered files in it; the caller removes it with rmdir and
 * ig_tmp_unregister.  NULL after printing an error. */
char *ig_tmpdir_create(void);
/* Flush and close stdout, checking for write errors (ENOSPC, EPIPE):
 * returns rc unchanged when all went out, else prints "<prog>: stdout:
 * <why>" and returns 1.  Call as `return ig_exit(rc);` at the end of main. */
int ig_exit(int rc);
/* 1 when path names an existing file or directory. */
int ig_exists(const char *path);

/* ---------------------------------------------------------------- JSON */

/*
 * JSON text that is valid whatever the bytes (docs/cli.md "JSON"): strings
 * are escaped per RFC 8259 and every byte sequence that is not valid UTF-8
 * becomes U+FFFD.  Values that can exceed 2^53 (absolute timestamps, ids,
 * addresses, hashes) are written as strings of decimal digits, as OTLP/JSON
 * does, so jq 1.6 and JavaScript keep every digit.
 */
/* Write s as a JSON string literal (with quotes); NULL writes null. */
void ig_json_str(FILE *f, const char *s);
/* A malloc'ed copy of s that is valid UTF-8 (invalid bytes -> U+FFFD), for
 * JSON libraries that do not check (json-c).  NULL gives "". */
char *ig_utf8_sanitize(const char *s);
/* 1 when s (NUL-terminated) is valid UTF-8. */
int ig_utf8_valid(const char *s);
/* "123" for an unsigned / signed 64-bit value, as a JSON string literal. */
void ig_json_u64str(FILE *f, uint64_t v);
void ig_json_i64str(FILE *f, int64_t v);

/* ------------------------------------------------------------ progress */

/*
 * Progress of long work on a TTY: one line on stderr, redrawn at most 4
 * times a second: "<prog>: import  42% 1.2 GB/2.9 GB  3.1 M ev/s  ETA 12s".
 * Silent unless stderr is a terminal and ig_quiet == 0.
 */
struct ig_progress {
	const char *phase;
	uint64_t total;        /* bytes of input, 0 = unknown */
	uint64_t done;
	uint64_t events;
	double t0, last;
	int on;
	int drawn;
};
void ig_progress_start(struct ig_progress *p, const char *phase, uint64_t total_bytes);
/* Cheap to call per batch of events: it redraws only when due. */
void ig_progress_update(struct ig_progress *p, uint64_t done_bytes, uint64_t events);
/* Clear the line. */
void ig_progress_end(struct ig_progress *p);
/* Seconds on CLOCK_MONOTONIC. */
double ig_now(void);

#endif
