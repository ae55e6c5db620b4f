/*
 * report.c - ingero-merge's correction table on stderr, and the comparison
 * with a demo's truth.json (--truth).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_int.h"

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

static void truth_keys(struct truth *t, const char *e, const char *next)
{
	double v;
	if (num_after(e, "\"offset_ns\"", next, &v)) { t->off_ns = v; t->have_off = 1; }
	else if (num_after(e, "\"offset_us\"", next, &v)) { t->off_ns = v * 1e3; t->have_off = 1; }
	else if (num_after(e, "\"offset_ms\"", next, &v)) { t->off_ns = v * 1e6; t->have_off = 1; }
	if (num_after(e, "\"drift_ppm\"", next, &v)) { t->drift_ppm = v; t->have_drift = 1; }
	else if (num_after(e, "\"drift_ppb\"", next, &v)) { t->drift_ppm = v / 1e3; t->have_drift = 1; }
}

/* the nodes of truth.json in *out; their number, or -1 */
static int load_truth(struct mrg *m, const char *path, struct truth **out)
{
	size_t len;
	char *b = slurp(path, &len);
	if (!b)
		return mrg_fail(m, NULL, "%s: cannot read: %s", path, strerror(errno));
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
		truth_keys(&t[n], e, strstr(e, "\"name\""));
		n++;
		p = e;
	}
	const char *t0 = strstr(b, "\"t0_unix_ns\"");
	if (!t0)
		t0 = strstr(b, "\"t0_ns\"");
	if (t0 && (t0 = strchr(t0, ':')))
		m->truth_t0 = strtoll(t0 + 1, NULL, 10);
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

static void fmt_off(char *b, size_t n, double ns)
{
	snprintf(b, n, "%+.6f ms", ns / 1e6);
}

/* The whole correction of node o when its domain gets (a, b): for a node of
 * a merged input, the earlier merge's correction composed with ours:
 *   t' = t + o1 + d1 (t - r1);  t'' = t' + a + b (t' - x0)
 *   => t'' = t + [o1 + a + b (r1 + o1 - x0)] + [d1 + b (1 + d1)] (t - r1) */
void mrg_node_total(const struct mrg *m, const struct onode *o, double a, double b,
		    int64_t *off, double *drift_ppb, uint64_t *ref)
{
	const struct dom *d = &m->dom[o->dom];
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

/* the truth columns of node o: the true correction and our error */
static void truth_cols(const struct mrg *m, const struct truth *tn, const struct truth *tref,
		       int64_t tot_off, double tot_drift, uint64_t tot_ref)
{
	/* node clock = true + off + drift*(t - t0): correction = -(node - ref) */
	double toff = -(tn->off_ns - tref->off_ns);
	/* our offset is at x0; evaluate it at the truth's t0 */
	double est = (double)tot_off;
	if (m->truth_t0)
		est += tot_drift / 1e9 * (double)mrg_ssub(
			mrg_sadd(m->truth_t0, mrg_round(tn->off_ns)), mrg_u2i(tot_ref));
	double tdr = -(tn->drift_ppm - tref->drift_ppm);
	char tb[64];
	fmt_off(tb, sizeof(tb), toff);
	fprintf(stderr, " %16s %9.3f us %+8.3f ppm %+6.3f ppm", tb, (est - toff) / 1e3, tdr,
		tot_drift / 1e3 - tdr);
}

/* [1]: which estimate was used and why, when the two sources disagree */
static void footnote(const struct mrg *m)
{
	double bound = 0;
	for (int di = 0; di < m->ndom; di++) {
		const struct dom *d = &m->dom[di];
		double b = (double)d->anchor_err + (double)m->dom[m->ref].anchor_err;
		if (d->beyond_anchors && b > bound)
			bound = b;
	}
	if (bound > 0)
		fprintf(stderr, "  [1] collectives used: the offset is beyond the clock anchors' error "
			"bounds (+-%.3f ms), so anchors alone would misalign this node; matched "
			"collectives measure it directly\n", bound / 1e6);
}

int mrg_report(struct mrg *m)
{
	struct truth *t = NULL;
	int nt = 0;
	if (m->truth && (nt = load_truth(m, m->truth, &t)) < 0)
		return -1;
	const struct truth *tref = nt ? truth_find(t, nt, mrg_dom_name(m, m->ref)) : NULL;
	if (m->quiet) {
		free(t);
		return 0;
	}
	fprintf(stderr, PROG ": clock correction (reference '%s'%s):\n", mrg_dom_name(m, m->ref),
		m->no_correct ? ", --no-correct: nothing applied" : "");
	fprintf(stderr, "  %-16s %-12s %16s %12s %12s %8s", "node", "method", "offset",
		"drift", "residual", "samples");
	if (nt)
		fprintf(stderr, " %16s %12s %12s %10s", "true offset", "error", "true drift", "error");
	fputc('\n', stderr);
	for (int i = 0; i < m->nnode; i++) {
		const struct onode *o = &m->node[i];
		const struct dom *d = &m->dom[o->dom];
		char off[64], res[32], smp[32];
		int64_t tot_off;
		double tot_drift;
		uint64_t tot_ref;
		mrg_node_total(m, o, d->est_a, d->est_b, &tot_off, &tot_drift, &tot_ref);
		fmt_off(off, sizeof(off), (double)tot_off);
		if (!strcmp(d->method, "reference") || !strcmp(d->method, "carried"))
			snprintf(res, sizeof(res), "-");
		else
			snprintf(res, sizeof(res), "%.3f us", d->conf / 1e3);
		snprintf(smp, sizeof(smp), "%llu", (unsigned long long)d->samples);
		fprintf(stderr, "  %-16s %-12s %16s %+8.3f ppm %12s %8s", o->name, d->method, off,
			tot_drift / 1e3, res, smp);
		const struct truth *tn = nt ? truth_find(t, nt, o->name) : NULL;
		if (tn && tref)
			truth_cols(m, tn, tref, tot_off, tot_drift, tot_ref);
		if (d->via >= 0 && d->via != m->ref && !strcmp(d->method, "collectives"))
			fprintf(stderr, " (via %s)", mrg_dom_name(m, d->via));
		if (d->beyond_anchors)
			fprintf(stderr, "  [1]");
		fputc('\n', stderr);
	}
	footnote(m);
	free(t);
	return 0;
}
