/*
 * record_cli.c - the options of `ingero-record [record]` and their usage
 * text (see record_int.h for the recorder's file map).
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "record_int.h"

static const char usage_text[] =
	"usage: ingero-record [record] [options]\n"
	"Trace CUDA runtime/driver (and NCCL) calls plus scheduler, memory, process and\n"
	"block-I/O events of CUDA processes with eBPF; write a recording (seg-*.igz).\n"
	"Needs root (or CAP_BPF + CAP_PERFMON) and kernel BTF.\n"
	"\n"
	"Targets (default: every process that maps libcudart/libcuda, found by\n"
	"scanning /proc/*/maps every --scan-interval seconds):\n"
	"  -p, --pid LIST          only these pids (comma-separated) and their children\n"
	"  -u, --user NAME         only processes of this user\n"
	"      --cuda-lib PATH     probe this library file (repeatable) instead of searching\n"
	"      --nccl              also probe libnccl (collectives, per-communicator sequence)\n"
	"      --wait=BOOL         keep scanning when no CUDA library is found (default true);\n"
	"                          --wait=false exits with status 1 instead\n"
	"      --scan-interval S   seconds between /proc scans (default 2)\n"
	"Output:\n"
	"  -o, --output DIR        recording directory (default ~/.ingero/rec/NODE/ of the\n"
	"                          invoking user, also under sudo; files mode 0640)\n"
	"      --node NAME         node name (default: hostname)\n"
	"  -d, --duration T        stop after T (e.g. 30, 30s, 5m, 2h; default: until Ctrl-C)\n"
	"      --max-disk SIZE     delete the oldest segments beyond SIZE (default 10g, 0 = off)\n"
	"      --segment-size SIZE rotate segments at SIZE compressed (default 256m)\n"
	"      --segment-time T    rotate segments after T (default 1h)\n"
	"      --zstd-level N      compression level (default 1: cheapest per event)\n"
	"      --json              also stream events as NDJSON on stdout\n"
	"  -q, --quiet             no status line on stderr\n"
	"Probes:\n"
	"      --stack=BOOL        user stacks for CUDA/driver calls (default true)\n"
	"      --no-sched          no sched_switch/sched_wakeup\n"
	"      --no-io             no block I/O\n"
	"      --overhead-budget P estimated probe cost allowed per traced process, percent\n"
	"                          of its wall time (default 2, 0 = off); past it the\n"
	"                          highest-rate ops are sampled 1-in-N in the kernel\n"
	"      --ringbuf-size SIZE ring buffer size (power of 2, default 16m)\n"
	"      --poll-ms MS        consumer poll period (default 50)\n"
	"  -h, --help              this text\n"
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
	char *end;
	double v = strtod(s, &end);
	double m = 1;

	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		m = 1;
	else if (!strcmp(end, "ms"))
		m = 1e-3;
	else if (!strcmp(end, "m"))
		m = 60;
	else if (!strcmp(end, "h"))
		m = 3600;
	else
		return -1;
	*ns = (uint64_t)(v * m * 1e9);
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

static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": see 'ingero-record --help'\n");
	return INGERO_EXIT_USAGE;
}

enum {
	O_NODE = 256, O_MAXDISK, O_SEGSIZE, O_SEGTIME, O_JSON, O_STACK, O_NOSCHED, O_NOIO,
	O_BUDGET, O_RINGBUF, O_POLL, O_CUDALIB, O_NCCL, O_WAIT, O_SCAN, O_ZSTD,
};

int rec_parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "output", required_argument, 0, 'o' },
		{ "pid", required_argument, 0, 'p' },
		{ "user", required_argument, 0, 'u' },
		{ "duration", required_argument, 0, 'd' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ "node", required_argument, 0, O_NODE },
		{ "max-disk", required_argument, 0, O_MAXDISK },
		{ "segment-size", required_argument, 0, O_SEGSIZE },
		{ "segment-time", required_argument, 0, O_SEGTIME },
		{ "json", no_argument, 0, O_JSON },
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
	int c;

	memset(o, 0, sizeof(*o));
	o->uid = -1;
	o->stack = o->wait = true;
	o->budget_pct = 2;
	o->max_disk = 10ULL << 30;
	o->seg_size = 256ULL << 20;
	o->seg_ns = 3600 * NSEC;
	o->ringbuf = 16 << 20;
	o->scan_s = 2;
	o->poll_ms = 50;
	o->zstd_level = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:p:u:d:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'p': {
			char *s = optarg, *end;

			while (*s) {
				unsigned long v = strtoul(s, &end, 10);

				if (end == s || !v || v > INT_MAX || o->npids == 256)
					return usage_err("bad --pid list '%s'", optarg);
				o->pids[o->npids++] = v;
				s = *end == ',' ? end + 1 : end;
				if (*end && *end != ',')
					return usage_err("bad --pid list '%s'", optarg);
			}
			break;
		}
		case 'u': {
			struct passwd *pw = getpwnam(optarg);
			char *end;
			long v = strtol(optarg, &end, 10);

			if (pw)
				o->uid = pw->pw_uid;
			else if (*optarg && !*end && v >= 0)
				o->uid = v;
			else
				return usage_err("unknown user '%s'", optarg);
			break;
		}
		case 'd':
			if (parse_dur(optarg, &o->duration_ns))
				return usage_err("bad duration '%s'", optarg);
			break;
		case 'q': o->quiet = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case O_NODE: snprintf(o->node, sizeof(o->node), "%s", optarg); break;
		case O_MAXDISK:
			if (parse_size(optarg, &o->max_disk))
				return usage_err("bad size '%s'", optarg);
			break;
		case O_SEGSIZE:
			if (parse_size(optarg, &o->seg_size) || !o->seg_size)
				return usage_err("bad size '%s'", optarg);
			break;
		case O_SEGTIME:
			if (parse_dur(optarg, &o->seg_ns) || !o->seg_ns)
				return usage_err("bad duration '%s'", optarg);
			break;
		case O_JSON: o->json = true; break;
		case O_STACK:
			if (parse_bool(optarg, &o->stack))
				return usage_err("bad --stack value '%s' (true or false)", optarg);
			break;
		case O_NOSCHED: o->no_sched = true; break;
		case O_NOIO: o->no_io = true; break;
		case O_BUDGET: {
			char *end;

			o->budget_pct = strtod(optarg, &end);
			if (end == optarg || *end || o->budget_pct < 0 || o->budget_pct > 100)
				return usage_err("bad --overhead-budget '%s' (percent, 0-100)", optarg);
			break;
		}
		case O_RINGBUF:
			if (parse_size(optarg, &o->ringbuf) || o->ringbuf < 4096 ||
			    (o->ringbuf & (o->ringbuf - 1)))
				return usage_err("bad --ringbuf-size '%s' (power of 2, >= 4k)", optarg);
			break;
		case O_POLL:
			o->poll_ms = atoi(optarg);
			if (o->poll_ms < 1 || o->poll_ms > 1000)
				return usage_err("bad --poll-ms '%s' (1-1000)", optarg);
			break;
		case O_CUDALIB:
			if (o->ncuda_libs == 16)
				return usage_err("too many --cuda-lib");
			o->cuda_libs[o->ncuda_libs++] = optarg;
			break;
		case O_NCCL: o->nccl = true; break;
		case O_WAIT:
			if (parse_bool(optarg, &o->wait))
				return usage_err("bad --wait value '%s' (true or false)", optarg);
			break;
		case O_SCAN:
			o->scan_s = atoi(optarg);
			if (o->scan_s < 1)
				return usage_err("bad --scan-interval '%s'", optarg);
			break;
		case O_ZSTD:
			o->zstd_level = atoi(optarg);
			if (o->zstd_level < 1 || o->zstd_level > 19)
				return usage_err("bad --zstd-level '%s' (1-19)", optarg);
			break;
		case ':':
			return usage_err("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_err("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (!o->node[0] && gethostname(o->node, sizeof(o->node)))
		snprintf(o->node, sizeof(o->node), "unknown");
	return 0;
}
