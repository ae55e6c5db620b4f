/*
 * pyframes.bpf.h - in-kernel CPython frame walker (included by ingero.bpf.c).
 *
 * For a CUDA call of a process in py_procs, py_capture() finds the calling
 * thread's PyThreadState (a per-tid cache checked against native_thread_id,
 * else a bounded scan of the main interpreter's thread list matching the
 * kernel tid (3.11+) or pthread_self = fs base (3.10)), walks the frame chain
 * (3.10: PyFrameObject.f_back; 3.11/3.12: cframe->current_frame ->previous,
 * skipping C-stack shim frames) and emits the innermost IBPF_PY_DEPTH
 * (code object, instruction) pairs as one ibpf_pyframes record.  All reads
 * are bounded bpf_probe_read_user of fixed sizes; no memory of the process
 * is read beyond these pointers.  Resolution to file:function:line happens in
 * user space (record/rec_py.c), once per (code, instruction).
 */
#include "pyframes_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);                 /* tgid */
	__type(value, struct ibpf_py_proc);
} py_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);                 /* tid */
	__type(value, __u64);               /* its PyThreadState */
} py_tstate SEC(".maps");

static __always_inline __u64 py_rd(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

static __always_inline __u64 py_find_tstate(const struct ibpf_py_proc *p, __u32 tid)
{
	__u64 *c = bpf_map_lookup_elem(&py_tstate, &tid), ts, want;
	struct task_struct *task;

	if (p->ts_native_tid != 0xffff) {
		want = tid;
	} else {
		task = bpf_get_current_task_btf();
		want = BPF_CORE_READ(task, thread.fsbase);
	}
	__u16 idoff = p->ts_native_tid != 0xffff ? p->ts_native_tid : p->ts_thread_id;

	if (c && *c) {
		__u64 v = py_rd(*c + idoff);

		if (p->ts_native_tid != 0xffff)
			v = (__u32)v;
		if (v == want)
			return *c;
	}
	__u64 interp = py_rd(p->runtime + p->rt_interp_head);

	if (!interp)
		return 0;
	ts = py_rd(interp + p->is_threads_head);
#pragma clang loop unroll(disable)
	for (int i = 0; i < IBPF_PY_THREADS && ts; i++) {
		__u64 v = py_rd(ts + idoff);

		if (p->ts_native_tid != 0xffff)
			v = (__u32)v;
		if (v == want) {
			bpf_map_update_elem(&py_tstate, &tid, &ts, BPF_ANY);
			return ts;
		}
		ts = py_rd(ts + p->ts_next);
	}
	return 0;
}

/* Emit the Python frames of the current thread for a call entered at ts. */
static __noinline void py_capture(__u32 tgid, __u32 tid, __u64 ts, __u8 src)
{
	struct ibpf_py_proc *p = bpf_map_lookup_elem(&py_procs, &tgid);
	struct ibpf_pyframes *r;
	__u64 t, f;
	int n = 0;

	if (!p)
		return;
	t = py_find_tstate(p, tid);
	if (!t)
		return;
	f = py_rd(t + p->ts_frame);
	if (f && p->cf_current != 0xffff)
		f = py_rd(f + p->cf_current);
	if (!f)
		return;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count(&lost, src);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->e.ts = ts;
	r->e.pid = tgid;
	r->e.tid = tid;
	r->e.source = src;
	r->e.flags = IBPF_F_PYFRAMES;
	r->e.stack_id = -1;
	/* frame i goes to slot i; a 3.12 shim frame (owner FRAME_OWNED_BY_CSTACK
	 * = 3) is stored with code 0, which user space skips.  No data-dependent
	 * counters: the verifier sees one state per iteration. */
#pragma clang loop unroll(disable)
	for (int i = 0; i < IBPF_PY_DEPTH; i++) {
		__u64 code, ins = 0;
		__u8 owner = 0;

		if (!f)
			break;
		code = py_rd(f + p->fr_code);
		if (p->fr_owner != 0xffff)
			bpf_probe_read_user(&owner, 1, (void *)(f + p->fr_owner));
		if (p->minor == 10) {
			__u32 lasti = 0;

			bpf_probe_read_user(&lasti, 4, (void *)(f + p->fr_instr));
			ins = lasti;
		} else {
			ins = py_rd(f + p->fr_instr);
		}
		r->code[i & (IBPF_PY_DEPTH - 1)] = owner == 3 ? 0 : code;
		r->instr[i & (IBPF_PY_DEPTH - 1)] = ins;
		n = i + 1;
		f = py_rd(f + p->fr_previous);
	}
	r->e.arg[0] = n;
	submit(r);
}
