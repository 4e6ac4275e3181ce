// Several processes writing and rotating one journal: every record a writer emitted is in one
// of the journal's generations, once, or counted in that writer's `stats.dropped`. The
// rotation lock (`path.lock`) and following another writer's rotation, on the fake fs too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createJournalSink, type JournalSinkStats, type LogRecord } from "../mod.ts";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { STALE_LOCK_MS } from "../src/sink/rotation_lock.ts";
import { manualClock } from "./_helpers.ts";

const isDeno = "Deno" in globalThis;
const WRITER = fileURLToPath(new URL("./fixtures/rotation_writer.ts", import.meta.url));

/** Runs one writer to its end and hands back its sink's stats. */
function runWriter(path: string, writer: string, count: number, maxBytes: number) {
  return new Promise<JournalSinkStats>((resolve, reject) => {
    const child = spawn(process.execPath, [
      ...(isDeno ? ["run", "-A"] : []),
      WRITER,
      path,
      writer,
      String(count),
      String(maxBytes),
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => void (out += chunk));
    child.stderr.on("data", (chunk) => void (err += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`writer ${writer} exited ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}

test("8 processes rotating one journal: every record is in a generation once or counted dropped", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rotation-writers-"));
  try {
    const path = join(dir, "j.jsonl");
    const writers = 8;
    const count = 1500;
    const stats = await Promise.all(
      Array.from({ length: writers }, (_, w) => runWriter(path, `w${w}`, count, 8 * 1024)),
    );
    const seen = new Map<string, number>();
    let lines = 0;
    const files = readdirSync(dir).filter((name) => /^j\.jsonl(\.\d+)?$/.test(name));
    for (const name of files) {
      for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
        if (line === "") continue;
        lines++;
        const msg = JSON.parse(line).msg as string;
        seen.set(msg, (seen.get(msg) ?? 0) + 1);
      }
    }
    const written = stats.reduce((sum, s) => sum + s.written, 0);
    const dropped = stats.reduce((sum, s) => sum + s.dropped, 0);
    const rotations = stats.reduce((sum, s) => sum + s.rotations, 0);
    const figures = `${writers * count} emitted, ${written} written, ${seen.size} found, ` +
      `${dropped} dropped, ${rotations} rotations, ${files.length} files`;
    const doubled = [...seen].filter(([, n]) => n > 1).length;
    assert.equal(doubled, 0, `records found twice (${figures})`);
    assert.equal(written + dropped, writers * count, figures);
    assert.equal(seen.size, written, `every record counted written is found (${figures})`);
    assert.equal(lines, written);
    assert.ok(rotations >= 10, `the writers rotated (${figures})`);
    assert.equal(files.length, rotations + 1, `each rotation made one generation (${figures})`);
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith(".lock")), []);
    console.log(`rotation_writers: ${figures}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function record(msg: string): LogRecord {
  return { kind: "log", level: "info", msg, timestamp: 1, extensionId: "host" };
}

function messages(fs: FakeFs): string[] {
  return fs.paths().filter((path) => /^j(\.\d+)?$/.test(path)).flatMap((path) =>
    fs.text(path).split("\n").filter(Boolean).map((line) => JSON.parse(line).msg as string)
  );
}

test("two writers on one file, interleaved: nothing lost or doubled, a generation a rotation, no lock left", () => {
  const fs = createFakeFs();
  const clock = manualClock();
  const options = { path: "j", fs, clock, maxBytes: 400, maxFiles: 1000 };
  const a = createJournalSink(options);
  const b = createJournalSink(options);
  for (let i = 0; i < 200; i++) {
    a.emit(record(`a${i}`));
    b.emit(record(`b${i}`));
    clock.advance(1);
  }
  a.close();
  b.close();
  const found = messages(fs);
  assert.equal(found.length, 400);
  assert.equal(new Set(found).size, 400);
  const rotations = a.stats.rotations + b.stats.rotations;
  assert.equal(fs.paths().length, rotations + 1, "one generation a rotation");
  assert.ok(!fs.exists("j.lock"));
});

test("while another writer holds the lock a writer keeps appending, and rotates once it is free", () => {
  const fs = createFakeFs();
  const clock = manualClock();
  const held = fs.open("j.lock");
  fs.append(held, `other ${clock.now()}\n`);
  fs.close(held);
  const sink = createJournalSink({ path: "j", fs, clock, maxBytes: 200, maxFiles: 10 });
  for (let i = 0; i < 10; i++) sink.emit(record(`r${i}`));
  assert.equal(sink.stats.rotations, 0, "no rotation under another writer's lock");
  assert.equal(sink.stats.dropped, 0);
  fs.remove("j.lock");
  clock.advance(20);
  sink.emit(record("r10"));
  assert.equal(sink.stats.rotations, 1);
  sink.close();
  assert.deepEqual(messages(fs).sort(), Array.from({ length: 11 }, (_, i) => `r${i}`).sort());
});

test("a lock left by a writer that died is broken once it is 10 s old", () => {
  const fs = createFakeFs();
  const clock = manualClock();
  const held = fs.open("j.lock");
  fs.append(held, `dead ${clock.now()}\n`);
  fs.close(held);
  const sink = createJournalSink({ path: "j", fs, clock, maxBytes: 200, maxFiles: 10 });
  for (let i = 0; i < 5; i++) sink.emit(record(`r${i}`));
  assert.equal(sink.stats.rotations, 0);
  clock.advance(STALE_LOCK_MS + 1);
  sink.emit(record("r5"));
  assert.equal(sink.stats.rotations, 1);
  assert.ok(!fs.exists("j.lock"), "released after the rotation");
  sink.close();
});

test("a lock left by a writer killed on this host is broken at once: its pid is gone", async () => {
  // A process that has ended: its pid is free (a pid is not reused within a test's time).
  const child = spawn(process.execPath, isDeno ? ["eval", "0"] : ["-e", "0"]);
  const pid = child.pid!;
  await new Promise((resolve) => child.on("close", resolve));
  const { hostname } = await import("node:os");
  const fs = createFakeFs();
  const clock = manualClock();
  const held = fs.open("j.lock");
  fs.append(held, `dead ${clock.now()} ${pid} ${hostname()}\n`);
  fs.close(held);
  const sink = createJournalSink({ path: "j", fs, clock, maxBytes: 200, maxFiles: 10 });
  for (let i = 0; i < 5; i++) sink.emit(record(`r${i}`));
  assert.ok(sink.stats.rotations > 0, "rotated without waiting 10 s");
  assert.ok(!fs.exists("j.lock"), "released after the rotation");
  sink.close();
});

test("a lock of a live holder, or of another host, is respected until it is 10 s old", () => {
  const fs = createFakeFs();
  const clock = manualClock();
  const held = fs.open("j.lock");
  fs.append(held, `other ${clock.now()} ${process.pid} some-other-host\n`);
  fs.close(held);
  const sink = createJournalSink({ path: "j", fs, clock, maxBytes: 200, maxFiles: 10 });
  for (let i = 0; i < 5; i++) sink.emit(record(`r${i}`));
  assert.equal(sink.stats.rotations, 0);
  sink.close();
});
