import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, defaultFsOps, type FsOps } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import { collectErrors, logEntry, parseLines } from "./_helpers.ts";

type FakeFs = ReturnType<typeof createFakeFs>;

async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

const messages = (text: string) => parseLines(text).map((record) => record.msg);
const gzMessages = async (fs: FsOps, path: string) => messages(await gunzip(fs.readFile(path)));
/** Text that does not compress much, so the compressor writes as it goes. */
function noise(length: number): string {
  let seed = 42;
  let text = "";
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    text += String.fromCharCode(97 + (seed >>> 16) % 26);
  }
  return text;
}

/** A sink rotating after every record (each file holds one), compressing generations. */
function oneRecordPerFile(fs: FsOps, extra: Record<string, unknown> = {}) {
  const line = JSON.stringify(logEntry("r0")) + "\n";
  return createJournalSink({
    path: "j",
    fs,
    fsync: "always",
    maxBytes: line.length,
    maxFiles: 5,
    compress: "gzip",
    ...extra,
  });
}

test("a rotated generation is compressed to path.1.gz in the background, never during emit", async () => {
  const fs = createFakeFs();
  const sink = oneRecordPerFile(fs);
  sink.emit(logEntry("r0"));
  sink.emit(logEntry("r1"));
  assert.deepEqual(fs.paths().filter((p) => p.endsWith(".gz")), [], "emit did not compress");
  assert.ok(fs.exists("j.1"), "the plain generation is there while compression runs");
  await sink.idle();
  sink.close();
  assert.deepEqual(fs.paths(), ["j", "j.1.gz"]);
  assert.deepEqual(await gzMessages(fs, "j.1.gz"), ["r0"]);
  assert.deepEqual(messages(fs.text("j")), ["r1"]);
});

test("generations rotated again while waiting or being compressed land under their new number", async () => {
  const fs = createFakeFs();
  const sink = oneRecordPerFile(fs);
  for (let i = 0; i < 5; i++) sink.emit(logEntry(`r${i}`));
  await sink.idle();
  sink.close();
  assert.deepEqual(fs.paths(), ["j", "j.1.gz", "j.2.gz", "j.3.gz", "j.4.gz"]);
  for (let n = 1; n <= 4; n++) assert.deepEqual(await gzMessages(fs, `j.${n}.gz`), [`r${4 - n}`]);
});

test("a generation removed by retention while queued is not compressed, and no temp file stays", async () => {
  const fs = createFakeFs();
  const sink = oneRecordPerFile(fs, { maxFiles: 1 });
  for (let i = 0; i < 6; i++) sink.emit(logEntry(`r${i}`));
  await sink.idle();
  sink.close();
  assert.deepEqual(fs.paths(), ["j", "j.1.gz"]);
  assert.deepEqual(await gzMessages(fs, "j.1.gz"), ["r4"]);
});

test("with compression, rotation shifts .gz generations and removes the oldest", async () => {
  const fs = createFakeFs();
  const sink = oneRecordPerFile(fs, { maxFiles: 2 });
  for (let i = 0; i < 3; i++) {
    sink.emit(logEntry(`r${i}`));
    await sink.idle();
  }
  sink.emit(logEntry("r3"));
  await sink.idle();
  sink.close();
  assert.deepEqual(fs.paths(), ["j", "j.1.gz", "j.2.gz"]);
  assert.deepEqual(await gzMessages(fs, "j.2.gz"), ["r1"]);
  assert.deepEqual(await gzMessages(fs, "j.1.gz"), ["r2"]);
});

test("a crash mid-compression keeps the plain generation, and the next start compresses it", async () => {
  const fs = createFakeFs();
  let chunksRead = 0;
  // Power fails as the compressor reads the second chunk of the generation.
  const crashing: FsOps = {
    ...fs,
    readAt(path, offset, length) {
      if (path === "j.1" && ++chunksRead === 2) fs.crash();
      return fs.readAt(path, offset, length);
    },
  };
  const first = createJournalSink({
    path: "j",
    fs: crashing,
    fsync: "always",
    maxBytes: 1_000_000,
    compress: "gzip",
    onError: () => {},
  });
  first.emit(logEntry("a", { body: noise(600_000) }));
  first.emit(logEntry("b", { body: noise(600_000) }));
  await first.idle(); // the dead process's compressor gives up
  assert.equal(chunksRead >= 2, true, "the crash came mid-compression");
  assert.ok(fs.exists("j.1"), "the plain generation survived");
  assert.ok(!fs.exists("j.1.gz") && !fs.exists("j.gz.tmp"));

  const second = createJournalSink({ path: "j", fs, fsync: "always", compress: "gzip" });
  await second.idle();
  second.close();
  assert.deepEqual(fs.paths(), ["j", "j.1.gz"]);
  assert.deepEqual(await gzMessages(fs, "j.1.gz"), ["a"]);
});

test("a compressed generation survives a crash right after compression: the renames were synced", async () => {
  const fs = createFakeFs();
  const sink = oneRecordPerFile(fs);
  sink.emit(logEntry("r0"));
  sink.emit(logEntry("r1"));
  await sink.idle();
  fs.crash();
  assert.deepEqual(fs.paths(), ["j", "j.1.gz"]);
  assert.deepEqual(await gzMessages(fs, "j.1.gz"), ["r0"]);
});

test("a failed compression is reported, keeps the plain generation and removes its temp file", async () => {
  const fs = createFakeFs();
  const errors = collectErrors();
  const sink = oneRecordPerFile(fs, { onError: errors.onError });
  fs.fail("appendBytes", "ENOSPC", 1);
  sink.emit(logEntry("r0"));
  sink.emit(logEntry("r1"));
  await sink.idle();
  sink.close();
  assert.deepEqual(errors.codes(), ["ENOSPC"]);
  assert.match((errors.errors[0].error as Error).message, /stays uncompressed/);
  assert.deepEqual(fs.paths(), ["j", "j.1"]);
  assert.equal(sink.stats.written, 2);
});

test("a plain and a .gz twin left by a crash between rename and remove end as one .gz", async () => {
  const fs = createFakeFs();
  const sink = oneRecordPerFile(fs);
  sink.emit(logEntry("r0"));
  sink.emit(logEntry("r1"));
  await sink.idle();
  sink.close();
  const handle = fs.open("j.1"); // the plain file the crash kept
  fs.append(handle, JSON.stringify(logEntry("r0")) + "\n");
  fs.close(handle);
  const restarted = createJournalSink({ path: "j", fs, compress: "gzip" });
  await restarted.idle();
  restarted.close();
  assert.deepEqual(fs.paths(), ["j", "j.1.gz"]);
  assert.deepEqual(await gzMessages(fs, "j.1.gz"), ["r0"]);
});

test("an FsOps without appendBytes keeps generations plain and says so once", () => {
  const fake = createFakeFs();
  const { appendBytes: _, ...withoutBytes } = fake;
  const errors = collectErrors();
  const sink = oneRecordPerFile(withoutBytes as FsOps, { onError: errors.onError });
  for (let i = 0; i < 3; i++) sink.emit(logEntry(`r${i}`));
  sink.close();
  assert.deepEqual(errors.codes(), ["ENOTSUP"]);
  assert.deepEqual(fake.paths(), ["j", "j.1", "j.2"]);
});

test("on the real file system, before-ext .gz generations are written and read back in order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-gz-"));
  try {
    const path = join(dir, "app.log");
    const line = JSON.stringify(logEntry("r0")) + "\n";
    const sink = createJournalSink({
      path,
      fsync: "always",
      maxBytes: line.length * 2,
      maxFiles: 5,
      compress: "gzip",
      naming: "before-ext",
    });
    for (let i = 0; i < 6; i++) sink.emit(logEntry(`r${i}`));
    await sink.idle();
    sink.close();
    assert.deepEqual(readdirSync(dir).sort(), ["app.1.log.gz", "app.2.log.gz", "app.log"]);
    const fs = defaultFsOps();
    assert.deepEqual(await gzMessages(fs, join(dir, "app.2.log.gz")), ["r0", "r1"]);
    assert.deepEqual(await gzMessages(fs, join(dir, "app.1.log.gz")), ["r2", "r3"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the reader reads compressed generations transparently, oldest first", async () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-gz-"));
  try {
    const path = join(dir, "app.jsonl");
    const line = JSON.stringify(logEntry("r0")) + "\n";
    const sink = createJournalSink({
      path,
      fsync: "none",
      maxBytes: line.length * 2,
      maxFiles: 5,
      compress: "gzip",
    });
    for (let i = 0; i < 7; i++) sink.emit(logEntry(`r${i}`));
    await sink.idle();
    sink.close();
    assert.ok(readdirSync(dir).includes("app.jsonl.3.gz"));
    const read: unknown[] = [];
    for await (const record of readJournal(path)) {
      if (record.kind === "log") read.push(record.msg);
    }
    assert.deepEqual(read, ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
