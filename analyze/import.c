/* import.c - stream Ingero-C recordings into the analysis database.
 *
 * One pass over the reader's records, one prepared statement per table, one
 * big transaction per input.  Memory is bounded by the metadata (processes,
 * symbols, stacks), never by the number of events.  Timestamps are converted
 * to unix ns with the anchors seen so far (identity for clock "unix"). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingero.h"
#include "analyze.h"

/* ------------------------------------------------------------ u64 map */

struct map {
	size_t cap, n;           /* cap is a power of two (or 0) */
	uint64_t *keys;
	uint64_t *vals;
	unsigned char *used;
};

static size_t map_slot(const struct map *m, uint64_t k)
{
	uint64_t h = k * 0x9E3779B97F4A7C15ULL;
	size_t i = (size_t)(h >> 17) & (m->cap - 1);
	while (m->used[i] && m->keys[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static uint64_t *map_get(const struct map *m, uint64_t k)
{
	if (!m->cap)
		return NULL;
	size_t i = map_slot(m, k);
	return m->used[i] ? &m->vals[i] : NULL;
}

static int map_grow(struct map *m)
{
	struct map n = { .cap = m->cap ? m->cap * 2 : 64 };
	n.keys = calloc(n.cap, sizeof *n.keys);
	n.vals = calloc(n.cap, sizeof *n.vals);
	n.used = calloc(n.cap, 1);
	if (!n.keys || !n.vals || !n.used) {
		free(n.keys); free(n.vals); free(n.used);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->used[i]) {
			size_t j = map_slot(&n, m->keys[i]);
			n.used[j] = 1; n.keys[j] = m->keys[i]; n.vals[j] = m->vals[i];
			n.n++;
		}
	free(m->keys); free(m->vals); free(m->used);
	*m = n;
	return 0;
}

/* Slot for k (created with value 0 when absent); *isnew tells which. */
static uint64_t *map_put(struct map *m, uint64_t k, int *isnew)
{
	if ((m->n + 1) * 2 > m->cap && map_grow(m))
		return NULL;
	size_t i = map_slot(m, k);
	*isnew = !m->used[i];
	if (!m->used[i]) {
		m->used[i] = 1; m->keys[i] = k; m->vals[i] = 0; m->n++;
	}
	return &m->vals[i];
}

static void map_free(struct map *m, void (*fv)(void *))
{
	if (fv)
		for (size_t i = 0; i < m->cap; i++)
			if (m->used[i] && m->vals[i])
				fv((void *)(uintptr_t)m->vals[i]);
	free(m->keys); free(m->vals); free(m->used);
	memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------ state */

struct proc {
	char *comm;              /* NULL until a PROCESS record was seen */
	int32_t rank, local_rank, world_size;
	uint64_t cgroup;
	int had_events;          /* events inserted before the PROCESS record */
};

struct sym { uint64_t module_id, offset; char *name; };
struct mod { uint32_t pid; uint64_t start, end; char *path; };

/* A node of the analysis (by name, across all inputs). */
struct gnode {
	char *name;
	int64_t seq;             /* last events.seq used */
	uint64_t events;
	int64_t first_ts, last_ts;
	int have_ts;
	char *host, *boot_id, *kernel, *recorder;
	int32_t rank;
	struct gnode *next;
};

/* A node index of the input being read. */
struct lnode {
	struct gnode *g;
	char *name;              /* from a NODE record (merged recordings) */
	struct ingero_clock clock;
	int have_anchor, warned_clock;
	struct map procs, syms, mods, stacks;
	/* session bookkeeping for this input */
	uint64_t events;
	int64_t first_ts, last_ts;
	char *cmdline;
	uint64_t start_ts;
	int have_header;
};

enum { ST_EVENT, ST_OFFCPU, ST_NCCL, ST_GRAPH, ST_STACK, ST_PROC, ST_PNAME, ST_THREAD,
       ST_SYS, ST_GPU, ST_LOST, ST_CORR, ST_NOTE, ST_SAMPLING, ST_MAX };

static const char *const st_sql[ST_MAX] = {
	[ST_EVENT] = "INSERT INTO events(seq,node,timestamp,pid,tid,source,op,duration,"
		"arg0,arg1,ret_code,stack_hash,rank,local_rank,world_size,comm,cgroup_id,arg2,arg3,"
		"cpu,flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_OFFCPU] = "INSERT INTO offcpu(node,pid,tid,start,duration,prev_state,preempted,"
		"culprit_pid,culprit_tid,culprit_comm,cpu) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[ST_NCCL] = "INSERT INTO nccl_collectives(node,pid,tid,start,duration,op,comm_hash,seq,"
		"rank,nranks,count,datatype,redop,peer,stream) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_GRAPH] = "INSERT INTO graph_events(node,pid,tid,start,duration,op,stream,graph,exec,"
		"capture_mode,ret_code) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[ST_STACK] = "INSERT OR IGNORE INTO stack_traces(hash,ips,frames) VALUES (?,?,?)",
	[ST_PROC] = "INSERT INTO processes(node,pid,ppid,uid,comm,cmdline,rank,local_rank,"
		"world_size,cgroup_id,first_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
		"ON CONFLICT(node,pid) DO UPDATE SET ppid=excluded.ppid, uid=excluded.uid, "
		"comm=excluded.comm, cmdline=excluded.cmdline, rank=excluded.rank, "
		"local_rank=excluded.local_rank, world_size=excluded.world_size, "
		"cgroup_id=excluded.cgroup_id, first_seen=min(first_seen, excluded.first_seen)",
	[ST_PNAME] = "INSERT INTO process_names(node,pid,name,seen_at) VALUES (?,?,?,?) "
		"ON CONFLICT(node,pid) DO UPDATE SET name=excluded.name",
	[ST_THREAD] = "INSERT OR REPLACE INTO threads(node,tid,pid,name) VALUES (?,?,?,?)",
	[ST_SYS] = "INSERT OR IGNORE INTO system_snapshots(timestamp,cpu_pct,mem_pct,mem_avail,"
		"swap_mb,load_avg,node,iowait_pct,pgmajfault,ctxt) VALUES (?,?,?,?,?,?,?,?,?,?)",
	[ST_GPU] = "INSERT INTO gpu_snapshots(node,timestamp,gpu,util_pct,mem_used_mb,"
		"mem_total_mb,sm_clock_mhz,mem_clock_mhz,throttle_reasons,temp_c,power_w) "
		"VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[ST_LOST] = "INSERT INTO lost_events(node,timestamp,source,count,reason) VALUES (?,?,?,?,?)",
	[ST_CORR] = "INSERT INTO clock_corrections(node,method,offset_ns,drift_ppb,ref_ts,"
		"confidence_ns,samples) VALUES (?,?,?,?,?,?,?)",
	[ST_NOTE] = "INSERT INTO notes(node,timestamp,level,text) VALUES (?,?,?,?)",
	[ST_SAMPLING] = "INSERT INTO sampling_rates(node,timestamp,pid,source,op,rate) "
		"VALUES (?,?,?,?,?,?)",
};

/* Events are inserted EV_BATCH rows per statement (multi-row VALUES): far
 * fewer sqlite3_step calls.  Pending rows hold pointers to node and process
 * names, so they are flushed before any other record is handled. */
#define EV_BATCH 16
#define EV_COLS 21
struct prow {
	int64_t v[EV_COLS];      /* bound values by column (1-based minus 1) */
	const char *node, *comm;
	unsigned nulls;          /* bit i: column i+1 is NULL */
};

struct importer {
	sqlite3 *db;
	struct import_opts o;
	sqlite3_stmt *st[ST_MAX];
	sqlite3_stmt *batch;
	struct prow pend[EV_BATCH];
	int npend;
	struct gnode *nodes;
	uint64_t events, last_progress;
	unsigned warnings;
	int in_txn;
	int late_comm;           /* some events got their comm before the PROCESS record */
	int64_t input_id;
	/* current input */
	const char *path;
	struct lnode *ln;
	size_t nln;
	int identity;            /* header clock "unix" */
	char *hdr_node;
	int32_t hdr_rank;
	unsigned in_warnings;
	char last_warning[600];
};

sqlite3 *imp_db(struct importer *im) { return im->db; }
const struct import_opts *imp_opts(const struct importer *im) { return &im->o; }
uint64_t imp_events(const struct importer *im) { return im->events; }
unsigned imp_warnings(const struct importer *im) { return im->warnings; }
void imp_count(struct importer *im, uint64_t n) { im->events += n; }

void imp_warn(struct importer *im, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(im->last_warning, sizeof im->last_warning, fmt, ap);
	va_end(ap);
	im->warnings++;
	im->in_warnings++;
	if (!im->o.quiet) {
		if (im->o.progress)
			fputs("\r\033[K", stderr);
		fprintf(stderr, PROG ": %s\n", im->last_warning);
	}
}

static int begin(struct importer *im)
{
	if (im->in_txn)
		return 0;
	if (adb_exec(im->db, "BEGIN", "database"))
		return -1;
	im->in_txn = 1;
	return 0;
}

int imp_commit(struct importer *im)
{
	if (!im->in_txn)
		return 0;
	im->in_txn = 0;
	return adb_exec(im->db, "COMMIT", "database");
}

struct importer *imp_new(sqlite3 *db, const struct import_opts *o)
{
	struct importer *im = calloc(1, sizeof *im);
	if (!im)
		return NULL;
	im->db = db;
	if (o)
		im->o = *o;
	for (int i = 0; i < ST_MAX; i++)
		if (!(im->st[i] = adb_prepare(db, st_sql[i]))) {
			imp_free(im);
			return NULL;
		}
	char *q = sqlite3_mprintf("INSERT INTO events(seq,node,timestamp,pid,tid,source,op,duration,"
		"arg0,arg1,ret_code,stack_hash,rank,local_rank,world_size,comm,cgroup_id,arg2,arg3,cpu,"
		"flags) VALUES ");
	for (int r = 0; q && r < EV_BATCH; r++)
		q = sqlite3_mprintf("%z%s(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", q, r ? "," : "");
	if (!q || !(im->batch = adb_prepare(db, q))) {
		sqlite3_free(q);
		imp_free(im);
		return NULL;
	}
	sqlite3_free(q);
	return im;
}

static void proc_free(void *p)
{
	struct proc *pr = p;
	free(pr->comm);
	free(pr);
}
static void sym_free(void *p) { free(((struct sym *)p)->name); free(p); }
static void mod_free(void *p) { free(((struct mod *)p)->path); free(p); }

static void lnodes_free(struct importer *im)
{
	for (size_t i = 0; i < im->nln; i++) {
		struct lnode *l = &im->ln[i];
		ingero_clock_release(&l->clock);
		map_free(&l->procs, proc_free);
		map_free(&l->syms, sym_free);
		map_free(&l->mods, mod_free);
		map_free(&l->stacks, NULL);
		free(l->name);
		free(l->cmdline);
	}
	free(im->ln);
	im->ln = NULL;
	im->nln = 0;
	free(im->hdr_node);
	im->hdr_node = NULL;
}

void imp_free(struct importer *im)
{
	if (!im)
		return;
	lnodes_free(im);
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(im->st[i]);
	sqlite3_finalize(im->batch);
	for (struct gnode *g = im->nodes, *n; g; g = n) {
		n = g->next;
		free(g->name); free(g->host); free(g->boot_id); free(g->kernel); free(g->recorder);
		free(g);
	}
	free(im);
}

static struct gnode *gnode_get(struct importer *im, const char *name)
{
	struct gnode **pp = &im->nodes;
	for (; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name))
			return *pp;
	struct gnode *g = calloc(1, sizeof *g);
	if (!g || !(g->name = strdup(name))) {
		free(g);
		return NULL;
	}
	g->rank = -1;
	*pp = g;
	return g;
}

/* Base name of a path without a trailing slash or extension (".db", ".igz",
 * ".tar*"): the node name when a file does not carry one. */
static void base_name(const char *path, char *out, size_t len)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	size_t n = strlen(tmp);
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = 0;
	const char *b = strrchr(tmp, '/');
	b = b ? b + 1 : tmp;
	snprintf(out, len, "%s", *b && strcmp(b, "-") ? b : "local");
	char *dot = strstr(out, ".tar");
	if (!dot && (dot = strrchr(out, '.')) && strcmp(dot, ".db") && strcmp(dot, ".igz") &&
	    strcmp(dot, ".sqlite") && strcmp(dot, ".tgz"))
		dot = NULL;
	if (dot && dot != out)
		*dot = 0;
}

void imp_base_name(const char *path, char *out, size_t len) { base_name(path, out, len); }

static void set_str(char **dst, const char *s)
{
	if (!s || !*s)
		return;
	free(*dst);
	*dst = strdup(s);
}

static struct lnode *lnode(struct importer *im, uint32_t idx)
{
	if (idx >= 1u << 20)
		return NULL;
	if (idx >= im->nln) {
		size_t n = idx + 1;
		struct lnode *l = realloc(im->ln, n * sizeof *l);
		if (!l)
			return NULL;
		memset(l + im->nln, 0, (n - im->nln) * sizeof *l);
		for (size_t i = im->nln; i < n; i++)
			ingero_clock_init(&l[i].clock);
		im->ln = l;
		im->nln = n;
	}
	struct lnode *l = &im->ln[idx];
	if (!l->g) {
		char nm[300];
		if (l->name)
			snprintf(nm, sizeof nm, "%s", l->name);
		else if (idx == 0 && im->hdr_node && *im->hdr_node)
			snprintf(nm, sizeof nm, "%s", im->hdr_node);
		else if (idx == 0)
			base_name(im->path, nm, sizeof nm);
		else
			snprintf(nm, sizeof nm, "node%u", idx);
		if (!(l->g = gnode_get(im, nm)))
			return NULL;
	}
	return l;
}

static int64_t to_wall(struct importer *im, struct lnode *l, uint64_t ts)
{
	if (im->identity)
		return (int64_t)ts;
	if (!l->have_anchor) {
		if (!l->warned_clock) {
			l->warned_clock = 1;
			imp_warn(im, "%s: node %s: no clock anchor, timestamps stay CLOCK_BOOTTIME",
				 im->path, l->g ? l->g->name : "?");
		}
		return (int64_t)ts;
	}
	return ingero_clock_to_wall(&l->clock, ts);
}

static void add_anchor(struct lnode *l, const struct ingero_anchor *a)
{
	if (!a->boottime && !a->realtime)
		return;
	if (ingero_clock_add(&l->clock, a) == 0)   /* duplicates are merged there */
		l->have_anchor = 1;
}

static void bind_rank(sqlite3_stmt *s, int i, int32_t v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int(s, i, v);
}

static int step(struct importer *im, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, PROG ": database: %s\n", sqlite3_errmsg(im->db));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ stacks */

uint64_t imp_stack_hash(unsigned depth, const uint64_t *ips, const char *const *syms,
			const char *const *files)
{
	uint64_t h = FNV64_OFFSET;
	int symbolic = 0;
	for (unsigned i = 0; i < depth; i++)
		if ((syms && syms[i] && *syms[i]) || (files && files[i] && *files[i]))
			symbolic = 1;
	if (!symbolic) {
		for (unsigned i = 0; i < depth; i++) {
			unsigned char le[8];
			for (int b = 0; b < 8; b++)
				le[b] = (unsigned char)(ips[i] >> (8 * b));
			h = fnv64a(h, le, 8);
		}
		return h;
	}
	static const unsigned char zero4[4];
	for (unsigned i = 0; i < depth; i++) {
		const char *s = syms && syms[i] ? syms[i] : "";
		const char *f = files && files[i] ? files[i] : "";
		/* symbol \0 file \0 pyfile \0 pyfunc \0 pyline(u32 LE): no Python frames here */
		h = fnv64a(h, s, strlen(s) + 1);
		h = fnv64a(h, f, strlen(f) + 1);
		h = fnv64a(h, "\0\0", 2);
		h = fnv64a(h, zero4, 4);
	}
	return h;
}

struct sbuf { char *p; size_t n, cap; };

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (c < b->n + n + 1)
			c *= 2;
		char *p = realloc(b->p, c);
		if (!p)
			return;
		b->p = p;
		b->cap = c;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}
static void sb_str(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_json(struct sbuf *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[8];
		if (c == '"' || c == '\\') {
			e[0] = '\\'; e[1] = (char)c;
			sb_add(b, e, 2);
		} else if (c < 0x20) {
			snprintf(e, sizeof e, "\\u%04x", c);
			sb_add(b, e, 6);
		} else {
			sb_add(b, (const char *)&c, 1);
		}
	}
	sb_add(b, "\"", 1);
}

static const struct mod *find_module(struct lnode *l, uint32_t pid, uint64_t ip)
{
	const struct mod *best = NULL;
	for (size_t i = 0; i < l->mods.cap; i++) {
		if (!l->mods.used[i])
			continue;
		const struct mod *m = (const struct mod *)(uintptr_t)l->mods.vals[i];
		if (m && (m->pid == pid || m->pid == 0) && ip >= m->start && ip < m->end)
			if (!best || m->pid > best->pid)
				best = m;
	}
	return best;
}

static int on_stack(struct importer *im, struct lnode *l, const struct ingero_stack *s)
{
	unsigned d = s->depth > INGERO_STACK_MAX ? INGERO_STACK_MAX : s->depth;
	char *syms[INGERO_STACK_MAX] = { 0 };
	const char *files[INGERO_STACK_MAX] = { 0 };
	struct sbuf ips = { 0 }, fr = { 0 };
	int rc = 0;

	for (unsigned i = 0; i < d; i++) {
		const struct mod *m = NULL;
		if (s->syms[i]) {
			uint64_t *v = map_get(&l->syms, s->syms[i]);
			const struct sym *sy = v ? (const struct sym *)(uintptr_t)*v : NULL;
			if (sy) {
				if (asprintf(&syms[i], "%s+0x%x", sy->name, s->offs[i]) < 0)
					syms[i] = NULL;
				uint64_t *mv = map_get(&l->mods, sy->module_id);
				m = mv ? (const struct mod *)(uintptr_t)*mv : NULL;
			}
		}
		if (!m && l->mods.n)
			m = find_module(l, s->pid, s->ips[i]);
		files[i] = m ? m->path : NULL;
	}
	uint64_t h = imp_stack_hash(d, s->ips, (const char *const *)syms, files);
	int isnew;
	uint64_t *slot = map_put(&l->stacks, s->id, &isnew);
	if (slot)
		*slot = h;

	sb_str(&ips, "[");
	sb_str(&fr, "[");
	for (unsigned i = 0; i < d; i++) {
		char hex[32];
		snprintf(hex, sizeof hex, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)s->ips[i]);
		sb_str(&ips, hex);
		sb_str(&fr, i ? ",{" : "{");
		if (syms[i]) {
			sb_str(&fr, "\"s\":");
			sb_json(&fr, syms[i]);
		} else {
			snprintf(hex, sizeof hex, "\"i\":\"0x%llx\"", (unsigned long long)s->ips[i]);
			sb_str(&fr, hex);
		}
		if (files[i]) {
			const char *b = strrchr(files[i], '/');
			sb_str(&fr, ",\"f\":");
			sb_json(&fr, b ? b + 1 : files[i]);
		}
		sb_str(&fr, "}");
	}
	sb_str(&ips, "]");
	sb_str(&fr, "]");
	if (ips.p && fr.p) {
		sqlite3_stmt *st = im->st[ST_STACK];
		sqlite3_bind_int64(st, 1, (int64_t)h);
		sqlite3_bind_text(st, 2, ips.p, (int)ips.n, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, fr.p, (int)fr.n, SQLITE_STATIC);
		rc = step(im, st);
	}
	for (unsigned i = 0; i < d; i++)
		free(syms[i]);
	free(ips.p);
	free(fr.p);
	return rc;
}

/* ------------------------------------------------------------ records */

/* The object stored in map m under k, or a new zeroed one of sz bytes put
 * there (*isnew = 1).  NULL when out of memory. */
static void *map_obj(struct map *m, uint64_t k, size_t sz, int *isnew)
{
	uint64_t *v = map_put(m, k, isnew);
	if (!v)
		return NULL;
	if (*v) {
		*isnew = 0;
		return (void *)(uintptr_t)*v;
	}
	void *o = calloc(1, sz);
	if (o) {
		*v = (uintptr_t)o;
		*isnew = 1;
	}
	return o;
}

static struct proc *proc_get(struct lnode *l, uint32_t pid, int create)
{
	uint64_t *v = map_get(&l->procs, pid);
	if (v && *v)
		return (struct proc *)(uintptr_t)*v;
	if (!create)
		return NULL;
	int isnew;
	struct proc *p = map_obj(&l->procs, pid, sizeof *p, &isnew);
	if (p && isnew)
		p->rank = p->local_rank = p->world_size = -1;
	return p;
}

static void bind_row(sqlite3_stmt *s, int base, const struct prow *w)
{
	for (int c = 0; c < EV_COLS; c++) {
		int i = base + c + 1;
		if (c == 1)
			sqlite3_bind_text(s, i, w->node, -1, SQLITE_STATIC);
		else if (c == 15)
			sqlite3_bind_text(s, i, w->comm, -1, SQLITE_STATIC);
		else if (w->nulls & (1u << c))
			sqlite3_bind_null(s, i);
		else
			sqlite3_bind_int64(s, i, w->v[c]);
	}
}

static int flush_events(struct importer *im)
{
	int rc = 0;
	if (im->npend == EV_BATCH) {
		for (int r = 0; r < EV_BATCH; r++)
			bind_row(im->batch, r * EV_COLS, &im->pend[r]);
		rc = step(im, im->batch);
	} else {
		for (int r = 0; r < im->npend && !rc; r++) {
			bind_row(im->st[ST_EVENT], 0, &im->pend[r]);
			rc = step(im, im->st[ST_EVENT]);
		}
	}
	im->npend = 0;
	return rc;
}

static int on_event(struct importer *im, struct lnode *l, const struct ingero_event *e)
{
	struct gnode *g = l->g;
	int64_t ts = to_wall(im, l, e->ts);
	int64_t dur = (int64_t)e->dur;
	struct proc *p = proc_get(l, e->pid, 1);
	uint64_t *sh = e->stack_id ? map_get(&l->stacks, e->stack_id) : NULL;
	int32_t rank = p && p->rank >= 0 ? p->rank : g->rank;

	if (p && !p->comm && !p->had_events)
		p->had_events = 1;
	if (im->npend == EV_BATCH && flush_events(im))
		return -1;
	struct prow *w = &im->pend[im->npend++];
	int64_t *v = w->v;
	w->node = g->name;
	w->comm = p && p->comm ? p->comm : "";
	w->nulls = 0;
	v[0] = ++g->seq;
	v[2] = ts;
	v[3] = e->pid;
	v[4] = e->tid;
	v[5] = e->source;
	v[6] = e->op;
	v[7] = dur;
	v[8] = (int64_t)e->arg[0];
	v[9] = (int64_t)e->arg[1];
	v[10] = e->ret;
	v[11] = sh ? (int64_t)*sh : 0;
	v[12] = rank;
	v[13] = p ? p->local_rank : -1;
	v[14] = p ? p->world_size : -1;
	for (int i = 12; i <= 14; i++)
		if (v[i] < 0)
			w->nulls |= 1u << i;
	v[16] = p ? (int64_t)p->cgroup : 0;
	v[17] = (int64_t)e->arg[2];
	v[18] = (int64_t)e->arg[3];
	v[19] = e->cpu == UINT32_MAX ? -1 : (int64_t)e->cpu;
	v[20] = e->flags;

	g->events++;
	l->events++;
	im->events++;
	int64_t end;   /* ts + dur, saturated (hostile durations) */
	if (__builtin_add_overflow(ts, dur, &end))
		end = dur > 0 ? INT64_MAX : INT64_MIN;
	if (!g->have_ts || ts < g->first_ts)
		g->first_ts = ts;
	if (!g->have_ts || end > g->last_ts)
		g->last_ts = end;
	if (l->events == 1 || ts < l->first_ts)
		l->first_ts = ts;
	if (l->events == 1 || end > l->last_ts)
		l->last_ts = end;
	g->have_ts = 1;

	if (e->source == INGERO_SRC_HOST && e->op == INGERO_HOST_SCHED_SWITCH) {
		sqlite3_stmt *o = im->st[ST_OFFCPU];
		struct proc *c = proc_get(l, (uint32_t)e->arg[1], 0);
		sqlite3_bind_text(o, 1, g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(o, 2, e->pid);
		sqlite3_bind_int64(o, 3, e->tid);
		sqlite3_bind_int64(o, 4, ts);
		sqlite3_bind_int64(o, 5, dur);
		sqlite3_bind_int64(o, 6, (int64_t)e->arg[0]);
		sqlite3_bind_int(o, 7, e->arg[0] == 0);
		sqlite3_bind_int64(o, 8, (int64_t)e->arg[1]);
		sqlite3_bind_int64(o, 9, (int64_t)e->arg[2]);
		if (c && c->comm)
			sqlite3_bind_text(o, 10, c->comm, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(o, 10);
		sqlite3_bind_int64(o, 11, e->cpu == UINT32_MAX ? -1 : (int64_t)e->cpu);
		if (step(im, o))
			return -1;
	} else if (e->source == INGERO_SRC_NCCL) {
		sqlite3_stmt *n = im->st[ST_NCCL];
		uint64_t peer = (e->arg[4] >> 16) & 0xffffffffULL;
		sqlite3_bind_text(n, 1, g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(n, 2, e->pid);
		sqlite3_bind_int64(n, 3, e->tid);
		sqlite3_bind_int64(n, 4, ts);
		sqlite3_bind_int64(n, 5, dur);
		sqlite3_bind_int(n, 6, e->op);
		sqlite3_bind_int64(n, 7, (int64_t)e->arg[0]);
		sqlite3_bind_int64(n, 8, (int64_t)e->arg[2]);
		sqlite3_bind_int64(n, 9, (int64_t)(e->arg[3] & 0xffffffffULL));
		sqlite3_bind_int64(n, 10, (int64_t)(e->arg[3] >> 32));
		sqlite3_bind_int64(n, 11, (int64_t)e->arg[1]);
		sqlite3_bind_int64(n, 12, (int64_t)(e->arg[4] & 0xff));
		sqlite3_bind_int64(n, 13, (int64_t)((e->arg[4] >> 8) & 0xff));
		if (peer)
			sqlite3_bind_int64(n, 14, (int64_t)peer - 1);
		else
			sqlite3_bind_null(n, 14);
		sqlite3_bind_int64(n, 15, (int64_t)e->arg[5]);
		if (step(im, n))
			return -1;
	} else if (e->source == INGERO_SRC_GRAPH) {
		sqlite3_stmt *n = im->st[ST_GRAPH];
		sqlite3_bind_text(n, 1, g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(n, 2, e->pid);
		sqlite3_bind_int64(n, 3, e->tid);
		sqlite3_bind_int64(n, 4, ts);
		sqlite3_bind_int64(n, 5, dur);
		sqlite3_bind_int(n, 6, e->op);
		for (int i = 0; i < 4; i++)
			sqlite3_bind_int64(n, 7 + i, (int64_t)e->arg[i]);
		sqlite3_bind_int64(n, 11, e->ret);
		if (step(im, n))
			return -1;
	}
	if (im->o.progress && im->events - im->last_progress >= (1u << 20)) {
		im->last_progress = im->events;
		fprintf(stderr, "\r" PROG ": %llu events imported", (unsigned long long)im->events);
	}
	return 0;
}

static int on_process(struct importer *im, struct lnode *l, const struct ingero_process *pr)
{
	struct proc *p = proc_get(l, pr->pid, 1);
	if (!p)
		return -1;
	if (p->had_events)
		im->late_comm = 1;
	set_str(&p->comm, pr->comm ? pr->comm : "");
	if (!p->comm)
		p->comm = strdup("");
	p->rank = pr->rank;
	p->local_rank = pr->local_rank;
	p->world_size = pr->world_size;
	p->cgroup = pr->cgroup_id;

	int64_t seen = pr->start_ts ? to_wall(im, l, pr->start_ts) : 0;
	sqlite3_stmt *s = im->st[ST_PROC];
	sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, pr->pid);
	sqlite3_bind_int64(s, 3, pr->ppid);
	sqlite3_bind_int64(s, 4, pr->uid);
	sqlite3_bind_text(s, 5, pr->comm ? pr->comm : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, pr->cmdline ? pr->cmdline : "", -1, SQLITE_STATIC);
	bind_rank(s, 7, pr->rank);
	bind_rank(s, 8, pr->local_rank);
	bind_rank(s, 9, pr->world_size);
	sqlite3_bind_int64(s, 10, (int64_t)pr->cgroup_id);
	sqlite3_bind_int64(s, 11, seen);
	if (step(im, s))
		return -1;
	s = im->st[ST_PNAME];
	sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, pr->pid);
	sqlite3_bind_text(s, 3, pr->comm ? pr->comm : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, seen);
	return step(im, s);
}

static int on_header(struct importer *im, const struct ingero_header *h)
{
	if (!im->hdr_node) {
		im->hdr_node = strdup(h->node ? h->node : "");
		im->identity = h->clock && !strcmp(h->clock, "unix");
		im->hdr_rank = h->rank;
	}
	struct lnode *l = lnode(im, 0);
	if (!l)
		return -1;
	if (!l->have_header) {
		l->have_header = 1;
		l->start_ts = h->start_ts;
		set_str(&l->cmdline, h->cmdline);
	}
	struct gnode *g = l->g;
	if (im->identity)   /* merged: the NODE records describe the nodes */
		return 0;
	set_str(&g->host, h->host);
	set_str(&g->boot_id, h->boot_id);
	set_str(&g->kernel, h->kernel);
	set_str(&g->recorder, h->recorder);
	if (h->rank >= 0)
		g->rank = h->rank;
	if (!im->identity) {
		add_anchor(l, &h->anchor);
	}
	return 0;
}

static int on_nodeinfo(struct importer *im, const struct ingero_node *n)
{
	struct lnode *l;
	if (n->index >= 1u << 20)
		return 0;
	if (!(l = lnode(im, n->index)))  /* creates the slot (g resolved below) */
		return -1;
	if (n->name && *n->name && (!l->g || strcmp(l->g->name, n->name))) {
		set_str(&l->name, n->name);
		struct gnode *g;
		for (g = im->nodes; g && strcmp(g->name, n->name); g = g->next)
			;
		if (!g && l->g && !l->g->events && !l->g->seq) {
			/* the header's node name was a placeholder (merged recording) */
			char *nm = strdup(n->name);
			if (!nm)
				return -1;
			free(l->g->name);
			l->g->name = nm;
		} else if (!(l->g = g ? g : gnode_get(im, n->name))) {
			return -1;
		}
	}
	set_str(&l->g->host, n->host);
	set_str(&l->g->boot_id, n->boot_id);
	if (n->rank >= 0)
		l->g->rank = n->rank;
	sqlite3_stmt *s = im->st[ST_CORR];
	sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, n->method ? n->method : "none", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, n->offset_ns);
	sqlite3_bind_double(s, 4, n->drift_ppb);
	sqlite3_bind_int64(s, 5, (int64_t)n->ref_ts);
	sqlite3_bind_double(s, 6, n->confidence_ns);
	sqlite3_bind_int64(s, 7, (int64_t)n->samples);
	return step(im, s);
}

static int on_record(struct importer *im, const struct ingero_record *r)
{
	struct lnode *l;
	sqlite3_stmt *s;

	if (r->kind != INGERO_REC_EVENT && im->npend && flush_events(im))
		return -1;
	switch (r->kind) {
	case INGERO_REC_HEADER:
		return on_header(im, &r->u.hdr);
	case INGERO_REC_NODE:
		return on_nodeinfo(im, &r->u.nodeinfo);
	case INGERO_REC_FRAME: case INGERO_REC_CTX: case INGERO_REC_FOOTER:
		return 0;
	default:
		break;
	}
	if (!(l = lnode(im, r->node)))
		return -1;
	switch (r->kind) {
	case INGERO_REC_EVENT:
		return on_event(im, l, &r->u.ev);
	case INGERO_REC_ANCHOR:
		if (!im->identity)
			add_anchor(l, &r->u.anchor);
		return 0;
	case INGERO_REC_PROCESS:
		return on_process(im, l, &r->u.proc);
	case INGERO_REC_THREAD:
		s = im->st[ST_THREAD];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, r->u.thr.tid);
		sqlite3_bind_int64(s, 3, r->u.thr.pid);
		sqlite3_bind_text(s, 4, r->u.thr.name ? r->u.thr.name : "", -1, SQLITE_STATIC);
		return step(im, s);
	case INGERO_REC_MODULE: {
		int isnew;
		struct mod *m = map_obj(&l->mods, r->u.mod.id, sizeof *m, &isnew);
		if (!m)
			return -1;
		m->pid = r->u.mod.pid;
		m->start = r->u.mod.start;
		m->end = r->u.mod.end;
		free(m->path);
		m->path = strdup(r->u.mod.path ? r->u.mod.path : "");
		return 0;
	}
	case INGERO_REC_SYMBOL: {
		int isnew;
		struct sym *y = map_obj(&l->syms, r->u.sym.id, sizeof *y, &isnew);
		if (!y)
			return -1;
		y->module_id = r->u.sym.module_id;
		y->offset = r->u.sym.offset;
		free(y->name);
		y->name = strdup(r->u.sym.name ? r->u.sym.name : "");
		return 0;
	}
	case INGERO_REC_STACK:
		return r->u.stack ? on_stack(im, l, r->u.stack) : 0;
	case INGERO_REC_SYS: {
		const struct ingero_sys *y = &r->u.sys;
		s = im->st[ST_SYS];
		sqlite3_bind_int64(s, 1, to_wall(im, l, y->ts));
		sqlite3_bind_double(s, 2, y->cpu_pct);
		sqlite3_bind_double(s, 3, y->mem_pct);
		sqlite3_bind_int64(s, 4, (int64_t)y->mem_avail_mb);
		sqlite3_bind_int64(s, 5, (int64_t)y->swap_used_mb);
		sqlite3_bind_double(s, 6, y->load1);
		sqlite3_bind_text(s, 7, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_double(s, 8, y->iowait_pct);
		sqlite3_bind_int64(s, 9, (int64_t)y->pgmajfault);
		sqlite3_bind_int64(s, 10, (int64_t)y->ctxt);
		return step(im, s);
	}
	case INGERO_REC_GPU: {
		const struct ingero_gpu *y = &r->u.gpu;
		s = im->st[ST_GPU];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, to_wall(im, l, y->ts));
		sqlite3_bind_int64(s, 3, y->index);
		sqlite3_bind_double(s, 4, y->util_pct);
		sqlite3_bind_int64(s, 5, (int64_t)y->mem_used_mb);
		sqlite3_bind_int64(s, 6, (int64_t)y->mem_total_mb);
		sqlite3_bind_int64(s, 7, y->sm_clock_mhz);
		sqlite3_bind_int64(s, 8, y->mem_clock_mhz);
		sqlite3_bind_int64(s, 9, (int64_t)y->throttle_reasons);
		sqlite3_bind_int64(s, 10, y->temp_c);
		sqlite3_bind_double(s, 11, y->power_w);
		return step(im, s);
	}
	case INGERO_REC_LOST:
		s = im->st[ST_LOST];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, to_wall(im, l, r->u.lost.ts));
		sqlite3_bind_int(s, 3, r->u.lost.source);
		sqlite3_bind_int64(s, 4, (int64_t)r->u.lost.count);
		sqlite3_bind_int64(s, 5, r->u.lost.reason);
		return step(im, s);
	case INGERO_REC_NOTE:
		s = im->st[ST_NOTE];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, to_wall(im, l, r->u.note.ts));
		sqlite3_bind_int64(s, 3, r->u.note.level);
		sqlite3_bind_text(s, 4, r->u.note.text ? r->u.note.text : "", -1, SQLITE_STATIC);
		return step(im, s);
	case INGERO_REC_SAMPLING:
		s = im->st[ST_SAMPLING];
		sqlite3_bind_text(s, 1, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, to_wall(im, l, r->u.sampling.ts));
		sqlite3_bind_int64(s, 3, r->u.sampling.pid);
		sqlite3_bind_int(s, 4, r->u.sampling.source);
		sqlite3_bind_int(s, 5, r->u.sampling.op);
		sqlite3_bind_int64(s, 6, r->u.sampling.rate);
		return step(im, s);
	default:
		return 0;   /* unknown kinds are skipped (forward compatibility) */
	}
}

/* ------------------------------------------------------------ inputs */

static void reader_warn(void *ctx, const struct ingero_error *w)
{
	struct importer *im = ctx;
	char buf[1200];
	imp_warn(im, "%s", ingero_strerror(w, buf, sizeof buf));
}

static int record_input(struct importer *im, const char *kind, const char *schema)
{
	sqlite3_stmt *s = adb_prepare(im->db, "INSERT INTO inputs(path, kind, events, warnings, "
				      "last_warning, schema_version) VALUES (?,?,?,?,?,?)");
	if (!s)
		return -1;
	uint64_t ev = 0;
	for (size_t i = 0; i < im->nln; i++)
		ev += im->ln[i].events;
	sqlite3_bind_text(s, 1, im->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)ev);
	sqlite3_bind_int64(s, 4, im->in_warnings);
	sqlite3_bind_text(s, 5, im->in_warnings ? im->last_warning : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, schema ? schema : "", -1, SQLITE_STATIC);
	int rc = step(im, s);
	sqlite3_finalize(s);
	return rc;
}

static int write_sessions(struct importer *im)
{
	sqlite3_stmt *s = adb_prepare(im->db, "INSERT INTO sessions(started_at, stopped_at, kernel, "
				      "ingero_ver, flags, node, source_file, rank) VALUES (?,?,?,?,?,?,?,?)");
	int rc = 0;
	if (!s)
		return -1;
	for (size_t i = 0; i < im->nln && !rc; i++) {
		struct lnode *l = &im->ln[i];
		if (!l->g || (!l->events && !l->have_header))
			continue;
		int64_t start = l->events ? l->first_ts : (l->start_ts ? to_wall(im, l, l->start_ts) : 0);
		sqlite3_bind_int64(s, 1, start);
		sqlite3_bind_int64(s, 2, l->events ? l->last_ts : start);
		sqlite3_bind_text(s, 3, l->g->kernel ? l->g->kernel : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, l->g->recorder ? l->g->recorder : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, l->cmdline ? l->cmdline : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, im->path, -1, SQLITE_STATIC);
		bind_rank(s, 8, l->g->rank);
		rc = step(im, s);
	}
	sqlite3_finalize(s);
	return rc;
}

static int has_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		if (!strncmp(e->d_name, "seg-", 4) && strstr(e->d_name, ".igz"))
			found = 1;
	closedir(d);
	return found;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int recording_input(struct importer *im, const char *path);

/* A directory holding several node recordings (subdirectories with segments):
 * each is imported as its own node, in name order. */
static int multi_input(struct importer *im, const char *path, int *handled)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **subs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*handled = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *p;
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", path, e->d_name) < 0)
			break;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && has_segments(p)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				char **ns = realloc(subs, cap * sizeof *ns);
				if (!ns) { free(p); break; }
				subs = ns;
			}
			subs[n++] = p;
		} else {
			free(p);
		}
	}
	closedir(d);
	if (n) {
		*handled = 1;
		qsort(subs, n, sizeof *subs, cmpstr);
		for (size_t i = 0; i < n && !rc; i++)
			rc = recording_input(im, subs[i]);
		im->path = path;   /* subs[] is freed below */
	}
	for (size_t i = 0; i < n; i++)
		free(subs[i]);
	free(subs);
	return rc;
}

static int recording_input(struct importer *im, const char *path)
{
	struct ingero_reader *r = NULL;
	struct ingero_error err = { 0 };
	struct ingero_record rec;
	char buf[1200];
	uint64_t nrec = 0;
	int rc;

	lnodes_free(im);
	im->path = path;
	im->identity = 0;
	im->hdr_rank = -1;
	im->in_warnings = 0;
	if (ingero_reader_open(&r, path, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", ingero_strerror(&err, buf, sizeof buf));
		return -1;
	}
	ingero_reader_set_warn(r, reader_warn, im);
	if (begin(im)) {
		ingero_reader_close(r);
		return -1;
	}
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		nrec++;
		if (on_record(im, &rec) < 0) {
			ingero_reader_close(r);
			return -1;
		}
	}
	if (rc < 0) {
		const struct ingero_error *w = ingero_reader_last_warning(r);
		struct ingero_error e2 = { .code = rc };
		if (!w || w->code != rc) {
			snprintf(e2.file, sizeof e2.file, "%s", path);
			snprintf(e2.msg, sizeof e2.msg, "%s", rc == INGERO_EFORMAT ?
				 "not an Ingero recording" : rc == INGERO_ECRITICAL ?
				 "unknown must-understand record kind" : "unreadable recording");
			w = &e2;
		}
		if (!nrec) {
			fprintf(stderr, PROG ": %s\n", ingero_strerror(w, buf, sizeof buf));
			ingero_reader_close(r);
			return -1;
		}
		imp_warn(im, "%s (import stopped there)", ingero_strerror(w, buf, sizeof buf));
	}
	ingero_reader_close(r);
	if (im->npend && flush_events(im))
		return -1;
	if (!nrec) {
		fprintf(stderr, PROG ": %s: empty recording\n", path);
		return -1;
	}
	if (write_sessions(im) || record_input(im, "recording", NULL))
		return -1;
	if (im->o.progress)
		fputs("\r\033[K", stderr);
	return imp_commit(im);
}

int imp_input(struct importer *im, const char *path)
{
	struct stat st;
	int handled = 0, rc;

	if (strcmp(path, "-") && stat(path, &st) != 0) {
		fprintf(stderr, PROG ": %s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	if (strcmp(path, "-") && S_ISREG(st.st_mode) && legacy_is_sqlite(path)) {
		im->path = path;
		im->in_warnings = 0;
		return legacy_import(im, path);
	}
	if (strcmp(path, "-") && S_ISDIR(st.st_mode) && !has_segments(path)) {
		rc = multi_input(im, path, &handled);
		if (handled || rc)
			return rc;
	}
	return recording_input(im, path);
}

int imp_finish(struct importer *im)
{
	int rc = 0;
	if (begin(im))
		return -1;
	if (im->late_comm)
		rc |= adb_exec(im->db,
			"UPDATE events SET comm = p.comm, rank = coalesce(events.rank, p.rank), "
			"local_rank = coalesce(events.local_rank, p.local_rank), "
			"world_size = coalesce(events.world_size, p.world_size), "
			"cgroup_id = CASE WHEN events.cgroup_id = 0 THEN p.cgroup_id ELSE events.cgroup_id END "
			"FROM processes p WHERE events.comm = '' AND p.node = events.node AND "
			"p.pid = events.pid AND p.comm != ''", "late process names");
	rc |= adb_exec(im->db,
		"UPDATE offcpu SET culprit_comm = (SELECT p.comm FROM processes p WHERE "
		"p.node = offcpu.node AND p.pid = offcpu.culprit_pid) WHERE culprit_comm IS NULL "
		"AND culprit_pid IS NOT NULL", "culprit names");
	sqlite3_stmt *s = adb_prepare(im->db,
		"INSERT INTO nodes(name, host, boot_id, kernel, rank, recorder, first_ts, last_ts, events) "
		"VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
		"host = CASE WHEN excluded.host != '' THEN excluded.host ELSE host END, "
		"boot_id = CASE WHEN excluded.boot_id != '' THEN excluded.boot_id ELSE boot_id END, "
		"kernel = CASE WHEN excluded.kernel != '' THEN excluded.kernel ELSE kernel END, "
		"rank = coalesce(excluded.rank, rank), "
		"recorder = CASE WHEN excluded.recorder != '' THEN excluded.recorder ELSE recorder END, "
		"first_ts = min(coalesce(first_ts, excluded.first_ts), coalesce(excluded.first_ts, first_ts)), "
		"last_ts = max(coalesce(last_ts, excluded.last_ts), coalesce(excluded.last_ts, last_ts)), "
		"events = events + excluded.events");
	if (!s)
		return -1;
	for (struct gnode *g = im->nodes; g && !rc; g = g->next) {
		sqlite3_bind_text(s, 1, g->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, g->host ? g->host : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, g->boot_id ? g->boot_id : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, g->kernel ? g->kernel : "", -1, SQLITE_STATIC);
		bind_rank(s, 5, g->rank);
		sqlite3_bind_text(s, 6, g->recorder ? g->recorder : "", -1, SQLITE_STATIC);
		if (g->have_ts) {
			sqlite3_bind_int64(s, 7, g->first_ts);
			sqlite3_bind_int64(s, 8, g->last_ts);
		} else {
			sqlite3_bind_null(s, 7);
			sqlite3_bind_null(s, 8);
		}
		sqlite3_bind_int64(s, 9, (int64_t)g->events);
		rc = step(im, s);
	}
	sqlite3_finalize(s);
	rc |= imp_commit(im);
	return rc ? -1 : 0;
}
