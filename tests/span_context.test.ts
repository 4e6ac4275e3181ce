import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../src/logger/logger.ts";
import type { LogEntry, LogRecord, LogSink, SpanOpen } from "../src/records.ts";

function memory(): { sink: LogSink; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { sink: { emit: (record) => void records.push(record) }, records };
}

const tick = (ms = 1) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function logs(records: LogRecord[]): LogEntry[] {
  return records.filter((r): r is LogEntry => r.kind === "log");
}

describe("implicit span context", () => {
  test("inside withSpan a plain logger's entries attach to the span across awaits and timers", async () => {
    const { sink, records } = memory();
    const log = createLogger({ sink, extensionId: "host" });
    let spanId = "";
    await log.withSpan("turn", async (span) => {
      spanId = span.spanId;
      log.info("sync");
      await tick();
      log.info("after await");
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          log.info("in a timer");
          resolve();
        }, 1)
      );
      await Promise.resolve().then(() => log.info("in a then"));
    });
    assert.deepEqual(logs(records).map((r) => [r.msg, r.spanId]), [
      ["sync", spanId],
      ["after await", spanId],
      ["in a timer", spanId],
      ["in a then", spanId],
    ]);
  });

  test("another extension's logger on the same sink attaches to the host's span and keeps its own extensionId", async () => {
    const { sink, records } = memory();
    const host = createLogger({ sink, extensionId: "host", conversationId: "c1" });
    const ext = createLogger({ sink, extensionId: "weather" });
    let spanId = "";
    await host.child({ turnId: "t1" }).withSpan("turn", async (span) => {
      spanId = span.spanId;
      await tick();
      ext.info("deep in the extension");
      ext.span("fetch").end();
    });
    const entry = logs(records)[0];
    assert.equal(entry.extensionId, "weather");
    assert.equal(entry.spanId, spanId);
    assert.equal(entry.conversationId, "c1");
    assert.equal(entry.turnId, "t1");
    const open = records.find((r): r is SpanOpen => r.kind === "span-open" && r.name === "fetch");
    assert.equal(open?.parentSpanId, spanId);
    assert.equal(open?.extensionId, "weather");
    assert.equal(open?.turnId, "t1");
  });

  test("a logger's own turn wins over the active span's", () => {
    const { sink, records } = memory();
    const host = createLogger({ sink, extensionId: "host", turnId: "t1" });
    const ext = createLogger({ sink, extensionId: "ext", turnId: "t9" });
    host.withSpan("turn", () => ext.info("x"));
    assert.equal(logs(records)[0].turnId, "t9");
  });

  test("spans opened inside withSpan become children of the active span", async () => {
    const { sink, records } = memory();
    const log = createLogger({ sink, extensionId: "host" });
    await log.withSpan("turn", async (turn) => {
      await log.withSpan("step", async (step) => {
        await tick();
        assert.equal(step.parentSpanId, turn.spanId);
        log.info("in step");
      });
      log.info("back in turn");
    });
    const [turnOpen, stepOpen] = records.filter((r): r is SpanOpen => r.kind === "span-open");
    assert.equal(stepOpen.parentSpanId, turnOpen.spanId);
    assert.deepEqual(logs(records).map((r) => r.spanId), [stepOpen.spanId, turnOpen.spanId]);
  });

  test("concurrent turns never see each other's span", async () => {
    const { sink, records } = memory();
    const log = createLogger({ sink, extensionId: "host" });
    const turn = (name: string, delays: number[]) =>
      log.withSpan(name, async (span) => {
        for (const delay of delays) {
          await tick(delay);
          log.info(name);
          log.span(`${name}-child`).end();
        }
        return span.spanId;
      });
    const [a, b] = await Promise.all([turn("a", [3, 1, 2]), turn("b", [1, 3, 1])]);
    for (const entry of logs(records)) assert.equal(entry.spanId, entry.msg === "a" ? a : b);
    for (const open of records.filter((r): r is SpanOpen => r.kind === "span-open")) {
      if (open.name === "a-child") assert.equal(open.parentSpanId, a);
      if (open.name === "b-child") assert.equal(open.parentSpanId, b);
    }
    assert.equal(logs(records).length, 6);
  });

  test("after withSpan returns no span is active", async () => {
    const { sink, records } = memory();
    const log = createLogger({ sink, extensionId: "host" });
    log.withSpan("sync", () => undefined);
    await log.withSpan("async", async () => await tick());
    log.info("outside");
    assert.equal("spanId" in logs(records)[0], false);
  });

  test("a logger on another sink does not attach to a span it cannot see", () => {
    const a = memory();
    const b = memory();
    const host = createLogger({ sink: a.sink, extensionId: "host" });
    const other = createLogger({ sink: b.sink, extensionId: "other" });
    host.withSpan("turn", () => {
      other.info("separate journal");
      other.span("separate").end();
    });
    assert.equal("spanId" in b.records[0], false);
    assert.equal("parentSpanId" in b.records[1], false);
  });

  test("implicitContext false makes a logger ignore the active span", () => {
    const { sink, records } = memory();
    const host = createLogger({ sink, extensionId: "host" });
    const explicit = createLogger({ sink, extensionId: "ext", implicitContext: false });
    host.withSpan("turn", () => explicit.info("x"));
    assert.equal("spanId" in logs(records)[0], false);
  });

  test("span.run makes a span active for its callback without ending it", async () => {
    const { sink, records } = memory();
    const log = createLogger({ sink, extensionId: "host" });
    const span = log.span("long-lived");
    await span.run(async () => {
      await tick();
      log.info("inside run");
    });
    assert.equal(span.ended, false);
    assert.equal(logs(records)[0].spanId, span.spanId);
    span.end();
  });

  test("an explicit span's methods win over the active span", () => {
    const { sink, records } = memory();
    const log = createLogger({ sink, extensionId: "host" });
    const explicit = log.span("explicit");
    log.withSpan("active", () => explicit.info("x"));
    assert.equal(logs(records)[0].spanId, explicit.spanId);
  });
});
