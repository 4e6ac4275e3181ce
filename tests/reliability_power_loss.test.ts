// Power loss on the fake fs: `crash()` keeps only what fsync and a directory sync made
// durable. The power is cut at every file-system call of a workload (and at random calls
// of random workloads); a restarted sink then continues the journal. Shown per policy:
// "always" loses nothing emit accepted, "periodic" loses at most the last interval,
// "none" keeps what flush covered, and a rotation is durable only after the directory sync.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createJournalSink, type FsOps, type FsyncPolicy } from "../mod.ts";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { manualClock } from "./_helpers.ts";
import {
  checkJournal,
  type Event,
  generations,
  lineCache,
  numbered,
  traced,
} from "./fixtures/reliability_shared.ts";

const LIVE = "logs/j";
const pad = (i: number) => (i * 53) % 120;
const lineOf = lineCache(pad);
const INTERVAL = 100;

/**
 * The fake fs as one process sees it: at call number `cutAt` the power goes (the fake
 * crashes) and this process is dead: that call and every later one throw.
 */
function oneProcess(fs: FakeFs, cutAt: number): { ops: FsOps<number>; cut: () => boolean } {
  let calls = 0;
  let dead = false;
  const ops: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fs)) {
    if (typeof value !== "function") continue;
    ops[name] = (...args: unknown[]) => {
      if (!dead && ++calls >= cutAt) {
        dead = true;
        fs.crash();
      }
      if (dead) throw Object.assign(new Error("power lost"), { code: "EPOWER" });
      return (value as (...a: unknown[]) => unknown).apply(fs, args);
    };
  }
  return { ops: ops as unknown as FsOps<number>, cut: () => dead };
}

interface Emitted {
  i: number;
  at: number;
  accepted: boolean;
}

/** A workload step: a record (with a clock advance before it) or a flush. */
type Step = { advance: number } | "flush";

/** Runs `steps` until the power is cut at call `cutAt`; returns what emit accepted. */
function runUntilCut(fs: FakeFs, policy: FsyncPolicy, steps: Step[], cutAt: number) {
  const clock = manualClock();
  const proc = oneProcess(fs, cutAt);
  const sink = createJournalSink({
    path: LIVE,
    fs: proc.ops,
    clock,
    fsync: policy,
    fsyncIntervalMs: INTERVAL,
    maxBytes: 700,
    maxFiles: 100,
    onError: () => {},
  });
  const emitted: Emitted[] = [];
  let lastEmit = -Infinity;
  for (const step of steps) {
    if (proc.cut()) break;
    if (step === "flush") {
      sink.flush();
      continue;
    }
    clock.advance(step.advance);
    const i = emitted.length;
    const before = sink.stats.written;
    assert.doesNotThrow(() => sink.emit(numbered(i, pad(i))));
    const accepted = sink.stats.written === before + 1 && !proc.cut();
    emitted.push({ i, at: clock.now(), accepted });
    if (!proc.cut()) lastEmit = clock.now();
  }
  if (!proc.cut()) fs.crash(); // the power goes after the workload if not during it
  return { emitted, lastEmit };
}

/** A restarted process continues the journal; returns the records found afterwards. */
function restartAndRead(fs: FakeFs, from: number): number[] {
  const sink = createJournalSink({ path: LIVE, fs, maxBytes: 700, maxFiles: 100 });
  for (let i = from; i < from + 3; i++) sink.emit(numbered(i, pad(i)));
  sink.close();
  assert.equal(sink.stats.written, 3, "the restarted sink writes");
  const texts = generations(fs.paths(), LIVE).map((path) => fs.text(path));
  const { found } = checkJournal(texts, lineOf, from + 3);
  assert.deepEqual(found.slice(-3), [from, from + 1, from + 2], "new records follow, whole");
  return found.slice(0, -3);
}

/** What survives must be a gap-free prefix of what emit accepted, in order. */
function assertPrefix(survivors: number[], emitted: Emitted[], label: string): void {
  const accepted = emitted.filter((e) => e.accepted).map((e) => e.i);
  const inFlight = emitted.filter((e) => !e.accepted).map((e) => e.i);
  const kept = survivors.filter((i) => !inFlight.includes(i));
  assert.deepEqual(kept, accepted.slice(0, kept.length), `${label}: survivors are a prefix`);
}

const figures = { crashes: 0, acceptedLostAlways: 0 };

test("fsync always: a power cut at every file-system call loses nothing emit accepted", () => {
  const steps: Step[] = Array.from({ length: 24 }, () => ({ advance: 10 }));
  const total = (() => {
    const counting = createFakeFs();
    runUntilCut(counting, "always", steps, Infinity);
    return Object.values(counting.calls).reduce((a, b) => a + b, 0);
  })();
  assert.ok(total > 100, "the workload makes many calls, rotations included");
  for (let cutAt = 1; cutAt <= total + 1; cutAt++) {
    const fs = createFakeFs();
    const { emitted } = runUntilCut(fs, "always", steps, cutAt);
    const survivors = restartAndRead(fs, emitted.length);
    for (const e of emitted) {
      if (e.accepted && !survivors.includes(e.i)) figures.acceptedLostAlways++;
      if (e.accepted) assert.ok(survivors.includes(e.i), `cut at call ${cutAt}: r${e.i} lost`);
    }
    assertPrefix(survivors, emitted, `cut at call ${cutAt}`);
    figures.crashes++;
  }
});

const workload = fc.array(
  fc.oneof(
    { arbitrary: fc.record({ advance: fc.nat({ max: 3 * INTERVAL }) }), weight: 8 },
    { arbitrary: fc.constant("flush" as const), weight: 1 },
  ),
  { minLength: 1, maxLength: 40 },
);

test("fsync always: random workloads cut at random calls lose nothing emit accepted (fast-check)", () => {
  fc.assert(
    fc.property(workload, fc.nat({ max: 400 }), (steps, cutAt) => {
      const fs = createFakeFs();
      const { emitted } = runUntilCut(fs, "always", steps, cutAt + 1);
      const survivors = restartAndRead(fs, emitted.length);
      for (const e of emitted) if (e.accepted) assert.ok(survivors.includes(e.i), `r${e.i} lost`);
      assertPrefix(survivors, emitted, "always");
      figures.crashes++;
    }),
    { numRuns: 300 },
  );
});

test("fsync periodic: a power cut loses only records from the last interval (fast-check)", () => {
  fc.assert(
    fc.property(workload, fc.nat({ max: 400 }), (steps, cutAt) => {
      const fs = createFakeFs();
      const { emitted, lastEmit } = runUntilCut(fs, "periodic", steps, cutAt + 1);
      const survivors = restartAndRead(fs, emitted.length);
      assertPrefix(survivors, emitted, "periodic");
      for (const e of emitted) {
        if (e.accepted && e.at <= lastEmit - INTERVAL) {
          assert.ok(survivors.includes(e.i), `r${e.i} is older than the interval and was lost`);
        }
      }
      figures.crashes++;
    }),
    { numRuns: 300 },
  );
});

test("fsync periodic: records after the last sync are what a power cut takes", () => {
  const fs = createFakeFs();
  const steps: Step[] = [{ advance: 0 }, { advance: 60 }, { advance: 60 }, { advance: 10 }];
  const { emitted } = runUntilCut(fs, "periodic", steps, Infinity);
  const survivors = restartAndRead(fs, emitted.length);
  // r2 came 120 ms after the start: it synced r0..r2; r3 (10 ms later) waits for the next.
  assert.deepEqual(survivors, [0, 1, 2]);
});

test("fsync none: a power cut keeps what flush covered and nothing is torn", () => {
  const fs = createFakeFs();
  const steps: Step[] = [{ advance: 1 }, { advance: 1 }, "flush", { advance: 1 }, {
    advance: 1,
  }];
  const { emitted } = runUntilCut(fs, "none", steps, Infinity);
  const survivors = restartAndRead(fs, emitted.length);
  // 0 and 1 by the flush; 2 because record 3 rotated the file, and a rotation syncs the
  // outgoing file under every policy (once its handle is closed no flush can reach it).
  assert.deepEqual(survivors, [0, 1, 2]);
});

test("a rotation survives a power cut only because the directory is synced after it", () => {
  const timeline: Event[] = [];
  const outcomes: Record<string, number[]> = {};
  for (const withDirSync of [true, false]) {
    const fs = createFakeFs();
    const base: FsOps<number> = withDirSync ? fs : (() => {
      const { syncDir: _syncDir, ...rest } = fs;
      return rest as FsOps<number>;
    })();
    const ops = withDirSync ? traced(base, timeline) : base;
    const sink = createJournalSink({
      path: LIVE,
      fs: ops,
      fsync: "always",
      maxBytes: 300,
      maxFiles: 10,
    });
    if (!withDirSync) fs.syncDir("logs"); // the file's creation, made durable by hand
    for (let i = 0; i < 5; i++) sink.emit(numbered(i, 0));
    assert.ok(sink.stats.rotations >= 1);
    fs.crash();
    const texts = generations(fs.paths(), LIVE).map((path) => fs.text(path));
    outcomes[String(withDirSync)] = checkJournal(texts, lineOf, 5).found;
  }
  assert.deepEqual(outcomes.true, [0, 1, 2, 3, 4], "with the directory sync: everything");
  assert.ok(outcomes.false.length < 5, "without it the rotation is undone and records vanish");
  // And the order: after the last rename of a rotation, syncDir comes before the next append.
  const lastRename = timeline.findLastIndex((e) => e.kind === "ok" && e.method === "rename");
  const nextAppend = timeline.findIndex((e, k) =>
    k > lastRename && e.kind === "ok" && e.method === "append"
  );
  const dirSync = timeline.findIndex((e, k) =>
    k > lastRename && e.kind === "ok" && e.method === "syncDir"
  );
  assert.ok(dirSync > lastRename && dirSync < nextAppend, "rename, then syncDir, then append");
});

test("a torn or NUL-padded tail after power loss is skipped: the next record starts a new line", () => {
  fc.assert(
    fc.property(fc.nat(), fc.nat({ max: 4096 }), (cutSeed, nuls) => {
      const fs = createFakeFs();
      const sink = createJournalSink({ path: LIVE, fs, fsync: "none" });
      for (let i = 0; i < 6; i++) sink.emit(numbered(i, pad(i)));
      sink.close();
      const size = fs.size(LIVE);
      const cut = cutSeed % (size + 1);
      fs.truncate(LIVE, cut);
      if (nuls > 0 && cut > 0) {
        const handle = fs.open(LIVE); // the size was committed before the data: zeros
        fs.append(handle, "\0".repeat(nuls % 64));
        fs.close(handle);
      }
      const restarted = createJournalSink({ path: LIVE, fs, fsync: "none" });
      restarted.emit(numbered(6, pad(6)));
      restarted.close();
      const lines = fs.text(LIVE).split("\n");
      assert.equal(lines.at(-1), "", "ends in a newline");
      assert.equal(JSON.parse(lines.at(-2)!).msg, "r6", "the new record is whole on its line");
      const whole = lines.slice(0, -2).filter((line) => {
        try {
          JSON.parse(line);
          return true;
        } catch {
          return false;
        }
      });
      assert.ok(lines.slice(0, -2).length - whole.length <= 1, "at most the one torn line");
      figures.crashes++;
    }),
    { numRuns: 300 },
  );
});

test("power-loss figures: every crash was survived and always lost no accepted record", () => {
  assert.ok(figures.crashes > 900);
  assert.equal(figures.acceptedLostAlways, 0);
  if (typeof process !== "undefined" && process.env?.RELIABILITY_FIGURES) {
    console.log(`power loss: ${JSON.stringify(figures)}`);
  }
});
