// The fault matrix on the fake fs: every FsOps method the sink calls fails with every
// common code, once, five times and until cleared, under each fsync policy. Whatever
// fails, `emit` never throws, no half line is followed by another record, every record
// is written or counted dropped, reports stay bounded (once per kind per episode), a
// failed fsync is reported as possible loss and never retried, and the sink recovers
// once the fault clears. Then random fault schedules (fast-check) and targeted cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createJournalSink, type FsOps, type FsyncPolicy } from "../mod.ts";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { manualClock } from "./_helpers.ts";
import {
  checkJournal,
  checkReports,
  type Event,
  generations,
  lineCache,
  numbered,
  reportInto,
  traced,
} from "./fixtures/reliability_shared.ts";

const METHODS = [
  "open",
  "append",
  "fsync",
  "rename",
  "remove",
  "size",
  "syncDir",
  "close",
  "readAt",
] as const;
const CODES = ["ENOSPC", "EIO", "EACCES", "ENOENT", "EBADF", "EMFILE"];
const MODES = [["once", 1], ["5 times", 5], ["until cleared", Infinity]] as const;
const POLICIES: FsyncPolicy[] = ["always", "periodic", "none"];
const LIVE = "logs/j";
const pad = (i: number) => (i * 37) % 90;
const lineOf = lineCache(pad);

/** Bytes stored, read without calling (and tripping) the fake's faultable methods. */
function usedBytes(fs: FakeFs): number {
  let used = 0;
  for (const path of fs.paths()) used += new TextEncoder().encode(fs.text(path)).length;
  return used;
}

/** Figures for RELIABILITY.md, summed over the matrix. */
const totals = { scenarios: 0, faults: 0, dropped: 0, written: 0, reports: 0 };

interface Harness {
  fs: FakeFs;
  timeline: Event[];
  sink: ReturnType<typeof createJournalSink>;
  clock: ReturnType<typeof manualClock>;
  /** The records whose emit counted them written. */
  accepted: Set<number>;
  emit(i: number): void;
  texts(): string[];
}

function harness(policy: FsyncPolicy, fsOverride?: (fs: FakeFs) => FsOps<number>): Harness {
  const fs = createFakeFs();
  const timeline: Event[] = [];
  const clock = manualClock();
  const sink = createJournalSink({
    path: LIVE,
    fs: traced(fsOverride ? fsOverride(fs) : fs, timeline),
    clock,
    maxBytes: 1000,
    maxFiles: 40,
    fsync: policy,
    fsyncIntervalMs: 100,
    onError: reportInto(timeline),
  });
  const accepted = new Set<number>();
  return {
    fs,
    timeline,
    sink,
    clock,
    accepted,
    emit(i) {
      const before = sink.stats.written;
      assert.doesNotThrow(() => sink.emit(numbered(i, pad(i))));
      if (sink.stats.written === before + 1) accepted.add(i);
      clock.advance(40);
    },
    texts: () => generations(fs.paths(), LIVE).map((path) => fs.text(path)),
  };
}

/**
 * Every record counted written is in the journal. A record counted dropped may be there
 * too in one case: the disk filled exactly before its newline, and the line break the
 * sink writes before the next record completes it.
 */
function checkKept(h: Harness, emitted: number, label = ""): number[] {
  const { found } = checkJournal(h.texts(), lineOf, emitted);
  for (const i of h.accepted) assert.ok(found.includes(i), `${label}: r${i} counted written, lost`);
  const extra = found.filter((i) => !h.accepted.has(i));
  for (const i of extra) {
    assert.ok(h.fs.paths().length > 0 && i < emitted, `${label}: r${i} never emitted`);
  }
  assert.ok(extra.length <= h.sink.stats.dropped, `${label}: more extra records than drops`);
  return found;
}

/** Runs before / during / after a fault and proves every promise on the outcome. */
function scenario(policy: FsyncPolicy, inject: (fs: FakeFs) => void, label: string): void {
  const h = harness(policy);
  let i = 0;
  for (; i < 10; i++) h.emit(i);
  const errorsBefore = h.sink.stats.errors;
  inject(h.fs);
  for (; i < 50; i++) h.emit(i);
  h.sink.flush();
  h.fs.clearFaults();
  h.clock.advance(2000);
  const recoveredFrom = i;
  const writtenBefore = h.sink.stats.written;
  for (; i < 70; i++) h.emit(i);
  assert.equal(h.sink.stats.written - writtenBefore, 20, `${label}: recovers once cleared`);
  h.sink.close();

  const { written, dropped, errors } = h.sink.stats;
  assert.equal(written + dropped, 70, `${label}: each record written or counted dropped`);
  const found = checkKept(h, 70, label);
  for (let k = recoveredFrom; k < 70; k++) assert.ok(found.includes(k), `${label}: r${k} kept`);
  checkReports(h.timeline, LIVE);
  const reports = h.timeline.filter((e) => e.kind === "report");
  assert.ok(reports.length <= 6, `${label}: ${reports.length} reports for ${errors} failures`);
  totals.scenarios++;
  totals.faults += errors - errorsBefore;
  totals.dropped += dropped;
  totals.written += written;
  totals.reports += reports.length;
}

for (const method of METHODS) {
  for (const [mode, times] of MODES) {
    test(`${method} failing ${mode} with any code never throws, tears or floods, and recovers`, () => {
      for (const policy of POLICIES) {
        for (const code of CODES) {
          scenario(policy, (fs) => fs.fail(method, code, times), `${method} ${code} ${policy}`);
        }
      }
    });
  }
}

test("a disk that fills part way through a line (short write) tears nothing that follows", () => {
  for (const policy of POLICIES) {
    for (let room = 0; room < 120; room += 7) {
      scenario(policy, (fs) => {
        fs.diskFull(usedBytes(fs) + room);
      }, `disk full after ${room} more bytes, ${policy}`);
    }
  }
});

test("the matrix injected faults and lost only records it counted as dropped", () => {
  // Runs after the matrix (node:test runs a file's tests in order): the totals are real.
  assert.ok(totals.scenarios >= METHODS.length * MODES.length * POLICIES.length * CODES.length);
  assert.ok(totals.faults > totals.scenarios, "faults actually fired");
  assert.ok(totals.reports < totals.faults / 2, "reports are a fraction of the failures");
  if (typeof process !== "undefined" && process.env?.RELIABILITY_FIGURES) {
    console.log(`fault matrix: ${JSON.stringify(totals)}`);
  }
});

/** One step of a random fault schedule. */
type Step =
  | { op: "emit"; count: number }
  | { op: "fail"; method: (typeof METHODS)[number]; code: string; times: number }
  | { op: "diskFull"; room: number }
  | { op: "clear" }
  | { op: "advance"; ms: number }
  | { op: "flush" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant("emit" as const),
      count: fc.integer({ min: 1, max: 6 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("fail" as const),
      method: fc.constantFrom(...METHODS),
      code: fc.constantFrom(...CODES),
      times: fc.constantFrom(1, 2, 3, Infinity),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ op: fc.constant("diskFull" as const), room: fc.nat({ max: 300 }) }),
    weight: 1,
  },
  { arbitrary: fc.constant({ op: "clear" as const }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.nat({ max: 1500 }) }),
    weight: 1,
  },
  { arbitrary: fc.constant({ op: "flush" as const }), weight: 1 },
);

test("random schedules of faults keep every promise (fast-check)", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...POLICIES),
      fc.array(step, { maxLength: 40 }),
      (policy, steps) => {
        const h = harness(policy);
        let i = 0;
        for (const s of steps) {
          if (s.op === "emit") { for (let k = 0; k < s.count; k++) h.emit(i++); }
          else if (s.op === "fail") h.fs.fail(s.method, s.code, s.times);
          else if (s.op === "diskFull") {
            h.fs.diskFull(usedBytes(h.fs) + s.room);
          } else if (s.op === "clear") h.fs.clearFaults();
          else if (s.op === "advance") h.clock.advance(s.ms);
          else assert.doesNotThrow(() => h.sink.flush());
        }
        h.fs.clearFaults();
        h.clock.advance(2000);
        const before = h.sink.stats.written;
        for (let k = 0; k < 5; k++) h.emit(i++);
        assert.equal(h.sink.stats.written - before, 5, "recovers once the faults clear");
        assert.doesNotThrow(() => h.sink.close());
        const { written, dropped } = h.sink.stats;
        assert.equal(written + dropped, i);
        checkKept(h, i);
        checkReports(h.timeline, LIVE);
      },
    ),
    { numRuns: 400 },
  );
});

test("after a torn append, a failing size on reopen still starts the next record on a new line", () => {
  const h = harness("none");
  h.emit(0);
  h.fs.diskFull(usedBytes(h.fs) + 30);
  h.emit(1);
  h.fs.clearFaults();
  h.fs.fail("size", "EIO", 1);
  h.emit(2);
  h.sink.close();
  const { found, torn } = checkJournal(h.texts(), lineOf, 3);
  assert.deepEqual(found, [0, 2]);
  assert.equal(torn, 1);
});

test("after a torn append, a failing tail read on reopen still starts the next record on a new line", () => {
  const h = harness("none");
  h.emit(0);
  h.fs.diskFull(usedBytes(h.fs) + 30);
  h.emit(1);
  h.fs.clearFaults();
  h.fs.fail("readAt", "EIO", 1);
  h.emit(2);
  h.sink.close();
  const { found, torn } = checkJournal(h.texts(), lineOf, 3);
  assert.deepEqual(found, [0, 2]);
  assert.equal(torn, 1);
});

test("after a torn append on an FsOps without readAt (the first contract), the next record starts a line", () => {
  const h = harness("none", (fs) => {
    const { readAt: _readAt, ...firstContract } = fs;
    return firstContract as FsOps<number>;
  });
  h.emit(0);
  h.fs.diskFull(usedBytes(h.fs) + 30);
  h.emit(1);
  h.fs.clearFaults();
  h.emit(2);
  h.sink.close();
  const { found, torn } = checkJournal(h.texts(), lineOf, 3);
  assert.deepEqual(found, [0, 2]);
  assert.equal(torn, 1);
});

test("a size failure is reported again in a later episode, after size worked in between", () => {
  const h = harness("none");
  h.fs.fail("size", "EIO", 1);
  h.fs.fail("append", "EIO", 1);
  h.emit(0); // append fails: the sink releases the file and reopens on the next emit
  h.emit(1); // reopen: size fails (reported), append works
  h.fs.fail("append", "EIO", 1);
  h.emit(2); // append fails again (a new append episode: reported)
  h.emit(3); // reopen: size works, which ends the size episode
  h.fs.fail("append", "EIO", 1);
  h.emit(4);
  h.fs.fail("size", "EIO", 1);
  h.emit(5); // reopen: size fails in a new episode and must be reported again
  h.sink.close();
  const sizeReports = h.timeline.filter((e) => e.kind === "report" && e.operation === "size");
  assert.equal(sizeReports.length, 2, "one report per size episode");
  checkReports(h.timeline, LIVE);
});

test("a close failure is reported again in a later episode, after close worked in between", () => {
  const h = harness("none");
  h.fs.fail("close", "EIO", 1);
  h.fs.fail("append", "EIO", 1);
  h.emit(0); // append fails, close fails (reported)
  h.fs.fail("append", "EIO", 1);
  h.emit(1); // reopen, append fails again, close works: the close episode ends
  h.fs.fail("close", "EIO", 1);
  h.fs.fail("append", "EIO", 1);
  h.emit(2); // close fails in a new episode and must be reported again
  h.sink.close();
  const closeReports = h.timeline.filter((e) => e.kind === "report" && e.operation === "close");
  assert.equal(closeReports.length, 2, "one report per close episode");
});

test("a failed fsync is reported as possible loss once per episode and never retried", () => {
  for (const policy of ["always", "periodic"] as const) {
    const h = harness(policy);
    h.emit(0);
    h.fs.fail("fsync", "EIO");
    for (let i = 1; i < 30; i++) h.emit(i);
    h.sink.flush();
    h.sink.flush();
    const fsyncCalls = h.timeline.filter((e) => e.kind !== "report" && e.method === "fsync");
    const appends = h.timeline.filter((e) => e.kind === "ok" && e.method === "append");
    assert.ok(fsyncCalls.length <= appends.length, `${policy}: at most one fsync per append`);
    h.fs.clearFaults();
    h.emit(30);
    h.sink.close();
    const reports = h.timeline.filter((e) => e.kind === "report");
    assert.equal(reports[0].kind === "report" && reports[0].code, "EIO");
    assert.match(reports[0].kind === "report" ? reports[0].message : "", /may be lost/);
    assert.ok(
      reports.some((e) => e.kind === "report" && e.operation === "fsync" && e.code === "RECOVERED"),
      `${policy}: a note says fsync works again`,
    );
    assert.equal(h.sink.stats.written, 31, "a failed fsync costs no append");
    checkReports(h.timeline, LIVE);
  }
});

test("a failed rotation keeps appending to the live file and retries after 1 s of the injected clock", () => {
  for (const method of ["rename", "remove"] as const) {
    const h = harness("always");
    // A rotation removes a generation only when every kept number (40) is taken.
    const kept = method === "remove"
      ? Array.from({ length: 40 }, (_, n) => `${LIVE}.${n + 1}`)
      : [];
    for (const name of kept) h.fs.close(h.fs.open(name));
    h.fs.fail(method, "EACCES");
    for (let i = 0; i < 20; i++) {
      h.sink.emit(numbered(i, pad(i)));
      h.clock.advance(10);
    }
    // The rotation lock's own file (`.lock`) is not the rotation's attempt.
    const tried = (e: Event) =>
      e.kind === "fail" && e.method === method && !String(e.args?.[0]).endsWith(".lock");
    const attempts = h.timeline.filter(tried).length;
    assert.equal(attempts, 1, `${method}: one attempt within the second`);
    assert.equal(h.sink.stats.dropped, 0, `${method}: nothing dropped for want of a rotation`);
    // With remove failing, the rotation lock's file stays too (still this writer's own).
    const files = h.fs.paths().filter((path) => !path.endsWith(".lock"));
    assert.deepEqual(files, [LIVE, ...kept].sort());
    h.clock.advance(1000);
    h.sink.emit(numbered(20, 0));
    const again = h.timeline.filter(tried).length;
    assert.equal(again, 2, `${method}: retried once the second passed`);
    h.fs.clearFaults();
    h.clock.advance(1000);
    h.sink.emit(numbered(21, 0));
    h.sink.close();
    assert.equal(h.sink.stats.rotations, 1);
    const { found } = checkJournal(h.texts(), lineOf, 22);
    assert.equal(found.length, 22);
  }
});
