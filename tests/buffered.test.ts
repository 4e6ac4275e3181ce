import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectErrors, logEntry, parseLines } from "./_helpers.ts";

const lineOf = (msg: string) => JSON.stringify(logEntry(msg)) + "\n";

test("buffered: records reach the file in one write once the batch is full", () => {
  const fs = createFakeFs();
  const bufferMax = lineOf("r0").length * 4;
  const sink = createJournalSink({ path: "j", fs, fsync: "none", buffer: { maxBytes: bufferMax } });
  for (let i = 0; i < 3; i++) sink.emit(logEntry(`r${i}`));
  assert.equal(fs.text("j"), "", "nothing written before the batch fills");
  assert.equal(sink.stats.written, 0);
  sink.emit(logEntry("r3"));
  assert.equal(fs.calls.append, 1, "four records, one write");
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["r0", "r1", "r2", "r3"]);
  assert.equal(sink.stats.written, 4);
  sink.close();
});

test("buffered: flush and close write the partial batch", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", buffer: true });
  sink.emit(logEntry("a"));
  sink.flush();
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["a"]);
  sink.emit(logEntry("b"));
  sink.close();
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["a", "b"]);
  assert.equal(fs.calls.append, 2);
});

test("buffered: the interval writes a batch that never fills", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", buffer: { flushIntervalMs: 10 } });
  sink.emit(logEntry("lonely"));
  assert.equal(fs.text("j"), "");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["lonely"]);
  sink.close();
});

test("buffered: a record larger than the batch is written whole in one write", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs, fsync: "none", buffer: { maxBytes: 100 } });
  sink.emit(logEntry("small"));
  sink.emit(logEntry("big", { body: "x".repeat(1000) }));
  const lines = parseLines(fs.text("j"));
  assert.deepEqual(lines.map((r) => r.msg), ["small", "big"]);
  assert.equal(fs.calls.append, 1, "small and big went out together, big not split");
  sink.close();
});

test("buffered: a burst many times the batch size never holds more than one batch", () => {
  const fs = createFakeFs();
  const bufferMax = 4096;
  const sink = createJournalSink({ path: "j", fs, fsync: "none", buffer: { maxBytes: bufferMax } });
  let emitted = 0;
  for (let i = 0; i < 2000; i++) {
    const line = lineOf(`burst ${i}`);
    sink.emit(logEntry(`burst ${i}`));
    emitted += line.length;
    assert.ok(emitted - fs.text("j").length < bufferMax, `pending grew past the batch at ${i}`);
  }
  sink.close();
  assert.equal(parseLines(fs.text("j")).length, 2000);
});

test("buffered: rotation still keeps every file within maxBytes and every record in order", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "j",
    fs,
    fsync: "none",
    maxBytes: 2000,
    maxFiles: 100,
    buffer: { maxBytes: 700 },
  });
  for (let i = 0; i < 300; i++) {
    sink.emit(logEntry(`r${i}`, { attributes: { note: "é".repeat(i % 9) } }));
  }
  sink.close();
  const files = fs.paths().sort((a, b) => {
    const gen = (p: string) => (p === "j" ? 0 : Number(p.slice(2)));
    return gen(b) - gen(a);
  });
  const msgs = files.flatMap((path) => parseLines(fs.text(path)).map((r) => r.msg));
  assert.deepEqual(msgs, Array.from({ length: 300 }, (_, i) => `r${i}`));
  for (const path of files) assert.ok(new TextEncoder().encode(fs.text(path)).length <= 2000, path);
  assert.ok(sink.stats.rotations > 5);
});

test("buffered: a failed batch write drops its records together and reports once", () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  const sink = createJournalSink({
    path: "j",
    fs,
    fsync: "none",
    buffer: true,
    onError: errors.onError,
  });
  for (let i = 0; i < 5; i++) sink.emit(logEntry(`r${i}`));
  fs.fail("append", "EIO", 1);
  sink.flush();
  assert.equal(sink.stats.dropped, 5);
  assert.equal(sink.stats.written, 0);
  assert.deepEqual(errors.codes(), ["EIO"]);
  assert.match((errors.errors[0].error as Error).message, /5 records dropped/);
  sink.emit(logEntry("next"));
  sink.close();
  assert.deepEqual(parseLines(fs.text("j")).map((r) => r.msg), ["next"]);
});

test("buffered: power loss loses only the records not yet written and synced", () => {
  const fs = createFakeFs();
  const bufferMax = lineOf("r0").length * 3;
  const sink = createJournalSink({
    path: "j",
    fs,
    fsync: "always",
    buffer: { maxBytes: bufferMax },
    onError: () => {}, // after the crash, the exit hook's flush meets dead handles
  });
  for (let i = 0; i < 7; i++) sink.emit(logEntry(`r${i}`));
  fs.crash();
  assert.deepEqual(
    parseLines(fs.text("j")).map((r) => r.msg),
    ["r0", "r1", "r2", "r3", "r4", "r5"],
    "two full batches survive; the seventh record was still in memory",
  );
});

// A real process, on the runtime running this test, ending in each way a host ends.
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
function runWriter(path: string, ending: string, count: number): Promise<number | null> {
  const script = join(import.meta.dirname ?? ".", "fixtures", "buffered_writer.ts");
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  const child = spawn(process.execPath, [...args, path, ending, String(count)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (ending === "signal") {
    child.stdout.on("data", (chunk: Uint8Array) => {
      if (String(chunk).includes("ready")) child.kill("SIGTERM");
    });
  }
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

for (const ending of ["end", "exit", "signal"]) {
  test(`buffered: a ${runtime} process that ends by ${ending} writes its batch first`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-sink-buffered-"));
    try {
      const path = join(dir, "j.jsonl");
      await runWriter(path, ending, 500);
      const records = parseLines(readFileSync(path, "utf8"));
      assert.equal(records.length, 500);
      assert.equal(records[499].msg, "record 499");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
