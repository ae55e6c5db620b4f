/* ingero-analyze: import recordings (or the original Ingero's .db files) into
 * SQLite, run the causal engine, print the incident report and statistics.
 * parse -> create db -> import each input -> indexes -> engine -> report. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "ingero.h"
#include "analyze.h"
#include "engine.h"

/* INGERO_ANALYZE_TIMING=1: stage times on stderr (benchmarks) */
static int timing;
static double t_prev, c_prev;
static void stage(const char *what)
{
	struct timespec ts, cs;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cs);
	double now = ts.tv_sec + ts.tv_nsec / 1e9, cpu = cs.tv_sec + cs.tv_nsec / 1e9;
	if (timing && what)
		fprintf(stderr, PROG ": timing: %-10s %.3f s (cpu %.3f s)\n", what, now - t_prev, cpu - c_prev);
	t_prev = now;
	c_prev = cpu;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ingero-analyze INPUT... [-o analysis.db] [--json] [--per-process] [--summary]\n"
"                      [--since X] [--until X] [--pid N] [--node NAME] [--op NAME]\n"
"                      [--no-report] [-q]\n"
"\n"
"INPUT: a segment file, a recording directory, a directory of node recordings,\n"
"a bundle tarball, '-' (stdin), a merged recording, or an original Ingero .db file\n"
"(opened read-only and never modified).\n"
"\n"
"  -o, --output FILE   write the analysis database here (default: a temporary file\n"
"                      removed after the report); an existing FILE is replaced\n"
"      --json          one JSON document {recording, chains, stats[, per_process]}\n"
"      --per-process   add per-(node, pid) percentiles per op and GPU contention\n"
"      --summary       counts by source/op, span and nodes only (no engine)\n"
"      --since X       report from X: '30s' / '+2m' after the recording's start,\n"
"                      '-10s' before its end, unix ns, or 'YYYY-MM-DD HH:MM:SS' (UTC)\n"
"      --until X       report until X (same forms)\n"
"      --pid N         only process N\n"
"      --node NAME     only node NAME\n"
"      --op NAME       only this op (e.g. cudaStreamSync, cudaStreamSynchronize)\n"
"      --no-report     import only (use with -o)\n"
"  -q, --quiet         no warnings or progress on stderr\n"
"  -h, --help          this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

/* Duration with units ns/us/ms/s/m/h/d (a bare number is seconds); -1 on error. */
static int parse_dur(const char *s, int64_t *out)
{
	double total = 0;
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || errno)
			return -1;
		s = end;
		double mul;
		if (!*s) mul = 1e9;
		else if (!strncmp(s, "ns", 2)) { mul = 1; s += 2; }
		else if (!strncmp(s, "us", 2)) { mul = 1e3; s += 2; }
		else if (!strncmp(s, "ms", 2)) { mul = 1e6; s += 2; }
		else if (*s == 's') { mul = 1e9; s++; }
		else if (*s == 'm') { mul = 60e9; s++; }
		else if (*s == 'h') { mul = 3600e9; s++; }
		else if (*s == 'd') { mul = 86400e9; s++; }
		else return -1;
		total += v * mul;
	}
	if (total < 0 || total > 9.2e18)
		return -1;
	*out = (int64_t)(total + 0.5);
	return 0;
}

/* Time argument -> absolute unix ns, relative to the recording [start, end]. */
static int parse_time(const char *s, int64_t start, int64_t end, int64_t *out)
{
	int64_t d;
	struct tm tm;
	char *p;

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
		if (parse_dur(s + 1, &d))
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
	if (parse_dur(s, &d))
		return -1;
	*out = start + d;
	return 0;
}

/* the temporary database is removed on SIGINT/SIGTERM/SIGHUP too */
static char tmp_path[PATH_MAX];
static void on_signal(int sig)
{
	if (*tmp_path)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

enum { O_JSON = 256, O_PERPROC, O_SUMMARY, O_SINCE, O_UNTIL, O_PID, O_NODE, O_OP, O_NOREPORT };

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"output", required_argument, 0, 'o'}, {"json", no_argument, 0, O_JSON},
		{"per-process", no_argument, 0, O_PERPROC}, {"summary", no_argument, 0, O_SUMMARY},
		{"since", required_argument, 0, O_SINCE}, {"until", required_argument, 0, O_UNTIL},
		{"pid", required_argument, 0, O_PID}, {"node", required_argument, 0, O_NODE},
		{"op", required_argument, 0, O_OP}, {"no-report", no_argument, 0, O_NOREPORT},
		{"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	const char *out_path = NULL, *since_s = NULL, *until_s = NULL;
	int json = 0, perproc = 0, summary = 0, noreport = 0, quiet = 0, c, rc = 1;
	struct afilter flt = { .pid = -1 };
	char *created_from = NULL;
	sqlite3 *db = NULL;
	struct importer *im = NULL;

	while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case O_JSON: json = 1; break;
		case O_PERPROC: perproc = 1; break;
		case O_SUMMARY: summary = 1; break;
		case O_SINCE: since_s = optarg; break;
		case O_UNTIL: until_s = optarg; break;
		case O_NODE: flt.node = optarg; break;
		case O_NOREPORT: noreport = 1; break;
		case O_PID: {
			char *e;
			errno = 0;
			long long v = strtoll(optarg, &e, 10);
			if (errno || *e || v < 0 || e == optarg) {
				fprintf(stderr, PROG ": --pid: not a process id: '%s'\n", optarg);
				return 2;
			}
			flt.pid = v;
			break;
		}
		case O_OP:
			if (ingero_op_lookup(optarg, &flt.source, &flt.op) != 0) {
				fprintf(stderr, PROG ": --op: unknown op '%s'\n", optarg);
				return 2;
			}
			flt.op_name = ingero_op_name(flt.source, flt.op);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, PROG ": no input given\n");
		usage(stderr);
		return 2;
	}
	if (noreport && !out_path) {
		fprintf(stderr, PROG ": --no-report needs -o FILE\n");
		return 2;
	}
	int64_t dummy;
	if ((since_s && parse_time(since_s, 0, 0, &dummy)) || (until_s && parse_time(until_s, 0, 0, &dummy))) {
		fprintf(stderr, PROG ": bad time '%s' (use 30s, +2m, -10s, unix ns or "
			"'YYYY-MM-DD HH:MM:SS')\n", since_s && parse_time(since_s, 0, 0, &dummy) ? since_s : until_s);
		return 2;
	}
	if (out_path) {
		char ro[PATH_MAX], ri[PATH_MAX];
		if (realpath(out_path, ro))
			for (int i = optind; i < argc; i++)
				if (realpath(argv[i], ri) && !strcmp(ro, ri)) {
					fprintf(stderr, PROG ": %s: output is also an input\n", out_path);
					return 2;
				}
	} else {
		const char *td = getenv("TMPDIR");
		snprintf(tmp_path, sizeof tmp_path, "%s/ingero-analyze-XXXXXX.db", td && *td ? td : "/tmp");
		int fd = mkstemps(tmp_path, 3);
		if (fd < 0) {
			fprintf(stderr, PROG ": %s: cannot create temporary file: %s\n", tmp_path, strerror(errno));
			return 1;
		}
		close(fd);
		out_path = tmp_path;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
	}

	timing = getenv("INGERO_ANALYZE_TIMING") != NULL;
	stage(NULL);
	if (!(db = adb_create(out_path)))
		goto out;
	struct import_opts io = { .quiet = quiet, .progress = !quiet && isatty(2) };
	if (!(im = imp_new(db, &io)))
		goto out;
	size_t cflen = 1;
	for (int i = optind; i < argc; i++)
		cflen += strlen(argv[i]) + 1;
	if (!(created_from = calloc(1, cflen)))
		goto out;
	for (int i = optind; i < argc; i++) {
		if (imp_input(im, argv[i]))
			goto out;
		if (i > optind)
			strcat(created_from, " ");
		strcat(created_from, argv[i]);
	}
	stage("import");
	if (imp_finish(im))
		goto out;
	stage("finish");
	if (adb_finish(db, created_from))
		goto out;
	stage("indexes");
	if (noreport) {
		rc = 0;
		goto out;
	}

	struct span sp;
	stats_span(db, &sp);
	if (since_s)
		parse_time(since_s, sp.start, sp.end, &flt.since);
	if (until_s)
		parse_time(until_s, sp.start, sp.end, &flt.until);
	if (flt.since < 0)
		flt.since = 0;
	if (flt.until < 0)
		flt.until = 0;
	if (until_s && !flt.until)
		flt.until = 1;   /* an until before the epoch: an empty window */

	if (summary) {
		if (json) {
			json_object *o = stats_json_summary(db, &flt);
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		} else if (stats_print_summary(db, &flt, stdout)) {
			goto out;
		}
		rc = 0;
		goto out;
	}

	struct ingero_engine_opts eo = { .node = flt.node, .pid = flt.pid, .op = flt.op_name,
					 .since_ns = flt.since, .until_ns = flt.until };
	char eerr[512] = "";
	int engine_failed = 0;
	if (ingero_engine_run(db, &eo, eerr, sizeof eerr) < 0) {
		fprintf(stderr, PROG ": engine: %s\n", *eerr ? eerr : "failed");
		engine_failed = 1;
	}
	stage("engine");
	if (json) {
		json_object *root = json_object_new_object();
		json_object_object_add(root, "recording", stats_json_recording(db, &flt));
		json_object *ch = engine_failed ? NULL : ingero_engine_report_json(db);
		json_object_object_add(root, "chains", ch ? ch : json_object_new_array());
		json_object *st = stats_json_ops(db, &flt);
		json_object_object_add(root, "stats", st ? st : json_object_new_array());
		if (perproc) {
			json_object *pp = stats_json_per_process(db, &flt);
			json_object_object_add(root, "per_process", pp ? pp : json_object_new_object());
		}
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		if (!engine_failed)
			ingero_engine_report_text(db, stdout);
		fputc('\n', stdout);
		if (stats_print_ops(db, &flt, stdout))
			goto out;
		if (perproc) {
			fputc('\n', stdout);
			if (stats_print_per_process(db, &flt, stdout))
				goto out;
		}
	}
	stage("report");
	if (fflush(stdout) != 0) {
		fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
		goto out;
	}
	rc = engine_failed ? 1 : 0;
out:
	imp_free(im);
	if (db && sqlite3_close(db) != SQLITE_OK)
		fprintf(stderr, PROG ": %s: %s\n", out_path, sqlite3_errmsg(db));
	if (*tmp_path)
		unlink(tmp_path);
	free(created_from);
	return rc;
}
