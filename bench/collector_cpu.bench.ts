// CPU time a record of the collector's two halves, measured apart: the planner (what the
// worker does) and the writer (what the SQLite thread does), on the same batches, median of 5
// rounds. For before/after comparisons on a shared machine, run it on both trees, alternating.
// Run: `node bench/collector_cpu.bench.ts` (RECORDS=200000; TURNLESS=1 strips every turn and
// conversation, as a journal written by OpenTelemetry alone).
import { workload } from "./collector_workload.ts";
import { BatchPlanner } from "../src/collector/batch_planner.ts";
import { StoreWriter } from "../src/collector/store_writer.ts";
import { applyTraceStoreSchema } from "../src/collector/schema.ts";
import { openSqlite } from "../src/collector/sqlite.ts";
import type { RowPlan } from "../src/collector/row_plan.ts";

const env = (globalThis as { process?: { env: Record<string, string> } }).process?.env ?? {};
const total = Number(env.RECORDS ?? 200_000);
const BATCH = 4000;

function cpuMs(): number {
  const usage = (globalThis as unknown as {
    process: { cpuUsage(): { user: number; system: number } };
  }).process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

// Records as the reader hands them over: parsed from JSON.
const records = [...workload(total)].map((r) => {
  const record = JSON.parse(JSON.stringify(r));
  if (env.TURNLESS) {
    delete record.turnId;
    delete record.conversationId;
  }
  return record;
});
const batches: unknown[][] = [];
for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));

const planMs: number[] = [];
const writeMs: number[] = [];
for (let round = 0; round < 5; round++) {
  const planner = new BatchPlanner();
  let start = cpuMs();
  const plans: RowPlan[] = batches.map((batch) => planner.plan(batch));
  planMs.push(cpuMs() - start);
  const db = await openSqlite(":memory:");
  applyTraceStoreSchema(db);
  const writer = new StoreWriter(db);
  start = cpuMs();
  for (const plan of plans) {
    db.exec("BEGIN");
    writer.write(plan);
    db.exec("COMMIT");
  }
  writeMs.push(cpuMs() - start);
  db.close();
}
const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1];
const perRecord = (ms: number[]) => (median(ms) * 1000 / records.length).toFixed(3);
console.log(
  `${records.length} records${env.TURNLESS ? " without turns" : ""}: plan ${
    perRecord(planMs)
  } µs a record, write ${perRecord(writeMs)} µs a record (CPU time, median of 5)`,
);
