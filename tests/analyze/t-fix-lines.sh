#!/usr/bin/env bash
# Fix lines carry real values (docs/engine.md): no "<it>", "<training>" or
# "taskset -c N" placeholders in any demo scenario's report; the pinning fix
# names the affected and the culprit pids and CPUs the process really used.
. "$TESTS/lib.sh"
cd "$T_OUT" || exit 1
"$BIN/ingero-record" demo all -o sc -q --seed 5 || { fail "fix lines: demo failed"; exit 0; }
for d in sc/*/; do
	s=$(basename "$d")
	"$BIN/ingero-analyze" -q "$d" --json > "$s.json" 2>/dev/null || { [ -s "$s.json" ] || continue; }
	bad=$(python3 -c '
import json, re, sys
doc = json.load(open(sys.argv[1]))
out, n = [], 0
found = [f for k in ("chains", "step_findings", "idle", "stalls", "outlier_findings")
         for f in (doc.get(k) or []) if isinstance(f, dict)]
for c in found:
    n += len(c.get("recommendations", []))
    for r in c.get("recommendations", []):
        if re.search(r"<[a-z][a-z ]*>|taskset -c N\b|\bPID\b", r):
            out.append(r)
print(" | ".join(out) if out else "none of %d" % n)' "$s.json" 2>&1)
	case $bad in "none of 0") [ "$s" = control ] && pass "fix lines: control: no fix at all" || fail "fix lines: $s: no fix line to check" ;;
	"none of "*) pass "fix lines: $s: no placeholders ($bad)" ;;
	*) fail "fix lines: $s: placeholders: $bad" ;; esac
done
rep=$("$BIN/ingero-analyze" -q sc/incident 2>/dev/null)
pin=$(printf '%s\n' "$rep" | grep -o 'taskset -acp [0-9,-]* 4242 ([^)]*) and taskset -acp [0-9]* 31337' | head -1)
[ -n "$pin" ] && pass "fix lines: incident pins python3 (4242) and moves logrotate (31337)" ||
	fail "fix lines: incident: no concrete taskset line: $(printf '%s\n' "$rep" | grep -m1 taskset)"
# the CPUs named are the ones the process's off-CPU intervals were on
"$BIN/ingero-analyze" -q sc/incident -o inc.db >/dev/null 2>&1
cpus=$("$BIN/ingero-sql" --csv inc.db "SELECT group_concat(cpu, ' ') FROM (SELECT DISTINCT cpu FROM offcpu WHERE pid = 4242 ORDER BY cpu)" | tail -1 | tr -d '\r' | tr ' ' ,)
ran=$(printf '%s' "$pin" | sed -n 's/.*ran on CPUs\{0,1\} \([0-9,-]*\)).*/\1/p' |
	awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-"); if (n == 2) for (c = r[1]; c <= r[2]; c++) printf "%s%d", o++ ? "," : "", c; else printf "%s%d", o++ ? "," : "", r[1] } }')
eq "fix lines: the CPUs named are the process's own" "$ran" "$cpus"
# absolute timestamps in every finding of the JSON report are decimal strings
# (docs/cli.md "JSON": lossless for jq 1.6), in chains and step findings alike
bad=$(python3 -c '
import json, sys
out = []
for f in sys.argv[1:]:
    d = json.load(open(f))
    for k in ("chains", "step_findings", "idle", "stalls", "outliers", "outlier_findings"):
        for r in d.get(k) or []:
            for c in ("detected_at", "window_start", "window_end", "start"):
                if c in r and not (isinstance(r[c], str) and r[c].isdigit()):
                    out.append("%s:%s.%s=%r" % (f, k, c, r[c]))
print(" ".join(out[:3]) or "none")' *.json 2>&1)
eq "report JSON: absolute timestamps are digit strings" "$bad" "none"
