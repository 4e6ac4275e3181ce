// Spans and logs without a turn of their own belong to their parent's turn in the store:
// a journal whose host scopes only the root span (or spans received over OTLP where only the
// root carries `journal.turn_id`) shows the whole turn, its tokens and its failed tool call,
// however the journal is cut into batches, with the collector's worker or without, and when
// the parent was collected by an earlier run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { queryTurn } from "../src/collector/query.ts";
import { queryUsage } from "../src/collector/usage.ts";
import type { TraceSpan } from "../src/traces/traces.ts";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "collect-inherit-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const T0 = 1_700_000_000_000;
const TRACE = "5b8efff798038103d269b633813fc60c";
const host = { extensionId: "host", traceId: TRACE };

/**
 * One turn whose root alone says its turn and conversation: a chat span with usage on its
 * close, a failing tool call with a log entry and a grandchild inside it, and `pad` log
 * entries of the root between them, so that small batches cut the turn apart.
 */
function turnJournal(pad: number): { head: LogRecord[]; rest: LogRecord[] } {
  const root: LogRecord = {
    kind: "span-open",
    spanId: "root",
    name: "turn",
    timestamp: T0,
    ...host,
    conversationId: "conv",
    turnId: "turn-1",
  };
  const padding = (from: number): LogRecord[] =>
    Array.from({ length: pad }, (_, i) => ({
      kind: "log",
      level: "debug",
      msg: `thinking ${from + i}`,
      timestamp: T0 + 1 + from + i,
      spanId: "root",
      ...host,
    }));
  const rest: LogRecord[] = [
    ...padding(0),
    {
      kind: "span-open",
      spanId: "chat",
      parentSpanId: "root",
      name: "chat m",
      timestamp: T0 + 100,
      ...host,
    },
    ...padding(pad),
    {
      kind: "span-close",
      spanId: "chat",
      parentSpanId: "root",
      name: "chat m",
      timestamp: T0 + 200,
      durationMs: 100,
      status: "ok",
      ...host,
      attributes: { "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30 },
    },
    {
      kind: "span-open",
      spanId: "tool",
      parentSpanId: "root",
      name: "grep",
      timestamp: T0 + 300,
      ...host,
    },
    ...padding(2 * pad),
    {
      kind: "log",
      level: "error",
      msg: "grep failed",
      timestamp: T0 + 310,
      spanId: "tool",
      ...host,
    },
    {
      kind: "span-open",
      spanId: "sub",
      parentSpanId: "tool",
      name: "read",
      timestamp: T0 + 320,
      ...host,
    },
    {
      kind: "span-close",
      spanId: "sub",
      parentSpanId: "tool",
      name: "read",
      timestamp: T0 + 330,
      durationMs: 10,
      status: "ok",
      ...host,
    },
    {
      kind: "span-close",
      spanId: "tool",
      parentSpanId: "root",
      name: "grep",
      timestamp: T0 + 400,
      durationMs: 100,
      status: "error",
      ...host,
    },
    ...padding(3 * pad),
    {
      kind: "span-close",
      spanId: "root",
      name: "turn",
      timestamp: T0 + 500,
      durationMs: 500,
      status: "ok",
      ...host,
    },
  ];
  return { head: [root], rest };
}

const lines = (records: LogRecord[]) => records.map((r) => JSON.stringify(r) + "\n").join("");

function flatten(spans: TraceSpan[]): TraceSpan[] {
  return spans.flatMap((span) => [span, ...flatten(span.children)]);
}

/** What the store says of the turn: its spans, the failed one, its logs, usage by turn. */
function assertWholeTurn(store: TraceStore, what: string): void {
  const forest = queryTurn(store, "turn-1", "conv");
  const spans = flatten(forest.roots);
  assert.deepEqual(spans.map((s) => s.spanId).sort(), ["chat", "root", "sub", "tool"], what);
  assert.deepEqual(forest.roots.map((s) => s.spanId), ["root"], `${what}: one tree`);
  const tool = spans.find((s) => s.spanId === "tool")!;
  assert.equal(tool.status, "error", `${what}: the failed tool call is in the turn`);
  assert.ok(tool.logs.some((l) => l.msg === "grep failed"), `${what}: the tool's log entry`);
  const logsOutside = store.db.prepare("SELECT count(*) AS n FROM logs WHERE turn_key IS NULL")
    .get()?.n;
  assert.equal(logsOutside, 0, `${what}: every log entry is in the turn`);
  const byTurn = queryUsage(store, { by: "turn" }).map((
    r,
  ) => [r.key, r.inputTokens, r.outputTokens]);
  assert.deepEqual(byTurn, [["turn-1", 120, 30]], `${what}: the tokens are the turn's`);
  const byConversation = queryUsage(store, { by: "conversation" }).map((r) => r.key);
  assert.deepEqual(byConversation, ["conv"], what);
}

test("children without a turn inherit their parent's turn and conversation, in one batch or across batches, with the worker or without", async () => {
  for (const [pad, chunkSize] of [[0, 65536], [40, 512]]) {
    const { head, rest } = turnJournal(pad);
    for (const worker of [false, true]) {
      using tmp = tempDir();
      const path = join(tmp.dir, "agent.jsonl");
      writeFileSync(path, lines([...head, ...rest]));
      const store = await openTraceStore(":memory:");
      const stats = await collectJournal(path, { db: store, once: true, chunkSize, worker });
      const what = `pad ${pad}, chunkSize ${chunkSize}, worker ${worker}`;
      if (pad > 0) assert.ok(stats.batches > 3, `${what}: the turn spans batches`);
      assertWholeTurn(store, what);
      store.close();
    }
  }
});

test("children inherit the turn of a parent that an earlier run of the collector stored", async () => {
  for (const worker of [false, true]) {
    using tmp = tempDir();
    const path = join(tmp.dir, "agent.jsonl");
    const db = join(tmp.dir, "traces.db");
    const { head, rest } = turnJournal(0);
    writeFileSync(path, lines(head));
    await collectJournal(path, { db, once: true, worker });
    // A new collector (and planner) knows the root only through the store.
    appendFileSync(path, lines(rest));
    await collectJournal(path, { db, once: true, worker });
    const store = await openTraceStore(db, { readOnly: true });
    assertWholeTurn(store, `worker ${worker}`);
    store.close();
  }
});

test("children written before their parent in the same batch (OTLP's export order) inherit its turn", async () => {
  const { head, rest } = turnJournal(0);
  // The SDK exports a span when it ends: the children first, the root last.
  const byEnd = [
    ...rest.filter((r) => r.spanId !== "root"),
    ...head,
    ...rest.filter((r) => r.spanId === "root"),
  ];
  const store = await openTraceStore(":memory:");
  store.ingest(byEnd);
  assertWholeTurn(store, "children first");
  store.close();
});

test("a close without open starts no earlier than its parent's open, in the parent's batch or a later one", async () => {
  const parent: LogRecord = {
    kind: "span-open",
    spanId: "p",
    name: "turn",
    timestamp: T0,
    extensionId: "host",
    turnId: "t",
  };
  // Its duration, measured on a monotonic clock, is a little longer than the timestamps say.
  const child = (spanId: string, durationMs: number): LogRecord => ({
    kind: "span-close",
    spanId,
    parentSpanId: "p",
    name: "tool",
    timestamp: T0 + 50,
    durationMs,
    status: "ok",
    extensionId: "host",
  });
  const starts = (store: TraceStore) =>
    Object.fromEntries(
      store.db.prepare("SELECT span_id, start_ms FROM spans WHERE span_id != 'p'").all()
        .map((row) => [row.span_id, row.start_ms]),
    );
  const same = await openTraceStore(":memory:");
  same.ingest([parent, child("a", 50.4), child("b", 20)]);
  assert.deepEqual(starts(same), { a: T0, b: T0 + 30 });
  same.close();
  const later = await openTraceStore(":memory:");
  later.ingest([parent]);
  later.ingest([child("a", 50.4), child("b", 20)]);
  assert.deepEqual(starts(later), { a: T0, b: T0 + 30 });
  later.close();
});
