/*
 * perfetto.c - ingero-perfetto timeline writer: life cycle (px_new,
 * px_finish, px_free).  perfetto_int.h describes the layout and the files.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_int.h"


struct px *px_new(FILE *out, const struct px_opts *o)
{
	struct px *px = calloc(1, sizeof *px);
	if (!px) return NULL;
	for (int n = 0; n < NS_N; n++) px->tab[n].max = MAX_INTERNED;
	px->out = out;
	px->o = *o;
	px->next_seq = SEQ_META + 1;
	px->json_first = 1;
	if (o->json) fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
	return px;
}

int px_finish(struct px *px)
{
	if (px->o.json) {
		fprintf(px->out, "\n],\"otherData\":{\"generator\":\"ingero-perfetto " INGERO_VERSION "\","
			"\"ts_origin_unix_ns\":%" PRIu64 "}}\n", px->origin);
	} else {
		write_meta(px);
		for (uint32_t i = 0; i < px->ntracks; i++) {
			struct track *t = px->tracks[i];
			while (t->nheap) heap_pop_emit(px, t);
		}
		flush_buf(px);
		zq_finish(px);
	}
	if (fflush(px->out) != 0 && !px->err) px->err = errno ? errno : EIO;
	if (px->err) { errno = px->err; return -1; }
	return 0;
}

void px_free(struct px *px)
{
	if (!px) return;
	for (uint32_t i = 0; i < px->ntracks; i++) {
		struct track *t = px->tracks[i];
		for (uint32_t k = 0; k < t->nheap; k++) {
			struct pitem *it = t->heap[(t->hhead + k) & (RING - 1)].it;
			if (it->body != it->inl) free(it->body);
			free(it);
		}
		free(t->heap);
		seq_free(&t->sq);
		free(t->name);
		free(t);
	}
	free(px->tracks);
	for (uint32_t i = 0; i < px->nlate; i++) { seq_free(px->late[i]); free(px->late[i]); }
	ig_map_release(&px->tmap);
	ig_map_release(&px->stepids);
	for (uint32_t i = 0; i < px->nnodes; i++) free(px->nodes[i].name);
	free(px->nodes);
	for (int n = 0; n < NS_N; n++) ig_strtab_release(&px->tab[n]);
	pb_free(&px->buf); pb_free(&px->pkt); pb_free(&px->body); pb_free(&px->tmp); pb_free(&px->intern);
	zq_finish(px);
	if (px->zinit) deflateEnd(&px->z);
	free(px->lane_end);
	for (uint32_t i = 0; i < px->nfree; i++) free(px->freelist[i]);
	free(px);
}

const struct px_stats *px_stats(const struct px *px) { return &px->st; }
