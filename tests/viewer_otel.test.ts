// The viewer over a journal written only through OpenTelemetry: no record carries a turn id,
// so the list shows traces (by trace id, with the root span's name) and opens them.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { createJournalSpanProcessor } from "../otel.ts";
import { createJournalSink } from "../mod.ts";
import { collectJournal, serve, type ViewerServer } from "../collector.ts";

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
