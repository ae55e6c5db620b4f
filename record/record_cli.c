/*
 * record_cli.c - the options of `ingero-record [record]` and their usage
 * text (see record_int.h for the recorder's file map).
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "record_int.h"
#include "../bpf/ingero_bpf.h"

static const char usage_text[] =
	"usage: ingero-record record [options]         every CUDA process, until Ctrl-C\n"
	"       ingero-record [record] -p PID|-u USER|--cuda-lib PATH|-d T [options]\n"
	"Trace CUDA runtime/driver (and NCCL) calls plus scheduler, memory, process and\n"
	"block-I/O events of CUDA processes with eBPF; write a recording (seg-*.igz).\n"
	"Needs root (or CAP_BPF + CAP_PERFMON) and kernel BTF.  Without the 'record'\n"
	"verb, a target (-p, -u, --cuda-lib) or a duration (-d) is required.\n"
	"\n"
	"Targets (default: every process that maps libcudart/libcuda, found by\n"
	"scanning /proc/*/maps every --scan-interval seconds):\n"
	"  -p, --pid LIST          only these pids (comma-separated) and their children\n"
	"  -u, --user NAME         only processes of this user\n"
	"      --cuda-lib PATH     probe this library file (repeatable) instead of searching\n"
	"      --nccl              also probe libnccl (collectives, per-communicator sequence)\n"
	"      --wait=BOOL         keep scanning when no CUDA library is found (default true);\n"
	"                          --wait=false exits with status 1 instead\n"
	"      --scan-interval T   time between /proc scans (default 2s)\n"
	"Output:\n"
	"  -o, --output DIR        recording directory (default ~/.ingero/rec/NODE/ of the\n"
	"                          invoking user, also under sudo; files mode 0640); one\n"
	"                          recording per directory: a directory that already holds\n"
	"                          segments is refused\n"
	"      --append            continue the recording in DIR (same node and boot)\n"
	"      --node NAME         node name (default: hostname)\n"
	"  -d, --duration T        stop after T (e.g. 30, 30s, 5m, 2h; bare number = seconds;\n"
	"                          default: until Ctrl-C)\n"
	"      --max-disk SIZE     delete the oldest segments beyond SIZE (default 10g, 0 = off)\n"
	"      --segment-size SIZE rotate segments at SIZE compressed (default 256m)\n"
	"      --segment-time T    rotate segments after T (default 1h)\n"
	"      --zstd-level N      compression level (default 1: cheapest per event)\n"
	"      --ndjson            also stream every event as one JSON object per line on stdout\n"
	"      --json              print one JSON document summarizing the run on stdout at exit\n"
	"  -q, --quiet             no status line and no notes on stderr\n"
	"  -v, --verbose           also libbpf's warnings\n"
	"Probes:\n"
	"      --stack=MODE        user stacks of CUDA/driver calls: smart (default: the\n"
	"                          first calls of each thread at each call site, slow calls,\n"
	"                          1 in 64 of the rest), all (every call: costly), false\n"
	"      --no-sched          no sched_switch/sched_wakeup\n"
	"      --no-io             no block I/O\n"
	"      --overhead-budget P estimated probe cost allowed per traced process, percent\n"
	"                          of its wall time (default 2, 0 = off); past it the\n"
	"                          highest-rate ops are sampled 1-in-N in the kernel\n"
	"      --ringbuf-size SIZE ring buffer size (power of 2, default 16m)\n"
	"      --poll-ms MS        consumer poll period (default 100)\n"
	"  -h, --help              this text\n"
	"      --version           print the version\n"
	"Examples:\n"
	"  sudo ingero-record -p 4242 -o /var/tmp/rec      # one job and its children\n"
	"  sudo ingero-record record -d 10m -o /var/tmp/rec  # every CUDA process, 10 minutes\n"
	"Exit status: 0 success, 1 failure, 2 usage error.  SIGINT/SIGTERM stop cleanly.\n";

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	uint64_t m = 1;

	if (end == s || v < 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 0: break;
	case 'k': m = 1ULL << 10; end++; break;
	case 'm': m = 1ULL << 20; end++; break;
	case 'g': m = 1ULL << 30; end++; break;
	case 't': m = 1ULL << 40; end++; break;
	default: return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	*out = (uint64_t)(v * (double)m);
	return 0;
}

static int parse_dur(const char *s, uint64_t *ns)
{
	int64_t v;

	if (ig_parse_duration(s, &v))
		return -1;
	*ns = (uint64_t)v;
	return 0;
}

static int parse_bool(const char *s, bool *b)
{
	if (!s || !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes"))
		*b = true;
	else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no"))
		*b = false;
	else
		return -1;
	return 0;
}

enum {
	O_NODE = 256, O_MAXDISK, O_SEGSIZE, O_SEGTIME, O_JSON, O_NDJSON, O_STACK, O_NOSCHED,
	O_NOIO, O_BUDGET, O_RINGBUF, O_POLL, O_CUDALIB, O_NCCL, O_WAIT, O_SCAN, O_ZSTD,
	O_APPEND, O_VERSION,
};

static const struct option long_opts[] = {
	{ "output", required_argument, 0, 'o' },
	{ "pid", required_argument, 0, 'p' },
	{ "user", required_argument, 0, 'u' },
	{ "duration", required_argument, 0, 'd' },
	{ "quiet", no_argument, 0, 'q' },
	{ "verbose", no_argument, 0, 'v' },
	{ "help", no_argument, 0, 'h' },
	{ "version", no_argument, 0, O_VERSION },
	{ "node", required_argument, 0, O_NODE },
	{ "max-disk", required_argument, 0, O_MAXDISK },
	{ "segment-size", required_argument, 0, O_SEGSIZE },
	{ "segment-time", required_argument, 0, O_SEGTIME },
	{ "json", no_argument, 0, O_JSON },
	{ "ndjson", no_argument, 0, O_NDJSON },
	{ "append", no_argument, 0, O_APPEND },
	{ "stack", optional_argument, 0, O_STACK },
	{ "no-sched", no_argument, 0, O_NOSCHED },
	{ "no-io", no_argument, 0, O_NOIO },
	{ "overhead-budget", required_argument, 0, O_BUDGET },
	{ "ringbuf-size", required_argument, 0, O_RINGBUF },
	{ "poll-ms", required_argument, 0, O_POLL },
	{ "cuda-lib", required_argument, 0, O_CUDALIB },
	{ "nccl", no_argument, 0, O_NCCL },
	{ "wait", optional_argument, 0, O_WAIT },
	{ "scan-interval", required_argument, 0, O_SCAN },
	{ "zstd-level", required_argument, 0, O_ZSTD },
	{ 0 },
};

static int parse_pids(const char *arg, struct opts *o)
{
	const char *s = arg;
	char *end;

	while (*s) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || !v || v > INT_MAX || o->npids == 256 || (*end && *end != ','))
			return ig_usage_error("bad --pid list '%s'", arg);
		o->pids[o->npids++] = v;
		s = *end == ',' ? end + 1 : end;
	}
	if (!o->npids)
		return ig_usage_error("bad --pid list '%s'", arg);
	return 0;
}

static int parse_user(const char *arg, struct opts *o)
{
	struct passwd *pw = getpwnam(arg);
	char *end;
	long v = strtol(arg, &end, 10);

	if (pw)
		o->uid = pw->pw_uid;
	else if (*arg && !*end && v >= 0)
		o->uid = v;
	else
		return ig_usage_error("unknown user '%s'", arg);
	return 0;
}

/* one option of the output group; 1 = not one of them */
static int parse_output_opt(int c, const char *arg, struct opts *o)
{
	switch (c) {
	case 'o': o->out = arg; return 0;
	case O_NODE:
		if (!*arg || strlen(arg) >= sizeof(o->node) || strchr(arg, '/'))
			return ig_usage_error("bad --node '%s'", arg);
		snprintf(o->node, sizeof(o->node), "%s", arg);
		return 0;
	case 'd':
		if (parse_dur(arg, &o->duration_ns) || !o->duration_ns)
			return ig_usage_error("bad --duration '%s' (e.g. 30s, 5m, 2h)", arg);
		return 0;
	case O_MAXDISK:
		return parse_size(arg, &o->max_disk) ? ig_usage_error("bad size '%s'", arg) : 0;
	case O_SEGSIZE:
		if (parse_size(arg, &o->seg_size) || !o->seg_size)
			return ig_usage_error("bad size '%s'", arg);
		return 0;
	case O_SEGTIME:
		if (parse_dur(arg, &o->seg_ns) || !o->seg_ns)
			return ig_usage_error("bad duration '%s'", arg);
		return 0;
	case O_ZSTD:
		o->zstd_level = atoi(arg);
		if (o->zstd_level < 1 || o->zstd_level > 19)
			return ig_usage_error("bad --zstd-level '%s' (1-19)", arg);
		return 0;
	case O_JSON: o->json = true; return 0;
	case O_NDJSON: o->ndjson = true; return 0;
	case O_APPEND: o->append = true; return 0;
	case 'q': o->quiet = true; ig_quiet = 1; return 0;
	case 'v': o->verbose = true; ig_verbose = 1; return 0;
	}
	return 1;
}

/* one option of the probe group; 1 = not one of them */
static int parse_probe_opt(int c, const char *arg, struct opts *o)
{
	char *end;

	switch (c) {
	case O_STACK:
		if (!arg || !strcmp(arg, "smart")) {
			o->stack = IBPF_STACK_SMART;
		} else if (!strcmp(arg, "all")) {
			o->stack = IBPF_STACK_ALL;
		} else {
			bool b;

			if (parse_bool(arg, &b))
				return ig_usage_error("bad --stack value '%s' (smart, all or false)", arg);
			o->stack = b ? IBPF_STACK_SMART : IBPF_STACK_OFF;
		}
		return 0;
	case O_NOSCHED: o->no_sched = true; return 0;
	case O_NOIO: o->no_io = true; return 0;
	case O_BUDGET:
		o->budget_pct = strtod(arg, &end);
		if (end == arg || *end || o->budget_pct < 0 || o->budget_pct > 100)
			return ig_usage_error("bad --overhead-budget '%s' (percent, 0-100)", arg);
		return 0;
	case O_RINGBUF:
		if (parse_size(arg, &o->ringbuf) || o->ringbuf < 4096 || o->ringbuf > (1ULL << 31) ||
		    (o->ringbuf & (o->ringbuf - 1)))
			return ig_usage_error("bad --ringbuf-size '%s' (power of 2, 4k-2g)", arg);
		return 0;
	case O_POLL:
		o->poll_ms = atoi(arg);
		if (o->poll_ms < 1 || o->poll_ms > 1000)
			return ig_usage_error("bad --poll-ms '%s' (1-1000)", arg);
		return 0;
	case O_CUDALIB:
		if (o->ncuda_libs == 16)
			return ig_usage_error("too many --cuda-lib (16 at most)");
		o->cuda_libs[o->ncuda_libs++] = arg;
		return 0;
	case O_NCCL: o->nccl = true; return 0;
	case O_WAIT:
		if (parse_bool(arg, &o->wait))
			return ig_usage_error("bad --wait value '%s' (true or false)", arg);
		return 0;
	case O_SCAN: {
		uint64_t ns;

		if (parse_dur(arg, &ns) || ns < NSEC || ns > 3600 * NSEC)
			return ig_usage_error("bad --scan-interval '%s' (1s-1h)", arg);
		o->scan_s = ns / NSEC;
		return 0;
	}
	}
	return 1;
}

static void set_defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->uid = -1;
	o->stack = IBPF_STACK_SMART;
	o->wait = true;
	o->budget_pct = 2;
	o->max_disk = 10ULL << 30;
	o->seg_size = 256ULL << 20;
	o->seg_ns = 3600 * NSEC;
	o->ringbuf = 16 << 20;
	o->scan_s = 2;
	o->poll_ms = 100;
	o->zstd_level = 1;
}

int rec_parse_opts(int argc, char **argv, bool verb, struct opts *o)
{
	int c, rc;

	set_defaults(o);
	optind = 1;
	while ((c = ig_getopt(argc, argv, "o:p:u:d:qvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p': rc = parse_pids(optarg, o); break;
		case 'u': rc = parse_user(optarg, o); break;
		case 'h':
			fputs(usage_text, stdout);
			return REC_EXIT_DONE;
		case O_VERSION:
			ig_print_version();
			return REC_EXIT_DONE;
		case '?':
			return IG_EXIT_USAGE;
		default:
			rc = parse_output_opt(c, optarg, o);
			if (rc == 1)
				rc = parse_probe_opt(c, optarg, o);
			if (rc == 1)
				rc = IG_EXIT_USAGE;
			break;
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return ig_usage_error("unexpected argument '%s'", argv[optind]);
	if (o->json && o->ndjson)
		return ig_usage_error("--json and --ndjson both write stdout: choose one");
	/* no host-wide, unbounded recording by accident (as perf, bpftrace) */
	if (!verb && !o->npids && o->uid < 0 && !o->ncuda_libs && !o->duration_ns)
		return ig_usage_error("nothing to record: give -p PID, -u USER, --cuda-lib PATH or "
				      "-d DURATION, or 'ingero-record record' for every CUDA "
				      "process until Ctrl-C");
	if (!o->node[0] && gethostname(o->node, sizeof(o->node)))
		snprintf(o->node, sizeof(o->node), "unknown");
	return 0;
}

void rec_usage(FILE *f)
{
	fputs(usage_text, f);
}
