/*
 * ingero-merge - merge node recordings into one skew-corrected timeline.
 *
 * Two passes over the inputs (docs/merge.md):
 *   pass 1 (input.c) reads every input once: headers, node tables of merged
 *          inputs, clock anchors, NCCL collective end times, time ranges and
 *          how far records arrive out of start-time order (the reorder
 *          window);
 *   then every clock domain gets a correction (clock.c: user > collectives
 *          > anchors), printed as a table (report.c);
 *   pass 2 (kway.c) is a streaming k-way merge: each input feeds a small
 *          reorder heap bounded by its window, and a heap over the inputs
 *          emits records in the total order (time, node index, input index,
 *          input sequence) to the writer thread (output.c).
 * Memory depends on the number of inputs (and the reorder windows), never on
 * the size of the inputs.  This file: the command line and the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

#include "merge_int.h"

static double cpu_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void help(void)
{
	fputs(
"usage: " PROG " [options] INPUT... -o OUT\n"
"\n"
"Merge node recordings into one recording whose timestamps are unix ns,\n"
"corrected for clock skew between the nodes.  INPUT is a recording directory,\n"
"a segment file, a bundle (tar / tar.zst / tar.gz), '-' (stdin), or a\n"
"previously merged recording.  OUT is a directory, a single .igz file, or\n"
"'-' for stdout.\n"
"\n"
"options:\n"
"  -o, --output OUT         where to write the merged recording (required);\n"
"                           an existing file is kept unless --force, and a\n"
"                           directory must not already hold segments\n"
"  --force                  replace an existing OUT file\n"
"  --node-name INPUT=NAME   name the node of INPUT (default: from its header)\n"
"  --reference NODE         align every node to NODE (default: the first)\n"
"  --offset NODE=DELTA      add DELTA to NODE's timestamps (after the anchor\n"
"                           conversion) instead of estimating it; a duration\n"
"                           with a sign, a bare number is seconds\n"
"                           (e.g. --offset node-2=+1.25ms, node-3=-47ms)\n"
"  --no-collectives         estimate from clock anchors only\n"
"  --no-correct             estimate and report, but apply no correction\n"
"  --truth FILE             compare with a demo's truth.json\n"
"  -q, --quiet              no correction table, no warnings, no progress\n"
"  --segment-mb N           directory output: rotate segments every N MiB\n"
"                           (default 256; the node table opens every segment)\n"
"  --order-window DUR       within each DUR of corrected time, one node's\n"
"                           records after another's (default 10ms: long\n"
"                           runs per node compress better); 0: strict time\n"
"                           order across nodes\n"
"  --stats                  print phase timings and throughput on stderr\n"
"  -h, --help               this text\n"
"  --version                print the version\n"
"\n"
"examples:\n"
"  " PROG " node-*/ -o job.igz\n"
"  " PROG " a/ b/ -o - | ingero-perfetto - -o job.pftrace\n"
"  " PROG " node-*/ --offset node-2=-47ms -o job.igz\n"
"\n"
"Merged order: the order window (--order-window), then node index, then\n"
"corrected time, then input order, then record order within the input.\n"
"Exit status: 0 ok, 1 failure, 2 usage.\n"
"See docs/merge.md.\n", stdout);
}

/* ---------------------------------------------------------- options */

static char *join_args(int argc, char **argv)
{
	size_t cl = 0;
	for (int i = 0; i < argc; i++)
		cl += strlen(argv[i]) + 1;
	char *s = xcalloc(cl + 1, 1);
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* --offset NODE=DELTA, --node-name INPUT=NAME: 0 or IG_EXIT_USAGE */
static int parse_pair(struct mrg *m, const char *a, char *v)
{
	char *eq = strrchr(v, '=');
	if (!eq || eq == v || !eq[1])
		return ig_usage_error("%s %s: expected X=Y", a, v);
	*eq = 0;
	if (!strcmp(a, "--offset")) {
		int64_t ns;
		if (ig_parse_offset(eq + 1, &ns) < 0)
			return ig_usage_error("--offset %s=%s: bad duration (e.g. +1.25ms, -47ms; "
					      "a bare number is seconds)", v, eq + 1);
		m->uoff = xrealloc(m->uoff, (m->nuoff + 1) * sizeof(*m->uoff));
		m->uoff[m->nuoff++] = (struct mrg_uoff){ v, (double)ns, 0 };
	} else {
		m->nn = xrealloc(m->nn, (m->nnn + 1) * sizeof(*m->nn));
		m->nn[m->nnn++] = (struct mrg_nn){ v, eq + 1, 0 };
	}
	return 0;
}

enum { O_FORCE = 256, O_NODE_NAME, O_REFERENCE, O_OFFSET, O_NO_COLL, O_NO_CORRECT, O_TRUTH,
       O_SEGMENT_MB, O_STATS, O_VERSION, O_ORDER_WINDOW };

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, O_FORCE },
	{ "node-name", required_argument, NULL, O_NODE_NAME },
	{ "reference", required_argument, NULL, O_REFERENCE },
	{ "offset", required_argument, NULL, O_OFFSET },
	{ "no-collectives", no_argument, NULL, O_NO_COLL },
	{ "no-correct", no_argument, NULL, O_NO_CORRECT },
	{ "truth", required_argument, NULL, O_TRUTH },
	{ "quiet", no_argument, NULL, 'q' },
	{ "segment-mb", required_argument, NULL, O_SEGMENT_MB },
	{ "stats", no_argument, NULL, O_STATS },
	{ "order-window", required_argument, NULL, O_ORDER_WINDOW },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* one option; -1 to go on, else the exit code */
static int take_opt(struct mrg *m, int c, char *arg)
{
	char *e;
	double mb;
	switch (c) {
	case 'h': help(); return IG_EXIT_OK;
	case O_VERSION: ig_print_version(); return IG_EXIT_OK;
	case 'o': m->out = arg; break;
	case O_FORCE: m->force = 1; break;
	case O_REFERENCE: m->reference = arg; break;
	case O_TRUTH: m->truth = arg; break;
	case O_OFFSET: return parse_pair(m, "--offset", arg) ? IG_EXIT_USAGE : -1;
	case O_NODE_NAME: return parse_pair(m, "--node-name", arg) ? IG_EXIT_USAGE : -1;
	case O_SEGMENT_MB:
		mb = strtod(arg, &e);
		if (*e || !(mb > 0) || mb > 1e6)
			return ig_usage_error("--segment-mb %s: expected a positive number", arg);
		m->seg_bytes = (uint64_t)(mb * 1048576.0);
		break;
	case O_STATS: m->stats = 1; break;
	case O_ORDER_WINDOW:
		if (ig_parse_duration(arg, &m->window) < 0)
			return ig_usage_error("--order-window %s: bad duration (e.g. 1ms, 0 for "
					      "strict time order)", arg);
		break;
	case O_NO_CORRECT: m->no_correct = 1; break;
	case O_NO_COLL: m->no_collectives = 1; break;
	case 'q': m->quiet++; break;
	default: return IG_EXIT_USAGE;   /* ig_getopt printed it */
	}
	return -1;
}

/* The command line into m and inputs[].  Returns -1 to go on, else the
 * exit code (help, version, usage error). */
static int parse_args(struct mrg *m, int argc, char **argv, const char **inputs, int *ninputs)
{
	int c, rc;
	while ((c = ig_getopt(argc, argv, "o:qh", longopts, NULL)) != -1)
		if ((rc = take_opt(m, c, optarg)) >= 0)
			return rc;
	for (int i = optind; i < argc; i++)
		inputs[(*ninputs)++] = argv[i];
	if (!*ninputs)
		return ig_usage_error("no input given");
	if (!m->out)
		return ig_usage_error("no output given (-o OUT)");
	return -1;
}

/* ----------------------------------------------------------- inputs */

/* stdin into a temporary file (the merge reads its inputs twice) */
static char *spool_stdin(struct mrg *m)
{
	char *p = ig_tmp_create(NULL, NULL);
	if (!p)
		return NULL;
	int fd = open(p, O_WRONLY | O_TRUNC);
	if (fd < 0) {
		mrg_fail(m, NULL, "cannot create a temporary file for stdin: %s", strerror(errno));
		goto fail;
	}
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mrg_fail(m, NULL, "-: read error: %s", strerror(errno));
			goto fail;
		}
		for (ssize_t o = 0; o < n;) {
			ssize_t k = write(fd, buf + o, (size_t)(n - o));
			if (k < 0) {
				if (errno == EINTR)
					continue;
				mrg_fail(m, NULL, "cannot spool stdin: %s", strerror(errno));
				goto fail;
			}
			o += k;
		}
	}
	close(fd);
	return p;
fail:
	if (fd >= 0)
		close(fd);
	unlink(p);
	ig_tmp_unregister(p);
	free(p);
	return NULL;
}

/* one input: stdin spooled, or a path that is neither another input nor
 * the output; 0, -1 or IG_EXIT_USAGE */
static int add_input(struct mrg *m, int i, char **real, const char *outreal, int *stdin_used)
{
	struct input *in = &m->in[i];
	if (!strcmp(in->arg, "-")) {
		if (*stdin_used)
			return ig_usage_error("'-' (stdin) given twice");
		*stdin_used = 1;
		if (!(in->path = spool_stdin(m)))
			return -1;
		in->is_tmp = 1;
		return 0;
	}
	real[i] = realpath(in->arg, NULL);
	if (!real[i])
		return mrg_fail(m, NULL, "%s: cannot open: %s", in->arg, strerror(errno));
	for (int j = 0; j < i; j++)
		if (real[j] && !strcmp(real[j], real[i]))
			return mrg_fail(m, NULL, "'%s' and '%s' are the same input; refusing to merge "
					"it twice", m->in[j].arg, in->arg);
	if (outreal && !strcmp(outreal, real[i]))
		return mrg_fail(m, NULL, "'%s' is both an input and the output", in->arg);
	in->path = xstrdup(in->arg);
	return 0;
}

/* bytes on disk of a file, or of the files of a directory */
static uint64_t path_size(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return 0;
	if (!S_ISDIR(sb.st_mode))
		return (uint64_t)sb.st_size;
	uint64_t n = 0;
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *p = xasprintf("%s/%s", path, de->d_name);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
			n += (uint64_t)sb.st_size;
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

static int setup_inputs(struct mrg *m, const char **inputs, int ninputs)
{
	m->in = xcalloc((size_t)ninputs, sizeof(*m->in));
	m->nin = ninputs;
	for (int i = 0; i < ninputs; i++) {
		m->in[i].m = m;
		m->in[i].arg = inputs[i];
	}
	char **real = xcalloc((size_t)ninputs, sizeof(*real));
	char *outreal = realpath(m->out, NULL);
	int stdin_used = 0, rc = 0;
	for (int i = 0; i < ninputs && !rc; i++) {
		rc = add_input(m, i, real, outreal, &stdin_used);
		if (!rc)
			m->in_bytes += m->in[i].size = path_size(m->in[i].path);
	}
	for (int i = 0; i < ninputs; i++)
		free(real[i]);
	free(real);
	free(outreal);
	for (int k = 0; k < m->nnn && !rc; k++) {
		for (int i = 0; i < ninputs; i++)
			if (!strcmp(m->in[i].arg, m->nn[k].input)) {
				m->in[i].name_override = m->nn[k].name;
				m->nn[k].used = 1;
			}
		if (!m->nn[k].used)
			rc = ig_usage_error("--node-name %s=%s: no such input", m->nn[k].input,
				       m->nn[k].name);
	}
	return rc;
}

/* ------------------------------------------------------------- run */

static uint64_t events_out(const struct mrg *m)
{
	uint64_t ev = 0;
	for (int i = 0; i < m->nnode; i++)
		ev += m->node[i].ev_out;
	return ev;
}

static int run(struct mrg *m)
{
	int rc;
	double t0 = ig_now(), p0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	if (mrg_out_prepare(m) < 0 || mrg_pass1(m) < 0 || mrg_build_domains(m) < 0)
		return IG_EXIT_FAIL;
	if ((rc = mrg_estimate(m)) != 0)
		return rc < 0 ? IG_EXIT_FAIL : rc;
	double t1 = ig_now(), p1 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	if (mrg_report(m) < 0)
		return IG_EXIT_FAIL;
	double c1 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
	if (mrg_pass2(m) < 0)
		return IG_EXIT_FAIL;
	double t2 = ig_now(), c2 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
	double p2 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t ev = events_out(m);
	if (m->stats) {
		uint64_t rec = 0;
		for (int i = 0; i < m->nin; i++)
			rec += m->in[i].nrec;
		fprintf(stderr, PROG ": stats: %llu records, %llu events; pass 1 + estimate %.3f s "
			"(%.3f s cpu), pass 2 %.3f s (%.3f s cpu, merging thread %.3f s), total %.3f s, "
			"%.2f M events/s\n",
			(unsigned long long)rec, (unsigned long long)ev, t1 - t0, p1 - p0, t2 - t1,
			p2 - p1, c2 - c1, t2 - t0, t2 > t0 ? (double)ev / (t2 - t0) / 1e6 : 0);
	}
	if (!m->quiet)
		fprintf(stderr, PROG ": merged %d node(s), %llu events -> %s\n", m->nnode,
			(unsigned long long)ev, m->out);
	return 0;
}

/* Frees everything m holds (every thread has been joined by now). */
static void release_all(struct mrg *m)
{
	for (int i = 0; i < m->nin; i++) {
		struct input *in = &m->in[i];
		ingero_reader_close(in->r);
		for (unsigned k = 0; k < in->nmsgs; k++)
			free(in->msgs[k]);
		free(in->msgs);
		if (in->is_tmp) {
			unlink(in->path);
			ig_tmp_unregister(in->path);
		}
		free(in->path);
		free(in->name); free(in->host); free(in->boot_id);
		free(in->anch); free(in->nev); free(in->omap);
		mrg_coll_release(&in->coll);
		for (uint32_t k = 0; k < in->nin; k++) {
			free(in->in[k].name); free(in->in[k].host);
			free(in->in[k].boot_id); free(in->in[k].method);
		}
		free(in->in);
	}
	free(m->in);
	for (int d = 0; d < m->ndom; d++) {
		ingero_clock_release(&m->dom[d].clock);
		free(m->dom[d].slope);
		free(m->dom[d].pts);
	}
	free(m->dom);
	for (int i = 0; i < m->nnode; i++) {
		free(m->node[i].name); free(m->node[i].host); free(m->node[i].boot_id);
	}
	free(m->node);
	ig_out_abort(&m->o);   /* after a failure: an existing OUT stays as it was */
	free(m->cmdline); free(m->uoff); free(m->nn); free(m->werr);
	memset(m, 0, sizeof(*m));
}

int main(int argc, char **argv)
{
	ig_set_prog(PROG);
	atexit(ig_tmp_remove_all);   /* the stdin spool, whatever the exit */
	struct mrg m;
	memset(&m, 0, sizeof(m));
	m.window = MRG_WINDOW_DEFAULT;
	const char **inputs = xcalloc((size_t)argc, sizeof(*inputs));
	int ninputs = 0;
	m.cmdline = join_args(argc, argv);
	int rc = parse_args(&m, argc, argv, inputs, &ninputs);
	if (rc < 0) {
		ig_quiet = m.quiet;
		rc = setup_inputs(&m, inputs, ninputs);
		if (rc < 0)
			rc = IG_EXIT_FAIL;
		else if (!rc)
			rc = run(&m);
	}
	if (rc && m.made_dir)
		rmdir(m.out);   /* what a failed run created, when still empty */
	free(inputs);
	release_all(&m);
	return ig_exit(rc);
}
