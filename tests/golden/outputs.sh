#!/usr/bin/env bash
# Deterministic outputs of every tool on the built-in demo scenarios, one
# file each, into OUTDIR: the reference that refactors must reproduce byte
# for byte (tests/golden/t-outputs.sh compares them with outputs.sha256).
# Paths inside outputs are relative to a scratch directory and the tools are
# found through PATH, so the bytes do not depend on where this runs.
# Usage: tests/golden/outputs.sh BUILD_DIR OUTDIR
set -euo pipefail
B=$(cd "$1" && pwd)
mkdir -p "$2"
O=$(cd "$2" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/ingero-golden.XXXXXX")
trap 'rm -rf "$W"' EXIT
export LC_ALL=C TZ=UTC PATH="$B:$PATH"
cd "$W"
ingero-record demo all -o sc -q --seed 7
ingero-record demo multi-node --nodes 3 --offsets 0,+3.2ms,-47ms --drift 0,20ppm,-5ppm \
	-o multi -q --seed 7
ingero-merge -q -q multi/node-* -o merged.igz
cp merged.igz "$O/merge.igz"
ingero-dump --no-offsets merged.igz > "$O/merge.dump"
for s in incident cold-start memcpy-bottleneck periodic-spike cpu-contention gpu-steal control merged; do
	in=sc/$s; [ "$s" = merged ] && in=merged.igz
	ingero-analyze -q "$in" -o "$s.db" > "$O/$s.report.txt"
	ingero-analyze -q "$s.db" --json --per-process > "$O/$s.report.json" || true
	ingero-analyze -q "$in" --summary > "$O/$s.summary.txt"
	ingero-perfetto "$s.db" -o "$O/$s.db.pftrace"
	ingero-perfetto "$in" -o "$O/$s.rec.pftrace"
	ingero-perfetto "$s.db" --format json -o "$O/$s.db.json"
	ingero-report "$s.db" -o "$s.html" && mv "$s.html" "$O/$s.report.html"
	ingero-sql --csv "$s.db" "SELECT id, kind, severity, cuda_op, root_cause, recommendations, culprit_comm, impact_ns FROM causal_chains ORDER BY id" > "$O/$s.chains.csv"
	ingero-sql --csv "$s.db" "SELECT * FROM sources; SELECT * FROM ops" > "$O/$s.lookups.csv"
	ingero-metrics "$s.db" -o "$O/$s.metrics.om"
	ingero-metrics "$s.db" --format otlp-json --cluster golden -o "$O/$s.metrics.otlp.jsonl" --traces "$O/$s.spans.otlp.jsonl"
done
ingero-sql --schema incident.db > "$O/sql-schema.txt"
