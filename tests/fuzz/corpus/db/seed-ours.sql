CREATE TABLE schema_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO schema_info ("key","value") VALUES ('schema_version','ingero-c-1');
INSERT INTO schema_info ("key","value") VALUES ('ingero_c_version','0.1.0');
INSERT INTO schema_info ("key","value") VALUES ('created_from','small.igz');
INSERT INTO schema_info ("key","value") VALUES ('timestamp_unit','nanoseconds (Unix epoch), START of the call/interval');
INSERT INTO schema_info ("key","value") VALUES ('duration_unit','nanoseconds');
INSERT INTO schema_info ("key","value") VALUES ('version','ingero-c-1');
CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL);
INSERT INTO sources ("id","name","description") VALUES (1,'cuda','CUDA Runtime API (libcudart uprobes)');
INSERT INTO sources ("id","name","description") VALUES (2,'reserved','reserved (unused by the original Ingero)');
INSERT INTO sources ("id","name","description") VALUES (3,'host','Host kernel events (scheduler, memory, process lifecycle)');
INSERT INTO sources ("id","name","description") VALUES (4,'driver','CUDA Driver API (libcuda uprobes)');
INSERT INTO sources ("id","name","description") VALUES (5,'io','Block I/O requests (issue to completion)');
INSERT INTO sources ("id","name","description") VALUES (6,'tcp','TCP retransmissions');
CREATE TABLE ops (source_id INTEGER NOT NULL, op_id INTEGER NOT NULL, name TEXT NOT NULL,
	description TEXT NOT NULL, PRIMARY KEY (source_id, op_id));
INSERT INTO ops ("source_id","op_id","name","description") VALUES (1,1,'cudaMalloc','Allocate device memory (arg0 size, arg1 device pointer)');
INSERT INTO ops ("source_id","op_id","name","description") VALUES (1,2,'cudaFree','Free device memory (arg0 pointer)');
INSERT INTO ops ("source_id","op_id","name","description") VALUES (1,3,'cudaLaunchKernel','Launch a kernel (arg0 function, arg1 stream)');
INSERT INTO ops ("source_id","op_id","name","description") VALUES (1,4,'cudaMemcpy','Synchronous memory copy (arg0 bytes, arg1 kind 0 H2H 1 H2D 2 D2H 3 D2D 4 default)');
INSERT INTO ops ("source_id","op_id","name","description") VALUES (1,5,'cudaStreamSync','cudaStreamSynchronize: wait for a stream (arg0 stream)');
INSERT INTO ops ("source_id","op_id","name","description") VALUES (1,6,'cudaDeviceSync','cudaDeviceSynchronize: wait for the whole device');
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
INSERT INTO events ("seq","node","timestamp","pid","tid","source","op","duration","gpu_id","arg0","arg1","ret_code","stack_hash","rank","local_rank","world_size","comm","cgroup_id","arg2","arg3","cpu","flags") VALUES (1,'test-node',1775000000000001600,100,100,4,1,2600,0,139637976731648,7,0,0,2,0,4,'trainer',0,0,0,0,0);
INSERT INTO events ("seq","node","timestamp","pid","tid","source","op","duration","gpu_id","arg0","arg1","ret_code","stack_hash","rank","local_rank","world_size","comm","cgroup_id","arg2","arg3","cpu","flags") VALUES (2,'test-node',1775000000000001000,100,100,1,3,3800,0,139637976731648,7,0,0,2,0,4,'trainer',0,0,0,0,0);
INSERT INTO events ("seq","node","timestamp","pid","tid","source","op","duration","gpu_id","arg0","arg1","ret_code","stack_hash","rank","local_rank","world_size","comm","cgroup_id","arg2","arg3","cpu","flags") VALUES (3,'test-node',1775000000000001900,100,101,4,1,2637,0,139637976731712,7,0,0,2,0,4,'trainer',0,0,0,0,0);
INSERT INTO events ("seq","node","timestamp","pid","tid","source","op","duration","gpu_id","arg0","arg1","ret_code","stack_hash","rank","local_rank","world_size","comm","cgroup_id","arg2","arg3","cpu","flags") VALUES (4,'test-node',1775000000000001300,100,101,1,3,3837,0,139637976731712,7,0,0,2,0,4,'trainer',0,0,0,0,0);
INSERT INTO events ("seq","node","timestamp","pid","tid","source","op","duration","gpu_id","arg0","arg1","ret_code","stack_hash","rank","local_rank","world_size","comm","cgroup_id","arg2","arg3","cpu","flags") VALUES (5,'test-node',1775000000000002300,100,102,4,1,2674,0,139637976731776,7,0,0,2,0,4,'trainer',0,0,0,0,0);
INSERT INTO events ("seq","node","timestamp","pid","tid","source","op","duration","gpu_id","arg0","arg1","ret_code","stack_hash","rank","local_rank","world_size","comm","cgroup_id","arg2","arg3","cpu","flags") VALUES (6,'test-node',1775000000000001700,100,102,1,3,3874,0,139637976731776,7,0,0,2,0,4,'trainer',0,0,0,0,0);
CREATE TABLE stack_traces (
	hash   INTEGER PRIMARY KEY,         -- FNV-64a (signed int64), see docs/schema.md
	ips    TEXT NOT NULL,               -- JSON array of hex strings
	frames TEXT NOT NULL DEFAULT ''     -- JSON [{"i":"0x..","s":"sym","f":"file"}...]
);
INSERT INTO stack_traces ("hash","ips","frames") VALUES (-8755369241296491543,'["0x400210","0x400120"]','[{"s":"at::launch+0x10","f":"python3"},{"s":"train_step+0x20","f":"python3"}]');
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
INSERT INTO sessions ("id","started_at","stopped_at","gpu_model","gpu_driver","cpu_model","cpu_cores","mem_total","kernel","os_release","cuda_ver","python_ver","ingero_ver","pid_filter","flags","node","source_file","rank","local_rank","world_size") VALUES (1,1775000000000001000,1775000000000016333,'','','',0,0,'6.1.0','','','','export-mkrec','','export-mkrec','test-node','small.igz',2,NULL,NULL);
CREATE TABLE process_names (
	pid     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	seen_at INTEGER NOT NULL DEFAULT 0,
	node    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (node, pid)
);
INSERT INTO process_names ("pid","name","seen_at","node") VALUES (100,'trainer',1775000000000000000,'test-node');
INSERT INTO process_names ("pid","name","seen_at","node") VALUES (200,'stress-ng',1775000000000000000,'test-node');
CREATE TABLE nodes (
	name TEXT PRIMARY KEY, host TEXT NOT NULL DEFAULT '', boot_id TEXT NOT NULL DEFAULT '',
	kernel TEXT NOT NULL DEFAULT '', rank INTEGER, recorder TEXT NOT NULL DEFAULT '',
	first_ts INTEGER, last_ts INTEGER, events INTEGER NOT NULL DEFAULT 0
);
INSERT INTO nodes ("name","host","boot_id","kernel","rank","recorder","first_ts","last_ts","events") VALUES ('test-node','test-host','00000000-0000-0000-0000-000000000001','6.1.0',2,'export-mkrec',1775000000000001000,1775000000000016333,20);
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
INSERT INTO processes ("node","pid","ppid","uid","comm","cmdline","rank","local_rank","world_size","cgroup_id","first_seen") VALUES ('test-node',100,1,0,'trainer','python train.py',2,0,4,0,1775000000000000000);
INSERT INTO processes ("node","pid","ppid","uid","comm","cmdline","rank","local_rank","world_size","cgroup_id","first_seen") VALUES ('test-node',200,1,0,'stress-ng','stress-ng',NULL,NULL,NULL,0,1775000000000000000);
CREATE TABLE threads (
	node TEXT NOT NULL DEFAULT '', tid INTEGER NOT NULL, pid INTEGER NOT NULL,
	name TEXT NOT NULL DEFAULT '', PRIMARY KEY (node, tid)
);
INSERT INTO threads ("node","tid","pid","name") VALUES ('test-node',100,100,'python');
INSERT INTO threads ("node","tid","pid","name") VALUES ('test-node',101,100,'dataloader');
INSERT INTO threads ("node","tid","pid","name") VALUES ('test-node',102,100,'pt_worker');
INSERT INTO threads ("node","tid","pid","name") VALUES ('test-node',103,100,'pt_worker2');
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
CREATE TABLE inputs (
	id INTEGER PRIMARY KEY, path TEXT NOT NULL, kind TEXT NOT NULL, -- recording, legacy-db
	events INTEGER NOT NULL DEFAULT 0, warnings INTEGER NOT NULL DEFAULT 0,
	last_warning TEXT NOT NULL DEFAULT '', schema_version TEXT NOT NULL DEFAULT ''
);
INSERT INTO inputs ("id","path","kind","events","warnings","last_warning","schema_version") VALUES (1,'small.igz','recording',20,0,'','');
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