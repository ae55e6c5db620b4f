/* record_py.h - Python frames in the recorder (record/record_py.c). */
#ifndef INGERO_RECORD_PY_H
#define INGERO_RECORD_PY_H
#include <stddef.h>
#include "rec_py.h"

struct rec;
struct ibpf_event;
/* an ibpf_pyframes record from the ring buffer */
int rec_py_on_frames(struct rec *r, const void *data, size_t len);
/* before a CUDA event is written: set up its process on first sight,
 * resolve the Python frames of its call (once per (pid, code, instruction))
 * and write their PYFRAME records where this segment lacks them */
void rec_py_on_event(struct rec *r, const struct ibpf_event *e);
/* the event's stack id: its native stack with the Python frames of
 * rec_py_on_event (a STACK with a py field), or the native stack alone */
uint64_t rec_py_stack(struct rec *r, const struct ibpf_event *e);
/* the number of resolved frames of the event being written, and frame i
 * (innermost first); valid until the next rec_py_on_event */
int rec_py_current(void);
/* the event is written: later events (page-alloc summaries, ...) have none */
void rec_py_reset(void);
const struct rec_py_loc *rec_py_frame(int i);
#endif
