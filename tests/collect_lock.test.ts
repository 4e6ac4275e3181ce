// One collector per store: a second `collect` on the same store is refused with one line
// naming the store and the holder (exit 1) instead of storing every record again, and a
// collector killed with SIGKILL does not leave the store locked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { lockStore, StoreLockedError } from "../src/collector/collector_lock.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";

const isDeno = "Deno" in globalThis;
const runtime = [process.execPath, ...(isDeno ? ["run", "-A"] : [])];
const cli = new URL("../cli.ts", import.meta.url).pathname;

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "collect-lock-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

function writeJournal(path: string, count: number): void {
  const sink = createJournalSink({ path });
  for (let i = 0; i < count; i++) {
    sink.emit({ kind: "log", level: "info", msg: `r${i}`, timestamp: i, extensionId: "t" });
  }
  sink.close();
}

/** `journal-sink collect --db <db> <journal> [...more]` as a process of this runtime. */
function collector(db: string, journal: string, more: string[] = []) {
  const child = spawn(runtime[0], [
    ...runtime.slice(1),
    cli,
    "collect",
    "--db",
    db,
    ...more,
    journal,
  ], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk) => void (out += chunk));
  child.stderr!.on("data", (chunk) => void (err += chunk));
  const ended = new Promise<
    { code: number | null; signal: string | null; out: string; err: string }
  >(
    (resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, out, err }));
    },
  );
  return { child, ended, output: () => out };
}

async function until(what: () => boolean, label: string): Promise<void> {
  for (let tries = 0; tries < 600 && !what(); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(what(), label);
}

async function logRows(db: string): Promise<number> {
  const store = await openTraceStore(db, { readOnly: true });
  try {
    return Number(store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n);
  } finally {
    store.close();
  }
}

/** Waits until the collector process `child` holds the lock of `db` and stored `rows` rows. */
async function holding(child: ChildProcess, db: string, rows: number): Promise<void> {
  await until(() => existsSync(`${db}.lock`), "the first collector took the lock");
  const holder = JSON.parse(readFileSync(`${db}.lock`, "utf8"));
  assert.equal(holder.pid, child.pid);
  let stored = 0;
  await until(() => {
    logRows(db).then((n) => stored = n, () => {});
    return stored === rows;
  }, "the first collector stored the journal");
}

test("a second collector on one store is refused with one line naming the store and the holder, and stores nothing", async () => {
  using tmp = tempDir();
  const journal = join(tmp.dir, "j.jsonl");
  const db = join(tmp.dir, "s.db");
  writeJournal(journal, 3000);
  const first = collector(db, journal, ["--poll-ms", "20"]);
  try {
    await holding(first.child, db, 3000);
    const second = await collector(db, journal, ["--once"]).ended;
    assert.equal(second.code, 1, second.err);
    assert.equal(second.out, "");
    const lines = second.err.trimEnd().split("\n");
    assert.equal(lines.length, 1, second.err);
    assert.match(lines[0], /^journal-sink: .*s\.db is being filled by another collector/);
    assert.match(lines[0], new RegExp(`pid ${first.child.pid} on `));
    assert.ok(lines[0].includes(`${db}.lock`), "it says which file is the lock");
    assert.equal(await logRows(db), 3000, "the second stored nothing");
    // The first one goes on, alone: every record once.
    writeJournal(journal, 10);
    await holding(first.child, db, 3010);
    first.child.kill("SIGINT");
    const done = await first.ended;
    assert.match(done.out, /^collected 3010 records/);
    assert.equal(await logRows(db), 3010);
    assert.equal(existsSync(`${db}.lock`), false, "the lock is released at the end");
  } finally {
    first.child.kill("SIGKILL");
  }
});

test("a collector killed with SIGKILL leaves no lock that keeps the next one out", async () => {
  using tmp = tempDir();
  const journal = join(tmp.dir, "j.jsonl");
  const db = join(tmp.dir, "s.db");
  writeJournal(journal, 500);
  const first = collector(db, journal, ["--poll-ms", "20"]);
  await holding(first.child, db, 500);
  first.child.kill("SIGKILL");
  const killed = await first.ended;
  assert.equal(killed.signal, "SIGKILL");
  assert.ok(existsSync(`${db}.lock`), "the killed collector's lock file is still there");
  writeJournal(journal, 20);
  const next = await collector(db, journal, ["--once"]).ended;
  assert.equal(next.code, 0, next.err);
  assert.match(next.out, /^collected 20 records/);
  assert.equal(await logRows(db), 520);
  assert.equal(existsSync(`${db}.lock`), false);
});

test("collectJournal refuses a store another collector of this process fills, and lets it in afterwards", async () => {
  using tmp = tempDir();
  const journal = join(tmp.dir, "j.jsonl");
  const db = join(tmp.dir, "s.db");
  writeJournal(journal, 5);
  const stop = new AbortController();
  const store = await openTraceStore(db);
  try {
    const following = collectJournal(journal, { db: store, pollMs: 5, signal: stop.signal });
    let stored = 0;
    await until(() => {
      logRows(db).then((n) => stored = n, () => {});
      return stored === 5;
    }, "the follower stored the journal");
    await assert.rejects(
      collectJournal(journal, { db, once: true }),
      (error: Error & { code?: string }) => error.code === "ESTORELOCKED",
    );
    stop.abort();
    assert.equal((await following).records, 5);
    assert.equal((await collectJournal(journal, { db, once: true })).records, 0);
    assert.equal(await logRows(db), 5, "every record once");
  } finally {
    stop.abort();
    store.close();
  }
});

test("a lock whose holder is gone from this host is taken over; one on another host or being written is not", () => {
  using tmp = tempDir();
  const store = join(tmp.dir, "s.db");
  const lockPath = `${store}.lock`;
  // A pid no process has (above Linux's pid_max).
  writeFileSync(lockPath, JSON.stringify({ pid: 2 ** 23, host: hostname(), sinceMs: 1 }));
  const lock = lockStore(store);
  assert.equal(JSON.parse(readFileSync(lockPath, "utf8")).pid, process.pid);
  lock.release();
  assert.equal(existsSync(lockPath), false);

  writeFileSync(lockPath, JSON.stringify({ pid: 2 ** 23, host: "elsewhere", sinceMs: 1 }));
  assert.throws(() => lockStore(store), (error) => {
    assert.ok(error instanceof StoreLockedError);
    assert.equal(error.holder?.host, "elsewhere");
    assert.match(error.message, /pid 8388608 on elsewhere, since 1970-01-01T00:00:00\.001Z/);
    return true;
  });

  writeFileSync(lockPath, "");
  assert.throws(() => lockStore(store), StoreLockedError, "a lock file just created");
  rmSync(lockPath);
  lockStore(store).release();
});
