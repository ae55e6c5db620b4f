/*
 * perfetto_seq.c - ingero-perfetto packet sequences: the per-track
 * re-ordering window, shared late sequences, per-sequence interning.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_int.h"


static void seen_set(struct seq *t, int ns, uint32_t iid)
{
	if (iid >= t->seen_cap[ns] * 8) {
		uint32_t nc = t->seen_cap[ns] ? t->seen_cap[ns] : 16;
		while (iid >= nc * 8) nc *= 2;
		t->seen[ns] = xrealloc(t->seen[ns], nc);
		memset(t->seen[ns] + t->seen_cap[ns], 0, nc - t->seen_cap[ns]);
		t->seen_cap[ns] = nc;
	}
	t->seen[ns][iid >> 3] |= (uint8_t)(1u << (iid & 7));
}

static int seen_get(const struct seq *t, int ns, uint32_t iid)
{
	return iid < t->seen_cap[ns] * 8 && (t->seen[ns][iid >> 3] >> (iid & 7)) & 1;
}

void write_meta(struct px *px)
{
	if (px->meta_written || px->o.json) return;
	px->meta_written = 1;
	/* the trace's clock domain: REALTIME (unix ns); when the input is one
	 * node's recording, its boottime<->realtime anchor maps BOOTTIME too */
	struct pb_buf *p = &px->pkt;
	pb_uint(p, TP_SEQ_ID, SEQ_META);
	size_t cs = pb_begin(p, TP_CLOCK_SNAPSHOT);
	size_t c = pb_begin(p, CS_CLOCKS);
	pb_uint(p, CLK_ID, BUILTIN_REALTIME);
	pb_uint(p, CLK_TS, px->have_anchor ? px->anchor_real : px->origin);
	pb_end(p, c);
	if (px->have_anchor) {
		c = pb_begin(p, CS_CLOCKS);
		pb_uint(p, CLK_ID, BUILTIN_BOOTTIME);
		pb_uint(p, CLK_TS, px->anchor_boot);
		pb_end(p, c);
	}
	pb_uint(p, CS_PRIMARY, BUILTIN_REALTIME);
	pb_end(p, cs);
	emit_packet(px);
}

/* The first packet of a sequence: SEQ_INCREMENTAL_STATE_CLEARED and the
 * defaults (absolute REALTIME timestamps; the track, when the sequence
 * belongs to one: deftrack != 0). */
static void seq_start(struct px *px, struct seq *s, uint64_t deftrack)
{
	struct pb_buf *p = &px->pkt;
	write_meta(px);
	pb_uint(p, TP_SEQ_ID, s->id);
	pb_uint(p, TP_SEQ_FLAGS, SEQ_CLEARED);
	size_t d = pb_begin(p, TP_DEFAULTS);
	pb_uint(p, TP_CLOCK_ID, BUILTIN_REALTIME);
	if (deftrack) {
		size_t te = pb_begin(p, TP_TRACK_EVENT);
		pb_uint(p, TE_TRACK, deftrack);
		pb_end(p, te);
	}
	pb_end(p, d);
	emit_packet(px);
	s->started = 1;
	s->last_ts = 0;
}

/* A sequence for a packet older than its track's last one (outside the
 * re-ordering window): the first shared late sequence it does not take
 * back in time.  Its packets name their track explicitly. */
static struct seq *late_seq(struct px *px, uint64_t ts)
{
	struct seq *best = NULL;
	for (uint32_t i = 0; i < px->nlate; i++) {
		if (px->late[i]->last_ts <= ts) return px->late[i];
		if (!best || px->late[i]->last_ts < best->last_ts) best = px->late[i];
	}
	if (px->nlate == MAX_LATE_SEQS) return best; /* pathological input: goes back (the importer sorts) */
	struct seq *s = xcalloc(1, sizeof *s);
	s->id = px->next_seq++;
	px->late[px->nlate++] = s;
	return s;
}

void seq_free(struct seq *s)
{
	for (int n = 0; n < NS_N; n++) free(s->seen[n]);
}

static inline int hent_less(const struct hent *a, const struct hent *b)
{
	if (a->ts != b->ts) return a->ts < b->ts;
	if (a->cls != b->cls) return a->cls < b->cls;
	if (a->sub != b->sub) return a->sub < b->sub;
	return a->seqno < b->seqno;
}

static void item_release(struct px *px, struct pitem *it)
{
	if (it->body != it->inl) { free(it->body); it->body = it->inl; }
	if (px->nfree < FREE_MAX) px->freelist[px->nfree++] = it;
	else free(it);
}

static int uses_default_track(const struct track *t)
{
	return t->kind == TK_THREAD || t->kind == TK_OFFCPU || t->kind == TK_NODE || t->kind == TK_IO ||
	       t->kind == TK_STEPS;
}

static void emit_item(struct px *px, struct track *t, struct pitem *it)
{
	struct pb_buf *p = &px->pkt;
	struct seq *s = &t->sq;
	int own = 1;
	if (s->started && it->ts < s->last_ts) { /* older than the re-ordering window */
		s = late_seq(px, it->ts);
		own = 0;
	}
	if (!s->started) seq_start(px, s, own && uses_default_track(t) ? t->uuid : 0);
	pb_uint(p, TP_TIMESTAMP, it->ts);
	if (it->ts > s->last_ts) s->last_ts = it->ts;
	pb_uint(p, TP_SEQ_ID, s->id);
	pb_uint(p, TP_SEQ_FLAGS, SEQ_NEEDS);
	int any = 0;
	for (unsigned i = 0; i < it->niid; i++) {
		int ns = (int)(it->iids[i] >> 28);
		uint32_t iid = it->iids[i] & 0x0fffffff;
		if (seen_get(s, ns, iid)) continue;
		if (!any) { pb_clear(&px->intern); any = 1; }
		size_t e = pb_begin(&px->intern, ns == NS_CAT ? ID_CATEGORIES : ns == NS_NAME ? ID_NAMES : ID_ANN_NAMES);
		pb_uint(&px->intern, 1, iid);
		pb_str(&px->intern, 2, ig_strtab_str(&px->tab[ns], iid));
		pb_end(&px->intern, e);
		seen_set(s, ns, iid);
	}
	if (any) pb_sub(p, TP_INTERNED, &px->intern);
	if (!own && !it->has_track) { /* a late sequence has no default track */
		size_t te = pb_begin(p, TP_TRACK_EVENT);
		pb_uint(p, TE_TRACK, t->uuid);
		if (!pb_reserve(p, it->blen)) { memcpy(p->p + p->len, it->body, it->blen); p->len += it->blen; }
		pb_end(p, te);
	} else {
		pb_bytes(p, TP_TRACK_EVENT, it->body, it->blen);
	}
	emit_packet(px);
	item_release(px, it);
}

/* The re-ordering window of a track: a ring buffer kept sorted by insertion
 * from the back.  Packets arrive nearly in order (calls by completion), so a
 * push is usually an append and a pop takes the front. */
void heap_pop_emit(struct px *px, struct track *t)
{
	struct pitem *it = t->heap[t->hhead].it;
	t->hhead = (t->hhead + 1) & (RING - 1);
	t->nheap--;
	emit_item(px, t, it);
}

void heap_push(struct px *px, struct track *t, struct pitem *it)
{
	if (!t->heap) t->heap = xrealloc(NULL, RING * sizeof *t->heap);
	struct hent e = { it->ts, it->sub, t->seqno++, it, it->cls };
	uint32_t i = t->nheap, m = RING - 1;
	while (i && hent_less(&e, &t->heap[(t->hhead + i - 1) & m])) {
		t->heap[(t->hhead + i) & m] = t->heap[(t->hhead + i - 1) & m];
		i--;
	}
	t->heap[(t->hhead + i) & m] = e;
	if (++t->nheap > HEAP_WINDOW) heap_pop_emit(px, t);
}

/* Build a pending packet from px->body (TrackEvent bytes) and its iids. */
struct pitem *item_new(struct px *px, uint64_t ts, int cls, uint64_t sub, int has_track,
			      const uint32_t *iids, unsigned niid)
{
	struct pitem *it = px->nfree ? px->freelist[--px->nfree] : xmalloc(sizeof *it);
	it->ts = ts;
	it->cls = (uint8_t)cls;
	it->sub = sub;
	it->niid = (uint8_t)niid;
	it->has_track = (uint8_t)has_track;
	if (niid) memcpy(it->iids, iids, niid * sizeof *iids);
	it->blen = (uint32_t)px->body.len;
	if (px->body.oom) ig_die("out of memory");
	if (it->blen <= ITEM_INLINE) it->body = it->inl;
	else it->body = xrealloc(NULL, it->blen);
	memcpy(it->body, px->body.p, it->blen);
	return it;
}
