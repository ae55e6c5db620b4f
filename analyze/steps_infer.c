/* steps_infer.c - --inference: step phases from observable signals (the
 * original v0.16 classifier's rule order, docs/engine.md "Inference"),
 * outlier findings per (stream, phase, bucket) with their context: NVML
 * throttling, other processes' GPU calls, off-CPU time and KV-cache lineage
 * (cudaMalloc/cudaFree paired by device pointer: ages of the oldest live
 * blocks). */
#include <inttypes.h>

#include "steps_int.h"

/* first match: any NCCL -> prefill; no launch and no copy -> unknown;
 * > 200 launches -> prefill; < 50 launches and < 1 MiB copied -> decode;
 * 50..200 launches -> mixed; >= 10 MiB copied -> mixed; else unknown.
 * (The original's "average kernel > 500 us -> prefill" needs kernel
 * execution times, which uprobes do not see; never the step's duration.) */
void steps_classify(struct eng *e, struct step *s)
{
	(void)e;
	if (s->nccl)
		s->phase = PH_PREFILL;
	else if (!s->launches && !s->mbytes)
		s->phase = PH_UNKNOWN;
	else if (s->launches > INFER_PREFILL_LAUNCHES)
		s->phase = PH_PREFILL;
	else if (s->launches < INFER_DECODE_LAUNCHES && s->mbytes < INFER_DECODE_BYTES)
		s->phase = PH_DECODE;
	else if (s->launches >= INFER_DECODE_LAUNCHES)
		s->phase = PH_MIXED;
	else if (s->mbytes >= INFER_MIXED_BYTES)
		s->phase = PH_MIXED;
	else
		s->phase = PH_UNKNOWN;
}

/* live device allocations of (node, pid) at time t: count and the ages of
 * the 3 oldest, from cudaMalloc/cudaFree paired by pointer */
static int kv_live(struct eng *e, int node, int64_t pid, int64_t t, int64_t *n, int64_t age[3])
{
	sqlite3_stmt *st;
	*n = 0;
	age[0] = age[1] = age[2] = -1;
	char sql[400];
	snprintf(sql, sizeof(sql), "SELECT source, op, timestamp, arg0, arg1 FROM events WHERE node = ?1 AND pid = ?2 AND "
		 "source IN (%d, %d) AND timestamp <= ?3 ORDER BY timestamp", INGERO_SRC_CUDA, INGERO_SRC_DRIVER);
	if (eng_prep(e, &st, sql, "steps: reading allocations"))
		return -1;
	sqlite3_bind_text(st, 1, e->nodes.s[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pid);
	sqlite3_bind_int64(st, 3, t);
	struct ig_map live = { 0 };
	while (sqlite3_step(st) == SQLITE_ROW) {
		int src = sqlite3_column_int(st, 0), op = sqlite3_column_int(st, 1);
		int c = ingero_op_class(src, op);
		int64_t ts = sqlite3_column_int64(st, 2);
		if (c == INGERO_OPC_ALLOC) {
			uint64_t ptr = (uint64_t)sqlite3_column_int64(st, 4);
			if (ptr && ptr != IG_MAP_EMPTY)
				ig_map_xput(&live, ptr, (uint64_t)ts);
		} else if (c == INGERO_OPC_FREE) {
			uint64_t ptr = (uint64_t)sqlite3_column_int64(st, 3);
			if (ptr && ptr != IG_MAP_EMPTY)
				ig_map_del(&live, ptr);
		}
	}
	sqlite3_finalize(st);
	/* oldest three */
	int64_t old[3] = { INT64_MAX, INT64_MAX, INT64_MAX };
	for (size_t i = 0; i < live.cap; i++) {
		if (live.keys[i] == IG_MAP_EMPTY)
			continue;
		int64_t ts = (int64_t)live.vals[i];
		(*n)++;
		for (int k = 0; k < 3; k++)
			if (ts < old[k]) {
				for (int j = 2; j > k; j--)
					old[j] = old[j - 1];
				old[k] = ts;
				break;
			}
	}
	for (int k = 0; k < 3; k++)
		age[k] = old[k] == INT64_MAX ? -1 : t - old[k];
	ig_map_release(&live);
	return 0;
}

static const char *const bucket[4] = { "", "1.5x", "2x", "3x" };

int steps_outliers(struct eng *e)
{
	struct steps *S = e->st;
	/* groups: consecutive steps of one stream; per phase and bucket */
	for (size_t i = 0; i < S->ns;) {
		size_t j = i;
		while (j < S->ns && S->s[j].node == S->s[i].node && S->s[j].pid == S->s[i].pid &&
		       S->s[j].stream == S->s[i].stream)
			j++;
		for (int ph = 0; ph < NPH; ph++)
			for (int b = 3; b >= 1; b--) {
				int64_t n = 0, lost = 0, ws = INT64_MAX, we = 0, worst = -1, wdur = 0, pre = 0, blk = 0;
				for (size_t k = i; k < j; k++) {
					struct step *s = &S->s[k];
					if (s->phase != ph || s->outlier != b)
						continue;
					n++;
					if (s->start < ws)
						ws = s->start;
					if (s->start + s->dur > we)
						we = s->start + s->dur;
					if (s->dur > wdur) {
						wdur = s->dur;
						worst = (int64_t)k;
					}
					pre += s->cat[CAT_PRE] + s->call_pre;
					blk += s->cat[CAT_BLK];
				}
				if (!n)
					continue;
				int64_t p95 = 0, p50 = 0, m = 0;
				for (size_t k = i; k < j; k++) {
					struct step *s = &S->s[k];
					if (s->phase == ph && !s->warm && !s->slow && !s->outlier)
						m++;
				}
				int64_t *d = xmalloc((size_t)(m ? m : 1) * sizeof(int64_t));
				m = 0;
				for (size_t k = i; k < j; k++) {
					struct step *s = &S->s[k];
					if (s->phase == ph && !s->warm && !s->slow && !s->outlier)
						d[m++] = s->dur;
				}
				if (m) {
					p50 = ig_kth_i64(d, (size_t)m, (size_t)(m - 1) / 2);
					p95 = ig_kth_i64(d, (size_t)m, (size_t)(0.95 * (double)m + 0.999) - 1);
				}
				free(d);
				for (size_t k = i; k < j; k++) {
					struct step *s = &S->s[k];
					if (s->phase == ph && s->outlier == b)
						lost += s->dur - p50 > 0 ? s->dur - p50 : 0;
				}
				struct step *w = &S->s[worst];
				struct stepfind *f = sf_new(e, "outlier");
				char who[160], b1[32], b2[32], b3[32], b4[32], ctx[768];
				size_t off = 0;
				f->node = w->node;
				f->pid = w->pid;
				f->stream = w->stream;
				f->step_id = w->id;
				f->start = ws;
				f->dur = we - ws;
				f->lost = lost;
				f->share = (double)lost / (double)steps_wall(e, w->node);
				proc_who(e, w->node, w->pid, who, sizeof(who));
				f->summary = xasprintf("%" PRId64 " %s outlier%s in the %s bucket of %s (phase p95 %s, worst step %" PRId64
						       " %s)", n, step_phase_name[ph], n > 1 ? "s" : "", bucket[b], who, FD(p95, b1),
						       w->idx, FD(w->dur, b2));
				ctx[0] = 0;
				int64_t thr = -1;
				if (e->have_gpu) {
					sqlite3_reset(e->q_gpu);
					sqlite3_bind_text(e->q_gpu, 1, e->nodes.s[w->node], -1, SQLITE_STATIC);
					sqlite3_bind_int64(e->q_gpu, 2, ws - NS_S);
					sqlite3_bind_int64(e->q_gpu, 3, we + NS_S);
					if (sqlite3_step(e->q_gpu) == SQLITE_ROW && sqlite3_column_type(e->q_gpu, 0) != SQLITE_NULL)
						thr = sqlite3_column_int64(e->q_gpu, 0);
					sqlite3_reset(e->q_gpu);
				}
				if (thr > 0)
					off += (size_t)snprintf(ctx + off, sizeof(ctx) - off, "NVML reports throttling (reasons 0x%" PRIx64
								"%s) during the outliers", thr, (thr & 0x60) ? ", thermal" : "");
				else
					off += (size_t)snprintf(ctx + off, sizeof(ctx) - off, "no NVML throttling recorded");
				off += (size_t)snprintf(ctx + off, sizeof(ctx) - off, "; off-CPU in the outliers: preempted %s, blocked %s",
							FD(pre, b3), FD(blk, b4));
				if (ph == PH_DECODE) {
					int64_t nlive, age[3];
					if (kv_live(e, w->node, w->pid, w->start, &nlive, age))
						return -1;
					if (nlive > 0) {
						off += (size_t)snprintf(ctx + off, sizeof(ctx) - off, "; KV-cache lineage at the worst step: %"
									PRId64 " live allocations, oldest aged", nlive);
						for (int a = 0; a < 3 && age[a] >= 0; a++)
							off += (size_t)snprintf(ctx + off, sizeof(ctx) - off, "%s %s", a ? "," : "",
										FD(age[a], b1));
					}
				}
				(void)off;
				f->root = xstrdup(ctx);
				if (thr > 0)
					rec_add(f->recs, "The GPU throttles: check cooling and power limits (nvidia-smi -q -d PERFORMANCE)");
				if (pre + blk > lost / 4)
					rec_add(f->recs, "The serving thread is off-CPU in the outliers: pin it, keep other work off its cores");
				rec_add(f->recs, "Compare the outlier steps with typical ones of the phase: ingero-analyze --steps --inference");
				sf_severity(f);
			}
		i = j;
	}
	return 0;
}
