import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { createJournalSpanProcessor, type JournalSpanProcessorOptions } from "../otel.ts";
import { createJournalSink } from "../src/sink/journal_sink.ts";
import { createLogger } from "../src/logger/logger.ts";
import type { LogEntry, LogRecord, SpanClose, SpanOpen } from "../src/records.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import type { JournalRecord } from "../src/reader/journal_record.ts";
import { reconstructTraces, type TraceSpan } from "../src/traces/traces.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { queryOpenSpans } from "../src/collector/query.ts";
import { createFakeFs } from "../src/testing/fake_fs.ts";
import { parseLines } from "./_helpers.ts";

const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
after(() => {
  context.disable();
});

function setup(options: Partial<JournalSpanProcessorOptions> = {}, serviceName = "agent-host") {
  const records: LogRecord[] = [];
  const sink = { emit: (record: LogRecord) => void records.push(record) };
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [createJournalSpanProcessor({ sink, ...options })],
  });
  return { records, provider, tracer: provider.getTracer("agent", "1.2.3") };
}

function allSpans(roots: TraceSpan[]): TraceSpan[] {
  return roots.flatMap((span) => [span, ...allSpans(span.children)]);
}

function within<T>(parent: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), parent), fn);
}

describe("createJournalSpanProcessor with the OpenTelemetry SDK", () => {
  test("a parent that never ends reads as open, its ended children as ok and error", () => {
    const { records, tracer } = setup();
    const turn = tracer.startSpan("turn");
    within(turn, () => {
      tracer.startSpan("llm-call").end();
      const tool = tracer.startSpan("tool-call");
      tool.setStatus({ code: SpanStatusCode.ERROR, message: "exit code 2" });
      tool.end();
    });

    const forest = reconstructTraces(records);
    assert.equal(forest.roots.length, 1);
    const [root] = forest.roots;
    assert.equal(root.spanId, turn.spanContext().spanId);
    assert.equal(root.status, "open");
    assert.deepEqual(forest.open.map((span) => span.name), ["turn"]);
    assert.deepEqual(root.children.map((span) => [span.name, span.status]), [
      ["llm-call", "ok"],
      ["tool-call", "error"],
    ]);
    assert.equal(root.children[1].attributes["otel.status_description"], "exit code 2");
    for (const span of allSpans(forest.roots)) assert.deepEqual(span.anomalies, [], span.name);
    const traceId = turn.spanContext().traceId;
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.deepEqual([...new Set(records.map((record) => record.traceId))], [traceId]);
  });

  test("span-open is written when the span starts, with the OTel ids, start time and scope", () => {
    const { records, tracer } = setup();
    const parent = tracer.startSpan("parent");
    const start = Date.UTC(2026, 0, 2, 3, 4, 5) + 0.25;
    const child = within(parent, () =>
      tracer.startSpan("GET /users", {
        kind: SpanKind.CLIENT,
        startTime: start,
        attributes: { "http.method": "GET", retries: [1, 2] },
      }));
    assert.equal(records.length, 2, "both opens are written before anything ends");
    const open = records[1] as SpanOpen;
    assert.deepEqual(open, {
      kind: "span-open",
      spanId: child.spanContext().spanId,
      traceId: child.spanContext().traceId,
      name: "GET /users",
      timestamp: start,
      extensionId: "agent-host",
      parentSpanId: parent.spanContext().spanId,
      attributes: {
        "http.method": "GET",
        retries: [1, 2],
        "otel.scope.name": "agent",
        "otel.scope.version": "1.2.3",
        "span.kind": "client",
      },
    });
    assert.equal((records[0] as SpanOpen).attributes?.["span.kind"], undefined, "internal");
  });

  test("span-close carries end time, duration and only the attributes set or changed since", () => {
    const { records, tracer } = setup();
    const start = Date.UTC(2026, 0, 2, 3, 4, 5);
    const span = tracer.startSpan("tool-call", {
      startTime: start,
      attributes: { tool: "grep", retries: [1], same: "x" },
    });
    span.setAttribute("same", "x");
    span.setAttribute("retries", [1, 2]);
    span.setAttribute("gen_ai.usage.output_tokens", 42);
    span.end(start + 12.5);
    const close = records[1] as SpanClose;
    assert.equal(close.kind, "span-close");
    assert.equal(close.spanId, span.spanContext().spanId);
    assert.equal(close.timestamp, start + 12.5);
    assert.equal(close.durationMs, 12.5);
    assert.equal(close.status, "ok");
    assert.equal(close.extensionId, "agent-host");
    assert.deepEqual(close.attributes, { retries: [1, 2], "gen_ai.usage.output_tokens": 42 });
    const [merged] = reconstructTraces(records).roots;
    assert.deepEqual(merged.attributes, {
      tool: "grep",
      retries: [1, 2],
      same: "x",
      "gen_ai.usage.output_tokens": 42,
      "otel.scope.name": "agent",
      "otel.scope.version": "1.2.3",
    });
    assert.equal(merged.durationMs, 12.5);
  });

  test("span events become log entries under the span, an exception at level error", () => {
    const { records, tracer } = setup();
    const span = tracer.startSpan("tool-call");
    span.addEvent("retrying", { attempt: 2 });
    span.recordException(new TypeError("bad input"));
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    const logs = records.filter((record): record is LogEntry => record.kind === "log");
    assert.deepEqual(logs.map((entry) => [entry.msg, entry.level]), [
      ["retrying", "info"],
      ["exception", "error"],
    ]);
    const { spanId, traceId } = span.spanContext();
    for (const entry of logs) {
      assert.equal(entry.spanId, spanId);
      assert.equal(entry.traceId, traceId);
    }
    assert.deepEqual(logs[0].attributes, { attempt: 2 });
    assert.equal(logs[1].attributes?.["exception.type"], "TypeError");
    assert.equal(logs[1].attributes?.["exception.message"], "bad input");
    assert.match(String(logs[1].attributes?.["exception.stacktrace"]), /bad input/);
    assert.equal(records.at(-1)?.kind, "span-close", "events are written before the close");
    const [root] = reconstructTraces(records).roots;
    assert.equal(root.logs.length, 2);
    assert.equal(root.status, "error");
  });

  test("links keep the linked span and trace ids and their attributes", () => {
    const { records, tracer } = setup();
    const earlier = tracer.startSpan("earlier");
    earlier.end();
    const other = tracer.startSpan("other");
    other.end();
    const span = tracer.startSpan("retry", {
      links: [{ context: earlier.spanContext(), attributes: { "link.reason": "retry-of" } }],
    });
    span.addLink({ context: other.spanContext() });
    span.end();
    const open = records.find((r) => r.kind === "span-open" && r.name === "retry") as SpanOpen;
    assert.deepEqual(open.links, [{
      spanId: earlier.spanContext().spanId,
      traceId: earlier.spanContext().traceId,
      attributes: { "link.reason": "retry-of" },
    }]);
    const close = records.at(-1) as SpanClose;
    assert.deepEqual(close.links, [{
      spanId: other.spanContext().spanId,
      traceId: other.spanContext().traceId,
    }]);
    const retry = reconstructTraces(records).roots.find((s) => s.name === "retry");
    assert.deepEqual(retry?.links.map((link) => link.spanId), [
      earlier.spanContext().spanId,
      other.spanContext().spanId,
    ]);
  });

  test("gen_ai.conversation.id names the conversation of the span and of its descendants", async () => {
    const { records, tracer } = setup();
    await tracer.startActiveSpan("invoke_agent", async (agent) => {
      agent.setAttribute("gen_ai.conversation.id", "conv-7"); // after the start
      await new Promise((resolve) => setTimeout(resolve, 1));
      tracer.startActiveSpan("chat", (chat) => {
        tracer.startSpan("execute_tool").end();
        chat.end();
      });
      agent.end();
    });
    const byName = new Map(
      allSpans(reconstructTraces(records).roots).map((span) => [span.name, span]),
    );
    assert.equal(byName.get("chat")?.conversationId, "conv-7");
    assert.equal(byName.get("execute_tool")?.conversationId, "conv-7");
    const agentClose = records.find((r) => r.kind === "span-close" && r.name === "invoke_agent");
    assert.equal(agentClose?.conversationId, "conv-7");
  });

  test("inside a journal logger's withSpan on the same sink, spans take its conversation and turn", async () => {
    const records: LogRecord[] = [];
    const sink = { emit: (record: LogRecord) => void records.push(record) };
    const provider = new TracerProvider({
      spanProcessors: [createJournalSpanProcessor({ sink, extensionId: "otel-lib" })],
    });
    const tracer = provider.getTracer("lib");
    const host = createLogger({ sink, extensionId: "host", conversationId: "c1", turnId: "t1" });
    await host.withSpan("turn", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      tracer.startActiveSpan("http", (http) => {
        tracer.startSpan("dns").end();
        http.end();
      });
    });
    const otel = records.filter((record) => record.extensionId === "otel-lib");
    assert.equal(otel.length, 4);
    for (const record of otel) {
      assert.equal(record.conversationId, "c1");
      assert.equal(record.turnId, "t1");
    }
  });

  test("extensionId: the option, else the resource's service.name", () => {
    const named = setup({}, "checkout");
    named.tracer.startSpan("a").end();
    assert.deepEqual(named.records.map((r) => r.extensionId), ["checkout", "checkout"]);
    const fixed = setup({ extensionId: "host-fixed" }, "checkout");
    fixed.tracer.startSpan("a").end();
    assert.deepEqual(fixed.records.map((r) => r.extensionId), ["host-fixed", "host-fixed"]);
  });

  test("forceFlush flushes the journal; shutdown flushes and leaves the host's sink open", async () => {
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "otel.jsonl", fs, fsync: "none" });
    const provider = new TracerProvider({
      spanProcessors: [createJournalSpanProcessor({ sink })],
    });
    const tracer = provider.getTracer("t");
    tracer.startSpan("a").end();
    const fsyncs = fs.calls.fsync ?? 0;
    await provider.forceFlush();
    const flushed = fs.calls.fsync ?? 0;
    assert.ok(flushed > fsyncs, "forceFlush reached the disk");
    tracer.startSpan("b").end();
    await provider.shutdown();
    assert.ok((fs.calls.fsync ?? 0) > flushed, "shutdown flushed");
    tracer.startSpan("after shutdown").end();
    sink.emit({ kind: "log", level: "info", msg: "host", timestamp: 1, extensionId: "host" });
    assert.equal(sink.stats.dropped, 0, "the sink is still open for its owner");
    sink.close();
    const lines = parseLines(fs.text("otel.jsonl"));
    assert.deepEqual(lines.map((line) => line.name ?? line.msg), ["a", "a", "b", "b", "host"]);
  });

  test("with closeSinkOnShutdown, shutdown closes the sink", async () => {
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "otel.jsonl", fs, onError: () => {} });
    const provider = new TracerProvider({
      spanProcessors: [createJournalSpanProcessor({ sink, closeSinkOnShutdown: true })],
    });
    provider.getTracer("t").startSpan("a").end();
    await provider.shutdown();
    sink.emit({ kind: "log", level: "info", msg: "late", timestamp: 1, extensionId: "host" });
    assert.equal(sink.stats.dropped, 1);
    assert.equal(parseLines(fs.text("otel.jsonl")).length, 2);
  });

  test("a throwing sink or a malformed span never throws into the SDK", async () => {
    const errors: unknown[] = [];
    const processor = createJournalSpanProcessor({
      sink: {
        emit: () => {
          throw new Error("disk on fire");
        },
        flush: () => {
          throw new Error("flush failed");
        },
      },
      onError: (error) => errors.push(error),
    });
    const provider = new TracerProvider({ spanProcessors: [processor] });
    assert.doesNotThrow(() => provider.getTracer("t").startSpan("a").end());
    assert.equal(errors.length, 2);
    const broken = {} as never;
    assert.doesNotThrow(() => processor.onStart(broken, { getValue: () => undefined }));
    assert.doesNotThrow(() => processor.onEnd(broken));
    assert.doesNotThrow(() => processor.onStart(null as never, null as never));
    await processor.forceFlush();
    await processor.shutdown();
    assert.equal(errors.length, 7);
  });

  test("a span whose start the processor did not see closes with all its attributes and links", () => {
    const records: LogRecord[] = [];
    const processor = createJournalSpanProcessor({ sink: { emit: (r) => void records.push(r) } });
    const tracer = new TracerProvider().getTracer("elsewhere");
    const linked = tracer.startSpan("linked");
    const span = tracer.startSpan("late", {
      attributes: { tool: "grep" },
      links: [{ context: linked.spanContext() }],
    });
    span.end();
    processor.onEnd(span as never);
    assert.equal(records.length, 1);
    const close = records[0] as SpanClose;
    assert.deepEqual(close.attributes, { tool: "grep" });
    assert.deepEqual(close.links?.map((link) => link.spanId), [linked.spanContext().spanId]);
    assert.deepEqual(reconstructTraces(records).roots[0].anomalies, ["close-without-open"]);
  });

  test("options are checked when the processor is made", () => {
    assert.throws(() => createJournalSpanProcessor({} as never), TypeError);
    assert.throws(
      () => createJournalSpanProcessor({ sink: { emit: () => {} }, extensionId: "" }),
      TypeError,
    );
  });

  test("the SDK's own exporter sees the same trace and span ids as the journal", async () => {
    const exporter = new InMemorySpanExporter();
    const records: LogRecord[] = [];
    const provider = new TracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor({ exporter }),
        createJournalSpanProcessor({ sink: { emit: (r) => void records.push(r) } }),
      ],
    });
    const tracer = provider.getTracer("t");
    const parent = tracer.startSpan("p");
    within(parent, () => tracer.startSpan("c").end());
    parent.end();
    await provider.forceFlush();
    const exported = exporter.getFinishedSpans().map((span) => [
      span.spanContext().traceId,
      span.spanContext().spanId,
      span.parentSpanContext?.spanId,
    ]);
    const closes = records.filter((r): r is SpanClose => r.kind === "span-close")
      .map((r) => [r.traceId, r.spanId, r.parentSpanId]);
    assert.deepEqual(closes, exported);
  });
});

const WRITER = fileURLToPath(new URL("./fixtures/otel_crash_writer.ts", import.meta.url));
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

function runtimeArgs(script: string, ...args: string[]): string[] {
  return "Deno" in globalThis ? ["run", "-A", script, ...args] : [script, ...args];
}

/** Starts the writer with this test's runtime and kills it with SIGKILL once it is inside the span. */
function runAndKill(path: string): Promise<{ traceId: string; signal: string | null }> {
  const child = spawn(process.execPath, runtimeArgs(WRITER, path), {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let text = "";
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (data: string) => {
      text += data;
      if (text.includes("\n")) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      resolve({ traceId: /^ready ([0-9a-f]{32})\n/.exec(text)?.[1] ?? "", signal });
    });
  });
}

describe("an OpenTelemetry host killed with SIGKILL inside a span", () => {
  test("the reader, the spans command and the SQLite store show the span open", async () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-sink-otel-crash-"));
    try {
      const path = join(dir, "otel.jsonl");
      const { traceId, signal } = await runAndKill(path);
      assert.equal(signal, "SIGKILL");
      assert.match(traceId, /^[0-9a-f]{32}$/);

      const reader = readJournal(path);
      const records: JournalRecord[] = [];
      for await (const record of reader) records.push(record);
      assert.equal(reader.stats.invalid, 0);
      const forest = reconstructTraces(records);
      assert.equal(forest.roots.length, 1);
      const [session] = forest.roots;
      assert.equal(session.name, "session");
      assert.equal(session.extensionId, "crashing-host");
      assert.equal(session.conversationId, "conv-crash");
      assert.deepEqual(session.children.map((span) => [span.name, span.status]), [
        ["plan", "ok"],
        ["tool-call shell", "open"],
      ]);
      assert.deepEqual(forest.open.map((span) => span.name), ["session", "tool-call shell"]);
      for (const record of records) assert.equal(record.traceId, traceId);

      const cli = spawnSync(process.execPath, runtimeArgs(CLI, "spans", path), {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
      });
      assert.equal(cli.status, 0, cli.stderr);
      assert.match(cli.stdout, /session \[[0-9a-f]{16}\] OPEN/);
      assert.match(cli.stdout, /tool-call shell \[[0-9a-f]{16}\] OPEN/);
      assert.match(cli.stdout, /plan \[[0-9a-f]{16}\] ok/);
      assert.match(cli.stdout, /1 trace, 3 spans, 2 open/);

      const store = await openTraceStore(":memory:");
      try {
        await collectJournal(path, { db: store, once: true });
        assert.deepEqual(queryOpenSpans(store).map((span) => span.name).sort(), [
          "session",
          "tool-call shell",
        ]);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
