/*
 * pyframes_bpf.h - kernel/user boundary of the CPython frame walker
 * (bpf/pyframes.bpf.h, record/rec_py.c).  Fixed layouts, sizes pinned.
 */
#ifndef INGERO_PYFRAMES_BPF_H
#define INGERO_PYFRAMES_BPF_H

#define IBPF_F_PYFRAMES 0x200    /* an ibpf_pyframes record, not an event */
#define IBPF_PY_DEPTH 16         /* innermost Python frames taken */
#define IBPF_PY_THREADS 32       /* thread states scanned to find the caller's */

/* Per traced CPython process (py_procs map, key tgid): where _PyRuntime is
 * and the offsets of its version (record/rec_py.c table). */
struct ibpf_py_proc {
	__ibpf_u64 runtime;          /* address of _PyRuntime */
	__ibpf_u16 rt_interp_head, is_threads_head, ts_next, ts_native_tid;
	__ibpf_u16 ts_thread_id, ts_frame, cf_current, fr_code;
	__ibpf_u16 fr_previous, fr_instr, fr_owner, minor;
};
_Static_assert(sizeof(struct ibpf_py_proc) == 32, "ibpf_py_proc layout");

/* Emitted just before the CUDA event it belongs to: same tid, e.ts = the
 * call's entry time.  code[i] = the code object of frame i (innermost
 * first), instr[i] = 3.11+: the frame's prev_instr pointer; 3.10: f_lasti. */
struct ibpf_pyframes {
	struct ibpf_event e;         /* e.flags = IBPF_F_PYFRAMES, e.arg[0] = n */
	__ibpf_u64 code[IBPF_PY_DEPTH];
	__ibpf_u64 instr[IBPF_PY_DEPTH];
};
_Static_assert(sizeof(struct ibpf_pyframes) == sizeof(struct ibpf_event) + 256, "ibpf_pyframes layout");

#endif
