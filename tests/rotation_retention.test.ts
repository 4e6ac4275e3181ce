import { test } from "node:test";
import assert from "node:assert/strict";
import { createJournalSink } from "../mod.ts";
import { rotationSteps } from "../src/rotation.ts";
import { createFakeFs } from "../testing.ts";
import { compressionTempPath, rotatedPath } from "../src/naming.ts";
import { generationsToRemove } from "../src/retention.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import { logEntry, manualClock, parseLines } from "./_helpers.ts";

const DAY = 86_400_000;
const messages = (text: string) => parseLines(text).map((record) => record.msg);

function touch(fs: ReturnType<typeof createFakeFs>, path: string, text = "{}\n"): void {
  const handle = fs.open(path);
  fs.append(handle, text);
  fs.close(handle);
}

test("suffix naming appends the number; before-ext keeps the extension last", () => {
  assert.equal(rotatedPath("/var/log/app.jsonl", 3), "/var/log/app.jsonl.3");
  assert.equal(rotatedPath("/var/log/app.jsonl", 3, "suffix", true), "/var/log/app.jsonl.3.gz");
  assert.equal(rotatedPath("/var/log/app.jsonl", 3, "before-ext"), "/var/log/app.3.jsonl");
  assert.equal(rotatedPath("app.tar.log", 1, "before-ext", true), "app.tar.1.log.gz");
  assert.equal(rotatedPath("app.jsonl", 0, "before-ext"), "app.jsonl");
});

test("before-ext falls back to suffix for names without an extension", () => {
  assert.equal(rotatedPath("logs/app", 2, "before-ext"), "logs/app.2");
  assert.equal(rotatedPath("logs.d/app", 2, "before-ext"), "logs.d/app.2");
  assert.equal(rotatedPath("logs/.hidden", 2, "before-ext"), "logs/.hidden.2");
  assert.equal(rotatedPath("C:\\logs.d\\app", 1, "before-ext"), "C:\\logs.d\\app.1");
});

test("the compression temporary file matches no generation name", () => {
  const temp = compressionTempPath("app.log");
  for (let n = 0; n < 5; n++) {
    for (const naming of ["suffix", "before-ext"] as const) {
      assert.notEqual(temp, rotatedPath("app.log", n, naming));
      assert.notEqual(temp, rotatedPath("app.log", n, naming, true));
    }
  }
});

test("with compression on, a rotation shifts each .gz generation just before its plain twin", () => {
  assert.deepEqual(rotationSteps("a.log", 2, { gzip: true }), [
    { op: "remove", path: "a.log.2.gz" },
    { op: "remove", path: "a.log.2" },
    { op: "rename", from: "a.log.1.gz", to: "a.log.2.gz" },
    { op: "rename", from: "a.log.1", to: "a.log.2" },
    { op: "rename", from: "a.log", to: "a.log.1" },
  ]);
});

test("retention removes everything past maxFiles and from the first expired generation up", () => {
  const now = 100 * DAY;
  const ages = (days: number[]) => days.map((d, i) => ({ n: i + 1, mtimeMs: now - d * DAY }));
  assert.deepEqual(generationsToRemove(ages([1, 2, 3]), { maxFiles: 5 }, now), []);
  assert.deepEqual(generationsToRemove(ages([1, 2, 3, 4]), { maxFiles: 2 }, now), [3, 4]);
  const policy = { maxFiles: 10, maxAgeMs: 2.5 * DAY };
  assert.deepEqual(generationsToRemove(ages([1, 2, 3, 4]), policy, now), [3, 4]);
  assert.deepEqual(generationsToRemove(ages([1, 9, 2]), policy, now), [2, 3], "older than 2");
  const twins = [{ n: 1, mtimeMs: 0 }, { n: 1, mtimeMs: 0 }];
  assert.deepEqual(generationsToRemove(twins, policy, now), [1], "plain and .gz twins once");
});

test("generations older than maxAgeMs are removed at rotation", () => {
  const clock = manualClock(10 * DAY);
  const fs = createFakeFs({ clock });
  const line = JSON.stringify(logEntry("day 0")) + "\n";
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "none",
    maxBytes: line.length,
    maxFiles: 10,
    maxAgeMs: 2.5 * DAY,
  });
  for (let day = 0; day < 6; day++) {
    sink.emit(logEntry(`day ${day}`));
    clock.advance(DAY);
  }
  sink.close();
  // Rotated at days 1…5: j.1 holds day 4 (1 day old at the last rotation) … j.5 day 0.
  assert.deepEqual(fs.paths(), ["j", "j.1", "j.2"]);
  assert.deepEqual(messages(fs.text("j.2")), ["day 3"]);
});

test("at start, leftovers past maxFiles and expired generations are removed", () => {
  const clock = manualClock(10 * DAY);
  const fs = createFakeFs({ clock });
  touch(fs, "j.4");
  clock.advance(DAY);
  touch(fs, "j.3");
  clock.advance(DAY);
  touch(fs, "j.2");
  touch(fs, "j.1");
  touch(fs, "j");
  const sink = createJournalSink({ path: "j", fs, clock, fsync: "none", maxFiles: 3 });
  sink.close();
  assert.deepEqual(fs.paths(), ["j", "j.1", "j.2", "j.3"]);
  const aged = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "none",
    maxFiles: 3,
    maxAgeMs: DAY / 2,
  });
  aged.close();
  assert.deepEqual(fs.paths(), ["j", "j.1", "j.2"]);
});

test("before-ext naming rotates app.log to app.1.log and keeps maxFiles of them", () => {
  const fs = createFakeFs();
  const line = JSON.stringify(logEntry("r0")) + "\n";
  const sink = createJournalSink({
    path: "logs/app.log",
    fs,
    fsync: "none",
    naming: "before-ext",
    maxBytes: line.length,
    maxFiles: 2,
  });
  for (let i = 0; i < 4; i++) sink.emit(logEntry(`r${i}`));
  sink.close();
  assert.deepEqual(fs.paths(), ["logs/app.1.log", "logs/app.2.log", "logs/app.log"]);
  assert.deepEqual(messages(fs.text("logs/app.2.log")), ["r1"]);
  assert.deepEqual(messages(fs.text("logs/app.1.log")), ["r2"]);
  assert.deepEqual(messages(fs.text("logs/app.log")), ["r3"]);
});

test("invalid naming, age and check interval options are refused at creation", () => {
  const fs = createFakeFs();
  assert.throws(
    () => createJournalSink({ path: "j", fs, naming: "prefix" as "suffix" }),
    RangeError,
  );
  assert.throws(() => createJournalSink({ path: "j", fs, maxAgeMs: 0 }), RangeError);
  assert.throws(() => createJournalSink({ path: "j", fs, externalRotationCheckMs: 0 }), RangeError);
  assert.throws(() => createJournalSink({ path: "j", fs, compress: "zstd" as "gzip" }), RangeError);
});

test("a rotation is durable at once: every rename is followed by a directory sync", () => {
  const fs = createFakeFs();
  const line = JSON.stringify(logEntry("r0")) + "\n";
  const sink = createJournalSink({
    path: "d/app.log",
    fs,
    fsync: "always",
    naming: "before-ext",
    maxBytes: line.length,
    maxFiles: 3,
  });
  for (let i = 0; i < 4; i++) sink.emit(logEntry(`r${i}`));
  fs.crash();
  assert.deepEqual(fs.paths(), ["d/app.1.log", "d/app.2.log", "d/app.3.log", "d/app.log"]);
  assert.deepEqual(messages(fs.text("d/app.3.log")), ["r0"]);
  assert.deepEqual(messages(fs.text("d/app.log")), ["r3"]);
});

test("the reader finds before-ext generations, plain and compressed, oldest first", async () => {
  const fs = createFakeFs();
  const line = JSON.stringify(logEntry("r0")) + "\n";
  const options = {
    path: "logs/app.log",
    fs,
    fsync: "none" as const,
    naming: "before-ext" as const,
    maxBytes: line.length,
    maxFiles: 5,
  };
  const compressing = createJournalSink({ ...options, compress: "gzip" });
  compressing.emit(logEntry("r0"));
  compressing.emit(logEntry("r1"));
  await compressing.idle();
  compressing.close();
  // Compression off now: the .gz generation found at start is still shifted along.
  const plain = createJournalSink(options);
  plain.emit(logEntry("r2"));
  plain.close();
  assert.deepEqual(fs.paths(), ["logs/app.1.log", "logs/app.2.log.gz", "logs/app.log"]);
  const read: unknown[] = [];
  for await (const record of readJournal("logs/app.log", { fs })) {
    if (record.kind === "log") read.push(record.msg);
  }
  assert.deepEqual(read, ["r0", "r1", "r2"]);
});
