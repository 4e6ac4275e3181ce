import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunFs, createJournalSink, denoFs, type FsOps, nodeFs } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { logEntry, parseLines } from "./_helpers.ts";

const messages = (text: string) => parseLines(text).map((record) => record.msg);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Long enough for several runs of a 5 ms check timer (timers fire in deadline order). */
const CHECK_MS = 5;
const afterChecks = () => sleep(CHECK_MS * 10);

test("reopen() after an external rename sends new records to a fresh file at path", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.log", fs, fsync: "none" });
  sink.emit(logEntry("before"));
  fs.rename("app.log", "app.log.1"); // what logrotate's `create` mode does
  sink.emit(logEntry("late")); // still the old file, as on POSIX
  sink.reopen();
  sink.emit(logEntry("after"));
  sink.close();
  assert.deepEqual(messages(fs.text("app.log.1")), ["before", "late"]);
  assert.deepEqual(messages(fs.text("app.log")), ["after"]);
});

test("reopen() writes buffered records to the old file before switching", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.log", fs, fsync: "none", buffer: true });
  sink.emit(logEntry("buffered"));
  fs.rename("app.log", "app.log.1");
  sink.reopen();
  sink.emit(logEntry("after"));
  sink.close();
  assert.deepEqual(messages(fs.text("app.log.1")), ["buffered"]);
  assert.deepEqual(messages(fs.text("app.log")), ["after"]);
});

test("reopen() after close does nothing", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.log", fs, fsync: "none" });
  sink.close();
  const opens = fs.calls.open;
  sink.reopen();
  assert.equal(fs.calls.open, opens);
});

test("the sink notices by itself that its file was renamed away and reopens path", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "app.log",
    fs,
    fsync: "none",
    externalRotationCheckMs: CHECK_MS,
  });
  sink.emit(logEntry("before"));
  fs.rename("app.log", "app.log.1");
  fs.close(fs.open("app.log")); // `create`: a new empty file at the path
  await afterChecks();
  sink.emit(logEntry("after"));
  sink.close();
  assert.deepEqual(messages(fs.text("app.log.1")), ["before"]);
  assert.deepEqual(messages(fs.text("app.log")), ["after"]);
});

test("the sink recreates its file, and its directory, after an operator removed them", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "logs/app.log",
    fs,
    fsync: "none",
    externalRotationCheckMs: CHECK_MS,
  });
  sink.emit(logEntry("gone"));
  fs.removeDir("logs");
  await afterChecks();
  sink.emit(logEntry("kept"));
  sink.close();
  assert.deepEqual(messages(fs.text("logs/app.log")), ["kept"]);
});

test("after a copytruncate the sink takes the file's real size, so it does not rotate early", async () => {
  const fs = createFakeFs();
  const line = JSON.stringify(logEntry("r00")) + "\n";
  const sink = createJournalSink({
    path: "app.log",
    fs,
    fsync: "none",
    maxBytes: line.length * 10,
    externalRotationCheckMs: CHECK_MS,
  });
  for (let i = 0; i < 8; i++) sink.emit(logEntry(`r0${i}`));
  fs.truncate("app.log", 0); // logrotate copied the file, then cut it
  await afterChecks();
  for (let i = 0; i < 8; i++) sink.emit(logEntry(`r1${i}`));
  sink.close();
  assert.equal(sink.stats.rotations, 0);
  assert.equal(messages(fs.text("app.log")).length, 8);
});

test("emit never stats the file: detection runs on its own timer", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.log", fs, fsync: "periodic" });
  const before = (fs.calls.stat ?? 0) + (fs.calls.statHandle ?? 0);
  for (let i = 0; i < 1000; i++) sink.emit(logEntry(`r${i}`));
  const after = (fs.calls.stat ?? 0) + (fs.calls.statHandle ?? 0);
  sink.close();
  assert.equal(after - before, 0);
});

test("with the check turned off, an external rename is only followed on reopen()", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "app.log",
    fs,
    fsync: "none",
    externalRotationCheckMs: Infinity,
  });
  sink.emit(logEntry("before"));
  fs.rename("app.log", "app.log.1");
  await afterChecks();
  sink.emit(logEntry("late"));
  sink.reopen();
  sink.emit(logEntry("after"));
  sink.close();
  assert.deepEqual(messages(fs.text("app.log.1")), ["before", "late"]);
  assert.deepEqual(messages(fs.text("app.log")), ["after"]);
});

const adapters: [string, FsOps][] = [["nodeFs", nodeFs as FsOps], ["fake", createFakeFs()]];
if ("Deno" in globalThis) adapters.push(["denoFs", denoFs as FsOps]);
if ("Bun" in globalThis) adapters.push(["bunFs", bunFs as FsOps]);

for (const [name, fs] of adapters) {
  test(`${name}: a handle keeps its file's identity across a rename; a new file gets another`, () => {
    const dir = name === "fake" ? "." : mkdtempSync(join(tmpdir(), "journal-sink-stat-"));
    try {
      const path = join(dir, "a.log");
      const handle = fs.open(path);
      fs.append(handle, "one\n");
      assert.equal(fs.appendBytes!(handle, new Uint8Array([116, 119, 111, 10])), 4);
      const before = fs.stat!(path)!;
      assert.equal(before.size, 8);
      assert.equal(fs.statHandle!(handle).ino, before.ino);
      fs.rename(path, `${path}.1`);
      assert.equal(fs.stat!(path), undefined);
      assert.equal(fs.stat!(join(path, "below-a-file")), undefined);
      assert.equal(fs.statHandle!(handle).ino, fs.stat!(`${path}.1`)!.ino);
      fs.close(fs.open(path));
      assert.notEqual(fs.stat!(path)!.ino, before.ino);
      fs.close(handle);
      assert.equal(new TextDecoder().decode(fs.readFile(`${path}.1`)), "one\ntwo\n");
    } finally {
      if (name !== "fake") rmSync(dir, { recursive: true, force: true });
    }
  });
}
