import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getLogger, reset, withContext } from "@logtape/logtape";
import { getJournalSink } from "../src/logtape/logtape_sink.ts";
import { createLogger } from "../src/logger/logger.ts";
import { createFakeFs, type FakeFs } from "../src/testing/fake_fs.ts";

function lines(fs: FakeFs, path = "app.jsonl"): Record<string, unknown>[] {
  const text = fs.text(path);
  return text === "" ? [] : text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

async function setup(
  extra: { redact?: string[]; onError?: (error: unknown) => void } = {},
) {
  const fs = createFakeFs();
  const sink = getJournalSink({ path: "app.jsonl", extensionId: "api", fs, ...extra });
  await configure({
    reset: true,
    sinks: { journal: sink },
    contextLocalStorage: new AsyncLocalStorage(),
    loggers: [
      { category: ["app"], sinks: ["journal"], lowestLevel: "trace" },
      { category: ["logtape", "meta"], sinks: [] },
    ],
  });
  return { fs, sink };
}

describe("LogTape bridge", () => {
  afterEach(async () => {
    await reset();
  });

  test("a LogTape record becomes a journal log entry with its message, time and properties", async () => {
    const { fs } = await setup();
    const before = Date.now();
    getLogger(["app", "db"]).info("Hello, {name}! {n} rows", { name: "Ada", n: 3 });
    await reset();
    const [entry] = lines(fs);
    assert.equal(entry.kind, "log");
    assert.equal(entry.level, "info");
    assert.equal(entry.msg, "Hello, Ada! 3 rows");
    assert.equal(entry.extensionId, "api");
    assert.ok((entry.timestamp as number) >= before);
    assert.deepEqual(entry.attributes, { name: "Ada", n: 3, category: "app.db" });
  });

  test("LogTape levels map to journal levels, keeping trace and fatal in attributes", async () => {
    const { fs } = await setup();
    const log = getLogger(["app"]);
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warning("w");
    log.error("e");
    log.fatal("f");
    await reset();
    assert.deepEqual(
      lines(fs).map((e) => [e.level, (e.attributes as Record<string, unknown>).logtapeLevel]),
      [
        ["debug", "trace"],
        ["debug", undefined],
        ["info", undefined],
        ["warn", undefined],
        ["error", undefined],
        ["error", "fatal"],
      ],
    );
  });

  test("conversationId, turnId and spanId properties are lifted to the record's fields", async () => {
    const { fs } = await setup();
    withContext({ conversationId: "c1", turnId: "t1", spanId: "00aa00aa00aa00aa" }, () => {
      getLogger(["app"]).info("in a turn", { tool: "search" });
    });
    await reset();
    const [entry] = lines(fs);
    assert.equal(entry.conversationId, "c1");
    assert.equal(entry.turnId, "t1");
    assert.equal(entry.spanId, "00aa00aa00aa00aa");
    assert.deepEqual(entry.attributes, { tool: "search", category: "app" });
  });

  test("a property named extensionId cannot change the record's extensionId", async () => {
    const { fs } = await setup();
    getLogger(["app"]).info("spoof", { extensionId: "intruder" });
    await reset();
    assert.equal(lines(fs)[0].extensionId, "api");
  });

  test("inside withSpan of a logger on the same journal, LogTape entries join the span", async () => {
    const { fs, sink } = await setup();
    const host = createLogger({ sink: sink.journal, extensionId: "host", turnId: "t7" });
    const spanId = await host.withSpan("turn", async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      getLogger(["app"]).info("from LogTape");
      return span.spanId;
    });
    await reset();
    const entry = lines(fs).find((e) => e.kind === "log");
    assert.equal(entry?.spanId, spanId);
    assert.equal(entry?.turnId, "t7");
    assert.equal(entry?.extensionId, "api");
  });

  test("redact applies to LogTape properties", async () => {
    const { fs } = await setup({ redact: ["password"] });
    const properties = { user: { name: "ada", password: "hunter2" } };
    getLogger(["app"]).info("login", properties);
    await reset();
    assert.deepEqual(lines(fs)[0].attributes, {
      user: { name: "ada", password: "[REDACTED]" },
      category: "app",
    });
    assert.equal(properties.user.password, "hunter2");
  });

  test("LogTape's reset disposes the sink, which closes the journal", async () => {
    const errors: unknown[] = [];
    const { fs, sink } = await setup({ onError: (error) => errors.push(error) });
    getLogger(["app"]).info("before");
    await reset();
    assert.equal(sink.journal.stats.written, 1);
    sink({
      category: ["app"],
      level: "info",
      message: ["after"],
      rawMessage: "after",
      timestamp: 0,
      properties: {},
    });
    assert.equal(sink.journal.stats.dropped, 1);
    assert.equal(errors.length, 1);
    assert.equal(lines(fs).length, 1);
  });

  test("a record the bridge cannot read is reported and dropped, never thrown into LogTape", () => {
    const errors: unknown[] = [];
    const sink = getJournalSink({
      path: "x.jsonl",
      extensionId: "api",
      fs: createFakeFs(),
      onError: (error) => errors.push(error),
    });
    const properties = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    });
    assert.doesNotThrow(() =>
      sink({
        category: [],
        level: "info",
        message: ["m"],
        rawMessage: "m",
        timestamp: 0,
        properties,
      })
    );
    assert.equal(errors.length, 1);
    assert.equal(sink.journal.stats.written, 0);
    sink[Symbol.dispose]();
  });

  test("getJournalSink needs an extensionId", () => {
    assert.throws(
      () => getJournalSink({ path: "x.jsonl", fs: createFakeFs() } as never),
      TypeError,
    );
  });
});
