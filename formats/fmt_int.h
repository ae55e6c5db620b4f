/* fmt_int.h - private constants shared by the writer and the reader. */
#ifndef INGERO_FMT_INT_H
#define INGERO_FMT_INT_H

#include "ingero.h"

#define FMT_ZSTD_MAGIC 0xFD2FB528u
#define FMT_FRAME_MAX (64u << 20)      /* decompressed frame size cap */
#define FMT_EV_FIELDS 17               /* elements of a version-1.0 EVENT */
#define FMT_EV_MIN 7                   /* kind..dur are always written */
/* 1.1: packed event (docs/format.md section 3.1), must-understand */
#define FMT_REC_EVENT_PACKED 64
#define FMT_PK_MAX 17                  /* elements after the kind, at most */
/* [65] right after FRAME: in this frame an event's gap is measured from the
 * end of the previous event of the SAME node (docs/format.md 3.2);
 * must-understand */
#define FMT_REC_NODE_GAPS 65
#define FMT_REC_EVENT_NODE 66   /* 1.3: [66, node, source, op, ...] as 64 (format.md 3.4) */
#define FMT_NODE_GAPS_MAX (1u << 20)   /* node numbers such a frame may use */
#define FMT_TBITS_FIRST 12             /* tbits of a segment's first frame */
#define FMT_TBITS_MAX 32

/* fill an error (printf-style message); returns code */
int fmt_seterr(struct ingero_error *e, int code, int sys_errno, const char *file,
	       uint64_t off, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
