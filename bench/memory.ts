// Peak resident memory of one 1M-record run, one mode a process, so each peak is its own.
//
// Run: `node bench/memory.ts raw|write-through|buffered [count]` (or bun / deno run -A).
// Prints one JSON line: { runtime, mode, count, peakRssMiB, startRssMiB, seconds }.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { makeRecords } from "./records.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const mode = args[0] ?? "write-through";
const count = Number(args[1] ?? 1_000_000);
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** Peak RSS so far (VmHWM), in MiB; Linux only. */
function peakRssMiB(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}
function rssMiB(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

// A pool of records reused cyclically, so the input itself does not grow with count.
const pool = makeRecords(1000);
const dir = mkdtempSync(join(tmpdir(), "journal-sink-memory-"));
const path = join(dir, "memory.jsonl");
const startRss = rssMiB();
const start = performance.now();

if (mode === "raw") {
  const fd = openSync(path, "a");
  for (let i = 0; i < count; i++) writeSync(fd, JSON.stringify(pool[i % 1000]) + "\n");
  closeSync(fd);
} else {
  const sink = createJournalSink({
    path,
    fsync: "periodic",
    maxBytes: 64 * 1024 * 1024,
    maxFiles: 2,
    ...(mode === "buffered" ? { buffer: true } : {}),
  });
  for (let i = 0; i < count; i++) sink.emit(pool[i % 1000]);
  sink.close();
}

const seconds = (performance.now() - start) / 1000;
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  runtime,
  mode,
  count,
  startRssMiB: Math.round(startRss),
  peakRssMiB: Math.round(peakRssMiB()),
  seconds: Number(seconds.toFixed(2)),
}));
