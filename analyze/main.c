/* ingero-analyze: import recordings (or the original Ingero's .db files, or
 * our own analysis DB) into SQLite, run the causal engine, print the
 * incident report and statistics.
 * parse -> output file -> import each input -> indexes -> filters -> engine
 * -> report -> commit the output. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "ingero.h"
#include "analyze.h"
#include "engine.h"

/* INGERO_ANALYZE_TIMING=1 or -v: stage times on stderr (benchmarks) */
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
"usage: ingero-analyze INPUT... [-o analysis.db [--force]] [--json] [--per-process]\n"
"                      [--per-line]\n"
"                      [--summary] [--since X] [--until X] [--pid N] [--node NAME]\n"
"                      [--op NAME] [--no-report] [--no-merge-check] [-q] [-v]\n"
"                      [--steps] [--inference] [--step-op OP]\n"
"\n"
"INPUT: a segment file, a recording directory, a merged recording, a bundle\n"
"tarball, '-' (stdin), an original Ingero .db file (opened read-only and never\n"
"modified), or an analysis database written by ingero-analyze (analyzed again).\n"
"A directory of node recordings (node-*/ as ingero-record demo multi-node\n"
"writes) must be merged first: ingero-merge corrects the nodes' clocks.\n"
"\n"
"  -o, --output FILE   write the analysis database here (default: a temporary\n"
"                      file removed after the report); written beside FILE and\n"
"                      renamed over it when complete\n"
"      --force         replace an existing FILE (never a device, FIFO, link or dir)\n"
"      --json          one JSON document {recording, chains, stats[, per_process][, per_line]}\n"
"      --per-process   add per-(node, pid) percentiles per op and GPU contention\n"
"      --per-line      add GPU calls grouped by the Python line that issued them\n"
"                      (recordings with Python frames): count, total, p50, p99\n"
"      --summary       counts by source/op, span and nodes only (no engine)\n"
"      --since X       report from X: '30s' / '+2m' after the recording's start,\n"
"                      '-10s' before its end, unix ns, or 'YYYY-MM-DD HH:MM:SS' (UTC)\n"
"      --until X       report until X (same forms)\n"
"      --pid N         only process N\n"
"      --node NAME     only node NAME\n"
"      --op NAME       only this op (e.g. cudaStreamSync, cudaStreamSynchronize)\n"
"      --no-report     import only (use with -o)\n"
"      --steps         the per-stream step table and the step findings\n"
"      --inference     classify steps prefill/decode/mixed, outliers per phase\n"
"      --step-op OP    step boundary op (default: the most regular sync per thread)\n"
"      --no-merge-check  analyze a directory of unmerged node recordings as is\n"
"                      (clocks not corrected: cross-node findings may be wrong)\n"
"  -q, --quiet         no warnings or progress on stderr (-qq: errors only)\n"
"  -v, --verbose       stage timings on stderr\n"
"      --version       print the version\n"
"  -h, --help          this help\n"
"\n"
"Examples:\n"
"  ingero-analyze rec/                        report of one recording\n"
"  ingero-analyze rec/ -o job.db              ... and keep the database (ingero-sql job.db)\n"
"  ingero-merge run/node-* -o run.igz && ingero-analyze run.igz\n"
"  ingero-analyze job.db --node node-2 --since -30s --json\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

struct cli {
	const char *out_path, *since_s, *until_s, *op_s;
	int force, json, perproc, perline, summary, noreport;
	int steps, inference;
	const char *step_op;
	struct input_opts in;
	struct afilter flt;
	char **inputs;
	int ninputs;
};

enum { O_JSON = 256, O_PERPROC, O_SUMMARY, O_SINCE, O_UNTIL, O_PID, O_NODE, O_OP, O_NOREPORT,
       O_FORCE, O_VERSION, O_NOMERGE, O_STEPS, O_INFER, O_STEPOP, O_PERLINE };

/* 0 to go on, else the exit status + 1 (help, version, usage errors) */
static int parse_args(int argc, char **argv, struct cli *c)
{
	static const struct option lo[] = {
		{"output", required_argument, 0, 'o'}, {"json", no_argument, 0, O_JSON},
		{"per-process", no_argument, 0, O_PERPROC}, {"summary", no_argument, 0, O_SUMMARY},
		{"per-line", no_argument, 0, O_PERLINE},
		{"since", required_argument, 0, O_SINCE}, {"until", required_argument, 0, O_UNTIL},
		{"pid", required_argument, 0, O_PID}, {"node", required_argument, 0, O_NODE},
		{"op", required_argument, 0, O_OP}, {"no-report", no_argument, 0, O_NOREPORT},
		{"force", no_argument, 0, O_FORCE}, {"no-merge-check", no_argument, 0, O_NOMERGE},
		{"quiet", no_argument, 0, 'q'}, {"verbose", no_argument, 0, 'v'},
		{"steps", no_argument, 0, O_STEPS}, {"inference", no_argument, 0, O_INFER},
		{"step-op", required_argument, 0, O_STEPOP},
		{"version", no_argument, 0, O_VERSION}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	int o;
	uint64_t pid;
	int64_t dummy;
	c->flt.pid = -1;
	while ((o = ig_getopt(argc, argv, "o:qvh", lo, NULL)) != -1) {
		switch (o) {
		case 'o': c->out_path = optarg; break;
		case 'q': ig_quiet++; break;
		case 'v': ig_verbose++; timing = 1; break;
		case 'h': usage(stdout); return 1;
		case O_VERSION: ig_print_version(); return 1;
		case O_JSON: c->json = 1; break;
		case O_PERPROC: c->perproc = 1; break;
		case O_PERLINE: c->perline = 1; break;
		case O_SUMMARY: c->summary = 1; break;
		case O_SINCE: c->since_s = optarg; break;
		case O_UNTIL: c->until_s = optarg; break;
		case O_NODE: c->flt.node = optarg; break;
		case O_NOREPORT: c->noreport = 1; break;
		case O_FORCE: c->force = 1; break;
		case O_NOMERGE: c->in.no_merge_check = 1; break;
		case O_STEPS: c->steps = 1; break;
		case O_INFER: c->inference = 1; break;
		case O_STEPOP:
			if (ingero_op_lookup(optarg, &(int){ 0 }, &(int){ 0 }) != 0)
				return 1 + ig_usage_error("--step-op: unknown op '%s'", optarg);
			c->step_op = optarg;
			break;
		case O_PID:
			if (ig_parse_u64(optarg, 0, INT64_MAX, &pid))
				return 1 + ig_usage_error("--pid: not a process id: '%s'", optarg);
			c->flt.pid = (int64_t)pid;
			break;
		case O_OP:   /* checked against the recording (filters.c) */
			c->op_s = optarg;
			break;
		default:
			return 1 + IG_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return 1 + ig_usage_error("no input given");
	if (c->noreport && !c->out_path)
		return 1 + ig_usage_error("--no-report needs -o FILE");
	if ((c->since_s && ig_parse_time(c->since_s, 0, 0, &dummy)) ||
	    (c->until_s && ig_parse_time(c->until_s, 0, 0, &dummy)))
		return 1 + ig_usage_error("bad time '%s' (use 30s, +2m, -10s, unix ns or 'YYYY-MM-DD HH:MM:SS')",
					  c->since_s && ig_parse_time(c->since_s, 0, 0, &dummy) ? c->since_s : c->until_s);
	c->inputs = argv + optind;
	c->ninputs = argc - optind;
	c->in.opts = argv + 1;   /* getopt moved the options before the inputs */
	c->in.nopts = optind - 1;
	return 0;
}

/* -o FILE is also an input?  (the analysis would replace what it reads) */
static int output_is_input(const struct cli *c)
{
	char ro[PATH_MAX], ri[PATH_MAX];
	if (!c->out_path || strcmp(c->out_path, "-") == 0 || !realpath(c->out_path, ro))
		return 0;
	for (int i = 0; i < c->ninputs; i++)
		if (realpath(c->inputs[i], ri) && !strcmp(ro, ri))
			return 1;
	return 0;
}

/* every input into db, then the late fixups and the indexes */
static int import_all(const struct cli *c, sqlite3 *db)
{
	struct import_opts io = { .quiet = ig_quiet > 0 };
	struct importer *im = imp_new(db, &io);
	uint64_t total = 0;
	int rc = -1;
	if (!im)
		return -1;
	for (int i = 0; i < c->ninputs; i++)
		total += input_bytes(c->inputs[i]);
	imp_progress_start(im, total);
	size_t cflen = 1;
	for (int i = 0; i < c->ninputs; i++)
		cflen += strlen(c->inputs[i]) + 1;
	char *created_from = xcalloc(1, cflen);
	for (int i = 0; i < c->ninputs; i++) {
		if (input_import(im, c->inputs[i], &c->in))
			goto out;
		if (i)
			strcat(created_from, " ");
		strcat(created_from, c->inputs[i]);
	}
	imp_progress_end(im);
	stage("import");
	if (input_check_merged(im, &c->in))
		goto out;
	if (imp_finish(im))
		goto out;
	stage("finish");
	if (adb_finish(db, created_from))
		goto out;
	stage("indexes");
	rc = 0;
out:
	imp_free(im);
	free(created_from);
	return rc;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* the engine's progress line: rows scanned of the events table */
struct eprog { struct ig_progress p; uint64_t rows, bytes; };
static void engine_progress(void *ctx, uint64_t rows)
{
	struct eprog *ep = ctx;
	uint64_t done = ep->rows ? (uint64_t)((double)rows / (double)ep->rows * (double)ep->bytes) : 0;
	ig_progress_update(&ep->p, done > ep->bytes ? ep->bytes : done, rows);
}

static int report(const struct cli *c, sqlite3 *db);

/* the engine, then the report (text or JSON) */
static int analyze(const struct cli *c, sqlite3 *db)
{
	const struct afilter *flt = &c->flt;
	if (c->summary) {
		if (c->json)
			print_json(stats_json_summary(db, flt));
		else if (stats_print_summary(db, flt, stdout))
			return -1;
		return 0;
	}
	struct eprog ep = { .rows = (uint64_t)ig_db_int(db, "SELECT sum(events) FROM nodes", 0),
			    .bytes = (uint64_t)ig_db_int(db, "SELECT page_count * page_size FROM pragma_page_count, "
							 "pragma_page_size", 0) };
	struct ingero_op_stat *ops = NULL;
	size_t nops = 0;
	struct ingero_engine_opts eo = { .node = flt->node, .pid = flt->pid, .op = flt->op_name,
					 .since_ns = flt->since, .until_ns = flt->until,
					 .progress = engine_progress, .progress_ctx = &ep,
					 .step_op = c->step_op, .inference = c->inference,
					 .op_stats = &ops, .nop_stats = &nops };
	char eerr[512] = "";
	ig_progress_start(&ep.p, "engine", ep.bytes);
	int n = ingero_engine_run(db, &eo, eerr, sizeof eerr);
	ig_progress_end(&ep.p);
	stage("engine");
	if (n < 0) {
		free(ops);
		return ig_error("engine: %s", *eerr ? eerr : "failed");
	}
	/* the op table without another scan (INGERO_ANALYZE_STATS_SCAN=1: the
	 * scan anyway; tests/analyze/t-stats-engine.sh compares both) */
	if (!getenv("INGERO_ANALYZE_STATS_SCAN"))
		stats_use_engine(ops, nops);
	int rc = report(c, db);
	stats_use_engine(NULL, 0);
	free(ops);
	return rc;
}

/* the report of the engine's tables and the op statistics */
static int report(const struct cli *c, sqlite3 *db)
{
	const struct afilter *flt = &c->flt;
	if (c->json) {
		json_object *root = json_object_new_object();
		json_object_object_add(root, "recording", stats_json_recording(db, flt));
		json_object *ch = ingero_engine_report_json(db);
		if (!ch) {
			json_object_put(root);
			return ig_error("report: %s", sqlite3_errmsg(db));
		}
		json_object_object_add(root, "chains", ch);
		if (ingero_steps_json(db, root)) {
			json_object_put(root);
			return ig_error("report: %s", sqlite3_errmsg(db));
		}
		json_object *st = stats_json_ops(db, flt);   /* NULL after printing why */
		json_object *pp = st && c->perproc ? stats_json_per_process(db, flt) : NULL;
		json_object *pl = st && c->perline ? perline_json(db, flt) : NULL;
		if (!st || (c->perproc && !pp) || (c->perline && !pl)) {
			json_object_put(st);
			json_object_put(pp);
			json_object_put(pl);
			json_object_put(root);
			return -1;
		}
		json_object_object_add(root, "stats", st);
		if (pp)
			json_object_object_add(root, "per_process", pp);
		if (pl)
			json_object_object_add(root, "per_line", pl);
		print_json(root);
	} else if (c->steps) {
		if (ingero_steps_table(db, stdout) || ingero_steps_report_text(db, stdout))
			return ig_error("report: %s", sqlite3_errmsg(db));
	} else {
		if (ingero_engine_report_text(db, stdout))
			return ig_error("report: %s", sqlite3_errmsg(db));
		fputc('\n', stdout);
		if (stats_print_ops(db, flt, stdout))
			return -1;
		if (c->perproc) {
			fputc('\n', stdout);
			if (stats_print_per_process(db, flt, stdout))
				return -1;
		}
		if (c->perline) {
			fputc('\n', stdout);
			if (perline_print(db, flt, stdout))
				return -1;
		}
	}
	stage("report");
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct ig_out out = { 0 };
	char *scratch = NULL;
	const char *dbpath;
	sqlite3 *db = NULL;
	int rc = IG_EXIT_FAIL;

	ig_set_prog(PROG);
	timing = getenv("INGERO_ANALYZE_TIMING") != NULL;
	int pr = parse_args(argc, argv, &c);
	if (pr)
		return ig_exit(pr - 1);
	if (output_is_input(&c)) {
		ig_error("%s: output is also an input", c.out_path);
		return ig_exit(IG_EXIT_FAIL);
	}
	/* -o: a temporary beside FILE, renamed over it at the end; else a
	 * scratch database in $TMPDIR.  Both are removed on errors and signals. */
	if (c.out_path) {
		/* even with --force, only a database (or an empty file) is ours to
		 * replace: not a recording segment or a text given by mistake */
		struct stat sb;
		if (strcmp(c.out_path, "-") && lstat(c.out_path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_size > 0 && !ig_is_sqlite(c.out_path)) {
			ig_error("%s: exists and is not an SQLite database, refusing to replace it", c.out_path);
			return IG_EXIT_FAIL;
		}
		if (ig_out_open(&out, c.out_path, IG_OUT_NOFILE | IG_OUT_NOSTDOUT | (c.force ? IG_OUT_FORCE : 0)))
			return IG_EXIT_FAIL;
		dbpath = out.tmp;
	} else {
		if (!(scratch = ig_tmp_create(NULL, ".db")))
			return IG_EXIT_FAIL;
		dbpath = scratch;
	}
	stage(NULL);
	if (!(db = adb_create(dbpath)) || import_all(&c, db))
		goto out;
	/* test hook (tests/analyze/t-analyze-errors.sh): SQL run after the
	 * import, to inject the failures the engine and report must report */
	if (getenv("INGERO_ANALYZE_TEST_SQL") && adb_exec(db, getenv("INGERO_ANALYZE_TEST_SQL"), "test hook"))
		goto out;
	if (!c.noreport) {
		if (filter_resolve(db, &c.flt, c.op_s, c.since_s, c.until_s,
				  c.ninputs == 1 ? c.inputs[0] : "the inputs"))
			goto out;
		if (analyze(&c, db))
			goto out;
		if (fflush(stdout) != 0 || ferror(stdout))
			goto out;   /* ig_exit says why; an -o database is not committed */
	}
	rc = IG_EXIT_OK;
out:
	if (db && sqlite3_close(db) != SQLITE_OK) {
		ig_error("%s: %s", c.out_path ? c.out_path : dbpath, sqlite3_errmsg(db));
		rc = IG_EXIT_FAIL;
	}
	if (c.out_path) {
		if (rc == IG_EXIT_OK && ig_out_commit(&out))
			rc = IG_EXIT_FAIL;
		ig_out_abort(&out);
	} else {
		unlink(scratch);
		ig_tmp_unregister(scratch);
		free(scratch);
	}
	return ig_exit(rc);
}
