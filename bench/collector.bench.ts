// The collector's figures: ingest rate into SQLite on a 1M-record journal (rotated into
// generations, the two oldest gzip-compressed), then query latency on the store it built.
// Run: `node bench/collector.bench.ts`, `bun bench/collector.bench.ts`,
// `deno run -A bench/collector.bench.ts`. RECORDS=200000 for a quicker run.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import {
  queryConversation,
  queryErrorSpans,
  queryOpenSpans,
  querySlowestSpans,
  queryTurn,
} from "../src/collector/query.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { OtlpMapper } from "../src/collector/otlp_mapping.ts";

const total = Number(
  (globalThis as { process?: { env: Record<string, string> } }).process?.env
    .RECORDS ?? 1_000_000,
);
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const dir = mkdtempSync(join(tmpdir(), "journal-sink-collector-"));
const path = join(dir, "agent.jsonl");

/** An agent host's mix: per turn a root span, 3 child spans, 1 of them failing, 4 logs. */
function* workload(count: number): Generator<LogRecord> {
  let time = 1_700_000_000_000;
  let n = 0;
  for (let turn = 0; n < count; turn++) {
    const scope = {
      extensionId: "host",
      conversationId: `c${Math.floor(turn / 10)}`,
      turnId: `t${turn}`,
    };
    const root = `r${turn}`;
    const turnStart = time;
    yield { kind: "span-open", spanId: root, name: "turn", timestamp: time++, ...scope };
    n++;
    for (let k = 0; k < 3 && n < count; k++) {
      const id = `s${turn}-${k}`;
      yield {
        kind: "span-open",
        spanId: id,
        parentSpanId: root,
        name: k === 1 ? "tool-call" : "llm",
        timestamp: time++,
        ...scope,
        attributes: { model: "m-large", attempt: k },
      };
      yield {
        kind: "log",
        level: k === 1 ? "warn" : "info",
        msg: `step ${k} of turn ${turn}`,
        timestamp: time++,
        spanId: id,
        ...scope,
        attributes: { tokens: 100 + k },
      };
      const d = (turn * 7 + k * 13) % 900;
      time += d;
      yield {
        kind: "span-close",
        spanId: id,
        parentSpanId: root,
        name: k === 1 ? "tool-call" : "llm",
        timestamp: time,
        durationMs: d,
        status: k === 1 && turn % 5 === 0 ? "error" : "ok",
        ...scope,
      };
      n += 3;
    }
    yield { kind: "log", level: "info", msg: "turn done", timestamp: time++, ...scope };
    if (turn % 1000 !== 999) {
      yield {
        kind: "span-close",
        spanId: root,
        name: "turn",
        timestamp: time++,
        durationMs: time - turnStart,
        status: "ok",
        ...scope,
      };
      n++;
    }
    n++;
  }
}

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

  const db = join(dir, "traces.db");
  const start = performance.now();
  const stats = await collectJournal(path, { db, once: true });
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `ingest: ${stats.records} records in ${seconds.toFixed(2)} s = ${
      Math.round(stats.records / seconds).toLocaleString("en")
    } records/s (${stats.batches} transactions; db ${(statSync(db).size / 1e6).toFixed(0)} MB)`,
  );
  const again = performance.now();
  await collectJournal(path, { db, once: true });
  console.log(`resume with nothing new: ${(performance.now() - again).toFixed(1)} ms`);

  const store = await openTraceStore(db);
  const turns = Number(store.db.prepare("SELECT count(DISTINCT turn_id) AS n FROM spans").get()?.n);
  let i = 0;
  const rows: [string, { median: number; p95: number }][] = [
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
    [
      "SQL: error logs of one turn",
      time(
        () =>
          store.db.prepare("SELECT * FROM logs WHERE turn_id = ? AND level = 'warn'").all(
            `t${(i++ * 7919) % turns}`,
          ),
        500,
      ),
    ],
  ];
  console.log(`query latency on ${turns} turns (median / p95, ms):`);
  for (const [name, { median, p95 }] of rows) {
    console.log(`  ${name.padEnd(40)} ${median.toFixed(3).padStart(9)} / ${p95.toFixed(3)}`);
  }
  const counts = store.db.prepare(
    "SELECT (SELECT count(*) FROM spans WHERE status = 'open') AS open, (SELECT count(*) FROM spans WHERE status = 'error') AS errors",
  ).get();
  console.log(`  (open spans: ${counts?.open}, failed spans: ${counts?.errors})`);
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

function statSafe(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}
