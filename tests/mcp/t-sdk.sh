#!/usr/bin/env bash
# ingero-mcp driven by the official MCP TypeScript SDK client
# (@modelcontextprotocol/sdk, pinned in tests/mcp/package-lock.json) over stdio:
# every tool on the demo recordings (a recording directory, a bundle, the
# multi-node demo through run_demo) and on the original tool's databases in
# ../shared/testdata/ingero-dbs, each structured result validated against its
# outputSchema, and run_sql's refusals.  The packages are installed with
# `npm ci` into tests/mcp/node_modules (gitignored) when the lockfile changed;
# without node/npm or the registry the test skips with the reason.
. "$TESTS/lib.sh"
M=$BIN/ingero-mcp
D=$TESTS/mcp
[ -x "$M" ] || { fail "mcp-sdk: ingero-mcp not built"; exit 0; }
command -v node >/dev/null || { skip "mcp-sdk: node missing (scripts/deps.sh test installs it)"; exit 0; }
command -v npm >/dev/null || { skip "mcp-sdk: npm missing (scripts/deps.sh test installs it)"; exit 0; }
if ! cmp -s "$D/package-lock.json" "$D/node_modules/.ingero-lock" 2>/dev/null; then
	if ! (cd "$D" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$T_OUT/npm.log" 2>&1; then
		skip "mcp-sdk: 'npm ci' failed (registry unreachable?): $(tail -1 "$T_OUT/npm.log")"
		exit 0
	fi
	cp "$D/package-lock.json" "$D/node_modules/.ingero-lock"
fi
cd "$T_OUT" || exit 1
inputs=()
for f in "$SHARED"/testdata/ingero-dbs/*.db; do [ -f "$f" ] && inputs+=("$f"); done
if "$BIN/ingero-record" demo incident -o incident --duration 12 >/dev/null 2>&1; then
	inputs+=("$T_OUT/incident")
	"$BIN/ingero-record" bundle -o incident.tar.zst incident >/dev/null 2>&1 && inputs+=("$T_OUT/incident.tar.zst")
else
	fail "mcp-sdk: ingero-record demo incident failed"
fi
[ ${#inputs[@]} -gt 0 ] || { skip "mcp-sdk: no inputs"; exit 0; }
# demo:SCENARIO starts on the first input and switches with run_demo
inputs+=("demo:multi-node")
node "$D/sdk.mjs" "$M" "${inputs[@]}" 2>sdk.err
grep -v '^ingero-' sdk.err | head -20
