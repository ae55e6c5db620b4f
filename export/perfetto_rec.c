/*
 * perfetto_rec.c - ingero-perfetto input from recordings (through the formats
 * reader): a segment, a directory, a merged recording, a bundle or stdin.
 * Single-node recordings carry CLOCK_BOOTTIME ns and are converted to unix ns
 * with their clock anchors; merged recordings are unix ns already.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "perfetto.h"

#define STACK_FRAMES 3    /* frames in the "stack" annotation */

/* (node, id) -> string: a map to ids of one string table (struct recin.strs) */
struct smap { struct ig_map m; const struct ig_strtab *strs; };

static const char *smap_get(const struct smap *m, uint64_t k)
{
	const uint64_t *v = ig_map_get(&m->m, k);
	return v ? ig_strtab_str(m->strs, (uint32_t)*v) : NULL;
}

static int smap_put(struct smap *m, struct ig_strtab *strs, uint64_t k, const char *s)
{
	if (k != IG_MAP_EMPTY) ig_map_xput(&m->m, k, ig_strtab_id(strs, s ? s : ""));
	return 0;
}

static uint64_t nkey(uint32_t node, uint64_t id) { return (uint64_t)node << 48 ^ id; }

/* "sym_a < sym_b < sym_c": innermost resolved frames first */
/* A stack's Python frames (PYFRAME texts in pyfull / pyshort): the "python"
 * slice arg, all frames, and the first STACK_FRAMES short ones, which open
 * the stack annotation (innermost first, as the native frames after them) */
static int python_summary(const struct smap *pyfull, const struct smap *pyshort, uint32_t node,
			  const struct ingero_stack *st, char *full, size_t flen, char *out, size_t len)
{
	size_t k = 0, kf = 0;
	int n = 0;
	full[0] = out[0] = 0;
	for (uint32_t i = 0; i < st->npy && i < INGERO_STACK_PY_MAX; i++) {
		const char *f = smap_get(pyfull, nkey(node, st->py[i]));
		const char *s = smap_get(pyshort, nkey(node, st->py[i]));
		int w = snprintf(full + kf, flen - kf, "%s%s", i ? " < " : "", f ? f : "?");
		if (w < 0 || (size_t)w >= flen - kf) { full[flen - 1] = 0; kf = flen - 1; }
		else kf += (size_t)w;
		if (n >= STACK_FRAMES || !s) continue;
		w = snprintf(out + k, len - k, "%s%s", n ? " < " : "", s);
		if (w < 0 || (size_t)w >= len - k) { out[len - 1] = 0; k = len - 1; continue; }
		k += (size_t)w;
		n++;
	}
	return n;
}

static void stack_summary(const struct smap *syms, uint32_t node, const struct ingero_stack *st,
			  char *out, size_t len, int n)
{
	size_t k = strlen(out);
	int npy = n;
	n = 0;
	for (uint32_t i = 0; i < st->depth && i < INGERO_STACK_MAX && n < STACK_FRAMES; i++) {
		const char *s = st->syms[i] ? smap_get(syms, nkey(node, st->syms[i])) : NULL;
		if (!s || !*s) continue;
		int w = snprintf(out + k, len - k, "%s%s", n || npy ? " < " : "", s);
		if (w < 0 || (size_t)w >= len - k) { out[len - 1] = 0; break; }
		k += (size_t)w;
		n++;
	}
	if (!n && !npy && st->depth) snprintf(out, len, "0x%" PRIx64 " (unresolved)", st->ips[0]);
}

struct recin {
	struct px *px;
	struct ingero_clock clk;
	int identity, have_nodes, node0_named;
	struct smap comms, syms, stacks, pyfull, pyshort, pystacks;
	struct ig_strtab strs;
	uint64_t nev;
	const struct ingero_header *hdr;
	char hdr_node[256];
	int32_t hdr_rank;
};

static uint64_t to_unix(struct recin *s, uint64_t t)
{
	if (s->identity) return t;
	int64_t w = ingero_clock_to_wall(&s->clk, t);
	return w < 0 ? 0 : (uint64_t)w;
}

static void name_node0(struct recin *s)
{
	if (s->have_nodes || s->node0_named) return;
	s->node0_named = 1;
	px_node(s->px, 0, s->hdr_node[0] ? s->hdr_node : "node", s->hdr_rank);
}

int px_input_recording(struct px *px, const char *path, const struct px_opts *o)
{
	struct ingero_reader *r = NULL;
	struct ingero_error err = { 0 };
	struct ingero_record rec;
	struct recin s = { .px = px, .hdr_rank = -1 };
	s.comms.strs = s.syms.strs = s.stacks.strs = &s.strs;
	s.pyfull.strs = s.pyshort.strs = s.pystacks.strs = &s.strs;
	char buf[1024], stack[512], py[4096];
	int rc, ret = 1, first_hdr = 1;
	uint64_t nrec = 0;
	(void)o;

	ingero_clock_init(&s.clk);
	rc = ingero_reader_open(&r, path, &err);
	if (rc < 0) {
		ig_error("%s", ingero_strerror(&err, buf, sizeof buf));
		goto out;
	}
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		uint32_t node = rec.node;
		nrec++;
		switch (rec.kind) {
		case INGERO_REC_HEADER: {
			const struct ingero_header *h = &rec.u.hdr;
			if (!first_hdr) break;
			first_hdr = 0;
			ingero_clock_add_header(&s.clk, h);
			s.identity = s.clk.identity;
			snprintf(s.hdr_node, sizeof s.hdr_node, "%s", h->node ? h->node : "");
			s.hdr_rank = h->rank;
			if (!s.identity && ingero_header_has_anchor(h))
				px_set_boottime_anchor(px, h->anchor.boottime, h->anchor.realtime);
			if (h->start_ts) px_set_origin(px, to_unix(&s, h->start_ts));
			break;
		}
		case INGERO_REC_NODE:
			s.have_nodes = 1;
			px_node(px, rec.u.nodeinfo.index, rec.u.nodeinfo.name, rec.u.nodeinfo.rank);
			break;
		case INGERO_REC_ANCHOR:
			if (!s.identity) ingero_clock_add(&s.clk, &rec.u.anchor);
			break;
		case INGERO_REC_PROCESS:
			name_node0(&s);
			if (smap_put(&s.comms, &s.strs, nkey(node, rec.u.proc.pid), rec.u.proc.comm)) goto oom;
			px_process(px, node, rec.u.proc.pid, rec.u.proc.comm, rec.u.proc.rank);
			break;
		case INGERO_REC_THREAD:
			name_node0(&s);
			px_thread(px, node, rec.u.thr.pid, rec.u.thr.tid, rec.u.thr.name);
			break;
		case INGERO_REC_SYMBOL:
			if (smap_put(&s.syms, &s.strs, nkey(node, rec.u.sym.id), rec.u.sym.name)) goto oom;
			break;
		case INGERO_REC_PYFRAME: {
			const struct ingero_pyframe *p = &rec.u.pyframe;
			const char *base = strrchr(p->file, '/');
			snprintf(py, sizeof py, "%s:%u in %s", p->file, p->line, p->func);
			smap_put(&s.pyfull, &s.strs, nkey(node, p->id), py);
			snprintf(py, sizeof py, "%s (%s:%u)", p->func, base ? base + 1 : p->file, p->line);
			smap_put(&s.pyshort, &s.strs, nkey(node, p->id), py);
			break;
		}
		case INGERO_REC_STACK: {
			if (!rec.u.stack) break;
			int n = python_summary(&s.pyfull, &s.pyshort, node, rec.u.stack, py, sizeof py,
					       stack, sizeof stack);
			stack_summary(&s.syms, node, rec.u.stack, stack, sizeof stack, n);
			if (smap_put(&s.stacks, &s.strs, nkey(node, rec.u.stack->id), stack)) goto oom;
			if (*py) smap_put(&s.pystacks, &s.strs, nkey(node, rec.u.stack->id), py);
			break;
		}
		case INGERO_REC_EVENT: {
			struct ingero_event ev = rec.u.ev;
			if (o->progress && !(++s.nev & 4095))
				ig_progress_update(o->progress, ingero_reader_bytes(r), s.nev);
			struct px_evinfo info = { 0 };
			name_node0(&s);
			ev.ts = to_unix(&s, ev.ts);
			if (ev.stack_id) {
				info.stack = smap_get(&s.stacks, nkey(node, ev.stack_id));
				info.python = smap_get(&s.pystacks, nkey(node, ev.stack_id));
			}
			if (ev.source == INGERO_SRC_HOST && ev.op == INGERO_HOST_SCHED_SWITCH)
				info.culprit_comm = smap_get(&s.comms, nkey(node, ev.arg[1]));
			px_event(px, node, &ev, &info);
			break;
		}
		case INGERO_REC_SYS: {
			struct ingero_sys v = rec.u.sys;
			name_node0(&s);
			v.ts = to_unix(&s, v.ts);
			px_sys(px, node, &v);
			break;
		}
		case INGERO_REC_GPU: {
			struct ingero_gpu v = rec.u.gpu;
			name_node0(&s);
			v.ts = to_unix(&s, v.ts);
			px_gpu(px, node, &v);
			break;
		}
		case INGERO_REC_LOST: {
			struct ingero_lost v = rec.u.lost;
			name_node0(&s);
			v.ts = to_unix(&s, v.ts);
			px_lost(px, node, &v);
			break;
		}
		case INGERO_REC_NOTE:
			name_node0(&s);
			px_note(px, node, to_unix(&s, rec.u.note.ts), (int)rec.u.note.level,
				rec.u.note.text ? rec.u.note.text : "");
			break;
		default:
			break;
		}
	}
	if (rc < 0) {
		const struct ingero_error *w = ingero_reader_last_warning(r);
		if (w) ig_error("%s", ingero_strerror(w, buf, sizeof buf));
		else ig_error("%s: read error", path);
		goto out;
	}
	if (!nrec) {
		/* only empty segments: an error in every tool (docs/cli.md) */
		ig_error("%s: empty recording", path);
		goto out;
	}
	name_node0(&s);
	if (ingero_reader_warnings(r)) {
		const struct ingero_error *w = ingero_reader_last_warning(r);
		ig_warning("%u damaged part(s) skipped; last: %s",
			   ingero_reader_warnings(r), w ? ingero_strerror(w, buf, sizeof buf) : "?");
	}
	ret = 0;
	goto out;
oom:
	ig_error("out of memory");
out:
	ingero_reader_close(r);
	ingero_clock_release(&s.clk);
	ig_map_release(&s.comms.m);
	ig_map_release(&s.syms.m);
	ig_map_release(&s.stacks.m);
	ig_map_release(&s.pyfull.m);
	ig_map_release(&s.pyshort.m);
	ig_map_release(&s.pystacks.m);
	ig_strtab_release(&s.strs);
	return ret;
}

int px_recording_end(const char *path, uint64_t *end)
{
	struct ingero_reader *r = NULL;
	struct ingero_error err = { 0 };
	struct ingero_record rec;
	struct recin s = { .hdr_rank = -1 };
	char buf[1024];
	int rc, first_hdr = 1;

	*end = 0;
	ingero_clock_init(&s.clk);
	if (ingero_reader_open(&r, path, &err) < 0) {
		ig_error("%s", ingero_strerror(&err, buf, sizeof buf));
		return -1;
	}
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		if (rec.kind == INGERO_REC_HEADER && first_hdr) {
			first_hdr = 0;
			ingero_clock_add_header(&s.clk, &rec.u.hdr);
			s.identity = s.clk.identity;
		} else if (rec.kind == INGERO_REC_ANCHOR && !s.identity) {
			ingero_clock_add(&s.clk, &rec.u.anchor);
		} else if (rec.kind == INGERO_REC_EVENT) {
			uint64_t t = to_unix(&s, rec.u.ev.ts) + rec.u.ev.dur;
			if (t > *end) *end = t;
		}
	}
	ingero_reader_close(r);
	ingero_clock_release(&s.clk);
	/* damage is reported by the export pass that follows */
	return 0;
}
