// Throughput of journal-sink against the raw limits and its peers, in one process.
//
// Run with any runtime: `node bench/main.ts`, `bun bench/main.ts`,
// `deno run -A bench/main.ts`. `--json` prints machine-readable results (bench/report.ts
// uses it to run all three runtimes and write bench/RESULTS.md).
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import sonicBoom from "sonic-boom";
import { configure, dispose, getLogger, jsonLinesFormatter } from "@logtape/logtape";
import { getFileSink } from "@logtape/file";
import { createJournalSink, type JournalSinkOptions, type LogRecord } from "../mod.ts";
import { recordDefect } from "../src/record_check.ts";
import { makeRecords, splitForLoggers } from "./records.ts";

// sonic-boom is CommonJS: its default export is the class, whatever its types say.
const SonicBoom = sonicBoom as unknown as typeof import("sonic-boom").SonicBoom;

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const json = args.includes("--json");
const runs = Number(args.find((a) => a.startsWith("--runs="))?.slice(7) ?? 7);
const COUNT = Number(args.find((a) => a.startsWith("--count="))?.slice(8) ?? 20_000);
const FSYNC_COUNT = Number(args.find((a) => a.startsWith("--fsync-count="))?.slice(14) ?? 400);
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

const records = makeRecords(COUNT);
const dir = mkdtempSync(join(tmpdir(), "journal-sink-bench-"));
let fileNo = 0;
const freshPath = () => join(dir, `case-${fileNo++}.jsonl`);

interface Case {
  name: string;
  group: "limit" | "peer" | "sink";
  /** Records written per run (fsync cases write fewer: each costs a disk flush). */
  count: number;
  /**
   * Writes `count` records to `path`; resolves once all are handed to the OS. What it
   * returns is run after the clock stops (closing the sink, whose close also fsyncs).
   */
  run(path: string, count: number): Promise<void> | void | (() => void);
}

function sinkCase(name: string, options: Partial<JournalSinkOptions>, count = COUNT): Case {
  return {
    name,
    group: "sink",
    count,
    run(path, n) {
      const sink = createJournalSink({ path, maxBytes: 1 << 30, ...options });
      for (let i = 0; i < n; i++) sink.emit(records[i]);
      // Write-through: every record is in the OS once emit returns. Buffered: the last
      // partial batch (under 64 KiB of the ~7 MB a run writes) goes out at close.
      return () => sink.close();
    },
  };
}

const cases: Case[] = [
  {
    name: "raw: stringify + write per record",
    group: "limit",
    count: COUNT,
    run(path, n) {
      const fd = openSync(path, "a");
      for (let i = 0; i < n; i++) writeSync(fd, JSON.stringify(records[i]) + "\n");
      closeSync(fd);
    },
  },
  {
    // The raw loop plus what the sink adds per record to keep its promises: the record
    // check (issue 15, item 3) and the maxRecordBytes threshold (item 7). Its ratio to the
    // raw loop is their cost.
    name: "raw + record check + size threshold",
    group: "limit",
    count: COUNT,
    run(path, n) {
      const fd = openSync(path, "a");
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const record = records[i];
        if (recordDefect(record, false) !== undefined) {
          bad++;
          continue;
        }
        const line = JSON.stringify(record) + "\n";
        if (line.length > 1_398_101) bad++;
        writeSync(fd, line);
      }
      closeSync(fd);
      if (bad !== 0) throw new Error("bench records must all be valid");
    },
  },
  {
    name: "raw: stringify into 64 KiB batches",
    group: "limit",
    count: COUNT,
    run(path, n) {
      const fd = openSync(path, "a");
      let batch = "";
      for (let i = 0; i < n; i++) {
        batch += JSON.stringify(records[i]) + "\n";
        if (batch.length >= 65536) {
          writeSync(fd, batch);
          batch = "";
        }
      }
      if (batch) writeSync(fd, batch);
      closeSync(fd);
    },
  },
  {
    name: "raw: write + fsync per record",
    group: "limit",
    count: FSYNC_COUNT,
    run(path, n) {
      const fd = openSync(path, "a");
      for (let i = 0; i < n; i++) {
        writeSync(fd, JSON.stringify(records[i]) + "\n");
        fsyncSync(fd);
      }
      closeSync(fd);
    },
  },
  {
    name: "sonic-boom sync",
    group: "peer",
    count: COUNT,
    run(path, n) {
      const stream = new SonicBoom({ dest: path, sync: true, append: true });
      for (let i = 0; i < n; i++) stream.write(JSON.stringify(records[i]) + "\n");
      stream.end();
    },
  },
  {
    name: "pino sync destination",
    group: "peer",
    count: COUNT,
    run(path, n) {
      const destination = pino.destination({ dest: path, sync: true });
      const logger = pino({ base: undefined }, destination);
      for (let i = 0; i < n; i++) {
        const { msg, props } = splitForLoggers(records[i]);
        logger.info(props, msg);
      }
      destination.flushSync();
      destination.end();
    },
  },
  {
    name: "pino async (sonic-boom)",
    group: "peer",
    count: COUNT,
    async run(path, n) {
      const destination = pino.destination({ dest: path, sync: false });
      await new Promise((resolve) => destination.once("ready", resolve));
      const logger = pino({ base: undefined }, destination);
      for (let i = 0; i < n; i++) {
        const { msg, props } = splitForLoggers(records[i]);
        logger.info(props, msg);
      }
      destination.flushSync();
      destination.end();
    },
  },
  ...[["LogTape file sink (default buffer)", undefined], ["LogTape file sink (bufferSize 0)", 0]]
    .map(
      ([name, bufferSize]): Case => ({
        name: name as string,
        group: "peer",
        count: COUNT,
        async run(path, n) {
          await configure({
            reset: true,
            sinks: {
              file: getFileSink(path, {
                formatter: jsonLinesFormatter,
                ...(bufferSize === undefined ? {} : { bufferSize: bufferSize as number }),
              }),
            },
            loggers: [
              { category: ["bench"], sinks: ["file"], lowestLevel: "debug" },
              { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
            ],
          });
          const logger = getLogger(["bench"]);
          for (let i = 0; i < n; i++) {
            const { msg, props } = splitForLoggers(records[i]);
            logger.info(msg, props);
          }
          await dispose();
        },
      }),
    ),
  sinkCase("journal-sink write-through, fsync none", { fsync: "none" }),
  sinkCase("journal-sink write-through, fsync periodic", { fsync: "periodic" }),
  sinkCase("journal-sink buffered 64 KiB, fsync periodic", { fsync: "periodic", buffer: true }),
  sinkCase("journal-sink fsync always", { fsync: "always" }, FSYNC_COUNT),
];

interface Sample {
  recordsPerSec: number;
  mbPerSec: number;
}

async function measure(c: Case): Promise<Sample> {
  const path = freshPath();
  const start = performance.now();
  const after = await c.run(path, c.count);
  const seconds = (performance.now() - start) / 1000;
  if (typeof after === "function") after();
  const bytes = statSync(path).size;
  rmSync(path, { force: true });
  return { recordsPerSec: c.count / seconds, mbPerSec: bytes / seconds / 1e6 };
}

// Warm up every case once, then interleave: each run visits all cases, starting at a
// different one, so drift of the machine spreads over every case alike.
for (const c of cases) await measure({ ...c, count: Math.min(c.count, 2000) });
const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
for (let r = 0; r < runs; r++) {
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(k + r) % cases.length];
    samples.get(c.name)!.push(await measure(c));
  }
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = cases.map((c) => {
  const list = samples.get(c.name)!;
  return {
    name: c.name,
    group: c.group,
    count: c.count,
    medianRecordsPerSec: median(list.map((s) => s.recordsPerSec)),
    minRecordsPerSec: Math.min(...list.map((s) => s.recordsPerSec)),
    medianMbPerSec: median(list.map((s) => s.mbPerSec)),
    minMbPerSec: Math.min(...list.map((s) => s.mbPerSec)),
  };
});

if (json) {
  console.log(JSON.stringify({ runtime, version: runtimeVersion(), runs, count: COUNT, results }));
} else {
  console.log(
    `${runtime} ${runtimeVersion()}: ${runs} runs, ${COUNT} records a run (${FSYNC_COUNT} with fsync)`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(48)} ${fmt(r.medianRecordsPerSec)} rec/s (min ${fmt(r.minRecordsPerSec)})  ${
        r.medianMbPerSec.toFixed(1)
      } MB/s`,
    );
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US").padStart(10);
}

function runtimeVersion(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  return g.Deno?.version.deno ?? g.Bun?.version ?? process.version;
}

export type { LogRecord };
