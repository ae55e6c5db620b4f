/* import.c - the importer: prepared statements, the bulk transaction, one
 * recording streamed through the formats/ reader (segment file, recording
 * directory, bundle or "-"), its sessions and inputs rows.  The rows come
 * from import_rec.c; which input is read how is decided in inputs.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import_int.h"

static const char *const st_sql[ST_MAX] = {
	[ST_EVENT] = "INSERT INTO event_rows(" EV_COLS_SQL ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_CTX] = "INSERT INTO event_ctx(node,pid,comm,rank,local_rank,world_size,cgroup_id) "
		"VALUES (?,?,?,?,?,?,?)",
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
	[ST_PYFRAME] = "INSERT OR IGNORE INTO python_frames(stack_hash,depth,file,function,line) "
		"VALUES (?,?,?,?,?)",
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
		ig_progress_end(&im->prog);   /* the warning on a line of its own */
		ig_warning("%s", im->last_warning);
	}
}

int imp_step(struct importer *im, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ig_error("database: %s", sqlite3_errmsg(im->db));
		return -1;
	}
	return 0;
}

void imp_bind_rank(sqlite3_stmt *s, int i, int32_t v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int(s, i, v);
}

int imp_begin(struct importer *im)
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

/* ------------------------------------------------------------ progress */

/* bytes this process has read so far (/proc/self/io rchar): the input's
 * bytes, as the reader does not tell its position; 0 when unknown */
static uint64_t rchar(void)
{
	char buf[512];
	int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = strstr(buf, "rchar:");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

void imp_progress_start(struct importer *im, uint64_t total_bytes)
{
	ig_progress_start(&im->prog, "import", total_bytes);
	im->rchar0 = im->prog.on ? rchar() : 0;
}

void imp_progress(struct importer *im)
{
	if (!im->prog.on)
		return;
	uint64_t r = rchar(), done = r > im->rchar0 ? r - im->rchar0 : 0;
	if (im->prog.total && done > im->prog.total)
		done = im->prog.total;
	ig_progress_update(&im->prog, done, im->events);
}

void imp_progress_end(struct importer *im)
{
	ig_progress_end(&im->prog);
}

/* ------------------------------------------------------------ lifecycle */

struct importer *imp_new(sqlite3 *db, const struct import_opts *o)
{
	struct importer *im = xcalloc(1, sizeof *im);
	im->db = db;
	if (o)
		im->o = *o;
	for (int i = 0; i < ST_MAX; i++)
		if (!(im->st[i] = adb_prepare(db, st_sql[i]))) {
			imp_free(im);
			return NULL;
		}
	char *q = sqlite3_mprintf("INSERT INTO event_rows(" EV_COLS_SQL ") VALUES ");
	for (int r = 0; q && r < EV_BATCH; r++)
		q = sqlite3_mprintf("%z%s(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", q, r ? "," : "");
	if (!q || !(im->batch = adb_prepare(db, q))) {
		sqlite3_free(q);
		imp_free(im);
		return NULL;
	}
	sqlite3_free(q);
	return im;
}

void imp_free(struct importer *im)
{
	if (!im)
		return;
	ig_progress_end(&im->prog);
	imp_lnodes_free(im);
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(im->st[i]);
	sqlite3_finalize(im->batch);
	for (struct gnode *g = im->nodes, *n; g; g = n) {
		n = g->next;
		free(g->name); free(g->host); free(g->boot_id); free(g->kernel); free(g->recorder);
		free(g->raw_input);
		free(g);
	}
	free(im);
}

/* Base name of a path without a trailing slash or extension (".db", ".igz",
 * ".tar*"): the node name when a file does not carry one. */
void imp_base_name(const char *path, char *out, size_t len)
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

void imp_set_input(struct importer *im, const char *path)
{
	im->path = path;
	im->in_warnings = 0;
}

/* ------------------------------------------------------ inputs, sessions */

size_t imp_unmerged(const struct importer *im, char **names, char ***paths)
{
	size_t n = 0, np = 0, cap = 0, len = 1;
	const struct gnode *g;
	*paths = NULL;
	for (g = im->nodes; g; g = g->next)
		if (g->raw_input)
			len += strlen(g->name) + 2;
	*names = xcalloc(1, len);
	for (g = im->nodes; g; g = g->next) {
		if (!g->raw_input)
			continue;
		if (n++)
			strcat(*names, ", ");
		strcat(*names, g->name);
		size_t i;
		for (i = 0; i < np && strcmp((*paths)[i], g->raw_input); i++)
			;
		if (i == np) {
			ig_grow(paths, &cap, np + 1, sizeof **paths);
			(*paths)[np++] = g->raw_input;
		}
	}
	if (n < 2) {
		free(*paths);
		*paths = NULL;
		return 0;
	}
	ig_grow(paths, &cap, np + 1, sizeof **paths);
	(*paths)[np] = NULL;
	return n;
}

int imp_input_row(struct importer *im, const char *kind, const char *schema, uint64_t events)
{
	sqlite3_stmt *s = adb_prepare(im->db, "INSERT INTO inputs(path, kind, events, warnings, "
				      "last_warning, schema_version) VALUES (?,?,?,?,?,?)");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, im->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)events);
	sqlite3_bind_int64(s, 4, im->in_warnings);
	sqlite3_bind_text(s, 5, im->in_warnings ? im->last_warning : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, schema ? schema : "", -1, SQLITE_STATIC);
	int rc = imp_step(im, s);
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
		int64_t start = l->events ? l->first_ts : (l->start_ts ? imp_to_wall(im, l, l->start_ts) : 0);
		sqlite3_bind_int64(s, 1, start);
		sqlite3_bind_int64(s, 2, l->events ? l->last_ts : start);
		sqlite3_bind_text(s, 3, l->g->kernel ? l->g->kernel : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, l->g->recorder ? l->g->recorder : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, l->cmdline ? l->cmdline : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, l->g->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, im->path, -1, SQLITE_STATIC);
		imp_bind_rank(s, 8, l->g->rank);
		rc = imp_step(im, s);
	}
	sqlite3_finalize(s);
	return rc;
}

static void reader_warn(void *ctx, const struct ingero_error *w)
{
	struct importer *im = ctx;
	char buf[1200];
	imp_warn(im, "%s", ingero_strerror(w, buf, sizeof buf));
}

/* the reader's fatal error rc (after nrec records): an error when nothing
 * was read, else a warning that the import stopped there */
static int reader_failed(struct importer *im, struct ingero_reader *r, int rc, uint64_t nrec)
{
	char buf[1200];
	const struct ingero_error *w = ingero_reader_last_warning(r);
	struct ingero_error e2 = { .code = rc };
	if (!w || w->code != rc) {
		snprintf(e2.file, sizeof e2.file, "%s", im->path);
		snprintf(e2.msg, sizeof e2.msg, "%s", rc == INGERO_EFORMAT ?
			 "not an Ingero recording" : rc == INGERO_ECRITICAL ?
			 "unknown must-understand record kind" : "unreadable recording");
		w = &e2;
	}
	if (!nrec) {
		ig_error("%s", ingero_strerror(w, buf, sizeof buf));
		return -1;
	}
	imp_warn(im, "%s (import stopped there)", ingero_strerror(w, buf, sizeof buf));
	return 0;
}

int imp_recording(struct importer *im, const char *path)
{
	struct ingero_reader *r = NULL;
	struct ingero_error err = { 0 };
	struct ingero_record rec;
	char buf[1200];
	uint64_t nrec = 0, ev = 0;
	int rc;

	imp_lnodes_free(im);
	imp_set_input(im, path);
	im->identity = 0;
	im->hdr_rank = -1;
	if (ingero_reader_open(&r, path, &err) < 0) {
		ig_error("%s", ingero_strerror(&err, buf, sizeof buf));
		return -1;
	}
	ingero_reader_set_warn(r, reader_warn, im);
	if (imp_begin(im)) {
		ingero_reader_close(r);
		return -1;
	}
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		nrec++;
		if (imp_record(im, &rec) < 0) {
			ingero_reader_close(r);
			return -1;
		}
	}
	if (rc < 0 && reader_failed(im, r, rc, nrec)) {
		ingero_reader_close(r);
		return -1;
	}
	ingero_reader_close(r);
	if (im->npend && imp_flush_events(im))
		return -1;
	if (!nrec) {
		ig_error("%s: empty recording", path);
		return -1;
	}
	for (size_t i = 0; i < im->nln; i++) {
		struct lnode *l = &im->ln[i];
		ev += l->events;
		if (!im->identity && l->g && l->events && !l->g->raw_input)
			l->g->raw_input = xstrdup(path);
	}
	if (write_sessions(im) || imp_input_row(im, "recording", NULL, ev))
		return -1;
	imp_progress(im);
	return imp_commit(im);
}
