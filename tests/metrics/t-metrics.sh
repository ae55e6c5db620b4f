#!/usr/bin/env bash
# ingero-metrics: OpenMetrics through the real consumers (promtool backfill
# into a TSDB, a Prometheus server on it queried over its HTTP API, values
# equal to ingero-sql's over the same DB), the Prometheus text format
# through `promtool check metrics`, and the CLI contract.
. "$TESTS/lib.sh"
M=$BIN/ingero-metrics
cd "$T_OUT" || exit 1
[ -x "$M" ] || { fail "metrics: ingero-metrics not built"; exit 0; }

# inputs: one node with preemption (off-CPU, snapshots), and a merged 2-node job (NCCL)
"$BIN/ingero-record" demo incident -o inc -q --duration 12 || { fail "metrics: demo recording"; exit 0; }
"$BIN/ingero-analyze" -q inc -o inc.db >/dev/null || { fail "metrics: analyze"; exit 0; }
"$BIN/ingero-record" demo multi-node --nodes 2 --events 20000 -o multi -q &&
	"$BIN/ingero-merge" -q multi/node-* -o merged &&
	"$BIN/ingero-analyze" -q merged -o multi.db >/dev/null || { fail "metrics: multi-node demo"; exit 0; }

# engine-v2 step tables: a deterministic fixture on a third node (tests/metrics/stepsfix.py)
"$BIN/ingero-record" demo control --node steps-node --duration 8 -o ctl -q &&
	"$BIN/ingero-analyze" -q ctl -o ctl.db >/dev/null &&
	/usr/bin/python3 "$TESTS/metrics/stepsfix.py" ctl.db steps.db || { fail "metrics: steps fixture"; exit 0; }

# --- CLI
ok "metrics: recording input (analyzed on the fly)" "$M" inc -o rec.om
"$M" inc.db -o db.om
ok "metrics: same series from the recording and from its DB" cmp rec.om db.om
eq "metrics: OpenMetrics ends with # EOF" "$(tail -1 db.om)" "# EOF"
# events not stored in time order: the same series (read again, sorted)
cp inc.db shuffled.db && /usr/bin/python3 -c "
import sqlite3; d = sqlite3.connect('shuffled.db'); cols = ','.join(r[1] for r in d.execute('PRAGMA table_info(events)'))
d.execute('CREATE TEMP TABLE e2 AS SELECT %s FROM events ORDER BY timestamp DESC' % cols)
view = d.execute(\"SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'events'\").fetchone()[0]
d.execute('DELETE FROM event_rows' if view else 'DELETE FROM events')  # (a view: its rows are in event_rows)
d.execute('INSERT INTO events (%s) SELECT %s FROM e2' % (cols, cols)); d.commit()"
out=$("$M" -v shuffled.db -o shuffled.om 2>&1)
contains "metrics: events out of time order are read sorted" "$out" "reading them sorted"
ok "metrics: ... and give the same series" cmp shuffled.om db.om
fails "metrics: refuses to replace without --force" "$M" inc.db -o db.om
ok "metrics: --force replaces" "$M" inc.db -o db.om --force
out=$("$M" inc.db --format opnemetrics 2>&1); rc=$?
eq "metrics: unknown format is a usage error" "$rc" 2
contains "metrics: unknown format suggests" "$out" "did you mean 'openmetrics'"
fails "metrics: bad --step" "$M" inc.db --step 1.5ms
fails "metrics: missing input" "$M" nonexistent.db
printf 'not a recording' >junk
fails "metrics: junk input" "$M" junk
ok "metrics: --step 100ms" "$M" inc.db --step 100ms -o s100.om
n100=$(grep -c '^gpu_cuda_operation_count{' s100.om); n1=$(grep -c '^gpu_cuda_operation_count{' db.om)
[ "$n100" -gt $((n1 * 8)) ] && pass "metrics: --step 100ms: ~10x the points ($n1 -> $n100)" || fail "metrics: --step 100ms: $n1 -> $n100 points"
cp inc.db far.db && /usr/bin/python3 -c "import sqlite3; d=sqlite3.connect('far.db'); d.execute('UPDATE system_snapshots SET timestamp = 1000 WHERE rowid = (SELECT min(rowid) FROM system_snapshots)'); d.commit()"
out=$("$M" far.db -o far.om 2>&1); rc=$?
eq "metrics: a span of 56 years at 1s is refused" "$rc" 1
contains "metrics: ... saying why" "$out" "use a larger --step"
# --node, --since, --until (absolute unix ns here)
out=$("$M" multi.db --node node-9 2>&1); rc=$?
eq "metrics: unknown --node exits 1" "$rc" 1
contains "metrics: ... listing the known nodes" "$out" "known nodes: node-0, node-1"
read -r a b < <("$BIN/ingero-sql" --csv multi.db "SELECT min(timestamp) + 2000000000, min(timestamp) + 5000000000 FROM events" | tail -1 | tr -d '\r' | tr ',' ' ')
"$M" multi.db --node node-1 --since "$a" --until "$b" --format prometheus -o f.prom
got=$(awk '/^gpu_cuda_operation_count[{ ]/ { s += $NF } END { print s + 0 }' f.prom)
want=$("$BIN/ingero-sql" --csv multi.db "SELECT count(*) FROM events WHERE node = 'node-1' AND timestamp BETWEEN $a AND $b" | tail -1 | tr -d '\r')
eq "metrics: --node --since --until: counts = SQL over [since, until] of that node" "$got" "$want"
eq "metrics: --node: only that node's series" "$(grep -c 'node="node-0"' f.prom)" 0
fails "metrics: --since after the end" "$M" multi.db --since 1h
"$M" inc.db --step 2s -o s2.om
n1=$(grep -c '^gpu_cuda_operation_count{' db.om); n2=$(grep -c '^gpu_cuda_operation_count{' s2.om)
[ "$n2" -lt "$n1" ] && [ "$n2" -gt 0 ] && pass "metrics: --step 2s halves the points ($n1 -> $n2)" ||
	fail "metrics: --step 2s: $n1 -> $n2 points"

# the original Go Ingero's database: imported, then exported; every event counted once
ODB=$SHARED/testdata/ingero-dbs/sample-cluster.db
if [ -f "$ODB" ]; then
	"$M" "$ODB" --format prometheus -o orig.prom
	got=$(awk '/^gpu_cuda_operation_count[{ ]/ { s += $NF } END { print s + 0 }' orig.prom)
	want=$("$BIN/ingero-sql" --csv "$ODB" "SELECT count(*) FROM events" | tail -1 | tr -d '\r')
	eq "metrics: original .db: gpu_cuda_operation_count sums to its events" "$got" "$want"
else
	skip "metrics: $ODB missing"
fi

# --- OTLP through Google's protobuf runtime (protos compiled from the reference)
R=$SHARED/reference/otlp-proto
if ! command -v protoc >/dev/null || ! /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null; then
	skip "metrics: OTLP checks need protoc and python3-protobuf (scripts/deps.sh test)"
elif [ ! -d "$R/opentelemetry" ]; then
	skip "metrics: OTLP checks: $R missing"
else
	mkdir -p py otlp
	if protoc -I "$R" --python_out=py $(cd "$R" && find opentelemetry -name '*.proto' | sort); then
		for db in inc multi steps; do
			(cd otlp && /usr/bin/python3 "$TESTS/metrics/otlpcheck.py" ../py "$M" "$BIN/ingero-sql" ../$db.db >../o-$db.out 2>&1)
			rc=$?
			sed "s/^\(PASS\|FAIL\): /\1: metrics: $db: /" o-$db.out
			[ $rc -eq 0 ] || grep -q '^FAIL' o-$db.out || { fail "metrics: $db: otlpcheck.py crashed"; tail -5 o-$db.out | sed 's/^/  | /'; }
			rm -f otlp/*
		done
	else
		fail "metrics: protoc could not compile $R"
	fi
fi

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
	skip "metrics: promtool/prometheus not installed (scripts/deps.sh test)"; exit 0
fi

# --- promtool check metrics on the text format: only the original's pinned names may draw lint remarks
for db in inc multi steps; do
	"$M" $db.db --format prometheus -o $db.prom
	lint=$(promtool check metrics <$db.prom 2>&1); rc=$?
	bad=$(printf '%s\n' "$lint" | grep -v '^$' |
		grep -Ev '^(gpu_cuda_operation_count|ingero_anomaly_count|gpu_nccl_collective_count) (counter metrics should have "_total" suffix|non-histogram and non-summary metrics should not have "_count" suffix)$' |
		grep -Ev '^(ingero_infer_step_duration_ns|ingero_infer_baseline_mean_ns|ingero_infer_baseline_p95_ns|gpu_memcpy_duration_ms|nccl_collective_duration_ms) metric names should not contain abbreviated units$')
	if { [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && [ -z "$bad" ]; then pass "metrics: promtool check metrics ($db)"; else
		fail "metrics: promtool check metrics ($db) rc=$rc"; printf '%s\n' "$bad" | head -5 | sed 's/^/  | /'; fi
done

# --- backfill both into one TSDB, serve it, query it
"$M" multi.db -o multi.om
"$M" steps.db -o steps.om
mkdir tsdb
for f in db.om multi.om steps.om; do
	ok "metrics: promtool tsdb create-blocks-from openmetrics $f" promtool tsdb create-blocks-from openmetrics $f tsdb
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\n' >prom.yml
prometheus --config.file=prom.yml --storage.tsdb.path=tsdb --storage.tsdb.retention.time=100y \
	--web.listen-address=127.0.0.1:$port --log.level=error >prom.log 2>&1 &
ppid=$!
trap 'kill $ppid 2>/dev/null; wait $ppid 2>/dev/null' EXIT
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
if ! curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
	fail "metrics: prometheus did not start"; tail -5 prom.log | sed 's/^/  | /'; exit 0
fi
pass "metrics: prometheus serves the backfilled TSDB"
for db in inc multi steps; do
	python3 "$TESTS/metrics/promq.py" "$BIN/ingero-sql" $db.db "http://127.0.0.1:$port" 1 >q-$db.out 2>&1
	rc=$?
	sed "s/^\(PASS\|FAIL\): /\1: metrics: $db: /" q-$db.out
	[ $rc -eq 0 ] || grep -q '^FAIL' q-$db.out || { fail "metrics: $db: promq.py crashed"; tail -5 q-$db.out | sed 's/^/  | /'; }
done
