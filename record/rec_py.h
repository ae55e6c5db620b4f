/*
 * rec_py.h - CPython support for ingero-record: which CPython a process runs
 * (from its memory maps), and the per-version structure offsets a frame
 * walker needs (the layouts of the published CPython headers, x86-64).
 */
#ifndef INGERO_REC_PY_H
#define INGERO_REC_PY_H

#include <stdint.h>

/* The CPython version a mapped file belongs to: "libpython3.11.so.1.0",
 * "libpython3.12d.so", ".../python3.11" (the interpreter binary) give 3.11,
 * 3.12, 3.11.  Returns 1 and sets *minor (3.minor), 0 for other files. */
int rec_py_version_from_path(const char *path, int *minor);

/* The CPython version of a running process: a libpython mapping wins over
 * the interpreter binary (a python3.X linked against libpython).
 * Returns 3.minor as minor (e.g. 11), 0 when none is mapped, -1 when the
 * maps cannot be read.  path (optional) receives the mapped file. */
int rec_py_process_version(uint32_t pid, char *path, unsigned pathlen);

/* Offsets (bytes) into CPython's structures for one minor version. */
struct rec_py_offsets {
	int minor;                 /* 3.minor */
	int frames_supported;      /* 1: full frame chain; 0: detected, not walked */
	/* _PyRuntimeState */
	uint16_t rt_interp_head;   /* interpreters.head */
	/* PyInterpreterState */
	uint16_t is_next;          /* next interpreter */
	uint16_t is_threads_head;  /* threads.head */
	/* PyThreadState */
	uint16_t ts_next;
	uint16_t ts_thread_id;     /* pthread_t (= fs base on x86-64 glibc) */
	uint16_t ts_native_tid;    /* kernel tid, 0xffff when absent (3.10) */
	uint16_t ts_frame;         /* 3.10: frame; 3.11/3.12: cframe */
	/* _PyCFrame (3.11/3.12) */
	uint16_t cf_current;       /* current_frame */
	/* frame: 3.10 PyFrameObject, 3.11+ _PyInterpreterFrame */
	uint16_t fr_code;          /* f_code / f_executable */
	uint16_t fr_previous;      /* f_back / previous */
	uint16_t fr_instr;         /* 3.10 f_lasti (int, code units); 3.11+ prev_instr */
	uint16_t fr_owner;         /* 3.11+: owner (char), 0xffff when absent */
	/* PyCodeObject */
	uint16_t co_filename, co_name, co_qualname, co_firstlineno, co_linetable;
	uint16_t co_code_adaptive; /* 3.11+: first instruction (offset in the code object) */
};

/* The offsets for 3.minor, NULL for a version without a table. */
const struct rec_py_offsets *rec_py_offsets(int minor);

#endif
