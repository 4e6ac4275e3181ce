// What a two-thread collector (reading and parsing in a worker, SQLite in the main thread)
// could reach, measured before building one:
// 1. its ceiling: the store's commit on records already parsed (read, gunzip, split and
//    JSON.parse cost the SQLite thread nothing), interleaved batch by batch with the raw
//    limit of bench/collector.bench.ts on the same rows;
// 2. what handing a batch over costs the SQLite thread, per record, for each shape: the
//    JSON.parse it does today, receiving structured-cloned records or row arrays, and
//    slicing the fields out of one string plus transferred offsets (a string table).
// Run: `node bench/collector_pipeline.bench.ts` (also bun, `deno run -A`; RECORDS=600000).
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "../mod.ts";
import type { JournalRecord } from "../src/reader/journal_record.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { otlpTraceId } from "../src/collector/trace_ids.ts";
import { workload } from "./collector_workload.ts";
import { openRawStore, rawRow } from "./raw_sqlite_limit.ts";

const env = (globalThis as { process?: { env: Record<string, string> } }).process?.env ?? {};
const total = Number(env.RECORDS ?? 600_000);
/** About the records of one 4 MiB collector batch. */
const BATCH = 25_000;
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const dir = mkdtempSync(join(tmpdir(), "journal-sink-pipeline-"));

function cpuMs(): number {
  const usage = (globalThis as unknown as {
    process: { cpuUsage(): { user: number; system: number } };
  }).process.cpuUsage();
  return (usage.user + usage.system) / 1e3;
}

try {
  const lines = [...workload(total)].map((record) => JSON.stringify(record));
  console.log(`${runtime}: ${lines.length} records, load average ${loadavg()[0].toFixed(1)}`);

  // 1. The ceiling.
  const store = await openTraceStore(join(dir, "store.db"));
  const { db: raw, log: rawLog, span: rawSpan } = await openRawStore(join(dir, "raw.db"));
  let storeMs = 0, storeCpu = 0, rawMs = 0, rawCpu = 0;
  for (let at = 0; at < lines.length; at += BATCH) {
    const records = lines.slice(at, at + BATCH).map((line) => JSON.parse(line) as JournalRecord);
    let c = cpuMs(), t = performance.now();
    store.commit("journal", records, []);
    storeMs += performance.now() - t;
    storeCpu += cpuMs() - c;
    const rows = (records as LogRecord[]).map((r) => rawRow(r, otlpTraceId(r) ?? null));
    c = cpuMs();
    t = performance.now();
    raw.exec("BEGIN IMMEDIATE");
    for (const row of rows) (row.length === 10 ? rawLog : rawSpan).run(...row);
    raw.exec("COMMIT");
    rawMs += performance.now() - t;
    rawCpu += cpuMs() - c;
  }
  store.close();
  raw.close();
  const rate = (ms: number) => Math.round(lines.length / ms * 1000).toLocaleString("en");
  console.log(
    `ceiling: store.commit on parsed records ${rate(storeMs)} records/s, raw limit ${
      rate(rawMs)
    } rows/s = ${(rawMs / storeMs).toFixed(2)}× by wall clock, ${
      (rawCpu / storeCpu).toFixed(2)
    }× by CPU time`,
  );

  // 2. Hand-over, per record, on the receiving (SQLite) thread; best of 3.
  const sample = lines.slice(0, 100_000);
  const records = sample.map((line) => JSON.parse(line) as LogRecord);
  const rows = records.map((r) => rawRow(r, otlpTraceId(r) ?? null));
  const best = (fn: () => void) => {
    let min = Infinity;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      fn();
      min = Math.min(min, performance.now() - t);
    }
    return `${(min * 1000 / sample.length).toFixed(2)} µs`;
  };
  // The string table: every string field in one string, its end offsets and the numbers in
  // typed arrays (transferred, not copied); the receiver slices.
  const ends = new Int32Array(rows.length * 15);
  const numbers = new Float64Array(rows.length * 15);
  const strings: string[] = [];
  let end = 0, n = 0;
  for (const row of rows) {
    for (let i = 0; i < 15; i++) {
      const value = row[i];
      if (typeof value === "string") {
        strings.push(value);
        end += value.length;
        ends[n] = end;
      } else {
        ends[n] = -1;
        numbers[n] = typeof value === "number" ? value : NaN;
      }
      n++;
    }
  }
  const table = strings.join("");
  const unpack = () => {
    const row: unknown[] = new Array(15);
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const e = ends[i];
      if (e >= 0) {
        row[i % 15] = table.slice(start, e);
        start = e;
      } else row[i % 15] = numbers[i];
    }
  };
  const v8 = await import("node:v8").catch(() => undefined);
  const receive = (value: unknown) => {
    if (v8?.serialize && v8.deserialize) {
      const bytes = v8.serialize(value);
      return () => void v8.deserialize(bytes);
    }
    return () => void structuredClone(value); // both halves: an upper bound
  };
  console.log(
    `hand-over per record: JSON.parse of the lines ${
      best(() => sample.forEach((line) => JSON.parse(line)))
    }; receiving structured-cloned records ${best(receive(records))}, row arrays ${
      best(receive(rows))
    }; slicing a string table ${best(unpack)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
