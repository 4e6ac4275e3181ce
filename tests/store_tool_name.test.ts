// The store's `tool_name` column (schema version 7): filled at ingest by the one rule (a string
// `gen_ai.tool.name`, the close's over the open's) wherever a span's row is written or completed,
// filled by SQL when a version 6 store is migrated, and what `/stats` groups tools by (a store of
// version 6, read as it is, still answers from the attributes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "../mod.ts";
import { BatchPlanner } from "../src/collector/batch_planner.ts";
import { applyTraceStoreSchema, TRACE_STORE_SCHEMA_VERSION } from "../src/collector/schema.ts";
import { openSqlite } from "../src/collector/sqlite.ts";
import { StoreWriter } from "../src/collector/store_writer.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { storeStats } from "../src/viewer/store_stats.ts";

const scope = { extensionId: "host", conversationId: "c", turnId: "t" };
const open = (spanId: string, attributes?: Record<string, unknown>): LogRecord => ({
  kind: "span-open",
  spanId,
  name: "execute_tool",
  timestamp: 1_000,
  ...scope,
  ...(attributes ? { attributes } : {}),
});
const close = (spanId: string, attributes?: Record<string, unknown>): LogRecord => ({
  kind: "span-close",
  spanId,
  name: "execute_tool",
  timestamp: 1_100,
  durationMs: 100,
  status: "ok",
  ...scope,
  ...(attributes ? { attributes } : {}),
});
const TOOL = "gen_ai.tool.name";

test("the collector fills tool_name from gen_ai.tool.name, the close's over the open's, in every path a span row takes", async () => {
  const db = await openSqlite(":memory:");
  applyTraceStoreSchema(db);
  const planner = new BatchPlanner();
  const writer = new StoreWriter(db);
  const batches: LogRecord[][] = [
    [
      open("same-batch", { [TOOL]: "search" }),
      close("same-batch"),
      open("renamed", { [TOOL]: "search" }),
      close("renamed", { [TOOL]: "fetch" }),
      open("named-at-close"),
      close("named-at-close", { [TOOL]: "shell" }),
      open("not-a-string", { [TOOL]: 7 }),
      close("not-a-string"),
      open("none", { other: 1 }),
      close("none"),
      open("still-open", { [TOOL]: "wait" }),
      open("later", { [TOOL]: "grep" }),
      open("later-renamed", { [TOOL]: "grep" }),
    ],
    // Closes whose opens are in an earlier batch (the store completes the row), and one whose
    // open was never read.
    [close("later"), close("later-renamed", { [TOOL]: "rg" }), close("orphan", { [TOOL]: "ls" })],
  ];
  for (const batch of batches) {
    db.exec("BEGIN");
    writer.write(planner.plan(batch));
    db.exec("COMMIT");
  }
  const rows = db.prepare("SELECT span_id, tool_name FROM spans ORDER BY span_id").all();
  assert.deepEqual(
    Object.fromEntries(rows.map((r) => [r.span_id, r.tool_name])),
    {
      "same-batch": "search",
      renamed: "fetch",
      "named-at-close": "shell",
      "not-a-string": null,
      none: null,
      "still-open": "wait",
      later: "grep",
      "later-renamed": "rg",
      orphan: "ls",
    },
  );
  db.close();
});

test("a version 6 store is migrated to 7: its spans' tool names are filled from their attributes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tool-name-v6-"));
  try {
    const path = join(dir, "traces.db");
    const db = await openSqlite(path);
    db.exec(readFileSync(new URL("./fixtures/trace_store_v6.sql", import.meta.url), "utf8"));
    db.exec(
      `INSERT INTO spans (span_id, name, start_ms, end_ms, duration_ms, status, extension_id,
        attributes, links) VALUES
      ('a', 'execute_tool', 1, 5, 4, 'ok', 'host', '{"gen_ai.tool.name":"search","x":1}', '[]'),
      ('b', 'execute_tool', 2, 6, 4, 'error', 'host', '{"gen_ai.tool.name":["not","text"]}', '[]'),
      ('c', 'chat', 3, 7, 4, 'ok', 'host', '{"gen_ai.request.model":"m"}', '[]'),
      ('d', 'execute_tool', 4, NULL, NULL, 'open', 'host', '{"gen_ai.tool.name":"wait"}', '[]'),
      ('e', 'chat', 5, 9, 4, 'ok', 'host', NULL, '[]');`,
    );
    db.close();
    const store = await openTraceStore(path);
    assert.equal(store.db.prepare("PRAGMA user_version").get()?.user_version, 7);
    assert.equal(TRACE_STORE_SCHEMA_VERSION, 7);
    const rows = store.db.prepare("SELECT span_id, tool_name FROM spans ORDER BY span_id").all();
    assert.deepEqual(rows.map((r) => [r.span_id, r.tool_name]), [
      ["a", "search"],
      ["b", null],
      ["c", null],
      ["d", "wait"],
      ["e", null],
    ]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("/stats groups tools by tool_name, and from a version 6 store read as it is by the attributes, with the same rows", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tool-name-stats-"));
  try {
    const old = join(dir, "v6.db");
    const setup = await openSqlite(old);
    setup.exec(readFileSync(new URL("./fixtures/trace_store_v6.sql", import.meta.url), "utf8"));
    setup.exec(
      `INSERT INTO spans (span_id, name, start_ms, end_ms, duration_ms, status, extension_id,
        attributes, links) VALUES
      ('a', 'execute_tool', 1000, 1100, 100, 'ok', 'host', '{"gen_ai.tool.name":"search"}', '[]'),
      ('b', 'execute_tool', 2000, 2300, 300, 'error', 'host', '{"gen_ai.tool.name":"search"}', '[]'),
      ('c', 'execute_tool', 3000, 3050, 50, 'ok', 'host', '{"gen_ai.tool.name":"fetch"}', '[]'),
      ('d', 'chat', 4000, 4010, 10, 'ok', 'host', '{"gen_ai.tool.name":7}', '[]');`,
    );
    setup.close();
    const toolRows = async (path: string) => {
      const db = await openSqlite(path, { readOnly: true });
      const answer = storeStats(db, undefined)({});
      db.close();
      return answer.rows.filter((r) => r.kind === "tool").map((r) => [
        r.key,
        r.calls,
        r.errors,
        r.p50Ms,
        r.p99Ms,
      ]);
    };
    const expected = [["search", 2, 1, 100, 300], ["fetch", 1, 0, 50, 50]];
    assert.deepEqual(await toolRows(old), expected);
    // Migrated: the column answers, and the same.
    (await openTraceStore(old)).close();
    const migrated = await openSqlite(old, { readOnly: true });
    assert.equal(migrated.prepare("SELECT count(tool_name) AS n FROM spans").get()?.n, 3);
    migrated.close();
    assert.deepEqual(await toolRows(old), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
