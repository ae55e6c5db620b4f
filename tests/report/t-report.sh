#!/usr/bin/env bash
# ingero-report: every demo scenario and a merged 3-node job become one HTML
# file each, loaded from file:// in headless Chromium (tests/report/browser.py:
# no console error, no network request, verdict / chains / plot series
# against the database, drag-zoom, table sorting, html5 validation);
# screenshots stay in $BIN/report-shots/.  Plus the CLI contract, inputs
# other than a database (recording, import-only DB, original .db), the engine
# v2 step tables through a SQL fixture, determinism and hostile text.
. "$TESTS/lib.sh"
R=$BIN/ingero-report
PY=/usr/bin/python3
SHOTS=$BIN/report-shots
DBS=$SHARED/testdata/ingero-dbs
cd "$T_OUT" || exit 1
[ -x "$R" ] || { fail "report: ingero-report not built"; exit 0; }
export PATH="$BIN:$PATH"

# --- CLI contract
out=$("$R" --help) && contains "report: --help" "$out" "usage: ingero-report"
"$R" >/dev/null 2>&1; eq "report: no input is a usage error" "$?" 2
"$R" x.db >/dev/null 2>&1; eq "report: no -o is a usage error" "$?" 2
"$R" --outptu x >/dev/null 2>&1; eq "report: unknown option is a usage error" "$?" 2
echo "not a recording" > junk.txt
err=$("$R" junk.txt -o junk.html 2>&1); rc=$?
eq "report: a text file fails (exit 1)" "$rc" 1
contains "report: ... naming it" "$err" "junk.txt"
[ ! -e junk.html ] && pass "report: ... and writes nothing" || fail "report: junk.html written on failure"

# --- demo inputs
ingero-record demo all -o sc -q --seed 7 || { fail "report: demo generation failed"; exit 0; }
ingero-record demo multi-node --nodes 3 --offsets 0,+3.2ms,-47ms --drift 0,20ppm,-5ppm -o multi -q --seed 7
ingero-merge -q -q multi/node-* -o merged.igz
pages=()
scen=$(cd sc && ls)
[ "$(echo $scen | wc -w)" -ge 7 ] && pass "report: demo scenarios: $(echo $scen)" || fail "report: demo scenarios: '$scen'"
for s in $scen merged; do
	in=sc/$s; [ "$s" = merged ] && in=merged.igz
	ingero-analyze -q "$in" -o "$s.db" >/dev/null || { fail "report: analyze $s"; continue; }
	if "$R" "$s.db" -o "$s.html" 2>err.txt; then pass "report: $s (database)"; else
		fail "report: $s: $(cat err.txt)"; continue; fi
	pages+=("$s.html" "$s.db" "$SHOTS/$s.png")
done

# a recording as input: analyzed on the fly (full engine), same page but the input line
if "$R" sc/incident -o rec.html 2>err.txt; then
	pass "report: a recording as input"
	n=$(grep -o 'data-chain-id="' rec.html | wc -l)
	eq "report: ... with the engine's chains" "$n" "$(sqlite3 incident.db 'SELECT count(*) FROM causal_chains')"
else
	fail "report: recording input: $(cat err.txt)"
fi
# an import-only database (ingero-analyze --no-report) is analyzed again
ingero-analyze -q sc/incident -o imp.db --no-report
"$R" imp.db -o imp.html 2>err.txt || fail "report: import-only DB: $(cat err.txt)"
n=$(grep -o 'data-chain-id="' imp.html | wc -l)
ingero-analyze -q imp.db -o re.db >/dev/null
want=$(sqlite3 re.db 'SELECT count(*) FROM causal_chains')
[ "$want" -gt 0 ] && eq "report: an import-only DB gets the engine's chains" "$n" "$want" ||
	fail "report: re-analysis of an import-only DB found no chain"
[ "$(sqlite3 imp.db 'SELECT count(*) FROM causal_chains')" = 0 ] &&
	pass "report: ... the input DB is left as it was" || fail "report: import-only DB modified"

# determinism: same input, same bytes
mkdir d1 d2
(cd d1 && "$R" ../incident.db -o r.html) && (cd d2 && "$R" ../incident.db -o r.html)
cmp -s d1/r.html d2/r.html && pass "report: deterministic output" || fail "report: two runs differ"
"$R" incident.db -o again.html
fails "report: refuses to replace without --force" "$R" incident.db -o again.html
ok "report: --force replaces" "$R" incident.db -o again.html --force
fails "report: never writes to a device" "$R" incident.db -o /dev/null --force

# size: a page per scenario, small
sz=$(stat -c %s incident.html)
[ "$sz" -lt 400000 ] && pass "report: incident page is small ($sz bytes)" || fail "report: incident page is $sz bytes"

# engine v2 step tables (contract in docs/schema.md) via a fixture with hostile text
if cp incident.db steps.db && sqlite3 -bail steps.db < "$TESTS/report/steps-fixture.sql" 2>err.txt &&
	"$R" steps.db -o steps.html 2>>err.txt; then
	pages+=(steps.html steps.db "$SHOTS/steps.png")
else
	fail "report: steps fixture: $(cat err.txt)"
fi
grep -q 'id="plot-steps"\|"id":"steps"' steps.html && pass "report: step plot from the steps table" ||
	fail "report: no step plot"
grep -qF '&lt;fixture&gt; &amp; more' steps.html && pass "report: step finding text escaped" ||
	fail "report: step finding text not escaped"
! grep -qF '<fixture>' steps.html && pass "report: no raw markup from the database" ||
	fail "report: raw <fixture> in the page"

# CUDA graph lifecycle (no demo scenario has graphs): rows added to a copy,
# op codes looked up by name in the database's ops table
cp incident.db graphs.db
sqlite3 -bail graphs.db "
	CREATE TEMP VIEW gop AS SELECT o.op_id AS id, o.name FROM ops o JOIN sources s ON s.id = o.source_id
		WHERE s.name = 'cuda_graph';
	WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 99),
	t0(t) AS (SELECT min(timestamp) FROM events)
	INSERT INTO graph_events (node, pid, tid, start, duration, op, stream, graph, exec, capture_mode, ret_code)
	SELECT 'demo-node', 4242, 4242, t + 1000000, 5000, (SELECT id FROM gop WHERE name = 'graphBeginCapture'), 7, 0, 0, 0, 0 FROM t0
	UNION ALL SELECT 'demo-node', 4242, 4242, t + 2000000, 9000, (SELECT id FROM gop WHERE name = 'graphEndCapture'), 7, 48879, 0, 0, 0 FROM t0
	UNION ALL SELECT 'demo-node', 4242, 4242, t + 3000000, 2500000, (SELECT id FROM gop WHERE name = 'graphInstantiate'), 0, 48879, 57005, 0, 0 FROM t0
	UNION ALL SELECT 'demo-node', 4242, 4242, t + 10000000 + n * 100000000, 8000, (SELECT id FROM gop WHERE name = 'graphLaunch'), 7, 0, 57005, 0, 0 FROM t0, i" 2>err.txt ||
	fail "report: graph fixture: $(cat err.txt)"
if "$R" graphs.db -o graphs.html 2>err.txt; then
	row=$(sed -n '/<section id="graphs">/,/<\/section>/p' graphs.html | grep -o '<tr><td>demo-node.*</tr>' | head -1 |
		sed 's/<[^>]*>/ /g' | tr -s ' ')
	eq "report: CUDA graph lifecycle: capture, instantiation, 100 launches of exec 0xdead, graph 0xbeef" \
		"$(echo $row | cut -d' ' -f1-9)" "demo-node 4242 0xdead 0xbeef 1 1 1 100 2.50ms"
	pages+=(graphs.html graphs.db "$SHOTS/graphs.png")
else
	fail "report: graph fixture page: $(cat err.txt)"
fi

# hostile text from the database (process names, chain text, node names that end
# up in the plots' JSON, invalid UTF-8): escaped everywhere; the browser pass
# below fails on the request an injected <img> would make or on a script error
cp incident.db hostile.db
sqlite3 hostile.db "UPDATE causal_chains SET summary = '</script><img src=x onerror=alert(1)>' || summary,
	root_cause = '<!-- <script>' || root_cause, recommendations = '[\"<img src=y>\", \"&amp; \u2028\"]';
	UPDATE processes SET comm = CAST(X'C328414242' AS TEXT), cmdline = '</script><script>alert(2)</script>';
	UPDATE system_snapshots SET node = '</script><img src=z>';
	UPDATE inputs SET path = '<img src=w>'" 2>err.txt || fail "report: hostile fixture: $(cat err.txt)"
if "$R" hostile.db -o hostile.html 2>err.txt; then
	pass "report: hostile strings in the database"
	! grep -q '<img\|<script>alert\|</script><' hostile.html && pass "report: ... never raw markup in the page" ||
		fail "report: raw markup from the database: $(grep -o '<img[^>]*>\|<script>alert[^<]*\|</script><[^>]*>' hostile.html | head -3 | tr '\n' ' ')"
	pages+=(hostile.html hostile.db "$SHOTS/hostile.png")
else
	fail "report: hostile strings: $(cat err.txt)"
fi
# databases that are not ours or are damaged: one line naming the file, exit 1
sqlite3 other.db "CREATE TABLE t(a)"
err=$("$R" other.db -o other.html 2>&1); rc=$?
[ "$rc" = 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [[ "$err" == *other.db* ]] &&
	pass "report: an SQLite file that is not an analysis DB: one line, exit 1" || fail "report: other.db: rc=$rc '$err'"
head -c 20000 incident.db > cut.db
err=$("$R" cut.db -o cut.html 2>&1); rc=$?
[ "$rc" = 1 ] && [[ "$err" == *cut.db* ]] && pass "report: a truncated DB: exit 1 naming it" ||
	fail "report: truncated DB: rc=$rc '$err'"
[ ! -e cut.html ] && [ ! -e other.html ] && pass "report: ... no output left behind" || fail "report: output left after a failure"

# the original tool's .db: analyzed, and the manifest says what it lacks
if [ -f "$DBS/sample-gpu-node-01.db" ]; then
	if "$R" "$DBS/sample-gpu-node-01.db" -o orig.html 2>err.txt; then
		pass "report: original Ingero .db"
		grep -qF 'original .db: no wakeups' orig.html && pass "report: ... manifest: original .db has no wakeups" ||
			fail "report: original .db manifest lacks the wakeups line"
		pages+=(orig.html - "$SHOTS/original-db.png")
	else
		fail "report: original .db: $(cat err.txt)"
	fi
else
	skip "report: original .db: $DBS not found"
fi

# --- the real consumer: a browser
if [ ! -x /usr/bin/chromium ]; then
	skip "report: browser checks: /usr/bin/chromium not installed (apt-get install chromium)"
elif ! $PY -c 'import html5lib' 2>/dev/null; then
	skip "report: browser checks: python3-html5lib not installed (apt-get install python3-html5lib)"
else
	mkdir -p "$SHOTS"
	$PY "$TESTS/report/browser.py" "${pages[@]}" >browser.txt 2>&1; rc=$?
	sed 's/^/  /' browser.txt
	for ((i = 0; i < ${#pages[@]}; i += 3)); do
		p=${pages[i]}
		if grep -q "^ERROR: $p:" browser.txt; then
			fail "report: chromium: $p: $(grep "^ERROR: $p:" browser.txt | head -3 | tr '\n' ' ')"
		elif grep -q "^$p {" browser.txt; then
			pass "report: chromium: $p loads from file:// without errors or requests; DOM matches the database"
		else
			fail "report: chromium: $p not checked (rc $rc): $(tail -3 browser.txt | tr '\n' ' ')"
		fi
	done
	[ -s "$SHOTS/incident.png" ] && pass "report: screenshots in $SHOTS" || fail "report: no screenshot"
fi
