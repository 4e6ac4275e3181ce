// A parent that arrives after its children adopts them in the store. OTLP's usual order: a
// BatchSpanProcessor exports each span when it ends, so the children reach the receiver (and
// the journal) in an earlier request than the root that carries `journal.turn_id`. Spans and
// log entries written without a turn before their parent move under the parent's turn and
// conversation when it comes, with their usage, in a later batch of the same run or in a
// later run, with the collector's worker or without; the usage totals do not change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { queryTurn } from "../src/collector/query.ts";
import { queryUsage } from "../src/collector/usage.ts";
import type { TraceSpan } from "../src/traces/traces.ts";
import { openSqlite } from "../src/collector/sqlite.ts";
import { TRACE_STORE_SCHEMA_VERSION } from "../src/collector/schema.ts";
import { DESCENDANTS, LOGS_OF } from "../src/collector/scope_adoption.ts";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "collect-adopt-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const T0 = 1_700_000_000_000;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const host = { extensionId: "otel", traceId: TRACE };

/** A span as the receiver writes it: open and close together, when the span has ended. */
function ended(
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  start: number,
  end: number,
  status: "ok" | "error",
  extra: Partial<LogRecord> = {},
  closeAttributes?: Record<string, unknown>,
): LogRecord[] {
  const parent = parentSpanId === undefined ? {} : { parentSpanId };
  return [
    {
      kind: "span-open",
      spanId,
      ...parent,
      name,
      timestamp: start,
      ...host,
      ...extra,
    } as LogRecord,
    {
      kind: "span-close",
      spanId,
      ...parent,
      name,
      timestamp: end,
      durationMs: end - start,
      status,
      ...host,
      ...(closeAttributes === undefined ? {} : { attributes: closeAttributes }),
    } as LogRecord,
  ];
}

function log(spanId: string, msg: string, timestamp: number, level = "info"): LogRecord {
  return { kind: "log", level, msg, timestamp, spanId, ...host } as LogRecord;
}

/**
 * One turn in OTLP's export order: the children (a chat span with usage, a failed tool call
 * with a log entry and a grandchild exported before it), `pad` log entries of the root, then
 * the root, which alone says its turn and conversation.
 */
function exportOrder(pad: number): { children: LogRecord[]; root: LogRecord[] } {
  const children: LogRecord[] = [
    ...ended("chat", "root", "chat m", T0 + 100, T0 + 200, "ok", {}, {
      "gen_ai.request.model": "m",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
    }),
    log("tool", "grep failed", T0 + 310, "error"),
    ...ended("sub", "tool", "read", T0 + 320, T0 + 330, "ok"),
    ...ended("tool", "root", "grep", T0 + 300, T0 + 400, "error"),
    ...Array.from({ length: pad }, (_, i) => log("root", `thinking ${i}`, T0 + 1 + i, "debug")),
  ];
  const root = ended("root", undefined, "turn", T0, T0 + 500, "ok", {
    conversationId: "conv",
    turnId: "turn-1",
  });
  return { children, root };
}

const lines = (records: LogRecord[]) => records.map((r) => JSON.stringify(r) + "\n").join("");

function flatten(spans: TraceSpan[]): TraceSpan[] {
  return spans.flatMap((span) => [span, ...flatten(span.children)]);
}

/** The usage tables and the turns, as `query --usage` and retention read them. */
function usageTables(store: TraceStore): unknown {
  const rows = (sql: string) => store.db.prepare(sql).all().map((row) => ({ ...row }));
  return {
    totals: rows("SELECT * FROM usage_totals WHERE spans > 0 ORDER BY model, extension_id"),
    by: rows("SELECT * FROM usage_by WHERE spans > 0 ORDER BY scope, has_key, key, model"),
    turns: rows("SELECT turn_id, conversation_id, first_ms, last_ms FROM turns"),
  };
}

/** The same journal read in one batch: the planner settles every child there. */
async function inOneBatch(records: LogRecord[]): Promise<unknown> {
  const store = await openTraceStore(":memory:");
  store.ingest(records);
  const tables = usageTables(store);
  store.close();
  return tables;
}

/** What the store says of the turn: its spans, the failed one, its logs, its usage. */
function assertAdopted(store: TraceStore, reference: unknown, what: string): void {
  const forest = queryTurn(store, "turn-1", "conv");
  const spans = flatten(forest.roots);
  assert.deepEqual(spans.map((s) => s.spanId).sort(), ["chat", "root", "sub", "tool"], what);
  assert.deepEqual(forest.roots.map((s) => s.spanId), ["root"], `${what}: one tree`);
  const tool = spans.find((s) => s.spanId === "tool")!;
  assert.equal(tool.status, "error", `${what}: the failed tool call is in the turn`);
  assert.ok(tool.logs.some((l) => l.msg === "grep failed"), `${what}: the tool's log entry`);
  for (const table of ["spans", "logs"]) {
    const outside = store.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE turn_key IS NULL`)
      .get()?.n;
    assert.equal(outside, 0, `${what}: every row of ${table} is in the turn`);
  }
  const scopes = store.db.prepare(
    "SELECT DISTINCT conversation_id AS c, turn_id AS t FROM spans UNION SELECT DISTINCT conversation_id, turn_id FROM logs",
  ).all().map((row) => `${row.c}/${row.t}`);
  assert.deepEqual(scopes, ["conv/turn-1"], `${what}: the rows say their turn`);
  const byTurn = queryUsage(store, { by: "turn" }).map((
    r,
  ) => [r.key, r.inputTokens, r.outputTokens]);
  assert.deepEqual(byTurn, [["turn-1", 120, 30]], `${what}: the tokens are the turn's`);
  const byConversation = queryUsage(store, { by: "conversation" })
    .map((r) => [r.key, r.inputTokens, r.outputTokens]);
  assert.deepEqual(byConversation, [["conv", 120, 30]], `${what}: and the conversation's`);
  const byModel = queryUsage(store, { by: "model" }).map((r) => [r.key, r.inputTokens, r.spans]);
  assert.deepEqual(byModel, [["m", 120, 1]], `${what}: the totals do not change`);
  assert.deepEqual(usageTables(store), reference, `${what}: the tables a one-batch read gives`);
}

test("children collected by one run are adopted by their parent collected by the next, with the worker or without", async () => {
  const { children, root } = exportOrder(3);
  const reference = await inOneBatch([...children, ...root]);
  for (const worker of [false, true]) {
    using tmp = tempDir();
    const path = join(tmp.dir, "otlp.jsonl");
    const db = join(tmp.dir, "traces.db");
    writeFileSync(path, lines(children));
    await collectJournal(path, { db, once: true, worker });
    const before = await openTraceStore(db, { readOnly: true });
    const unscoped = before.db.prepare("SELECT count(*) AS n FROM spans WHERE turn_key IS NULL")
      .get()?.n;
    before.close();
    assert.equal(unscoped, 3, "the children wait without a turn");
    appendFileSync(path, lines(root));
    await collectJournal(path, { db, once: true, worker });
    const store = await openTraceStore(db, { readOnly: true });
    assertAdopted(store, reference, `worker ${worker}`);
    store.close();
  }
});

test("children read in an earlier batch than their parent are adopted by it, with the worker or on one thread", async () => {
  const { children, root } = exportOrder(60);
  const reference = await inOneBatch([...children, ...root]);
  for (const worker of [false, true]) {
    using tmp = tempDir();
    const path = join(tmp.dir, "otlp.jsonl");
    writeFileSync(path, lines([...children, ...root]));
    const store = await openTraceStore(":memory:");
    const stats = await collectJournal(path, { db: store, once: true, chunkSize: 512, worker });
    const what = `chunkSize 512, worker ${worker}`;
    assert.ok(stats.batches > 3, `${what}: the turn spans batches (${stats.batches})`);
    assertAdopted(store, reference, what);
    store.close();
  }
});

test("a child of a child, stored before both, is adopted when the root comes", async () => {
  const { children, root } = exportOrder(0);
  const reference = await inOneBatch([...children, ...root]);
  const store = await openTraceStore(":memory:");
  // Each record its own batch: nothing is settled by the planner.
  for (const record of [...children, ...root]) store.ingest([record]);
  assertAdopted(store, reference, "a batch a record");
  store.close();
});

test("a version 4 store is migrated: the children it stored before their root are adopted when the root comes", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "traces.db");
  // The fixture holds what version 4 stored of the children (chat, the tool and its log).
  const db = await openSqlite(path);
  db.exec(readFileSync(new URL("./fixtures/trace_store_v4.sql", import.meta.url), "utf8"));
  db.close();
  const { children, root } = exportOrder(0);
  const reference = await inOneBatch([
    ...children.filter((r) => r.spanId === "chat" || r.spanId === "tool"),
    ...root,
  ]);
  const store = await openTraceStore(path);
  assert.equal(store.db.prepare("PRAGMA user_version").get()?.user_version, 7);
  assert.equal(TRACE_STORE_SCHEMA_VERSION, 7);
  const indexes = store.db.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%unscoped_by%' ORDER BY 1",
  ).all().map((row) => row.name);
  assert.deepEqual(indexes, ["logs_unscoped_by_span", "spans_unscoped_by_parent"]);
  store.ingest(root);
  const spans = flatten(queryTurn(store, "turn-1", "conv").roots).map((s) => s.spanId).sort();
  assert.deepEqual(spans, ["chat", "root", "tool"]);
  assert.equal(
    store.db.prepare("SELECT count(*) AS n FROM logs WHERE turn_id = 'turn-1'").get()?.n,
    1,
  );
  assert.deepEqual(usageTables(store), reference);
  store.close();
});

test("adoption reads the indexes of rows waiting for a scope, never a table", async () => {
  const store = await openTraceStore(":memory:");
  for (const sql of [DESCENDANTS, LOGS_OF]) {
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all("[]").map((r) => r.detail);
    assert.ok(
      plan.some((step) => /unscoped_by_(parent|span)/.test(String(step))),
      plan.join("\n"),
    );
    for (const step of plan) {
      assert.ok(!/^SCAN (s|l|spans|logs)\b/.test(String(step)), `${step} in\n${plan.join("\n")}`);
    }
  }
  store.close();
});

test("a store whose records carry their own turn asks no adoption query", async () => {
  const store = await openTraceStore(":memory:");
  const { children, root } = exportOrder(0);
  const scoped = [...children, ...root].map((r) => ({
    ...r,
    turnId: "turn-1",
    conversationId: "conv",
  }));
  let asked = 0;
  const prepare = store.db.prepare.bind(store.db);
  // Every run of a statement about rows without a scope is counted.
  store.db.prepare = (sql: string) => {
    const statement = prepare(sql);
    if (!/turn_key IS NULL/.test(sql)) return statement;
    const counted = <A extends unknown[], R>(run: (...args: A) => R) => (...args: A): R => {
      asked++;
      return run(...args);
    };
    return {
      run: counted(statement.run.bind(statement)),
      get: counted(statement.get.bind(statement)),
      all: counted(statement.all.bind(statement)),
      write: counted(statement.write.bind(statement)),
    };
  };
  store.ingest(scoped.slice(0, 4));
  const first = asked;
  store.ingest(scoped.slice(4));
  store.ingest(scoped);
  assert.equal(asked, first, "after the first batch, no question about waiting rows");
  assert.ok(first <= 2, `the first batch asks at most whether any row waits (${first})`);
  store.close();
});
