import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createPinoDestination } from "../pino.ts";
import { createJournalSink } from "../src/sink/journal_sink.ts";
import { createLogger } from "../src/logger/logger.ts";
import type { LogEntry, LogRecord } from "../src/records.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import { createFakeFs } from "../src/testing/fake_fs.ts";
import { parseLines } from "./_helpers.ts";

function collecting() {
  const records: LogEntry[] = [];
  const sink = { emit: (record: LogRecord) => void records.push(record as LogEntry) };
  return { records, sink };
}

describe("createPinoDestination with pino", () => {
  test("a pino line becomes a log entry with its message, time, level and bindings", () => {
    const { records, sink } = collecting();
    const before = Date.now();
    const logger = pino({ name: "api" }, createPinoDestination({ sink }));
    logger.child({ requestId: "r1" }).info({ rows: 3 }, "query done");
    assert.equal(records.length, 1);
    const [entry] = records;
    assert.equal(entry.kind, "log");
    assert.equal(entry.level, "info");
    assert.equal(entry.msg, "query done");
    assert.equal(entry.extensionId, "api", "pino's name, when no extensionId is given");
    assert.ok(entry.timestamp >= before && entry.timestamp <= Date.now());
    assert.deepEqual(entry.attributes, {
      pid: process.pid,
      hostname: entry.attributes?.hostname,
      name: "api",
      requestId: "r1",
      rows: 3,
    });
    assert.equal(typeof entry.attributes?.hostname, "string");
  });

  test("pino levels map to journal levels, keeping trace and fatal in attributes", () => {
    const { records, sink } = collecting();
    const logger = pino({ level: "trace", base: null }, createPinoDestination({ sink }));
    logger.trace("t");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    logger.fatal("f");
    assert.deepEqual(records.map((e) => [e.msg, e.level, e.attributes?.pinoLevel]), [
      ["t", "debug", "trace"],
      ["d", "debug", undefined],
      ["i", "info", undefined],
      ["w", "warn", undefined],
      ["e", "error", undefined],
      ["f", "error", "fatal"],
    ]);
  });

  test("custom levels map by severity and keep their label; a custom messageKey is learnt from pino", () => {
    const { records, sink } = collecting();
    const logger = pino(
      { customLevels: { audit: 35, alarm: 55 }, messageKey: "message", base: null },
      createPinoDestination({ sink }),
    );
    logger.audit("who did what");
    logger.alarm({ disk: "/" }, "disk full");
    assert.deepEqual(records.map((e) => [e.msg, e.level, e.attributes?.pinoLevel]), [
      ["who did what", "info", "audit"],
      ["disk full", "error", "alarm"],
    ]);
    assert.deepEqual(records[1].attributes, { disk: "/", pinoLevel: "alarm" });
  });

  test("an error is kept as pino serialized it, with its message as msg", () => {
    const { records, sink } = collecting();
    const logger = pino({ base: null }, createPinoDestination({ sink }));
    const error = Object.assign(new RangeError("out of tokens"), { code: "E_TOKENS" });
    logger.error(error);
    logger.error({ err: error }, "tool failed");
    assert.equal(records[0].msg, "out of tokens");
    assert.equal(records[1].msg, "tool failed");
    for (const entry of records) {
      const err = entry.attributes?.err as Record<string, unknown>;
      assert.equal(entry.level, "error");
      assert.equal(err.type, "RangeError");
      assert.equal(err.message, "out of tokens");
      assert.equal(err.code, "E_TOKENS");
      assert.match(String(err.stack), /out of tokens/);
    }
  });

  test("conversation, turn, span and trace ids in fields become the record's own fields", () => {
    const { records, sink } = collecting();
    const logger = pino({ base: null }, createPinoDestination({ sink }));
    logger.child({ conversationId: "c1", turnId: "t1" }).info({ spanId: "s1" }, "a");
    logger.info({
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      span_id: "00f067aa0ba902b7",
      trace_flags: "01",
    }, "from the OpenTelemetry pino instrumentation");
    assert.deepEqual(
      [records[0].conversationId, records[0].turnId, records[0].spanId, records[0].attributes],
      ["c1", "t1", "s1", undefined],
    );
    assert.equal(records[1].traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(records[1].spanId, "00f067aa0ba902b7");
    assert.deepEqual(records[1].attributes, { trace_flags: "01" });
  });

  test("extensionId, when given, is fixed: pino's name and fields cannot change it", () => {
    const { records, sink } = collecting();
    const logger = pino({ name: "lib" }, createPinoDestination({ sink, extensionId: "host" }));
    logger.info({ extensionId: "intruder" }, "x");
    assert.equal(records[0].extensionId, "host");
    assert.equal(records[0].attributes?.extensionId, "intruder");
    const unnamed = collecting();
    pino({ base: null }, createPinoDestination({ sink: unnamed.sink })).info("y");
    assert.equal(unnamed.records[0].extensionId, "pino");
  });

  test("pino's time formats become epoch milliseconds", () => {
    const { records, sink } = collecting();
    const destination = createPinoDestination({ sink });
    const before = Date.now();
    pino({ timestamp: pino.stdTimeFunctions.isoTime, base: null }, destination).info("iso");
    pino({ timestamp: pino.stdTimeFunctions.unixTime, base: null }, destination).info("unix");
    pino({ timestamp: false, base: null }, destination).info("none");
    const after = Date.now();
    assert.ok(records[0].timestamp >= before - 1 && records[0].timestamp <= after);
    assert.ok(Math.abs(records[1].timestamp - before) <= 1000, "seconds were scaled");
    assert.ok(records[2].timestamp >= before && records[2].timestamp <= after);
  });

  test("lines that are not JSON objects are kept whole and never throw", () => {
    const { records, sink } = collecting();
    const destination = createPinoDestination({ sink });
    assert.equal(destination.write("not json\n"), true);
    destination.write("[1,2]\n\n");
    destination.write(
      new TextEncoder().encode('{"level":40,"msg":"bytes"}\n{"level":30,"msg":"two'),
    );
    destination.write(null as never);
    assert.deepEqual(records.map((e) => [e.msg, e.level, e.attributes?.pinoUnparsed]), [
      ["not json", "info", true],
      ["[1,2]", "info", true],
      ["bytes", "warn", undefined],
      ['{"level":30,"msg":"two', "info", true],
      ["null", "info", true],
    ]);
    assert.deepEqual(destination.stats, { lines: 5, unparsed: 4 });
  });

  test("a __proto__ field is kept as data", () => {
    const { records, sink } = collecting();
    createPinoDestination({ sink }).write('{"level":30,"msg":"m","__proto__":{"polluted":1}}\n');
    const attributes = records[0].attributes as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(attributes)), { ["__proto__"]: { polluted: 1 } });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("a throwing sink is reported, not thrown into pino", () => {
    const errors: unknown[] = [];
    const destination = createPinoDestination({
      sink: {
        emit: () => {
          throw new Error("disk on fire");
        },
      },
      onError: (error) => errors.push(error),
    });
    assert.doesNotThrow(() => pino(destination).info("x"));
    assert.equal(errors.length, 1);
  });

  test("works inside pino.multistream, next to another destination", () => {
    const all = collecting();
    const errorsOnly = collecting();
    const logger = pino(
      { level: "debug", base: null },
      pino.multistream([
        { level: "debug", stream: createPinoDestination({ sink: all.sink }) },
        { level: "error", stream: createPinoDestination({ sink: errorsOnly.sink }) },
      ]),
    );
    logger.debug("d");
    logger.error("e");
    assert.deepEqual(all.records.map((e) => e.msg), ["d", "e"]);
    assert.deepEqual(errorsOnly.records.map((e) => e.msg), ["e"]);
  });

  test("inside withSpan of a logger on the same sink, pino entries join the span", async () => {
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "app.jsonl", fs });
    const logger = pino({ base: null }, createPinoDestination({ sink, extensionId: "lib" }));
    const host = createLogger({ sink, extensionId: "host", conversationId: "c9", turnId: "t9" });
    const spanId = await host.withSpan("turn", async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info("from pino");
      return span.spanId;
    });
    sink.close();
    const entry = parseLines(fs.text("app.jsonl")).find((line) => line.kind === "log");
    assert.deepEqual(
      [entry?.spanId, entry?.conversationId, entry?.turnId, entry?.extensionId],
      [spanId, "c9", "t9", "lib"],
    );
  });

  test("logger.flush reaches the journal; end() closes a journal opened from path", () => {
    const fs = createFakeFs();
    const destination = createPinoDestination({ path: "app.jsonl", fs, fsync: "none" });
    const logger = pino(destination);
    logger.info("one");
    const fsyncs = fs.calls.fsync ?? 0;
    let called = false;
    logger.flush(() => void (called = true));
    assert.ok(called);
    assert.ok((fs.calls.fsync ?? 0) > fsyncs);
    assert.equal(destination.writable, true);
    destination.end();
    assert.equal(destination.writable, false);
    assert.equal(fs.calls.close, 1);
    assert.equal(parseLines(fs.text("app.jsonl")).length, 1);
  });

  test("end() leaves a sink the host owns open, unless closeSinkOnEnd", () => {
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "app.jsonl", fs });
    createPinoDestination({ sink }).end();
    assert.equal(fs.calls.close ?? 0, 0);
    createPinoDestination({ sink, closeSinkOnEnd: true }).end();
    assert.equal(fs.calls.close ?? 0, 1);
  });

  test("writes a real journal file that reads back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-sink-pino-"));
    try {
      const path = join(dir, "app.jsonl");
      const destination = createPinoDestination({ path, extensionId: "api" });
      const logger = pino({ base: null }, destination);
      for (let i = 0; i < 100; i++) logger.info({ i }, "row");
      destination.end();
      const seen: number[] = [];
      for await (const record of readJournal(path)) {
        seen.push((record as LogEntry).attributes?.i as number);
      }
      assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("options are checked", () => {
    assert.throws(() => createPinoDestination({} as never), TypeError);
    assert.throws(
      () => createPinoDestination({ path: "a", sink: { emit: () => {} } } as never),
      TypeError,
    );
    assert.throws(
      () => createPinoDestination({ sink: { emit: () => {} }, extensionId: "" }),
      TypeError,
    );
  });
});
