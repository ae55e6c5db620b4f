-- Ingero-C analysis database (schema_info.schema_version = 'ingero-c-1').
-- Shares table and column names/units with the original Go Ingero for what
-- they have in common, so its documented queries run unchanged.
-- Timestamps: unix ns (after clock anchors and merge corrections), START of
-- the call/interval (unlike the original, which mixed entry/completion/resume).
-- Durations: ns.  Indexes are created after the bulk load (the part after the
-- "@indexes" marker at the end of this file).

CREATE TABLE schema_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL);
CREATE TABLE ops (source_id INTEGER NOT NULL, op_id INTEGER NOT NULL, name TEXT NOT NULL,
	description TEXT NOT NULL, PRIMARY KEY (source_id, op_id));

-- events: the original's wide row (23 columns) is the VIEW `events` below,
-- so its documented SQL runs unchanged; the rows are stored narrow in
-- event_rows, and what is the same for every event of a process (node, comm,
-- rank, local_rank, world_size, cgroup_id) once per process state in
-- event_ctx.  See docs/schema.md "events".
CREATE TABLE event_ctx (
	id         INTEGER PRIMARY KEY,
	node       TEXT NOT NULL DEFAULT '',
	pid        INTEGER NOT NULL,
	comm       TEXT NOT NULL DEFAULT '',
	rank       INTEGER,
	local_rank INTEGER,
	world_size INTEGER,
	cgroup_id  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_event_ctx ON event_ctx(node, pid);
-- (no NOT NULL here: checked for every inserted row, ~10 % of the import;
--  the importer never stores NULL, the view's INSERT trigger refuses it)
CREATE TABLE event_rows (
	seq        INTEGER,                 -- per-node sequence number (file order)
	ctx        INTEGER,                 -- event_ctx.id
	timestamp  INTEGER,                 -- unix ns, START of the call/interval
	pid        INTEGER,
	tid        INTEGER,
	source     INTEGER,
	op         INTEGER,
	duration   INTEGER,                 -- ns
	arg0       INTEGER DEFAULT 0,
	arg1       INTEGER DEFAULT 0,
	ret_code   INTEGER DEFAULT 0,
	stack_hash INTEGER DEFAULT 0,       -- stack_traces.hash, 0 = none
	arg2       INTEGER DEFAULT 0,
	arg3       INTEGER DEFAULT 0,
	cpu        INTEGER DEFAULT -1,
	flags      INTEGER DEFAULT 0,
	gpu_id     INTEGER DEFAULT 0        -- the original's column (legacy TCP rows: TCP state)
);
CREATE VIEW events AS SELECT
	e.seq AS seq, c.node AS node, c.node || ':' || e.seq AS id, e.timestamp AS timestamp,
	e.pid AS pid, e.tid AS tid, e.source AS source, e.op AS op, e.duration AS duration,
	e.gpu_id AS gpu_id, e.arg0 AS arg0, e.arg1 AS arg1, e.ret_code AS ret_code,
	e.stack_hash AS stack_hash, c.rank AS rank, c.local_rank AS local_rank,
	c.world_size AS world_size, c.comm AS comm, c.cgroup_id AS cgroup_id,
	e.arg2 AS arg2, e.arg3 AS arg3, e.cpu AS cpu, e.flags AS flags
	FROM event_rows e LEFT JOIN event_ctx c ON c.id = e.ctx;
-- rows written through the view (original .db imports, tests, users): the
-- original's defaults and NOT NULL columns
CREATE TRIGGER events_insert INSTEAD OF INSERT ON events BEGIN
	SELECT RAISE(ABORT, 'NOT NULL constraint failed: events') WHERE NEW.seq IS NULL OR
		NEW.timestamp IS NULL OR NEW.pid IS NULL OR NEW.tid IS NULL OR NEW.source IS NULL OR
		NEW.op IS NULL OR NEW.duration IS NULL;
	INSERT INTO event_ctx(node, pid, comm, rank, local_rank, world_size, cgroup_id)
		SELECT coalesce(NEW.node, ''), NEW.pid, coalesce(NEW.comm, ''), NEW.rank, NEW.local_rank,
		NEW.world_size, coalesce(NEW.cgroup_id, 0) WHERE NOT EXISTS (SELECT 1 FROM event_ctx c
		WHERE c.node = coalesce(NEW.node, '') AND c.pid = NEW.pid AND c.comm = coalesce(NEW.comm, '')
		AND c.rank IS NEW.rank AND c.local_rank IS NEW.local_rank AND c.world_size IS NEW.world_size
		AND c.cgroup_id = coalesce(NEW.cgroup_id, 0));
	INSERT INTO event_rows(seq, ctx, timestamp, pid, tid, source, op, duration, arg0, arg1,
		ret_code, stack_hash, arg2, arg3, cpu, flags, gpu_id)
		VALUES (NEW.seq, (SELECT max(c.id) FROM event_ctx c WHERE c.node = coalesce(NEW.node, '')
		AND c.pid = NEW.pid AND c.comm = coalesce(NEW.comm, '') AND c.rank IS NEW.rank AND
		c.local_rank IS NEW.local_rank AND c.world_size IS NEW.world_size AND
		c.cgroup_id = coalesce(NEW.cgroup_id, 0)), NEW.timestamp, NEW.pid, NEW.tid, NEW.source,
		NEW.op, NEW.duration, coalesce(NEW.arg0, 0), coalesce(NEW.arg1, 0),
		coalesce(NEW.ret_code, 0), coalesce(NEW.stack_hash, 0), coalesce(NEW.arg2, 0),
		coalesce(NEW.arg3, 0), coalesce(NEW.cpu, -1), coalesce(NEW.flags, 0), coalesce(NEW.gpu_id, 0));
END;
-- DELETE and UPDATE through the view find the row by node and seq (a full
-- scan of event_rows per row: for bulk changes use event_rows itself)
CREATE TRIGGER events_delete INSTEAD OF DELETE ON events BEGIN
	DELETE FROM event_rows WHERE seq = OLD.seq AND ctx IN (SELECT id FROM event_ctx WHERE node = OLD.node);
END;
CREATE TRIGGER events_update INSTEAD OF UPDATE ON events BEGIN
	SELECT RAISE(ABORT, 'NOT NULL constraint failed: events') WHERE NEW.seq IS NULL OR
		NEW.timestamp IS NULL OR NEW.pid IS NULL OR NEW.tid IS NULL OR NEW.source IS NULL OR
		NEW.op IS NULL OR NEW.duration IS NULL;
	INSERT INTO event_ctx(node, pid, comm, rank, local_rank, world_size, cgroup_id)
		SELECT coalesce(NEW.node, ''), NEW.pid, coalesce(NEW.comm, ''), NEW.rank, NEW.local_rank,
		NEW.world_size, coalesce(NEW.cgroup_id, 0) WHERE NOT EXISTS (SELECT 1 FROM event_ctx c
		WHERE c.node = coalesce(NEW.node, '') AND c.pid = NEW.pid AND c.comm = coalesce(NEW.comm, '')
		AND c.rank IS NEW.rank AND c.local_rank IS NEW.local_rank AND c.world_size IS NEW.world_size
		AND c.cgroup_id = coalesce(NEW.cgroup_id, 0));
	UPDATE event_rows SET seq = NEW.seq, ctx = (SELECT max(c.id) FROM event_ctx c WHERE
		c.node = coalesce(NEW.node, '') AND c.pid = NEW.pid AND c.comm = coalesce(NEW.comm, '') AND
		c.rank IS NEW.rank AND c.local_rank IS NEW.local_rank AND c.world_size IS NEW.world_size AND
		c.cgroup_id = coalesce(NEW.cgroup_id, 0)), timestamp = NEW.timestamp, pid = NEW.pid,
		tid = NEW.tid, source = NEW.source, op = NEW.op, duration = NEW.duration,
		arg0 = coalesce(NEW.arg0, 0), arg1 = coalesce(NEW.arg1, 0), ret_code = coalesce(NEW.ret_code, 0),
		stack_hash = coalesce(NEW.stack_hash, 0), arg2 = coalesce(NEW.arg2, 0), arg3 = coalesce(NEW.arg3, 0),
		cpu = coalesce(NEW.cpu, -1), flags = coalesce(NEW.flags, 0), gpu_id = coalesce(NEW.gpu_id, 0)
		WHERE seq = OLD.seq AND ctx IN (SELECT id FROM event_ctx WHERE node = OLD.node);
END;
-- (the original declared id TEXT PRIMARY KEY; the view computes it.  No
--  index over event_rows: the engine and the statistics read it in full
--  scans and aggregate in C; an index on (source, op, duration) cost more
--  than the whole import.  For selective ad-hoc queries, create one on
--  event_rows in a copy of the database.)

CREATE TABLE stack_traces (
	hash   INTEGER PRIMARY KEY,         -- FNV-64a (signed int64), see docs/schema.md
	ips    TEXT NOT NULL,               -- JSON array of hex strings
	frames TEXT NOT NULL DEFAULT ''     -- JSON [{"i":"0x..","s":"sym","f":"file"}...]
);

CREATE TABLE python_frames (            -- Python frames of a stack (recordings 1.2+)
	stack_hash INTEGER NOT NULL,        -- stack_traces.hash = events.stack_hash
	depth      INTEGER NOT NULL,        -- 0 = innermost: the line that made the call
	file       TEXT NOT NULL,           -- co_filename
	function   TEXT NOT NULL,           -- co_qualname (CPython 3.10: co_name)
	line       INTEGER NOT NULL,        -- 0 = unknown
	PRIMARY KEY (stack_hash, depth)
);

CREATE TABLE causal_chains (
	id              TEXT PRIMARY KEY,   -- "<node>:<kind>-<op>-<n>"
	detected_at     INTEGER NOT NULL,   -- unix ns: START of the incident window
	severity        TEXT NOT NULL,      -- HIGH, MEDIUM, LOW
	summary         TEXT NOT NULL,
	root_cause      TEXT NOT NULL,
	explanation     TEXT NOT NULL,
	recommendations TEXT NOT NULL DEFAULT '', -- JSON array of strings
	cuda_op         TEXT NOT NULL DEFAULT '',
	cuda_p99_us     INTEGER NOT NULL DEFAULT 0,
	cuda_p50_us     INTEGER NOT NULL DEFAULT 0,
	tail_ratio      REAL NOT NULL DEFAULT 0,
	timeline        TEXT NOT NULL DEFAULT '', -- JSON [{"layer","op","detail","dur_us"}]
	node            TEXT NOT NULL DEFAULT '',
	-- extensions
	kind            TEXT NOT NULL DEFAULT '', -- preemption, io, memory, cold_start, ...
	window_start    INTEGER NOT NULL DEFAULT 0,
	window_end      INTEGER NOT NULL DEFAULT 0,
	impact_ns       INTEGER NOT NULL DEFAULT 0, -- excess time over baseline
	impact_share    REAL NOT NULL DEFAULT 0,    -- impact / wall time span
	slow_calls      INTEGER NOT NULL DEFAULT 0,
	culprit_pid     INTEGER,
	culprit_comm    TEXT,
	pid             INTEGER,                    -- affected process
	evidence        TEXT NOT NULL DEFAULT ''    -- JSON: event ids / intervals used (for flows)
);

CREATE TABLE system_snapshots (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	timestamp  INTEGER NOT NULL,
	cpu_pct    REAL NOT NULL,
	mem_pct    REAL NOT NULL,
	mem_avail  INTEGER NOT NULL,        -- MB
	swap_mb    INTEGER NOT NULL,
	load_avg   REAL NOT NULL,
	node       TEXT NOT NULL DEFAULT '',
	iowait_pct REAL NOT NULL DEFAULT 0,
	pgmajfault INTEGER,                 -- cumulative since boot (NULL for legacy rows)
	ctxt       INTEGER,                 -- cumulative context switches
	UNIQUE (node, timestamp)
);

CREATE TABLE sessions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at INTEGER NOT NULL,
	stopped_at INTEGER NOT NULL DEFAULT 0,
	gpu_model  TEXT NOT NULL DEFAULT '', gpu_driver TEXT NOT NULL DEFAULT '',
	cpu_model  TEXT NOT NULL DEFAULT '', cpu_cores INTEGER NOT NULL DEFAULT 0,
	mem_total  INTEGER NOT NULL DEFAULT 0, kernel TEXT NOT NULL DEFAULT '',
	os_release TEXT NOT NULL DEFAULT '', cuda_ver TEXT NOT NULL DEFAULT '',
	python_ver TEXT NOT NULL DEFAULT '', ingero_ver TEXT NOT NULL DEFAULT '',
	pid_filter TEXT NOT NULL DEFAULT '', flags TEXT NOT NULL DEFAULT '',
	node       TEXT NOT NULL DEFAULT '', source_file TEXT NOT NULL DEFAULT '',
	rank       INTEGER, local_rank INTEGER, world_size INTEGER
);

CREATE TABLE process_names (
	pid     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	seen_at INTEGER NOT NULL DEFAULT 0,
	node    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (node, pid)
);

-- extensions -----------------------------------------------------------
CREATE TABLE nodes (
	name TEXT PRIMARY KEY, host TEXT NOT NULL DEFAULT '', boot_id TEXT NOT NULL DEFAULT '',
	kernel TEXT NOT NULL DEFAULT '', rank INTEGER, recorder TEXT NOT NULL DEFAULT '',
	first_ts INTEGER, last_ts INTEGER, events INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE clock_corrections (
	node TEXT NOT NULL, method TEXT NOT NULL, offset_ns INTEGER NOT NULL,
	drift_ppb REAL NOT NULL DEFAULT 0, ref_ts INTEGER NOT NULL DEFAULT 0,
	confidence_ns REAL NOT NULL DEFAULT 0, samples INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE processes (
	node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, ppid INTEGER, uid INTEGER,
	comm TEXT NOT NULL DEFAULT '', cmdline TEXT NOT NULL DEFAULT '',
	rank INTEGER, local_rank INTEGER, world_size INTEGER, cgroup_id INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER, PRIMARY KEY (node, pid)
);
CREATE TABLE threads (
	node TEXT NOT NULL DEFAULT '', tid INTEGER NOT NULL, pid INTEGER NOT NULL,
	name TEXT NOT NULL DEFAULT '', PRIMARY KEY (node, tid)
);
-- one row per off-CPU interval of a traced thread (from sched_switch)
CREATE TABLE offcpu (
	node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, tid INTEGER NOT NULL,
	start INTEGER NOT NULL, duration INTEGER NOT NULL,
	prev_state INTEGER NOT NULL,          -- 0 = preempted (runnable), else blocked
	preempted INTEGER NOT NULL,           -- 1 if involuntary
	culprit_pid INTEGER, culprit_tid INTEGER, culprit_comm TEXT, cpu INTEGER
);
CREATE TABLE nccl_collectives (
	node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, tid INTEGER NOT NULL,
	start INTEGER NOT NULL, duration INTEGER NOT NULL, op INTEGER NOT NULL,
	comm_hash INTEGER NOT NULL, seq INTEGER NOT NULL, rank INTEGER, nranks INTEGER,
	count INTEGER, datatype INTEGER, redop INTEGER, peer INTEGER, stream INTEGER
);
CREATE TABLE graph_events (
	node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, tid INTEGER NOT NULL,
	start INTEGER NOT NULL, duration INTEGER NOT NULL, op INTEGER NOT NULL,
	stream INTEGER, graph INTEGER, exec INTEGER, capture_mode INTEGER, ret_code INTEGER
);
CREATE TABLE gpu_snapshots (
	node TEXT NOT NULL DEFAULT '', timestamp INTEGER NOT NULL, gpu INTEGER NOT NULL,
	util_pct REAL, mem_used_mb INTEGER, mem_total_mb INTEGER, sm_clock_mhz INTEGER,
	mem_clock_mhz INTEGER, throttle_reasons INTEGER, temp_c INTEGER, power_w REAL
);
CREATE TABLE lost_events (
	node TEXT NOT NULL DEFAULT '', timestamp INTEGER NOT NULL, source INTEGER NOT NULL,
	count INTEGER NOT NULL, reason INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sampling_rates (
	node TEXT NOT NULL DEFAULT '', timestamp INTEGER NOT NULL, pid INTEGER,
	source INTEGER, op INTEGER, rate INTEGER NOT NULL
);
CREATE TABLE notes (
	node TEXT NOT NULL DEFAULT '', timestamp INTEGER NOT NULL, level INTEGER NOT NULL, text TEXT NOT NULL
);
-- the original tool's stored chains (legacy .db inputs), same columns as its
-- causal_chains, so they can be compared with ours in causal_chains
CREATE TABLE legacy_chains (
	id              TEXT NOT NULL,
	detected_at     INTEGER NOT NULL,
	severity        TEXT NOT NULL,
	summary         TEXT NOT NULL,
	root_cause      TEXT NOT NULL,
	explanation     TEXT NOT NULL,
	recommendations TEXT NOT NULL DEFAULT '',
	cuda_op         TEXT NOT NULL DEFAULT '',
	cuda_p99_us     INTEGER NOT NULL DEFAULT 0,
	cuda_p50_us     INTEGER NOT NULL DEFAULT 0,
	tail_ratio      REAL NOT NULL DEFAULT 0,
	timeline        TEXT NOT NULL DEFAULT '',
	node            TEXT NOT NULL DEFAULT '',
	source_file     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (node, id)
);
-- one row per input given to ingero-analyze
CREATE TABLE inputs (
	id INTEGER PRIMARY KEY, path TEXT NOT NULL, kind TEXT NOT NULL, -- recording, legacy-db
	events INTEGER NOT NULL DEFAULT 0, warnings INTEGER NOT NULL DEFAULT 0,
	last_warning TEXT NOT NULL DEFAULT '', schema_version TEXT NOT NULL DEFAULT ''
);

-- engine v2 (docs/engine.md "Steps"): one row per step of a (node, pid, stream),
-- the breakdown sums to duration; written by the engine, replaced on each run
CREATE TABLE steps (
	id           INTEGER PRIMARY KEY,   -- 1.. in (node, pid, stream, start) order
	node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, tid INTEGER NOT NULL,
	stream       INTEGER NOT NULL,      -- CUDA stream handle (0 = default / unknown)
	step         INTEGER NOT NULL,      -- index within (node, pid, stream), from 0
	start        INTEGER NOT NULL, duration INTEGER NOT NULL,
	boundary_op  TEXT NOT NULL,         -- op name that ends a step, e.g. cudaStreamSynchronize
	phase        TEXT NOT NULL,         -- 'step' (training/unclassified), 'prefill', 'decode', 'mixed', 'unknown'
	launches     INTEGER NOT NULL DEFAULT 0, memcpy_bytes INTEGER NOT NULL DEFAULT 0,
	-- breakdown, sums to duration (ns):
	launch_ns INTEGER NOT NULL DEFAULT 0, memcpy_ns INTEGER NOT NULL DEFAULT 0, sync_ns INTEGER NOT NULL DEFAULT 0,
	alloc_ns INTEGER NOT NULL DEFAULT 0, other_cuda_ns INTEGER NOT NULL DEFAULT 0, nccl_ns INTEGER NOT NULL DEFAULT 0,
	host_ns INTEGER NOT NULL DEFAULT 0,        -- on-CPU between calls
	preempted_ns INTEGER NOT NULL DEFAULT 0, blocked_ns INTEGER NOT NULL DEFAULT 0,
	io_ns INTEGER NOT NULL DEFAULT 0, mem_ns INTEGER NOT NULL DEFAULT 0,
	gpu_idle_ns  INTEGER NOT NULL DEFAULT 0,   -- no CUDA work in flight (overlaps the above)
	warmup       INTEGER NOT NULL DEFAULT 0,   -- 1 = excluded from baselines
	slow         INTEGER NOT NULL DEFAULT 0,   -- 1 = slow vs the stream's baseline
	outlier      TEXT NOT NULL DEFAULT '',     -- '', '1.5x', '2x', '3x' (inference buckets vs phase p95)
	preempt_pid INTEGER, preempt_comm TEXT,    -- top preemptor in the step
	waker_pid INTEGER, waker_comm TEXT         -- top waker of the blocked time
);
CREATE TABLE step_baselines (
	node TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL, stream INTEGER NOT NULL, phase TEXT NOT NULL,
	steps INTEGER NOT NULL, warmup INTEGER NOT NULL, p50 INTEGER NOT NULL, p95 INTEGER NOT NULL, mean INTEGER NOT NULL,
	PRIMARY KEY (node, pid, stream, phase)
);
CREATE TABLE step_findings (
	id TEXT PRIMARY KEY,                 -- "<node>:<kind>-<n>"
	kind TEXT NOT NULL,                  -- 'slow_step', 'gpu_idle', 'stall', 'throughput_drop', 'outlier'
	severity TEXT NOT NULL,              -- HIGH, MEDIUM, LOW (same scale as causal_chains: share of wall time lost)
	node TEXT NOT NULL DEFAULT '', pid INTEGER, stream INTEGER, step_id INTEGER, -- steps.id when about one step
	start INTEGER NOT NULL, duration INTEGER NOT NULL,
	lost_ns INTEGER NOT NULL DEFAULT 0, impact_share REAL NOT NULL DEFAULT 0,
	summary TEXT NOT NULL, root_cause TEXT NOT NULL DEFAULT '',
	culprit_pid INTEGER, culprit_comm TEXT,
	recommendations TEXT NOT NULL DEFAULT ''   -- JSON array of strings
);

-- @indexes: everything below runs after the bulk load --------------------
CREATE INDEX idx_offcpu_tid ON offcpu(node, tid, start);
CREATE INDEX idx_offcpu_pid ON offcpu(node, pid, start);
CREATE INDEX idx_nccl_comm ON nccl_collectives(comm_hash, seq);
CREATE INDEX idx_graph_pid ON graph_events(node, pid, start);
CREATE INDEX idx_snapshots_time ON system_snapshots(node, timestamp);
CREATE INDEX idx_gpu_time ON gpu_snapshots(node, timestamp);
