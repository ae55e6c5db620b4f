/* demo.c - `ingero-record demo SCENARIO -o DIR`: command line of the
 * scenario generator (demo_gen.c core, demo_scen.c single-node scenarios,
 * demo_multi.c the multi-node job).  See docs/demo.md. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "demo.h"
#include "demo_dirs.h"
#include "record.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ingero-record demo SCENARIO -o DIR [options]\n"
		"Write a synthetic recording (deterministic for a given --seed).\n"
		"Scenarios:\n"
		"  incident           logrotate preempts the training thread ~850 times\n"
		"  cold-start         first cudaMalloc/cudaLaunchKernel 50-200x slower\n"
		"  memcpy-bottleneck  cudaMemcpy takes ~38%% of the wall time\n"
		"  periodic-spike     cudaMalloc spikes ~50x every 200 iterations\n"
		"  cpu-contention     stress-ng workers preempt the trainer\n"
		"  gpu-steal          trainer and inference time-slice the GPU\n"
		"  control            clean training loop, no anomaly\n"
		"  dataloader-starvation  trainer waits on 4 DataLoader workers, GPU idle ~80%%\n"
		"  inference          prefill/decode batching; 10x decode steps under throttling\n"
		"  stall              serving loop stops launching ~11 s (host compute)\n"
		"  multi-node         data-parallel job, one recording per node + truth.json\n"
		"  all                every single-node scenario into DIR/<scenario>/\n"
		"Options:\n"
		"  -o, --output DIR     output directory (created); a non-empty one only with\n"
		"                       --force, and never one that holds a real recording\n"
		"  --force              replace the demo recordings in DIR\n"
		"  --seed N             PRNG seed (default 1)\n"
		"  --duration S         recorded seconds (default 20 or 30 per scenario)\n"
		"  --events N           approximate event count; scales the steady phase\n"
		"                       (multi-node: over all nodes); overrides --duration\n"
		"  --node NAME          node name in the header (default demo-node)\n"
		"  --segment-mb N       rotate segments every N MiB compressed\n"
		"  -q, --quiet          no summary line on stderr\n"
		"  --list               print the scenario names\n"
		"multi-node only:\n"
		"  --nodes N            number of nodes (default 4, at most 256)\n"
		"  --straggler NODE     the node computing 30%% slower (default the last; none)\n"
		"  --offsets LIST       clock offsets, node-0 first (default 0,+3.2ms,-47ms,+850us)\n"
		"  --drift LIST         clock drifts, e.g. 0,20ppm,-5ppm (default all 0)\n"
		"  --no-collectives     no NCCL events (anchor-only clock alignment)\n");
}

static int bad(const char *fmt, const char *a)
{
	fprintf(stderr, "ingero-record demo: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, " (see --help)\n");
	return INGERO_EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

struct dir_scan {
	int entries;             /* anything in the directory */
	char foreign[4200];      /* a segment that is not a demo's, "" none */
};

static void scan_dir(const char *dir, int depth, struct dir_scan *sc)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && !sc->foreign[0]) {
		char p[4200];
		struct stat st;
		struct rec_seg_id id;
		size_t l = strlen(e->d_name);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sc->entries++;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (!strncmp(e->d_name, "seg-", 4) && l > 4 && !strcmp(e->d_name + l - 4, ".igz")) {
			if (rec_seg_identify(p, &id) || !rec_seg_is_demo(&id))
				snprintf(sc->foreign, sizeof(sc->foreign), "%s", p);
		} else if (depth > 0 && !lstat(p, &st) && S_ISDIR(st.st_mode)) {
			scan_dir(p, depth - 1, sc);
		}
	}
	closedir(d);
}

/*
 * A demo never mixes with or deletes another recording (docs/cli.md): DIR
 * must be absent or empty, or, with --force, hold only demo recordings
 * (which the generator then replaces).  A real recording is never touched.
 */
static int check_out_dir(const char *dir, int force)
{
	struct stat st;
	struct dir_scan sc = { 0 };

	if (stat(dir, &st))
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ingero-record demo: '%s' is not a directory: give -o a new "
			"directory\n", dir);
		return 1;
	}
	/* the generator writes DIR/seg-*, DIR/<scenario>/ or DIR/node-N/ */
	scan_dir(dir, 1, &sc);
	if (sc.foreign[0]) {
		fprintf(stderr, "ingero-record demo: '%s' holds a recording that is not a demo "
			"('%s'): a demo never replaces it; give -o another directory\n", dir,
			sc.foreign);
		return 1;
	}
	if (sc.entries && !force) {
		fprintf(stderr, "ingero-record demo: '%s' is not empty: give -o a new directory, "
			"or --force to replace the demo recordings in it\n", dir);
		return 1;
	}
	return 0;
}

static int is_single(const char *s)
{
	for (int i = 0; demo_single_scenarios[i]; i++)
		if (!strcmp(demo_single_scenarios[i], s))
			return 1;
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	enum { O_SEED = 256, O_DUR, O_EVENTS, O_NODES, O_STRAG, O_OFFS, O_DRIFT, O_NOCOLL,
	       O_NODE, O_SEGMB, O_LIST, O_FORCE };
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "duration", required_argument, NULL, O_DUR },
		{ "events", required_argument, NULL, O_EVENTS },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "straggler", required_argument, NULL, O_STRAG },
		{ "offsets", required_argument, NULL, O_OFFS },
		{ "drift", required_argument, NULL, O_DRIFT },
		{ "no-collectives", no_argument, NULL, O_NOCOLL },
		{ "node", required_argument, NULL, O_NODE },
		{ "segment-mb", required_argument, NULL, O_SEGMB },
		{ "list", no_argument, NULL, O_LIST },
		{ "force", no_argument, NULL, O_FORCE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo_opts o = { 0 };
	int c, multi_only = 0, force = 0;
	uint64_t v;

	o.seed = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case O_FORCE:
			force = 1;
			break;
		case O_LIST:
			for (int i = 0; demo_single_scenarios[i]; i++)
				printf("%s\n", demo_single_scenarios[i]);
			printf("multi-node\nall\n");
			return 0;
		case O_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, &o.seed))
				return bad("--seed: not a number: '%s'", optarg);
			break;
		case O_DUR: {
			char *end;
			errno = 0;
			o.duration_s = strtod(optarg, &end);
			if (errno || *end || !isfinite(o.duration_s) || o.duration_s <= 0 ||
			    o.duration_s > 7 * 86400)
				return bad("--duration: want seconds in (0, 604800], got '%s'", optarg);
			break;
		}
		case O_EVENTS:
			if (parse_u64(optarg, 1, 10000000000ULL, &o.events))
				return bad("--events: want 1..1e10, got '%s'", optarg);
			break;
		case O_NODES:
			if (parse_u64(optarg, 1, 256, &v))
				return bad("--nodes: want 1..256, got '%s'", optarg);
			o.nodes = (int)v;
			multi_only = 1;
			break;
		case O_STRAG:
			o.straggler = optarg;
			multi_only = 1;
			break;
		case O_OFFS:
			o.offsets = optarg;
			multi_only = 1;
			break;
		case O_DRIFT:
			o.drift = optarg;
			multi_only = 1;
			break;
		case O_NOCOLL:
			o.no_collectives = 1;
			multi_only = 1;
			break;
		case O_NODE:
			if (!*optarg || strlen(optarg) > 63)
				return bad("--node: want 1..63 characters, got '%s'", optarg);
			o.node = optarg;
			break;
		case O_SEGMB:
			if (parse_u64(optarg, 1, 1 << 20, &v))
				return bad("--segment-mb: want 1..1048576, got '%s'", optarg);
			o.seg_max_bytes = v << 20;
			break;
		case ':':
			return bad("option '%s' needs a value", argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad("%s", "missing SCENARIO");
	o.scenario = argv[optind];
	if (optind + 1 < argc)
		return bad("unexpected argument '%s'", argv[optind + 1]);
	int multi = !strcmp(o.scenario, "multi-node");
	if (!multi && strcmp(o.scenario, "all") && !is_single(o.scenario))
		return bad("unknown scenario '%s' (try --list)", o.scenario);
	if (!o.out)
		return bad("%s", "missing -o DIR");
	if (!*o.out || strlen(o.out) > 3800)
		return bad("-o: bad directory '%s'", o.out);
	if (multi_only && !multi)
		return bad("--nodes/--straggler/--offsets/--drift/--no-collectives are for "
			   "multi-node, not '%s'", o.scenario);

	if (check_out_dir(o.out, force))
		return 1;
	if (multi)
		return demo_multi(&o);
	if (strcmp(o.scenario, "all"))
		return demo_single(&o, o.scenario, o.out);
	for (int i = 0; demo_single_scenarios[i]; i++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%s", o.out, demo_single_scenarios[i]);
		int rc = demo_single(&o, demo_single_scenarios[i], dir);
		if (rc)
			return rc;
	}
	return 0;
}
