/* steps_base.c - part C of the step pass (steps.c): the steps in order and
 * numbered, baselines per (node, pid, stream, phase) after a warm-up, slow
 * steps flagged against them, and the steps / step_baselines tables. */
#include <inttypes.h>
#include <math.h>

#include "steps_int.h"

/* ---------------------------------------------------- C: baselines */

static int cmp_step(const void *a, const void *b)
{
	const struct step *x = a, *y = b;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if (x->stream != y->stream)
		return (x->stream > y->stream) - (x->stream < y->stream);
	if (x->start != y->start)
		return (x->start > y->start) - (x->start < y->start);
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int same_stream(const struct step *a, const struct step *b)
{
	return a->node == b->node && a->pid == b->pid && a->stream == b->stream;
}

/* baseline of the steps [lo, hi) of one stream and one phase (ph < 0: all) */
static void baseline(struct eng *e, size_t lo, size_t hi, int ph, int64_t out[5])
{
	struct steps *S = e->st;
	size_t n = 0, w = 0;
	for (size_t i = lo; i < hi; i++)
		if (ph < 0 || S->s[i].phase == ph)
			n++;
	size_t warm = n / 5 < STEP_WARMUP ? n / 5 : STEP_WARMUP;
	int64_t *d = xmalloc((n ? n : 1) * sizeof(int64_t));
	size_t m = 0;
	for (size_t i = lo; i < hi; i++) {
		struct step *s = &S->s[i];
		if (ph >= 0 && s->phase != ph)
			continue;
		if (w < warm) {
			s->warm = 1;
			w++;
			continue;
		}
		d[m++] = s->dur;
	}
	int64_t p50 = m ? ig_kth_i64(d, m, (m - 1) / 2) : 0;
	/* slow: > K x p50 and at least STEP_SLOW_MIN_NS above it */
	size_t h = 0;
	int64_t sum = 0;
	for (size_t i = lo; i < hi; i++) {
		struct step *s = &S->s[i];
		if ((ph >= 0 && s->phase != ph) || s->warm)
			continue;
		s->slow = p50 > 0 && (double)s->dur > STEP_K_SLOW * (double)p50 && s->dur - p50 >= STEP_SLOW_MIN_NS;
		if (!s->slow) {
			d[h++] = s->dur;
			sum += s->dur;
		}
	}
	int64_t p95 = h ? ig_kth_i64(d, h, (size_t)ceil(0.95 * (double)h) - 1) : 0;
	free(d);
	out[0] = (int64_t)h;
	out[1] = (int64_t)warm;
	out[2] = p50;
	out[3] = p95;
	out[4] = h ? sum / (int64_t)h : 0;
}

/* process names of the steps' culprits: a small cache in front of proc_name */
struct ncache { int node; int64_t pid; char name[64]; };
static const char *cname(struct eng *e, struct ncache *c, int node, int64_t pid)
{
	struct ncache *x = &c[(uint64_t)pid % 64];
	if (x->pid != pid || x->node != node) {
		x->pid = pid;
		x->node = node;
		proc_name(e, node, pid, x->name, sizeof(x->name));
	}
	return x->name;
}

int steps_write(struct eng *e)
{
	struct ncache *nc = xcalloc(64, sizeof(*nc));
	struct steps *S = e->st;
	sqlite3_stmt *st = NULL, *bl = NULL;
	char sql[1024];
	size_t off = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO steps (id, node, pid, tid, stream, step, start, duration, "
				     "boundary_op, phase, launches, memcpy_bytes, gpu_idle_ns, warmup, slow, outlier, "
				     "preempt_pid, preempt_comm, waker_pid, waker_comm");
	for (int c = 0; c < NCAT; c++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", %s", step_cat_name[c]);
	off += (size_t)snprintf(sql + off, sizeof(sql) - off, ") VALUES (?1");
	for (int c = 2; c <= 20 + NCAT; c++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ",?%d", c);
	snprintf(sql + off, sizeof(sql) - off, ")");
	if (sqlite3_exec(e->db, "DELETE FROM steps; DELETE FROM step_baselines", NULL, NULL, NULL) != SQLITE_OK)
		return eng_err(e, "writing steps: %s", sqlite3_errmsg(e->db));
	if (eng_prep(e, &st, sql, "writing steps") ||
	    eng_prep(e, &bl, "INSERT OR REPLACE INTO step_baselines (node, pid, stream, phase, steps, warmup, p50, p95, mean) "
		     "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)", "writing step_baselines")) {
		sqlite3_finalize(st);
		return -1;
	}
	static const char *const obk[4] = { "", "1.5x", "2x", "3x" };
	char b1[32];
	int rc = 0;
	for (size_t i = 0; i < S->ns && !rc; i++) {
		struct step *s = &S->s[i];
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_text(st, 2, e->nodes.s[s->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, s->pid);
		sqlite3_bind_int64(st, 4, s->tid);
		sqlite3_bind_int64(st, 5, s->stream);
		sqlite3_bind_int64(st, 6, s->idx);
		sqlite3_bind_int64(st, 7, s->start);
		sqlite3_bind_int64(st, 8, s->dur);
		sqlite3_bind_text(st, 9, eng_op_name(s->bsrc, s->bop, b1, sizeof(b1)), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 10, step_phase_name[s->phase], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, s->launches);
		sqlite3_bind_int64(st, 12, s->mbytes);
		sqlite3_bind_int64(st, 13, s->idle);
		sqlite3_bind_int(st, 14, s->warm);
		sqlite3_bind_int(st, 15, s->slow);
		sqlite3_bind_text(st, 16, obk[s->outlier & 3], -1, SQLITE_STATIC);
		if (s->pre.pid > 0) {
			sqlite3_bind_int64(st, 17, s->pre.pid);
			sqlite3_bind_text(st, 18, cname(e, nc, s->node, s->pre.pid), -1, SQLITE_TRANSIENT);
		}
		if (s->wak.pid > 0) {
			sqlite3_bind_int64(st, 19, s->wak.pid);
			sqlite3_bind_text(st, 20, cname(e, nc, s->node, s->wak.pid), -1, SQLITE_TRANSIENT);
		}
		for (int c = 0; c < NCAT; c++)
			sqlite3_bind_int64(st, 21 + c, s->cat[c]);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = eng_err(e, "writing steps: %s", sqlite3_errmsg(e->db));
	}
	/* baselines: one row per (stream, phase) */
	for (size_t i = 0; i < S->ns && !rc;) {
		size_t j = i;
		while (j < S->ns && same_stream(&S->s[j], &S->s[i]))
			j++;
		int seen[NPH] = { 0 };
		for (size_t k = i; k < j; k++)
			seen[S->s[k].phase] = 1;
		for (int ph = 0; ph < NPH && !rc; ph++) {
			if (!seen[ph])
				continue;
			int64_t b[5];
			baseline(e, i, j, ph, b);
			sqlite3_reset(bl);
			sqlite3_bind_text(bl, 1, e->nodes.s[S->s[i].node], -1, SQLITE_STATIC);
			sqlite3_bind_int64(bl, 2, S->s[i].pid);
			sqlite3_bind_int64(bl, 3, S->s[i].stream);
			sqlite3_bind_text(bl, 4, step_phase_name[ph], -1, SQLITE_STATIC);
			for (int k = 0; k < 5; k++)
				sqlite3_bind_int64(bl, 5 + k, b[k]);
			if (sqlite3_step(bl) != SQLITE_DONE)
				rc = eng_err(e, "writing step_baselines: %s", sqlite3_errmsg(e->db));
		}
		i = j;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(bl);
	free(nc);
	return rc;
}

/* baselines and slow flags of every stream (per phase), before writing */
void steps_flag(struct eng *e)
{
	struct steps *S = e->st;
	for (size_t i = 0; i < S->ns;) {
		size_t j = i;
		while (j < S->ns && same_stream(&S->s[j], &S->s[i]))
			j++;
		int seen[NPH] = { 0 };
		for (size_t k = i; k < j; k++)
			seen[S->s[k].phase] = 1;
		for (int ph = 0; ph < NPH; ph++) {
			if (seen[ph]) {
				int64_t b[5];
				baseline(e, i, j, ph, b);
				if (e->o.inference && b[3] > 0)
					for (size_t k = i; k < j; k++) {
						struct step *s = &S->s[k];
						if (s->phase != ph || s->warm)
							continue;
						double r = (double)s->dur / (double)b[3];
						s->outlier = r >= 3.0 ? 3 : r >= 2.0 ? 2 : r >= 1.5 ? 1 : 0;
					}
			}
		}
		i = j;
	}
}


/* steps in (node, pid, stream, start) order, numbered: id and index in the stream */
void steps_number(struct eng *e)
{
	struct steps *S = e->st;
	xqsort(S->s, S->ns, sizeof(*S->s), cmp_step);
	for (size_t i = 0; i < S->ns; i++) {
		S->s[i].id = (int64_t)i + 1;
		S->s[i].idx = i && same_stream(&S->s[i - 1], &S->s[i]) ? S->s[i - 1].idx + 1 : 0;
		if (e->o.inference)
			steps_classify(e, &S->s[i]);
	}
}
