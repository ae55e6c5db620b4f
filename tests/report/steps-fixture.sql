-- Engine v2 step tables (/work/notes/steps-contract.md, docs/schema.md) filled
-- from an analysis DB's own events, for testing ingero-report before and
-- independently of the engine that writes them: one step per
-- cudaStreamSynchronize of each process, ending at it.  Applied with
-- sqlite3 to a copy of an analysis database (tests/report/t-report.sh).
CREATE TABLE IF NOT EXISTS steps (
	id INTEGER PRIMARY KEY, node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, tid INTEGER NOT NULL,
	stream INTEGER NOT NULL, step INTEGER NOT NULL, start INTEGER NOT NULL, duration INTEGER NOT NULL,
	boundary_op TEXT NOT NULL, phase TEXT NOT NULL, launches INTEGER NOT NULL DEFAULT 0,
	memcpy_bytes INTEGER NOT NULL DEFAULT 0, launch_ns INTEGER NOT NULL DEFAULT 0,
	memcpy_ns INTEGER NOT NULL DEFAULT 0, sync_ns INTEGER NOT NULL DEFAULT 0, alloc_ns INTEGER NOT NULL DEFAULT 0,
	other_cuda_ns INTEGER NOT NULL DEFAULT 0, nccl_ns INTEGER NOT NULL DEFAULT 0, host_ns INTEGER NOT NULL DEFAULT 0,
	preempted_ns INTEGER NOT NULL DEFAULT 0, blocked_ns INTEGER NOT NULL DEFAULT 0, io_ns INTEGER NOT NULL DEFAULT 0,
	mem_ns INTEGER NOT NULL DEFAULT 0, gpu_idle_ns INTEGER NOT NULL DEFAULT 0, warmup INTEGER NOT NULL DEFAULT 0,
	slow INTEGER NOT NULL DEFAULT 0, outlier TEXT NOT NULL DEFAULT '', preempt_pid INTEGER, preempt_comm TEXT,
	waker_pid INTEGER, waker_comm TEXT);
CREATE TABLE IF NOT EXISTS step_baselines (
	node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, stream INTEGER NOT NULL, phase TEXT NOT NULL,
	steps INTEGER NOT NULL, warmup INTEGER NOT NULL, p50 INTEGER NOT NULL, p95 INTEGER NOT NULL, mean INTEGER NOT NULL,
	PRIMARY KEY (node, pid, stream, phase));
CREATE TABLE IF NOT EXISTS step_findings (
	id TEXT PRIMARY KEY, kind TEXT NOT NULL, severity TEXT NOT NULL, node TEXT NOT NULL DEFAULT '',
	pid INTEGER, stream INTEGER, step_id INTEGER, start INTEGER NOT NULL, duration INTEGER NOT NULL,
	lost_ns INTEGER NOT NULL DEFAULT 0, impact_share REAL NOT NULL DEFAULT 0, summary TEXT NOT NULL,
	root_cause TEXT NOT NULL DEFAULT '', culprit_pid INTEGER, culprit_comm TEXT,
	recommendations TEXT NOT NULL DEFAULT '');
-- the fixture replaces whatever the engine wrote, so the page shows known rows
DELETE FROM steps;
DELETE FROM step_baselines;
DELETE FROM step_findings;
INSERT INTO steps (node, pid, tid, stream, step, start, duration, boundary_op, phase, warmup)
SELECT node, pid, tid, 4096 + (pid % 2), row_number() OVER w - 1, prev, timestamp + duration - prev,
       'cudaStreamSynchronize', 'step', row_number() OVER w <= 3
FROM (SELECT e.node, e.pid, e.tid, e.timestamp, e.duration,
             lag(e.timestamp + e.duration) OVER (PARTITION BY e.node, e.pid ORDER BY e.timestamp) AS prev
      FROM events e JOIN ops o ON o.source_id = e.source AND o.op_id = e.op
      WHERE o.name = 'cudaStreamSync')
WHERE prev IS NOT NULL
WINDOW w AS (PARTITION BY node, pid ORDER BY prev);
UPDATE steps SET slow = 1, outlier = '3x'
WHERE duration > 3 * (SELECT duration FROM steps s2 WHERE s2.node = steps.node AND s2.pid = steps.pid
                      ORDER BY duration LIMIT 1 OFFSET (SELECT count(*) / 2 FROM steps));
INSERT INTO step_findings (id, kind, severity, node, pid, stream, start, duration, lost_ns, impact_share, summary,
                           root_cause, culprit_pid, culprit_comm, recommendations)
SELECT node || ':fixture-slow_step-1', 'slow_step', 'MEDIUM', node, pid, stream, min(start), max(start + duration) - min(start),
       sum(duration) / 2, 0.05, count(*) || ' slow steps <fixture> & more', 'test fixture: "slow" steps', NULL, NULL,
       '["a fix with <b>markup</b> & quotes \""]'
FROM steps WHERE slow GROUP BY node, pid, stream ORDER BY count(*) DESC LIMIT 1;
