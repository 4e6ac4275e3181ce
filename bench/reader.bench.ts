// How fast readJournal goes and how much memory it holds.
//
//   node bench/reader.bench.ts [records]      (also: bun bench/reader.bench.ts, deno run -A …)
//
// Writes a journal of `records` records (default 1,000,000; rotated at 50 MiB, so several
// generations) in a child process, then reads it back here and prints records/s, MB/s and
// the peak resident set size of the reading process (process.resourceUsage().maxRSS).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { readJournal } from "../src/reader/read_journal.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

function write(path: string, count: number): void {
  const sink = createJournalSink({ path, fsync: "none", maxFiles: 100 });
  const base = { extensionId: "bench", conversationId: "c-1" };
  for (let i = 0; i < count; i++) {
    const turnId = `t${i >> 4}`;
    let record: LogRecord;
    if (i % 8 === 0) {
      record = {
        kind: "span-open",
        spanId: `s${i}`,
        name: "tool-call",
        timestamp: 1e12 + i,
        turnId,
        ...base,
        attributes: { tool: "search", i },
      };
    } else if (i % 8 === 7) {
      record = {
        kind: "span-close",
        spanId: `s${i - 7}`,
        name: "tool-call",
        timestamp: 1e12 + i,
        durationMs: 7,
        status: "ok",
        turnId,
        ...base,
      };
    } else {
      record = {
        kind: "log",
        level: i % 5 === 0 ? "warn" : "info",
        msg: `step ${i} of the agent loop`,
        timestamp: 1e12 + i,
        turnId,
        spanId: `s${i - (i % 8)}`,
        ...base,
        attributes: { tokens: i % 1000, model: "model-x" },
      };
    }
    sink.emit(record);
  }
  sink.close();
}

const [mode, pathArg, countArg] = process.argv.slice(2);
if (mode === "--write") {
  write(pathArg, Number(countArg));
} else {
  const count = Number(mode ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-bench-"));
  try {
    const path = join(dir, "bench.jsonl");
    const self = fileURLToPath(import.meta.url);
    const args = runtime === "deno" ? ["run", "-A", self] : [self];
    const child = spawnSync(process.execPath, [...args, "--write", path, String(count)], {
      stdio: "inherit",
    });
    if (child.status !== 0 || !existsSync(path)) throw new Error("writing the journal failed");
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const reader = readJournal(path);
    let records = 0;
    for await (const _ of reader) records++;
    const seconds = (performance.now() - started) / 1000;
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const mb = reader.stats.bytes / 1e6;
    console.log(
      `${runtime}: ${records.toLocaleString("en")} records, ${reader.stats.files.length} files, ` +
        `${mb.toFixed(0)} MB in ${seconds.toFixed(2)} s = ` +
        `${Math.round(records / seconds).toLocaleString("en")} records/s, ${
          (mb / seconds).toFixed(0)
        } MB/s; ` +
        `RSS before reading ${(rssBefore / 2 ** 20).toFixed(0)} MiB, peak ${
          (maxRss / 2 ** 20).toFixed(0)
        } MiB`,
    );
    if (records !== count) throw new Error(`read ${records} of ${count} records`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
