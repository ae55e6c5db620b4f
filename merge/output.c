/*
 * output.c - ingero-merge's output: the writer (header, NODE table at the
 * start of every segment, a CTX record before every run of one node's
 * records) in its own thread, fed batches of items in output order by the
 * merging thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "merge_int.h"

static mode_t current_umask(void)
{
	mode_t u = umask(022);
	umask(u);
	return u;
}

/* The writer failed: keep the first reason (printed by mrg_out_close or
 * mrg_out_open); -1. */
static int wfail(struct mrg *m)
{
	if (m->wfailed)
		return -1;
	const struct ingero_error *e = m->w ? ingero_writer_error(m->w) : NULL;
	char buf[1200];
	if (e && e->code)
		m->werr = xstrdup(ingero_strerror(e, buf, sizeof(buf)));
	else
		m->werr = xasprintf("%s: write failed", m->out);
	__atomic_store_n(&m->wfailed, 1, __ATOMIC_RELEASE);
	return -1;
}

static int put_ctx(struct mrg *m, uint32_t node)
{
	if (m->have_ctx && m->cur_node == node)
		return 0;
	m->ctx.kind = INGERO_REC_CTX;
	m->ctx.node = node;
	m->ctx.u.ctx_node = node;
	if (ingero_writer_append(m->w, &m->ctx) < 0)
		return wfail(m);
	m->cur_node = node;
	m->have_ctx = 1;
	return 0;
}

void mrg_item_release(struct item *it)
{
	if (it->meta)
		free(it->u.own);
	else if (it->kind == INGERO_REC_NOTE)
		free((char *)it->u.note.text);
	it->meta = 0;
	it->kind = 0;
}

/* Events name their node (format.md 3.4: the first bytes of the record
 * differ per node, so zstd matches an event with its own node's previous
 * events, not with the node's before it); other records follow a CTX. */
static int emit(struct mrg *m, struct item *it)
{
	struct onode *o = &m->node[it->node];
	if (it->kind == INGERO_REC_EVENT) {
		it->u.ev.ts = (uint64_t)it->key;
		o->ev_out++;
		return ingero_writer_event_node(m->w, it->node, &it->u.ev) < 0 ? wfail(m) : 0;
	}
	if (put_ctx(m, it->node) < 0)
		return -1;
	struct ingero_record rec;
	if (it->meta) {
		rec = *it->u.own;
	} else {
		memset(&rec, 0, sizeof(rec));
		rec.kind = it->kind;
		uint64_t k = (uint64_t)it->key;
		switch (it->kind) {
		case INGERO_REC_SYS: rec.u.sys = it->u.sys; rec.u.sys.ts = k; break;
		case INGERO_REC_GPU: rec.u.gpu = it->u.gpu; rec.u.gpu.ts = k; break;
		case INGERO_REC_LOST: rec.u.lost = it->u.lost; rec.u.lost.ts = k; break;
		case INGERO_REC_SAMPLING: rec.u.sampling = it->u.sampling; rec.u.sampling.ts = k; break;
		case INGERO_REC_NOTE: rec.u.note = it->u.note; rec.u.note.ts = k; break;
		}
	}
	rec.node = it->node;
	return ingero_writer_append(m->w, &rec) < 0 ? wfail(m) : 0;
}

static int write_nodes(struct mrg *m, struct ingero_writer *w)
{
	for (int i = 0; i < m->nnode; i++) {
		const struct onode *o = &m->node[i];
		const struct dom *d = &m->dom[o->dom];
		struct ingero_record rec;
		memset(&rec, 0, sizeof(rec));
		rec.kind = INGERO_REC_NODE;
		struct ingero_node *n = &rec.u.nodeinfo;
		n->index = (uint32_t)i;
		n->name = o->name;
		n->host = o->host;
		n->boot_id = o->boot_id;
		n->rank = o->rank;
		n->method = m->no_correct && !d->user ? "none" : d->method;
		n->confidence_ns = d->conf;
		n->samples = d->samples;
		mrg_node_total(m, o, d->a, d->b, &n->offset_ns, &n->drift_ppb, &n->ref_ts);
		if (o->carried && d->a == 0 && d->b == 0) {
			n->method = o->carried->method;
			n->confidence_ns = o->carried->confidence_ns;
			n->samples = o->carried->samples;
		}
		if (ingero_writer_append(w, &rec) < 0)
			return wfail(m);
	}
	return 0;
}

static void on_rotate(void *ctx, struct ingero_writer *w)
{
	struct mrg *m = ctx;
	write_nodes(m, w);   /* a failure is kept in m->werr */
	m->have_ctx = 0;
}

static int out_is_file(const char *o)
{
	size_t n = strlen(o);
	return !strcmp(o, "-") || (n > 4 && !strcmp(o + n - 4, ".igz"));
}

/* A directory output: created, or an existing directory (not a symbolic
 * link) that holds no recording yet.  0 or -1. */
static int out_dir_check(struct mrg *m)
{
	struct stat sb;
	if (lstat(m->out, &sb) == 0) {
		if (S_ISLNK(sb.st_mode))
			return mrg_fail(m, NULL, "%s: is a symbolic link; refusing to write through it",
					m->out);
		if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
			return mrg_fail(m, NULL, "%s: not a regular file (device, FIFO or socket); "
					"refusing to replace it", m->out);
		if (!S_ISDIR(sb.st_mode))
			return mrg_fail(m, NULL, "%s: is a file, not a directory (a file output "
					"ends in .igz)", m->out);
	} else if (mkdir(m->out, 0755) < 0) {
		return mrg_fail(m, NULL, "%s: cannot create directory: %s", m->out, strerror(errno));
	} else {
		m->made_dir = 1;
	}
	char p[4096];
	snprintf(p, sizeof(p), "%s/seg-000001.igz", m->out);
	if (access(p, F_OK) == 0)
		return mrg_fail(m, NULL, "%s: already holds a recording; choose an empty directory",
				m->out);
	return 0;
}

int mrg_out_prepare(struct mrg *m)
{
	if (!strcmp(m->out, "-"))
		return 0;
	if (!out_is_file(m->out))
		return out_dir_check(m);
	/* written beside, renamed over the target by mrg_out_close */
	if (ig_out_open(&m->o, m->out, IG_OUT_NOFILE | (m->force ? IG_OUT_FORCE : 0)) < 0)
		return -1;
	if (chmod(m->o.tmp, 0640 & ~current_umask()) < 0)
		return mrg_fail(m, NULL, "%s: %s", m->o.tmp, strerror(errno));
	return 0;
}

int mrg_out_open(struct mrg *m, int64_t start)
{
	struct ingero_writer_opts o;
	memset(&o, 0, sizeof(o));
	if (!strcmp(m->out, "-")) {
		o.path = "-";
	} else if (out_is_file(m->out)) {
		o.path = m->o.tmp;
	} else {
		o.dir = m->out;
		o.seg_max_bytes = m->seg_bytes;
		o.seg_max_ns = UINT64_MAX / 4;   /* rotate by size only */
	}
	o.fsync = INGERO_FSYNC_NONE;
	o.node_gaps = 1;   /* gaps per node: interleaved nodes cost less (format.md 3.2) */
	o.node_events = 1; /* events name their node (format.md 3.4) */
	o.zstd_level = 1;
	o.hdr.node = "merged";
	o.hdr.host = "";
	o.hdr.boot_id = "";
	o.hdr.kernel = "";
	o.hdr.recorder = PROG " " INGERO_VERSION;
	o.hdr.cmdline = m->cmdline;
	o.hdr.clock = "unix";
	o.hdr.start_ts = (uint64_t)(start < 0 ? 0 : start);
	o.hdr.segment = 1;
	o.hdr.rank = -1;
	o.on_rotate = on_rotate;
	o.rotate_ctx = m;
	struct ingero_error err;
	if (ingero_writer_open(&m->w, &o, &err) < 0) {
		char buf[1200];
		m->w = NULL;
		return mrg_fail(m, NULL, "%s", ingero_strerror(&err, buf, sizeof(buf)));
	}
	return write_nodes(m, m->w);   /* a failure is printed by mrg_out_close */
}

/* The writer thread: encodes and compresses batches already in output
 * order.  After a failure it only frees what the items own. */
static void *writer_thread(void *arg)
{
	struct mrg *m = arg;
	struct chan *c = m->outc;
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->nfull)
			pthread_cond_wait(&c->cv, &c->mu);
		struct batch *b = c->full[c->fhead];
		c->fhead = (c->fhead + 1) % NBATCH;
		c->nfull--;
		pthread_mutex_unlock(&c->mu);
		for (int k = 0; k < b->n; k++) {
			if (!m->wfailed)
				emit(m, &b->it[k]);
			mrg_item_release(&b->it[k]);
		}
		int eof = b->eof;
		pthread_mutex_lock(&c->mu);
		c->empty[c->nempty++] = b;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		if (eof)
			return NULL;
	}
}

int mrg_out_start(struct mrg *m)
{
	struct chan *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	for (int i = 0; i < NBATCH; i++)
		c->empty[c->nempty++] = xcalloc(1, sizeof(struct batch));
	m->outc = c;
	if (pthread_create(&c->th, NULL, writer_thread, m) != 0)
		return mrg_fail(m, NULL, "cannot start a thread");
	c->started = 1;
	return 0;
}

static void out_take(struct mrg *m)
{
	struct chan *c = m->outc;
	pthread_mutex_lock(&c->mu);
	while (!c->nempty)
		pthread_cond_wait(&c->cv, &c->mu);
	m->out_cur = c->empty[--c->nempty];
	pthread_mutex_unlock(&c->mu);
	m->out_cur->n = 0;
}

static void out_hand(struct mrg *m, int eof)
{
	struct chan *c = m->outc;
	if (!m->out_cur)
		out_take(m);
	m->out_cur->eof = eof;
	pthread_mutex_lock(&c->mu);
	c->full[(c->fhead + c->nfull) % NBATCH] = m->out_cur;
	c->nfull++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	m->out_cur = NULL;
}

void mrg_out_put(struct mrg *m, const struct item *it)
{
	if (!m->out_cur)
		out_take(m);
	m->out_cur->it[m->out_cur->n++] = *it;
	if (m->out_cur->n == BATCH)
		out_hand(m, 0);
}

void mrg_out_finish(struct mrg *m)
{
	struct chan *c = m->outc;
	if (!c)
		return;
	if (c->started) {
		out_hand(m, 1);
		pthread_join(c->th, NULL);
	}
	for (int i = 0; i < c->nempty; i++)
		free(c->empty[i]);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	m->outc = NULL;
}

/* close the writer: 0 or -1 (printed) */
static int writer_close(struct mrg *m)
{
	if (!m->w)
		return m->wfailed ? mrg_fail(m, NULL, "%s", m->werr) : 0;
	int bad = m->wfailed;
	if (ingero_writer_close(m->w) < 0 && !bad) {
		m->w = NULL;
		return mrg_fail(m, NULL, "%s: write failed", m->out);
	}
	m->w = NULL;
	return bad ? mrg_fail(m, NULL, "%s", m->werr) : 0;
}

int mrg_out_close(struct mrg *m, int ok)
{
	int rc = writer_close(m);
	if (!m->o.tmp)
		return rc;
	if (rc < 0 || !ok) {
		ig_out_abort(&m->o);   /* an existing OUT stays as it was */
		return -1;
	}
	return ig_out_commit(&m->o);
}
