/*
 * clock.c - ingero-merge clock domains and the skew estimate (docs/merge.md
 * "Clock-skew estimation").  A domain is one node, or all nodes of one
 * merged input; each gets corrected = w + a + b * (w - x0), from the first
 * applicable source: user (--offset) > reference > collectives > anchors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_int.h"

static int cmp_pt(const void *a, const void *b)
{
	const struct mrg_coll_pt *p = a, *q = b;
	if (p->comm != q->comm)
		return p->comm < q->comm ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

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

static int ranges_overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	return a0 < b1 && b0 < a1;   /* touching ranges do not overlap */
}

static int add_node(struct mrg *m, const char *name, const char *host, const char *boot,
		    int32_t rank, int dom, int input, struct inner *carried)
{
	for (int i = 0; i < m->nnode; i++)
		if (!strcmp(m->node[i].name, name)) {
			const char *other = m->in[m->node[i].input].arg;
			return mrg_fail(m, NULL, "inputs '%s' and '%s' both claim node '%s'%s", other,
					m->in[input].arg, name,
					m->node[i].boot_id[0] && !strcmp(m->node[i].boot_id, boot) ?
					" (same boot id, overlapping time: the same recording twice?)" : "");
		}
	m->node = xrealloc(m->node, (m->nnode + 1) * sizeof(*m->node));
	m->node[m->nnode++] = (struct onode){ xstrdup(name), xstrdup(host), xstrdup(boot), rank,
					      dom, input, carried, 0, 0 };
	return 0;
}

/* the domain of input i (a later piece of a node already seen: same boot
 * id, disjoint time ranges), and its output nodes */
static int assign_domain(struct mrg *m, int i)
{
	struct input *in = &m->in[i];
	in->dom = -1;
	if (!in->unix_clock) {
		for (int j = 0; j < i; j++) {
			struct input *p = &m->in[j];
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
		in->dom = m->ndom++;
		struct dom *d = &m->dom[in->dom];
		d->merged = in->unix_clock;
		d->first_input = i;
		ingero_clock_init(&d->clock);
		d->via = -1;
	}
	uint32_t n = in->unix_clock ? in->nin : 1;
	in->omap = xcalloc(n, sizeof(*in->omap));
	if (in->unix_clock) {
		for (uint32_t k = 0; k < n; k++) {
			in->omap[k] = (uint32_t)m->nnode;
			if (add_node(m, in->in[k].name, in->in[k].host, in->in[k].boot_id,
				     in->in[k].rank, in->dom, i, &in->in[k]) < 0)
				return -1;
		}
	} else if (m->dom[in->dom].first_input == i) {
		in->omap[0] = (uint32_t)m->nnode;
		if (add_node(m, in->name, in->host, in->boot_id, in->rank, in->dom, i, NULL) < 0)
			return -1;
	} else {
		in->omap[0] = m->in[m->dom[in->dom].first_input].omap[0];
	}
	for (uint32_t k = 0; k < n; k++)
		m->node[in->omap[k]].ev_in += in->nev[k < in->nin || !k ? k : 0];
	return 0;
}

/* clock, wall range and collective end times of domain di */
static void fill_domain(struct mrg *m, int di)
{
	struct dom *d = &m->dom[di];
	size_t cap = 0;
	for (int i = 0; i < m->nin; i++) {
		struct input *in = &m->in[i];
		if (in->dom != di)
			continue;
		for (size_t k = 0; k < in->nanch; k++) {
			if (ingero_clock_add(&d->clock, &in->anch[k]) < 0)
				ig_die("out of memory");
			if (in->anch[k].error_ns > d->anchor_err)
				d->anchor_err = in->anch[k].error_ns;
			d->have_anchors = 1;
		}
		mrg_coll_thin(&in->coll, m->level);
		cap += in->coll.n;
	}
	if (d->have_anchors)
		dom_slopes(d);
	d->pts = xcalloc(cap, sizeof(*d->pts));
	for (int i = 0; i < m->nin; i++) {
		struct input *in = &m->in[i];
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
		mrg_warn(m, NULL, "node '%s' has no clock anchors: its boottime stamps are taken "
			 "as unix time", m->in[d->first_input].name);
}

int mrg_build_domains(struct mrg *m)
{
	m->dom = xcalloc(m->nin, sizeof(*m->dom));
	for (int i = 0; i < m->nin; i++)
		if (assign_domain(m, i) < 0)
			return -1;
	m->level = 0;
	for (int i = 0; i < m->nin; i++)
		if (m->in[i].coll.level > m->level)
			m->level = m->in[i].coll.level;
	for (int di = 0; di < m->ndom; di++)
		fill_domain(m, di);
	return 0;
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

const char *mrg_dom_name(const struct mrg *m, int di)
{
	const struct dom *d = &m->dom[di];
	const struct input *in = &m->in[d->first_input];
	return d->merged ? in->in[0].name : in->name;
}

static void fit_collectives(struct mrg *mr, struct dom *n, const struct dom *m, size_t cnt)
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
		ig_die("out of memory");
	n->est_a = f.a;
	n->est_b = f.b;
	n->conf = f.rms;
	n->samples = f.inliers;
	n->method = "collectives";
	n->solved = 1;
	const char *nm = mrg_dom_name(mr, (int)(n - mr->dom));
	if (f.inliers < 8)
		mrg_warn(mr, NULL, "node '%s': only %zu matched collectives: weak offset evidence",
			 nm, f.inliers);
	if (f.inliers * 10 < f.n * 8)
		mrg_warn(mr, NULL, "node '%s': %zu of %zu collective samples rejected as outliers: "
			 "inconsistent evidence", nm, f.n - f.inliers, f.n);
	if (fabs(f.b) > 200e-6)
		mrg_warn(mr, NULL, "node '%s': fitted drift %+.1f ppm is implausible for a quartz "
			 "clock: inconsistent evidence", nm, f.b * 1e6);
	if (f.rms > 50000)
		mrg_warn(mr, NULL, "node '%s': collective residual %.1f us: weak offset evidence",
			 nm, f.rms / 1e3);
	free(x);
	free(y);
}

static int find_node(const struct mrg *m, const char *name)
{
	int found = -1;
	for (int i = 0; i < m->nnode; i++)
		if (!strcmp(m->node[i].name, name))
			found = i;
	return found;
}

/* --reference and --offset: 0 or IG_EXIT_USAGE */
static int resolve_user(struct mrg *m)
{
	m->ref = m->node[0].dom;
	if (m->reference) {
		int found = find_node(m, m->reference);
		if (found < 0)
			return ig_usage_error("--reference %s: no such node", m->reference);
		m->ref = m->node[found].dom;
	}
	for (int u = 0; u < m->nuoff; u++) {
		int found = find_node(m, m->uoff[u].node);
		if (found < 0)
			return ig_usage_error("--offset %s: no such node", m->uoff[u].node);
		struct dom *d = &m->dom[m->node[found].dom];
		if (d->merged && m->in[d->first_input].nin > 1)
			mrg_warn(m, NULL, "--offset %s applies to every node of merged input '%s'",
				 m->uoff[u].node, m->in[d->first_input].arg);
		d->user = 1;
		d->user_a = m->uoff[u].ns;
	}
	for (int di = 0; di < m->ndom; di++) {
		struct dom *d = &m->dom[di];
		if (d->user) {
			d->est_a = d->user_a;
			d->method = "user";
			d->solved = 1;
		} else if (di == m->ref) {
			d->method = "reference";
			d->solved = 1;
			d->conf = 0;
		}
	}
	return 0;
}

/* collectives: repeatedly attach the unsolved domain with the most matches
 * to any solved one (reference first on ties) */
static void attach_by_collectives(struct mrg *m)
{
	for (;;) {
		int bn = -1, bm = -1;
		size_t best = 0;
		for (int n = 0; n < m->ndom; n++) {
			if (m->dom[n].solved)
				continue;
			for (int pass = 0; pass < 2; pass++)
				for (int k = 0; k < m->ndom; k++) {
					if (!m->dom[k].solved || (pass == 0) != (k == m->ref))
						continue;
					size_t c = count_matches(&m->dom[n], &m->dom[k]);
					if (c > best) {
						best = c; bn = n; bm = k;
					}
				}
		}
		if (bn < 0 || best < MIN_MATCHES)
			break;
		m->dom[bn].via = bm;
		fit_collectives(m, &m->dom[bn], &m->dom[bm], best);
	}
}

/* what is left: anchors only; then the warnings, and what is applied */
static void finish_domain(struct mrg *m, int di)
{
	struct dom *d = &m->dom[di], *r = &m->dom[m->ref];
	const char *ref = mrg_dom_name(m, m->ref);
	if (!d->solved) {
		size_t few = 0;
		for (int k = 0; k < m->ndom; k++)
			if (k != di)
				few += count_matches(d, &m->dom[k]);
		d->method = d->merged ? "carried" : "anchors";
		d->solved = 1;
		double e = (double)d->anchor_err, er = (double)r->anchor_err;
		d->conf = d->merged ? 0 : sqrt(e * e + er * er);
		if (!m->no_collectives && !d->merged)
			mrg_warn(m, NULL, "node '%s': %s matched collectives: anchor-only alignment "
				 "(error bound +-%.3f ms)", mrg_dom_name(m, di),
				 few ? "too few" : "no", d->conf / 1e6);
		if (d->have_w && r->have_w && !ranges_overlap(d->wmin, d->wmax, r->wmin, r->wmax))
			mrg_warn(m, NULL, "node '%s' has no time overlap with reference '%s': "
				 "anchor-only alignment", mrg_dom_name(m, di), ref);
	}
	/* after the correction: a node matched to the reference overlaps it */
	if (!strcmp(d->method, "collectives") && d->have_w && r->have_w &&
	    !ranges_overlap(dom_fix(d, d->est_a, d->est_b, d->wmin),
			    dom_fix(d, d->est_a, d->est_b, d->wmax),
			    dom_fix(r, r->est_a, r->est_b, r->wmin),
			    dom_fix(r, r->est_a, r->est_b, r->wmax)))
		mrg_warn(m, NULL, "node '%s' has no time overlap with reference '%s': aligned "
			 "through '%s' by collectives", mrg_dom_name(m, di), ref,
			 mrg_dom_name(m, d->via));
	/* not a warning: the collectives measured what the anchors could not
	 * (the table explains which estimate was used and why) */
	d->beyond_anchors = !strcmp(d->method, "collectives") && d->anchor_err && r->anchor_err &&
		fabs(d->est_a) > ((double)d->anchor_err + (double)r->anchor_err) * 4;
	if (m->no_correct && !d->user) {
		d->a = 0;
		d->b = 0;
	} else {
		d->a = d->est_a;
		d->b = d->est_b;
	}
}

int mrg_estimate(struct mrg *m)
{
	int rc = resolve_user(m);
	if (rc)
		return rc;
	attach_by_collectives(m);
	for (int di = 0; di < m->ndom; di++)
		finish_domain(m, di);
	if (m->no_collectives && !m->quiet)
		fprintf(stderr, PROG ": --no-collectives: aligning by clock anchors only\n");
	return 0;
}
