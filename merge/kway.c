/*
 * kway.c - ingero-merge pass 2: a streaming k-way merge.  One decoding
 * thread per input (decompression, decoding, clock conversion) feeds batches
 * of items to the merging thread; each input has a small reorder heap
 * bounded by its window, and a heap over the inputs emits records in the
 * total order (time, node index, input index, input sequence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_int.h"

/* ------------------------------------------------------ reorder heap */

/* The order: (bucket, node, time, input, sequence), bucket = time / window
 * (the time itself when the window is 0: strict time order).  Within one
 * window each node's records form one run, so the output switches nodes
 * (a CTX record, and a break in zstd's matches) once per node and window
 * instead of at nearly every record. */
static inline int64_t bucket_of(const struct mrg *m, int64_t key)
{
	return m->window ? key / m->window : key;
}

/* The reorder heap orders small entries.  An entry's item stays where the
 * decoding thread put it, in the batch being read (slot INB | index), until
 * that batch goes back to the decoding thread; then the items still held
 * move to a slot pool (relocate).  Most items leave the heap long before:
 * one copy per item (into the output batch) instead of two. */
#define INB 0x80000000u

static inline int hent_lt(const struct hent *a, const struct hent *b)
{
	if (a->b != b->b)
		return a->b < b->b;
	if (a->node != b->node)
		return a->node < b->node;
	if (a->key != b->key)
		return a->key < b->key;
	return a->seq < b->seq;
}

static uint32_t pool_take(struct input *in)
{
	if (!in->nfree) {
		size_t cap = in->pcap ? in->pcap * 2 : 64;
		in->pool = xrealloc(in->pool, cap * sizeof(*in->pool));
		in->freel = xrealloc(in->freel, cap * sizeof(*in->freel));
		for (size_t k = cap; k-- > in->pcap;)
			in->freel[in->nfree++] = (uint32_t)k;
		in->pcap = cap;
	}
	return in->freel[--in->nfree];
}

static inline struct item *hitem(struct input *in, uint32_t slot)
{
	return slot & INB ? &in->ch->cur->it[slot & ~INB] : &in->pool[slot];
}

/* item idx of the batch being read into the heap */
static void hpush(struct input *in, uint32_t idx)
{
	if (in->hn == in->hcap) {
		in->hcap = in->hcap ? in->hcap * 2 : 64;
		in->h = xrealloc(in->h, in->hcap * sizeof(*in->h));
	}
	const struct item *it = &in->ch->cur->it[idx];
	struct hent e = { bucket_of(in->m, it->key), it->key, it->seq, it->node, INB | idx };
	size_t i = in->hn++;
	while (i) {
		size_t p = (i - 1) / 2;
		if (!hent_lt(&e, &in->h[p]))
			break;
		in->h[i] = in->h[p];
		i = p;
	}
	in->h[i] = e;
}

/* the batch being read goes back: its items still held move to the pool */
static void relocate(struct input *in)
{
	for (size_t k = 0; k < in->hn; k++)
		if (in->h[k].slot & INB) {
			uint32_t s = pool_take(in);
			in->pool[s] = in->ch->cur->it[in->h[k].slot & ~INB];
			in->h[k].slot = s;
		}
}

static inline struct item *htop(struct input *in)
{
	return hitem(in, in->h[0].slot);
}

static void hpop(struct input *in)
{
	if (!(in->h[0].slot & INB))
		in->freel[in->nfree++] = in->h[0].slot;
	struct hent last = in->h[--in->hn];
	size_t i = 0, n = in->hn;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hent_lt(&in->h[c + 1], &in->h[c]))
			c++;
		if (!hent_lt(&in->h[c], &last))
			break;
		in->h[i] = in->h[c];
		i = c;
	}
	if (n)
		in->h[i] = last;
}

/* ------------------------------------------------------ decoding side */

/* Metadata has no time of its own: it sorts at the earliest time any later
 * record of its input can have, so it precedes the events that use it.  It
 * is copied because the reader reuses its buffers. */
static struct ingero_record *meta_copy(const struct ingero_record *r)
{
	struct ingero_record *c = ingero_record_dup(r);
	if (!c)
		ig_die("out of memory");
	return c;
}

/* A corrected time as an output field (uint64 unix ns): below 0 it cannot
 * be represented and is clamped to 0 (counted for a warning). */
static uint64_t out_ts(struct input *in, int64_t t)
{
	if (t < 0) {
		in->out_clamped++;
		return 0;
	}
	return (uint64_t)t;
}

/* the payload of a timed record into *it */
static void take_timed(struct input *in, const struct ingero_record *rec, struct item *it)
{
	int over;
	it->nat = mrg_rec_ts(rec, &over);   /* counted in pass 1 */
	if (it->nat > in->prunmax)
		in->prunmax = it->nat;
	switch (rec->kind) {
	case INGERO_REC_EVENT: it->u.ev = rec->u.ev; break;
	case INGERO_REC_SYS: it->u.sys = rec->u.sys; break;
	case INGERO_REC_GPU: it->u.gpu = rec->u.gpu; break;
	case INGERO_REC_LOST: it->u.lost = rec->u.lost; break;
	case INGERO_REC_SAMPLING: it->u.sampling = rec->u.sampling; break;
	case INGERO_REC_NOTE:
		it->u.note = rec->u.note;
		it->u.note.text = xstrdup(rec->u.note.text);
		break;
	}
}

/* Decode one record into *it (producer side); returns 0 at the end. */
static int produce(struct input *in, struct item *it)
{
	struct ingero_record rec;
	for (;;) {
		if (in->nread >= in->nrec)
			return 0;
		int rc = ingero_reader_next(in->r, &rec);
		if (rc <= 0)
			return 0;
		uint64_t seq = in->nread;
		__atomic_store_n(&in->nread, seq + 1, __ATOMIC_RELAXED);   /* progress reads it */
		if (!mrg_is_timed(rec.kind) && !mrg_is_meta(rec.kind))
			continue;
		uint32_t inner = in->unix_clock ? rec.node : 0;
		if (inner >= (in->unix_clock ? in->nin : 1))
			continue;   /* CTX to a node the table lacks: counted as a warning in pass 1 */
		const struct dom *d = &in->m->dom[in->dom];
		it->seq = seq;
		it->node = in->omap[inner];
		it->kind = (uint8_t)rec.kind;
		it->meta = 0;
		if (mrg_is_meta(rec.kind)) {
			it->meta = 1;
			it->nat = mrg_ssub(in->prunmax, in->late);
			it->u.own = meta_copy(&rec);
			if (rec.kind == INGERO_REC_PROCESS && rec.u.proc.start_ts)
				it->u.own->u.proc.start_ts = out_ts(in, dom_conv_c(d,
					mrg_u2i(rec.u.proc.start_ts), &in->pseg));
		} else {
			take_timed(in, &rec, it);
		}
		it->key = dom_conv_c(d, it->nat, &in->pseg);
		if (it->key < 0 || (it->key == INT64_MAX && it->nat != INT64_MAX)) {
			/* the output holds uint64 unix ns; keep the key in range
			 * (a monotone clamp: the order is unchanged) */
			it->key = it->key < 0 ? 0 : INT64_MAX;
			in->out_clamped += !it->meta;   /* metadata writes no time */
		}
		return 1;
	}
}

static void *producer(void *arg)
{
	struct input *in = arg;
	struct chan *c = in->ch;
	pthread_setname_np(pthread_self(), "merge-decode");
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->nempty && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop) {
			pthread_mutex_unlock(&c->mu);
			return NULL;
		}
		struct batch *b = c->empty[--c->nempty];
		pthread_mutex_unlock(&c->mu);
		b->n = 0;
		b->eof = 0;
		while (b->n < BATCH) {
			if (!produce(in, &b->it[b->n])) {
				b->eof = 1;
				break;
			}
			b->n++;
		}
		__atomic_store_n(&in->pbytes, ingero_reader_bytes(in->r), __ATOMIC_RELAXED);
		pthread_mutex_lock(&c->mu);
		c->full[(c->fhead + c->nfull) % NBATCH] = b;
		c->nfull++;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		if (b->eof)
			return NULL;
	}
}

static int chan_start(struct input *in)
{
	struct chan *c = xcalloc(1, sizeof(*c));
	in->ch = c;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	for (int i = 0; i < NBATCH; i++)
		c->empty[c->nempty++] = xcalloc(1, sizeof(struct batch));
	if (pthread_create(&c->th, NULL, producer, in) != 0)
		return mrg_fail(in->m, NULL, "cannot start a thread");
	c->started = 1;
	return 0;
}

static void batch_free(struct batch *b, int from)
{
	if (!b)
		return;
	for (int k = from; k < b->n; k++)
		mrg_item_release(&b->it[k]);
	free(b);
}

/* Stop the decoding thread (at its end, or early after a failure) and free
 * the channel with the items never consumed. */
static void chan_stop(struct input *in)
{
	struct chan *c = in->ch;
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->th, NULL);
	}
	for (int i = 0; i < c->nempty; i++)
		free(c->empty[i]);
	for (int i = 0; i < c->nfull; i++)
		batch_free(c->full[(c->fhead + i) % NBATCH], 0);
	batch_free(c->cur, c->pos);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	in->ch = NULL;
}

/* ------------------------------------------------------ merging side */

/* take the next item from the decoding thread into the reorder heap;
 * returns 0 at the end */
static int read_one(struct input *in)
{
	struct chan *c = in->ch;
	if (!c->cur || c->pos >= c->cur->n) {
		if (c->cur && c->cur->eof)
			return 0;
		if (c->cur)
			relocate(in);
		pthread_mutex_lock(&c->mu);
		if (c->cur) {
			c->empty[c->nempty++] = c->cur;
			pthread_cond_broadcast(&c->cv);
		}
		while (!c->nfull)
			pthread_cond_wait(&c->cv, &c->mu);
		c->cur = c->full[c->fhead];
		c->fhead = (c->fhead + 1) % NBATCH;
		c->nfull--;
		pthread_mutex_unlock(&c->mu);
		c->pos = 0;
		if (!c->cur->n)
			return 0;
	}
	const struct item *it = &c->cur->it[c->pos];
	if (!it->meta && it->nat > in->runmax)
		in->runmax = it->nat;
	hpush(in, (uint32_t)c->pos++);
	return 1;
}

/* Is the top final: can no later record of the input precede it?  Later
 * records start at runmax - late or after (the reorder window; metadata sorts
 * there too).  One node: time order is the heap's order, and an equal time
 * is not final (ties go by node first).  Several nodes (a merged input) with
 * a window: a later record of a lower node in the same bucket would come
 * first, so the top's bucket must lie below every later record's. */
static int top_final(struct input *in, const struct item *t)
{
	int64_t lo = mrg_ssub(in->runmax, in->late);
	if (!in->multi)
		return t->meta || t->nat < lo;
	if (lo != in->fin_nat) {
		int64_t k = dom_conv(&in->m->dom[in->dom], lo);
		in->fin_b = bucket_of(in->m, k < 0 ? 0 : k);
		in->fin_nat = lo;
	}
	return in->h[0].b < in->fin_b;
}

/* make in->h[0] final (or the input empty) */
static void refill(struct input *in)
{
	while (!in->eof) {
		if (in->hn) {
			if (top_final(in, htop(in)))
				return;
			if (in->hn >= in->hmax) {
				in->forced++;
				return;
			}
		}
		if (!read_one(in))
			in->eof = 1;
	}
}

/* heap over the inputs, keyed by a copy of each input's top: (time, node,
 * input); equal inputs never meet, so the sequence is not needed here */
struct top {
	int64_t b, key;
	uint32_t node;
	int input;
};

static inline int top_lt(const struct top *x, const struct top *y)
{
	if (x->b != y->b)
		return x->b < y->b;
	if (x->node != y->node)
		return x->node < y->node;
	if (x->key != y->key)
		return x->key < y->key;
	return x->input < y->input;
}

static void sift_down(struct top *hp, int n, int i)
{
	struct top v = hp[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && top_lt(&hp[c + 1], &hp[c]))
			c++;
		if (!top_lt(&hp[c], &v))
			break;
		hp[i] = hp[c];
		i = c;
	}
	hp[i] = v;
}

static inline struct top top_of(const struct mrg *m, int i)
{
	const struct hent *t = &m->in[i].h[0];
	return (struct top){ t->b, t->key, t->node, i };
}

/* the earliest corrected time of any input (the header's start_ts) */
static int64_t first_time(const struct mrg *m)
{
	int64_t start = INT64_MAX;
	for (int i = 0; i < m->nin; i++) {
		const struct input *in = &m->in[i];
		if (in->have_t) {
			int64_t s = dom_conv(&m->dom[in->dom], in->tmin);
			if (s < start)
				start = s;
		}
	}
	return start == INT64_MAX ? 0 : start;
}

static void progress(struct mrg *m, uint64_t done)
{
	uint64_t b = 0;
	for (int i = 0; i < m->nin; i++)
		b += __atomic_load_n(&m->in[i].pbytes, __ATOMIC_RELAXED);
	ig_progress_update(&m->prog, b, done);
}

/* The merge loop: the smallest top of all inputs goes out, until all are
 * empty or the writer failed. */
static void merge_loop(struct mrg *m)
{
	struct top *hp = xcalloc(m->nin, sizeof(*hp));
	int hn = 0;
	for (int i = 0; i < m->nin; i++) {
		struct input *in = &m->in[i];
		refill(in);
		if (in->hn)
			hp[hn++] = top_of(m, i);
	}
	for (int i = hn / 2 - 1; i >= 0; i--)
		sift_down(hp, hn, i);
	uint64_t done = 0;
	ig_progress_start(&m->prog, "merge", m->in_bytes);
	while (hn) {
		struct input *in = &m->in[hp[0].input];
		mrg_out_put(m, htop(in));
		hpop(in);
		refill(in);
		if (in->hn)
			hp[0] = top_of(m, hp[0].input);
		else
			hp[0] = hp[--hn];
		sift_down(hp, hn, 0);
		if (!(++done & 0x3fff)) {
			if (__atomic_load_n(&m->wfailed, __ATOMIC_ACQUIRE))
				break;
			if (m->prog.on)
				progress(m, done);
		}
	}
	ig_progress_end(&m->prog);
	free(hp);
}

/* free an input's pass-2 state (items still held own memory) */
static void input_end(struct input *in)
{
	/* held items first: some may still lie in the channel's batch */
	for (size_t k = 0; k < in->hn; k++)
		mrg_item_release(hitem(in, in->h[k].slot));
	in->hn = 0;
	chan_stop(in);
	ingero_reader_close(in->r);
	in->r = NULL;
	free(in->h);
	in->hcap = 0;
	free(in->pool);
	free(in->freel);
	in->h = NULL;
	in->pool = NULL;
	in->freel = NULL;
}

static void final_warnings(struct mrg *m)
{
	for (int i = 0; i < m->nin; i++) {
		struct input *in = &m->in[i];
		if (in->forced)
			mrg_warn(m, NULL, "%s: %llu records arrived later than the reorder window "
				 "allows; output order may be approximate there", in->arg,
				 (unsigned long long)in->forced);
		if (in->out_clamped)
			mrg_warn(m, NULL, "%s: %llu corrected timestamp(s) fall outside 0..%lld ns "
				 "and cannot be represented; clamped to the nearest limit", in->arg,
				 (unsigned long long)in->out_clamped, (long long)INT64_MAX);
	}
	for (int i = 0; i < m->nnode; i++)
		if (m->node[i].ev_in != m->node[i].ev_out)
			mrg_warn(m, NULL, "node '%s': %llu events read, %llu written", m->node[i].name,
				 (unsigned long long)m->node[i].ev_in,
				 (unsigned long long)m->node[i].ev_out);
}

static int start_inputs(struct mrg *m)
{
	size_t per = REORDER_CAP_TOTAL / (size_t)m->nin;
	if (per < 4096)
		per = 4096;
	for (int i = 0; i < m->nin; i++) {
		struct input *in = &m->in[i];
		if (mrg_open_reader(in, &in->r) < 0)
			return -1;
		in->hmax = per;
		in->multi = in->unix_clock && in->nin > 1 && m->window;
		in->fin_nat = INT64_MIN;
		in->fin_b = INT64_MIN;
		in->runmax = in->have_t ? in->tmin : 0;
		in->prunmax = in->runmax;
		in->pbytes = 0;
	}
	for (int i = 0; i < m->nin; i++)
		if (chan_start(&m->in[i]) < 0)
			return -1;
	return 0;
}

int mrg_pass2(struct mrg *m)
{
	m->pass = 2;
	int64_t start = first_time(m);
	int rc = mrg_out_open(m, start);
	if (!rc)
		rc = start_inputs(m);
	if (!rc)
		rc = mrg_out_start(m);
	if (!rc)
		merge_loop(m);
	mrg_out_finish(m);
	for (int i = 0; i < m->nin; i++)
		input_end(&m->in[i]);   /* joins the decoding thread: out_clamped is final */
	if (mrg_out_close(m, rc == 0) < 0 || rc < 0)
		return -1;
	final_warnings(m);
	return 0;
}
