import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, type Logger } from "../src/logger/logger.ts";
import type { LogRecord, SpanClose, SpanOpen } from "../src/records.ts";
import { newSpanId } from "../src/span_id.ts";
import { turnTraceId } from "../src/trace_id.ts";
import { otlpTraceId } from "../src/otlp/trace_ids.ts";

function setup(): { log: Logger; records: LogRecord[]; clock: { now: () => number; t: number } } {
  const records: LogRecord[] = [];
  const clock = {
    t: 1000,
    now() {
      return this.t;
    },
  };
  const log = createLogger({
    sink: { emit: (record) => void records.push(record) },
    extensionId: "ext",
    clock,
    conversationId: "c1",
    turnId: "t1",
  });
  return { log, records, clock };
}

describe("Span", () => {
  test("span() writes span-open at once, before the work ends", () => {
    const { log, records } = setup();
    const span = log.span("tool-call", { tool: "search" });
    assert.deepEqual(records, [{
      kind: "span-open",
      spanId: span.spanId,
      traceId: span.traceId,
      name: "tool-call",
      timestamp: 1000,
      extensionId: "ext",
      conversationId: "c1",
      turnId: "t1",
      attributes: { tool: "search" },
    }]);
  });

  test("end() writes span-close with durationMs and status exactly once", () => {
    const { log, records, clock } = setup();
    const span = log.span("step");
    clock.t = 1250;
    assert.equal(span.ended, false);
    span.end("error", { reason: "timeout" });
    span.end("ok");
    span.fail(new Error("late"));
    assert.equal(span.ended, true);
    assert.deepEqual(records.slice(1), [{
      kind: "span-close",
      spanId: span.spanId,
      traceId: span.traceId,
      name: "step",
      timestamp: 1250,
      durationMs: 250,
      status: "error",
      extensionId: "ext",
      conversationId: "c1",
      turnId: "t1",
      attributes: { reason: "timeout" },
    }]);
  });

  test("end() without arguments closes ok and omits attributes", () => {
    const { log, records } = setup();
    log.span("s").end();
    const close = records[1] as SpanClose;
    assert.equal(close.status, "ok");
    assert.equal("attributes" in close, false);
  });

  test("a span's log entries carry its spanId", () => {
    const { log, records } = setup();
    const span = log.span("s");
    span.warn("inside", { k: 1 });
    assert.equal(records[1].kind === "log" && records[1].spanId, span.spanId);
  });

  test("a span's span() is its child, with parentSpanId set", () => {
    const { log, records } = setup();
    const parent = log.span("turn");
    const child = parent.span("tool");
    child.end();
    parent.end();
    const open = records[1] as SpanOpen;
    assert.equal(open.parentSpanId, parent.spanId);
    assert.equal(child.parentSpanId, parent.spanId);
    assert.equal((records[2] as SpanClose).parentSpanId, parent.spanId);
    assert.equal("parentSpanId" in records[0], false);
  });

  test("a child logger of a span writes inside that span", () => {
    const { log, records } = setup();
    const span = log.span("s");
    span.child({ attributes: { step: 2 } }).info("x");
    assert.equal(records[1].kind === "log" && records[1].spanId, span.spanId);
  });

  test("using ends the span ok at the end of the scope", () => {
    const { log, records } = setup();
    {
      using span = log.span("scoped");
      span.info("working");
    }
    assert.deepEqual(records.map((r) => r.kind), ["span-open", "log", "span-close"]);
    assert.equal((records[2] as SpanClose).status, "ok");
  });

  test("links and body go on the span-open record", () => {
    const { log, records } = setup();
    const links = [{ spanId: "00ff00ff00ff00ff", reason: "retry-of" }];
    log.span("retry", undefined, { links, body: { request: 1 } });
    const open = records[0] as SpanOpen;
    assert.deepEqual(open.links, links);
    assert.notEqual(open.links, links);
    assert.deepEqual(open.body, { request: 1 });
  });

  test("the logger's attributes go on span-open, not on span-close", () => {
    const { log, records } = setup();
    log.child({ attributes: { host: "h1" } }).span("s", { a: 1 }).end("ok", { b: 2 });
    assert.deepEqual(records[0].attributes, { host: "h1", a: 1 });
    assert.deepEqual(records[1].attributes, { b: 2 });
  });

  test("spans are written whatever the minLevel", () => {
    const records: LogRecord[] = [];
    const log = createLogger({
      sink: { emit: (r) => void records.push(r) },
      extensionId: "ext",
      minLevel: "error",
    });
    log.span("s").end();
    assert.deepEqual(records.map((r) => r.kind), ["span-open", "span-close"]);
  });

  test("fail() closes with status error and the error as plain strings", () => {
    const { log, records } = setup();
    const error = Object.assign(new TypeError("bad input"), { code: "E_INPUT" });
    log.span("s").fail(error, { attempt: 2 });
    const close = records[1] as SpanClose;
    assert.equal(close.status, "error");
    assert.equal(close.attributes?.attempt, 2);
    const recorded = close.attributes?.error as Record<string, unknown>;
    assert.equal(recorded.name, "TypeError");
    assert.equal(recorded.message, "bad input");
    assert.equal(recorded.code, "E_INPUT");
    assert.equal(typeof recorded.stack, "string");
    assert.equal(recorded instanceof Error, false);
  });

  test("span ids are 16 random hex characters and do not repeat", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = newSpanId();
      assert.match(id, /^[0-9a-f]{16}$/);
      ids.add(id);
    }
    assert.equal(ids.size, 5000);
  });

  test("durations come from the monotonic clock when no clock is injected", () => {
    const records: LogRecord[] = [];
    const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "e" });
    log.span("s").end();
    const close = records[1] as SpanClose;
    assert.equal(typeof close.durationMs, "number");
    assert.ok(close.durationMs >= 0 && Number.isFinite(close.durationMs));
    assert.ok(Math.abs(close.timestamp - Date.now()) < 60_000);
  });
});

describe("withSpan", () => {
  test("returns a sync result synchronously and closes ok", () => {
    const { log, records } = setup();
    const result = log.withSpan("sync", (span) => {
      span.info("in");
      return 42;
    });
    assert.equal(result, 42);
    assert.deepEqual(records.map((r) => r.kind), ["span-open", "log", "span-close"]);
    assert.equal((records[2] as SpanClose).status, "ok");
  });

  test("returns a promise for async work and closes ok only once it settles", async () => {
    const { log, records, clock } = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pending = log.withSpan("async", async () => {
      await gate;
      return "done";
    });
    assert.ok(pending instanceof Promise);
    await Promise.resolve();
    assert.deepEqual(records.map((r) => r.kind), ["span-open"]);
    clock.t = 1300;
    release();
    assert.equal(await pending, "done");
    const close = records[1] as SpanClose;
    assert.equal(close.status, "ok");
    assert.equal(close.durationMs, 300);
  });

  test("a sync throw closes the span with the error recorded and is rethrown", () => {
    const { log, records } = setup();
    const boom = new RangeError("out of range");
    assert.throws(
      () =>
        log.withSpan("sync-fail", () => {
          throw boom;
        }),
      (error) => error === boom,
    );
    const close = records[1] as SpanClose;
    assert.equal(close.status, "error");
    const recorded = close.attributes?.error as Record<string, unknown>;
    assert.deepEqual([recorded.name, recorded.message], ["RangeError", "out of range"]);
    assert.equal(typeof recorded.stack, "string");
  });

  test("a rejection closes the span with the error recorded and still rejects", async () => {
    const { log, records } = setup();
    const boom = new Error("tool failed");
    await assert.rejects(
      log.withSpan("async-fail", async () => {
        await null;
        throw boom;
      }),
      (error) => error === boom,
    );
    const close = records[1] as SpanClose;
    assert.equal(close.status, "error");
    assert.equal((close.attributes?.error as Record<string, unknown>).message, "tool failed");
  });

  test("a thrown non-Error is recorded by its string form", () => {
    const { log, records } = setup();
    assert.throws(() =>
      log.withSpan("s", () => {
        throw "plain string";
      })
    );
    assert.deepEqual((records[1] as SpanClose).attributes, { error: { message: "plain string" } });
  });

  test("withSpan on a span opens a child span", () => {
    const { log, records } = setup();
    const turn = log.span("turn");
    turn.withSpan("step", () => undefined, { n: 1 });
    const open = records[1] as SpanOpen;
    assert.equal(open.parentSpanId, turn.spanId);
    assert.deepEqual(open.attributes, { n: 1 });
  });

  test("a span the work ended itself is not closed a second time", () => {
    const { log, records } = setup();
    log.withSpan("s", (span) => span.end("error", { handled: true }));
    assert.deepEqual(records.map((r) => r.kind), ["span-open", "span-close"]);
    assert.equal((records[1] as SpanClose).status, "error");
  });
});

describe("trace ids", () => {
  function capture(scope: { conversationId?: string; turnId?: string } = {}) {
    const records: LogRecord[] = [];
    const log = createLogger({
      sink: { emit: (record) => void records.push(record) },
      extensionId: "ext",
      ...scope,
    });
    return { log, records };
  }

  test("a turn's root span gets the trace id the OTLP export derives for that turn", () => {
    const { log } = capture({ conversationId: "c1", turnId: "t1" });
    const span = log.span("turn");
    assert.equal(
      span.traceId,
      otlpTraceId({ kind: "span-open", spanId: "x", conversationId: "c1", turnId: "t1" }),
    );
    assert.equal(span.traceId, turnTraceId("c1", "t1"));
    const other = capture({ conversationId: "c2", turnId: "t1" }).log.span("turn");
    assert.notEqual(other.traceId, span.traceId, "two conversations, two traces");
  });

  test("children, their records and log entries inside a span share the root's trace id", () => {
    const { log, records } = capture({ conversationId: "c1", turnId: "t1" });
    log.withSpan("turn", (turn) => {
      turn.info("inside the turn");
      const tool = turn.span("tool");
      tool.warn("inside the tool");
      // A child scoped to another turn still belongs to its parent's trace.
      tool.child({ turnId: "t9" }).span("nested").end();
      tool.end();
    });
    const ids = new Set(records.map((record) => record.traceId));
    assert.equal(ids.size, 1, JSON.stringify(records));
    assert.match([...ids][0]!, /^[0-9a-f]{32}$/);
    assert.equal(records.length, 8);
  });

  test("a root span outside any turn gets a random id; a log entry outside any span has none", () => {
    const { log, records } = capture();
    const a = log.span("a");
    const b = log.span("b");
    log.info("loose");
    assert.match(a.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(a.traceId, b.traceId);
    assert.notEqual(a.traceId, "0".repeat(32));
    assert.equal("traceId" in records[2], false);
    const turnLog = capture({ turnId: "t1" });
    turnLog.log.info("in the turn, outside any span");
    assert.equal("traceId" in turnLog.records[0], false);
  });

  test("the implicit parent (withSpan in an async flow) passes its trace id down", async () => {
    const { log, records } = capture();
    await log.withSpan("root", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.span("child").end();
      log.info("after");
    });
    const root = records[0] as SpanOpen;
    assert.ok(records.every((record) => record.traceId === root.traceId), JSON.stringify(records));
  });
});

describe("arguments of the wrong type", () => {
  function withErrors() {
    const records: LogRecord[] = [];
    const errors: unknown[] = [];
    const log = createLogger({
      sink: { emit: (record) => void records.push(record) },
      extensionId: "ext",
      onError: (error) => void errors.push(error),
    });
    return { log, records, errors };
  }

  test("attributes that are not an object do not type-check, and are left out at run time", () => {
    const { log, records, errors } = withErrors();
    const span = log.span("tool");
    // @ts-expect-error attributes are an object of key/values, not a string
    span.end("ok", "done");
    assert.equal(span.ended, true);
    const close = records[1] as SpanClose;
    assert.equal(close.kind, "span-close");
    assert.equal(close.status, "ok");
    assert.equal("attributes" in close, false);
    // @ts-expect-error not a string
    log.info("hi", "there");
    // @ts-expect-error not a number
    log.span("n", 5).end();
    // @ts-expect-error not an array
    log.span("f", { a: 1 }).fail(new Error("x"), ["x"]);
    // @ts-expect-error not a string
    log.child({ attributes: "scope" }).warn("scoped", { b: 2 });
    const written = records.slice(2).map((r) => [r.kind, r.attributes]);
    const failed = written[4][1] as { error: { message: string } };
    assert.equal(failed.error.message, "x");
    assert.deepEqual(written, [
      ["log", undefined],
      ["span-open", undefined],
      ["span-close", undefined],
      ["span-open", { a: 1 }],
      ["span-close", { error: failed.error }],
      ["log", { b: 2 }],
    ]);
    assert.deepEqual(Object.keys(failed), ["error"]);
    assert.equal(errors.length, 5);
    for (const error of errors) {
      assert.ok(error instanceof TypeError);
      assert.match(
        error.message,
        /attributes must be an object of key\/values, got (a string|a number|an array)/,
      );
    }
    assert.match((errors[0] as Error).message, /^end: .* got a string$/);
  });

  test("ill-formed links are left out of the span-open, the well-formed ones kept", () => {
    const { log, records, errors } = withErrors();
    // @ts-expect-error a link is an object with a string spanId
    log.span("n", undefined, { links: [null, { spanId: "a1" }, { spanId: 5 }] });
    assert.deepEqual((records[0] as SpanOpen).links, [{ spanId: "a1" }]);
    // @ts-expect-error not a link
    log.span("m", undefined, { links: [7] });
    assert.equal("links" in records[1], false);
    assert.equal(errors.length, 2);
  });

  test("createLogger refuses attributes that are not an object", () => {
    for (const attributes of ["x", 5, ["a"]]) {
      assert.throws(
        // @ts-expect-error not an object
        () => createLogger({ sink: { emit() {} }, extensionId: "x", attributes }),
        /attributes must be an object/,
      );
    }
  });
});
