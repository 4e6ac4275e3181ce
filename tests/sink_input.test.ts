// What the sink accepts: incomplete records are counted drops (issue 15, item 3), records
// past maxRecordBytes are cut to fit (item 7), and a host can learn at start that the
// journal cannot be opened (item 8).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, JournalSinkError, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectErrors, logEntry, parseLines } from "./_helpers.ts";

const asRecord = (value: unknown) => value as LogRecord;

test("records without a known kind and that kind's required fields are counted drops, not lines", () => {
  const fs = createFakeFs();
  const collected = collectErrors();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", onError: collected.onError });
  const bad: unknown[] = [
    {},
    { kind: "log" },
    { kind: "log", level: "info", msg: "no timestamp", extensionId: "x" },
    { kind: "log", level: "trace", msg: "m", timestamp: 1, extensionId: "x" },
    { kind: "log", level: "info", msg: 42, timestamp: 1, extensionId: "x" },
    { kind: "log", level: "info", msg: "m", timestamp: Number.NaN, extensionId: "x" },
    { kind: "log", level: "info", msg: "m", timestamp: 1 },
    { kind: "span-open", name: "n", timestamp: 1, extensionId: "x" },
    { kind: "span-open", spanId: "s", timestamp: 1, extensionId: "x" },
    { kind: "span-close", spanId: "s", name: "n", timestamp: 1, extensionId: "x", status: "ok" },
    { kind: "span-close", spanId: "s", name: "n", timestamp: 1, extensionId: "x", durationMs: 1 },
    { kind: "metric", value: 1 },
    [],
  ];
  for (const record of bad) sink.emit(asRecord(record));
  sink.emit(logEntry("good"));
  sink.close();
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["good"]);
  assert.equal(sink.stats.written, 1);
  assert.equal(sink.stats.dropped, bad.length);
  assert.equal(sink.stats.errors, 0, "a bad record is not a file-system error");
  // One report per defect (kind and field), naming it; repeats are counted, not reported.
  const first = collected.errors[0].error as JournalSinkError;
  assert.equal(first.code, "EINVAL");
  assert.equal(first.operation, "emit");
  assert.match(
    first.message,
    /invalid record: kind must be "log", "span-open" or "span-close", got undefined/,
  );
  assert.deepEqual(collected.errors[0].record, {});
  assert.deepEqual(
    collected.codes(),
    Array(9).fill("EINVAL"),
    "9 distinct defects among 13 records",
  );
});

test("each defect is reported once, naming the field and what it held, however often it recurs", () => {
  const fs = createFakeFs();
  const collected = collectErrors();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", onError: collected.onError });
  for (let i = 0; i < 3; i++) {
    sink.emit(asRecord({ kind: "log", level: "info", timestamp: 1, extensionId: "x" }));
    sink.emit(logEntry("good"));
    sink.emit(
      asRecord({
        kind: "span-close",
        spanId: "s",
        name: "n",
        timestamp: 1,
        durationMs: 2,
        status: "done",
        extensionId: "x",
      }),
    );
  }
  sink.close();
  const messages = collected.errors.map(({ error }) => (error as Error).message);
  assert.equal(messages.length, 2, messages.join("\n"));
  assert.match(
    messages[0],
    /invalid "log" record: msg must be a string, got undefined: record dropped \(EINVAL\)/,
  );
  assert.match(
    messages[1],
    /invalid "span-close" record: status must be "ok" or "error", got "done"/,
  );
  assert.deepEqual([sink.stats.written, sink.stats.dropped], [3, 6]);
});

test("acceptUnknownKinds writes a host's own kinds and still checks the three known ones", () => {
  const fs = createFakeFs();
  const collected = collectErrors();
  const sink = createJournalSink({
    path: "j",
    fs,
    fsync: "none",
    acceptUnknownKinds: true,
    onError: collected.onError,
  });
  sink.emit(asRecord({ kind: "metric", name: "tokens", value: 12 }));
  sink.emit(asRecord({ kind: "" }));
  sink.emit(asRecord({ kind: "log" }));
  sink.close();
  assert.deepEqual(parseLines(fs.text("j")), [{ kind: "metric", name: "tokens", value: 12 }]);
  assert.equal(sink.stats.dropped, 2);
});

test("buffered mode drops incomplete records the same way", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, buffer: true, onError: () => {} });
  sink.emit(asRecord({ kind: "log" }));
  sink.emit(logEntry("good"));
  sink.close();
  assert.equal(parseLines(fs.text("j")).length, 1);
  assert.deepEqual([sink.stats.written, sink.stats.dropped], [1, 1]);
});

const utf8 = (text: string) => new TextEncoder().encode(text).length;

test("a record past maxRecordBytes is written as one valid line within the limit, its body cut and marked", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", maxRecordBytes: 8192 });
  sink.emit(logEntry("big", { body: "€".repeat(100_000), attributes: { small: "kept" } }));
  sink.emit(logEntry("small"));
  sink.close();
  const text = fs.text("j");
  const [first, second] = text.split("\n");
  assert.ok(utf8(first + "\n") <= 8192, `line of ${utf8(first)} bytes`);
  const record = JSON.parse(first);
  assert.equal(record.msg, "big");
  assert.deepEqual(record.attributes, { small: "kept" });
  assert.match(record.body, /^€+…\[cut \d+ bytes\]$/);
  const cut = Number(/\[cut (\d+) bytes\]/.exec(record.body)![1]);
  assert.equal(utf8(record.body.replace(/…\[cut \d+ bytes\]$/, "")) + cut, 300_000);
  assert.equal(JSON.parse(second).msg, "small");
  assert.deepEqual([sink.stats.written, sink.stats.truncated, sink.stats.dropped], [2, 1, 0]);
});

test("the largest attribute values go first, objects become the start of their JSON, and msg last", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", maxRecordBytes: 4096 });
  const nested = { rows: Array.from({ length: 2000 }, (_, i) => ({ i })) };
  sink.emit(logEntry("m".repeat(3000), {
    attributes: { nested, prompt: "p".repeat(20_000), id: "abc" },
  }));
  sink.close();
  const line = fs.text("j");
  assert.ok(utf8(line) <= 4096);
  const record = JSON.parse(line);
  assert.equal(record.attributes.id, "abc");
  assert.equal(record.msg, "m".repeat(3000), "msg is cut only when the payloads were not enough");
  assert.match(record.attributes.prompt, /^p*…\[cut \d+ bytes\]$/);
  assert.match(record.attributes.nested, /^(\{"rows":\[.*)?…\[cut \d+ bytes\]$/);
  assert.equal(record.kind, "log");
  assert.equal(record.extensionId, "test");
  assert.equal(sink.stats.truncated, 1);
});

test("a record with thousands of small attributes keeps its ids and says how much was cut", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", maxRecordBytes: 4096 });
  const attributes = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
  sink.emit({
    kind: "span-open",
    spanId: "s1",
    name: "step",
    timestamp: 5,
    extensionId: "x",
    turnId: "t",
    attributes,
  });
  sink.close();
  const line = fs.text("j");
  assert.ok(utf8(line) <= 4096);
  const record = JSON.parse(line);
  assert.deepEqual(
    [record.kind, record.spanId, record.name, record.timestamp, record.extensionId, record.turnId],
    ["span-open", "s1", "step", 5, "x", "t"],
  );
  assert.ok(record["[cut]"] > 4096);
});

test("records within maxRecordBytes are written as serialized, and the default limit is 4 MiB", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", maxBytes: 1 << 30 });
  const under = logEntry("under", { body: "x".repeat(4 * 1024 * 1024 - 200) });
  const over = logEntry("over", { body: "x".repeat(4 * 1024 * 1024) });
  sink.emit(under);
  sink.emit(over);
  sink.close();
  const [a, b] = fs.text("j").split("\n");
  assert.equal(a + "\n", JSON.stringify(under) + "\n");
  assert.ok(utf8(b + "\n") <= 4 * 1024 * 1024);
  assert.equal(sink.stats.truncated, 1);
});

test("maxRecordBytes below 4096 is refused at creation", () => {
  assert.throws(
    () => createJournalSink({ path: "j", fs: createFakeFs(), maxRecordBytes: 100 }),
    RangeError,
  );
});

test("check() throws the open failure with its code and cause, and returns once the journal opens", () => {
  const fs = createFakeFs();
  fs.fail("open", "EACCES");
  const collected = collectErrors();
  const sink = createJournalSink({ path: "logs/j", fs, onError: collected.onError });
  assert.throws(() => sink.check(), (error: unknown) => {
    assert.ok(error instanceof JournalSinkError);
    assert.equal(error.operation, "open");
    assert.equal(error.code, "EACCES");
    assert.ok(error.cause instanceof Error);
    assert.match(error.message, /cannot open journal \(EACCES\) \[logs\/j\]/);
    return true;
  });
  fs.clearFaults();
  sink.check();
  sink.emit(logEntry("after"));
  sink.close();
  assert.equal(parseLines(fs.text("logs/j"))[0].msg, "after");
  assert.throws(() => sink.check(), /closed/);
});

test('onOpenError "throw" makes createJournalSink throw when the journal cannot be opened', () => {
  const fs = createFakeFs();
  fs.fail("open", "EROFS");
  const collected = collectErrors();
  assert.throws(
    () => createJournalSink({ path: "j", fs, onOpenError: "throw", onError: collected.onError }),
    (error: unknown) => error instanceof JournalSinkError && error.code === "EROFS",
  );
  assert.deepEqual(collected.errors, [], "thrown, not also reported");
  fs.clearFaults();
  const sink = createJournalSink({ path: "j", fs, onOpenError: "throw" });
  sink.close();
});

test("check() and onOpenError report a real unwritable path with the runtime's error", () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-check-"));
  try {
    // A file where the directory should be: no runtime can create the journal below it,
    // whatever the user's privileges (root ignores chmod).
    writeFileSync(join(dir, "blocker"), "");
    chmodSync(join(dir, "blocker"), 0o444);
    const path = join(dir, "blocker", "j.jsonl");
    const sink = createJournalSink({ path, onError: () => {} });
    assert.throws(() => sink.check(), (error: unknown) => {
      assert.ok(error instanceof JournalSinkError);
      assert.equal(error.code, "ENOTDIR");
      assert.ok(error.message.includes(path));
      return true;
    });
    sink.close();
    assert.throws(
      () => createJournalSink({ path, onOpenError: "throw" }),
      (error: unknown) => error instanceof JournalSinkError && error.code === "ENOTDIR",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a record whose kind getter throws an error that cannot be shown is still only a counted drop", () => {
  const fs = createFakeFs();
  const collected = collectErrors();
  const sink = createJournalSink({ path: "j", fs, onError: collected.onError });
  const unshowable = {
    toString: () => {
      throw new Error("no");
    },
  };
  const record = Object.defineProperty({}, "kind", {
    get() {
      throw unshowable;
    },
  });
  assert.doesNotThrow(() => sink.emit(asRecord(record)));
  sink.close();
  assert.equal(sink.stats.dropped, 1);
  assert.match(
    (collected.errors[0].error as Error).message,
    /record cannot be read \(an error that cannot be shown\)/,
  );
});
