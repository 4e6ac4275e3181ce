// What each trace-store index costs the collector: the journal is parsed once, then the same
// batches are ingested into fresh stores with one index set each, interleaved, best of 3 by
// CPU time (the machine may be shared). Query latencies with the shipped set are in
// bench/collector.bench.ts. Run: `node bench/collector_indexes.bench.ts` (RECORDS=300000).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { defaultFsOps } from "../src/adapters/default.ts";
import type { JournalRecord } from "../src/reader/journal_record.ts";
import { tailPass } from "../src/reader/follow.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { workload } from "./collector_workload.ts";

const env = (globalThis as { process?: { env: Record<string, string> } }).process?.env ?? {};
const total = Number(env.RECORDS ?? 300_000);
const dir = mkdtempSync(join(tmpdir(), "journal-sink-indexes-"));
const SHIPPED = [
  "logs_by_turn_key",
  "logs_unscoped",
  "spans_by_turn_key",
  "spans_open_by_span_id",
  "spans_failed",
  "spans_slowest",
  "spans_unscoped",
  "spans_unscoped_by_parent",
  "logs_unscoped_by_span",
];
const V1 = [
  "logs (timestamp_ms)",
  "logs (trace_id)",
  "logs (span_id)",
  "logs (conversation_id, timestamp_ms)",
  "logs (turn_id, timestamp_ms)",
  "spans (span_id)",
  "spans (parent_span_id)",
  "spans (trace_id)",
  "spans (conversation_id, start_ms)",
  "spans (turn_id, start_ms)",
  "spans (start_ms)",
  "spans (start_ms) WHERE status = 'open'",
  "spans (duration_ms)",
  "spans (start_ms) WHERE status = 'error'",
];
const VARIANTS: [string, string[], string[]][] = [
  ["shipped (v5)", [], []],
  ["shipped but the indexes of rows waiting for a scope (v4)", [
    "spans_unscoped_by_parent",
    "logs_unscoped_by_span",
  ], []],
  ["none on spans/logs (turns table only)", SHIPPED, []],
  ["the whole v1 index set instead", SHIPPED, V1],
  ["shipped + every span's duration", [], ["spans (duration_ms)"]],
  ["shipped + trace_id on spans and logs", [], ["spans (trace_id)", "logs (trace_id)"]],
  [
    "shipped + text turn/conversation ids",
    [],
    ["spans (turn_id)", "logs (turn_id)", "spans (conversation_id)", "logs (conversation_id)"],
  ],
];

function cpuSeconds(): number {
  const usage = (globalThis as unknown as {
    process: { cpuUsage(): { user: number; system: number } };
  }).process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

try {
  const path = join(dir, "agent.jsonl");
  const sink = createJournalSink({ path, maxBytes: 1e10, fsync: "none" });
  for (const record of workload(total)) sink.emit(record);
  sink.close();
  const batches: JournalRecord[][] = [];
  const parse = cpuSeconds();
  for await (
    const batch of tailPass(path, [], { fs: defaultFsOps(), chunkSize: 1 << 20, now: Date.now })
  ) batches.push(batch.records);
  const records = batches.reduce((sum, batch) => sum + batch.length, 0);
  console.log(
    `parse only (tailPass): ${
      Math.round(records / (cpuSeconds() - parse)).toLocaleString("en")
    } records/s`,
  );
  const best = new Map<string, number>();
  for (let run = 0; run < 3; run++) {
    for (const [name, drop, add] of VARIANTS) {
      const db = join(dir, `store-${run}-${best.size}.db`);
      const store = await openTraceStore(db);
      for (const index of drop) store.db.exec(`DROP INDEX ${index}`);
      add.forEach((on, i) => store.db.exec(`CREATE INDEX extra_${i} ON ${on}`));
      const start = cpuSeconds();
      for (const batch of batches) store.ingest(batch);
      best.set(name, Math.min(best.get(name) ?? Infinity, cpuSeconds() - start));
      store.close();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
    }
  }
  console.log(`ingest only, ${records} records (CPU time, best of 3):`);
  for (const [name, seconds] of best) {
    console.log(
      `  ${name.padEnd(40)} ${
        Math.round(records / seconds).toLocaleString("en").padStart(9)
      } records/s`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
