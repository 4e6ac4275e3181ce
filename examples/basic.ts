/**
 * The main example: write a journal with logs and a nested span, leave one span open as a
 * crash would, then read the journal back as records and as a trace tree.
 *
 * Run with any runtime: `deno run -A examples/basic.ts`, `node examples/basic.ts`,
 * `bun examples/basic.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createJournalSink,
  createLogger,
  isLogRecord,
  readJournal,
  reconstructTraces,
  type TraceSpan,
} from "../mod.ts";

const dir = mkdtempSync(join(tmpdir(), "journal-sink-example-"));
const path = join(dir, "agent.jsonl");

// Write: a host logger, a turn span with a tool call inside, and a span left open.
const sink = createJournalSink({ path, fsync: "always" });
const host = createLogger({ sink, extensionId: "host", conversationId: "c1" });
const turn = host.child({ turnId: "t1" });
turn.info("turn started", { model: "small" });
await turn.withSpan("turn", async (span) => {
  const tool = span.span("tool-call", { tool: "search", query: "durable logs" });
  await new Promise((resolve) => setTimeout(resolve, 5)); // the tool's work
  tool.warn("slow tool", { ms: 812 });
  tool.end("ok", { results: 3 });
});
turn.span("summarise"); // never ended: reads back as open, as after a crash
sink.close();
console.log(`wrote ${sink.stats.written} records (${sink.stats.bytes} bytes) to ${path}\n`);

// Read back: every record, then the trace forest.
const reader = readJournal(path);
for await (const record of reader) {
  if (!isLogRecord(record)) continue; // a kind from a newer writer
  const what = record.kind === "log" ? `${record.level} ${record.msg}` : record.name;
  console.log(`${String(record.kind).padEnd(10)} ${what}`);
}
console.log(`\nread ${reader.stats.records} records, skipped ${reader.stats.skipped}\n`);

const forest = await reconstructTraces(readJournal(path));
function show(span: TraceSpan, depth: number): void {
  const duration = span.durationMs === undefined ? "" : ` ${span.durationMs.toFixed(1)} ms`;
  console.log(`${"  ".repeat(depth)}${span.name} [${span.status}]${duration}`);
  for (const log of span.logs) console.log(`${"  ".repeat(depth + 1)}· ${log.level} ${log.msg}`);
  for (const child of span.children) show(child, depth + 1);
}
for (const root of forest.roots) show(root, 0);
console.log(`\nopen spans: ${forest.open.map((span) => span.name).join(", ")}`);
rmSync(dir, { recursive: true, force: true });
