#!/usr/bin/env bash
# ingero-perfetto: protobuf structure (protoc --decode_raw and an independent
# walker, tests/export/pfwalk.py), counts vs the input, JSON vs protobuf,
# determinism, filters, analysis-DB input with chains and flows, original DBs,
# bad input.
. "$TESTS/lib.sh"
P=$BIN/ingero-perfetto
W="python3 $TESTS/export/pfwalk.py --flat"
DBS=$SHARED/testdata/ingero-dbs
cd "$T_OUT" || exit 1

if [ ! -x "$P" ] || [ ! -x "$BIN/tests/export-mkrec" ]; then
	fail "perfetto: tools not built"; exit 0
fi
# js FILE KEY: a value of the walker's flat summary (summary.slices, names, errors, ...); 0 if absent
js() { local v; v=$(sed -n "s/^$2=//p" "$1"); [ -n "$v" ] && printf '%s\n' "$v" || { case $2 in summary.*) echo 0;; esac; }; }
# name count from the names dict
jn() { sed -n 's/^names=//p' "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2', 0))"; }
# fcontains NAME FILE NEEDLE: like contains, on a file
fcontains() { if grep -qF -- "$3" "$2"; then pass "$1"; else fail "$1: $2 lacks '$3'"; fi; }
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

exp=$("$BIN/tests/export-mkrec" rec.igz) || { fail "perfetto: export-mkrec failed"; exit 0; }

# --- protobuf from a recording
if "$P" rec.igz -o t.pftrace --no-compress --stats 2>stats.txt; then pass "perfetto: recording -> protobuf"; else
	fail "perfetto: recording -> protobuf: $(cat stats.txt)"; fi
st=$(cat stats.txt)
$W t.pftrace >w.json; rc=$?
eq "perfetto: walker finds no rule broken (interning, seq flags, tracks, nesting, counters)" "$rc $(js w.json errors)" "0 []"
eq "perfetto: every sequence starts with SEQ_INCREMENTAL_STATE_CLEARED" "$(js w.json first_flags)" "[1]"
eq "perfetto: every event made it (stats)" "$(kv "$st" events_out)" "$(kv "$exp" events)"
eq "perfetto: slices = recording's calls + off-CPU intervals" "$(js w.json summary.slices)" "$(kv "$exp" slices)"
eq "perfetto: instants = host events + zero-length calls + lost" "$(js w.json summary.instants)" "$(kv "$exp" instants)"
eq "perfetto: counter values (CPU %, memory %, GPU util, lost, ...)" "$(js w.json summary.counters)" "$(kv "$exp" counters)"
eq "perfetto: one thread track per thread" "$(js w.json summary.threads)" "$(kv "$exp" threads)"
contains "perfetto: thread names" "$(js w.json thread_names)" '"python (tid 100)"'
contains "perfetto: node process track named node (rank R)" "$(js w.json process_names)" '"test-node (rank 2)"'
contains "perfetto: off-CPU slices name who ran instead" "$(js w.json names)" '"preempted by stress-ng (200)"'
contains "perfetto: blocked intervals told apart" "$(js w.json names)" '"blocked; stress-ng (200) ran"'
contains "perfetto: lost events visible" "$(js w.json names)" '"lost 17 cuda events"'
eq "perfetto: cudaLaunchKernel slices" "$(jn w.json cudaLaunchKernel)" 200

# --- protoc --decode_raw sees the structure
if command -v protoc >/dev/null; then
	protoc --decode_raw <t.pftrace >raw.txt 2>raw.err
	ok "perfetto: protoc --decode_raw parses the trace" test -s raw.txt
	fcontains "perfetto: interned event names present" raw.txt '2: "cudaLaunchKernel"'
	fcontains "perfetto: interned categories present" raw.txt '2: "cuda"'
	fcontains "perfetto: debug annotation names interned" raw.txt '2: "stream"'
	fcontains "perfetto: clock snapshot with REALTIME as primary clock" raw.txt '2: 1'
	first=$(sed -n 1,3p raw.txt | grep -c '^  60 {')
	eq "perfetto: first packet is a track descriptor" "$first" 1
else
	skip "perfetto: protoc --decode_raw: protoc not installed"
fi

# --- JSON
if "$P" rec.igz -o t.json --format json 2>err.txt; then pass "perfetto: recording -> JSON"; else fail "perfetto: JSON: $(cat err.txt)"; fi
ok "perfetto: JSON parses" python3 -c "import json; json.load(open('t.json'))"
$W --json t.json >j.json
for k in slices instants counters threads; do
	eq "perfetto: JSON $k match protobuf" "$(js j.json summary.$k)" "$(js w.json summary.$k)"
done
eq "perfetto: JSON per-name counts match protobuf" "$(js j.json names)" "$(js w.json names)"
fcontains "perfetto: JSON has thread_name metadata" t.json '"name":"thread_name"'
contains "perfetto: JSON has sub-microsecond precision" "$(grep -m1 '"cuLaunchKernel"' t.json)" '.'

# --- determinism
"$P" rec.igz -o t2.pftrace --no-compress 2>/dev/null
ok "perfetto: same input -> byte-identical protobuf" cmp -s t.pftrace t2.pftrace
"$P" rec.igz -o t2.json --format json 2>/dev/null
ok "perfetto: same input -> byte-identical JSON" cmp -s t.json t2.json
"$P" - -o t3.pftrace --no-compress <rec.igz 2>/dev/null
ok "perfetto: stdin input gives the same trace" cmp -s t.pftrace t3.pftrace
"$P" rec.igz -o - --no-compress >t4.pftrace 2>/dev/null
ok "perfetto: -o - writes to stdout" cmp -s t.pftrace t4.pftrace

# --- compressed packets (the default)
"$P" rec.igz -o z.pftrace 2>/dev/null
"$P" rec.igz -o z2.pftrace 2>/dev/null
ok "perfetto: compressed output deterministic too" cmp -s z.pftrace z2.pftrace
if command -v protoc >/dev/null; then
	eq "perfetto: default output is deflated TracePacket.compressed_packets" \
		"$(protoc --decode_raw <z.pftrace | grep -cE '^  50: ')" "$(protoc --decode_raw <z.pftrace | grep -c '^1 {')"
fi
$W z.pftrace >wz.json
eq "perfetto: compressed_packets decode to the same content" \
	"$(js wz.json summary.slices) $(js wz.json names) $(js wz.json nerrors)" \
	"$(js w.json summary.slices) $(js w.json names) 0"
[ "$(stat -c %s z.pftrace)" -lt "$(stat -c %s t.pftrace)" ] && pass "perfetto: compressed is smaller" ||
	fail "perfetto: compressed is not smaller"

# --- filters
"$P" rec.igz -o p.pftrace --pid 300 2>/dev/null && $W p.pftrace >wp.json
# pid 300's exec, oom_kill and exit, plus the node-level lost-events instant
eq "perfetto: --pid keeps that process only" "$(js wp.json summary.instants) $(js wp.json summary.slices)" "4 0"
"$P" rec.igz -o n.pftrace --node nosuch 2>/dev/null && $W n.pftrace >wn.json
eq "perfetto: --node filters nodes" "$(js wn.json summary.slices)" 0
"$P" rec.igz -o s.pftrace --until 10ms 2>/dev/null && $W s.pftrace >ws.json
a=$(js ws.json summary.slices); b=$(js w.json summary.slices)
[ "$a" -gt 0 ] && [ "$a" -lt "$b" ] && pass "perfetto: --until keeps the start ($a of $b slices)" ||
	fail "perfetto: --until: $a of $b slices"
"$P" rec.igz -o s2.pftrace --since 10ms 2>/dev/null && $W s2.pftrace >ws2.json
c=$(js ws2.json summary.slices)
[ "$c" -gt 0 ] && [ "$c" -lt "$b" ] && [ $((a + c)) -ge "$b" ] && pass "perfetto: --since keeps the rest ($c)" ||
	fail "perfetto: --since: $c (until $a, all $b)"

# --- analysis database with chains and flows
if [ -x "$BIN/ingero-analyze" ] && "$BIN/ingero-analyze" rec.igz -o a.db >analyze.out 2>&1; then
	nch=$("$BIN/ingero-sql" --csv a.db "SELECT count(*) FROM causal_chains" | tail -1 | tr -d '\r')
	nev=$("$BIN/ingero-sql" --csv a.db "SELECT (SELECT count(*) FROM events WHERE NOT (source=3 AND op=1)) + (SELECT count(*) FROM offcpu)" | tail -1 | tr -d '\r')
	"$P" a.db -o a.pftrace --no-compress --stats 2>astats.txt
	$W a.pftrace >wa.json; rc=$?
	eq "perfetto: DB input passes the walker" "$rc $(js wa.json errors)" "0 []"
	eq "perfetto: DB input: every event and off-CPU interval made it" "$(kv "$(cat astats.txt)" events_out)" "$nev"
	eq "perfetto: DB input: one findings slice per chain" "$(js wa.json summary.chains)" "$nch"
	nth=$("$BIN/ingero-sql" --csv a.db "SELECT count(*) FROM (SELECT node, CASE tid WHEN 0 THEN pid ELSE tid END FROM events UNION SELECT node, tid FROM offcpu UNION SELECT node, tid FROM threads)" | tail -1 | tr -d '\r')
	eq "perfetto: DB input: one thread track per thread" "$(js wa.json summary.threads)" "$nth"
	fl=$(js wa.json summary.flows)
	nsym=$("$BIN/ingero-sql" --csv a.db "SELECT count(*) FROM causal_chains, json_each(NULLIF(evidence, ''), '\$.symptoms')" | tail -1 | tr -d '\r')
	if [ "${nsym:-0}" -eq 0 ]; then skip "perfetto: flow arrows: the engine named no symptoms for this recording"
	elif [ "$fl" -ge "$nsym" ]; then pass "perfetto: flow arrows from the evidence ($fl for $nsym symptoms)"
	else fail "perfetto: $fl flows for $nsym symptoms in causal_chains.evidence"; fi
	js wa.json names | grep -qE '"(HIGH|MEDIUM|LOW): [^"]+"' && pass "perfetto: chain slice named with severity and summary" ||
		fail "perfetto: no chain slice named '<SEVERITY>: <summary>'"
	if command -v protoc >/dev/null; then
		protoc --decode_raw <a.pftrace >araw.txt
		n48=$(grep -cE '^ +48: 0x[0-9a-f]+$' araw.txt)
		[ "$n48" -gt 0 ] && pass "perfetto: terminating_flow_ids decode as fixed64 ($n48)" ||
			fail "perfetto: terminating_flow_ids are not fixed64 in protoc's view"
		n47=$(grep -cE '^ +47: 0x[0-9a-f]+$' araw.txt)
		[ "$n47" -gt 0 ] && pass "perfetto: flow_ids decode as fixed64 ($n47)" ||
			fail "perfetto: flow_ids are not fixed64 in protoc's view"
	fi
	"$P" a.db -o a.json --format json 2>/dev/null
	$W --json a.json >ja.json
	eq "perfetto: DB JSON chains/flows/slices match protobuf" \
		"$(js ja.json summary.chains) $(js ja.json summary.flows) $(js ja.json summary.slices)" \
		"$(js wa.json summary.chains) $fl $(js wa.json summary.slices)"
	sum0=$(md5sum a.db)
	"$P" a.db -o a2.pftrace --no-compress 2>/dev/null
	eq "perfetto: DB input leaves the database untouched" "$(md5sum a.db) $(ls a.db* | wc -l)" "$sum0 1"
	ok "perfetto: DB input deterministic" cmp -s a.pftrace a2.pftrace
else
	skip "perfetto: analysis-DB input: ingero-analyze not built or failed"
fi

# --- a merged multi-node recording (demo generator + ingero-merge)
if [ -x "$BIN/ingero-record" ] && [ -x "$BIN/ingero-merge" ] &&
	timeout 60 "$BIN/ingero-record" demo multi-node -o mn --events 4000 >/dev/null 2>&1 &&
	timeout 60 "$BIN/ingero-merge" mn/node-0 mn/node-1 mn/node-2 mn/node-3 -o merged.igz >/dev/null 2>&1; then
	"$P" merged.igz -o mg.pftrace --stats 2>mstats.txt
	$W mg.pftrace >wm.json; rc=$?
	eq "perfetto: merged recording passes the walker" "$rc $(js wm.json errors)" "0 []"
	mev=$(kv "$(cat mstats.txt)" events_in)
	eq "perfetto: merged: every event made it" "$(kv "$(cat mstats.txt)" events_out)" "$mev"
	contains "perfetto: merged: one process track per node with its rank" "$(js wm.json process_names)" '"node-3 (rank 3)"'
	contains "perfetto: merged: same pid on two nodes stays apart" "$(js wm.json thread_names)" '"python3 (tid'
	"$P" merged.igz -o mg1.pftrace --node node-1 --stats 2>m1.txt
	$W mg1.pftrace >wm1.json
	n1=$(kv "$(cat m1.txt)" events_out)
	[ "$n1" -gt 0 ] && [ "$n1" -lt "$mev" ] && pass "perfetto: merged: --node keeps one node ($n1 of $mev)" ||
		fail "perfetto: merged: --node node-1 kept $n1 of $mev"
else
	skip "perfetto: merged recording: demo multi-node or ingero-merge unavailable"
fi

# --- the original tool's databases
if [ -f "$DBS/sample-cluster.db" ]; then
	"$P" "$DBS/sample-cluster.db" -o o.pftrace --stats 2>ostats.txt
	$W o.pftrace >wo.json; rc=$?
	eq "perfetto: original 0.9 cluster DB passes the walker" "$rc" 0
	eq "perfetto: original DB: all 600 events" "$(kv "$(cat ostats.txt)" events_out)" 600
	eq "perfetto: original DB: its 6 stored chains" "$(js wo.json summary.chains)" 6
	contains "perfetto: original DB: one process per node" "$(js wo.json process_names)" '"gpu-node-03"'
	"$P" "$DBS/pytorch-173382-empty-cache.db" -o old.pftrace 2>olderr.txt
	$W old.pftrace >wold.json; rc=$?
	eq "perfetto: original <=0.8 DB (no node column) exports" "$rc" 0
else
	skip "perfetto: original DBs: $DBS missing"
fi

# --- a recording cut in the middle (crash, kill -9): complete frames are exported
"$BIN/tests/export-mkrec" big.igz --launch 40000 >/dev/null
sz=$(stat -c %s big.igz)
head -c $((sz / 2)) big.igz >cut.igz
out=$("$P" cut.igz -o cut.pftrace --stats 2>&1); rc=$?
n=$(kv "$(printf '%s\n' "$out" | tail -1)" events_out)
if [ "$rc" -eq 0 ] && [ "${n:-0}" -gt 1000 ] && [ "$n" -lt 40000 ]; then pass "perfetto: truncated recording: $n of 40000 events exported"
else fail "perfetto: truncated recording: rc=$rc events=$n"; fi
contains "perfetto: truncated recording: one warning line" "$out" "ingero-perfetto: warning: "
$W cut.pftrace >wc.json; eq "perfetto: truncated recording: output passes the walker" "$?" 0

# --- flow arrows per chain, on the incident scenario: every evidence item of a
# chain whose two ends are in the trace connects, in the trace processor's
# binding order (tests/export/pfwalk.py flows_by_chain), in protobuf
# (compressed or not) and JSON
if [ -x "$BIN/ingero-record" ] && [ -x "$BIN/ingero-analyze" ] &&
	timeout 120 "$BIN/ingero-record" demo incident -o inc -q >/dev/null 2>&1 &&
	timeout 300 "$BIN/ingero-analyze" inc -o inc.db -q >/dev/null 2>&1; then
	"$P" inc.db -o inc.pftrace 2>/dev/null
	"$P" inc.db -o inc-plain.pftrace --no-compress 2>/dev/null
	"$P" inc.db -o inc.json --format json 2>/dev/null
	# expected arrows per chain from the evidence (chain index = export order: start, id)
	want=$(python3 - inc.db <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ev = set(r[0] for r in db.execute("SELECT id FROM events WHERE NOT (source = 3 AND op = 1)"))
off = set(db.execute("SELECT node, tid, start FROM offcpu"))
rows = db.execute("SELECT node, evidence FROM causal_chains ORDER BY "
                  "CASE WHEN window_start > 0 THEN window_start ELSE detected_at END, id").fetchall()
out = {}
for ci, (node, evid) in enumerate(rows):
    e = json.loads(evid) if evid else {}
    n = 0
    for o in e.get('offcpu', []):
        sym = o.get('symptom')
        if (node, o.get('tid'), o.get('start')) in off and (sym is None or sym in ev):
            n += 1
    n += sum(1 for x in e.get('events', []) + e.get('symptoms', []) if x in ev)
    if n:
        out[str(ci)] = n
print(json.dumps(out, sort_keys=True))
PY
)
	nwant=$(printf '%s' "$want" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin).values()))')
	[ "$nwant" -gt 0 ] && pass "perfetto: incident: the chains name $nwant evidence arrows" ||
		fail "perfetto: incident: no evidence arrows expected ($want)"
	for f in inc.pftrace inc-plain.pftrace; do
		$W "$f" >"$f.w"
		eq "perfetto: incident $f: connected flows per chain = evidence per chain" "$(js "$f.w" flows_by_chain)" "$want"
		eq "perfetto: incident $f: no terminating flow id without an open flow" "$(js "$f.w" summary.flows_dropped)" 0
	done
	# steps (engine v2): one slice per step on a "steps (stream 0x..)" track per stream, slow
	# ones named so, and one GPU-idle counter value per step
	if [ "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM sqlite_master WHERE name=\"steps\"").fetchone()[0])' inc.db)" = 1 ]; then
		sq() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' inc.db "$1"; }
		nst=$(sq "SELECT count(*) FROM steps"); nstr=$(sq "SELECT count(*) FROM (SELECT DISTINCT node, pid, stream FROM steps)")
		nslow=$(sq "SELECT count(*) FROM steps WHERE slow")
		[ "$nst" -gt 0 ] && pass "perfetto: incident: the DB has $nst steps ($nslow slow) on $nstr stream(s)" ||
			fail "perfetto: incident: no steps in the DB"
		for f in inc.pftrace inc-plain.pftrace; do
			eq "perfetto: incident $f: one step slice per step" \
				"$(js "$f.w" slice_categories | python3 -c 'import json,sys; print(json.load(sys.stdin).get("step", 0))')" "$nst"
			eq "perfetto: incident $f: one steps track per stream" \
				"$(js "$f.w" track_names | python3 -c 'import json,sys; print(sum(1 for n in json.load(sys.stdin) if n.startswith("steps (stream 0x")))')" "$nstr"
			eq "perfetto: incident $f: slow steps named so" \
				"$(js "$f.w" names | python3 -c 'import json,sys; print(sum(v for k, v in json.load(sys.stdin).items() if "(slow)" in k))')" "$nslow"
			eq "perfetto: incident $f: one GPU-idle value per step" \
				"$(js "$f.w" counter_values | python3 -c 'import json,sys; print(sum(v for k, v in json.load(sys.stdin).items() if k.startswith("GPU idle %")))')" "$nst"
		done
		ok "perfetto: incident JSON: step slices" grep -q '"cat":"step"' inc.json
	else
		skip "perfetto: steps tracks: this ingero-analyze writes no steps table"
	fi
	$W --json inc.json >inc.json.w
	eq "perfetto: incident JSON: connected flows per chain = evidence per chain" "$(js inc.json.w flows_by_chain)" "$want"
	eq "perfetto: incident JSON: no 'f' without an open 's'" "$(js inc.json.w summary.flows_dropped)" 0
else
	fail "perfetto: incident scenario: ingero-record demo / ingero-analyze failed"
fi

# --- every protobuf trace written above: the independent semantic checker
# (the trace processor's import rules; --strict: warnings fail too), and the
# official schema (compressed_packets inflated first)
CHK=$SHARED/tools/check-pftrace.py
PROTO=$SHARED/reference/perfetto-proto
ntr=0
for f in *.pftrace; do
	[ -s "$f" ] || continue
	ntr=$((ntr + 1))
	if [ -f "$CHK" ]; then
		out=$(python3 "$CHK" --strict --quiet "$f" 2>&1); rc=$?
		eq "perfetto: check-pftrace --strict $f" "$rc $(printf '%s' "$out" | head -3)" "0 "
	fi
	if command -v protoc >/dev/null && [ -f "$PROTO/perfetto_trace.proto" ]; then
		python3 -c '
import sys, zlib
def fields(b):
    i = 0
    while i < len(b):
        k = 0; s = 0
        while True:
            c = b[i]; i += 1; k |= (c & 0x7f) << s; s += 7
            if c < 0x80: break
        f, wt = k >> 3, k & 7
        if wt == 0:
            st = i
            while b[i] & 0x80: i += 1
            i += 1; yield f, wt, b[st:i]
        elif wt == 1: yield f, wt, b[i:i + 8]; i += 8
        elif wt == 5: yield f, wt, b[i:i + 4]; i += 4
        elif wt == 2:
            n = 0; s = 0
            while True:
                c = b[i]; i += 1; n |= (c & 0x7f) << s; s += 7
                if c < 0x80: break
            yield f, wt, b[i:i + n]; i += n
        else: raise SystemExit("bad wire type")
out = bytearray()
data = open(sys.argv[1], "rb").read()
for f, wt, v in fields(data):
    inner = [x for g, w, x in fields(v) if g == 50 and w == 2]
    if inner:
        for z in inner: out += zlib.decompress(z)
    else:
        out += data[0:0]
        hdr = bytearray([0x0a]); n = len(v)
        while n >= 0x80: hdr.append(n & 0x7f | 0x80); n >>= 7
        hdr.append(n); out += hdr + v
open(sys.argv[2], "wb").write(out)
' "$f" "$f.plain" && protoc --decode=perfetto.protos.Trace -I "$PROTO" perfetto_trace.proto <"$f.plain" >"$f.txt" 2>"$f.perr"
		rc=$?
		eq "perfetto: official schema decodes $f (protoc --decode=perfetto.protos.Trace)" "$rc $(head -c 200 "$f.perr")" "0 "
	fi
done
[ -f "$CHK" ] || skip "perfetto: semantic checker: $CHK missing"
command -v protoc >/dev/null && [ -f "$PROTO/perfetto_trace.proto" ] || skip "perfetto: official schema: protoc or $PROTO missing"
[ "$ntr" -ge 10 ] && pass "perfetto: $ntr protobuf traces checked" || fail "perfetto: only $ntr traces to check"

# --- errors and usage
out=$("$P" nosuch.igz -o x.pftrace 2>&1); rc=$?
eq "perfetto: missing input -> exit 1" "$rc" 1
eq "perfetto: one-line error" "$(printf '%s\n' "$out" | wc -l)" 1
contains "perfetto: error names the tool" "$out" "ingero-perfetto: "
head -c 5000 /dev/urandom >junk.bin
out=$("$P" junk.bin -o x.pftrace 2>&1); rc=$?
eq "perfetto: garbage input -> exit 1, one line" "$rc $(printf '%s\n' "$out" | wc -l)" "1 1"
[ ! -e x.pftrace ] && pass "perfetto: no output file left on failure" || fail "perfetto: partial output left"
"$P" rec.igz >/dev/null 2>&1; eq "perfetto: missing -o -> usage error 2" "$?" 2
"$P" rec.igz -o x --format xml >/dev/null 2>&1; eq "perfetto: bad --format -> 2" "$?" 2
"$P" rec.igz -o x --since abc >/dev/null 2>&1; eq "perfetto: bad --since -> 2" "$?" 2
"$P" --help >/dev/null 2>&1; eq "perfetto: --help exits 0" "$?" 0
out=$("$P" rec.igz -o /nonexistent/dir/x.pftrace 2>&1); rc=$?
eq "perfetto: unwritable output -> exit 1, one line" "$rc $(printf '%s\n' "$out" | wc -l)" "1 1"
