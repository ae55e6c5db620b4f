/* import_rec.c - record -> row translation for Ingero-C recordings.
 *
 * Per node slot of the input: its clock (anchors), processes, modules,
 * symbols and stacks, so events become rows with unix-ns START timestamps,
 * comm/rank of their process and the stack hash the original computes.
 * Memory is bounded by the metadata, never by the number of events. */
#include <stdlib.h>
#include <string.h>

#include "import_int.h"

/* ----------------------------------------------------- object maps */

/* the object stored under k, or NULL */
static void *obj_get(const struct ig_map *m, uint64_t k)
{
	uint64_t *v = k == IG_MAP_EMPTY ? NULL : ig_map_get(m, k);
	return v ? (void *)(uintptr_t)*v : NULL;
}

/* the object stored under k, or a new zeroed one of sz bytes (*isnew);
 * NULL for the one key a map cannot hold (a hostile id: not resolved) */
static void *obj_put(struct ig_map *m, uint64_t k, size_t sz, int *isnew)
{
	void *o = obj_get(m, k);
	*isnew = 0;
	if (o || k == IG_MAP_EMPTY)
		return o;
	o = xcalloc(1, sz);
	ig_map_xput(m, k, (uint64_t)(uintptr_t)o);
	*isnew = 1;
	return o;
}

static void obj_release(struct ig_map *m, void (*fv)(void *))
{
	for (size_t i = 0; fv && i < m->cap; i++)
		if (m->keys[i] != IG_MAP_EMPTY)
			fv((void *)(uintptr_t)m->vals[i]);
	ig_map_release(m);
}

static void proc_free(void *p)
{
	struct proc *pr = p;
	free(pr->comm);
	free(pr);
}
static void sym_free(void *p) { free(((struct sym *)p)->name); free(p); }
static void pyf_free(void *p) { free(((struct pyf *)p)->file); free(((struct pyf *)p)->func); free(p); }
static void mod_free(void *p) { free(((struct mod *)p)->path); free(p); }

static void set_str(char **dst, const char *s)
{
	if (!s || !*s)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

/* ------------------------------------------------------- node slots */

static struct gnode *gnode_get(struct importer *im, const char *name)
{
	struct gnode **pp = &im->nodes;
	for (; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name))
			return *pp;
	struct gnode *g = xcalloc(1, sizeof *g);
	g->name = xstrdup(name);
	g->rank = -1;
	*pp = g;
	return g;
}

void imp_lnodes_free(struct importer *im)
{
	for (size_t i = 0; i < im->nln; i++) {
		struct lnode *l = &im->ln[i];
		ingero_clock_release(&l->clock);
		obj_release(&l->procs, proc_free);
		obj_release(&l->syms, sym_free);
		obj_release(&l->pyfs, pyf_free);
		obj_release(&l->mods, mod_free);
		ig_map_release(&l->stacks);
		free(l->name);
		free(l->cmdline);
	}
	free(im->ln);
	im->ln = NULL;
	im->nln = 0;
	free(im->hdr_node);
	im->hdr_node = NULL;
}

struct lnode *imp_lnode(struct importer *im, uint32_t idx)
{
	if (idx >= 1u << 20)
		return NULL;
	if (idx >= im->nln) {
		size_t n = idx + 1;
		im->ln = xrealloc(im->ln, n * sizeof *im->ln);
		memset(im->ln + im->nln, 0, (n - im->nln) * sizeof *im->ln);
		for (size_t i = im->nln; i < n; i++)
			ingero_clock_init(&im->ln[i].clock);
		im->nln = n;
	}
	struct lnode *l = &im->ln[idx];
	if (!l->g) {
		char nm[300];
		if (l->name)
			snprintf(nm, sizeof nm, "%s", l->name);
		else if (idx == 0 && im->hdr_node && *im->hdr_node)
			snprintf(nm, sizeof nm, "%s", im->hdr_node);
		else if (idx == 0)
			imp_base_name(im->path, nm, sizeof nm);
		else
			snprintf(nm, sizeof nm, "node%u", idx);
		l->g = gnode_get(im, nm);
	}
	return l;
}

int64_t imp_to_wall(struct importer *im, struct lnode *l, uint64_t ts)
{
	if (im->identity)
		return (int64_t)ts;
	if (!l->have_anchor) {
		if (!l->warned_clock) {
			l->warned_clock = 1;
			imp_warn(im, "%s: node %s: no clock anchor, timestamps stay CLOCK_BOOTTIME",
				 im->path, l->g ? l->g->name : "?");
		}
		return (int64_t)ts;
	}
	return ingero_clock_to_wall(&l->clock, ts);
}

static void add_anchor(struct lnode *l, const struct ingero_anchor *a)
{
	if (!a->boottime && !a->realtime)
		return;
	if (ingero_clock_add(&l->clock, a) == 0)   /* duplicates are merged there */
		l->have_anchor = 1;
}

static struct proc *proc_get(struct lnode *l, uint32_t pid, int create)
{
	int isnew;
	struct proc *p = create ? obj_put(&l->procs, pid, sizeof *p, &isnew) : obj_get(&l->procs, pid);
	if (p && create && isnew)
		p->rank = p->local_rank = p->world_size = -1;
	return p;
}

/* ------------------------------------------------------------ stacks */

uint64_t imp_stack_hash(unsigned depth, const uint64_t *ips, const char *const *syms,
			const char *const *files)
{
	uint64_t h = IG_FNV64_OFFSET;
	int symbolic = 0;
	for (unsigned i = 0; i < depth; i++)
		if ((syms && syms[i] && *syms[i]) || (files && files[i] && *files[i]))
			symbolic = 1;
	if (!symbolic) {
		for (unsigned i = 0; i < depth; i++) {
			unsigned char le[8];
			for (int b = 0; b < 8; b++)
				le[b] = (unsigned char)(ips[i] >> (8 * b));
			h = ig_fnv64a(h, le, 8);
		}
		return h;
	}
	static const unsigned char zero4[4];
	for (unsigned i = 0; i < depth; i++) {
		const char *s = syms && syms[i] ? syms[i] : "";
		const char *f = files && files[i] ? files[i] : "";
		/* symbol \0 file \0 pyfile \0 pyfunc \0 pyline(u32 LE): no Python frames here */
		h = ig_fnv64a(h, s, strlen(s) + 1);
		h = ig_fnv64a(h, f, strlen(f) + 1);
		h = ig_fnv64a(h, "\0\0", 2);
		h = ig_fnv64a(h, zero4, 4);
	}
	return h;
}

/* the module of pid (or of every process, pid 0) that maps ip; the most
 * specific pid wins, then the lowest module id (deterministic) */
static const struct mod *find_module(struct lnode *l, uint32_t pid, uint64_t ip)
{
	const struct mod *best = NULL;
	for (size_t i = 0; i < l->mods.cap; i++) {
		if (l->mods.keys[i] == IG_MAP_EMPTY)
			continue;
		const struct mod *m = (const struct mod *)(uintptr_t)l->mods.vals[i];
		if ((m->pid == pid || m->pid == 0) && ip >= m->start && ip < m->end)
			if (!best || m->pid > best->pid || (m->pid == best->pid && m->id < best->id))
				best = m;
	}
	return best;
}

/* ips and frames of a stack as the JSON text of stack_traces */
static void stack_json(FILE *ips, FILE *fr, unsigned d, const uint64_t *ip, char *const *syms,
		       const char *const *files)
{
	fputc('[', ips);
	fputc('[', fr);
	for (unsigned i = 0; i < d; i++) {
		fprintf(ips, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)ip[i]);
		fputs(i ? ",{" : "{", fr);
		if (syms[i]) {
			fputs("\"s\":", fr);
			ig_json_str(fr, syms[i]);
		} else {
			fprintf(fr, "\"i\":\"0x%llx\"", (unsigned long long)ip[i]);
		}
		if (files[i]) {
			const char *b = strrchr(files[i], '/');
			fputs(",\"f\":", fr);
			ig_json_str(fr, b ? b + 1 : files[i]);
		}
		fputc('}', fr);
	}
	fputc(']', ips);
	fputc(']', fr);
}

static int on_stack(struct importer *im, struct lnode *l, const struct ingero_stack *s)
{
	unsigned d = s->depth > INGERO_STACK_MAX ? INGERO_STACK_MAX : s->depth;
	char *syms[INGERO_STACK_MAX] = { 0 };
	const char *files[INGERO_STACK_MAX] = { 0 };
	char *ips = NULL, *fr = NULL;
	size_t nips = 0, nfr = 0;
	int rc;

	for (unsigned i = 0; i < d; i++) {
		const struct mod *m = NULL;
		const struct sym *sy = s->syms[i] ? obj_get(&l->syms, s->syms[i]) : NULL;
		if (sy) {
			syms[i] = xasprintf("%s+0x%x", sy->name, s->offs[i]);
			m = obj_get(&l->mods, sy->module_id);
		}
		if (!m && l->mods.n)
			m = find_module(l, s->pid, s->ips[i]);
		files[i] = m ? m->path : NULL;
	}
	uint64_t h = imp_stack_hash(d, s->ips, (const char *const *)syms, files);
	const struct pyf *py[INGERO_STACK_PY_MAX];
	unsigned npy = s->npy > INGERO_STACK_PY_MAX ? INGERO_STACK_PY_MAX : s->npy;
	static const struct pyf unknown = { 0, "", "" };
	if (npy) {
		/* the Python frames continue the hash as the original's frames
		 * would carry them: "" \0 "" \0 pyfile \0 pyfunc \0 line(u32 LE) */
		for (unsigned i = 0; i < npy; i++) {
			unsigned char le[4];
			py[i] = obj_get(&l->pyfs, s->py[i]);
			if (!py[i])
				py[i] = &unknown;
			for (int b = 0; b < 4; b++)
				le[b] = (unsigned char)(py[i]->line >> (8 * b));
			h = ig_fnv64a(h, "\0\0", 2);
			h = ig_fnv64a(h, py[i]->file, strlen(py[i]->file) + 1);
			h = ig_fnv64a(h, py[i]->func, strlen(py[i]->func) + 1);
			h = ig_fnv64a(h, le, 4);
		}
	}
	if (s->id != IG_MAP_EMPTY)
		ig_map_xput(&l->stacks, s->id, h);

	FILE *fi = open_memstream(&ips, &nips), *ff = open_memstream(&fr, &nfr);
	if (!fi || !ff)
		ig_die("out of memory");
	stack_json(fi, ff, d, s->ips, syms, files);
	fclose(fi);
	fclose(ff);
	sqlite3_stmt *st = im->st[ST_STACK];
	sqlite3_bind_int64(st, 1, (int64_t)h);
	sqlite3_bind_text(st, 2, ips, (int)nips, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, fr, (int)nfr, SQLITE_STATIC);
	rc = imp_step(im, st);
	for (unsigned i = 0; rc == 0 && i < npy; i++) {
		sqlite3_stmt *q = im->st[ST_PYFRAME];
		sqlite3_bind_int64(q, 1, (int64_t)h);
		sqlite3_bind_int(q, 2, (int)i);
		sqlite3_bind_text(q, 3, py[i]->file, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, py[i]->func, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, py[i]->line);
		rc = imp_step(im, q);
	}
	for (unsigned i = 0; i < d; i++)
		free(syms[i]);
	free(ips);
	free(fr);
	return rc;
}

/* ------------------------------------------------------------ events */

static void bind_row(sqlite3_stmt *s, int base, const struct prow *w)
{
	for (int c = 0; c < EV_COLS; c++)
		sqlite3_bind_int64(s, base + c + 1, w->v[c]);
}

int imp_flush_events(struct importer *im)
{
	int rc = 0;
	if (im->npend == EV_BATCH) {
		for (int r = 0; r < EV_BATCH; r++)
			bind_row(im->batch, r * EV_COLS, &im->pend[r]);
		rc = imp_step(im, im->batch);
	} else {
		for (int r = 0; r < im->npend && !rc; r++) {
			bind_row(im->st[ST_EVENT], 0, &im->pend[r]);
			rc = imp_step(im, im->st[ST_EVENT]);
		}
	}
	im->npend = 0;
	return rc;
}

/* off-CPU interval of a sched_switch event */
static int row_offcpu(struct importer *im, struct lnode *l, const struct ingero_event *e, int64_t ts)
{
	sqlite3_stmt *o = im->st[ST_OFFCPU];
	struct proc *c = proc_get(l, (uint32_t)e->arg[1], 0);
	sqlite3_bind_text(o, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(o, 2, e->pid);
	sqlite3_bind_int64(o, 3, e->tid);
	sqlite3_bind_int64(o, 4, ts);
	sqlite3_bind_int64(o, 5, (int64_t)e->dur);
	sqlite3_bind_int64(o, 6, (int64_t)e->arg[0]);
	sqlite3_bind_int(o, 7, e->arg[0] == 0);
	sqlite3_bind_int64(o, 8, (int64_t)e->arg[1]);
	sqlite3_bind_int64(o, 9, (int64_t)e->arg[2]);
	if (c && c->comm)
		sqlite3_bind_text(o, 10, c->comm, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(o, 10);
	sqlite3_bind_int64(o, 11, e->cpu == UINT32_MAX ? -1 : (int64_t)e->cpu);
	return imp_step(im, o);
}

/* NCCL call: its collective row (args per docs/format.md) */
static int row_nccl(struct importer *im, struct lnode *l, const struct ingero_event *e, int64_t ts)
{
	sqlite3_stmt *n = im->st[ST_NCCL];
	uint64_t peer = (e->arg[4] >> 16) & 0xffffffffULL;
	sqlite3_bind_text(n, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(n, 2, e->pid);
	sqlite3_bind_int64(n, 3, e->tid);
	sqlite3_bind_int64(n, 4, ts);
	sqlite3_bind_int64(n, 5, (int64_t)e->dur);
	sqlite3_bind_int(n, 6, e->op);
	sqlite3_bind_int64(n, 7, (int64_t)e->arg[0]);
	sqlite3_bind_int64(n, 8, (int64_t)e->arg[2]);
	sqlite3_bind_int64(n, 9, (int64_t)(e->arg[3] & 0xffffffffULL));
	sqlite3_bind_int64(n, 10, (int64_t)(e->arg[3] >> 32));
	sqlite3_bind_int64(n, 11, (int64_t)e->arg[1]);
	sqlite3_bind_int64(n, 12, (int64_t)(e->arg[4] & 0xff));
	sqlite3_bind_int64(n, 13, (int64_t)((e->arg[4] >> 8) & 0xff));
	if (peer)
		sqlite3_bind_int64(n, 14, (int64_t)peer - 1);
	else
		sqlite3_bind_null(n, 14);
	sqlite3_bind_int64(n, 15, (int64_t)e->arg[5]);
	return imp_step(im, n);
}

static int row_graph(struct importer *im, struct lnode *l, const struct ingero_event *e, int64_t ts)
{
	sqlite3_stmt *n = im->st[ST_GRAPH];
	sqlite3_bind_text(n, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(n, 2, e->pid);
	sqlite3_bind_int64(n, 3, e->tid);
	sqlite3_bind_int64(n, 4, ts);
	sqlite3_bind_int64(n, 5, (int64_t)e->dur);
	sqlite3_bind_int(n, 6, e->op);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(n, 7 + i, (int64_t)e->arg[i]);
	sqlite3_bind_int64(n, 11, e->ret);
	return imp_step(im, n);
}

/* node and input spans */
static void spans(struct gnode *g, struct lnode *l, int64_t ts, int64_t dur)
{
	int64_t end;   /* ts + dur, saturated (hostile durations) */
	if (__builtin_add_overflow(ts, dur, &end))
		end = dur > 0 ? INT64_MAX : INT64_MIN;
	if (!g->have_ts || ts < g->first_ts)
		g->first_ts = ts;
	if (!g->have_ts || end > g->last_ts)
		g->last_ts = end;
	if (l->events == 1 || ts < l->first_ts)
		l->first_ts = ts;
	if (l->events == 1 || end > l->last_ts)
		l->last_ts = end;
	g->have_ts = 1;
}

/* the event_ctx row for the events of p on node g with rank: made when the
 * process state changes (its PROCESS record, the node's rank), not per event */
static int64_t ev_ctx(struct importer *im, struct gnode *g, uint32_t pid, struct proc *p, int32_t rank)
{
	if (p->ctx && p->ctx_g == g && p->ctx_rank == rank)
		return p->ctx;
	sqlite3_stmt *s = im->st[ST_CTX];
	sqlite3_bind_text(s, 1, g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, pid);
	sqlite3_bind_text(s, 3, p->comm ? p->comm : "", -1, SQLITE_STATIC);
	imp_bind_rank(s, 4, rank);
	imp_bind_rank(s, 5, p->local_rank);
	imp_bind_rank(s, 6, p->world_size);
	sqlite3_bind_int64(s, 7, (int64_t)p->cgroup);
	if (imp_step(im, s))
		return -1;
	p->ctx = sqlite3_last_insert_rowid(im->db);
	p->ctx_g = g;
	p->ctx_rank = rank;
	return p->ctx;
}

static int on_event(struct importer *im, struct lnode *l, const struct ingero_event *e)
{
	struct gnode *g = l->g;
	int64_t ts = imp_to_wall(im, l, e->ts);
	struct proc *p = proc_get(l, e->pid, 1);
	uint64_t *sh = e->stack_id && e->stack_id != IG_MAP_EMPTY ? ig_map_get(&l->stacks, e->stack_id) : NULL;
	int64_t ctx = ev_ctx(im, g, e->pid, p, p->rank >= 0 ? p->rank : g->rank);

	if (ctx < 0)
		return -1;
	if (!p->comm && !p->had_events)
		p->had_events = 1;
	if (im->npend == EV_BATCH && imp_flush_events(im))
		return -1;
	int64_t *v = im->pend[im->npend++].v;
	v[0] = ++g->seq;
	v[1] = ctx;
	v[2] = ts;
	v[3] = e->pid;
	v[4] = e->tid;
	v[5] = e->source;
	v[6] = e->op;
	v[7] = (int64_t)e->dur;
	v[8] = (int64_t)e->arg[0];
	v[9] = (int64_t)e->arg[1];
	v[10] = e->ret;
	v[11] = sh ? (int64_t)*sh : 0;
	v[12] = (int64_t)e->arg[2];
	v[13] = (int64_t)e->arg[3];
	v[14] = e->cpu == UINT32_MAX ? -1 : (int64_t)e->cpu;
	v[15] = e->flags;

	g->events++;
	l->events++;
	im->events++;
	spans(g, l, ts, (int64_t)e->dur);
	if ((im->events & 0xffff) == 0)
		imp_progress(im);
	if (e->source == INGERO_SRC_HOST && e->op == INGERO_HOST_SCHED_SWITCH)
		return row_offcpu(im, l, e, ts);
	if (e->source == INGERO_SRC_NCCL)
		return row_nccl(im, l, e, ts);
	if (e->source == INGERO_SRC_GRAPH)
		return row_graph(im, l, e, ts);
	return 0;
}

/* ------------------------------------------------------ metadata records */

static int on_process(struct importer *im, struct lnode *l, const struct ingero_process *pr)
{
	struct proc *p = proc_get(l, pr->pid, 1);
	if (p->had_events)
		im->late_comm = 1;
	char *old = p->comm ? xstrdup(p->comm) : NULL;
	set_str(&p->comm, pr->comm ? pr->comm : "");
	if (!p->comm)
		p->comm = xstrdup("");
	/* a new event_ctx row only when the state its events show changed
	 * (recorders repeat PROCESS records in every segment) */
	if (!old || strcmp(old, p->comm) || p->rank != pr->rank || p->local_rank != pr->local_rank ||
	    p->world_size != pr->world_size || p->cgroup != pr->cgroup_id)
		p->ctx = 0;
	free(old);
	p->rank = pr->rank;
	p->local_rank = pr->local_rank;
	p->world_size = pr->world_size;
	p->cgroup = pr->cgroup_id;

	int64_t seen = pr->start_ts ? imp_to_wall(im, l, pr->start_ts) : 0;
	sqlite3_stmt *s = im->st[ST_PROC];
	sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, pr->pid);
	sqlite3_bind_int64(s, 3, pr->ppid);
	sqlite3_bind_int64(s, 4, pr->uid);
	sqlite3_bind_text(s, 5, pr->comm ? pr->comm : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, pr->cmdline ? pr->cmdline : "", -1, SQLITE_STATIC);
	imp_bind_rank(s, 7, pr->rank);
	imp_bind_rank(s, 8, pr->local_rank);
	imp_bind_rank(s, 9, pr->world_size);
	sqlite3_bind_int64(s, 10, (int64_t)pr->cgroup_id);
	sqlite3_bind_int64(s, 11, seen);
	if (imp_step(im, s))
		return -1;
	s = im->st[ST_PNAME];
	sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, pr->pid);
	sqlite3_bind_text(s, 3, pr->comm ? pr->comm : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, seen);
	return imp_step(im, s);
}

static int on_header(struct importer *im, const struct ingero_header *h)
{
	if (!im->hdr_node) {
		im->hdr_node = xstrdup(h->node ? h->node : "");
		im->identity = h->clock && !strcmp(h->clock, "unix");
		im->hdr_rank = h->rank;
	}
	struct lnode *l = imp_lnode(im, 0);
	if (!l->have_header) {
		l->have_header = 1;
		l->start_ts = h->start_ts;
		set_str(&l->cmdline, h->cmdline);
	}
	struct gnode *g = l->g;
	if (im->identity)   /* merged: the NODE records describe the nodes */
		return 0;
	set_str(&g->host, h->host);
	set_str(&g->boot_id, h->boot_id);
	set_str(&g->kernel, h->kernel);
	set_str(&g->recorder, h->recorder);
	if (h->rank >= 0)
		g->rank = h->rank;
	add_anchor(l, &h->anchor);
	return 0;
}

static int on_nodeinfo(struct importer *im, const struct ingero_node *n)
{
	struct lnode *l;
	if (n->index >= 1u << 20)
		return 0;
	l = imp_lnode(im, n->index);  /* creates the slot (g resolved below) */
	if (n->name && *n->name && (!l->g || strcmp(l->g->name, n->name))) {
		set_str(&l->name, n->name);
		struct gnode *g;
		for (g = im->nodes; g && strcmp(g->name, n->name); g = g->next)
			;
		if (!g && l->g && !l->g->events && !l->g->seq) {
			/* the header's node name was a placeholder (merged recording) */
			free(l->g->name);
			l->g->name = xstrdup(n->name);
		} else {
			l->g = g ? g : gnode_get(im, n->name);
		}
	}
	set_str(&l->g->host, n->host);
	set_str(&l->g->boot_id, n->boot_id);
	if (n->rank >= 0)
		l->g->rank = n->rank;
	sqlite3_stmt *s = im->st[ST_CORR];
	sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, n->method ? n->method : "none", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, n->offset_ns);
	sqlite3_bind_double(s, 4, n->drift_ppb);
	sqlite3_bind_int64(s, 5, (int64_t)n->ref_ts);
	sqlite3_bind_double(s, 6, n->confidence_ns);
	sqlite3_bind_int64(s, 7, (int64_t)n->samples);
	return imp_step(im, s);
}

static int on_module(struct lnode *l, const struct ingero_module *r)
{
	int isnew;
	struct mod *m = obj_put(&l->mods, r->id, sizeof *m, &isnew);
	if (!m)
		return 0;
	m->id = r->id;
	m->pid = r->pid;
	m->start = r->start;
	m->end = r->end;
	free(m->path);
	m->path = xstrdup(r->path);
	return 0;
}

static int on_symbol(struct lnode *l, const struct ingero_symbol *r)
{
	int isnew;
	struct sym *y = obj_put(&l->syms, r->id, sizeof *y, &isnew);
	if (!y)
		return 0;
	y->module_id = r->module_id;
	y->offset = r->offset;
	free(y->name);
	y->name = xstrdup(r->name);
	return 0;
}

static int on_pyframe(struct lnode *l, const struct ingero_pyframe *r)
{
	int isnew;
	struct pyf *y = obj_put(&l->pyfs, r->id, sizeof *y, &isnew);
	if (!y)
		return 0;
	y->line = r->line;
	free(y->file);
	free(y->func);
	y->file = xstrdup(r->file ? r->file : "");
	y->func = xstrdup(r->func ? r->func : "");
	return 0;
}

/* --------------------------------------------------- timed side records */

static int on_sys(struct importer *im, struct lnode *l, const struct ingero_sys *y)
{
	sqlite3_stmt *s = im->st[ST_SYS];
	sqlite3_bind_int64(s, 1, imp_to_wall(im, l, y->ts));
	sqlite3_bind_double(s, 2, y->cpu_pct);
	sqlite3_bind_double(s, 3, y->mem_pct);
	sqlite3_bind_int64(s, 4, (int64_t)y->mem_avail_mb);
	sqlite3_bind_int64(s, 5, (int64_t)y->swap_used_mb);
	sqlite3_bind_double(s, 6, y->load1);
	sqlite3_bind_text(s, 7, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 8, y->iowait_pct);
	sqlite3_bind_int64(s, 9, (int64_t)y->pgmajfault);
	sqlite3_bind_int64(s, 10, (int64_t)y->ctxt);
	return imp_step(im, s);
}

static int on_gpu(struct importer *im, struct lnode *l, const struct ingero_gpu *y)
{
	sqlite3_stmt *s = im->st[ST_GPU];
	sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, imp_to_wall(im, l, y->ts));
	sqlite3_bind_int64(s, 3, y->index);
	sqlite3_bind_double(s, 4, y->util_pct);
	sqlite3_bind_int64(s, 5, (int64_t)y->mem_used_mb);
	sqlite3_bind_int64(s, 6, (int64_t)y->mem_total_mb);
	sqlite3_bind_int64(s, 7, y->sm_clock_mhz);
	sqlite3_bind_int64(s, 8, y->mem_clock_mhz);
	sqlite3_bind_int64(s, 9, (int64_t)y->throttle_reasons);
	sqlite3_bind_int64(s, 10, y->temp_c);
	sqlite3_bind_double(s, 11, y->power_w);
	return imp_step(im, s);
}

/* lost counters, notes, sampling rates, thread names */
static int on_misc(struct importer *im, struct lnode *l, const struct ingero_record *r)
{
	sqlite3_stmt *s;
	switch (r->kind) {
	case INGERO_REC_THREAD:
		s = im->st[ST_THREAD];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, r->u.thr.tid);
		sqlite3_bind_int64(s, 3, r->u.thr.pid);
		sqlite3_bind_text(s, 4, r->u.thr.name ? r->u.thr.name : "", -1, SQLITE_STATIC);
		return imp_step(im, s);
	case INGERO_REC_LOST:
		s = im->st[ST_LOST];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, imp_to_wall(im, l, r->u.lost.ts));
		sqlite3_bind_int(s, 3, r->u.lost.source);
		sqlite3_bind_int64(s, 4, (int64_t)r->u.lost.count);
		sqlite3_bind_int64(s, 5, r->u.lost.reason);
		return imp_step(im, s);
	case INGERO_REC_NOTE:
		s = im->st[ST_NOTE];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, imp_to_wall(im, l, r->u.note.ts));
		sqlite3_bind_int64(s, 3, r->u.note.level);
		sqlite3_bind_text(s, 4, r->u.note.text ? r->u.note.text : "", -1, SQLITE_STATIC);
		return imp_step(im, s);
	case INGERO_REC_SAMPLING:
		s = im->st[ST_SAMPLING];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, imp_to_wall(im, l, r->u.sampling.ts));
		sqlite3_bind_int64(s, 3, r->u.sampling.pid);
		sqlite3_bind_int(s, 4, r->u.sampling.source);
		sqlite3_bind_int(s, 5, r->u.sampling.op);
		sqlite3_bind_int64(s, 6, r->u.sampling.rate);
		return imp_step(im, s);
	default:
		return 0;   /* unknown kinds are skipped (forward compatibility) */
	}
}

int imp_record(struct importer *im, const struct ingero_record *r)
{
	struct lnode *l;

	if (r->kind != INGERO_REC_EVENT && im->npend && imp_flush_events(im))
		return -1;
	switch (r->kind) {
	case INGERO_REC_HEADER:
		return on_header(im, &r->u.hdr);
	case INGERO_REC_NODE:
		return on_nodeinfo(im, &r->u.nodeinfo);
	case INGERO_REC_FRAME: case INGERO_REC_CTX: case INGERO_REC_FOOTER:
		return 0;
	default:
		break;
	}
	if (!(l = imp_lnode(im, r->node))) {
		ig_error("%s: node index %u out of range", im->path, r->node);
		return -1;
	}
	switch (r->kind) {
	case INGERO_REC_EVENT:
		return on_event(im, l, &r->u.ev);
	case INGERO_REC_ANCHOR:
		if (!im->identity)
			add_anchor(l, &r->u.anchor);
		return 0;
	case INGERO_REC_PROCESS:
		return on_process(im, l, &r->u.proc);
	case INGERO_REC_MODULE:
		return on_module(l, &r->u.mod);
	case INGERO_REC_SYMBOL:
		return on_symbol(l, &r->u.sym);
	case INGERO_REC_STACK:
		return r->u.stack ? on_stack(im, l, r->u.stack) : 0;
	case INGERO_REC_PYFRAME:
		return on_pyframe(l, &r->u.pyframe);
	case INGERO_REC_SYS:
		return on_sys(im, l, &r->u.sys);
	case INGERO_REC_GPU:
		return on_gpu(im, l, &r->u.gpu);
	default:
		return on_misc(im, l, r);
	}
}
