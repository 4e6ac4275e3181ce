// Runs bench/main.ts and bench/memory.ts on Node, Bun and Deno (the binaries npm ci put
// in node_modules/.bin) and writes bench/RESULTS.md.
//
// Run: `npm run bench` (= `node bench/report.ts`). Options pass through to main.ts,
// e.g. `npm run bench -- --runs=9`.
import { execFileSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname ?? ".", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const passThrough = process.argv.slice(2);
const runtimes: [string, string[]][] = [
  ["node", [bin("node")]],
  ["bun", [bin("bun")]],
  ["deno", [bin("deno"), "run", "-A"]],
];

interface Row {
  name: string;
  group: string;
  count: number;
  medianRecordsPerSec: number;
  minRecordsPerSec: number;
  medianMbPerSec: number;
  minMbPerSec: number;
}
interface Run {
  runtime: string;
  version: string;
  runs: number;
  count: number;
  results: Row[];
}

function run(cmd: string[], script: string, args: string[]): string {
  const [exe, ...pre] = cmd;
  return execFileSync(exe, [...pre, join(root, "bench", script), ...args], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
}

const throughput: Run[] = [];
const memory: { runtime: string; mode: string; peakRssMiB: number; seconds: number }[] = [];
for (const [name, cmd] of runtimes) {
  console.error(`bench: ${name} throughput…`);
  throughput.push(
    JSON.parse(run(cmd, "main.ts", ["--json", ...passThrough]).trim().split("\n").at(-1)!),
  );
  for (const mode of ["raw", "write-through", "buffered"]) {
    console.error(`bench: ${name} memory ${mode}…`);
    memory.push({
      runtime: name,
      ...JSON.parse(run(cmd, "memory.ts", [mode]).trim().split("\n").at(-1)!),
    });
  }
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const find = (r: Run, name: string) =>
  r.results.find((row) => row.name === name)!.medianRecordsPerSec;
const ratio = (r: Run, a: string, b: string) => find(r, a) / find(r, b);

const targets: [string, string, string, number][] = [
  [
    "write-through ≥ 0.9× raw per-record loop",
    "journal-sink write-through, fsync periodic",
    "raw: stringify + write per record",
    0.9,
  ],
  [
    "write-through ≥ 1.2× sonic-boom sync",
    "journal-sink write-through, fsync periodic",
    "sonic-boom sync",
    1.2,
  ],
  [
    "write-through ≥ 2× pino sync",
    "journal-sink write-through, fsync periodic",
    "pino sync destination",
    2,
  ],
  [
    "buffered ≥ 0.8× raw 64 KiB batches",
    "journal-sink buffered 64 KiB, fsync periodic",
    "raw: stringify into 64 KiB batches",
    0.8,
  ],
  [
    "buffered ≥ 2.5× pino async",
    "journal-sink buffered 64 KiB, fsync periodic",
    "pino async (sonic-boom)",
    2.5,
  ],
  [
    "buffered ≥ 2.5× LogTape default file sink",
    "journal-sink buffered 64 KiB, fsync periodic",
    "LogTape file sink (default buffer)",
    2.5,
  ],
  [
    "fsync always ≥ 0.95× raw write+fsync",
    "journal-sink fsync always",
    "raw: write + fsync per record",
    0.95,
  ],
];

const cpu = cpus()[0]?.model ?? "unknown CPU";
const lines: string[] = [
  "# Benchmark results",
  "",
  `Produced by \`npm run bench${
    passThrough.length ? " -- " + passThrough.join(" ") : ""
  }\` (= \`node bench/report.ts\`) on ${new Date().toISOString().slice(0, 10)}.`,
  "",
  `Machine: ${cpus().length} × ${cpu}, ${
    (totalmem() / 2 ** 30).toFixed(0)
  } GiB RAM, Linux ${release()}; files in the OS temp directory.`,
  "Runtimes: " + throughput.map((r) => `${r.runtime} ${r.version}`).join(", ") + ".",
  "",
  `Each runtime runs every case in one process, ${
    throughput[0].runs
  } times, interleaved (each run starts at a different case), after a warm-up. ` +
  `A case writes ${
    n(throughput[0].count)
  } records of the same mix (span-open, three logs with attributes, span-close; one log in fifteen carries a 2.5 KiB body) to a fresh file; ` +
  "fsync-per-record cases write 400. Figures are medians, with the slowest run in brackets. The clock stops when the last record is handed to the OS; " +
  "for this sink that is when the last `emit` returns (write-through) — its `close()`, which fsyncs, runs after the clock. " +
  "In buffered mode the last partial batch (< 64 KiB of the ~7 MB a run writes) is also written at close.",
  "",
];
for (const r of throughput) {
  lines.push(
    `## ${r.runtime} ${r.version}`,
    "",
    "| case | records/s (min) | MB/s (min) |",
    "| --- | ---: | ---: |",
  );
  for (const row of r.results) {
    lines.push(
      `| ${row.name} | ${n(row.medianRecordsPerSec)} (${n(row.minRecordsPerSec)}) | ${
        row.medianMbPerSec.toFixed(1)
      } (${row.minMbPerSec.toFixed(1)}) |`,
    );
  }
  lines.push("");
}
lines.push(
  "## Targets",
  "",
  "| target | " + throughput.map((r) => r.runtime).join(" | ") + " |",
  "| --- |" + throughput.map(() => " ---: |").join(""),
);
for (const [label, a, b, goal] of targets) {
  lines.push(
    `| ${label} | ` + throughput.map((r) => {
      const x = ratio(r, a, b);
      return `${x.toFixed(3)}× ${x >= goal ? "✓" : "✗"}`;
    }).join(" | ") + " |",
  );
}
lines.push(
  "",
  "## Memory: peak RSS of a 1,000,000-record run",
  "",
  "`bench/memory.ts MODE`, one process per mode; records come from a pool of 1,000 reused cyclically, so the input does not grow.",
  "",
  "| runtime | raw loop | write-through | buffered |",
  "| --- | ---: | ---: | ---: |",
);
for (const [name] of runtimes) {
  const m = (mode: string) => memory.find((x) => x.runtime === name && x.mode === mode)!;
  lines.push(
    `| ${name} | ${m("raw").peakRssMiB} MiB (${m("raw").seconds} s) | ${
      m("write-through").peakRssMiB
    } MiB (${m("write-through").seconds} s) | ${m("buffered").peakRssMiB} MiB (${
      m("buffered").seconds
    } s) |`,
  );
}
lines.push("");
// Sections this report does not write (the collector's, the viewer's: their own benches fill them)
// are kept as they are, after the ones it writes.
const resultsPath = join(root, "bench", "RESULTS.md");
const written = new Set(lines.filter((l) => l.startsWith("## ")));
const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
const kept = previous.split(/\n(?=## )/).filter((section) =>
  section.startsWith("## ") && !written.has(section.split("\n")[0]) &&
  !/^## (node|bun|deno) /.test(section)
);
writeFileSync(resultsPath, [lines.join("\n"), ...kept.map((s) => s.trimEnd() + "\n")].join("\n"));
console.log(lines.join("\n"));
