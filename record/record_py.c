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
	uint32_t pid;
	uint64_t code, instr;
	struct rec_py_loc loc;
} *loc_tab;
static size_t nloc, caploc;
static int noted_unknown;
static struct rec_py_loc cur[IBPF_PY_DEPTH];
static int ncur;

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

static const struct rec_py_loc *resolve(uint32_t pid, int minor, uint64_t code, uint64_t instr)
{
	uint64_t h = (pid * 0x9e3779b97f4a7c15ULL) ^ (code * 0xff51afd7ed558ccdULL) ^ instr, *v;

	h ^= h >> 29;
	for (;; h++) {          /* open addressing over hash collisions */
		v = ig_map_get(&locs, h);
		if (!v)
			break;
		struct loc_ent *e = &loc_tab[*v - 1];
		if (e->pid == pid && e->code == code && e->instr == instr)
			return &e->loc;
	}
	if (nloc == caploc) {
		size_t nc = caploc ? caploc * 2 : 256;
		struct loc_ent *t = realloc(loc_tab, nc * sizeof(*t));
		if (!t)
			return NULL;
		loc_tab = t;
		caploc = nc;
	}
	struct loc_ent *e = &loc_tab[nloc];
	e->pid = pid;
	e->code = code;
	e->instr = instr;
	if (rec_py_resolve(pid, minor, code, instr, &e->loc))
		return NULL;          /* gone or unreadable: not cached, not shown */
	if (!ig_map_put(&locs, h, ++nloc))
		nloc--;
	return &e->loc;
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
			const struct rec_py_loc *l = resolve(e->pid, minor, p->code[i], p->instr[i]);
			if (l)
				cur[ncur++] = *l;
		}
		p->n = 0;
		pend_live--;
		break;
	}
}

int rec_py_current(const struct rec_py_loc **frames)
{
	*frames = cur;
	return ncur;
}
