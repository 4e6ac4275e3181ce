// A collector following a journal while its writer rotates it: every record stored once, in
// order, so no span is stored twice and no closed span shows as open. Deterministic on the
// fake file system (the writer acts between any two of the collector's file-system calls),
// then with a real writer process, on this thread and with the worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type FsOps } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { queryOpenSpans } from "../src/collector/query.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { RECORDS_PER_TURN, turnRecords } from "./fixtures/collect_rotation_turns.ts";

const isDeno = "Deno" in globalThis;
const runtime = [process.execPath, ...(isDeno ? ["run", "-A"] : [])];
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

/** Seeded, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/**
 * `fs` with `act()` run before each read and size of a file: another process's work between
 * any two of the reader's looks at a file (not between the probes for the generations'
 * names, of which there are many more: the writer would outrun the reader).
 */
function interleaved<H>(fs: FsOps<H>, act: () => void): FsOps<H> {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(fs)) {
    if (typeof method !== "function") continue;
    const acts = name === "readAt" || name === "readFile" || name === "size";
    wrapped[name] = (...args: unknown[]) => {
      if (acts) act();
      return method.apply(fs, args);
    };
  }
  return wrapped as unknown as FsOps<H>;
}

const count = (store: TraceStore, sql: string) => Number(store.db.prepare(sql).get()?.n);

/** The store holds each of `turns` turns' records once, in order, every span closed. */
function assertEveryTurnOnce(store: TraceStore, turns: number): void {
  assert.equal(count(store, "SELECT count(*) AS n FROM logs"), turns, "log rows");
  assert.equal(count(store, "SELECT count(DISTINCT msg) AS n FROM logs"), turns, "distinct logs");
  assert.equal(count(store, "SELECT count(*) AS n FROM spans"), 2 * turns, "span rows");
  assert.equal(
    count(
      store,
      "SELECT count(*) AS n FROM (SELECT span_id FROM spans GROUP BY span_id HAVING count(*) > 1)",
    ),
    0,
    "spans stored twice",
  );
  assert.equal(count(store, "SELECT count(*) AS n FROM spans WHERE close_without_open"), 0);
  assert.deepEqual(queryOpenSpans(store).map((span) => span.spanId), [], "phantom open spans");
}

/**
 * Waits (10 s at most) until the follower stored the last turn's close, and a little more:
 * a record read twice would come after it.
 */
async function caughtUp(store: TraceStore, turns: number): Promise<void> {
  const last = `SELECT count(*) AS n FROM spans WHERE span_id = 'T${turns - 1}' AND status = 'ok'`;
  for (let tries = 0; tries < 400 && count(store, last) === 0; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}

for (const [seed, compress] of [[1, "none"], [2, "none"], [3, "gzip"], [4, "gzip"]] as const) {
  test(`a collector following a journal that rotates between any two of its reads stores every record once (seed ${seed}, compress ${compress})`, async () => {
    const turns = 600;
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "j.jsonl", fs, maxBytes: 4096, maxFiles: 12, compress });
    const chance = random(seed);
    let written = 0;
    const done = Promise.withResolvers<void>();
    const writer = () => {
      if (written === turns || chance() > 0.05) return;
      for (const record of turnRecords(written)) sink.emit(record);
      if (++written === turns) done.resolve();
    };
    const store = await openTraceStore(":memory:");
    const stop = new AbortController();
    try {
      const collecting = collectJournal("j.jsonl", {
        db: store,
        fs: interleaved(fs, writer),
        pollMs: 1,
        chunkSize: 1024,
        signal: stop.signal,
      });
      await done.promise;
      await sink.idle();
      sink.close();
      await caughtUp(store, turns);
      stop.abort();
      const stats = await collecting;
      assert.ok(sink.stats.rotations > 100, "the journal rotated many times");
      assert.equal(stats.records, turns * RECORDS_PER_TURN, "records collected");
      assertEveryTurnOnce(store, turns);
      const again = await collectJournal("j.jsonl", { db: store, fs, once: true });
      assert.equal(again.records, 0, "a pass afterwards finds nothing the follower missed");
    } finally {
      stop.abort();
      store.close();
    }
  });
}

/** Runs the writer process; resolves when it has written every turn. */
function writeTurns(path: string, turns: number, maxBytes: number, compress: string) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(runtime[0], [
      ...runtime.slice(1),
      fixture("collect_rotation_writer.ts"),
      path,
      String(turns),
      String(maxBytes),
      "500",
      compress,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => void (out += chunk));
    child.stderr.on("data", (chunk) => void (err += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && out === "done 0\n") resolve();
      else reject(new Error(`writer exited ${code}: ${out} ${err}`));
    });
  });
}

for (const [worker, compress] of [[false, "none"], [true, "none"], [true, "gzip"]] as const) {
  test(`a collector ${worker ? "with its worker" : "on one thread"} following a writer process that rotates every 32 KiB (compress ${compress}) stores every record once`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "collect-rotation-"));
    const path = join(dir, "j.jsonl");
    const turns = 4000;
    const store = await openTraceStore(join(dir, "s.db"));
    const stop = new AbortController();
    try {
      const writing = writeTurns(path, turns, 32 * 1024, compress);
      // The writer creates the journal at once; the collector needs it to exist.
      const { existsSync } = await import("node:fs");
      while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 5));
      const collecting = collectJournal(path, {
        db: store,
        worker,
        pollMs: 5,
        chunkSize: 16 * 1024,
        signal: stop.signal,
      });
      await writing;
      await caughtUp(store, turns);
      stop.abort();
      const stats = await collecting;
      assert.equal(stats.worker, worker);
      assert.equal(stats.records, turns * RECORDS_PER_TURN, "records collected");
      assertEveryTurnOnce(store, turns);
      const again = await collectJournal(path, { db: store, once: true });
      assert.equal(again.records, 0, "a pass afterwards finds nothing the follower missed");
    } finally {
      stop.abort();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
