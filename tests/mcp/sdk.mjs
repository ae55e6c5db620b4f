// tests/mcp/sdk.mjs: drives ingero-mcp with the official MCP TypeScript SDK
// client (@modelcontextprotocol/sdk, pinned in package-lock.json) over stdio.
// For each INPUT: connect, list tools and prompts, get the prompt, call every
// tool, validate each structuredContent against the tool's outputSchema (Ajv,
// besides the SDK's own check), check run_sql's refusals and the bounds.
// Prints PASS/FAIL lines.  Usage: node sdk.mjs INGERO_MCP INPUT...
// (INPUT may be "demo:SCENARIO": the server starts on the first input and
// switches with run_demo.)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import Ajv from "ajv";

const [mcp, ...inputs] = process.argv.slice(2);
const ajv = new Ajv({ strict: false, allErrors: true });
let fails = 0;
const pass = (n) => console.log(`PASS: mcp-sdk: ${n}`);
const fail = (n, why) => { fails++; console.log(`FAIL: mcp-sdk: ${n}: ${why}`); };
const check = (n, c, why = "") => (c ? pass(n) : fail(n, why));

const TOOLS = ["get_trace_stats", "get_causal_chains", "get_steps", "get_stacks", "get_timeline", "graph_lifecycle",
  "graph_frequency", "get_nodes", "run_sql", "get_check", "run_demo"];

async function session(input, body) {
  const transport = new StdioClientTransport({ command: mcp, args: ["-q", input], stderr: "inherit" });
  const client = new Client({ name: "ingero-tests", version: "1.0.0" });
  await client.connect(transport);
  try { await body(client); } finally { await client.close(); }
}

async function callAll(client, label, schemas) {
  const text = (r) => r.content.map((c) => c.text).join("");
  const call = async (name, args, wantError = false) => {
    const t0 = Date.now();
    let r;
    try { r = await client.callTool({ name, arguments: args }); } catch (e) { fail(`${label}: ${name} ${JSON.stringify(args)}`, e.message); return null; }
    const ms = Date.now() - t0;
    const bad = [];
    if (!Array.isArray(r.content) || r.content[0].type !== "text") bad.push("no text content");
    if (text(r).length > 30000) bad.push(`text of ${text(r).length} bytes`);
    if (!!r.isError !== wantError) bad.push(`isError=${r.isError}: ${text(r).slice(0, 200)}`);
    if (!r.isError) {
      const v = schemas[name];
      if (!r.structuredContent) bad.push("no structuredContent");
      else if (!v(r.structuredContent)) bad.push("outputSchema: " + ajv.errorsText(v.errors));
    }
    check(`${label}: ${name} ${JSON.stringify(args).slice(0, 60)} (${ms} ms)`, bad.length === 0, bad.join("; "));
    return r;
  };
  const st = await call("get_trace_stats", { per_process: true, limit: 5 });
  const sv = await call("get_trace_stats", { verbose: true });
  const sc0 = await call("get_trace_stats", {});
  if (sv && sc0 && sc0.structuredContent.ops.length)
    check(`${label}: compact text at most 70 % of the verbose JSON (${text(sc0).length} vs ${text(sv).length} bytes)`,
      text(sc0).length <= 0.7 * text(sv).length);
  const ch = await call("get_causal_chains", {});
  await call("get_causal_chains", { min_severity: "HIGH", verbose: true });
  await call("get_steps", {});
  const sc = st?.structuredContent;
  const top = sc?.ops?.find((o) => o.source === "cuda" || o.source === "driver") ?? sc?.ops?.[0];
  const stk = await call("get_stacks", top ? { op: top.op } : {});
  const pid = sc?.processes?.[0]?.pid ?? ch?.structuredContent?.chains?.[0]?.pid;
  if (pid !== undefined && pid !== null) {
    const tl = await call("get_timeline", { pid, window: "2s", limit: 50 });
    const ev = tl?.structuredContent?.events?.[0]?.event ?? stk?.structuredContent?.slowest?.[0]?.event;
    if (ev !== undefined) {
      await call("get_stacks", { event: ev });
      const want = tl?.structuredContent?.events?.[0]?.op ?? stk?.structuredContent?.slowest?.[0]?.op;
      const r = await call("run_sql", { sql: `SELECT op_name FROM named_events WHERE event = ${ev}` });
      check(`${label}: event ${ev} reads back through named_events (${want})`, r?.structuredContent?.results?.[0]?.rows?.[0]?.[0] === want,
        String(JSON.stringify(r?.structuredContent)).slice(0, 200));
    }
    check(`${label}: timeline bounded by limit`, (tl?.structuredContent?.events?.length ?? 0) <= 50);
  }
  await call("graph_lifecycle", {});
  await call("graph_frequency", {});
  await call("get_nodes", {});
  const q = await call("run_sql", { sql: "SELECT count(*) AS n FROM events; SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", limit: 5 });
  check(`${label}: run_sql returns rows`, Number.isInteger(q?.structuredContent?.results?.[0]?.rows?.[0]?.[0]), String(JSON.stringify(q?.structuredContent)).slice(0, 200));
  check(`${label}: run_sql limit cuts and says so`, q?.structuredContent?.results?.[1]?.rows?.length <= 5 && (q.structuredContent.results[1].rows.length < 5 || q.structuredContent.results[1].truncated === true));
  for (const [what, sql, want] of [
    ["DELETE", "DELETE FROM events", "refused: DELETE from events"],
    ["INSERT", "INSERT INTO events(pid) VALUES (1)", "refused: INSERT into events"],
    ["DROP", "DROP TABLE events", "refused: DROP TABLE"],
    ["ATTACH", "ATTACH DATABASE '/tmp/x.db' AS x", "refused: ATTACH"],
    ["PRAGMA write", "PRAGMA user_version = 3", "refused: PRAGMA user_version = 3"],
    ["write after read", "SELECT 1; UPDATE events SET pid = 0", "refused: UPDATE of events"],
    ["load_extension", "SELECT load_extension('/tmp/x.so')", "refused: load_extension()"],
    ["zeroblob bomb", "SELECT length(zeroblob(1000000000))", "refused: a value would exceed"],
    ["printf bomb", "SELECT printf('%.*c', 1000000000, 'x')", "refused: a value would exceed"],
  ]) {
    const r = await call("run_sql", { sql }, true);
    check(`${label}: run_sql refuses ${what} like ingero-sql`, r && text(r).startsWith(want), r && text(r));
  }
  const t = await call("run_sql", { sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c", timeout_s: 0.5 }, true);
  check(`${label}: run_sql timeout`, t && text(t).includes("longer than 0.5 s"), t && text(t));
  await call("get_trace_stats", { node: "no-such-node" }, true);
  await call("get_trace_stats", { op: "cudaStreamSynchronise" }, true);
}

for (const input of inputs) {
  const label = input.replace(/.*\//, "");
  try {
    await session(input.startsWith("demo:") ? inputs[0] : input, async (client) => {
      const v = client.getServerVersion();
      check(`${label}: initialize (server ${v?.name} ${v?.version}, protocol negotiated)`, v?.name === "ingero-mcp");
      const { tools } = await client.listTools();
      check(`${label}: tools/list names`, JSON.stringify(tools.map((t) => t.name)) === JSON.stringify(TOOLS), tools.map((t) => t.name));
      const schemas = {};
      for (const t of tools) {
        try { ajv.compile(t.inputSchema); schemas[t.name] = ajv.compile(t.outputSchema); } catch (e) { fail(`${label}: schema of ${t.name}`, e.message); }
      }
      check(`${label}: every tool has valid input and output schemas`, Object.keys(schemas).length === TOOLS.length);
      const { prompts } = await client.listPrompts();
      check(`${label}: prompts/list`, prompts.length === 1 && prompts[0].name === "investigate");
      const p = await client.getPrompt({ name: "investigate", arguments: { question: "why is step time high?" } });
      check(`${label}: prompts/get investigate`, p.messages[0].content.text.includes("get_causal_chains") &&
        p.messages[0].content.text.includes("why is step time high?"));
      await client.ping();
      pass(`${label}: ping`);
      if (input.startsWith("demo:")) {
        const scen = input.slice(5);
        const r = await client.callTool({ name: "run_demo", arguments: { scenario: scen, duration_s: 6 } });
        check(`${label}: run_demo ${scen}`, !r.isError && r.structuredContent?.events > 0, JSON.stringify(r).slice(0, 300));
      }
      await callAll(client, label, schemas);
      if (label.endsWith(".tar.zst")) {
        const r = await client.callTool({ name: "get_check", arguments: { verbose: true } });
        check(`${label}: get_check reads the bundle's check.json`, !r.isError && Array.isArray(r.structuredContent?.check) && r.structuredContent.check.length > 0, JSON.stringify(r).slice(0, 300));
      }
    });
  } catch (e) {
    fail(`${label}: session`, e.stack || e.message);
  }
}
process.exit(0);
