/*
 * ingero-merge - merge node recordings into one skew-corrected timeline.
 *
 * Two passes over the inputs (docs/merge.md):
 *   pass 1 reads every input once: headers, node tables of merged inputs,
 *          clock anchors, NCCL collective end times, time ranges and how far
 *          records arrive out of start-time order (the reorder window);
 *   then every clock domain gets a correction (user > collectives > anchors);
 *   pass 2 is a streaming k-way merge: each input feeds a small reorder heap
 *          bounded by its window, and a heap over the inputs emits records in
 *          the total order (time, node index, input index, input sequence).
 * Memory depends on the number of inputs (and the reorder windows), never on
 * the size of the inputs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingero.h"
#include "merge.h"

#define PROG "ingero-merge"
#define EXIT_USAGE 2
#define REORDER_CAP_TOTAL (1u << 18)   /* held records over all inputs (32 MiB) */
#define MIN_MATCHES 3

/* ------------------------------------------------------------ model */

struct inner {                 /* a node of a merged input (its NODE record) */
	char *name, *host, *boot_id, *method;
	int32_t rank;
	int64_t offset_ns;
	double drift_ppb, confidence_ns;
	uint64_t ref_ts, samples;
	int seen;
};

struct item {
	int64_t key;               /* corrected unix ns: the sort key */
	int64_t nat;               /* the same in the input's own clock */
	uint64_t seq;              /* record number within the input */
	uint32_t node;             /* output node index */
	uint8_t kind;
	uint8_t meta;              /* metadata: u.own is a deep copy */
	union {
		struct ingero_record *own;
		struct ingero_event ev;
		struct ingero_sys sys;
		struct ingero_gpu gpu;
		struct ingero_lost lost;
		struct ingero_note note;
		struct ingero_sampling sampling;
	} u;
};

struct hent {
	int64_t key;
	uint64_t seq;
	uint32_t node, slot;
};

struct input {
	const char *arg;           /* as given on the command line */
	char *path;                /* what the reader opens */
	int is_tmp;
	const char *name_override;
	char *name, *host, *boot_id;
	int32_t rank;
	int unix_clock;            /* a merged recording */
	/* pass 1 */
	struct ingero_anchor *anch;
	size_t nanch, capanch;
	struct inner *in;
	uint32_t nin;
	uint64_t *nev;             /* events per inner node, [max(nin,1)] */
	uint64_t nrec;             /* records readable (pass 2 stops there) */
	int64_t tmin, tmax;        /* native time range of timed records */
	int have_t;
	int64_t late;              /* reorder window, native ns */
	uint64_t ts_over;          /* timestamps above INT64_MAX, clamped */
	struct mrg_coll coll;
	unsigned warnings;
	char **msgs;               /* pass-1 warnings, printed in input order */
	unsigned nmsgs, ndropped;
	int fatal;                 /* last message is fatal */
	int dom;
	uint32_t *omap;            /* inner node -> output node */
	/* pass 2 */
	struct ingero_reader *r;
	uint64_t nread;
	int eof;
	int64_t runmax;
	struct hent *h;            /* reorder heap over pool slots */
	struct item *pool;
	uint32_t *freel;
	size_t hn, hmax, pcap, nfree;
	struct chan *ch;
	int64_t prunmax;           /* decoding thread's running max */
	size_t pseg;               /* decoding thread's anchor segment cache */
	uint64_t forced;           /* records released before their window closed */
	uint64_t out_clamped;      /* corrected times outside 0..INT64_MAX, clamped */
};

struct dom {                   /* a clock domain: one node, or one merged input */
	int merged;
	int first_input;
	struct ingero_clock clock;
	double *slope;             /* per segment, realtime / boottime */
	int have_anchors;
	uint64_t anchor_err;       /* largest anchor error bound, ns */
	int64_t wmin, wmax;        /* wall range */
	int have_w;
	struct mrg_coll_pt *pts;
	size_t npts;
	/* correction: corrected = w + a + b * (w - x0) */
	int solved;
	double a, b;
	int64_t x0;
	const char *method;
	double conf;
	uint64_t samples;
	int via;                   /* dom the collectives were matched against */
	double user_a;
	int user;
	/* estimate kept for the report when --no-correct */
	double est_a, est_b;
};

struct onode {
	char *name, *host, *boot_id;
	int32_t rank;
	int dom, input;
	struct inner *carried;     /* NODE entry of a merged input, or NULL */
	uint64_t ev_in, ev_out;
};

static struct {
	struct input *in;
	int nin;
	struct dom *dom;
	int ndom;
	struct onode *node;
	int nnode;
	const char *out;
	const char *reference;
	const char *truth;
	int no_correct, no_collectives, quiet, progress, stats;
	uint64_t seg_bytes;
	int pass;
	unsigned level;            /* common collective sampling level */
	struct { const char *node; double ns; int used; } *uoff;
	int nuoff;
	struct { const char *input, *name; int used; } *nn;
	int nnn;
	int ref;
	int64_t truth_t0;
	char *cmdline;
	unsigned warnings;
} G;

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double proc_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------- messages */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cleanup_tmp(void);
static void release_all(void);
static void fail_exit(void) __attribute__((noreturn));

/* Pass 1 runs one thread per input; its messages are kept with the input
 * and printed in input order afterwards, so stderr stays deterministic.  A
 * fatal error in a pass-1 thread jumps back to that thread's cleanup point
 * (pass1_guarded), which closes the input's reader; the main thread then
 * prints the error and exits through fail_exit. */
static __thread struct input *T_in;
static __thread jmp_buf *T_jmp;
static pthread_t main_thread;
static int p1_done;            /* inputs finished (or failed) in pass 1 */
static void msg_keep(struct input *in, const char *line);

static void die(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (T_in && T_jmp) {
		msg_keep(T_in, NULL);   /* mark fatal */
		msg_keep(T_in, buf);
		longjmp(*T_jmp, 1);
	}
	fprintf(stderr, PROG ": %s\n", buf);
	fail_exit();
}

/* The one way out after a failure: temporary files removed, and (from the
 * main thread, with no other thread running) every reader closed and every
 * buffer freed. */
static void fail_exit(void)
{
	cleanup_tmp();
	if (pthread_equal(pthread_self(), main_thread))
		release_all();
	exit(1);
}

static void warnx(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	__atomic_fetch_add(&G.warnings, 1, __ATOMIC_RELAXED);
	if (G.quiet > 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (T_in) {
		msg_keep(T_in, buf);
		return;
	}
	fprintf(stderr, PROG ": warning: %s\n", buf);
}

static void usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_err(const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help'.\n", stderr);
	exit(EXIT_USAGE);
}

#define MAX_KEPT 64
static void msg_keep(struct input *in, const char *line)
{
	if (!line) {
		in->fatal = 1;
		return;
	}
	if (in->nmsgs >= MAX_KEPT && !in->fatal) {
		in->ndropped++;
		return;
	}
	char **m = realloc(in->msgs, (in->nmsgs + 1) * sizeof(*m));
	char *c = strdup(line);
	if (!m || !c) {
		free(c);
		return;
	}
	in->msgs = m;
	in->msgs[in->nmsgs++] = c;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		die("out of memory");
	return p;
}

static void *xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz ? sz : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		die("out of memory");
	return p;
}

static void cleanup_tmp(void)
{
	for (int i = 0; i < G.nin; i++)
		if (G.in && G.in[i].is_tmp && G.in[i].path) {
			unlink(G.in[i].path);
			G.in[i].is_tmp = 0;
		}
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
"  -o, --output OUT         where to write the merged recording (required)\n"
"  --node-name INPUT=NAME   name the node of INPUT (default: from its header)\n"
"  --reference NODE         align every node to NODE (default: the first)\n"
"  --offset NODE=DELTA      add DELTA to NODE's timestamps (after the anchor\n"
"                           conversion) instead of estimating it; units ns,\n"
"                           us, ms, s (e.g. --offset node-2=+1.25ms)\n"
"  --no-collectives         estimate from clock anchors only\n"
"  --no-correct             estimate and report, but apply no correction\n"
"  --truth FILE             compare with a demo's truth.json\n"
"  -q, --quiet              no correction table (twice: no warnings either)\n"
"  --segment-mb N           directory output: rotate segments every N MiB\n"
"                           (default 256; the node table opens every segment)\n"
"  --stats                  print phase timings and throughput on stderr\n"
"  -h, --help               this text\n"
"  --version                print the version\n"
"\n"
"Merged order: corrected time, then node index, then input order, then\n"
"record order within the input.  Exit status: 0 ok, 1 failure, 2 usage.\n"
"See docs/merge.md.\n", stdout);
}

/* --------------------------------------------------------- parsing */

static int parse_delta(const char *s, double *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	double m;
	if (!*end || !strcmp(end, "ns")) m = 1;
	else if (!strcmp(end, "us") || !strcmp(end, "\xc2\xb5s")) m = 1e3;
	else if (!strcmp(end, "ms")) m = 1e6;
	else if (!strcmp(end, "s")) m = 1e9;
	else return -1;
	*ns = v * m;
	return fabs(*ns) < 9e18 ? 0 : -1;
}

static void fmt_off(char *b, size_t n, double ns)
{
	snprintf(b, n, "%+.6f ms", ns / 1e6);
}

/* ---------------------------------------------------------- pass 1 */

static void on_warn(void *ctx, const struct ingero_error *e)
{
	struct input *in = ctx;
	in->warnings++;
	if (G.pass != 1)
		return;
	char buf[1200];
	warnx("%s", ingero_strerror(e, buf, sizeof(buf)));
}

static int is_timed(int kind)
{
	return kind == INGERO_REC_EVENT || kind == INGERO_REC_SYS || kind == INGERO_REC_GPU ||
	       kind == INGERO_REC_LOST || kind == INGERO_REC_NOTE || kind == INGERO_REC_SAMPLING;
}

static int is_meta(int kind)
{
	return kind == INGERO_REC_PROCESS || kind == INGERO_REC_THREAD ||
	       kind == INGERO_REC_MODULE || kind == INGERO_REC_SYMBOL ||
	       kind == INGERO_REC_STACK;
}

/* The record's time as int64 ns; *over is set when it lies above INT64_MAX
 * and was clamped there (see mrg_u2i). */
static int64_t rec_ts(const struct ingero_record *r, int *over)
{
	uint64_t t = 0;
	if (r->kind != INGERO_REC_ANCHOR)   /* anchors are clock input, not timeline */
		ingero_record_ts(r, &t);
	*over = t > (uint64_t)INT64_MAX;
	return mrg_u2i(t);
}

static int anchor_over(const struct ingero_anchor *a)
{
	return a->boottime > (uint64_t)INT64_MAX || a->realtime > (uint64_t)INT64_MAX;
}

static int is_collective(const struct ingero_event *ev)
{
	return ev->source == INGERO_SRC_NCCL && ev->op >= INGERO_NCCL_ALL_REDUCE &&
	       ev->op <= INGERO_NCCL_BCAST && !(ev->flags & INGERO_EVF_NO_RETURN) &&
	       ev->arg[2] != 0;
}

static void open_reader(struct input *in, struct ingero_reader **r)
{
	struct ingero_error err;
	int rc = ingero_reader_open(r, in->path, &err);
	if (rc < 0) {
		char buf[1200];
		die("%s", ingero_strerror(&err, buf, sizeof(buf)));
	}
	ingero_reader_set_warn(*r, on_warn, in);
}

static struct inner *inner_get(struct input *in, uint32_t idx)
{
	if (idx >= in->nin) {
		if (idx > 1u << 20)
			return NULL;
		in->in = xrealloc(in->in, (idx + 1) * sizeof(*in->in));
		memset(in->in + in->nin, 0, (idx + 1 - in->nin) * sizeof(*in->in));
		in->nev = xrealloc(in->nev, (idx + 1) * sizeof(*in->nev));
		memset(in->nev + in->nin, 0, (idx + 1 - in->nin) * sizeof(*in->nev));
		in->nin = idx + 1;
	}
	return &in->in[idx];
}

/* Runs in a pass-1 thread; fatal errors longjmp out (see die): the reader
 * lives in in->r so that pass1_guarded can close it. */
static void pass1(struct input *in)
{
	open_reader(in, &in->r);
	struct ingero_reader *r = in->r;
	struct ingero_record rec;
	int rc, got_hdr = 0;
	int64_t runmax = INT64_MIN;
	in->nev = xcalloc(1, sizeof(*in->nev));
	in->tmin = INT64_MAX;
	in->tmax = INT64_MIN;
	mrg_coll_init(&in->coll);
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		__atomic_store_n(&in->nrec, in->nrec + 1, __ATOMIC_RELAXED);
		if (!got_hdr) {
			const struct ingero_header *h = ingero_reader_header(r);
			if (h) {
				got_hdr = 1;
				in->name = xstrdup(h->node && h->node[0] ? h->node :
						   h->host && h->host[0] ? h->host : in->arg);
				in->host = xstrdup(h->host);
				in->boot_id = xstrdup(h->boot_id);
				in->rank = h->rank;
				in->unix_clock = h->clock && !strcmp(h->clock, "unix");
				if (!in->unix_clock && ingero_header_has_anchor(h)) {
					struct ingero_anchor a = h->anchor;
					in->ts_over += anchor_over(&a);
					if (in->nanch == in->capanch) {
						in->capanch = in->capanch ? in->capanch * 2 : 16;
						in->anch = xrealloc(in->anch, in->capanch * sizeof(*in->anch));
					}
					in->anch[in->nanch++] = a;
				}
			}
		}
		switch (rec.kind) {
		case INGERO_REC_ANCHOR:
			if (in->unix_clock)
				break;
			if (in->nanch == in->capanch) {
				in->capanch = in->capanch ? in->capanch * 2 : 16;
				in->anch = xrealloc(in->anch, in->capanch * sizeof(*in->anch));
			}
			in->anch[in->nanch++] = rec.u.anchor;
			in->ts_over += anchor_over(&rec.u.anchor);
			break;
		case INGERO_REC_NODE: {
			struct inner *x = inner_get(in, rec.u.nodeinfo.index);
			if (!x || x->seen)
				break;
			const struct ingero_node *n = &rec.u.nodeinfo;
			x->seen = 1;
			x->name = xstrdup(n->name);
			x->host = xstrdup(n->host);
			x->boot_id = xstrdup(n->boot_id);
			x->method = xstrdup(n->method);
			x->rank = n->rank;
			x->offset_ns = n->offset_ns;
			x->drift_ppb = n->drift_ppb;
			x->ref_ts = n->ref_ts;
			x->confidence_ns = n->confidence_ns;
			x->samples = n->samples;
			break;
		}
		default:
			break;
		}
		if (!is_timed(rec.kind))
			continue;
		int over;
		int64_t t = rec_ts(&rec, &over);
		in->ts_over += over;
		if (t < in->tmin) in->tmin = t;
		if (t > in->tmax) in->tmax = t;
		in->have_t = 1;
		/* t is clamped to 0..INT64_MAX, so this cannot saturate; it
		 * stays saturating should that ever change */
		if (runmax != INT64_MIN && mrg_ssub(runmax, t) > in->late)
			in->late = mrg_ssub(runmax, t);
		if (t > runmax)
			runmax = t;
		if (rec.kind != INGERO_REC_EVENT)
			continue;
		uint32_t nd = in->unix_clock ? rec.node : 0;
		if (nd >= in->nin && in->unix_clock) {
			if (!inner_get(in, nd))
				continue;
		}
		in->nev[nd < (in->nin ? in->nin : 1) ? nd : 0]++;
		if (!G.no_collectives && is_collective(&rec.u.ev)) {
			/* merged inputs: one table over all their nodes (one domain) */
			if (mrg_coll_add(&in->coll, rec.u.ev.arg[0], rec.u.ev.arg[2],
					 mrg_sadd(t, mrg_u2i(rec.u.ev.dur))) < 0)
				die("out of memory");
		}
	}
	if (rc < 0) {
		const struct ingero_error *e = ingero_reader_last_warning(r);
		if (!got_hdr) {
			char buf[1200];
			if (e)
				die("%s", ingero_strerror(e, buf, sizeof(buf)));
			die("%s: cannot read recording", in->arg);
		}
		warnx("%s: read error after %llu records (code %d); merging what was read",
		      in->arg, (unsigned long long)in->nrec, rc);
	}
	if (!got_hdr)
		die("%s: no recording header (empty or not an Ingero recording)", in->arg);
	if (in->ts_over)
		warnx("%s: %llu timestamp(s) above %lld ns (year 2262) cannot be represented; "
		      "clamped to %lld", in->arg, (unsigned long long)in->ts_over,
		      (long long)INT64_MAX, (long long)INT64_MAX);
	if (in->unix_clock) {
		if (!in->nin)   /* a unix-clock recording without a node table */
			inner_get(in, 0);
		for (uint32_t i = 0; i < in->nin; i++)
			if (!in->in[i].seen) {
				char nm[64];
				snprintf(nm, sizeof(nm), "%s#%u", in->name, i);
				in->in[i].name = xstrdup(in->nin == 1 ? in->name : nm);
				in->in[i].host = xstrdup(in->host);
				in->in[i].boot_id = xstrdup(in->boot_id);
				in->in[i].method = xstrdup("none");
				in->in[i].rank = in->nin == 1 ? in->rank : -1;
				in->in[i].seen = 1;
			}
	}
	if (in->name_override) {
		if (in->unix_clock && in->nin > 1)
			warnx("%s: --node-name ignored for a merged recording of %u nodes",
			      in->arg, in->nin);
		else if (in->unix_clock) {
			free(in->in[0].name);
			in->in[0].name = xstrdup(in->name_override);
		} else {
			free(in->name);
			in->name = xstrdup(in->name_override);
		}
	}
}

/* pass 1 of one input, and its cleanup point, reached also by a fatal error */
static void pass1_guarded(struct input *in)
{
	jmp_buf jb;
	T_in = in;
	T_jmp = &jb;
	if (!setjmp(jb))
		pass1(in);
	T_jmp = NULL;
	T_in = NULL;
	ingero_reader_close(in->r);
	in->r = NULL;
	__atomic_fetch_add(&p1_done, 1, __ATOMIC_RELEASE);
}

static int p1_next;

static void *p1_worker(void *arg)
{
	(void)arg;
	for (;;) {
		int i = __atomic_fetch_add(&p1_next, 1, __ATOMIC_RELAXED);
		if (i >= G.nin)
			return NULL;
		pass1_guarded(&G.in[i]);
	}
}

static void pass1_all(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nt = (int)(ncpu > 0 ? ncpu : 1);
	if (nt > G.nin)
		nt = G.nin;
	if (nt > 16)
		nt = 16;
	pthread_t th[16];
	int started = 0;
	for (int t = 0; t < nt; t++)
		if (pthread_create(&th[started], NULL, p1_worker, NULL) == 0)
			started++;
	if (!started)
		die("cannot start a thread");
	int shown = 0;
	while (G.progress && __atomic_load_n(&p1_done, __ATOMIC_ACQUIRE) < G.nin) {
		struct timespec ts = { 0, 250000000 };
		nanosleep(&ts, NULL);
		uint64_t n = 0;
		for (int i = 0; i < G.nin; i++)
			n += __atomic_load_n(&G.in[i].nrec, __ATOMIC_RELAXED);
		fprintf(stderr, "\r" PROG ": pass 1: %d / %d inputs, %llu records ",
			__atomic_load_n(&p1_done, __ATOMIC_ACQUIRE), G.nin, (unsigned long long)n);
		shown = 1;
	}
	if (shown)
		fprintf(stderr, "\r%70s\r", "");
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < G.nin; i++) {
		struct input *in = &G.in[i];
		unsigned nwarn = in->fatal && in->nmsgs ? in->nmsgs - 1 : in->nmsgs;
		for (unsigned k = 0; k < nwarn && G.quiet < 2; k++)
			fprintf(stderr, PROG ": warning: %s\n", in->msgs[k]);
		if (in->fatal) {
			/* the message itself may be lost when memory ran out */
			if (nwarn < in->nmsgs)
				fprintf(stderr, PROG ": %s\n", in->msgs[nwarn]);
			else
				fprintf(stderr, PROG ": %s: out of memory\n", in->arg);
			fail_exit();
		}
		if (in->ndropped && G.quiet < 2)
			fprintf(stderr, PROG ": warning: %s: %u more warnings\n", in->arg,
				in->ndropped);
		for (unsigned k = 0; k < in->nmsgs; k++)
			free(in->msgs[k]);
		free(in->msgs);
		in->msgs = NULL;
		in->nmsgs = 0;
	}
}

/* ------------------------------------------------- nodes and domains */

static int cmp_pt(const void *a, const void *b)
{
	const struct mrg_coll_pt *p = a, *q = b;
	if (p->comm != q->comm)
		return p->comm < q->comm ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* The anchors' piecewise-linear map (ingero_clock's model), evaluated with a
 * cached segment and a precomputed slope: records of one node arrive in
 * nearly increasing time, so the segment rarely changes. */
static void dom_slopes(struct dom *d)
{
	const struct ingero_clock *c = &d->clock;
	const struct ingero_anchor *a = c->a;
	free(d->slope);
	d->slope = xcalloc(c->n, sizeof(*d->slope));
	for (size_t k = 0; k + 1 < c->n; k++) {
		double db = (double)(a[k + 1].boottime - a[k].boottime);
		d->slope[k] = db > 0 ? ((double)a[k + 1].realtime - (double)a[k].realtime) / db : 1;
	}
}

/* *seg: the caller's segment cache (one per reading thread) */
static int64_t dom_wall_c(const struct dom *d, int64_t nat, size_t *seg)
{
	if (d->merged || !d->have_anchors)
		return nat;
	const struct ingero_clock *c = &d->clock;
	uint64_t t = (uint64_t)(nat < 0 ? 0 : nat);
	if (c->n == 1)
		return mrg_sadd(mrg_u2i(c->a[0].realtime),
				mrg_ssub((int64_t)t, mrg_u2i(c->a[0].boottime)));
	size_t i = *seg;
	const struct ingero_anchor *a = c->a;
	int ok = i + 1 < c->n &&
		 (i == 0 || a[i].boottime <= t) &&
		 (i + 2 == c->n || t < a[i + 1].boottime);
	if (!ok) {
		size_t lo = 0, hi = c->n;   /* first anchor with boottime > t */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (a[mid].boottime <= t) lo = mid + 1; else hi = mid;
		}
		i = lo == 0 ? 0 : lo >= c->n ? c->n - 2 : lo - 1;
		*seg = i;
	}
	int64_t dt = mrg_ssub((int64_t)t, mrg_u2i(a[i].boottime));
	return mrg_sadd(mrg_u2i(a[i].realtime), mrg_round((double)dt * d->slope[i]));
}

/* correction of domain d at wall time w (as applied / as estimated) */
static inline int64_t dom_fix(const struct dom *d, double a, double b, int64_t w)
{
	return mrg_sadd(w, mrg_round(a + b * (double)mrg_ssub(w, d->x0)));
}

static int64_t dom_wall(const struct dom *d, int64_t nat)
{
	size_t seg = 0;
	return dom_wall_c(d, nat, &seg);
}

static inline int64_t dom_conv_c(const struct dom *d, int64_t nat, size_t *seg)
{
	int64_t w = dom_wall_c(d, nat, seg);
	return dom_fix(d, d->a, d->b, w);
}

static inline int64_t dom_conv(const struct dom *d, int64_t nat)
{
	int64_t w = dom_wall(d, nat);
	return dom_fix(d, d->a, d->b, w);
}

static int ranges_overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	return a0 < b1 && b0 < a1;   /* touching ranges do not overlap */
}

static void add_node(const char *name, const char *host, const char *boot, int32_t rank,
		     int dom, int input, struct inner *carried)
{
	for (int i = 0; i < G.nnode; i++)
		if (!strcmp(G.node[i].name, name)) {
			const char *other = G.in[G.node[i].input].arg;
			die("inputs '%s' and '%s' both claim node '%s'%s", other,
			    G.in[input].arg, name,
			    G.node[i].boot_id[0] && !strcmp(G.node[i].boot_id, boot) ?
			    " (same boot id, overlapping time: the same recording twice?)" : "");
		}
	G.node = xrealloc(G.node, (G.nnode + 1) * sizeof(*G.node));
	G.node[G.nnode++] = (struct onode){ xstrdup(name), xstrdup(host), xstrdup(boot), rank,
					   dom, input, carried, 0, 0 };
}

static void build_domains(void)
{
	G.dom = xcalloc(G.nin, sizeof(*G.dom));
	for (int i = 0; i < G.nin; i++) {
		struct input *in = &G.in[i];
		in->dom = -1;
		if (!in->unix_clock) {
			/* a later piece of a node already seen: same boot id, disjoint */
			for (int j = 0; j < i; j++) {
				struct input *p = &G.in[j];
				if (p->unix_clock || strcmp(p->name, in->name))
					continue;
				if (in->boot_id[0] && !strcmp(p->boot_id, in->boot_id) &&
				    (!p->have_t || !in->have_t ||
				     !ranges_overlap(p->tmin, p->tmax, in->tmin, in->tmax))) {
					in->dom = p->dom;
					break;
				}
			}
		}
		if (in->dom < 0) {
			in->dom = G.ndom++;
			struct dom *d = &G.dom[in->dom];
			d->merged = in->unix_clock;
			d->first_input = i;
			ingero_clock_init(&d->clock);
			d->via = -1;
		}
		uint32_t n = in->unix_clock ? in->nin : 1;
		in->omap = xcalloc(n, sizeof(*in->omap));
		if (in->unix_clock) {
			for (uint32_t k = 0; k < n; k++) {
				in->omap[k] = (uint32_t)G.nnode;
				add_node(in->in[k].name, in->in[k].host, in->in[k].boot_id,
					 in->in[k].rank, in->dom, i, &in->in[k]);
			}
		} else if (G.dom[in->dom].first_input == i) {
			in->omap[0] = (uint32_t)G.nnode;
			add_node(in->name, in->host, in->boot_id, in->rank, in->dom, i, NULL);
		} else {
			in->omap[0] = G.in[G.dom[in->dom].first_input].omap[0];
		}
		for (uint32_t k = 0; k < n; k++)
			G.node[in->omap[k]].ev_in += in->nev[k < in->nin || !k ? k : 0];
	}
	/* clocks, ranges and collectives per domain */
	G.level = 0;
	for (int i = 0; i < G.nin; i++)
		if (G.in[i].coll.level > G.level)
			G.level = G.in[i].coll.level;
	for (int di = 0; di < G.ndom; di++) {
		struct dom *d = &G.dom[di];
		size_t cap = 0;
		for (int i = 0; i < G.nin; i++) {
			struct input *in = &G.in[i];
			if (in->dom != di)
				continue;
			for (size_t k = 0; k < in->nanch; k++) {
				if (ingero_clock_add(&d->clock, &in->anch[k]) < 0)
					die("out of memory");
				if (in->anch[k].error_ns > d->anchor_err)
					d->anchor_err = in->anch[k].error_ns;
				d->have_anchors = 1;
			}
			mrg_coll_thin(&in->coll, G.level);
			cap += in->coll.n;
		}
		if (d->have_anchors)
			dom_slopes(d);
		d->pts = xcalloc(cap, sizeof(*d->pts));
		for (int i = 0; i < G.nin; i++) {
			struct input *in = &G.in[i];
			if (in->dom != di)
				continue;
			if (in->have_t) {
				int64_t w0 = dom_wall(d, in->tmin), w1 = dom_wall(d, in->tmax);
				if (!d->have_w || w0 < d->wmin) d->wmin = w0;
				if (!d->have_w || w1 > d->wmax) d->wmax = w1;
				d->have_w = 1;
			}
			for (size_t k = 0; k < in->coll.cap; k++) {
				struct mrg_coll_ent *e = &in->coll.t[k];
				if (!e->used)
					continue;
				int64_t end = mrg_sadd(e->first, e->dsum / (int64_t)e->cnt);
				d->pts[d->npts++] = (struct mrg_coll_pt){ e->comm, e->seq, dom_wall(d, end) };
			}
			mrg_coll_release(&in->coll);
		}
		qsort(d->pts, d->npts, sizeof(*d->pts), cmp_pt);
		/* pieces of one node may repeat a key: keep the first */
		size_t o = 0;
		for (size_t k = 0; k < d->npts; k++)
			if (!o || cmp_pt(&d->pts[o - 1], &d->pts[k]))
				d->pts[o++] = d->pts[k];
		d->npts = o;
		d->x0 = d->have_w ? d->wmin : 0;
		if (!d->merged && !d->have_anchors)
			warnx("node '%s' has no clock anchors: its boottime stamps are taken as unix time",
			      G.in[d->first_input].name);
	}
}

/* ------------------------------------------------------- estimation */

static size_t count_matches(const struct dom *n, const struct dom *m)
{
	size_t i = 0, j = 0, k = 0;
	while (i < n->npts && j < m->npts) {
		int c = cmp_pt(&n->pts[i], &m->pts[j]);
		if (c < 0) i++;
		else if (c > 0) j++;
		else { k++; i++; j++; }
	}
	return k;
}

static void fit_collectives(struct dom *n, const struct dom *m, size_t cnt)
{
	double *x = xcalloc(cnt, sizeof(*x)), *y = xcalloc(cnt, sizeof(*y));
	size_t i = 0, j = 0, k = 0;
	while (i < n->npts && j < m->npts) {
		int c = cmp_pt(&n->pts[i], &m->pts[j]);
		if (c < 0) { i++; continue; }
		if (c > 0) { j++; continue; }
		int64_t en = n->pts[i].end;
		int64_t em = dom_fix(m, m->est_a, m->est_b, m->pts[j].end);
		x[k] = (double)mrg_ssub(en, n->x0);
		y[k] = (double)mrg_ssub(em, en);
		k++; i++; j++;
	}
	struct mrg_fit f;
	if (mrg_fit_robust(x, y, k, 1, &f) < 0)
		die("out of memory");
	n->est_a = f.a;
	n->est_b = f.b;
	n->conf = f.rms;
	n->samples = f.inliers;
	n->method = "collectives";
	n->solved = 1;
	const char *nm = G.in[n->first_input].name;
	if (n->merged)
		nm = G.in[n->first_input].in[0].name;
	if (f.inliers < 8)
		warnx("node '%s': only %zu matched collectives: weak offset evidence", nm, f.inliers);
	if (f.inliers * 10 < f.n * 8)
		warnx("node '%s': %zu of %zu collective samples rejected as outliers: inconsistent evidence",
		      nm, f.n - f.inliers, f.n);
	if (fabs(f.b) > 200e-6)
		warnx("node '%s': fitted drift %+.1f ppm is implausible for a quartz clock: inconsistent evidence",
		      nm, f.b * 1e6);
	if (f.rms > 50000)
		warnx("node '%s': collective residual %.1f us: weak offset evidence", nm, f.rms / 1e3);
	free(x);
	free(y);
}

static const char *dom_name(int di)
{
	const struct dom *d = &G.dom[di];
	const struct input *in = &G.in[d->first_input];
	return d->merged ? in->in[0].name : in->name;
}

static void estimate(void)
{
	int ref = G.node[0].dom;
	if (G.reference) {
		int found = -1;
		for (int i = 0; i < G.nnode; i++)
			if (!strcmp(G.node[i].name, G.reference))
				found = i;
		if (found < 0)
			usage_err("--reference %s: no such node", G.reference);
		ref = G.node[found].dom;
	}
	G.ref = ref;
	for (int u = 0; u < G.nuoff; u++) {
		int found = -1;
		for (int i = 0; i < G.nnode; i++)
			if (!strcmp(G.node[i].name, G.uoff[u].node))
				found = i;
		if (found < 0)
			usage_err("--offset %s: no such node", G.uoff[u].node);
		struct dom *d = &G.dom[G.node[found].dom];
		if (d->merged && G.in[d->first_input].nin > 1)
			warnx("--offset %s applies to every node of merged input '%s'",
			      G.uoff[u].node, G.in[d->first_input].arg);
		d->user = 1;
		d->user_a = G.uoff[u].ns;
	}
	for (int di = 0; di < G.ndom; di++) {
		struct dom *d = &G.dom[di];
		if (d->user) {
			d->est_a = d->user_a;
			d->method = "user";
			d->solved = 1;
		} else if (di == ref) {
			d->method = "reference";
			d->solved = 1;
			d->conf = 0;
		}
	}
	/* collectives: repeatedly attach the unsolved domain with the most
	 * matches to any solved one (reference first on ties) */
	for (;;) {
		int bn = -1, bm = -1;
		size_t best = 0;
		for (int n = 0; n < G.ndom; n++) {
			if (G.dom[n].solved)
				continue;
			for (int pass = 0; pass < 2; pass++)
				for (int m = 0; m < G.ndom; m++) {
					if (!G.dom[m].solved || (pass == 0) != (m == ref))
						continue;
					size_t c = count_matches(&G.dom[n], &G.dom[m]);
					if (c > best) {
						best = c; bn = n; bm = m;
					}
				}
		}
		if (bn < 0 || best < MIN_MATCHES)
			break;
		G.dom[bn].via = bm;
		fit_collectives(&G.dom[bn], &G.dom[bm], best);
	}
	struct dom *r = &G.dom[ref];
	for (int di = 0; di < G.ndom; di++) {
		struct dom *d = &G.dom[di];
		if (!d->solved) {
			size_t few = 0;
			for (int m = 0; m < G.ndom; m++)
				if (m != di)
					few += count_matches(d, &G.dom[m]);
			d->method = d->merged ? "carried" : "anchors";
			d->solved = 1;
			double e = (double)d->anchor_err, er = (double)r->anchor_err;
			d->conf = d->merged ? 0 : sqrt(e * e + er * er);
			if (!G.no_collectives && !d->merged)
				warnx("node '%s': %s matched collectives: anchor-only alignment "
				      "(error bound +-%.3f ms)", dom_name(di), few ? "too few" : "no",
				      d->conf / 1e6);
			if (d->have_w && r->have_w &&
			    !ranges_overlap(d->wmin, d->wmax, r->wmin, r->wmax))
				warnx("node '%s' has no time overlap with reference '%s': anchor-only alignment",
				      dom_name(di), dom_name(ref));
		}
		if (!strcmp(d->method, "collectives") && d->have_w && r->have_w &&
		    !ranges_overlap(d->wmin, d->wmax, r->wmin, r->wmax))
			warnx("node '%s' has no time overlap with reference '%s': aligned through '%s' by collectives",
			      dom_name(di), dom_name(ref), dom_name(d->via));
		if (!strcmp(d->method, "collectives") && d->anchor_err && r->anchor_err &&
		    fabs(d->est_a) > ((double)d->anchor_err + (double)r->anchor_err) * 4)
			warnx("node '%s': collectives say %+.3f ms, beyond the anchors' error bounds (%.3f ms)",
			      dom_name(di), d->est_a / 1e6,
			      ((double)d->anchor_err + (double)r->anchor_err) / 1e6);
		if (G.no_correct && !d->user) {
			d->a = 0;
			d->b = 0;
		} else {
			d->a = d->est_a;
			d->b = d->est_b;
		}
	}
	if (G.no_collectives && !G.quiet)
		fprintf(stderr, PROG ": --no-collectives: aligning by clock anchors only\n");
}

/* ----------------------------------------------------------- truth */

/* gen's truth.json: per node {"name": ..., "offset_ns": ..., "drift_ppm": ...}.
 * A tolerant scan: for each "name" string, the next offset and drift keys. */
struct truth { char name[128]; double off_ns, drift_ppm; int have_off, have_drift; };

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = xcalloc(cap, 1);
	size_t k;
	while ((k = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n - 1 == 0) {
			if (cap > (64u << 20))
				break;
			cap *= 2;
			b = xrealloc(b, cap);
		}
	}
	fclose(f);
	b[n] = 0;
	*len = n;
	return b;
}

static int num_after(const char *p, const char *key, const char *lim, double *v)
{
	const char *q = strstr(p, key);
	if (!q || (lim && q > lim))
		return 0;
	q = strchr(q + strlen(key), ':');
	if (!q)
		return 0;
	char *e;
	*v = strtod(q + 1, &e);
	return e != q + 1;
}

static int load_truth(const char *path, struct truth **out)
{
	size_t len;
	char *b = slurp(path, &len);
	if (!b)
		die("%s: cannot read: %s", path, strerror(errno));
	struct truth *t = NULL;
	int n = 0;
	const char *p = b;
	while ((p = strstr(p, "\"name\""))) {
		const char *q = strchr(p + 6, ':');
		if (!q) break;
		q = strchr(q, '"');
		if (!q) break;
		const char *e = strchr(q + 1, '"');
		if (!e) break;
		t = xrealloc(t, (n + 1) * sizeof(*t));
		memset(&t[n], 0, sizeof(*t));
		snprintf(t[n].name, sizeof(t[n].name), "%.*s", (int)(e - q - 1), q + 1);
		const char *next = strstr(e, "\"name\"");
		double v;
		if (num_after(e, "\"offset_ns\"", next, &v)) { t[n].off_ns = v; t[n].have_off = 1; }
		else if (num_after(e, "\"offset_us\"", next, &v)) { t[n].off_ns = v * 1e3; t[n].have_off = 1; }
		else if (num_after(e, "\"offset_ms\"", next, &v)) { t[n].off_ns = v * 1e6; t[n].have_off = 1; }
		if (num_after(e, "\"drift_ppm\"", next, &v)) { t[n].drift_ppm = v; t[n].have_drift = 1; }
		else if (num_after(e, "\"drift_ppb\"", next, &v)) { t[n].drift_ppm = v / 1e3; t[n].have_drift = 1; }
		n++;
		p = e;
	}
	const char *t0 = strstr(b, "\"t0_unix_ns\"");
	if (!t0)
		t0 = strstr(b, "\"t0_ns\"");
	if (t0 && (t0 = strchr(t0, ':')))
		G.truth_t0 = strtoll(t0 + 1, NULL, 10);
	free(b);
	*out = t;
	return n;
}

static const struct truth *truth_find(const struct truth *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* ----------------------------------------------------------- report */

static void node_total(const struct onode *o, double a, double b, int64_t *off,
		       double *drift_ppb, uint64_t *ref);

static void report(void)
{
	struct truth *t = NULL;
	int nt = 0;
	if (G.truth)
		nt = load_truth(G.truth, &t);
	const struct truth *tref = nt ? truth_find(t, nt, dom_name(G.ref)) : NULL;
	if (G.quiet) {
		free(t);
		return;
	}
	fprintf(stderr, PROG ": clock correction (reference '%s'%s):\n", dom_name(G.ref),
		G.no_correct ? ", --no-correct: nothing applied" : "");
	fprintf(stderr, "  %-16s %-12s %16s %12s %12s %8s", "node", "method", "offset",
		"drift", "residual", "samples");
	if (nt)
		fprintf(stderr, " %16s %12s %12s %10s", "true offset", "error", "true drift", "error");
	fputc('\n', stderr);
	for (int i = 0; i < G.nnode; i++) {
		const struct onode *o = &G.node[i];
		const struct dom *d = &G.dom[o->dom];
		char off[64], res[32], smp[32];
		int64_t tot_off;
		double tot_drift;
		uint64_t tot_ref;
		node_total(o, d->est_a, d->est_b, &tot_off, &tot_drift, &tot_ref);
		fmt_off(off, sizeof(off), (double)tot_off);
		if (!strcmp(d->method, "reference") || !strcmp(d->method, "carried"))
			snprintf(res, sizeof(res), "-");
		else
			snprintf(res, sizeof(res), "%.3f us", d->conf / 1e3);
		snprintf(smp, sizeof(smp), "%llu", (unsigned long long)d->samples);
		fprintf(stderr, "  %-16s %-12s %16s %+8.3f ppm %12s %8s", o->name, d->method, off,
			tot_drift / 1e3, res, smp);
		const struct truth *tn = nt ? truth_find(t, nt, o->name) : NULL;
		if (tn && tref) {
			/* node clock = true + off + drift*(t - t0): correction = -(node - ref) */
			double toff = -(tn->off_ns - tref->off_ns);
			/* our offset is at x0; evaluate it at the truth's t0 */
			double est = (double)tot_off;
			if (G.truth_t0)
				est += tot_drift / 1e9 * (double)mrg_ssub(
					mrg_sadd(G.truth_t0, mrg_round(tn->off_ns)), mrg_u2i(tot_ref));
			double tdr = -(tn->drift_ppm - tref->drift_ppm);
			char tb[64];
			fmt_off(tb, sizeof(tb), toff);
			fprintf(stderr, " %16s %9.3f us %+8.3f ppm %+6.3f ppm", tb,
				(est - toff) / 1e3, tdr, tot_drift / 1e3 - tdr);
		}
		if (d->via >= 0 && d->via != G.ref && !strcmp(d->method, "collectives"))
			fprintf(stderr, " (via %s)", dom_name(d->via));
		fputc('\n', stderr);
	}
	free(t);
}

/* ----------------------------------------------------------- pass 2 */

/* The reorder heap orders small entries; the items live in a slot pool. */
static inline int hent_lt(const struct hent *a, const struct hent *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	if (a->node != b->node)
		return a->node < b->node;
	return a->seq < b->seq;
}

static void hpush(struct input *in, const struct item *it)
{
	if (!in->nfree) {
		size_t cap = in->pcap ? in->pcap * 2 : 64;
		in->pool = xrealloc(in->pool, cap * sizeof(*in->pool));
		in->freel = xrealloc(in->freel, cap * sizeof(*in->freel));
		in->h = xrealloc(in->h, cap * sizeof(*in->h));
		for (size_t k = cap; k-- > in->pcap;)
			in->freel[in->nfree++] = (uint32_t)k;
		in->pcap = cap;
	}
	uint32_t slot = in->freel[--in->nfree];
	in->pool[slot] = *it;
	struct hent e = { it->key, it->seq, it->node, slot };
	size_t i = in->hn++;
	while (i) {
		size_t p = (i - 1) / 2;
		if (!hent_lt(&e, &in->h[p]))
			break;
		in->h[i] = in->h[p];
		i = p;
	}
	in->h[i] = e;
}

static inline struct item *htop(struct input *in)
{
	return &in->pool[in->h[0].slot];
}

static void hpop(struct input *in)
{
	in->freel[in->nfree++] = in->h[0].slot;
	struct hent last = in->h[--in->hn];
	size_t i = 0, n = in->hn;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hent_lt(&in->h[c + 1], &in->h[c]))
			c++;
		if (!hent_lt(&in->h[c], &last))
			break;
		in->h[i] = in->h[c];
		i = c;
	}
	if (n)
		in->h[i] = last;
}

/* Metadata has no time of its own: it sorts at the earliest time any later
 * record of its input can have, so it precedes the events that use it.  It
 * is copied because the reader reuses its buffers. */
static struct ingero_record *meta_copy(const struct ingero_record *r)
{
	struct ingero_record *c = ingero_record_dup(r);
	if (!c)
		die("out of memory");
	return c;
}

/* A corrected time as an output field (uint64 unix ns): below 0 it cannot
 * be represented and is clamped to 0 (counted for a warning). */
static uint64_t out_ts(struct input *in, int64_t t)
{
	if (t < 0) {
		in->out_clamped++;
		return 0;
	}
	return (uint64_t)t;
}

/* Decode one record into *it (producer side); returns 0 at the end. */
static int produce(struct input *in, struct item *it)
{
	struct ingero_record rec;
	for (;;) {
		if (in->nread >= in->nrec)
			return 0;
		int rc = ingero_reader_next(in->r, &rec);
		if (rc <= 0)
			return 0;
		uint64_t seq = in->nread;
		__atomic_store_n(&in->nread, seq + 1, __ATOMIC_RELAXED);   /* progress reads it */
		if (!is_timed(rec.kind) && !is_meta(rec.kind))
			continue;
		uint32_t inner = in->unix_clock ? rec.node : 0;
		if (inner >= (in->unix_clock ? in->nin : 1))
			continue;   /* CTX to a node the table lacks: counted as a warning in pass 1 */
		const struct dom *d = &G.dom[in->dom];
		it->seq = seq;
		it->node = in->omap[inner];
		it->kind = (uint8_t)rec.kind;
		it->meta = 0;
		if (is_meta(rec.kind)) {
			it->meta = 1;
			it->nat = mrg_ssub(in->prunmax, in->late);
			it->u.own = meta_copy(&rec);
			if (rec.kind == INGERO_REC_PROCESS && rec.u.proc.start_ts)
				it->u.own->u.proc.start_ts = out_ts(in, dom_conv_c(d,
					mrg_u2i(rec.u.proc.start_ts), &in->pseg));
		} else {
			int over;
			it->nat = rec_ts(&rec, &over);   /* counted in pass 1 */
			if (it->nat > in->prunmax)
				in->prunmax = it->nat;
			switch (rec.kind) {
			case INGERO_REC_EVENT: it->u.ev = rec.u.ev; break;
			case INGERO_REC_SYS: it->u.sys = rec.u.sys; break;
			case INGERO_REC_GPU: it->u.gpu = rec.u.gpu; break;
			case INGERO_REC_LOST: it->u.lost = rec.u.lost; break;
			case INGERO_REC_SAMPLING: it->u.sampling = rec.u.sampling; break;
			case INGERO_REC_NOTE:
				it->u.note = rec.u.note;
				it->u.note.text = xstrdup(rec.u.note.text);
				break;
			}
		}
		it->key = dom_conv_c(d, it->nat, &in->pseg);
		if (it->key < 0 || (it->key == INT64_MAX && it->nat != INT64_MAX)) {
			/* the output holds uint64 unix ns; keep the key in range
			 * (a monotone clamp: the order is unchanged) */
			it->key = it->key < 0 ? 0 : INT64_MAX;
			in->out_clamped += !it->meta;   /* metadata writes no time */
		}
		return 1;
	}
}

/* One decoding thread per input hands batches of items to the merging
 * thread: decompression and decoding run beside the merge and the writer. */
#define BATCH 1024
#define NBATCH 3

struct batch {
	int n, eof;
	struct item it[BATCH];
};

struct chan {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *full[NBATCH], *empty[NBATCH];
	int nfull, nempty, fhead;
	struct batch *cur;   /* consumer's batch */
	int pos;
	pthread_t th;
	int started;
};

static void *producer(void *arg)
{
	struct input *in = arg;
	struct chan *c = in->ch;
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->nempty)
			pthread_cond_wait(&c->cv, &c->mu);
		struct batch *b = c->empty[--c->nempty];
		pthread_mutex_unlock(&c->mu);
		b->n = 0;
		b->eof = 0;
		while (b->n < BATCH) {
			if (!produce(in, &b->it[b->n])) {
				b->eof = 1;
				break;
			}
			b->n++;
		}
		pthread_mutex_lock(&c->mu);
		c->full[(c->fhead + c->nfull) % NBATCH] = b;
		c->nfull++;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		if (b->eof)
			return NULL;
	}
}

static void chan_start(struct input *in)
{
	struct chan *c = xcalloc(1, sizeof(*c));
	in->ch = c;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	for (int i = 0; i < NBATCH; i++)
		c->empty[c->nempty++] = xcalloc(1, sizeof(struct batch));
	if (pthread_create(&c->th, NULL, producer, in) != 0)
		die("cannot start a thread");
	c->started = 1;
}

static void chan_stop(struct input *in)
{
	struct chan *c = in->ch;
	if (!c)
		return;
	if (c->started)
		pthread_join(c->th, NULL);
	/* items never consumed (only after an early stop) own memory */
	for (int i = 0; i < c->nempty; i++)
		free(c->empty[i]);
	for (int i = 0; i < c->nfull; i++)
		free(c->full[(c->fhead + i) % NBATCH]);
	free(c->cur);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	in->ch = NULL;
}

/* take the next item from the decoding thread into the reorder heap;
 * returns 0 at the end */
static int read_one(struct input *in)
{
	struct chan *c = in->ch;
	if (!c->cur || c->pos >= c->cur->n) {
		if (c->cur && c->cur->eof)
			return 0;
		pthread_mutex_lock(&c->mu);
		if (c->cur) {
			c->empty[c->nempty++] = c->cur;
			pthread_cond_broadcast(&c->cv);
		}
		while (!c->nfull)
			pthread_cond_wait(&c->cv, &c->mu);
		c->cur = c->full[c->fhead];
		c->fhead = (c->fhead + 1) % NBATCH;
		c->nfull--;
		pthread_mutex_unlock(&c->mu);
		c->pos = 0;
		if (!c->cur->n)
			return 0;
	}
	const struct item *it = &c->cur->it[c->pos++];
	if (!it->meta && it->nat > in->runmax)
		in->runmax = it->nat;
	hpush(in, it);
	return 1;
}

/* make in->h[0] final (or the input empty) */
static void refill(struct input *in)
{
	while (!in->eof) {
		if (in->hn) {
			const struct item *t = htop(in);
			/* strictly earlier than any later record can be: ties are
			 * ordered by node first, so an equal time is not final */
			if (t->meta || t->nat < mrg_ssub(in->runmax, in->late))
				return;
			if (in->hn >= in->hmax) {
				in->forced++;
				return;
			}
		}
		if (!read_one(in))
			in->eof = 1;
	}
}

static struct ingero_writer *W;
static uint32_t cur_node;
static int have_ctx;

static void wfail(void)
{
	const struct ingero_error *e = ingero_writer_error(W);
	char buf[1200];
	if (e && e->code)
		die("%s", ingero_strerror(e, buf, sizeof(buf)));
	die("%s: write failed", G.out);
}

static void put_ctx(uint32_t node)
{
	static struct ingero_record c;   /* writer thread only */
	if (have_ctx && cur_node == node)
		return;
	c.kind = INGERO_REC_CTX;
	c.node = node;
	c.u.ctx_node = node;
	if (ingero_writer_append(W, &c) < 0)
		wfail();
	cur_node = node;
	have_ctx = 1;
}

static void emit(struct item *it)
{
	put_ctx(it->node);
	struct onode *o = &G.node[it->node];
	if (it->kind == INGERO_REC_EVENT) {
		it->u.ev.ts = (uint64_t)it->key;
		o->ev_out++;
		if (ingero_writer_event(W, &it->u.ev) < 0)
			wfail();
		return;
	}
	struct ingero_record rec;
	if (it->meta) {
		rec = *it->u.own;
	} else {
		memset(&rec, 0, sizeof(rec));
		rec.kind = it->kind;
		uint64_t k = (uint64_t)it->key;
		switch (it->kind) {
		case INGERO_REC_SYS: rec.u.sys = it->u.sys; rec.u.sys.ts = k; break;
		case INGERO_REC_GPU: rec.u.gpu = it->u.gpu; rec.u.gpu.ts = k; break;
		case INGERO_REC_LOST: rec.u.lost = it->u.lost; rec.u.lost.ts = k; break;
		case INGERO_REC_SAMPLING: rec.u.sampling = it->u.sampling; rec.u.sampling.ts = k; break;
		case INGERO_REC_NOTE: rec.u.note = it->u.note; rec.u.note.ts = k; break;
		}
	}
	rec.node = it->node;
	int rc = ingero_writer_append(W, &rec);
	if (it->meta)
		free(it->u.own);
	else if (it->kind == INGERO_REC_NOTE)
		free((char *)it->u.note.text);
	if (rc < 0)
		wfail();
}

/* The whole correction of node o when its domain gets (a, b): for a node of
 * a merged input, the earlier merge's correction composed with ours:
 *   t' = t + o1 + d1 (t - r1);  t'' = t' + a + b (t' - x0)
 *   => t'' = t + [o1 + a + b (r1 + o1 - x0)] + [d1 + b (1 + d1)] (t - r1) */
static void node_total(const struct onode *o, double a, double b, int64_t *off,
		       double *drift_ppb, uint64_t *ref)
{
	const struct dom *d = &G.dom[o->dom];
	if (!o->carried) {
		*off = mrg_round(a);
		*drift_ppb = b * 1e9;
		*ref = (uint64_t)(d->x0 < 0 ? 0 : d->x0);
		return;
	}
	const struct inner *c = o->carried;
	double d1 = c->drift_ppb / 1e9;
	double r1 = (double)c->ref_ts, o1 = (double)c->offset_ns;
	*off = mrg_round(o1 + a + b * (r1 + o1 - (double)d->x0));
	*drift_ppb = (d1 + b * (1 + d1)) * 1e9;
	*ref = c->ref_ts;
}

static void write_nodes(struct ingero_writer *w)
{
	for (int i = 0; i < G.nnode; i++) {
		const struct onode *o = &G.node[i];
		const struct dom *d = &G.dom[o->dom];
		struct ingero_record rec;
		memset(&rec, 0, sizeof(rec));
		rec.kind = INGERO_REC_NODE;
		struct ingero_node *n = &rec.u.nodeinfo;
		n->index = (uint32_t)i;
		n->name = o->name;
		n->host = o->host;
		n->boot_id = o->boot_id;
		n->rank = o->rank;
		n->method = G.no_correct && !d->user ? "none" : d->method;
		n->confidence_ns = d->conf;
		n->samples = d->samples;
		node_total(o, d->a, d->b, &n->offset_ns, &n->drift_ppb, &n->ref_ts);
		if (o->carried && d->a == 0 && d->b == 0) {
			n->method = o->carried->method;
			n->confidence_ns = o->carried->confidence_ns;
			n->samples = o->carried->samples;
		}
		if (ingero_writer_append(w, &rec) < 0)
			wfail();
	}
}

static void on_rotate(void *ctx, struct ingero_writer *w)
{
	(void)ctx;
	write_nodes(w);
	have_ctx = 0;
}

static int out_is_file(const char *o)
{
	size_t n = strlen(o);
	return !strcmp(o, "-") || (n > 4 && !strcmp(o + n - 4, ".igz"));
}

static void open_output(int64_t start)
{
	struct ingero_writer_opts o;
	memset(&o, 0, sizeof(o));
	if (out_is_file(G.out)) {
		o.path = G.out;
	} else {
		if (mkdir(G.out, 0755) < 0 && errno != EEXIST)
			die("%s: cannot create directory: %s", G.out, strerror(errno));
		char p[4096];
		snprintf(p, sizeof(p), "%s/seg-000001.igz", G.out);
		if (access(p, F_OK) == 0)
			die("%s: already holds a recording; choose an empty directory", G.out);
		o.dir = G.out;
		o.seg_max_bytes = G.seg_bytes;
		o.seg_max_ns = UINT64_MAX / 4;   /* rotate by size only */
	}
	o.fsync = INGERO_FSYNC_NONE;
	o.zstd_level = 1;
	o.hdr.node = "merged";
	o.hdr.host = "";
	o.hdr.boot_id = "";
	o.hdr.kernel = "";
	o.hdr.recorder = PROG " " INGERO_VERSION;
	o.hdr.cmdline = G.cmdline;
	o.hdr.clock = "unix";
	o.hdr.start_ts = (uint64_t)(start < 0 ? 0 : start);
	o.hdr.segment = 1;
	o.hdr.rank = -1;
	o.on_rotate = on_rotate;
	struct ingero_error err;
	if (ingero_writer_open(&W, &o, &err) < 0) {
		char buf[1200];
		die("%s", ingero_strerror(&err, buf, sizeof(buf)));
	}
	write_nodes(W);
}

/* heap over the inputs, keyed by a copy of each input's top: (time, node,
 * input); equal inputs never meet, so the sequence is not needed here */
struct top {
	int64_t key;
	uint32_t node;
	int input;
};

static inline int top_lt(const struct top *x, const struct top *y)
{
	if (x->key != y->key)
		return x->key < y->key;
	if (x->node != y->node)
		return x->node < y->node;
	return x->input < y->input;
}

static void sift_down(struct top *hp, int n, int i)
{
	struct top v = hp[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && top_lt(&hp[c + 1], &hp[c]))
			c++;
		if (!top_lt(&hp[c], &v))
			break;
		hp[i] = hp[c];
		i = c;
	}
	hp[i] = v;
}

static inline struct top top_of(int i)
{
	const struct hent *t = &G.in[i].h[0];
	return (struct top){ t->key, t->node, i };
}


/* The writer runs in its own thread: the merging thread hands it batches of
 * items already in output order, and it encodes and compresses them. */
static struct chan *OUT;
static struct batch *out_cur;

static void *writer_thread(void *arg)
{
	struct chan *c = arg;
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->nfull)
			pthread_cond_wait(&c->cv, &c->mu);
		struct batch *b = c->full[c->fhead];
		c->fhead = (c->fhead + 1) % NBATCH;
		c->nfull--;
		pthread_mutex_unlock(&c->mu);
		for (int k = 0; k < b->n; k++)
			emit(&b->it[k]);
		int eof = b->eof;
		pthread_mutex_lock(&c->mu);
		c->empty[c->nempty++] = b;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		if (eof)
			return NULL;
	}
}

static void out_start(void)
{
	struct chan *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	for (int i = 0; i < NBATCH; i++)
		c->empty[c->nempty++] = xcalloc(1, sizeof(struct batch));
	if (pthread_create(&c->th, NULL, writer_thread, c) != 0)
		die("cannot start a thread");
	c->started = 1;
	OUT = c;
}

static void out_hand(int eof)
{
	struct chan *c = OUT;
	if (!out_cur) {
		pthread_mutex_lock(&c->mu);
		while (!c->nempty)
			pthread_cond_wait(&c->cv, &c->mu);
		out_cur = c->empty[--c->nempty];
		pthread_mutex_unlock(&c->mu);
		out_cur->n = 0;
	}
	out_cur->eof = eof;
	pthread_mutex_lock(&c->mu);
	c->full[(c->fhead + c->nfull) % NBATCH] = out_cur;
	c->nfull++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	out_cur = NULL;
}

static inline void out_put(const struct item *it)
{
	if (!out_cur) {
		struct chan *c = OUT;
		pthread_mutex_lock(&c->mu);
		while (!c->nempty)
			pthread_cond_wait(&c->cv, &c->mu);
		out_cur = c->empty[--c->nempty];
		pthread_mutex_unlock(&c->mu);
		out_cur->n = 0;
	}
	out_cur->it[out_cur->n++] = *it;
	if (out_cur->n == BATCH)
		out_hand(0);
}

static void out_finish(void)
{
	out_hand(1);
	struct chan *c = OUT;
	pthread_join(c->th, NULL);
	for (int i = 0; i < c->nempty; i++)
		free(c->empty[i]);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	OUT = NULL;
}

static void pass2(void)
{
	G.pass = 2;
	int64_t start = INT64_MAX;
	uint64_t total = 0;
	for (int i = 0; i < G.nin; i++) {
		struct input *in = &G.in[i];
		total += in->nrec;
		if (in->have_t) {
			int64_t s = dom_conv(&G.dom[in->dom], in->tmin);
			if (s < start)
				start = s;
		}
	}
	if (start == INT64_MAX)
		start = 0;
	open_output(start);
	size_t per = REORDER_CAP_TOTAL / (size_t)G.nin;
	if (per < 4096)
		per = 4096;
	struct top *hp = xcalloc(G.nin, sizeof(*hp));
	int hn = 0;
	for (int i = 0; i < G.nin; i++) {
		struct input *in = &G.in[i];
		open_reader(in, &in->r);
		in->hmax = per;
		in->runmax = in->have_t ? in->tmin : 0;
		in->prunmax = in->runmax;
	}
	for (int i = 0; i < G.nin; i++)
		chan_start(&G.in[i]);
	out_start();
	for (int i = 0; i < G.nin; i++) {
		struct input *in = &G.in[i];
		refill(in);
		if (in->hn)
			hp[hn++] = top_of(i);
	}
	for (int i = hn / 2 - 1; i >= 0; i--)
		sift_down(hp, hn, i);
	uint64_t done = 0;
	double t0 = now_s(), last = t0;
	while (hn) {
		struct input *in = &G.in[hp[0].input];
		out_put(htop(in));
		hpop(in);
		refill(in);
		if (in->hn)
			hp[0] = top_of(hp[0].input);
		else
			hp[0] = hp[--hn];
		sift_down(hp, hn, 0);
		if (G.progress && !(++done & 0xfffff)) {
			double t = now_s();
			if (t - last > 0.5) {
				uint64_t pos = 0;
				for (int i = 0; i < G.nin; i++)
					pos += __atomic_load_n(&G.in[i].nread, __ATOMIC_RELAXED);
				fprintf(stderr, "\r" PROG ": merging %llu / %llu records (%.0f%%) ",
					(unsigned long long)pos, (unsigned long long)total,
					total ? 100.0 * (double)pos / (double)total : 100.0);
				last = t;
			}
		}
	}
	if (G.progress && done > 0xfffff)
		fprintf(stderr, "\r%60s\r", "");
	free(hp);
	out_finish();
	if (ingero_writer_close(W) < 0) {
		W = NULL;
		die("%s: write failed", G.out);
	}
	W = NULL;
	for (int i = 0; i < G.nin; i++) {
		struct input *in = &G.in[i];
		if (in->forced)
			warnx("%s: %llu records arrived later than the reorder window allows; "
			      "output order may be approximate there", in->arg,
			      (unsigned long long)in->forced);
		chan_stop(in);   /* joins the decoding thread: out_clamped is final */
		if (in->out_clamped)
			warnx("%s: %llu corrected timestamp(s) fall outside 0..%lld ns and cannot be "
			      "represented; clamped to the nearest limit", in->arg,
			      (unsigned long long)in->out_clamped, (long long)INT64_MAX);
		ingero_reader_close(in->r);
		in->r = NULL;
		free(in->h);
		free(in->pool);
		free(in->freel);
		in->h = NULL;
		in->pool = NULL;
		in->freel = NULL;
	}
	for (int i = 0; i < G.nnode; i++)
		if (G.node[i].ev_in != G.node[i].ev_out)
			warnx("node '%s': %llu events read, %llu written", G.node[i].name,
			      (unsigned long long)G.node[i].ev_in,
			      (unsigned long long)G.node[i].ev_out);
}

/* ---------------------------------------------------------- cleanup */

/* Frees everything G holds and closes every reader: at the end of a run and
 * on every failure (fail_exit).  While a decoding or writing thread runs
 * (only a fatal error in pass 2 gets here then), nothing is touched: those
 * threads still use it, and it all stays reachable from G until exit. */
static void release_all(void)
{
	if (OUT)
		return;
	for (int i = 0; i < G.nin; i++)
		if (G.in[i].ch)
			return;
	for (int i = 0; i < G.nin; i++) {
		struct input *in = &G.in[i];
		ingero_reader_close(in->r);
		in->r = NULL;
		for (unsigned k = 0; k < in->nmsgs; k++)
			free(in->msgs[k]);
		free(in->msgs);
		free(in->path);
		free(in->name); free(in->host); free(in->boot_id);
		free(in->anch); free(in->nev); free(in->omap);
		mrg_coll_release(&in->coll);
		for (uint32_t k = 0; k < in->nin; k++) {
			free(in->in[k].name); free(in->in[k].host);
			free(in->in[k].boot_id); free(in->in[k].method);
		}
		free(in->in);
		for (size_t k = 0; k < in->hn; k++) {   /* items still held own memory */
			struct item *it = &in->pool[in->h[k].slot];
			if (it->meta)
				free(it->u.own);
			else if (it->kind == INGERO_REC_NOTE)
				free((char *)it->u.note.text);
		}
		free(in->h); free(in->pool); free(in->freel);
	}
	free(G.in);
	G.in = NULL;
	G.nin = 0;
	for (int d = 0; d < G.ndom; d++) {
		ingero_clock_release(&G.dom[d].clock);
		free(G.dom[d].slope);
		free(G.dom[d].pts);
	}
	free(G.dom);
	G.dom = NULL;
	G.ndom = 0;
	for (int i = 0; i < G.nnode; i++) {
		free(G.node[i].name); free(G.node[i].host); free(G.node[i].boot_id);
	}
	free(G.node);
	G.node = NULL;
	G.nnode = 0;
	free(G.cmdline); free(G.uoff); free(G.nn);
	G.cmdline = NULL;
	G.uoff = NULL;
	G.nn = NULL;
}

/* ------------------------------------------------------------- main */

static char *spool_stdin(void)
{
	const char *td = getenv("TMPDIR");
	char *p = xcalloc(4096, 1);
	snprintf(p, 4096, "%s/ingero-merge-stdin-XXXXXX", td && *td ? td : "/tmp");
	int fd = mkstemp(p);
	if (fd < 0)
		die("cannot create a temporary file for stdin: %s", strerror(errno));
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("-: read error: %s", strerror(errno));
		}
		for (ssize_t o = 0; o < n;) {
			ssize_t k = write(fd, buf + o, (size_t)(n - o));
			if (k < 0) {
				if (errno == EINTR)
					continue;
				die("cannot spool stdin: %s", strerror(errno));
			}
			o += k;
		}
	}
	close(fd);
	return p;
}

int main(int argc, char **argv)
{
	main_thread = pthread_self();
	const char **inputs = xcalloc((size_t)argc, sizeof(*inputs));
	int ninputs = 0, opts_done = 0;
	size_t cl = 0;
	for (int i = 0; i < argc; i++)
		cl += strlen(argv[i]) + 1;
	G.cmdline = xcalloc(cl + 1, 1);
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(G.cmdline, " ");
		strcat(G.cmdline, argv[i]);
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
#define NEEDARG() do { if (i + 1 >= argc) usage_err("%s needs an argument", a); } while (0)
		if (opts_done || a[0] != '-' || !strcmp(a, "-")) {
			inputs[ninputs++] = a;
		} else if (!strcmp(a, "--")) {
			opts_done = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help();
			free(inputs);
			free(G.cmdline);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf(PROG " " INGERO_VERSION "\n");
			free(inputs);
			free(G.cmdline);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			NEEDARG();
			G.out = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			G.out = a + 9;
		} else if (!strcmp(a, "--reference")) {
			NEEDARG();
			G.reference = argv[++i];
		} else if (!strcmp(a, "--truth")) {
			NEEDARG();
			G.truth = argv[++i];
		} else if (!strcmp(a, "--offset") || !strcmp(a, "--node-name")) {
			NEEDARG();
			char *v = argv[++i];
			char *eq = strrchr(v, '=');
			if (!eq || eq == v || !eq[1])
				usage_err("%s %s: expected X=Y", a, v);
			*eq = 0;
			if (!strcmp(a, "--offset")) {
				double ns;
				if (parse_delta(eq + 1, &ns) < 0)
					usage_err("--offset %s=%s: bad duration (e.g. +1.25ms)", v, eq + 1);
				G.uoff = xrealloc(G.uoff, (G.nuoff + 1) * sizeof(*G.uoff));
				G.uoff[G.nuoff].node = v;
				G.uoff[G.nuoff].ns = ns;
				G.uoff[G.nuoff++].used = 0;
			} else {
				G.nn = xrealloc(G.nn, (G.nnn + 1) * sizeof(*G.nn));
				G.nn[G.nnn].input = v;
				G.nn[G.nnn].name = eq + 1;
				G.nn[G.nnn++].used = 0;
			}
		} else if (!strcmp(a, "--segment-mb")) {
			NEEDARG();
			char *e;
			double mb = strtod(argv[++i], &e);
			if (*e || !(mb > 0) || mb > 1e6)
				usage_err("--segment-mb %s: expected a positive number", argv[i]);
			G.seg_bytes = (uint64_t)(mb * 1048576.0);
		} else if (!strcmp(a, "--stats")) {
			G.stats = 1;
		} else if (!strcmp(a, "--no-correct")) {
			G.no_correct = 1;
		} else if (!strcmp(a, "--no-collectives")) {
			G.no_collectives = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			G.quiet++;
		} else if (!strcmp(a, "-qq")) {
			G.quiet += 2;
		} else {
			usage_err("unknown option '%s'", a);
		}
	}
	if (!ninputs)
		usage_err("no input given");
	if (!G.out)
		usage_err("no output given (-o OUT)");
	G.progress = isatty(2) && !G.quiet;
	G.in = xcalloc((size_t)ninputs, sizeof(*G.in));
	G.nin = ninputs;
	char **real = xcalloc((size_t)ninputs, sizeof(*real));
	char *outreal = realpath(G.out, NULL);
	int stdin_used = 0;
	for (int i = 0; i < ninputs; i++) {
		struct input *in = &G.in[i];
		in->arg = inputs[i];
		if (!strcmp(in->arg, "-")) {
			if (stdin_used)
				usage_err("'-' (stdin) given twice");
			stdin_used = 1;
			in->path = spool_stdin();
			in->is_tmp = 1;
			continue;
		}
		real[i] = realpath(in->arg, NULL);
		if (!real[i])
			die("%s: cannot open: %s", in->arg, strerror(errno));
		for (int j = 0; j < i; j++)
			if (real[j] && !strcmp(real[j], real[i]))
				die("'%s' and '%s' are the same input; refusing to merge it twice",
				    G.in[j].arg, in->arg);
		if (outreal && !strcmp(outreal, real[i]))
			die("'%s' is both an input and the output", in->arg);
		in->path = xstrdup(in->arg);
	}
	for (int i = 0; i < ninputs; i++)
		free(real[i]);
	free(real);
	free(outreal);
	free(inputs);
	for (int k = 0; k < G.nnn; k++) {
		for (int i = 0; i < ninputs; i++)
			if (!strcmp(G.in[i].arg, G.nn[k].input)) {
				G.in[i].name_override = G.nn[k].name;
				G.nn[k].used = 1;
			}
		if (!G.nn[k].used)
			usage_err("--node-name %s=%s: no such input", G.nn[k].input, G.nn[k].name);
	}
	G.pass = 1;
	double t0 = now_s(), p0 = proc_cpu_s();
	pass1_all();
	build_domains();
	estimate();
	double t1 = now_s(), p1 = proc_cpu_s();
	report();
	double c1 = thread_cpu_s();
	pass2();
	double t2 = now_s(), c2 = thread_cpu_s(), p2 = proc_cpu_s();
	if (G.stats) {
		uint64_t ev = 0, rec = 0;
		for (int i = 0; i < G.nnode; i++)
			ev += G.node[i].ev_out;
		for (int i = 0; i < G.nin; i++)
			rec += G.in[i].nrec;
		fprintf(stderr, PROG ": stats: %llu records, %llu events; pass 1 + estimate %.3f s "
			"(%.3f s cpu), pass 2 %.3f s (%.3f s cpu, merging thread %.3f s), total %.3f s, "
			"%.2f M events/s\n",
			(unsigned long long)rec, (unsigned long long)ev, t1 - t0, p1 - p0, t2 - t1,
			p2 - p1, c2 - c1, t2 - t0, t2 > t0 ? (double)ev / (t2 - t0) / 1e6 : 0);
	}
	if (G.quiet < 2) {
		uint64_t ev = 0;
		for (int i = 0; i < G.nnode; i++)
			ev += G.node[i].ev_out;
		if (!G.quiet)
			fprintf(stderr, PROG ": merged %d node(s), %llu events -> %s\n", G.nnode,
				(unsigned long long)ev, G.out);
	}
	cleanup_tmp();
	release_all();
	return 0;
}
