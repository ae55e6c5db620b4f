/* import_fixup.c - after every input was read: what only the whole import
 * knows.  Events whose PROCESS record came later get their comm, rank and
 * cgroup (in event_ctx, one row per process state: no event row is rewritten); off-CPU culprits get their names; the nodes table gets one row per
 * node with its span and counts. */
#include "import_int.h"

static int late_names(struct importer *im)
{
	int rc = 0;
	if (im->late_comm)
		rc |= adb_exec(im->db,
			"UPDATE event_ctx SET comm = p.comm, rank = coalesce(event_ctx.rank, p.rank), "
			"local_rank = coalesce(event_ctx.local_rank, p.local_rank), "
			"world_size = coalesce(event_ctx.world_size, p.world_size), "
			"cgroup_id = CASE WHEN event_ctx.cgroup_id = 0 THEN p.cgroup_id ELSE event_ctx.cgroup_id END "
			"FROM processes p WHERE event_ctx.comm = '' AND p.node = event_ctx.node AND "
			"p.pid = event_ctx.pid AND p.comm != ''", "late process names");
	rc |= adb_exec(im->db,
		"UPDATE offcpu SET culprit_comm = (SELECT p.comm FROM processes p WHERE "
		"p.node = offcpu.node AND p.pid = offcpu.culprit_pid) WHERE culprit_comm IS NULL "
		"AND culprit_pid IS NOT NULL", "culprit names");
	return rc ? -1 : 0;
}

static int nodes_table(struct importer *im)
{
	int rc = 0;
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
		imp_bind_rank(s, 5, g->rank);
		sqlite3_bind_text(s, 6, g->recorder ? g->recorder : "", -1, SQLITE_STATIC);
		if (g->have_ts) {
			sqlite3_bind_int64(s, 7, g->first_ts);
			sqlite3_bind_int64(s, 8, g->last_ts);
		} else {
			sqlite3_bind_null(s, 7);
			sqlite3_bind_null(s, 8);
		}
		sqlite3_bind_int64(s, 9, (int64_t)g->events);
		rc = imp_step(im, s);
	}
	sqlite3_finalize(s);
	return rc;
}

int imp_finish(struct importer *im)
{
	if (imp_begin(im))
		return -1;
	int rc = late_names(im);
	if (!rc)
		rc = nodes_table(im);
	if (imp_commit(im))
		rc = -1;
	return rc;
}
