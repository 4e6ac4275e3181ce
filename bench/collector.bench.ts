// The collector's figures: ingest rate into SQLite on a 1M-record journal (rotated into
// generations, the two oldest gzip-compressed) against the raw SQLite limit, then query
// latency on the store it built.
// Run: `node bench/collector.bench.ts`, `bun bench/collector.bench.ts`,
// `deno run -A bench/collector.bench.ts`. RECORDS=200000 for a quicker run.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createJournalSink } from "../mod.ts";
import { COLLECT_BATCH_BYTES, collectJournal } from "../src/collector/collect.ts";
import { tailLoop } from "../src/reader/tail_loop.ts";
import { defaultFsOps } from "../src/adapters/default.ts";
import {
  queryConversation,
  queryErrorSpans,
  queryOpenSpans,
  querySlowestSpans,
  queryTurn,
} from "../src/collector/query.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { otlpTraceId } from "../src/otlp/trace_ids.ts";
import { queryTurnUsage, queryUsage } from "../src/collector/usage.ts";
import { pruneTraceStore } from "../src/collector/store_retention.ts";
import { parsePrices } from "../src/collector/prices.ts";
import { workload } from "./collector_workload.ts";
import { openRawStore, rawRow } from "./raw_sqlite_limit.ts";
import { OtlpMapper } from "../src/otlp/records_to_otlp.ts";

const total = Number(
  (globalThis as { process?: { env: Record<string, string> } }).process?.env
    .RECORDS ?? 1_000_000,
);
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const dir = mkdtempSync(join(tmpdir(), "journal-sink-collector-"));
const path = join(dir, "agent.jsonl");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.95)];
}
function time(fn: () => unknown, runs: number): { median: number; p95: number } {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return { median: median(samples), p95: p95(samples) };
}

try {
  const sink = createJournalSink({ path, maxBytes: 32 * 1024 * 1024, maxFiles: 50, fsync: "none" });
  let written = 0;
  for (const record of workload(total)) {
    sink.emit(record);
    written++;
  }
  sink.close();
  // The two oldest generations compressed, as `compress: "gzip"` or logrotate leaves them.
  let gens = 0;
  while (statSafe(`${path}.${gens + 1}`)) gens++;
  const compressed = [gens, gens - 1].filter((n) => n > 0);
  for (const n of compressed) {
    writeFileSync(`${path}.${n}.gz`, gzipSync(readFileSync(`${path}.${n}`)));
    rmSync(`${path}.${n}`);
  }
  let bytes = statSync(path).size;
  for (let n = 1; n <= gens; n++) {
    bytes += statSafe(`${path}.${n}`) ?? statSafe(`${path}.${n}.gz`) ?? 0;
  }
  console.log(
    `${runtime}: journal of ${written} records, ${
      gens + 1
    } generations (${compressed.length} gzip), ${(bytes / 1e6).toFixed(0)} MB on disk`,
  );

  // The physical limit: the same rows of the same workload, already built, through prepared
  // INSERTs (one row a statement) into the same tables without any secondary index, one
  // transaction per collector batch. The collector reads and plans in a worker thread while
  // its own thread writes SQLite, so the two are not interleaved batch by batch (the worker
  // would go on working while the raw limit runs): raw, collect, raw, collect, raw, each
  // collect divided by the mean of the raw runs either side of it.
  const batchSizes: number[] = [];
  for await (
    const batch of tailLoop(path, [], {
      fs: defaultFsOps(),
      chunkSize: COLLECT_BATCH_BYTES,
      pollMs: 0,
      once: true,
    })
  ) batchSizes.push(batch.records.length);
  const rawRun = async (tuned = false): Promise<{ rate: number; cpuRate: number }> => {
    const rawPath = join(dir, `raw-${Math.random()}.db`);
    const raw = await openRawStore(rawPath, tuned);
    const source = workload(total);
    let ms = 0;
    let cpu = 0;
    let rows = 0;
    for (const size of batchSizes) {
      const batch: unknown[][] = [];
      for (let k = 0; k < size; k++) {
        const next = source.next();
        if (next.done) break;
        batch.push(rawRow(next.value, otlpTraceId(next.value) ?? null));
      }
      const c0 = cpuSeconds();
      const t0 = performance.now();
      raw.insert(batch);
      ms += performance.now() - t0;
      cpu += cpuSeconds() - c0;
      rows += batch.length;
    }
    raw.db.close();
    // Gone before the next run: its dirty pages are not written back while that one runs.
    removeDatabase(rawPath);
    return { rate: rows / (ms / 1000), cpuRate: rows / cpu };
  };
  const collectRun = async (worker: boolean, db: string) => {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const stats = await collectJournal(path, { db, once: true, worker });
    const seconds = (performance.now() - t0) / 1000;
    return { stats, rate: stats.records / seconds, cpuRate: stats.records / (cpuSeconds() - c0) };
  };
  const db = join(dir, "traces.db");
  const raws = [await rawRun()];
  const rounds: Awaited<ReturnType<typeof collectRun>>[] = [];
  for (let round = 0; round < 2; round++) {
    if (round > 0) removeDatabase(db);
    rounds.push(await collectRun(true, db));
    raws.push(await rawRun());
  }
  const single = await collectRun(false, join(dir, "single.db"));
  raws.push(await rawRun());
  const tuned = await rawRun(true);
  const stats = rounds[0].stats;
  const rate = (n: number) => Math.round(n).toLocaleString("en");
  console.log(
    `ingest: ${stats.records} records, ${stats.batches} transactions (db ${
      (statSync(db).size / 1e6).toFixed(0)
    } MB), read and planned in a worker: ${stats.worker}`,
  );
  console.log(
    `raw limit (same rows, prepared INSERT, no secondary index, same transactions), runs: ${
      raws.map((r) => rate(r.rate)).join(", ")
    } rows/s`,
  );
  rounds.forEach((round, i) => {
    const wall = round.rate / ((raws[i].rate + raws[i + 1].rate) / 2);
    const cpu = round.cpuRate / ((raws[i].cpuRate + raws[i + 1].cpuRate) / 2);
    console.log(
      `collect round ${i + 1}: ${rate(round.rate)} records/s = ${
        wall.toFixed(2)
      }× the raw limit (by CPU time of both threads: ${cpu.toFixed(2)}×)`,
    );
  });
  console.log(
    `collect on one thread (worker: false): ${rate(single.rate)} records/s = ${
      (single.rate / ((raws[2].rate + raws[3].rate) / 2)).toFixed(2)
    }×`,
  );
  console.log(
    `raw limit tuned as the store is (32 rows a statement, checkpoint every 10,000 pages): ${
      rate(tuned.rate)
    } rows/s; collect (best round) = ${
      (Math.max(...rounds.map((r) => r.rate)) / tuned.rate).toFixed(2)
    }× of it`,
  );
  // The first resume in this process may meet a collection of the heap the runs above left.
  const resumes: number[] = [];
  for (let k = 0; k < 5; k++) {
    const again = performance.now();
    await collectJournal(path, { db, once: true });
    resumes.push(performance.now() - again);
  }
  console.log(
    `resume with nothing new: first ${resumes[0].toFixed(1)} ms, then median ${
      median(resumes.slice(1)).toFixed(1)
    } ms`,
  );

  const store = await openTraceStore(db);
  const turns = Number(store.db.prepare("SELECT count(DISTINCT turn_id) AS n FROM spans").get()?.n);
  let i = 0;
  const lastHour = Number(
    store.db.prepare(`SELECT min(start_ms) AS t FROM spans WHERE turn_id = ?`).get(
      `t${turns - 1000}`,
    )?.t,
  );
  const prices = parsePrices({ "m-large": { input: 3, output: 15 } });
  const table: [string, { median: number; p95: number }][] = [
    [
      "--turn ID (tree of 4 spans + logs)",
      time(() => queryTurn(store, `t${(i++ * 7919) % turns}`), 500),
    ],
    [
      "--conversation ID (10 turns)",
      time(() => queryConversation(store, `c${(i++ * 31) % Math.floor(turns / 10)}`), 200),
    ],
    ["--open", time(() => queryOpenSpans(store), 20)],
    ["--errors", time(() => queryErrorSpans(store), 5)],
    ["--slowest 10", time(() => querySlowestSpans(store, 10), 50)],
    ["--usage (by model)", time(() => queryUsage(store, { by: "model" }), 200)],
    ["--usage --by extension", time(() => queryUsage(store, { by: "extension" }), 200)],
    [
      "--usage --by turn --since (last 1000 turns)",
      time(() => queryUsage(store, { by: "turn", since: lastHour }), 20),
    ],
    [
      "--usage --by model --since",
      time(() => queryUsage(store, { by: "model", since: lastHour }), 20),
    ],
    [
      "--usage --by extension --since",
      time(() => queryUsage(store, { by: "extension", since: lastHour }), 20),
    ],
    [
      "--usage --by conversation --since",
      time(() => queryUsage(store, { by: "conversation", since: lastHour }), 20),
    ],
    ["--usage --by conversation (all)", time(() => queryUsage(store, { by: "conversation" }), 20)],
    [
      "--usage --by conversation (all, priced)",
      time(() => queryUsage(store, { by: "conversation", prices }), 20),
    ],
    [`--usage --by turn (all ${turns})`, time(() => queryUsage(store, { by: "turn" }), 5)],
    [
      "turn token total (stats/spans)",
      time(() => queryTurnUsage(store, `t${(i++ * 7919) % turns}`), 500),
    ],
    [
      "SQL: warn logs of one turn (via turns)",
      time(
        () =>
          store.db.prepare(
            "SELECT * FROM logs WHERE turn_key IN (SELECT turn_key FROM turns WHERE turn_id = ?) AND level = 'warn'",
          ).all(
            `t${(i++ * 7919) % turns}`,
          ),
        500,
      ),
    ],
  ];
  console.log(`query latency on ${turns} turns (median / p95, ms):`);
  for (const [name, { median, p95 }] of table) {
    console.log(`  ${name.padEnd(40)} ${median.toFixed(3).padStart(9)} / ${p95.toFixed(3)}`);
  }
  const counts = store.db.prepare(
    "SELECT (SELECT count(*) FROM spans WHERE status = 'open') AS open, (SELECT count(*) FROM spans WHERE status = 'error') AS errors",
  ).get();
  console.log(`  (open spans: ${counts?.open}, failed spans: ${counts?.errors})`);
  const pruneStart = performance.now();
  const pruned = pruneTraceStore(store, { maxConversations: Math.floor(turns / 20) });
  console.log(
    `retention: --max-conversations ${Math.floor(turns / 20)} deleted ${
      pruned.spans + pruned.logs
    } rows in ${
      ((performance.now() - pruneStart) / 1000).toFixed(2)
    } s, ${pruned.transactions} transactions`,
  );
  store.close();

  // OTLP mapping rate (no network): records → request bodies.
  const mapper = new OtlpMapper({ serviceName: "bench" });
  const records = [...workload(200_000)];
  const mapStart = performance.now();
  for (const record of records) mapper.add(record);
  const body = JSON.stringify(mapper.takeLogs()).length +
    JSON.stringify(mapper.takeTraces()).length;
  const mapSeconds = (performance.now() - mapStart) / 1000;
  console.log(
    `otlp mapping + JSON: ${
      Math.round(records.length / mapSeconds).toLocaleString("en")
    } records/s (${(body / 1e6).toFixed(0)} MB of JSON for ${records.length} records)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function cpuSeconds(): number {
  const usage = (globalThis as unknown as {
    process: { cpuUsage(): { user: number; system: number } };
  }).process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** A SQLite database and its WAL and shared-memory files. */
function removeDatabase(db: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
}

function statSafe(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}
