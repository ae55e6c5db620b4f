/*
 * perfetto_main.c - ingero-perfetto's command line (docs/cli.md, docs/perfetto.md):
 * options, the safe -o (ig_out_*), progress, and the input dispatch (an
 * analysis database -> perfetto_db.c, anything else -> perfetto_rec.c), so
 * the writer (perfetto.c and friends) knows no input.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "db.h"
#include "perfetto.h"

#define PROG "ingero-perfetto"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " INPUT -o OUT [options]\n"
		"Export a recording (segment file, directory, merged recording, bundle, or -)\n"
		"or an analysis database (with its causal chains) as a Perfetto timeline.\n"
		"  -o, --output FILE     output file ('-' = stdout); written beside FILE and\n"
		"                        renamed over it when complete\n"
		"      --force           replace an existing FILE (never a device, FIFO, link or dir)\n"
		"      --format proto|json  Perfetto protobuf (default) or Chrome Trace Event JSON\n"
		"      --no-compress     protobuf: plain packets (default: deflated in\n"
		"                        TracePacket.compressed_packets, ~9x smaller)\n"
		"      --since X, --until X  keep events in [X, Y]: 30s or +2m after the\n"
		"                        recording's start, -10s before its end, unix ns,\n"
		"                        or a UTC date '2026-12-02 10:00:00[.5]'\n"
		"      --pid N           only this process\n"
		"      --node NAME       only this node\n"
		"      --stats           print counts to stderr\n"
		"  -q, --quiet           no warnings or progress on stderr\n"
		"  -v, --verbose         more detail on stderr\n"
		"      --version         print the version\n"
		"  -h, --help            this text\n"
		"Examples:\n"
		"  " PROG " job.db -o job.pftrace          # chains + flow arrows; open in ui.perfetto.dev\n"
		"  " PROG " rec/ -o rec.json --format json --since 10s --until 12s\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

/* --until before --since when both are known without the recording: both
 * counted from its start, both from its end, or both absolute */
static int reversed(const char *since, const char *until)
{
	int64_t a0, b0, a1, b1;
	const int64_t far = (int64_t)4e18;
	if (!since || !until) return 0;
	ig_parse_time(since, 0, far, &a0);
	ig_parse_time(until, 0, far, &b0);
	ig_parse_time(since, far, far, &a1);   /* which ones move with start/end */
	ig_parse_time(until, far, far, &b1);
	if (px_from_end(since) != px_from_end(until) || (a0 == a1) != (b0 == b1)) return 0;
	return b0 < a0;
}

/* Bytes of the input as stored (a file, or the files of a directory and of
 * its subdirectories one level down), for the progress line; 0 = unknown. */
static uint64_t input_bytes(const char *path)
{
	struct stat sb;
	if (!strcmp(path, "-") || stat(path, &sb)) return 0;
	if (S_ISREG(sb.st_mode)) return (uint64_t)sb.st_size;
	if (!S_ISDIR(sb.st_mode)) return 0;
	uint64_t total = 0;
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.') continue;
		char *p = xasprintf("%s/%s", path, de->d_name);
		if (!stat(p, &sb)) {
			if (S_ISREG(sb.st_mode)) total += (uint64_t)sb.st_size;
			else if (S_ISDIR(sb.st_mode)) {
				DIR *d2 = opendir(p);
				struct dirent *e2;
				while (d2 && (e2 = readdir(d2))) {
					char *q = xasprintf("%s/%s", p, e2->d_name);
					if (e2->d_name[0] != '.' && !stat(q, &sb) && S_ISREG(sb.st_mode))
						total += (uint64_t)sb.st_size;
					free(q);
				}
				if (d2) closedir(d2);
			}
		}
		free(p);
	}
	if (d) closedir(d);
	return total;
}

struct cli {
	struct px_opts o;
	const char *outpath, *in;
	int stats, force;
};

/* 0 to go on, -1 done (--help, --version), else the exit status */
static int parse_args(int argc, char **argv, struct cli *c)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "pid", required_argument, NULL, 'p' }, { "node", required_argument, NULL, 'n' },
		{ "compress", no_argument, NULL, 'z' }, { "no-compress", no_argument, NULL, 'Z' },
		{ "stats", no_argument, NULL, 's' }, { "force", no_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	int ch;
	uint64_t v;
	c->o.compress = 1;
	while ((ch = ig_getopt(argc, argv, "o:qvh", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': c->outpath = optarg; break;
		case 'f':
			if (!strcmp(optarg, "json")) c->o.json = 1;
			else if (!strcmp(optarg, "proto") || !strcmp(optarg, "protobuf")) c->o.json = 0;
			else {
				static const char *const fm[] = { "proto", "json", NULL };
				const char *dm = ig_did_you_mean(optarg, fm);
				return ig_usage_error("unknown --format '%s'%s%s%s (proto or json)", optarg,
						      dm ? " (did you mean '" : "", dm ? dm : "", dm ? "'?)" : "");
			}
			break;
		case 'S':
		case 'U': {
			int64_t t;
			if (ig_parse_time(optarg, 0, 0, &t))
				return ig_usage_error("bad --%s '%s' (30s, +2m, -10s, unix ns, '2026-12-02 10:00:00')",
						      ch == 'S' ? "since" : "until", optarg);
			*(ch == 'S' ? &c->o.since_s : &c->o.until_s) = optarg;
			break;
		}
		case 'p':
			if (ig_parse_u64(optarg, 0, 0xffffffffULL, &v)) return ig_usage_error("bad --pid '%s'", optarg);
			c->o.have_pid = 1;
			c->o.pid = (uint32_t)v;
			break;
		case 'n': c->o.node = optarg; break;
		case 'z': c->o.compress = 1; break;
		case 'Z': c->o.compress = 0; break;
		case 's': c->stats = 1; break;
		case 'F': c->force = 1; break;
		case 'q': ig_quiet++; break;
		case 'v': ig_verbose++; break;
		case 'V': ig_print_version(); return -1;
		case 'h': usage(stdout); return -1;
		default: return IG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) return ig_usage_error(optind < argc ? "one INPUT only" : "missing INPUT");
	if (!c->outpath) return ig_usage_error("missing -o OUT");
	if (reversed(c->o.since_s, c->o.until_s))
		return ig_usage_error("--until '%s' is before --since '%s'", c->o.until_s, c->o.since_s);
	if (c->o.json) c->o.compress = 0;
	c->in = argv[optind];
	return 0;
}

static void print_stats(const struct px_stats *s)
{
	fprintf(stderr, "events_in=%" PRIu64 " events_out=%" PRIu64 " slices=%" PRIu64 " instants=%" PRIu64
		" counters=%" PRIu64 " flows=%" PRIu64 " processes=%" PRIu64 " threads=%" PRIu64
		" tracks=%" PRIu64 " chains=%" PRIu64 " packets=%" PRIu64 " bytes=%" PRIu64 "\n",
		s->events_in, s->events_out, s->slices, s->instants, s->counters, s->flows,
		s->processes, s->threads, s->tracks, s->chains, s->packets, s->bytes);
}

int main(int argc, char **argv)
{
	ig_set_prog(PROG);
	struct cli c = { 0 };
	int rc = parse_args(argc, argv, &c);
	if (rc == -1) return ig_exit(0); /* --help / --version */
	if (rc) return rc;
	if ((px_from_end(c.o.since_s) || px_from_end(c.o.until_s)) && !ig_is_sqlite(c.in)) {
		/* counted from the end: a first pass finds it */
		if (!strcmp(c.in, "-")) {
			ig_error("--since/--until counted from the end ('-10s') need the recording's end: "
				 "give a file or directory, not stdin");
			return ig_exit(IG_EXIT_FAIL);
		}
		if (px_recording_end(c.in, &c.o.end_ns)) return ig_exit(IG_EXIT_FAIL);
	}
	struct ig_out out = { 0 };
	if (ig_out_open(&out, c.outpath, c.force ? IG_OUT_FORCE : 0)) return IG_EXIT_FAIL;
	static char obuf[1 << 16];
	setvbuf(out.f, obuf, _IOFBF, sizeof obuf);
	struct ig_progress prog;
	ig_progress_start(&prog, "export", input_bytes(c.in));
	c.o.progress = &prog;
	rc = IG_EXIT_FAIL;
	struct px *px = px_new(out.f, &c.o);
	if (!px) {
		ig_error("out of memory");
	} else if ((ig_is_sqlite(c.in) ? px_input_db(px, c.in, &c.o) : px_input_recording(px, c.in, &c.o)) == 0) {
		if (px_finish(px) != 0) ig_error("%s: write error: %s", c.outpath, strerror(errno));
		else rc = 0;
	}
	ig_progress_end(&prog);
	uint64_t t0, t1;
	if (rc == 0 && px_window_empty(px, &t0, &t1)) {
		char d[IG_DUR_BUF];
		ig_error("%s: --since/--until select nothing: the recording spans %s (%" PRIu64 " .. %" PRIu64 ")",
			 c.in, ig_fmt_duration((int64_t)(t1 - t0), d, sizeof d), t0, t1);
		rc = IG_EXIT_FAIL;
	}
	if (rc == 0 && c.stats) print_stats(px_stats(px));
	px_free(px);
	if (out.is_stdout) return ig_exit(rc);
	if (rc == 0) {
		if (ig_out_commit(&out)) rc = IG_EXIT_FAIL;
	} else {
		ig_out_abort(&out);
	}
	return ig_exit(rc);
}
