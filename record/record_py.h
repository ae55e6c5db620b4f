/* record_py.h - Python frames in the recorder (record/record_py.c). */
#ifndef INGERO_RECORD_PY_H
#define INGERO_RECORD_PY_H
#include <stddef.h>
#include "rec_py.h"

struct rec;
struct ibpf_event;
/* an ibpf_pyframes record from the ring buffer */
int rec_py_on_frames(struct rec *r, const void *data, size_t len);
/* before a CUDA event is written: set up its process on first sight and
 * resolve the Python frames of its call (rec_py_current) */
void rec_py_on_event(struct rec *r, const struct ibpf_event *e);
/* the resolved frames of the event being written, innermost first */
int rec_py_current(const struct rec_py_loc **frames);
#endif
