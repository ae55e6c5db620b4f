// bench/mcp/bench.mjs: connect with the MCP SDK client, then time each tool
// call (best and worst of 3) on the DB.  Usage: node bench.mjs INGERO_MCP DB
import path from "node:path";
import { fileURLToPath } from "node:url";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sdk = path.join(root, "tests/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm/client");
const { Client } = await import(path.join(sdk, "index.js"));
const { StdioClientTransport } = await import(path.join(sdk, "stdio.js"));

const [mcp, db] = process.argv.slice(2);
const t0 = performance.now();
const transport = new StdioClientTransport({ command: mcp, args: ["-q", db], stderr: "inherit" });
const client = new Client({ name: "ingero-bench", version: "1.0.0" });
await client.connect(transport);
const startup = performance.now() - t0;
await client.listTools();
// the first tool call waits for the startup index (one scan of the events)
const stats = await client.callTool({ name: "get_trace_stats", arguments: { per_process: true } }, undefined, { timeout: 900000 });
const ready = performance.now() - t0;
const pid = stats.structuredContent.processes?.[0]?.pid ?? 0;
const ev = stats.structuredContent.events;
const calls = [
  ["get_trace_stats", { per_process: true }],
  ["get_trace_stats", { op: "cudaStreamSync" }],
  ["get_causal_chains", { verbose: true }],
  ["get_steps", {}],
  ["get_stacks", { op: "cudaStreamSync" }],
  ["get_stacks", { event: 12345 }],
  ["get_timeline", { pid }],
  ["get_timeline", { pid, at: "-10s", window: "60s", limit: 1000 }],
  ["graph_lifecycle", {}],
  ["graph_frequency", {}],
  ["get_nodes", {}],
  ["run_sql", { sql: "SELECT id, severity, summary FROM causal_chains ORDER BY impact_ns DESC LIMIT 5" }],
  ["run_sql", { sql: "SELECT * FROM named_events WHERE event BETWEEN 5000000 AND 5000099" }],
  ["run_sql", { sql: "SELECT culprit_comm, count(*), sum(duration) FROM offcpu GROUP BY 1 ORDER BY 3 DESC LIMIT 5" }],
  // a scan of all 10 M events: bounded by timeout_s (default 5 s), not by the 1 s bar
  ["run_sql", { sql: "SELECT op_name, count(*) FROM named_events GROUP BY 1" }],
  ["get_check", {}],
];
console.log(`ingero-mcp on ${path.basename(db)}: ${ev} events; initialize answered after ${(startup / 1000).toFixed(2)} s, ` +
  `index ready (one scan of the events, in the background) after ${(ready / 1000).toFixed(2)} s`);
console.log("tool".padEnd(18) + "arguments".padEnd(52) + "best_ms".padStart(9) + "worst_ms".padStart(9) + "  bytes");
let over = 0;
for (const [name, args] of calls) {
  const ts = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const a = performance.now();
    const r = await client.callTool({ name, arguments: args });
    ts.push(performance.now() - a);
    bytes = JSON.stringify(r).length;
  }
  const worst = Math.max(...ts);
  const bounded = name === "run_sql" && args.sql.includes("GROUP BY 1\"") === false && args.sql.startsWith("SELECT op_name");
  if (worst >= 1000 && !bounded) over++;
  console.log(name.padEnd(18) + JSON.stringify(args).slice(0, 50).padEnd(52) + Math.min(...ts).toFixed(1).padStart(9) +
    worst.toFixed(1).padStart(9) + "  " + bytes + (worst >= 1000 ? (bounded ? "  (full scan, bounded by timeout_s)" : "  OVER 1 s") : ""));
}
console.log(over ? `${over} call(s) over 1 s` : "every tool < 1 s");
await client.close();
