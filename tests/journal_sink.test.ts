import { test } from "node:test";
import assert from "node:assert/strict";
import { createJournalSink, JournalSinkError, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectErrors, logEntry, manualClock, parseLines } from "./_helpers.ts";

test("each record becomes one line and the stats count records and bytes", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j.jsonl", fs, fsync: "none" });
  sink.emit(logEntry("one"));
  sink.emit({ kind: "span-open", spanId: "s1", name: "step", timestamp: 2, extensionId: "test" });
  sink.close();
  const lines = parseLines(fs.text("j.jsonl"));
  assert.deepEqual(lines.map((line) => line.kind), ["log", "span-open"]);
  assert.equal(sink.stats.written, 2);
  assert.equal(sink.stats.bytes, new TextEncoder().encode(fs.text("j.jsonl")).length);
  assert.equal(sink.stats.dropped, 0);
});

test("an existing journal is appended to and its size counts toward rotation", () => {
  const fs = createFakeFs();
  const handle = fs.open("j.jsonl");
  fs.append(handle, JSON.stringify(logEntry("old")) + "\n");
  fs.close(handle);
  const before = fs.size("j.jsonl");
  const sink = createJournalSink({ path: "j.jsonl", fs, maxBytes: before + 10, fsync: "none" });
  sink.emit(logEntry("new"));
  sink.close();
  assert.equal(sink.stats.rotations, 1, "the old bytes pushed the new line into a new file");
  assert.equal(parseLines(fs.text("j.jsonl.1"))[0].msg, "old");
  assert.equal(parseLines(fs.text("j.jsonl"))[0].msg, "new");
});

test("rotation keeps maxFiles generations, newest in path.1, and removes the oldest", () => {
  const fs = createFakeFs();
  const line = JSON.stringify(logEntry("record 0")) + "\n";
  const sink = createJournalSink({
    path: "j",
    fs,
    maxBytes: line.length * 2,
    maxFiles: 2,
    fsync: "none",
  });
  for (let i = 0; i < 10; i++) sink.emit(logEntry(`record ${i}`));
  sink.close();
  assert.deepEqual(fs.paths(), ["j", "j.1", "j.2"]);
  const msgs = (path: string) => parseLines(fs.text(path)).map((r) => r.msg);
  assert.deepEqual(msgs("j.2"), ["record 4", "record 5"]);
  assert.deepEqual(msgs("j.1"), ["record 6", "record 7"]);
  assert.deepEqual(msgs("j"), ["record 8", "record 9"]);
  assert.equal(sink.stats.rotations, 4);
  for (const path of fs.paths()) assert.ok(fs.size(path) <= line.length * 2);
});

test("a record larger than maxBytes is written whole into a fresh file", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, maxBytes: 100, maxFiles: 3, fsync: "none" });
  sink.emit(logEntry("small"));
  sink.emit(logEntry("huge", { body: "x".repeat(500) }));
  sink.emit(logEntry("after"));
  sink.close();
  assert.deepEqual(parseLines(fs.text("j.2")).map((r) => r.msg), ["small"]);
  assert.deepEqual(parseLines(fs.text("j.1")).map((r) => r.msg), ["huge"]);
  assert.equal((parseLines(fs.text("j.1"))[0].body as string).length, 500);
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["after"]);
});

test("with maxFiles 0 a rotation discards the full file", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, maxBytes: 150, maxFiles: 0, fsync: "none" });
  for (let i = 0; i < 4; i++) sink.emit(logEntry(`r${i}`));
  sink.close();
  assert.deepEqual(fs.paths(), ["j"]);
  assert.equal(parseLines(fs.text("j")).at(-1)?.msg, "r3");
});

test("multi-byte records never push a file past maxBytes", () => {
  const fs = createFakeFs();
  const maxBytes = 400;
  const sink = createJournalSink({ path: "j", fs, maxBytes, maxFiles: 50, fsync: "none" });
  for (let i = 0; i < 60; i++) sink.emit(logEntry("€😀é".repeat(i % 7) + i));
  sink.close();
  for (const path of fs.paths()) {
    assert.ok(new TextEncoder().encode(fs.text(path)).length <= maxBytes, path);
    parseLines(fs.text(path));
  }
  assert.equal(sink.stats.written, 60);
});

test("fsync always syncs after every record, so a crash loses nothing emit accepted", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "logs/j",
    fs,
    fsync: "always",
    maxBytes: 300,
    maxFiles: 5,
  });
  for (let i = 0; i < 12; i++) sink.emit(logEntry(`r${i}`));
  assert.ok((fs.calls.fsync ?? 0) >= 12);
  fs.crash();
  const all = ["logs/j.5", "logs/j.4", "logs/j.3", "logs/j.2", "logs/j.1", "logs/j"]
    .flatMap((path) => parseLines(fs.text(path)).map((r) => r.msg));
  assert.deepEqual(all, Array.from({ length: 12 }, (_, i) => `r${i}`));
  assert.ok(sink.stats.rotations >= 2, "the crash happened after rotations");
});

test("fsync periodic syncs at most once an interval by the injected clock, and on flush", () => {
  const fs = createFakeFs();
  const clock = manualClock();
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "periodic",
    fsyncIntervalMs: 1000,
    onError: () => {},
  });
  const base = fs.calls.fsync ?? 0;
  sink.emit(logEntry("a"));
  sink.emit(logEntry("b"));
  assert.equal((fs.calls.fsync ?? 0) - base, 0, "no sync before the interval");
  clock.advance(1000);
  sink.emit(logEntry("c"));
  assert.equal((fs.calls.fsync ?? 0) - base, 1, "one sync once the interval passed");
  sink.emit(logEntry("d"));
  fs.crash();
  assert.deepEqual(
    parseLines(fs.text("j")).map((r) => r.msg),
    ["a", "b", "c"],
    "the last interval is lost",
  );
  sink.close();
});

test("fsync periodic loses nothing that flush covered", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, clock: manualClock(), fsync: "periodic" });
  sink.emit(logEntry("a"));
  sink.flush();
  sink.emit(logEntry("b"));
  fs.crash();
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["a"]);
});

test("fsync periodic syncs by itself when the writer goes idle", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "j",
    fs,
    fsync: "periodic",
    fsyncIntervalMs: 20,
    onError: () => {},
  });
  sink.emit(logEntry("idle"));
  const base = fs.calls.fsync ?? 0;
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.ok((fs.calls.fsync ?? 0) > base, "the idle timer synced");
  fs.crash();
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["idle"]);
  sink.close();
});

test("fsync none syncs only when asked, on flush and close", () => {
  const fs = createFakeFs();
  const clock = manualClock();
  const sink = createJournalSink({ path: "j", fs, clock, fsync: "none", fsyncIntervalMs: 1 });
  for (let i = 0; i < 5; i++) {
    clock.advance(10);
    sink.emit(logEntry(`r${i}`));
  }
  assert.equal(fs.calls.fsync ?? 0, 0);
  sink.flush();
  assert.equal(fs.calls.fsync, 1);
  sink.close();
  assert.equal(fs.calls.fsync, 1, "nothing new to sync on close");
});

test("an unopenable path drops records, reports once, and recovers when the fault clears", () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  fs.fail("open", "EACCES");
  const sink = createJournalSink({ path: "j", fs, onError: errors.onError, fsync: "none" });
  for (let i = 0; i < 50; i++) sink.emit(logEntry(`lost ${i}`));
  assert.equal(sink.stats.dropped, 50);
  assert.deepEqual(errors.codes(), ["EACCES"]);
  assert.ok(errors.errors[0].error instanceof JournalSinkError);
  fs.clearFaults();
  sink.emit(logEntry("back"));
  sink.close();
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["back"]);
  assert.equal(sink.stats.written, 1);
  assert.equal(errors.errors.length, 2, "a recovery note follows the suppressed burst");
  assert.equal(errors.codes()[1], "RECOVERED");
});

test("a burst of append failures gives one report per kind of fault, not one per record", () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  const sink = createJournalSink({ path: "j", fs, onError: errors.onError, fsync: "none" });
  fs.fail("append", "EIO");
  for (let i = 0; i < 1000; i++) sink.emit(logEntry(`r${i}`));
  fs.clearFaults();
  fs.fail("append", "ENOSPC");
  for (let i = 0; i < 1000; i++) sink.emit(logEntry(`r${i}`));
  assert.deepEqual(errors.codes(), ["EIO", "ENOSPC"]);
  assert.equal(sink.stats.dropped, 2000);
  assert.equal(sink.stats.errors, 2000);
  sink.close();
});

test("a record dropped by a failure is handed to onError with the error", () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  const sink = createJournalSink({ path: "j", fs, onError: errors.onError });
  fs.fail("append", "EIO", 1);
  const record = logEntry("the one");
  sink.emit(record);
  assert.equal(errors.errors[0].record, record);
  assert.match(String((errors.errors[0].error as Error).message), /append failed.*EIO/);
  sink.close();
});

test("emit after close is a counted drop, reported once", () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  const sink = createJournalSink({ path: "j", fs, onError: errors.onError });
  sink.close();
  sink.close();
  sink.emit(logEntry("late"));
  sink.emit(logEntry("later"));
  assert.equal(sink.stats.dropped, 2);
  assert.deepEqual(errors.codes(), ["ECLOSED"]);
  assert.equal(fs.text("j"), "");
});

test("emit never throws, even when onError throws and the input is hostile", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "j",
    fs,
    onError: () => {
      throw new Error("handler bug");
    },
  });
  fs.fail("append", "EIO", 1);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.doesNotThrow(() => {
    sink.emit(logEntry("x", { attributes: cyclic }));
    sink.emit(logEntry("y", { attributes: cyclic }));
    sink.emit(null as unknown as LogRecord);
    sink.emit(undefined as unknown as LogRecord);
  });
  sink.close();
  assert.equal(sink.stats.written, 1);
  assert.equal(sink.stats.dropped, 3);
  assert.equal(
    parseLines(fs.text("j"))[0].attributes &&
      "self" in (parseLines(fs.text("j"))[0].attributes as object),
    true,
  );
});

test("a failed fsync is reported as possible data loss and not retried", () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  const sink = createJournalSink({ path: "j", fs, onError: errors.onError, fsync: "always" });
  const before = fs.calls.fsync ?? 0;
  fs.fail("fsync", "EIO", 1);
  sink.emit(logEntry("maybe lost"));
  assert.equal((fs.calls.fsync ?? 0) - before, 1, "one attempt, no silent retry");
  assert.equal(errors.codes()[0], "EIO");
  assert.match((errors.errors[0].error as Error).message, /may be lost/);
  assert.equal(sink.stats.errors, 1);
  assert.equal(sink.stats.written, 1, "the bytes were appended");
  sink.flush();
  assert.equal((fs.calls.fsync ?? 0) - before, 1, "flush does not pretend to repair it");
  sink.close();
});

test("a torn append never leaves half a line followed by the next record", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", onError: () => {} });
  sink.emit(logEntry("whole"));
  fs.diskFull(fs.size("j") + 20);
  sink.emit(logEntry("torn by a full disk"));
  fs.clearFaults();
  sink.emit(logEntry("after"));
  sink.close();
  const lines = fs.text("j").split("\n");
  assert.equal(JSON.parse(lines[0]).msg, "whole");
  assert.throws(() => JSON.parse(lines[1]), "the torn fragment stands alone");
  assert.equal(JSON.parse(lines[2]).msg, "after");
  assert.equal(sink.stats.dropped, 1);
});

test("a journal whose last line was torn by a crash gets a line break before new records", () => {
  const fs = createFakeFs();
  const handle = fs.open("j");
  fs.append(handle, '{"kind":"log","msg":"whole"}\n{"kind":"log","ms');
  fs.close(handle);
  const sink = createJournalSink({ path: "j", fs, fsync: "none" });
  sink.emit(logEntry("next"));
  sink.close();
  const lines = fs.text("j").split("\n");
  assert.equal(lines[1], '{"kind":"log","ms');
  assert.equal(JSON.parse(lines[2]).msg, "next");
});

test("a failed rotation keeps appending to the live file and retries a second later", () => {
  const fs = createFakeFs();
  const clock = manualClock();
  const errors = collectErrors();
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    maxBytes: 150,
    maxFiles: 1,
    fsync: "none",
    onError: errors.onError,
  });
  fs.fail("rename", "EXDEV");
  for (let i = 0; i < 5; i++) sink.emit(logEntry(`r${i}`));
  assert.equal(sink.stats.written, 5, "nothing dropped for want of a rotation");
  assert.equal(sink.stats.rotations, 0);
  assert.deepEqual(errors.codes(), ["EXDEV"]);
  assert.equal(fs.calls.rename, 1, "not retried before the delay");
  fs.clearFaults();
  clock.advance(1000);
  sink.emit(logEntry("rotated"));
  sink.close();
  assert.equal(sink.stats.rotations, 1);
  assert.deepEqual(parseLines(fs.text("j.1")).map((r) => r.msg), ["r0", "r1", "r2", "r3", "r4"]);
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["rotated"]);
});

test("a missing parent directory is created, unless mkdir is false", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "a/b/j", fs });
  sink.emit(logEntry("made"));
  sink.close();
  assert.equal(parseLines(fs.text("a/b/j"))[0].msg, "made");

  const errors = collectErrors();
  const strict = createJournalSink({ path: "c/j", fs, mkdir: false, onError: errors.onError });
  strict.emit(logEntry("dropped"));
  strict.close();
  assert.equal(strict.stats.dropped, 1);
  assert.deepEqual(errors.codes(), ["ENOENT"]);
});

test("using a sink closes it at the end of the block", () => {
  const fs = createFakeFs();
  let sink;
  {
    using scoped = createJournalSink({ path: "j", fs });
    sink = scoped;
    scoped.emit(logEntry("scoped"));
  }
  sink.emit(logEntry("after dispose"));
  assert.equal(sink.stats.written, 1);
  assert.equal(sink.stats.dropped, 1);
});

test("invalid options are refused at creation, not at emit", () => {
  const fs = createFakeFs();
  assert.throws(() => createJournalSink({ path: "", fs }), TypeError);
  assert.throws(() => createJournalSink({ path: "j", fs, maxBytes: 0 }), RangeError);
  assert.throws(() => createJournalSink({ path: "j", fs, maxFiles: 1.5 }), RangeError);
  assert.throws(
    () => createJournalSink({ path: "j", fs, fsync: "sometimes" as "none" }),
    RangeError,
  );
});

test("the default error handler warns once on the console with the [journal-sink] prefix", () => {
  const fs = createFakeFs();
  const warnings: unknown[][] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  try {
    fs.fail("open", "EACCES");
    const sink = createJournalSink({ path: "j", fs });
    for (let i = 0; i < 10; i++) sink.emit(logEntry("x"));
    sink.close();
  } finally {
    console.warn = original;
  }
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0][0]), /^\[journal-sink\] cannot open journal.*EACCES/);
});

test("a rotation under fsync always survives a crash because the directory is synced", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "always", maxBytes: 120, maxFiles: 3 });
  sink.emit(logEntry("first"));
  sink.emit(logEntry("second"));
  assert.equal(sink.stats.rotations, 1);
  fs.crash();
  assert.deepEqual(parseLines(fs.text("j.1")).map((r) => r.msg), ["first"]);
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["second"]);
});

test("a failed directory sync is reported and writing goes on", () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  fs.fail("syncDir", "EIO");
  const sink = createJournalSink({
    path: "j",
    fs,
    fsync: "always",
    maxBytes: 120,
    onError: errors.onError,
  });
  sink.emit(logEntry("first"));
  sink.emit(logEntry("second"));
  sink.close();
  assert.equal(sink.stats.written, 2);
  assert.deepEqual(errors.codes(), ["EIO"]);
  assert.match((errors.errors[0].error as Error).message, /directory fsync failed/);
});
