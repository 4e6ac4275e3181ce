// The ceiling of a two-thread collector, measured before building it: a worker reads the
// journal, splits, JSON.parses and maps each record to its row values (attributes and body
// as JSON text, usage columns, trace ids of turns, a span opened and closed in the batch
// merged into one row) and hands the SQLite thread a string table (one string + transferred
// offsets); the SQLite thread keeps only the statements on the real (indexed) store schema,
// the turn-key lookups and the UPDATE of spans opened in an earlier batch. Left out, so this
// is an upper bound of the plan: usage sums (usage_totals, usage_by), the slowest flags, the
// turns' times, links, closes without an open, and any lookup in the database of what the
// worker remembers (opens and parents' trace ids after a restart).
// Compared in the same run with today's collectJournal and the raw limit (the same rows, no
// secondary index, 25,000 a transaction; run before and after each round and averaged).
// Run: `node bench/collector_worker_ceiling.bench.ts` (also bun, `deno run -A`;
// RECORDS=300000, ROUNDS=3). It also times the pipeline without the secondary indexes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { workload } from "./collector_workload.ts";
import { openRawStore, rawRow } from "./raw_sqlite_limit.ts";

const env = (globalThis as { process?: { env: Record<string, string> } }).process?.env ?? {};
const asked = Number(env.RECORDS ?? 300_000);
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const dir = mkdtempSync(join(tmpdir(), "journal-sink-ceiling-"));

/** A batch from the worker: fields of every row in one string, and their ends. */
interface Table {
  text: string;
  ends: Int32Array; // end of each field in text
  tags: Uint8Array; // per field: 0 null, 1 string, 2 number
  nums: Float64Array; // per field, when a number
  rows: Uint8Array; // per row: 0 log, 1 span insert, 2 span close update
  records: number;
  done?: boolean;
  /** With `done`: the worker's time spent on batches, ms. */
  busy?: number;
}

const path = join(dir, "app.jsonl");
const journal = [...workload(asked)];
const total = journal.length;
const rounds = Number(env.ROUNDS ?? 3);
writeFileSync(path, journal.map((r) => JSON.stringify(r) + "\n").join(""));
journal.length = 0;
const load0 = loadavg()[0];

/** The members of node:worker_threads' Worker used here. */
interface NodeWorker {
  on(event: "message", handler: (t: Table) => void): void;
  postMessage(message: unknown): void;
  terminate(): unknown;
}

function startWorker(onMessage: (t: Table) => void): { post(m: unknown): void; stop(): void } {
  const url = new URL("./collector_worker_ceiling.worker.ts", import.meta.url);
  if (runtime === "node") {
    const process = (globalThis as unknown as {
      process: { getBuiltinModule(id: string): { Worker: new (url: URL) => NodeWorker } };
    }).process;
    const w = new (process.getBuiltinModule("node:worker_threads").Worker)(url);
    w.on("message", onMessage);
    return { post: (m) => w.postMessage(m), stop: () => w.terminate() };
  }
  const w = new Worker(url.href, { type: "module" });
  w.onmessage = (e: MessageEvent) => onMessage(e.data);
  return { post: (m) => w.postMessage(m), stop: () => w.terminate() };
}

const COUNTS = `SELECT (SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM spans) AS spans,
  (SELECT count(*) FROM spans WHERE status = 'open') AS open, (SELECT count(*) FROM turns) AS turns`;
/** Rows of each kind in the store the last collect wrote: the pipeline must write as many. */
let expected = "";

async function pipeline(
  noIndex = false,
): Promise<{ ms: number; busy: number; worker: number }> {
  const store = await openTraceStore(join(dir, `pipe-${Math.random()}.db`));
  const db = store.db;
  if (noIndex) {
    for (
      const name of [
        "logs_by_turn_key",
        "logs_unscoped",
        "spans_by_turn_key",
        "spans_failed",
        "spans_slowest",
        "spans_usage",
        "spans_unscoped",
      ]
    ) db.exec(`DROP INDEX ${name}`);
  }
  const insertLog = db.prepare(
    `INSERT INTO logs (timestamp_ms, level, msg, extension_id, conversation_id, turn_id,
       span_id, trace_id, attributes, body, turn_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertSpan = db.prepare(
    `INSERT INTO spans (span_id, parent_span_id, trace_id, name, start_ms, end_ms, duration_ms,
       status, extension_id, conversation_id, turn_id, attributes, links, body,
       close_without_open, model, input_tokens, output_tokens, cost_usd, turn_key, slowest)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const closeSpan = db.prepare(
    `UPDATE spans SET end_ms = ?, duration_ms = ?, status = ?, attributes = ?, model = ?,
       input_tokens = ?, output_tokens = ?, cost_usd = ? WHERE id = ?`,
  );
  const findTurn = db.prepare(
    "SELECT turn_key FROM turns WHERE turn_id IS ? AND conversation_id IS ? LIMIT 1",
  );
  const insertTurn = db.prepare(
    "INSERT INTO turns (turn_id, conversation_id, first_ms, last_ms) VALUES (?, ?, ?, ?)",
  );
  const turnKeys = new Map<string, number>();
  const openIds = new Map<string, number>();
  const t0 = performance.now();
  let count = 0;
  let busy = 0;
  let workerMs = 0;
  await new Promise<void>((resolve) => {
    const worker = startWorker((t) => {
      if (t.done) {
        workerMs = t.busy ?? 0;
        worker.stop();
        resolve();
        return;
      }
      const h0 = performance.now();
      const { text, ends, tags, nums, rows } = t;
      let f = 0, start = 0;
      const field = (): unknown => {
        const end = ends[f], tag = tags[f], n = nums[f];
        const s = start;
        start = end;
        f++;
        return tag === 0 ? null : tag === 2 ? n : text.slice(s, end);
      };
      const turnKey = (conv: unknown, turn: unknown, time: number): number | null => {
        if (conv === null && turn === null) return null;
        const scope = `${conv}\u0000${turn}`;
        let key = turnKeys.get(scope);
        if (key === undefined) {
          const row = findTurn.get(turn, conv);
          key = row === undefined
            ? Number(insertTurn.run(turn, conv, time, time).lastInsertRowid)
            : Number(row.turn_key);
          turnKeys.set(scope, key);
        }
        return key;
      };
      db.exec("BEGIN IMMEDIATE");
      for (let i = 0; i < rows.length; i++) {
        const kind = rows[i];
        if (kind === 0) {
          const v = [
            field(),
            field(),
            field(),
            field(),
            field(),
            field(),
            field(),
            field(),
            field(),
            field(),
          ];
          insertLog.run(...(v as never[]), turnKey(v[4], v[5], v[0] as number));
        } else if (kind === 1) {
          const v = [];
          for (let k = 0; k < 19; k++) v.push(field());
          v.push(turnKey(v[9], v[10], v[4] as number), field());
          const { lastInsertRowid } = insertSpan.run(...(v as never[]));
          if (v[6] === null) openIds.set(v[0] as string, Number(lastInsertRowid));
        } else {
          const id = field() as string;
          const v = [];
          for (let k = 0; k < 8; k++) v.push(field());
          const row = openIds.get(id);
          openIds.delete(id);
          if (row !== undefined) closeSpan.run(...(v as never[]), row);
        }
      }
      db.exec("COMMIT");
      count += t.records;
      busy += performance.now() - h0;
    });
    worker.post({ path, chunk: 4 * 1024 * 1024 });
  });
  const ms = performance.now() - t0;
  const rows = JSON.stringify(db.prepare(COUNTS).get());
  if (rows !== expected) throw new Error(`pipeline wrote ${rows}, collect ${expected}`);
  store.close();
  if (count !== total) throw new Error(`pipeline saw ${count} of ${total}`);
  return { ms, busy, worker: workerMs };
}

async function today(): Promise<number> {
  const t0 = performance.now();
  const store = await openTraceStore(join(dir, `today-${Math.random()}.db`));
  const stats = await collectJournal(path, { db: store, once: true });
  expected = JSON.stringify(store.db.prepare(COUNTS).get());
  store.close();
  if (stats.records !== total) throw new Error(`collect saw ${stats.records}`);
  return performance.now() - t0;
}

async function rawLimit(): Promise<number> {
  const lines = (await import("node:fs")).readFileSync(path, "utf8").split("\n").filter(Boolean);
  const rows = lines.map((l) => JSON.parse(l));
  const { db: raw, log: rawLog, span: rawSpan } = await openRawStore(
    join(dir, `raw-${Math.random()}.db`),
  );
  // A fixed trace id: the worker derives ids, so the raw side pays for none.
  const prepared = rows.map((r) => rawRow(r, "0123456789abcdef0123456789abcdef"));

  const BATCH = 25_000;
  const t0 = performance.now();
  for (let at = 0; at < prepared.length; at += BATCH) {
    raw.exec("BEGIN IMMEDIATE");
    for (const row of prepared.slice(at, at + BATCH)) {
      (row.length === 10 ? rawLog : rawSpan).run(...row);
    }
    raw.exec("COMMIT");
  }
  const ms = performance.now() - t0;
  raw.close();
  return ms;
}

try {
  const rate = (ms: number) => Math.round(total / ms * 1000);
  const us = (ms: number) => (ms * 1000 / total).toFixed(2);
  for (let round = 0; round < rounds; round++) {
    const raw1 = await rawLimit();
    const t = await today();
    const p = await pipeline();
    const q = await pipeline(true);
    const raw2 = await rawLimit();
    const raw = (raw1 + raw2) / 2;
    console.log(
      `${runtime} round ${round}: raw ${rate(raw)} rows/s (${us(raw)} µs); collect today ${
        (raw / t).toFixed(2)
      }×; worker ceiling ${(raw / p.ms).toFixed(2)}× (SQLite thread busy ${us(p.busy)} µs/record, ${
        (p.busy / p.ms * 100).toFixed(0)
      } %, worker busy ${us(p.worker)} µs/record); same without secondary indexes ${
        (raw / q.ms).toFixed(2)
      }× (busy ${us(q.busy)} µs/record)`,
    );
  }
  console.log(
    `${runtime}: ${total} records, load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
