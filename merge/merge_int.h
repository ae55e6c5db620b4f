/*
 * merge_int.h - the model of one ingero-merge run, shared by its units:
 *
 *   main.c    the command line, the run's phases, cleanup
 *   input.c   pass 1: read every input once (headers, node tables, anchors,
 *             collectives, time ranges, reorder windows); messages
 *   clock.c   clock domains and the skew estimate
 *   report.c  the correction table (and --truth)
 *   kway.c    pass 2: decoding threads, reorder heaps, the k-way merge
 *   output.c  the writer thread: NODE table, CTX records, the records
 *
 * All state of a run lives in one struct mrg, passed explicitly.  Errors are
 * returned (-1 after the message was printed or, in a pass-1 thread, kept
 * with its input); only running out of memory exits at once (common.h x*).
 * Not a public API.
 */
#ifndef INGERO_MERGE_INT_H
#define INGERO_MERGE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "common.h"
#include "ingero.h"
#include "merge.h"

#define PROG "ingero-merge"
#define REORDER_CAP_TOTAL (1u << 18)   /* held records over all inputs (32 MiB) */
#define MIN_MATCHES 3
#define MRG_WINDOW_DEFAULT 10000000    /* --order-window, ns */

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
	int64_t b;                 /* order bucket: key / window (key when 0) */
	int64_t key;
	uint64_t seq;
	uint32_t node, slot;
};

struct mrg;
struct chan;

struct input {
	struct mrg *m;             /* the run it belongs to */
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
	uint64_t size;             /* bytes on disk (for progress) */
	uint64_t pbytes;           /* bytes read in this pass, published for progress */
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
	int multi;                 /* a merged input of several nodes */
	int64_t fin_nat;           /* for multi: runmax - late when fin_b was made */
	int64_t fin_b;             /* bucket of every later record is >= fin_b */
	struct hent *h;            /* reorder heap (kway.c: items in the batch or the pool) */
	struct item *pool;
	uint32_t *freel;
	size_t hn, hcap, hmax, pcap, nfree;
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
	/* collectives found an offset beyond the anchors' error bounds: the
	 * table says so (anchors alone would be off by est_a) */
	int beyond_anchors;
};

struct onode {
	char *name, *host, *boot_id;
	int32_t rank;
	int dom, input;
	struct inner *carried;     /* NODE entry of a merged input, or NULL */
	uint64_t ev_in, ev_out;
};

/* One decoding thread per input hands batches of items to the merging
 * thread, which hands batches in output order to the writer thread. */
#define BATCH 4096
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
	struct batch *cur;         /* consumer's batch */
	int pos;
	int stop;                  /* consumer gave up: the producer ends */
	pthread_t th;
	int started;
};

struct mrg_uoff { const char *node; double ns; int used; };
struct mrg_nn { const char *input, *name; int used; };

struct mrg {
	struct input *in;
	int nin;
	struct dom *dom;
	int ndom;
	struct onode *node;
	int nnode;
	/* options */
	const char *out;
	const char *reference;
	const char *truth;
	int no_correct, no_collectives, quiet, stats, force;
	uint64_t seg_bytes;
	int64_t window;            /* --order-window ns: per-node runs (0 strict) */
	struct mrg_uoff *uoff;
	int nuoff;
	struct mrg_nn *nn;
	int nnn;
	char *cmdline;
	/* run */
	int pass;
	unsigned level;            /* common collective sampling level */
	int ref;
	int64_t truth_t0;
	unsigned warnings;
	int p1_next, p1_done;      /* pass-1 work queue */
	uint64_t in_bytes;         /* all inputs on disk */
	struct ig_progress prog;
	/* output (writer thread once started) */
	struct ingero_writer *w;
	struct ig_out o;           /* a file output: its temporary until commit */
	int made_dir;              /* a directory output this run created */
	uint32_t cur_node;
	int have_ctx;
	struct ingero_record ctx;
	struct chan *outc;         /* merging thread -> writer thread */
	struct batch *out_cur;
	int wfailed;               /* the writer failed: werr says why */
	char *werr;
};

/* ---------------------------------------------------------- messages */

/* A warning: printed at once, or (for input `in` in pass 1, whose threads
 * run in parallel) kept with the input and printed in input order after
 * pass 1, so stderr stays deterministic.  in may be NULL. */
void mrg_warn(struct mrg *m, struct input *in, const char *fmt, ...) IG_PRINTF(3, 4);
/* An error, printed (or kept, as above, as the input's fatal message).
 * Returns -1. */
int mrg_fail(struct mrg *m, struct input *in, const char *fmt, ...) IG_PRINTF(3, 4);

/* ------------------------------------------------------------ records */

static inline int mrg_is_timed(int kind)
{
	return kind == INGERO_REC_EVENT || kind == INGERO_REC_SYS || kind == INGERO_REC_GPU ||
	       kind == INGERO_REC_LOST || kind == INGERO_REC_NOTE || kind == INGERO_REC_SAMPLING;
}

static inline int mrg_is_meta(int kind)
{
	return kind == INGERO_REC_PROCESS || kind == INGERO_REC_THREAD ||
	       kind == INGERO_REC_MODULE || kind == INGERO_REC_SYMBOL ||
	       kind == INGERO_REC_STACK || kind == INGERO_REC_PYFRAME;
}

/* The record's time as int64 ns; *over is set when it lies above INT64_MAX
 * and was clamped there (see mrg_u2i). */
static inline int64_t mrg_rec_ts(const struct ingero_record *r, int *over)
{
	uint64_t t = 0;
	if (r->kind != INGERO_REC_ANCHOR)   /* anchors are clock input, not timeline */
		ingero_record_ts(r, &t);
	*over = t > (uint64_t)INT64_MAX;
	return mrg_u2i(t);
}

/* Open in->path for reading; -1 after the error was reported. */
int mrg_open_reader(struct input *in, struct ingero_reader **r);
/* Free what an item owns (a metadata copy, a note's text). */
void mrg_item_release(struct item *it);

/* ------------------------------------------------------ pass 1 (input.c) */

/* Read every input once, in parallel; print the kept messages.  0 or -1. */
int mrg_pass1(struct mrg *m);

/* ---------------------------------------------- clock domains (clock.c) */

/* The anchors' piecewise-linear map (ingero_clock's model), evaluated with a
 * cached segment (*seg, one per reading thread) and a precomputed slope:
 * records of one node arrive in nearly increasing time, so the segment
 * rarely changes. */
static inline int64_t dom_wall_c(const struct dom *d, int64_t nat, size_t *seg)
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

static inline int64_t dom_wall(const struct dom *d, int64_t nat)
{
	size_t seg = 0;
	return dom_wall_c(d, nat, &seg);
}

static inline int64_t dom_conv_c(const struct dom *d, int64_t nat, size_t *seg)
{
	return dom_fix(d, d->a, d->b, dom_wall_c(d, nat, seg));
}

static inline int64_t dom_conv(const struct dom *d, int64_t nat)
{
	return dom_fix(d, d->a, d->b, dom_wall(d, nat));
}

/* Group the inputs into clock domains and output nodes.  0 or -1. */
int mrg_build_domains(struct mrg *m);
/* Resolve --reference and --offset (IG_EXIT_USAGE when a node is unknown),
 * then estimate every domain's correction.  0 or an exit code. */
int mrg_estimate(struct mrg *m);
const char *mrg_dom_name(const struct mrg *m, int di);

/* ---------------------------------------------------- report (report.c) */

/* The whole correction of node o when its domain gets (a, b). */
void mrg_node_total(const struct mrg *m, const struct onode *o, double a, double b,
		    int64_t *off, double *drift_ppb, uint64_t *ref);
/* The correction table on stderr (unless -q).  0 or -1 (--truth unreadable). */
int mrg_report(struct mrg *m);

/* ----------------------------------------------------- pass 2 (kway.c) */

/* Merge every input into the output.  0 or -1. */
int mrg_pass2(struct mrg *m);

/* --------------------------------------------------- output (output.c) */

/* Check -o before any work: a file output gets its temporary beside the
 * target (an existing file only with --force; never a device, FIFO,
 * symbolic link or directory), a directory output is created or must hold
 * no recording yet.  0 or -1. */
int mrg_out_prepare(struct mrg *m);
/* Open the writer (header start time `start`) and write the node table. */
int mrg_out_open(struct mrg *m, int64_t start);
/* Start / feed / finish the writer thread. */
int mrg_out_start(struct mrg *m);
void mrg_out_put(struct mrg *m, const struct item *it);
void mrg_out_finish(struct mrg *m);
/* Close the writer and, for a file output, commit it when ok (else the
 * temporary is removed and an existing OUT stays); 0 or -1 (also when the
 * writer thread failed). */
int mrg_out_close(struct mrg *m, int ok);

#endif
