/* record.c - helpers over decoded records: their time, a deep copy, and the
 * clock facts of a header (see ingero.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"

int ingero_record_ts(const struct ingero_record *r, uint64_t *ts)
{
	switch (r->kind) {
	case INGERO_REC_EVENT: *ts = r->u.ev.ts; return 1;
	case INGERO_REC_SYS: *ts = r->u.sys.ts; return 1;
	case INGERO_REC_GPU: *ts = r->u.gpu.ts; return 1;
	case INGERO_REC_LOST: *ts = r->u.lost.ts; return 1;
	case INGERO_REC_NOTE: *ts = r->u.note.ts; return 1;
	case INGERO_REC_SAMPLING: *ts = r->u.sampling.ts; return 1;
	case INGERO_REC_ANCHOR: *ts = r->u.anchor.boottime; return 1;
	}
	return 0;
}

/* offsets of the string fields of each kind (0 ends a list) */
#define OFF(f) offsetof(struct ingero_record, u.f)
static const size_t str_hdr[] = { OFF(hdr.node), OFF(hdr.host), OFF(hdr.boot_id), OFF(hdr.kernel),
				  OFF(hdr.recorder), OFF(hdr.cmdline), OFF(hdr.clock), 0 };
static const size_t str_proc[] = { OFF(proc.comm), OFF(proc.cmdline), 0 };
static const size_t str_thr[] = { OFF(thr.name), 0 };
static const size_t str_mod[] = { OFF(mod.path), OFF(mod.build_id), 0 };
static const size_t str_sym[] = { OFF(sym.name), 0 };
static const size_t str_node[] = { OFF(nodeinfo.name), OFF(nodeinfo.host), OFF(nodeinfo.boot_id),
				   OFF(nodeinfo.method), 0 };
static const size_t str_note[] = { OFF(note.text), 0 };
static const size_t str_py[] = { OFF(pyframe.file), OFF(pyframe.func), 0 };
static const size_t str_none[] = { 0 };
#undef OFF

static const size_t *string_fields(int kind)
{
	switch (kind) {
	case INGERO_REC_HEADER: return str_hdr;
	case INGERO_REC_PROCESS: return str_proc;
	case INGERO_REC_THREAD: return str_thr;
	case INGERO_REC_MODULE: return str_mod;
	case INGERO_REC_SYMBOL: return str_sym;
	case INGERO_REC_NODE: return str_node;
	case INGERO_REC_NOTE: return str_note;
	case INGERO_REC_PYFRAME: return str_py;
	}
	return str_none;
}

#define FIELD(r, off) (*(const char **)((char *)(r) + (off)))

struct ingero_record *ingero_record_dup(const struct ingero_record *r)
{
	const size_t *f = string_fields(r->kind);
	size_t need = sizeof(*r);
	int stack = r->kind == INGERO_REC_STACK && r->u.stack;

	if (stack)
		need += sizeof(*r->u.stack);
	for (size_t i = 0; f[i]; i++)
		need += (FIELD(r, f[i]) ? strlen(FIELD(r, f[i])) : 0) + 1;
	struct ingero_record *c = malloc(need);
	if (!c)
		return NULL;
	*c = *r;
	c->file = NULL;
	char *p = (char *)(c + 1);
	if (stack) {
		memcpy(p, r->u.stack, sizeof(*r->u.stack));
		c->u.stack = (struct ingero_stack *)p;
		p += sizeof(*r->u.stack);
	}
	for (size_t i = 0; f[i]; i++) {
		const char *s = FIELD(r, f[i]) ? FIELD(r, f[i]) : "";
		size_t l = strlen(s) + 1;
		memcpy(p, s, l);
		FIELD(c, f[i]) = p;
		p += l;
	}
	return c;
}

int ingero_clock_add_header(struct ingero_clock *c, const struct ingero_header *h)
{
	if (h->clock && !strcmp(h->clock, "unix")) {
		c->identity = 1;
		return 0;
	}
	if (!ingero_header_has_anchor(h))
		return 0;
	return ingero_clock_add(c, &h->anchor);
}
