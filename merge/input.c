/*
 * input.c - ingero-merge pass 1: read every input once (one thread per
 * input, up to the CPU count): headers, node tables of merged inputs, clock
 * anchors, NCCL collective end times, time ranges and how far records arrive
 * out of start-time order (the reorder window).  Also the run's messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "merge_int.h"

/* ---------------------------------------------------------- messages */

#define MAX_KEPT 64

/* line == NULL marks the input's last message fatal */
static void msg_keep(struct input *in, const char *line)
{
	if (!line) {
		in->fatal = 1;
		return;
	}
	if (in->nmsgs >= MAX_KEPT && !in->fatal) {
		in->ndropped++;
		return;
	}
	char **m = realloc(in->msgs, (in->nmsgs + 1) * sizeof(*m));
	char *c = strdup(line);
	if (!m || !c) {
		free(c);
		return;
	}
	in->msgs = m;
	in->msgs[in->nmsgs++] = c;
}

static int keep_with(const struct mrg *m, const struct input *in)
{
	return in && m->pass == 1;
}

void mrg_warn(struct mrg *m, struct input *in, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	__atomic_fetch_add(&m->warnings, 1, __ATOMIC_RELAXED);
	if (m->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (keep_with(m, in))
		msg_keep(in, buf);
	else
		fprintf(stderr, PROG ": warning: %s\n", buf);
}

int mrg_fail(struct mrg *m, struct input *in, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (keep_with(m, in)) {
		msg_keep(in, NULL);   /* mark fatal */
		msg_keep(in, buf);
	} else {
		fprintf(stderr, PROG ": %s\n", buf);
	}
	return -1;
}

/* ------------------------------------------------------------ reading */

static void on_warn(void *ctx, const struct ingero_error *e)
{
	struct input *in = ctx;
	in->warnings++;
	if (in->m->pass != 1)
		return;
	char buf[1200];
	mrg_warn(in->m, in, "%s", ingero_strerror(e, buf, sizeof(buf)));
}

int mrg_open_reader(struct input *in, struct ingero_reader **r)
{
	struct ingero_error err;
	if (ingero_reader_open(r, in->path, &err) < 0) {
		char buf[1200];
		return mrg_fail(in->m, in, "%s", ingero_strerror(&err, buf, sizeof(buf)));
	}
	ingero_reader_set_warn(*r, on_warn, in);
	return 0;
}

static int anchor_over(const struct ingero_anchor *a)
{
	return a->boottime > (uint64_t)INT64_MAX || a->realtime > (uint64_t)INT64_MAX;
}

static int is_collective(const struct ingero_event *ev)
{
	return ev->source == INGERO_SRC_NCCL && ev->op >= INGERO_NCCL_ALL_REDUCE &&
	       ev->op <= INGERO_NCCL_BCAST && !(ev->flags & INGERO_EVF_NO_RETURN) &&
	       ev->arg[2] != 0;
}

static struct inner *inner_get(struct input *in, uint32_t idx)
{
	if (idx >= in->nin) {
		if (idx > 1u << 20)
			return NULL;
		in->in = xrealloc(in->in, (idx + 1) * sizeof(*in->in));
		memset(in->in + in->nin, 0, (idx + 1 - in->nin) * sizeof(*in->in));
		in->nev = xrealloc(in->nev, (idx + 1) * sizeof(*in->nev));
		memset(in->nev + in->nin, 0, (idx + 1 - in->nin) * sizeof(*in->nev));
		in->nin = idx + 1;
	}
	return &in->in[idx];
}

static void add_anchor(struct input *in, const struct ingero_anchor *a)
{
	if (in->nanch == in->capanch) {
		in->capanch = in->capanch ? in->capanch * 2 : 16;
		in->anch = xrealloc(in->anch, in->capanch * sizeof(*in->anch));
	}
	in->anch[in->nanch++] = *a;
	in->ts_over += anchor_over(a);
}

static void take_header(struct input *in, const struct ingero_header *h)
{
	in->name = xstrdup(h->node && h->node[0] ? h->node :
			   h->host && h->host[0] ? h->host : in->arg);
	in->host = xstrdup(h->host);
	in->boot_id = xstrdup(h->boot_id);
	in->rank = h->rank;
	in->unix_clock = h->clock && !strcmp(h->clock, "unix");
	if (!in->unix_clock && ingero_header_has_anchor(h))
		add_anchor(in, &h->anchor);
}

static void take_node(struct input *in, const struct ingero_node *n)
{
	struct inner *x = inner_get(in, n->index);
	if (!x || x->seen)
		return;
	x->seen = 1;
	x->name = xstrdup(n->name);
	x->host = xstrdup(n->host);
	x->boot_id = xstrdup(n->boot_id);
	x->method = xstrdup(n->method);
	x->rank = n->rank;
	x->offset_ns = n->offset_ns;
	x->drift_ppb = n->drift_ppb;
	x->ref_ts = n->ref_ts;
	x->confidence_ns = n->confidence_ns;
	x->samples = n->samples;
}

/* a timed record: time range, reorder window, events, collectives */
static void take_timed(struct input *in, const struct ingero_record *rec, int64_t *runmax)
{
	int over;
	int64_t t = mrg_rec_ts(rec, &over);
	in->ts_over += over;
	if (t < in->tmin) in->tmin = t;
	if (t > in->tmax) in->tmax = t;
	in->have_t = 1;
	/* t is clamped to 0..INT64_MAX, so this cannot saturate; it stays
	 * saturating should that ever change */
	if (*runmax != INT64_MIN && mrg_ssub(*runmax, t) > in->late)
		in->late = mrg_ssub(*runmax, t);
	if (t > *runmax)
		*runmax = t;
	if (rec->kind != INGERO_REC_EVENT)
		return;
	uint32_t nd = in->unix_clock ? rec->node : 0;
	if (nd >= in->nin && in->unix_clock) {
		if (!inner_get(in, nd))
			return;
	}
	in->nev[nd < (in->nin ? in->nin : 1) ? nd : 0]++;
	if (!in->m->no_collectives && is_collective(&rec->u.ev)) {
		/* merged inputs: one table over all their nodes (one domain) */
		if (mrg_coll_add(&in->coll, rec->u.ev.arg[0], rec->u.ev.arg[2],
				 mrg_sadd(t, mrg_u2i(rec->u.ev.dur))) < 0)
			ig_die("out of memory");
	}
}

/* after the last record: names of unnamed inner nodes, --node-name */
static void finish_input(struct input *in)
{
	struct mrg *m = in->m;
	if (in->ts_over)
		mrg_warn(m, in, "%s: %llu timestamp(s) above %lld ns (year 2262) cannot be "
			 "represented; clamped to %lld", in->arg, (unsigned long long)in->ts_over,
			 (long long)INT64_MAX, (long long)INT64_MAX);
	if (in->unix_clock) {
		if (!in->nin)   /* a unix-clock recording without a node table */
			inner_get(in, 0);
		for (uint32_t i = 0; i < in->nin; i++)
			if (!in->in[i].seen) {
				char nm[64];
				snprintf(nm, sizeof(nm), "%s#%u", in->name, i);
				in->in[i].name = xstrdup(in->nin == 1 ? in->name : nm);
				in->in[i].host = xstrdup(in->host);
				in->in[i].boot_id = xstrdup(in->boot_id);
				in->in[i].method = xstrdup("none");
				in->in[i].rank = in->nin == 1 ? in->rank : -1;
				in->in[i].seen = 1;
			}
	}
	if (in->name_override) {
		if (in->unix_clock && in->nin > 1)
			mrg_warn(m, in, "%s: --node-name ignored for a merged recording of %u nodes",
				 in->arg, in->nin);
		else if (in->unix_clock) {
			free(in->in[0].name);
			in->in[0].name = xstrdup(in->name_override);
		} else {
			free(in->name);
			in->name = xstrdup(in->name_override);
		}
	}
}

/* Pass 1 of one input (in a pass-1 thread): 0, or -1 with the error kept
 * as the input's fatal message.  The reader lives in in->r; the caller
 * closes it. */
static int pass1(struct input *in)
{
	struct mrg *m = in->m;
	if (mrg_open_reader(in, &in->r) < 0)
		return -1;
	struct ingero_reader *r = in->r;
	struct ingero_record rec;
	int rc, got_hdr = 0;
	int64_t runmax = INT64_MIN;
	in->nev = xcalloc(1, sizeof(*in->nev));
	in->tmin = INT64_MAX;
	in->tmax = INT64_MIN;
	mrg_coll_init(&in->coll);
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		__atomic_store_n(&in->nrec, in->nrec + 1, __ATOMIC_RELAXED);
		if (!(in->nrec & 0xfff))
			__atomic_store_n(&in->pbytes, ingero_reader_bytes(r), __ATOMIC_RELAXED);
		if (!got_hdr) {
			const struct ingero_header *h = ingero_reader_header(r);
			if (h) {
				got_hdr = 1;
				take_header(in, h);
			}
		}
		if (rec.kind == INGERO_REC_ANCHOR && !in->unix_clock)
			add_anchor(in, &rec.u.anchor);
		else if (rec.kind == INGERO_REC_NODE)
			take_node(in, &rec.u.nodeinfo);
		if (mrg_is_timed(rec.kind))
			take_timed(in, &rec, &runmax);
	}
	if (rc < 0) {
		const struct ingero_error *e = ingero_reader_last_warning(r);
		if (!got_hdr) {
			char buf[1200];
			if (e)
				return mrg_fail(m, in, "%s", ingero_strerror(e, buf, sizeof(buf)));
			return mrg_fail(m, in, "%s: cannot read recording", in->arg);
		}
		mrg_warn(m, in, "%s: read error after %llu records (code %d); merging what was read",
			 in->arg, (unsigned long long)in->nrec, rc);
	}
	if (!got_hdr)
		return mrg_fail(m, in, "%s: no recording header (empty or not an Ingero recording)",
				in->arg);
	finish_input(in);
	return 0;
}

static void *p1_worker(void *arg)
{
	struct mrg *m = arg;
	pthread_setname_np(pthread_self(), "merge-pass1");
	for (;;) {
		int i = __atomic_fetch_add(&m->p1_next, 1, __ATOMIC_RELAXED);
		if (i >= m->nin)
			return NULL;
		struct input *in = &m->in[i];
		pass1(in);
		__atomic_store_n(&in->pbytes, in->size, __ATOMIC_RELAXED);
		ingero_reader_close(in->r);
		in->r = NULL;
		__atomic_fetch_add(&m->p1_done, 1, __ATOMIC_RELEASE);
	}
}

static void p1_progress(struct mrg *m)
{
	ig_progress_start(&m->prog, "read", m->in_bytes);
	while (m->prog.on && __atomic_load_n(&m->p1_done, __ATOMIC_ACQUIRE) < m->nin) {
		struct timespec ts = { 0, 250000000 };
		nanosleep(&ts, NULL);
		uint64_t n = 0, b = 0;
		for (int i = 0; i < m->nin; i++) {
			n += __atomic_load_n(&m->in[i].nrec, __ATOMIC_RELAXED);
			b += __atomic_load_n(&m->in[i].pbytes, __ATOMIC_RELAXED);
		}
		ig_progress_update(&m->prog, b, n);
	}
	ig_progress_end(&m->prog);
}

/* print an input's kept messages in input order; -1 if it failed */
static int flush_msgs(struct mrg *m, struct input *in)
{
	unsigned nwarn = in->fatal && in->nmsgs ? in->nmsgs - 1 : in->nmsgs;
	for (unsigned k = 0; k < nwarn && m->quiet < 2; k++)
		fprintf(stderr, PROG ": warning: %s\n", in->msgs[k]);
	if (in->fatal) {
		/* the message itself may be lost when memory ran out */
		if (nwarn < in->nmsgs)
			fprintf(stderr, PROG ": %s\n", in->msgs[nwarn]);
		else
			fprintf(stderr, PROG ": %s: out of memory\n", in->arg);
		return -1;
	}
	if (in->ndropped && m->quiet < 2)
		fprintf(stderr, PROG ": warning: %s: %u more warnings\n", in->arg, in->ndropped);
	for (unsigned k = 0; k < in->nmsgs; k++)
		free(in->msgs[k]);
	free(in->msgs);
	in->msgs = NULL;
	in->nmsgs = 0;
	return 0;
}

int mrg_pass1(struct mrg *m)
{
	m->pass = 1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nt = (int)(ncpu > 0 ? ncpu : 1);
	if (nt > m->nin)
		nt = m->nin;
	if (nt > 16)
		nt = 16;
	pthread_t th[16];
	int started = 0;
	for (int t = 0; t < nt; t++)
		if (pthread_create(&th[started], NULL, p1_worker, m) == 0)
			started++;
	if (!started)
		return mrg_fail(m, NULL, "cannot start a thread");
	p1_progress(m);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < m->nin; i++)
		if (flush_msgs(m, &m->in[i]) < 0)
			return -1;
	return 0;
}
