// The collector: a journal's generations (rotated, gzip, renamed by logrotate) into SQLite,
// with the read position committed in the same transaction as the rows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { main as cli } from "../cli.ts";
const collectCommand = (args: string[], io: Parameters<typeof cli>[1]) =>
  cli(["collect", ...args], io);

const isDeno = "Deno" in globalThis;
const runtime = [process.execPath, ...(isDeno ? ["run", "-A"] : [])];
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "collector-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

function log(i: number, extra: Partial<LogRecord> = {}): LogRecord {
  return {
    kind: "log",
    level: "info",
    msg: `record ${i}`,
    timestamp: 1_700_000_000_000 + i,
    extensionId: "host",
    ...extra,
  } as LogRecord;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function line(record: LogRecord): string {
  return JSON.stringify(record) + "\n";
}

function messages(store: TraceStore): string[] {
  return store.db.prepare("SELECT msg FROM logs ORDER BY id").all().map((row) => String(row.msg));
}

function expected(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `record ${from + i}`);
}

test("collecting once ingests every generation, oldest first, gzip ones included", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "app.jsonl",
    fs,
    maxBytes: 600,
    maxFiles: 20,
    compress: "gzip",
  });
  for (let i = 0; i < 60; i++) sink.emit(log(i));
  await sink.idle();
  sink.close();
  assert.ok(fs.paths().some((path) => path.endsWith(".gz")), "some generations compressed");
  const store = await openTraceStore(":memory:");
  const stats = await collectJournal("app.jsonl", { db: store, once: true, fs });
  assert.equal(stats.records, 60);
  assert.deepEqual(messages(store), expected(0, 60));
  store.close();
});

test("a collector stopped inside a gzip generation resumes at its decompressed offset", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "traces.db");
  let text = "";
  for (let i = 0; i < 600; i++) text += line(log(i));
  writeFileSync(`${path}.1.gz`, gzipSync(text));
  writeFileSync(path, line(log(600)));
  const controller = new AbortController();
  const first = await collectJournal(path, {
    db,
    chunkSize: 4096,
    signal: controller.signal,
    onBatch: (stats) => {
      if (stats.batches === 3) controller.abort();
    },
  });
  assert.ok(first.records > 0 && first.records < 600, `stopped mid-way at ${first.records}`);
  await collectJournal(path, { db, once: true, chunkSize: 4096 });
  const store = await openTraceStore(db);
  assert.deepEqual(messages(store), expected(0, 601));
  store.close();
});

test("a second run ingests only what was appended since the first", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.jsonl", fs, maxBytes: 800, maxFiles: 20 });
  for (let i = 0; i < 20; i++) sink.emit(log(i));
  const store = await openTraceStore(":memory:");
  await collectJournal("app.jsonl", { db: store, once: true, fs });
  for (let i = 20; i < 50; i++) sink.emit(log(i)); // rotates several times
  sink.close();
  const again = await collectJournal("app.jsonl", { db: store, once: true, fs });
  assert.equal(again.records, 30);
  assert.deepEqual(messages(store), expected(0, 50));
  store.close();
});

test("a generation keeps its position when renamed and gzip-compressed by logrotate", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "traces.db");
  writeFileSync(path, expected(0, 10).map((_, i) => line(log(i))).join(""));
  await collectJournal(path, { db, once: true });
  appendFileSync(path, line(log(10)) + line(log(11)));
  // logrotate with compress: app.jsonl → app.jsonl.1.gz, a fresh app.jsonl.
  writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
  rmSync(path);
  writeFileSync(path, line(log(12)));
  await collectJournal(path, { db, once: true });
  const store = await openTraceStore(db);
  assert.deepEqual(messages(store), expected(0, 13));
  store.close();
});

test("external rotation by rename is followed, even when the old file grows after the rename", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "traces.db");
  writeFileSync(path, line(log(0)) + line(log(1)));
  await collectJournal(path, { db, once: true });
  renameSync(path, `${path}.1`); // logrotate "create" mode
  appendFileSync(`${path}.1`, line(log(2))); // the writer had not reopened yet
  writeFileSync(path, line(log(3)));
  await collectJournal(path, { db, once: true });
  const store = await openTraceStore(db);
  assert.deepEqual(messages(store), expected(0, 4));
  store.close();
});

test("copytruncate: the copy continues from the position and the truncated file starts afresh", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "traces.db");
  writeFileSync(path, line(log(0)) + line(log(1)));
  await collectJournal(path, { db, once: true });
  appendFileSync(path, line(log(2)));
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  appendFileSync(path, line(log(3)));
  await collectJournal(path, { db, once: true });
  const store = await openTraceStore(db);
  assert.deepEqual(messages(store), expected(0, 4));
  store.close();
});

test("the live file's unterminated last line waits for its newline", async () => {
  const fs = createFakeFs();
  const handle = fs.open("app.jsonl");
  const whole = line(log(0)) + line(log(1));
  fs.append(handle, whole.slice(0, -10));
  const store = await openTraceStore(":memory:");
  await collectJournal("app.jsonl", { db: store, once: true, fs });
  assert.deepEqual(messages(store), expected(0, 1));
  fs.append(handle, whole.slice(-10));
  await collectJournal("app.jsonl", { db: store, once: true, fs });
  assert.deepEqual(messages(store), expected(0, 2));
  store.close();
});

test("damaged lines are skipped and counted, the records around them kept", async () => {
  const fs = createFakeFs();
  const handle = fs.open("app.jsonl");
  fs.append(handle, line(log(0)) + "not json\n" + "\0\0\0" + line(log(1)) + '["array"]\n');
  const store = await openTraceStore(":memory:");
  const stats = await collectJournal("app.jsonl", { db: store, once: true, fs });
  assert.deepEqual(messages(store), expected(0, 2));
  assert.equal(stats.skipped, 3);
  store.close();
});

test("spans open, close, close without open and reuse ids as reconstructTraces does", async () => {
  const store = await openTraceStore(":memory:");
  const base = { extensionId: "host", turnId: "t" };
  store.ingest([
    { kind: "span-open", spanId: "a", name: "turn", timestamp: 0, attributes: { x: 1 }, ...base },
    {
      kind: "span-close",
      spanId: "a",
      name: "turn",
      timestamp: 5,
      durationMs: 5,
      status: "error",
      attributes: { y: 2 },
      ...base,
    },
    { kind: "span-open", spanId: "a", name: "turn", timestamp: 6, ...base },
    {
      kind: "span-close",
      spanId: "z",
      name: "lost",
      timestamp: 9,
      durationMs: 4,
      status: "ok",
      ...base,
    },
  ]);
  const rows = store.db
    .prepare(
      "SELECT span_id, status, start_ms, end_ms, attributes, close_without_open FROM spans ORDER BY id",
    )
    .all()
    .map((row) => ({ ...row }));
  assert.deepEqual(rows, [
    {
      span_id: "a",
      status: "error",
      start_ms: 0,
      end_ms: 5,
      attributes: '{"x":1,"y":2}',
      close_without_open: 0,
    },
    {
      span_id: "a",
      status: "open",
      start_ms: 6,
      end_ms: null,
      attributes: "{}",
      close_without_open: 0,
    },
    { span_id: "z", status: "ok", start_ms: 5, end_ms: 9, attributes: "{}", close_without_open: 1 },
  ]);
  store.close();
});

test("a following collector picks up appends and rotations until stopped", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.jsonl", fs, maxBytes: 500, maxFiles: 50 });
  const store = await openTraceStore(":memory:");
  const controller = new AbortController();
  let seen = 0;
  const waiters: (() => void)[] = [];
  const running = collectJournal("app.jsonl", {
    db: store,
    fs,
    pollMs: 5,
    signal: controller.signal,
    onBatch: (stats) => {
      seen = stats.records;
      waiters.splice(0).forEach((wake) => wake());
    },
  });
  const until = async (count: number) => {
    for (let tries = 0; seen < count && tries < 2000; tries++) {
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 5);
      });
    }
  };
  sink.emit(log(0)); // the journal appears after the collector started
  await until(1);
  for (let i = 1; i < 40; i++) sink.emit(log(i));
  await until(40);
  controller.abort();
  await running;
  sink.close();
  assert.deepEqual(messages(store), expected(0, 40));
  store.close();
});

test("a killed collector resumes with no record lost and none doubled", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "traces.db");
  const total = 20_000;
  let text = "";
  for (let i = 0; i < total; i++) text += line(log(i));
  const firstHalf = text.slice(0, text.length / 2 | 0).replace(/[^\n]*$/, "");
  writeFileSync(`${path}.1`, firstHalf);
  writeFileSync(path, text.slice(firstHalf.length));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(runtime[0], [...runtime.slice(1), fixture("collector_child.ts"), path, db]);
    let batches = 0;
    child.stdout.on("data", (chunk) => {
      batches += String(chunk).split("batch").length - 1;
      if (batches >= 5) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", () => resolve());
  });
  const partial = await openTraceStore(db);
  const before = Number(partial.db.prepare("SELECT count(*) AS n FROM logs").get()?.n);
  partial.close();
  assert.ok(before > 0 && before < total, `killed mid-way (had ${before} of ${total})`);
  await collectJournal(path, { db, once: true });
  const store = await openTraceStore(db);
  assert.deepEqual(messages(store), expected(0, total));
  store.close();
});

test("the collect command reports what it collected and rejects a missing --db", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  writeFileSync(path, line(log(0)));
  const err: string[] = [];
  const out: string[] = [];
  const io = {
    write: (text: string) => void out.push(text),
    error: (text: string) => void err.push(text),
    color: false,
  };
  assert.equal(await collectCommand(["--db", join(tmp.dir, "t.db"), "--once", path], io), 0);
  assert.match(out.join(""), /collected 1 records/);
  assert.equal(await collectCommand(["--once", path], io), 2);
  assert.match(err.join(""), /needs --db/);
});

test("a moved journal resumes where it was: the collect command collects nothing twice", async () => {
  using tmp = tempDir();
  const dir1 = join(tmp.dir, "dir1");
  const dir2 = join(tmp.dir, "dir2");
  const db = join(tmp.dir, "s.db");
  mkdirSync(dir1);
  writeFileSync(join(dir1, "agent.jsonl"), range(0, 23).map((i) => line(log(i))).join(""));
  const out: string[] = [];
  const io = {
    write: (text: string) => void out.push(text),
    error: (text: string) => void out.push(text),
    color: false,
  };
  assert.equal(await collectCommand(["--once", "--db", db, join(dir1, "agent.jsonl")], io), 0);
  assert.match(out.join(""), /collected 23 records/);
  renameSync(dir1, dir2);
  out.length = 0;
  assert.equal(await collectCommand(["--once", "--db", db, join(dir2, "agent.jsonl")], io), 0);
  assert.match(out.join(""), /collected 0 records/);
  appendFileSync(join(dir2, "agent.jsonl"), line(log(23)));
  out.length = 0;
  assert.equal(await collectCommand(["--once", "--db", db, join(dir2, "agent.jsonl")], io), 0);
  assert.match(out.join(""), /collected 1 records/);
  const store = await openTraceStore(db);
  assert.deepEqual(messages(store), expected(0, 24));
  const positions = store.db.prepare("SELECT journal, path FROM positions").all();
  assert.deepEqual(positions.map((p) => ({ ...p })), [
    { journal: join(dir2, "agent.jsonl"), path: join(dir2, "agent.jsonl") },
  ]);
  store.close();
});

test("a renamed journal and its rotated generations keep their positions (library)", async () => {
  using tmp = tempDir();
  const store = await openTraceStore(":memory:");
  const before = join(tmp.dir, "host.jsonl");
  const after = join(tmp.dir, "agent.jsonl");
  writeFileSync(`${before}.1`, range(0, 5).map((i) => line(log(i))).join(""));
  writeFileSync(before, range(5, 9).map((i) => line(log(i))).join(""));
  assert.equal((await collectJournal(before, { db: store, once: true })).records, 9);
  renameSync(`${before}.1`, `${after}.1`);
  renameSync(before, after);
  appendFileSync(after, line(log(9)));
  assert.equal((await collectJournal(after, { db: store, once: true })).records, 1);
  assert.deepEqual(messages(store), expected(0, 10));
  assert.equal(store.positions(before).length, 0, "the positions moved with the files");
  assert.equal(store.positions(after).length, 2);
  store.close();
});

test("two journals whose files start alike are each collected while both exist", async () => {
  using tmp = tempDir();
  const store = await openTraceStore(":memory:");
  // The same first KiB (a long first record), then different records.
  const first = line(log(0, { attributes: { pad: "x".repeat(1100) } }));
  const a = join(tmp.dir, "a.jsonl");
  const b = join(tmp.dir, "b.jsonl");
  writeFileSync(a, first + line(log(1)));
  writeFileSync(b, first + line(log(2)));
  assert.equal((await collectJournal(a, { db: store, once: true })).records, 2);
  assert.equal(
    (await collectJournal(b, { db: store, once: true })).records,
    2,
    "a copy, not a move",
  );
  assert.equal((await collectJournal(a, { db: store, once: true })).records, 0);
  assert.equal((await collectJournal(b, { db: store, once: true })).records, 0);
  store.close();
});
