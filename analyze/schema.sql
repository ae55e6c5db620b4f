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

CREATE TABLE events (
	seq        INTEGER NOT NULL,        -- per-node sequence number (file order)
	node       TEXT NOT NULL DEFAULT '',
	id         TEXT GENERATED ALWAYS AS (node || ':' || seq) VIRTUAL, -- "<node>:<seq>"
	timestamp  INTEGER NOT NULL,        -- unix ns, START of the call/interval
	pid        INTEGER NOT NULL,
	tid        INTEGER NOT NULL,
	source     INTEGER NOT NULL,
	op         INTEGER NOT NULL,
	duration   INTEGER NOT NULL,        -- ns
	gpu_id     INTEGER NOT NULL DEFAULT 0,
	arg0       INTEGER NOT NULL DEFAULT 0,
	arg1       INTEGER NOT NULL DEFAULT 0,
	ret_code   INTEGER NOT NULL DEFAULT 0,
	stack_hash INTEGER NOT NULL DEFAULT 0, -- stack_traces.hash, 0 = none
	rank       INTEGER,
	local_rank INTEGER,
	world_size INTEGER,
	comm       TEXT NOT NULL DEFAULT '',
	cgroup_id  INTEGER NOT NULL DEFAULT 0,
	-- extensions
	arg2       INTEGER NOT NULL DEFAULT 0,
	arg3       INTEGER NOT NULL DEFAULT 0,
	cpu        INTEGER NOT NULL DEFAULT -1,
	flags      INTEGER NOT NULL DEFAULT 0
);
-- (the original declared id TEXT PRIMARY KEY; a virtual generated column keeps
--  `SELECT id ...` working without a text index.  The bulk load writes into
--  this table declared without the id column and without the NOT NULL
--  constraints (both are evaluated per inserted row; neither changes what is
--  stored), and the declaration above is put in place after the load, see
--  docs/schema.md.  No index over events: the engine and the statistics read
--  it in full scans and aggregate in C; an index on (source, op, duration)
--  cost more than the whole import.  For selective ad-hoc queries, create
--  one on a copy of the database.)

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
