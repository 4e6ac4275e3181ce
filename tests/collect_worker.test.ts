// The collector's worker: it reads and plans the journal while the calling thread writes
// SQLite, and the store it fills is the one the calling thread alone would fill.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createJournalSink } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { startPlanningWorker } from "../src/collector/worker_batches.ts";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "collect-worker-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic journal of everything the store distinguishes, as lines. */
function varied(count: number, seed = 7): string[] {
  let state = seed;
  const pick = (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const lines: string[] = [];
  const open: string[] = [];
  let time = 1_700_000_000_000;
  for (let i = 0; i < count; i++) {
    time += pick(50);
    const extensionId = `x${pick(3)}`;
    const choice = pick(10);
    if (choice < 3) {
      const spanId = `s${i}`;
      const parent = open.length > 0 && pick(2) === 0 ? open[pick(open.length)] : undefined;
      const attributes: Record<string, unknown> = { i };
      if (pick(2) === 0) attributes["gen_ai.request.model"] = `m${pick(3)}`;
      if (pick(3) === 0) attributes["gen_ai.usage.input_tokens"] = pick(900);
      lines.push(JSON.stringify({
        kind: "span-open",
        spanId,
        parentSpanId: parent,
        name: `op${pick(4)}`,
        timestamp: time,
        extensionId,
        attributes,
        turnId: pick(3) === 0 ? `t${pick(40)}` : undefined,
        conversationId: pick(4) === 0 ? `c${pick(10)}` : undefined,
        links: pick(6) === 0 ? [{ spanId: `s${pick(i + 1)}` }] : undefined,
        body: pick(5) === 0 ? { prompt: `question ${i}` } : undefined,
      }));
      open.push(spanId);
    } else if (choice < 6 && open.length > 0) {
      const at = pick(open.length);
      const spanId = open[at];
      if (pick(4) !== 0) open.splice(at, 1); // now and then closed twice
      lines.push(JSON.stringify({
        kind: "span-close",
        spanId,
        name: "op",
        timestamp: time,
        durationMs: pick(5000),
        status: pick(5) === 0 ? "error" : "ok",
        extensionId,
        attributes: pick(2) === 0
          ? { "gen_ai.usage.output_tokens": pick(300), "gen_ai.response.model": `r${pick(2)}` }
          : undefined,
        turnId: pick(6) === 0 ? `t${pick(40)}` : undefined,
      }));
    } else if (choice === 6) {
      lines.push(JSON.stringify({
        kind: "span-close",
        spanId: `lone${i}`,
        parentSpanId: open.length > 0 ? open[pick(open.length)] : undefined,
        name: "lone",
        timestamp: time,
        durationMs: pick(100),
        status: "ok",
        extensionId,
        attributes: { "gen_ai.usage.input_tokens": 5 },
      }));
    } else if (choice === 7) {
      lines.push(JSON.stringify({ kind: "log", level: "info", msg: "no time", extensionId }));
    } else {
      lines.push(JSON.stringify({
        kind: "log",
        level: ["info", "warn", "error"][pick(3)],
        msg: `message ${i}`,
        timestamp: time,
        extensionId,
        spanId: open.length > 0 && pick(2) === 0 ? open[pick(open.length)] : undefined,
        turnId: pick(3) === 0 ? `t${pick(40)}` : undefined,
        attributes: pick(2) === 0 ? { i } : undefined,
      }));
    }
  }
  return lines;
}

/** Every row of the store's tables, as sorted JSON text (positions aside). */
function tables(store: TraceStore): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const table of ["logs", "spans", "turns", "usage_totals", "usage_by"]) {
    out[table] = store.db.prepare(`SELECT * FROM ${table}`).all().map((row) => JSON.stringify(row))
      .sort();
  }
  return out;
}

/** A journal of `lines` over three generations, the oldest gzip-compressed. */
function writeJournal(dir: string, lines: string[]): string {
  const path = join(dir, "agent.jsonl");
  const third = Math.floor(lines.length / 3);
  const text = (part: string[]) => part.map((l) => l + "\n").join("");
  writeFileSync(`${path}.2.gz`, gzipSync(text(lines.slice(0, third))));
  writeFileSync(`${path}.1`, text(lines.slice(third, 2 * third)));
  writeFileSync(path, text(lines.slice(2 * third)));
  return path;
}

test("the worker and the calling thread fill the store with the same rows", async () => {
  using tmp = tempDir();
  const path = writeJournal(tmp.dir, varied(6000));
  for (const chunkSize of [2048, 65536]) {
    const results = [];
    for (const worker of [true, false]) {
      const store = await openTraceStore(":memory:");
      const stats = await collectJournal(path, { db: store, once: true, chunkSize, worker });
      assert.equal(stats.worker, worker);
      results.push({ stats: { ...stats, worker: undefined }, tables: tables(store) });
      store.close();
    }
    assert.ok(results[0].stats.batches > 3, "several batches, so closes cross them");
    assert.ok(results[0].tables.spans.length > 1000);
    assert.deepEqual(results[0], results[1]);
  }
});

test("a child written after a restart joins its open parent's trace, with or without the worker", async () => {
  for (const worker of [true, false]) {
    using tmp = tempDir();
    const path = join(tmp.dir, "agent.jsonl");
    const db = join(tmp.dir, "traces.db");
    const parent = { kind: "span-open", spanId: "p", name: "tool", timestamp: 1, extensionId: "x" };
    writeFileSync(path, JSON.stringify(parent) + "\n");
    await collectJournal(path, { db, once: true, worker });
    // A new collector (and planner) knows nothing of "p" but what the store has.
    appendFileSync(
      path,
      JSON.stringify({ ...parent, spanId: "c", parentSpanId: "p", timestamp: 2 }) + "\n" +
        JSON.stringify({
          kind: "log",
          level: "info",
          msg: "in c",
          timestamp: 3,
          extensionId: "x",
          spanId: "c",
        }) + "\n",
    );
    const stats = await collectJournal(path, { db, once: true, worker });
    assert.equal(stats.worker, worker);
    const store = await openTraceStore(db);
    const traces = store.db.prepare(
      "SELECT (SELECT trace_id FROM spans WHERE span_id = 'p') AS p, (SELECT trace_id FROM spans WHERE span_id = 'c') AS c, (SELECT trace_id FROM logs) AS log",
    ).get()!;
    store.close();
    assert.match(String(traces.p), /^[0-9a-f]{32}$/);
    assert.equal(traces.c, traces.p);
    assert.equal(traces.log, traces.p);
  }
});

test("a following collector with a worker collects what is appended, across a rotation, until stopped", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const lines = varied(600, 11);
  writeFileSync(path, lines.slice(0, 200).map((l) => l + "\n").join(""));
  const store = await openTraceStore(":memory:");
  const controller = new AbortController();
  const seen: number[] = [];
  const running = collectJournal(path, {
    db: store,
    signal: controller.signal,
    pollMs: 10,
    chunkSize: 4096,
    onBatch: (stats) => seen.push(stats.records),
  });
  const until = async (count: number) => {
    for (let i = 0; i < 500 && (seen.at(-1) ?? 0) < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await until(200);
  appendFileSync(path, lines.slice(200, 400).map((l) => l + "\n").join(""));
  await until(400);
  // A rotation by rename, then more in a new live file.
  const { renameSync } = await import("node:fs");
  renameSync(path, `${path}.1`);
  writeFileSync(path, lines.slice(400).map((l) => l + "\n").join(""));
  await until(600);
  controller.abort();
  const stats = await running;
  assert.equal(stats.worker, true);
  assert.equal(stats.records, 600);
  assert.ok(stats.passes > 1);
  const alone = await openTraceStore(":memory:");
  using other = tempDir();
  await collectJournal(writeJournal(other.dir, lines), { db: alone, once: true, worker: false });
  // Batches fall elsewhere than in one pass over the whole journal, so row ids and turn keys
  // may be numbered otherwise: the rows' content is the same.
  const content = (s: TraceStore) =>
    ["logs", "spans"].map((table) =>
      s.db.prepare(`SELECT * FROM ${table}`).all().map(({ id: _, turn_key: __, ...row }) =>
        JSON.stringify(row)
      ).sort()
    );
  assert.deepEqual(content(store), content(alone));
  store.close();
  alone.close();
});

test("a worker that cannot start leaves the collector to read on its own thread", async () => {
  using tmp = tempDir();
  const missing = new URL(`file://${join(tmp.dir, "no_such_worker.ts")}`);
  const batches = await startPlanningWorker(
    {
      path: join(tmp.dir, "agent.jsonl"),
      positions: [],
      known: [],
      chunkSize: 4096,
      pollMs: 10,
      once: true,
    },
    undefined,
    () => {},
    missing,
  );
  assert.equal(batches, undefined);
});

test("a read the worker cannot do fails the collector as it would on one thread", async () => {
  for (const worker of [true, false]) {
    using tmp = tempDir();
    const path = join(tmp.dir, "agent.jsonl");
    writeFileSync(path, varied(10).map((l) => l + "\n").join(""));
    mkdirSync(`${path}.1`); // a generation that is a directory
    const store = await openTraceStore(":memory:");
    await assert.rejects(
      collectJournal(path, { db: store, once: true, worker }),
      /EISDIR|directory/i,
    );
    assert.equal(store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n, 0);
    store.close();
  }
});

test("a collector given its own file system reads on the calling thread, even when asked for a worker", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "agent.jsonl", fs });
  for (const line of varied(50)) sink.emit(JSON.parse(line));
  sink.close();
  const store = await openTraceStore(":memory:");
  const stats = await collectJournal("agent.jsonl", { db: store, once: true, fs, worker: true });
  assert.equal(stats.worker, false);
  assert.equal(stats.records, 50);
  store.close();
});
