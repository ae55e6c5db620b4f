/* writer_rec.c - ingero_writer_append: every record kind but the packed
 * events (writer.c) as one msgpack array in the open frame (docs/format.md). */
#include <stdlib.h>

#include "writer_int.h"

static size_t rec_size(const struct ingero_record *r)
{
	switch (r->kind) {
	case INGERO_REC_PROCESS: return 128 + slen(r->u.proc.comm) + slen(r->u.proc.cmdline);
	case INGERO_REC_THREAD: return 64 + slen(r->u.thr.name);
	case INGERO_REC_MODULE: return 96 + slen(r->u.mod.path) + slen(r->u.mod.build_id);
	case INGERO_REC_SYMBOL: return 64 + slen(r->u.sym.name);
	case INGERO_REC_STACK: return 64 + 3 * 9 * INGERO_STACK_MAX + 9 * INGERO_STACK_PY_MAX;
	case INGERO_REC_PYFRAME: return 64 + slen(r->u.pyframe.file) + slen(r->u.pyframe.func);
	case INGERO_REC_NODE: return 160 + slen(r->u.nodeinfo.name) + slen(r->u.nodeinfo.host) +
				     slen(r->u.nodeinfo.boot_id) + slen(r->u.nodeinfo.method);
	case INGERO_REC_NOTE: return 64 + slen(r->u.note.text);
	}
	return 160;
}

int ingero_writer_append(struct ingero_writer *w, const struct ingero_record *rec)
{
	if (!w || !rec)
		return INGERO_EINVAL;
	if (rec->kind == INGERO_REC_EVENT)
		return ingero_writer_event(w, &rec->u.ev);
	if (rec->kind <= INGERO_REC_HEADER || rec->kind >= INGERO_REC_KIND_MAX ||
	    rec->kind == INGERO_REC_FRAME)
		return INGERO_EINVAL;
	if (rec->kind == INGERO_REC_STACK &&
	    (!rec->u.stack || rec->u.stack->depth > INGERO_STACK_MAX ||
	     rec->u.stack->npy > INGERO_STACK_PY_MAX))
		return INGERO_EINVAL;
	uint64_t ts = 0;
	int have_ts = ingero_record_ts(rec, &ts);
	int r = frame_for(w, have_ts, ts, rec_size(rec));
	if (r)
		return r;
	if (have_ts)
		seg_note_ts(w, ts);
	uint8_t *p = w->fb + w->flen;
	switch (rec->kind) {
	case INGERO_REC_PROCESS: {
		const struct ingero_process *x = &rec->u.proc;
		p = mp_put_array(p, 11); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->pid); p = mp_put_uint(p, x->ppid); p = mp_put_uint(p, x->uid);
		p = put_cstr(p, x->comm); p = put_cstr(p, x->cmdline);
		p = mp_put_int(p, x->rank); p = mp_put_int(p, x->local_rank);
		p = mp_put_int(p, x->world_size); p = mp_put_uint(p, x->cgroup_id);
		p = mp_put_uint(p, x->start_ts);
		break;
	}
	case INGERO_REC_THREAD:
		p = mp_put_array(p, 4); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, rec->u.thr.tid); p = mp_put_uint(p, rec->u.thr.pid);
		p = put_cstr(p, rec->u.thr.name);
		break;
	case INGERO_REC_MODULE: {
		const struct ingero_module *x = &rec->u.mod;
		p = mp_put_array(p, 8); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->id); p = mp_put_uint(p, x->pid); p = mp_put_uint(p, x->start);
		p = mp_put_uint(p, x->end); p = mp_put_uint(p, x->file_offset);
		p = put_cstr(p, x->path); p = put_cstr(p, x->build_id);
		break;
	}
	case INGERO_REC_SYMBOL:
		p = mp_put_array(p, 5); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, rec->u.sym.id); p = mp_put_uint(p, rec->u.sym.module_id);
		p = mp_put_uint(p, rec->u.sym.offset); p = put_cstr(p, rec->u.sym.name);
		break;
	case INGERO_REC_STACK: {
		const struct ingero_stack *x = rec->u.stack;
		/* the 1.2 py field only when there are Python frames */
		p = mp_put_array(p, x->npy ? 7 : 6); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->id); p = mp_put_uint(p, x->pid);
		p = mp_put_array(p, x->depth);
		for (uint32_t i = 0; i < x->depth; i++) p = mp_put_uint(p, x->ips[i]);
		p = mp_put_array(p, x->depth);
		for (uint32_t i = 0; i < x->depth; i++) p = mp_put_uint(p, x->syms[i]);
		p = mp_put_array(p, x->depth);
		for (uint32_t i = 0; i < x->depth; i++) p = mp_put_uint(p, x->offs[i]);
		if (x->npy) {
			p = mp_put_array(p, x->npy);
			for (uint32_t i = 0; i < x->npy; i++) p = mp_put_uint(p, x->py[i]);
		}
		break;
	}
	case INGERO_REC_PYFRAME: {
		const struct ingero_pyframe *x = &rec->u.pyframe;
		p = mp_put_array(p, 6); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->id); p = mp_put_uint(p, x->pid);
		p = put_cstr(p, x->file); p = put_cstr(p, x->func); p = mp_put_uint(p, x->line);
		break;
	}
	case INGERO_REC_SYS: {
		const struct ingero_sys *x = &rec->u.sys;
		p = mp_put_array(p, 10); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->ts); p = mp_put_double(p, x->cpu_pct);
		p = mp_put_double(p, x->mem_pct); p = mp_put_uint(p, x->mem_avail_mb);
		p = mp_put_uint(p, x->swap_used_mb); p = mp_put_double(p, x->load1);
		p = mp_put_double(p, x->iowait_pct); p = mp_put_uint(p, x->pgmajfault);
		p = mp_put_uint(p, x->ctxt);
		break;
	}
	case INGERO_REC_GPU: {
		const struct ingero_gpu *x = &rec->u.gpu;
		p = mp_put_array(p, 11); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->ts); p = mp_put_uint(p, x->index);
		p = mp_put_double(p, x->util_pct); p = mp_put_uint(p, x->mem_used_mb);
		p = mp_put_uint(p, x->mem_total_mb); p = mp_put_uint(p, x->sm_clock_mhz);
		p = mp_put_uint(p, x->mem_clock_mhz); p = mp_put_uint(p, x->throttle_reasons);
		p = mp_put_uint(p, x->temp_c); p = mp_put_double(p, x->power_w);
		break;
	}
	case INGERO_REC_ANCHOR:
		p = mp_put_array(p, 5); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, rec->u.anchor.boottime); p = mp_put_uint(p, rec->u.anchor.realtime);
		p = mp_put_uint(p, rec->u.anchor.monotonic); p = mp_put_uint(p, rec->u.anchor.error_ns);
		break;
	case INGERO_REC_LOST:
		p = mp_put_array(p, 5); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, rec->u.lost.ts); p = mp_put_uint(p, rec->u.lost.source);
		p = mp_put_uint(p, rec->u.lost.count); p = mp_put_uint(p, rec->u.lost.reason);
		w->seg_lost += rec->u.lost.count;
		break;
	case INGERO_REC_FOOTER:
		p = mp_put_array(p, 5); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, rec->u.footer.events); p = mp_put_uint(p, rec->u.footer.min_ts);
		p = mp_put_uint(p, rec->u.footer.max_ts); p = mp_put_uint(p, rec->u.footer.lost);
		break;
	case INGERO_REC_NODE: {
		const struct ingero_node *x = &rec->u.nodeinfo;
		p = mp_put_array(p, 12); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->index); p = put_cstr(p, x->name); p = put_cstr(p, x->host);
		p = put_cstr(p, x->boot_id); p = mp_put_int(p, x->rank); p = mp_put_int(p, x->offset_ns);
		p = mp_put_double(p, x->drift_ppb); p = mp_put_uint(p, x->ref_ts);
		p = put_cstr(p, x->method); p = mp_put_double(p, x->confidence_ns);
		p = mp_put_uint(p, x->samples);
		break;
	}
	case INGERO_REC_CTX:
		p = mp_put_array(p, 2); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, rec->u.ctx_node);
		w->cur_node = rec->u.ctx_node;
		break;
	case INGERO_REC_NOTE:
		p = mp_put_array(p, 4); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, rec->u.note.ts); p = mp_put_uint(p, rec->u.note.level);
		p = put_cstr(p, rec->u.note.text);
		break;
	case INGERO_REC_SAMPLING: {
		const struct ingero_sampling *x = &rec->u.sampling;
		p = mp_put_array(p, 6); *p++ = (uint8_t)rec->kind;
		p = mp_put_uint(p, x->ts); p = mp_put_uint(p, x->pid); p = mp_put_uint(p, x->source);
		p = mp_put_uint(p, x->op); p = mp_put_uint(p, x->rate);
		break;
	}
	}
	w->flen = (size_t)(p - w->fb);
	if (w->flen >= w->o.frame_max_bytes)
		return wr_frame_close(w, 1);
	return 0;
}
