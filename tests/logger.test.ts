import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, type Logger, type LoggerOptions } from "../src/logger/logger.ts";
import type { LogRecord, LogSink } from "../src/records.ts";

function memory(): { sink: LogSink; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { sink: { emit: (record) => void records.push(record) }, records };
}

function setup(options: Partial<LoggerOptions> = {}): { log: Logger; records: LogRecord[] } {
  const { sink, records } = memory();
  const log = createLogger({ sink, extensionId: "ext", clock: { now: () => 1000 }, ...options });
  return { log, records };
}

describe("Logger", () => {
  test("info writes one log entry with level, message, clock time and extensionId", () => {
    const { log, records } = setup();
    log.info("hello", { n: 1 });
    assert.deepEqual(records, [{
      kind: "log",
      level: "info",
      msg: "hello",
      timestamp: 1000,
      extensionId: "ext",
      attributes: { n: 1 },
    }]);
  });

  test("each level method writes its own level", () => {
    const { log, records } = setup();
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    assert.deepEqual(records.map((r) => r.kind === "log" && r.level), [
      "debug",
      "info",
      "warn",
      "error",
    ]);
  });

  test("records omit absent optional fields instead of holding undefined", () => {
    const { log, records } = setup();
    log.info("bare");
    log.child({ turnId: undefined }).warn("still bare", undefined, undefined);
    for (const record of records) {
      assert.deepEqual(Object.keys(record), ["kind", "level", "msg", "timestamp", "extensionId"]);
    }
  });

  test("a body is carried as given", () => {
    const { log, records } = setup();
    const body = { prompt: "what is the weather?" };
    log.debug("prompt", undefined, body);
    assert.equal(records[0].kind === "log" && records[0].body, body);
  });

  test("minLevel drops entries below it and keeps the rest", () => {
    const { log, records } = setup({ minLevel: "warn" });
    log.debug("no");
    log.info("no");
    log.warn("yes");
    log.error("yes");
    assert.deepEqual(records.map((r) => r.kind === "log" && r.level), ["warn", "error"]);
    assert.equal(log.minLevel, "warn");
  });

  test("isEnabled tells whether a level would be written", () => {
    const { log } = setup({ minLevel: "info" });
    assert.equal(log.isEnabled("debug"), false);
    assert.equal(log.isEnabled("info"), true);
    assert.equal(log.isEnabled("error"), true);
  });

  test("child narrows conversation, turn, attributes and threshold", () => {
    const { log, records } = setup({ conversationId: "c1", attributes: { a: 1, b: 1 } });
    const turn = log.child({ turnId: "t1", attributes: { b: 2 }, minLevel: "info" });
    turn.debug("filtered by the child");
    turn.info("in turn", { c: 3 });
    log.debug("parent unchanged");
    assert.deepEqual(records, [
      {
        kind: "log",
        level: "info",
        msg: "in turn",
        timestamp: 1000,
        extensionId: "ext",
        conversationId: "c1",
        turnId: "t1",
        attributes: { a: 1, b: 2, c: 3 },
      },
      {
        kind: "log",
        level: "debug",
        msg: "parent unchanged",
        timestamp: 1000,
        extensionId: "ext",
        conversationId: "c1",
        attributes: { a: 1, b: 1 },
      },
    ]);
  });

  test("a call's attributes override the logger's", () => {
    const { log, records } = setup({ attributes: { tool: "default" } });
    log.info("x", { tool: "search" });
    assert.deepEqual(records[0].attributes, { tool: "search" });
  });

  test("neither child() nor an extensionId attribute can change the extensionId", () => {
    const { log, records } = setup();
    const spoof = log.child({ extensionId: "intruder" } as never);
    spoof.info("a", { extensionId: "intruder" });
    spoof.span("s", { extensionId: "intruder" }).end();
    assert.equal(spoof.extensionId, "ext");
    assert.equal(records.length, 3);
    for (const record of records) assert.equal(record.extensionId, "ext");
  });

  test("the logger's attributes are a snapshot taken at creation", () => {
    const attributes: Record<string, unknown> = { version: 1 };
    const { log, records } = setup({ attributes });
    attributes.version = 2;
    log.info("x");
    assert.deepEqual(records[0].attributes, { version: 1 });
  });

  test("a throwing sink is reported to onError and never reaches the caller", () => {
    const seen: unknown[] = [];
    const boom = new Error("disk on fire");
    const log = createLogger({
      sink: {
        emit() {
          throw boom;
        },
      },
      extensionId: "ext",
      onError: (error, record) => seen.push(error, (record as LogRecord).kind),
    });
    log.info("x");
    log.span("s").end();
    assert.deepEqual(seen, [boom, "log", boom, "span-open", boom, "span-close"]);
  });

  test("without onError a failing sink warns on the console once, not once per record", () => {
    const warnings: unknown[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      const log = createLogger({
        sink: {
          emit() {
            throw new Error("EIO");
          },
        },
        extensionId: "ext",
      });
      for (let i = 0; i < 10; i++) log.error("x");
    } finally {
      console.warn = original;
    }
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]), /^\[journal-sink\] .*EIO/);
  });

  test("a throwing onError is swallowed too", () => {
    const log = createLogger({
      sink: {
        emit() {
          throw new Error("sink");
        },
      },
      extensionId: "ext",
      onError() {
        throw new Error("handler");
      },
    });
    assert.doesNotThrow(() => log.info("x"));
  });

  test("createLogger rejects invalid options with a TypeError", () => {
    const { sink } = memory();
    assert.throws(() => createLogger({ sink, extensionId: "" }), TypeError);
    assert.throws(() => createLogger({ sink: {} as LogSink, extensionId: "x" }), TypeError);
    assert.throws(
      () => createLogger({ sink, extensionId: "x", minLevel: "verbose" as never }),
      TypeError,
    );
    assert.throws(() => createLogger({ sink, extensionId: "x", redact: ["a..b"] }), TypeError);
  });

  test("a non-string message is written as a string", () => {
    const { log, records } = setup();
    log.info(42 as unknown as string);
    assert.equal(records[0].kind === "log" && records[0].msg, "42");
  });

  test("timestamps come from the injected clock at the time of each call", () => {
    let now = 5;
    const { sink, records } = memory();
    const log = createLogger({ sink, extensionId: "ext", clock: { now: () => now } });
    log.info("a");
    now = 9;
    log.info("b");
    assert.deepEqual(records.map((r) => r.timestamp), [5, 9]);
  });
});
