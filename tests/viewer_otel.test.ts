// The viewer over a journal written only through OpenTelemetry: no record carries a turn id,
// so the list shows traces (by trace id, with the root span's name) and opens them.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { createJournalSpanProcessor } from "../otel.ts";
import { createJournalSink } from "../mod.ts";
import { collectJournal, serve, type ViewerServer } from "../collector.ts";
import { openJournalSource } from "../src/viewer/journal_source.ts";

const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
after(() => void context.disable());

interface Entry {
  turnId?: string;
  traceId?: string;
  name: string;
  status: string;
  spans: number;
  errors: number;
  open: number;
}
interface Row {
  name: string;
  depth: number;
  status: string;
  traceId?: string;
}

function within<T>(parent: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), parent), fn);
}

/**
 * Two traces written by the OpenTelemetry SDK through the journal's span processor: a
 * finished one whose tool call failed, and one still running. No turn ids anywhere.
 */
async function writeOtelJournal(path: string): Promise<{ failed: string; running: string }> {
  const sink = createJournalSink({ path, fsync: "none" });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "otel-agent" }),
    spanProcessors: [createJournalSpanProcessor({ sink })],
  });
  const tracer = provider.getTracer("agent");
  const first = tracer.startSpan("invoke_agent weather");
  within(first, () => {
    tracer.startSpan("chat gpt-x").end();
    const tool = tracer.startSpan("execute_tool weather");
    tool.setStatus({ code: SpanStatusCode.ERROR, message: "503" });
    tool.end();
  });
  first.end();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = tracer.startSpan("invoke_agent search");
  within(second, () => void tracer.startSpan("chat gpt-y").end());
  await provider.forceFlush();
  sink.close();
  return { failed: first.spanContext().traceId, running: second.spanContext().traceId };
}

async function getJson<T>(viewer: ViewerServer, path: string): Promise<T> {
  const response = await fetch(viewer.url + path);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return await response.json() as T;
}

async function listed(viewer: ViewerServer, want: number): Promise<Entry[]> {
  let list: Entry[] = [];
  for (let i = 0; i < 100; i++) {
    list = (await getJson<{ turns: Entry[] }>(viewer, "/api/turns")).turns;
    if (list.length >= want) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return list;
}

async function assertTraces(viewer: ViewerServer, ids: { failed: string; running: string }) {
  const list = await listed(viewer, 2);
  assert.deepEqual(
    list.map((e) => [e.traceId, e.turnId, e.name, e.status, e.spans, e.errors, e.open]),
    [
      [ids.running, undefined, "invoke_agent search", "open", 2, 0, 1],
      [ids.failed, undefined, "invoke_agent weather", "error", 3, 1, 0],
    ],
  );
  const failed = await getJson<{ spans: Row[] }>(viewer, `/api/trace?id=${ids.failed}`);
  assert.deepEqual(failed.spans.map((span) => [span.depth, span.name, span.status]), [
    [0, "invoke_agent weather", "ok"],
    [1, "chat gpt-x", "ok"],
    [1, "execute_tool weather", "error"],
  ]);
  assert.deepEqual([...new Set(failed.spans.map((span) => span.traceId))], [ids.failed]);
  const filtered = (await getJson<{ turns: Entry[] }>(viewer, "/api/turns?status=error")).turns;
  assert.deepEqual(filtered.map((e) => e.traceId), [ids.failed]);
  const searched = (await getJson<{ turns: Entry[] }>(viewer, "/api/turns?q=SEARCH")).turns;
  assert.deepEqual(searched.map((e) => e.traceId), [ids.running]);
}

test("a journal written only through the OpenTelemetry span processor lists its traces and opens them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "viewer-otel-"));
  try {
    const path = join(dir, "otel.jsonl");
    const ids = await writeOtelJournal(path);
    await using viewer = await serve({ journal: path, port: 0, pollMs: 50 });
    await assertTraces(viewer, ids);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a store collected from such a journal lists the same traces and opens them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "viewer-otel-"));
  try {
    const path = join(dir, "otel.jsonl");
    const db = join(dir, "traces.db");
    const ids = await writeOtelJournal(path);
    await collectJournal(path, { db, once: true });
    await using viewer = await serve({ db, port: 0 });
    await assertTraces(viewer, ids);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("children without a turn inherit their parent's turn and conversation in the journal viewer", async () => {
  const dir = mkdtempSync(join(tmpdir(), "viewer-otel-"));
  try {
    const path = join(dir, "mixed.jsonl");
    const sink = createJournalSink({ path, fsync: "none" });
    const t = Date.now() - 1000;
    const scope = { extensionId: "agent", conversationId: "c1", turnId: "t1" };
    sink.emit({ kind: "span-open", spanId: "root", name: "turn", timestamp: t, ...scope });
    sink.emit({
      kind: "span-open",
      spanId: "tool",
      parentSpanId: "root",
      name: "tool shell",
      timestamp: t + 1,
      extensionId: "agent",
    });
    sink.emit({
      kind: "log",
      level: "error",
      msg: "exit 2",
      timestamp: t + 2,
      spanId: "tool",
      extensionId: "agent",
    });
    sink.emit({
      kind: "span-close",
      spanId: "tool",
      parentSpanId: "root",
      name: "tool shell",
      timestamp: t + 3,
      durationMs: 2,
      status: "error",
      extensionId: "agent",
    });
    sink.emit({
      kind: "span-close",
      spanId: "root",
      name: "turn",
      timestamp: t + 4,
      durationMs: 4,
      status: "ok",
      ...scope,
    });
    sink.close();
    await using viewer = await serve({ journal: path, port: 0, pollMs: 50 });
    const list = await listed(viewer, 1);
    assert.deepEqual(
      list.map((e) => [e.turnId, e.status, e.spans, e.errors]),
      [["t1", "error", 2, 1]],
      "one turn of two spans: the failed child counts",
    );
    const turn = await getJson<{ spans: (Row & { turnId?: string; conversationId?: string })[] }>(
      viewer,
      "/api/turn?id=t1",
    );
    assert.deepEqual(
      turn.spans.map((span) => [span.name, span.status, span.turnId, span.conversationId]),
      [["turn", "ok", "t1", "c1"], ["tool shell", "error", "t1", "c1"]],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("over a store, the traces without a turn are found through the unscoped-span index, never a scan", async () => {
  const { openTraceStore } = await import("../collector.ts");
  const { TRACE_DETAIL_SQL, tracePageSql } = await import("../src/viewer/store_source.ts");
  const store = await openTraceStore(":memory:");
  try {
    for (
      const sql of [
        TRACE_DETAIL_SQL,
        tracePageSql({ limit: 100, offset: 0 }),
        tracePageSql({ limit: 100, offset: 0, extension: "x", status: "error", text: "q" }),
        tracePageSql({ limit: 100, offset: 0, status: "ok" }),
      ]
    ) {
      // Parameters left unbound are NULL: the plan does not depend on their values.
      const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all()
        .map((row) => String(row.detail));
      assert.ok(plan.some((step) => /USING INDEX spans_unscoped/.test(step)), plan.join("\n"));
      const unindexed = plan.filter((step) =>
        /^(SCAN|SEARCH) \w+/.test(step) && !/spans_unscoped/.test(step)
      );
      assert.deepEqual(unindexed, [], `${sql}\n${plan.join("\n")}`);
      assert.ok(!plan.some((step) => /USE TEMP B-TREE FOR ORDER BY/.test(step)), plan.join("\n"));
    }
  } finally {
    store.close();
  }
});

// Over OTLP a child ends, and is sent, before its parent: the receiver writes the children of
// a turn in requests before the one that brings the root and its `journal.turn_id`.
const ADOPT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const T_ADOPT = 1_700_000_000_000;
const fromOtlp = { extensionId: "otlp", traceId: ADOPT_TRACE };

/** One span as the receiver writes it: open, its events as logs, close. */
function spanRecords(
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  start: number,
  end: number,
  more: {
    status?: "ok" | "error";
    logs?: string[];
    close?: Record<string, unknown>;
    scope?: Record<string, string>;
  } = {},
): string {
  const parent = parentSpanId === undefined ? {} : { parentSpanId };
  const lines: object[] = [
    { kind: "span-open", spanId, name, timestamp: start, ...fromOtlp, ...parent, ...more.scope },
    ...(more.logs ?? []).map((msg) => ({
      kind: "log",
      level: "error",
      msg,
      timestamp: start + 1,
      spanId,
      ...fromOtlp,
      ...more.scope,
    })),
    {
      kind: "span-close",
      spanId,
      name,
      timestamp: end,
      durationMs: end - start,
      status: more.status ?? "ok",
      ...fromOtlp,
      ...parent,
      ...more.scope,
      ...(more.close ? { attributes: more.close } : {}),
    },
  ];
  return lines.map((line) => JSON.stringify(line) + "\n").join("");
}

/** The children, in the requests before the root's: the failed tool call first, then the chat. */
const CHILDREN = spanRecords("tool", "chat", "execute_tool grep", T_ADOPT + 20, T_ADOPT + 30, {
  status: "error",
  logs: ["exit 2"],
}) +
  spanRecords("chat", "root", "chat gpt-x", T_ADOPT + 10, T_ADOPT + 40, {
    close: { "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30 },
  });
const ROOT = spanRecords("root", undefined, "invoke_agent", T_ADOPT, T_ADOPT + 50, {
  scope: { turnId: "turn-late", conversationId: "conv-late" },
});

type Source = ReturnType<typeof openJournalSource>;

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const listOf = (source: Source) =>
  source.turns({ offset: 0, limit: 10 }).turns.map((e) => [
    e.turnId ?? `trace ${e.traceId}`,
    e.conversationId,
    e.name,
    e.status,
    e.spans,
    e.errors,
    e.inputTokens,
    e.outputTokens,
  ]);

const ADOPTED_LIST = [
  ["turn-late", "conv-late", "invoke_agent", "error", 3, 1, 120, 30],
];

async function assertAdopted(source: Source): Promise<void> {
  const settled = JSON.stringify(ADOPTED_LIST);
  await until("the turn", () => JSON.stringify(listOf(source)) === settled || undefined)
    .catch(() => {});
  assert.deepEqual(listOf(source), ADOPTED_LIST, "the trace entry is gone, the turn has all");
  const turn = await source.turn("turn-late");
  assert.deepEqual(
    turn?.spans.map((s) => [s.depth, s.name, s.status, s.turnId, s.conversationId, s.logs.length]),
    [
      [0, "invoke_agent", "ok", "turn-late", "conv-late", 0],
      [1, "chat gpt-x", "ok", "turn-late", "conv-late", 0],
      [2, "execute_tool grep", "error", "turn-late", "conv-late", 1],
    ],
  );
  assert.equal(turn?.spans[2].logs[0].msg, "exit 2");
  const trace = await source.trace(ADOPT_TRACE);
  assert.equal(trace?.spans.length, 3, "the trace still opens by its id");
}

for (const maxRecords of [10_000, 0]) {
  const where = maxRecords === 0 ? "read again from the journal" : "kept in memory";
  test(`children written before their root join its turn when it arrives, while following and after a restart (records ${where})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "viewer-otel-"));
    try {
      const path = join(dir, "late-root.jsonl");
      writeFileSync(path, CHILDREN);
      const following = openJournalSource(path, { pollMs: 20, maxRecords });
      try {
        await following.started;
        const before = await until("the trace", () => {
          const list = listOf(following);
          return list[0]?.[4] === 2 ? list : undefined;
        });
        assert.deepEqual(before, [
          [`trace ${ADOPT_TRACE}`, undefined, "chat gpt-x", "error", 2, 1, 120, 30],
        ]);
        appendFileSync(path, ROOT);
        await assertAdopted(following);
      } finally {
        await following.close();
      }
      const restarted = openJournalSource(path, { pollMs: 20, maxRecords });
      try {
        await restarted.started;
        await assertAdopted(restarted);
      } finally {
        await restarted.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("a span of the root's trace that does not descend from it stays listed under the trace", async () => {
  const dir = mkdtempSync(join(tmpdir(), "viewer-otel-"));
  try {
    const path = join(dir, "late-root.jsonl");
    const other = spanRecords("other", "elsewhere", "http GET", T_ADOPT + 5, T_ADOPT + 6);
    writeFileSync(path, other + CHILDREN + ROOT);
    const source = openJournalSource(path, { pollMs: 20 });
    try {
      await source.started;
      await until("both entries", () => listOf(source).length === 2 || undefined);
      assert.deepEqual(listOf(source), [
        [`trace ${ADOPT_TRACE}`, undefined, "http GET", "ok", 1, 0, 0, 0],
        ...ADOPTED_LIST,
      ]);
      const turn = await source.turn("turn-late");
      assert.deepEqual(turn?.spans.map((s) => s.spanId), ["root", "chat", "tool"]);
    } finally {
      await source.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("adopting settles a chain of any depth in one pass, and a cycle of parents adopts nothing", async () => {
  const { adoptOrphans } = await import("../src/viewer/orphan_adoption.ts");
  const span = { kind: "span-open", name: "n", timestamp: 1, extensionId: "x" };
  const chain = Array.from({ length: 10_000 }, (_, i) => ({
    ...span,
    spanId: `s${i}`,
    parentSpanId: `s${i + 1}`,
  }));
  const root = { ...span, spanId: "s10000", turnId: "t", conversationId: "c" };
  const settled = adoptOrphans([...chain, root]);
  assert.equal(settled.adopted, 10_000);
  assert.ok(settled.records.every((r) => r.turnId === "t" && r.conversationId === "c"));
  const cycle = adoptOrphans([
    { ...span, spanId: "a", parentSpanId: "b" },
    { ...span, spanId: "b", parentSpanId: "a" },
    { ...span, spanId: "r", turnId: "t" },
    { ...span, spanId: "other-conversation", parentSpanId: "r", conversationId: "c2" },
  ]);
  assert.equal(cycle.adopted, 0);
});
