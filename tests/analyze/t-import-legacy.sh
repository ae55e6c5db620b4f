#!/usr/bin/env bash
# ingero-analyze: import of the original Go Ingero's databases (three node
# files, their merged cluster file, a <=0.8 PyTorch recording).
. "$TESTS/lib.sh"
A="$BIN/ingero-analyze"
D="$SHARED/testdata/ingero-dbs"
if [ ! -x "$A" ]; then fail "ingero-analyze not built"; exit 1; fi
if [ ! -d "$D" ]; then skip "legacy: no $D"; exit 0; fi
if ! command -v sqlite3 >/dev/null; then skip "legacy: needs the sqlite3 shell"; exit 0; fi
src() { sqlite3 "file:$1?immutable=1" "$2"; }
ours() { sqlite3 "$1" "$2"; }

# each file alone: row counts equal the source's, node attribution preserved
for f in pytorch-173382-empty-cache sample-gpu-node-01 sample-gpu-node-02 sample-gpu-node-03 sample-cluster; do
	db="$T_OUT/$f.db"
	if ! "$A" -q "$D/$f.db" -o "$db" --no-report 2>"$T_OUT/err"; then
		fail "import $f: $(head -1 "$T_OUT/err")"; continue
	fi
	for t in events stack_traces system_snapshots sessions process_names; do
		eq "$f: $t rows" "$(ours "$db" "select count(*) from $t")" "$(src "$D/$f.db" "select count(*) from $t")"
	done
	eq "$f: causal_chains -> legacy_chains" "$(ours "$db" "select count(*) from legacy_chains")" \
		"$(src "$D/$f.db" "select count(*) from causal_chains")"
	if [ "$f" = pytorch-173382-empty-cache ]; then
		eq "$f: node = file base name" "$(ours "$db" "select group_concat(distinct node) from events")" "$f"
		eq "$f: integer ids -> node:id" "$(ours "$db" "select id from events where seq = 7")" "$f:7"
	else
		eq "$f: per-node counts" "$(ours "$db" "select node, count(*) from events group by node order by node")" \
			"$(src "$D/$f.db" "select node, count(*) from events group by node order by node")"
		eq "$f: ids preserved" "$(ours "$db" "select group_concat(id) from (select id from events order by id)")" \
			"$(src "$D/$f.db" "select group_concat(id) from (select id from events order by id)")"
	fi
	# the original's documented query runs unchanged
	ok "$f: documented query" ours "$db" "SELECT node, source, count(*), avg(duration)/1000 FROM events GROUP BY node, source"
	# START convention: sched_switch / io / net timestamps moved back by their duration
	eq "$f: start = ts - duration (host/io/net)" \
		"$(ours "$db" "select count(*), sum(timestamp % 1000003) from events where (source = 3 and op = 1) or source in (5, 7)")" \
		"$(src "$D/$f.db" "select count(*), sum((timestamp - duration) % 1000003) from events where (source = 3 and op = 1) or source in (5, 7)")"
	eq "$f: cuda timestamps unchanged" \
		"$(ours "$db" "select sum(timestamp % 1000003) from events where source in (1, 4)")" \
		"$(src "$D/$f.db" "select sum(timestamp % 1000003) from events where source in (1, 4)")"
	eq "$f: sched_switch -> offcpu" "$(ours "$db" "select count(*) from offcpu")" \
		"$(src "$D/$f.db" "select count(*) from events where source = 3 and op = 1")"
done

py="$T_OUT/pytorch-173382-empty-cache.db"
if [ -f "$py" ]; then
	eq "pytorch: events join their stacks" "$(ours "$py" "select count(*) > 1000 from events e join stack_traces s on s.hash = e.stack_hash")" 1
	contains "pytorch: python frames kept" "$(ours "$py" "select frames from stack_traces order by hash limit 1")" '"pfn"'
	# the original's Python frames as python_frames rows; --per-line from them,
	# checked against the source file read independently (json in Python)
	want=$(python3 - "$D/pytorch-173382-empty-cache.db" <<'PYEOF'
import json, sqlite3, sys, collections
c = sqlite3.connect("file:%s?immutable=1" % sys.argv[1], uri=True)
st = {}
for h, fr in c.execute("select hash, frames from stack_traces"):
    try:
        py = [f for f in json.loads(fr) if isinstance(f, dict) and isinstance(f.get("pfn"), str)]
    except Exception:
        py = []
    if py:
        st[h] = py
n = sum(len(v) for v in st.values())
cnt = collections.Counter()
for h, src, op in c.execute("select stack_hash, source, op from events where source in (1, 4, 8)"):
    if h in st:
        f = st[h][0]
        cnt[(f.get("pf", ""), f["pfn"], f.get("pl", 0), src, op)] += 1
(f, fn, l, src, op), k = max(cnt.items(), key=lambda x: (x[1], x[0]))
print(n, sum(cnt.values()), "%s:%d in %s" % (f, l, fn), k)
PYEOF
)
	got=$(ours "$py" "select count(*) from python_frames")
	"$A" -q "$py" --per-line >"$T_OUT/pl.txt" 2>&1
	top=$(sed -n '/^PER PYTHON LINE/,$p' "$T_OUT/pl.txt" | tail -n +3 | sort -k1,1nr | head -1 | awk '{print $7, $8, $9, $1}')
	withpy=$(sed -n 's/^PER PYTHON LINE: \([0-9]*\) of .*/\1/p' "$T_OUT/pl.txt")
	eq "pytorch: python_frames rows, calls with frames, the busiest line (--per-line)" "$got $withpy $top" "$want"
	eq "pytorch: comm from process_names" "$(ours "$py" "select count(*) from events where comm = 'python3'")" \
		"$(src "$D/pytorch-173382-empty-cache.db" "select count(*) from events e join process_names p on p.pid = e.pid where p.name = 'python3'")"
	eq "pytorch: stored chains kept with ops" "$(ours "$py" "select group_concat(cuda_op) from (select cuda_op from legacy_chains order by cuda_op)")" \
		"$(src "$D/pytorch-173382-empty-cache.db" "select group_concat(cuda_op) from (select cuda_op from causal_chains order by cuda_op)")"
fi
cl="$T_OUT/sample-cluster.db"
if [ -f "$cl" ]; then
	eq "cluster: snapshots attributed to nodes by session" \
		"$(ours "$cl" "select node, count(*) from system_snapshots group by node order by node" | tr '\n' ' ')" \
		"gpu-node-01|1 gpu-node-02|2 gpu-node-03|2 "
	eq "cluster: chains keep their node" "$(ours "$cl" "select count(*) from legacy_chains where id like node || ':%'")" 6
fi

# node-01..03 together = the original's merged cluster file, per node and source
three="$T_OUT/three.db"
if "$A" -q "$D"/sample-gpu-node-0{1,2,3}.db -o "$three" --no-report; then
	eq "three nodes = cluster (per node, source)" \
		"$(ours "$three" "select node, source, count(*), sum(duration) from events group by 1, 2 order by 1, 2")" \
		"$(src "$D/sample-cluster.db" "select node, source, count(*), sum(duration) from events group by 1, 2 order by 1, 2")"
	eq "three nodes: nodes table" "$(ours "$three" "select group_concat(name || '=' || events) from (select * from nodes order by name)")" \
		"gpu-node-01=200,gpu-node-02=200,gpu-node-03=200"
else
	fail "import three node files"
fi

# inputs are never modified: copy to a writable dir, analyze, compare
cp "$D/sample-gpu-node-02.db" "$T_OUT/ro.db"
before=$(sha256sum <"$T_OUT/ro.db")
"$A" "$T_OUT/ro.db" >/dev/null 2>&1
"$A" "$T_OUT/ro.db" --json --per-process >/dev/null 2>&1
eq "input db byte-identical after analysis" "$(sha256sum <"$T_OUT/ro.db")" "$before"
eq "no -wal/-shm/-journal next to the input" "$(ls "$T_OUT" | grep -c -E 'ro\.db-(wal|shm|journal)')" 0

# report runs on legacy input, deterministic, json parses
r1=$("$A" "$D/pytorch-173382-empty-cache.db" 2>/dev/null); r2=$("$A" "$D/pytorch-173382-empty-cache.db" 2>/dev/null)
eq "pytorch report deterministic" "$(printf '%s' "$r1" | sha256sum)" "$(printf '%s' "$r2" | sha256sum)"
contains "pytorch report has the stats table" "$r1" "cudaMemcpyAsync"
contains "stats header states the percentile method" "$r1" "ceil(p*n)-1"
j1=$("$A" --json "$D"/sample-gpu-node-0{1,2,3}.db 2>/dev/null); j2=$("$A" --json "$D"/sample-gpu-node-0{1,2,3}.db 2>/dev/null)
eq "json deterministic" "$(printf '%s' "$j1" | sha256sum)" "$(printf '%s' "$j2" | sha256sum)"
if command -v python3 >/dev/null; then
	eq "json document shape" "$(printf '%s' "$j1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(d), len(d["recording"]["nodes"]), d["recording"]["events"], type(d["chains"]).__name__)')" \
		"['chains', 'idle', 'outlier_findings', 'outliers', 'recording', 'stalls', 'stats', 'step_findings', 'steps_summary'] 3 600 list"
fi
s=$("$A" --summary "$D/sample-cluster.db" 2>&1)
contains "summary lists nodes" "$s" "gpu-node-03"
contains "summary counts block_write" "$s" "block_write"
pp=$("$A" --per-process --node gpu-node-02 "$D/sample-cluster.db" 2>&1)
contains "per-process shows pid with comm" "$pp" "pid 4599 (python3)"
n=$("$A" --json --op cuMemAlloc "$D/sample-cluster.db" 2>/dev/null | python3 -c 'import json,sys; print([s["op"] for s in json.load(sys.stdin)["stats"]])' 2>/dev/null)
eq "--op filters the stats" "$n" "['cuMemAlloc']"

# absolute UTC times
eq "--since 'YYYY-MM-DD HH:MM:SS' (UTC)" "$("$A" --json --since '2026-04-03 12:27:00' "$D/sample-cluster.db" 2>/dev/null | python3 -c 'import json,sys; print(sum(s["count"] for s in json.load(sys.stdin)["stats"]))' 2>/dev/null)" 400

# a 0.10-generation file (comm column): made from a node file, comm taken from the column
cp "$D/sample-gpu-node-03.db" "$T_OUT/g10.db"
sqlite3 "$T_OUT/g10.db" "ALTER TABLE events ADD COLUMN comm TEXT NOT NULL DEFAULT ''" \
	"UPDATE events SET comm = 'c' || (pid % 7)" "UPDATE schema_info SET value = '0.10' WHERE key = 'version'"
if "$A" -q "$T_OUT/g10.db" -o "$T_OUT/g10-out.db" --no-report; then
	eq "0.10: comm from the comm column" "$(ours "$T_OUT/g10-out.db" "select count(*) from events where comm = 'c' || (pid % 7)")" 200
	eq "0.10: schema version recorded" "$(ours "$T_OUT/g10-out.db" "select schema_version from inputs")" "0.10"
else
	fail "0.10: import"
fi
# a SQLite file that is not an Ingero database
sqlite3 "$T_OUT/other.db" "create table t(x)"
"$A" "$T_OUT/other.db" >/dev/null 2>"$T_OUT/err"; rc=$?
eq "other sqlite db: exit 1" "$rc" 1
contains "other sqlite db: says why" "$(cat "$T_OUT/err")" "other.db: not an Ingero database"

# a minimal <=0.8 file: only an events table (no stacks, sessions, names, chains)
sqlite3 "$T_OUT/min.db" "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp INTEGER NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL, source INTEGER NOT NULL, op INTEGER NOT NULL, duration INTEGER NOT NULL, gpu_id INTEGER NOT NULL DEFAULT 0, arg0 INTEGER NOT NULL DEFAULT 0, arg1 INTEGER NOT NULL DEFAULT 0, ret_code INTEGER NOT NULL DEFAULT 0, stack_hash INTEGER NOT NULL DEFAULT 0)" \
	"INSERT INTO events(timestamp, pid, tid, source, op, duration) VALUES (1000, 1, 1, 1, 3, 10), (2000, 1, 1, 3, 1, 500), (3000, 2, 2, 5, 2, 700)"
if "$A" -q "$T_OUT/min.db" -o "$T_OUT/min-out.db" --no-report; then
	eq "minimal legacy file: events, converted starts" "$(ours "$T_OUT/min-out.db" "select group_concat(id || '@' || timestamp) from (select * from events order by seq)")" \
		"min:1@1000,min:2@1500,min:3@2300"
else
	fail "minimal legacy file: import"
fi
