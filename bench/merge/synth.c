/*
 * merge-synth - synthetic multi-node recordings with known clock offsets for
 * the ingero-merge tests and benchmark, and a checker for merged output.
 *
 *   merge-synth gen -o DIR [--nodes N] [--events E] [--offsets a,b,c (ns)]
 *                   [--drift a,b,c (ppm)] [--seed S] [--no-collectives]
 *                   [--shuffle] [--seg-bytes N] [--start-gap-s S] [--step-ns N]
 *                   [--late-last] [--chain]
 *     writes DIR/node-K/seg-*.igz and DIR/truth.json
 *     node clock = true clock + offset + drift * (true - t0)
 *   merge-synth check FILE|DIR [WINDOW_NS]
 *     prints the node table, events per node, and whether the events are in
 *     order and every pid / stack an event uses was defined earlier for the
 *     same node.  In order: each node's events by time, and across nodes by
 *     time / WINDOW_NS (ingero-merge --order-window; default 10000000, the
 *     merge's default; 0 = strict time order).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingero.h"

#define T0 1700000000000000000ll
#define MAXN 64

static uint64_t rng_s = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}
static double unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static int parse_list(const char *s, double *v, int max)
{
	int n = 0;
	while (s && *s && n < max) {
		char *e;
		v[n++] = strtod(s, &e);
		if (*e != ',')
			break;
		s = e + 1;
	}
	return n;
}

struct node {
	struct ingero_writer *w;
	double off, drift;        /* ns, ppm */
	int64_t boot0;
	struct ingero_event held;
	int have_held;
};

static int64_t wall_of(const struct node *n, int64_t T)
{
	return T + (int64_t)llround(n->off + n->drift * 1e-6 * (double)(T - T0));
}
static uint64_t boot_of(const struct node *n, int64_t T)
{
	return (uint64_t)(n->boot0 + (T - T0));
}

static int shuffle;

static void put_ev(struct node *n, const struct ingero_event *ev)
{
	if (shuffle) {
		if (n->have_held) {
			ingero_writer_event(n->w, ev);
			ingero_writer_event(n->w, &n->held);
			n->have_held = 0;
			return;
		}
		if (rnd() % 3 == 0) {
			n->held = *ev;
			n->have_held = 1;
			return;
		}
	}
	ingero_writer_event(n->w, ev);
}

static void anchor(struct node *n, int64_t T)
{
	struct ingero_record r;
	memset(&r, 0, sizeof(r));
	r.kind = INGERO_REC_ANCHOR;
	r.u.anchor.boottime = boot_of(n, T);
	r.u.anchor.realtime = (uint64_t)wall_of(n, T);
	r.u.anchor.monotonic = boot_of(n, T) - 5000000000ull;
	r.u.anchor.error_ns = 1000000;
	ingero_writer_append(n->w, &r);
}

static int gen(int argc, char **argv)
{
	const char *out = NULL;
	int nn = 3, nocoll = 0;
	uint64_t events = 20000, seg_bytes = 0;
	double offs[MAXN] = { 0 }, drift[MAXN] = { 0 };
	double gap_s = 0;
	int64_t step = 10000;
	int late_last = 0, chain = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-o") && v) { out = v; i++; }
		else if (!strcmp(a, "--nodes") && v) { nn = atoi(v); i++; }
		else if (!strcmp(a, "--events") && v) { events = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--offsets") && v) { parse_list(v, offs, MAXN); i++; }
		else if (!strcmp(a, "--drift") && v) { parse_list(v, drift, MAXN); i++; }
		else if (!strcmp(a, "--seed") && v) { rng_s ^= strtoull(v, NULL, 0) * 0x9e3779b97f4a7c15ull; i++; }
		else if (!strcmp(a, "--seg-bytes") && v) { seg_bytes = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--start-gap-s") && v) { gap_s = atof(v); i++; }
		else if (!strcmp(a, "--step-ns") && v) { step = atoll(v); i++; }
		else if (!strcmp(a, "--no-collectives")) nocoll = 1;
		else if (!strcmp(a, "--shuffle")) shuffle = 1;
		else if (!strcmp(a, "--late-last")) late_last = 1;
		else if (!strcmp(a, "--chain")) chain = 1;
		else { fprintf(stderr, "merge-synth: bad argument '%s'\n", a); return 2; }
	}
	if (!out || nn < 1 || nn > MAXN) {
		fprintf(stderr, "merge-synth gen: need -o DIR and 1..64 nodes\n");
		return 2;
	}
	mkdir(out, 0755);
	struct node n[MAXN];
	memset(n, 0, sizeof(n));
	char path[4096], name[64], host[64], boot[64];
	for (int k = 0; k < nn; k++) {
		n[k].off = offs[k];
		n[k].drift = drift[k];
		n[k].boot0 = 1000000000000ll + k * 37123456789ll;
		int64_t Ts = T0 + (int64_t)(gap_s * 1e9 * k);
		snprintf(path, sizeof(path), "%s/node-%d", out, k);
		snprintf(name, sizeof(name), "node-%d", k);
		snprintf(host, sizeof(host), "host-%d", k);
		snprintf(boot, sizeof(boot), "boot-%d-%016llx", k, (unsigned long long)(rnd()));
		struct ingero_writer_opts o;
		memset(&o, 0, sizeof(o));
		o.dir = path;
		o.seg_max_bytes = seg_bytes;
		o.fsync = INGERO_FSYNC_NONE;
		o.zstd_level = 1;
		o.hdr.node = name;
		o.hdr.host = host;
		o.hdr.boot_id = boot;
		o.hdr.kernel = "6.1.0-synth";
		o.hdr.recorder = "merge-synth";
		o.hdr.cmdline = "merge-synth gen";
		o.hdr.clock = "boottime";
		o.hdr.start_ts = boot_of(&n[k], Ts);
		o.hdr.segment = 1;
		o.hdr.rank = k;
		o.hdr.anchor.boottime = boot_of(&n[k], Ts);
		o.hdr.anchor.realtime = (uint64_t)wall_of(&n[k], Ts);
		o.hdr.anchor.monotonic = boot_of(&n[k], Ts) - 5000000000ull;
		o.hdr.anchor.error_ns = 1000000;
		struct ingero_error err;
		if (ingero_writer_open(&n[k].w, &o, &err) < 0) {
			char b[1200];
			fprintf(stderr, "merge-synth: %s\n", ingero_strerror(&err, b, sizeof(b)));
			return 1;
		}
		/* node-scoped metadata that collides across nodes on purpose */
		struct ingero_record r;
		memset(&r, 0, sizeof(r));
		r.kind = INGERO_REC_PROCESS;
		char comm[32];
		snprintf(comm, sizeof(comm), "train-%d", k);
		r.u.proc = (struct ingero_process){ 1000, 1, 0, comm, "python train.py", k, 0, nn, 7, boot_of(&n[k], Ts) };
		ingero_writer_append(n[k].w, &r);
		memset(&r, 0, sizeof(r));
		r.kind = INGERO_REC_THREAD;
		r.u.thr = (struct ingero_thread){ 1001, 1000, comm };
		ingero_writer_append(n[k].w, &r);
		struct ingero_stack st;
		memset(&st, 0, sizeof(st));
		st.id = 1;
		st.pid = 1000;
		st.depth = 2;
		st.ips[0] = 0x400000 + k;
		st.ips[1] = 0x500000 + k;
		memset(&r, 0, sizeof(r));
		r.kind = INGERO_REC_STACK;
		r.u.stack = &st;
		ingero_writer_append(n[k].w, &r);
	}
	/* Every 10 us of true time each node emits one event; every 20th step
	 * is an AllReduce on comm 0xc0ffee whose end is common to all nodes
	 * (+-1 us jitter, 2% outliers up to +300 us). */
	uint64_t seq = 0;
	int64_t next_anchor = T0 + 1000000000ll;
	for (uint64_t i = 0; i < events; i++) {
		int64_t T = T0 + (int64_t)i * step;
		int coll = !nocoll && i % 20 == 10;
		if (coll)
			seq++;
		if (T >= next_anchor) {
			for (int k = 0; k < nn; k++) {
				anchor(&n[k], T);
				struct ingero_record r;
				memset(&r, 0, sizeof(r));
				r.kind = INGERO_REC_SYS;
				r.u.sys.ts = boot_of(&n[k], T);
				r.u.sys.cpu_pct = 10 + k;
				ingero_writer_append(n[k].w, &r);
			}
			next_anchor += 1000000000ll;
		}
		for (int k = 0; k < nn; k++) {
			int64_t Tk = T + (int64_t)(gap_s * 1e9 * k);
			struct ingero_event ev;
			memset(&ev, 0, sizeof(ev));
			ev.pid = 1000;
			ev.tid = 1001;
			/* --chain: communicator k joins nodes k and k+1 only */
			int in_comm = 1;
			uint64_t comm = 0xc0ffee;
			if (chain && coll) {
				int c = (int)(seq % (uint64_t)(nn > 1 ? nn - 1 : 1));
				in_comm = k == c || k == c + 1;
				comm = 0xc0ffee + (uint64_t)c;
			}
			if (coll && in_comm) {
				int64_t end = Tk + 9000 + (int64_t)(unit() * 2000) - 1000;
				if (rnd() % 50 == 0)
					end += (int64_t)(unit() * 300000);
				uint64_t dur = 1000 + rnd() % 7000;
				ev.source = INGERO_SRC_NCCL;
				ev.op = INGERO_NCCL_ALL_REDUCE;
				ev.ts = boot_of(&n[k], end - (int64_t)dur);
				ev.dur = dur;
				ev.arg[0] = comm;
				ev.arg[1] = 1024;
				ev.arg[2] = chain ? seq / (uint64_t)(nn > 1 ? nn - 1 : 1) + 1 : seq;
				ev.arg[3] = (uint64_t)k | (uint64_t)nn << 32;
			} else {
				ev.source = INGERO_SRC_CUDA;
				ev.op = INGERO_CUDA_LAUNCH_KERNEL;
				ev.ts = boot_of(&n[k], Tk + (int64_t)(rnd() % 5000));
				ev.dur = 2000 + rnd() % 3000;
				ev.stack_id = 1;
				ev.arg[0] = 0xf00 + k;
			}
			put_ev(&n[k], &ev);
		}
	}
	for (int k = 0; k < nn; k++) {
		if (n[k].have_held)
			ingero_writer_event(n[k].w, &n[k].held);
		if (late_last) {   /* a call that started first and returned last */
			struct ingero_event ev;
			memset(&ev, 0, sizeof(ev));
			ev.pid = 1000;
			ev.tid = 1001;
			ev.source = INGERO_SRC_CUDA;
			ev.op = INGERO_CUDA_DEVICE_SYNC;
			ev.ts = boot_of(&n[k], T0);
			ev.dur = (uint64_t)events * (uint64_t)step;
			ingero_writer_event(n[k].w, &ev);
		}
		anchor(&n[k], T0 + (int64_t)events * step + (int64_t)(gap_s * 1e9 * k));
		if (ingero_writer_close(n[k].w) < 0) {
			fprintf(stderr, "merge-synth: write failed\n");
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/truth.json", out);
	FILE *f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "{\n  \"convention\": \"node clock = true clock + offset + drift*(true - t0)\",\n"
		   "  \"t0_ns\": %lld,\n  \"nodes\": [\n", (long long)T0);
	for (int k = 0; k < nn; k++)
		fprintf(f, "    {\"name\": \"node-%d\", \"offset_ns\": %.0f, \"drift_ppm\": %.6f}%s\n",
			k, n[k].off, n[k].drift, k + 1 < nn ? "," : "");
	fprintf(f, "  ]\n}\n");
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------ check */

#define SETSZ 4096
struct seen { uint64_t key[SETSZ]; int n; };
static int seen_has(struct seen *s, uint64_t k)
{
	for (int i = 0; i < s->n; i++)
		if (s->key[i] == k)
			return 1;
	return 0;
}
static void seen_add(struct seen *s, uint64_t k)
{
	if (!seen_has(s, k) && s->n < SETSZ)
		s->key[s->n++] = k;
}

static int check(const char *path, uint64_t win)
{
	struct ingero_reader *r;
	struct ingero_error err;
	if (ingero_reader_open(&r, path, &err) < 0) {
		char b[1200];
		fprintf(stderr, "merge-synth: %s\n", ingero_strerror(&err, b, sizeof(b)));
		return 1;
	}
	static struct seen pids[MAXN], stacks[MAXN];
	uint64_t counts[MAXN] = { 0 }, coll[MAXN] = { 0 }, nrec = 0, bad_order = 0,
		 dangling = 0, events = 0;
	uint64_t last_ts = 0, last_node_ts[MAXN] = { 0 };
	int maxnode = 0;
	struct ingero_record rec;
	int rc;
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		nrec++;
		uint32_t nd = rec.node < MAXN ? rec.node : MAXN - 1;
		if ((int)nd > maxnode)
			maxnode = (int)nd;
		switch (rec.kind) {
		case INGERO_REC_NODE: {
			const struct ingero_node *x = &rec.u.nodeinfo;
			printf("node %u %s host=%s rank=%d method=%s offset_ns=%lld drift_ppb=%.1f samples=%llu\n",
			       x->index, x->name, x->host, x->rank, x->method, (long long)x->offset_ns,
			       x->drift_ppb, (unsigned long long)x->samples);
			break;
		}
		case INGERO_REC_PROCESS:
			seen_add(&pids[nd], rec.u.proc.pid);
			break;
		case INGERO_REC_STACK:
			seen_add(&stacks[nd], rec.u.stack->id);
			break;
		case INGERO_REC_EVENT:
			events++;
			counts[nd]++;
			if (rec.u.ev.source == INGERO_SRC_NCCL)
				coll[nd]++;
			if ((win ? rec.u.ev.ts / win < last_ts / win : rec.u.ev.ts < last_ts) ||
			    rec.u.ev.ts < last_node_ts[nd])
				bad_order++;
			last_ts = rec.u.ev.ts;
			last_node_ts[nd] = rec.u.ev.ts;
			if (!seen_has(&pids[nd], rec.u.ev.pid) ||
			    (rec.u.ev.stack_id && !seen_has(&stacks[nd], rec.u.ev.stack_id)))
				dangling++;
			break;
		}
	}
	const struct ingero_header *h = ingero_reader_header(r);
	printf("clock %s\n", h && h->clock ? h->clock : "?");
	for (int k = 0; k <= maxnode; k++)
		printf("events %d %llu nccl %llu\n", k, (unsigned long long)counts[k],
		       (unsigned long long)coll[k]);
	printf("total %llu\n", (unsigned long long)events);
	printf("order %s %llu\n", bad_order ? "bad" : "ok", (unsigned long long)bad_order);
	printf("dangling %llu\n", (unsigned long long)dangling);
	printf("warnings %u\n", ingero_reader_warnings(r));
	printf("status %d\n", rc);
	ingero_reader_close(r);
	return rc < 0 ? 1 : 0;
}

/* ------------------------------------------------------------- ties */

static struct ingero_writer *tie_open(const char *path, int is_dir, const char *node,
				      const char *boot, const char *clock, uint64_t b0)
{
	struct ingero_writer_opts o;
	memset(&o, 0, sizeof(o));
	if (is_dir)
		o.dir = path;
	else
		o.path = path;
	o.fsync = INGERO_FSYNC_NONE;
	o.hdr.node = node;
	o.hdr.host = node;
	o.hdr.boot_id = boot;
	o.hdr.kernel = "";
	o.hdr.recorder = "merge-synth tie";
	o.hdr.cmdline = "";
	o.hdr.clock = clock;
	o.hdr.start_ts = b0;
	o.hdr.segment = 1;
	o.hdr.rank = -1;
	if (strcmp(clock, "unix")) {
		o.hdr.anchor.boottime = b0;
		o.hdr.anchor.realtime = (uint64_t)T0;
		o.hdr.anchor.error_ns = 1000;
	}
	struct ingero_writer *w;
	struct ingero_error err;
	if (ingero_writer_open(&w, &o, &err) < 0) {
		char b[1200];
		fprintf(stderr, "merge-synth: %s\n", ingero_strerror(&err, b, sizeof(b)));
		exit(1);
	}
	struct ingero_record r;
	memset(&r, 0, sizeof(r));
	r.kind = INGERO_REC_PROCESS;
	r.u.proc = (struct ingero_process){ 1000, 1, 0, "p", "p", -1, -1, -1, 0, 0 };
	if (strcmp(clock, "unix"))
		ingero_writer_append(w, &r);
	return w;
}

static void tie_ev(struct ingero_writer *w, uint64_t ts, uint64_t tag)
{
	struct ingero_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts = ts;
	ev.pid = 1000;
	ev.tid = 1000;
	ev.source = INGERO_SRC_CUDA;
	ev.op = INGERO_CUDA_STREAM_SYNC;
	ev.arg[0] = tag;
	ingero_writer_event(w, &ev);
}

/* Inputs whose events tie in corrected time (all clocks map boot b0 to T0):
 *   a: tags 1, 2 at +1000 (same time: file order), 3 at +3000
 *   b: tag 11 at +1000 (ties with a: node order), 12 at +2000 (time order)
 *   p1, p2: two pieces of node c (same boot id): p1 tag 21 at +200 ... p2
 *     tag 31 at +200 (ties across pieces: input order), 32 at +300
 *   m.igz: a merged recording (nodes x, y) where y's tag 41 is written
 *     before x's tag 40, both at T0 + 5000 (node index beats file order) */
static int tie(const char *dir)
{
	char p[4096];
	mkdir(dir, 0755);
	const uint64_t ba = 1000000000000ull, bb = 5000000000000ull, bc = 9000000000000ull;
	snprintf(p, sizeof(p), "%s/a", dir);
	struct ingero_writer *w = tie_open(p, 1, "a", "boot-a", "boottime", ba);
	tie_ev(w, ba + 1000, 1); tie_ev(w, ba + 1000, 2); tie_ev(w, ba + 3000, 3);
	ingero_writer_close(w);
	snprintf(p, sizeof(p), "%s/b", dir);
	w = tie_open(p, 1, "b", "boot-b", "boottime", bb);
	tie_ev(w, bb + 1000, 11); tie_ev(w, bb + 2000, 12);
	ingero_writer_close(w);
	snprintf(p, sizeof(p), "%s/p1", dir);
	w = tie_open(p, 1, "c", "boot-c", "boottime", bc);
	tie_ev(w, bc + 100, 20); tie_ev(w, bc + 200, 21);
	ingero_writer_close(w);
	snprintf(p, sizeof(p), "%s/p2", dir);
	w = tie_open(p, 1, "c", "boot-c", "boottime", bc);
	tie_ev(w, bc + 200, 31); tie_ev(w, bc + 300, 32);
	ingero_writer_close(w);
	snprintf(p, sizeof(p), "%s/m.igz", dir);
	w = tie_open(p, 0, "merged", "", "unix", (uint64_t)T0);
	struct ingero_record r;
	const char *names[2] = { "x", "y" };
	for (uint32_t i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.kind = INGERO_REC_NODE;
		r.u.nodeinfo = (struct ingero_node){ i, names[i], names[i], "", -1, 0, 0, 0, "reference", 0, 0 };
		ingero_writer_append(w, &r);
	}
	for (uint32_t i = 2; i-- > 0;) {
		memset(&r, 0, sizeof(r));
		r.kind = INGERO_REC_CTX;
		r.u.ctx_node = i;
		ingero_writer_append(w, &r);
		memset(&r, 0, sizeof(r));
		r.kind = INGERO_REC_PROCESS;
		r.u.proc = (struct ingero_process){ 1000, 1, 0, "p", "p", -1, -1, -1, 0, 0 };
		ingero_writer_append(w, &r);
		tie_ev(w, (uint64_t)T0 + 5000, 40 + i);
	}
	ingero_writer_close(w);
	return 0;
}

/* one line per event: node-index ts-T0 tag */
static int dump(const char *path)
{
	struct ingero_reader *r;
	struct ingero_error err;
	if (ingero_reader_open(&r, path, &err) < 0)
		return 1;
	struct ingero_record rec;
	int rc;
	while ((rc = ingero_reader_next(r, &rec)) > 0)
		if (rec.kind == INGERO_REC_EVENT)
			printf("%u %lld %llu\n", rec.node, (long long)rec.u.ev.ts - T0,
			       (unsigned long long)rec.u.ev.arg[0]);
	ingero_reader_close(r);
	return rc < 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "tie"))
		return tie(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return dump(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "gen"))
		return gen(argc, argv);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "check"))
		return check(argv[2], argc == 4 ? strtoull(argv[3], NULL, 0) : 10000000);
	fprintf(stderr, "usage: merge-synth gen -o DIR [...] | merge-synth check PATH [WINDOW_NS]\n");
	return 2;
}
