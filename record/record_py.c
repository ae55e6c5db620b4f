/*
 * record_py.c - Python frames in the recorder: per-process setup of the
 * BPF walker (py_procs map), the ibpf_pyframes records it emits just before
 * a CUDA call's event, and their resolution to file:function:line (once per
 * (pid, code object, instruction); record/rec_py.c reads the code objects).
 */
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "record_int.h"
#include "../bpf/ingero_bpf.h"
#include "../bpf/pyframes_bpf.h"
#include "bpf/ingero.skel.h"
#include "rec_py.h"
#include "record_py.h"

#define PEND 64          /* calls in flight per recorder (nesting, threads) */

static struct pending {
	uint32_t tid, n;
	uint64_t ts;
	uint64_t code[IBPF_PY_DEPTH], instr[IBPF_PY_DEPTH];
} pend[PEND];
static unsigned pend_next;
static unsigned pend_live;         /* entries with n > 0: none, no scan per event */
static struct ig_map procs;        /* pid -> minor (0: none, walkable or not) + 1 */
static struct ig_map locs;         /* hash(pid, code, instr) -> index + 1 in loc_tab */
static struct loc_ent {
	uint32_t pid, pf;               /* pf: PYFRAME id (index + 1 in pf_tab) */
	uint64_t code, instr;
} *loc_tab;
static size_t nloc, caploc;
/* PYFRAME records: one per distinct (pid, file, function, line) */
static struct ig_map pfs;          /* hash of the content -> index + 1 in pf_tab */
static struct pf_ent {
	struct rec_py_loc loc;
	uint32_t pid, gen;              /* gen: the writer generation it was written in */
} *pf_tab;
static size_t npf, cappf;
/* sequences of PYFRAME ids (a call's frames), interned for the stack key */
static struct ig_map seqs;         /* hash of the ids -> index + 1 in seq_tab */
static struct seq_ent {
	uint32_t n;
	uint32_t id[IBPF_PY_DEPTH];
} *seq_tab;
static size_t nseq, capseq;
static int noted_unknown;
static uint32_t cur[IBPF_PY_DEPTH];   /* PYFRAME ids of the current call, innermost first */
static int ncur;

/* grow *tab (elements of sz bytes) to hold one more; -1 on ENOMEM */
static int grow(void **tab, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 256;
	void *t = realloc(*tab, nc * sz);

	if (!t)
		return -1;
	*tab = t;
	*cap = nc;
	return 0;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (h ^ h >> 32) & ~1ULL;        /* never IG_MAP_EMPTY */
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

int rec_py_on_frames(struct rec *r, const void *data, size_t len)
{
	const struct ibpf_pyframes *f = data;
	struct pending *p;

	(void)r;
	if (len < sizeof(*f))
		return 0;
	p = &pend[pend_next++ % PEND];
	pend_live -= p->n > 0;
	p->tid = f->e.tid;
	p->ts = f->e.ts;
	p->n = f->e.arg[0] < IBPF_PY_DEPTH ? (uint32_t)f->e.arg[0] : IBPF_PY_DEPTH;
	pend_live += p->n > 0;
	memcpy(p->code, f->code, sizeof(p->code));
	memcpy(p->instr, f->instr, sizeof(p->instr));
	return 0;
}

static int proc_minor(struct rec *r, uint32_t pid)
{
	uint64_t *v = ig_map_get(&procs, pid);
	struct ibpf_py_proc pp;
	int minor = 0, rc;

	if (v)
		return (int)*v - 1;
	rc = rec_py_proc_setup(pid, &pp, &minor);
	if (rc > 0 && bpf_map__update_elem(r->skel->maps.py_procs, &pid, sizeof(pid), &pp,
					  sizeof(pp), BPF_ANY))
		rc = -1;
	if (rc < 0 && minor && !noted_unknown++)
		rec_note(r, 0, "pid %u runs CPython 3.%d: no Python frames for it (frames are "
			 "walked for 3.10-3.12 with a _PyRuntime symbol)", pid, minor);
	ig_map_put(&procs, pid, (uint64_t)(rc > 0 ? minor : 0) + 1);
	return rc > 0 ? minor : 0;
}

/* The PYFRAME id of a resolved location (content-deduplicated), 0 on ENOMEM */
static uint32_t pyframe_id(uint32_t pid, const struct rec_py_loc *l)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, &pid, 4), *v;

	h = fnv(h, l->file, strlen(l->file) + 1);
	h = fnv(h, l->func, strlen(l->func) + 1);
	h = mix(fnv(h, &l->line, sizeof(l->line)));
	for (;; h = (h + 2) & ~1ULL) {        /* open addressing over collisions */
		v = ig_map_get(&pfs, h);
		if (!v)
			break;
		const struct pf_ent *e = &pf_tab[*v - 1];
		if (e->pid == pid && e->loc.line == l->line && !strcmp(e->loc.file, l->file) &&
		    !strcmp(e->loc.func, l->func))
			return (uint32_t)*v;
	}
	if (npf >= UINT32_MAX - 1 || grow((void **)&pf_tab, npf, &cappf, sizeof(*pf_tab)))
		return 0;
	pf_tab[npf] = (struct pf_ent){ *l, pid, 0 };
	if (!ig_map_put(&pfs, h, npf + 1))
		return 0;
	return (uint32_t)++npf;
}

/* PYFRAME id of (pid, code, instr): resolved once, 0 when unreadable */
static uint32_t resolve(uint32_t pid, int minor, uint64_t code, uint64_t instr)
{
	uint64_t h = mix((pid * 0x9e3779b97f4a7c15ULL) ^ (code * 0xff51afd7ed558ccdULL) ^ instr), *v;
	struct rec_py_loc loc;

	for (;; h = (h + 2) & ~1ULL) {
		v = ig_map_get(&locs, h);
		if (!v)
			break;
		const struct loc_ent *e = &loc_tab[*v - 1];
		if (e->pid == pid && e->code == code && e->instr == instr)
			return e->pf;
	}
	if (rec_py_resolve(pid, minor, code, instr, &loc))
		return 0;             /* gone or unreadable: not cached, not shown */
	if (grow((void **)&loc_tab, nloc, &caploc, sizeof(*loc_tab)))
		return 0;
	loc_tab[nloc] = (struct loc_ent){ pid, pyframe_id(pid, &loc), code, instr };
	if (!loc_tab[nloc].pf || !ig_map_put(&locs, h, nloc + 1))
		return 0;
	return loc_tab[nloc++].pf;
}

/* A PYFRAME record for id, once per writer generation (segment) */
static void emit_pyframe(struct rec *r, uint32_t id)
{
	struct pf_ent *e = &pf_tab[id - 1];
	struct ingero_record rec = { .kind = INGERO_REC_PYFRAME };

	if (e->gen == r->sym.gen)
		return;
	e->gen = r->sym.gen;
	rec.u.pyframe = (struct ingero_pyframe){ id, e->pid, e->loc.line > 0 ? (uint32_t)e->loc.line : 0,
						 e->loc.file, e->loc.func };
	ingero_writer_append(r->w, &rec);
}

/* index + 1 of the current call's id sequence in seq_tab, 0 on ENOMEM */
static uint32_t intern_seq(void)
{
	uint64_t h = mix(fnv(0xcbf29ce484222325ULL, cur, (size_t)ncur * sizeof(cur[0]))), *v;

	for (;; h = (h + 2) & ~1ULL) {
		v = ig_map_get(&seqs, h);
		if (!v)
			break;
		const struct seq_ent *e = &seq_tab[*v - 1];
		if (e->n == (uint32_t)ncur && !memcmp(e->id, cur, (size_t)ncur * sizeof(cur[0])))
			return (uint32_t)*v;
	}
	if (nseq >= (1u << 24) - 1 || grow((void **)&seq_tab, nseq, &capseq, sizeof(*seq_tab)))
		return 0;
	seq_tab[nseq].n = (uint32_t)ncur;
	memcpy(seq_tab[nseq].id, cur, (size_t)ncur * sizeof(cur[0]));
	if (!ig_map_put(&seqs, h, nseq + 1))
		return 0;
	return (uint32_t)++nseq;
}

void rec_py_on_event(struct rec *r, const struct ibpf_event *e)
{
	int minor;

	ncur = 0;
	if (e->source != INGERO_SRC_CUDA && e->source != INGERO_SRC_DRIVER &&
	    e->source != INGERO_SRC_GRAPH)
		return;
	minor = proc_minor(r, e->pid);   /* also sets a new Python process up for BPF */
	if (!minor || !pend_live)        /* most calls carry no frames: no scan */
		return;
	for (unsigned k = 1; k <= PEND; k++) {
		struct pending *p = &pend[(pend_next - k) % PEND];

		if (p->tid != e->tid || p->ts != e->ts || !p->n)
			continue;
		for (uint32_t i = 0; i < p->n; i++) {
			uint32_t id = p->code[i] ? resolve(e->pid, minor, p->code[i], p->instr[i]) : 0;
			if (id) {
				emit_pyframe(r, id);
				cur[ncur++] = id;
			}
		}
		p->n = 0;
		pend_live--;
		break;
	}
}

uint64_t rec_py_stack(struct rec *r, const struct ibpf_event *e)
{
	uint64_t ids[IBPF_PY_DEPTH];
	uint32_t seq;

	if (!ncur || !(seq = intern_seq()))
		return e->stack_id >= 0 ? rec_sym_stack(&r->sym, e->pid, e->stack_id, e->ip) : 0;
	for (int i = 0; i < ncur; i++)
		ids[i] = cur[i];
	return rec_sym_stack_py(&r->sym, e->pid, e->stack_id, e->ip, seq, ids, (uint32_t)ncur);
}

void rec_py_reset(void)
{
	ncur = 0;
}

int rec_py_current(void)
{
	return ncur;
}

const struct rec_py_loc *rec_py_frame(int i)
{
	return &pf_tab[cur[i] - 1].loc;
}
