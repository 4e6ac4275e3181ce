import { test } from "node:test";
import assert from "node:assert/strict";
import { createJournalSink } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { nextRotationTime, rotationPeriodMs } from "../src/time_rotation.ts";
import { collectErrors, logEntry, manualClock, parseLines } from "./_helpers.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 5, 1, 10, 30); // 10:30 UTC

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messages = (text: string) => parseLines(text).map((record) => record.msg);

test("daily boundaries fall at midnight UTC and hourly ones on the hour", () => {
  assert.equal(nextRotationTime(T0, "daily"), Date.UTC(2025, 5, 2));
  assert.equal(nextRotationTime(T0, "hourly"), Date.UTC(2025, 5, 1, 11));
  assert.equal(nextRotationTime(Date.UTC(2025, 5, 2), "daily"), Date.UTC(2025, 5, 3));
});

test("a numeric period rotates at multiples of itself since the epoch", () => {
  const quarter = 15 * 60_000;
  assert.equal(nextRotationTime(T0, quarter), Date.UTC(2025, 5, 1, 10, 45));
  assert.equal(nextRotationTime(T0 + quarter - 1, quarter), Date.UTC(2025, 5, 1, 10, 45));
});

test("periods that are not positive and finite are refused", () => {
  assert.equal(rotationPeriodMs("daily"), DAY);
  for (const bad of [0, -5, Infinity, NaN, "weekly"]) {
    assert.ok(Number.isNaN(rotationPeriodMs(bad as number)), String(bad));
  }
  const fs = createFakeFs();
  assert.throws(() => createJournalSink({ path: "j", fs, rotate: { every: 0 } }), RangeError);
  assert.throws(
    () => createJournalSink({ path: "j", fs, rotate: { every: "weekly" as "daily" } }),
    RangeError,
  );
});

test("the first record after the boundary goes into a new file; earlier ones stay in path.1", () => {
  const fs = createFakeFs();
  const clock = manualClock(T0);
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "none",
    rotate: { every: "hourly" },
    maxFiles: 3,
  });
  sink.emit(logEntry("10:30"));
  clock.advance(29 * 60_000); // 10:59
  sink.emit(logEntry("10:59"));
  clock.advance(60_000); // 11:00
  sink.emit(logEntry("11:00"));
  clock.advance(2 * HOUR); // 13:00, two boundaries later: one rotation
  sink.emit(logEntry("13:00"));
  sink.close();
  assert.equal(sink.stats.rotations, 2);
  assert.deepEqual(messages(fs.text("j.2")), ["10:30", "10:59"]);
  assert.deepEqual(messages(fs.text("j.1")), ["11:00"]);
  assert.deepEqual(messages(fs.text("j")), ["13:00"]);
});

test("time and size rotation combine: whichever comes first rotates", () => {
  const fs = createFakeFs();
  const clock = manualClock(T0);
  const line = JSON.stringify(logEntry("x0")) + "\n";
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "none",
    rotate: { every: "hourly" },
    maxBytes: line.length * 2,
    maxFiles: 5,
  });
  sink.emit(logEntry("x0"));
  sink.emit(logEntry("x1"));
  sink.emit(logEntry("x2")); // size
  clock.advance(HOUR);
  sink.emit(logEntry("x3")); // time
  sink.close();
  assert.equal(sink.stats.rotations, 2);
  assert.deepEqual(messages(fs.text("j.2")), ["x0", "x1"]);
  assert.deepEqual(messages(fs.text("j.1")), ["x2"]);
  assert.deepEqual(messages(fs.text("j")), ["x3"]);
});

test("an empty live file is not rotated at a boundary", () => {
  const fs = createFakeFs();
  const clock = manualClock(T0);
  const sink = createJournalSink({ path: "j", fs, clock, fsync: "none", rotate: { every: HOUR } });
  clock.advance(3 * HOUR);
  sink.emit(logEntry("first"));
  sink.close();
  assert.equal(sink.stats.rotations, 0);
  assert.deepEqual(fs.paths(), ["j"]);
});

test("a restarted process rotates a journal last written in an earlier period first", () => {
  const clock = manualClock(T0);
  const fs = createFakeFs({ clock });
  const first = createJournalSink({ path: "j", fs, clock, fsync: "none", rotate: { every: DAY } });
  first.emit(logEntry("yesterday"));
  first.close();
  clock.advance(DAY);
  const second = createJournalSink({ path: "j", fs, clock, fsync: "none", rotate: { every: DAY } });
  second.emit(logEntry("today"));
  second.close();
  assert.deepEqual(messages(fs.text("j.1")), ["yesterday"]);
  assert.deepEqual(messages(fs.text("j")), ["today"]);
});

test("a restarted process in the same period keeps appending to the journal", () => {
  const clock = manualClock(T0);
  const fs = createFakeFs({ clock });
  const first = createJournalSink({ path: "j", fs, clock, fsync: "none", rotate: { every: DAY } });
  first.emit(logEntry("morning"));
  first.close();
  clock.advance(HOUR);
  const second = createJournalSink({ path: "j", fs, clock, fsync: "none", rotate: { every: DAY } });
  second.emit(logEntry("noon"));
  second.close();
  assert.equal(second.stats.rotations, 0);
  assert.deepEqual(messages(fs.text("j")), ["morning", "noon"]);
});

test("buffered records of the ended period are written before the time rotation", () => {
  const fs = createFakeFs();
  const clock = manualClock(T0);
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "none",
    buffer: { maxBytes: 1 << 20, flushIntervalMs: 60_000 },
    rotate: { every: "hourly" },
  });
  sink.emit(logEntry("a"));
  sink.emit(logEntry("b"));
  clock.advance(HOUR);
  sink.emit(logEntry("c"));
  sink.close();
  assert.deepEqual(messages(fs.text("j.1")), ["a", "b"]);
  assert.deepEqual(messages(fs.text("j")), ["c"]);
});

test("with time rotation and periodic fsync, emit still reads the clock once per record", () => {
  const fs = createFakeFs();
  let reads = 0;
  let now = T0;
  const clock = {
    now() {
      reads++;
      return now;
    },
  };
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "periodic",
    fsyncIntervalMs: 1000,
    rotate: { every: "daily" },
  });
  const before = reads;
  for (let i = 0; i < 100; i++) {
    now += 100;
    sink.emit(logEntry(`r${i}`));
  }
  const perRecord = (reads - before) / 100;
  sink.close();
  assert.ok(perRecord <= 1.1, `clock reads per record: ${perRecord}`);
  assert.ok((fs.calls.fsync ?? 0) >= 9, "the periodic fsync still ran on the shared reading");
});

test("an idle journal is rotated by the boundary timer without waiting for a record", async () => {
  const fs = createFakeFs();
  const clock = manualClock(T0);
  const every = 20; // ms; the timer waits for the real boundary, the decision uses `clock`
  const sink = createJournalSink({ path: "j", fs, clock, fsync: "none", rotate: { every } });
  sink.emit(logEntry("before"));
  clock.advance(every);
  await sleep(every * 5);
  const rotations = sink.stats.rotations;
  sink.close();
  assert.equal(rotations, 1);
  assert.deepEqual(messages(fs.text("j.1")), ["before"]);
  assert.equal(fs.text("j"), "");
});

test("a failed time rotation keeps writing to the live file and retries later", () => {
  const fs = createFakeFs();
  const clock = manualClock(T0);
  const errors = collectErrors();
  const sink = createJournalSink({
    path: "j",
    fs,
    clock,
    fsync: "none",
    rotate: { every: "hourly" },
    onError: errors.onError,
  });
  sink.emit(logEntry("one"));
  clock.advance(HOUR);
  fs.fail("rename", "EACCES", 1);
  sink.emit(logEntry("two"));
  assert.equal(sink.stats.rotations, 0);
  clock.advance(1000);
  sink.emit(logEntry("three"));
  sink.close();
  assert.equal(sink.stats.written, 3, "nothing dropped for want of a rotation");
  assert.deepEqual(errors.codes(), ["EACCES"]);
  assert.deepEqual(messages(fs.text("j.1")), ["one", "two"]);
  assert.deepEqual(messages(fs.text("j")), ["three"]);
});
