/**
 * The main example: write a journal with logs and a nested span, then read it back.
 *
 * Run with any runtime: `deno run -A examples/basic.ts`, `node examples/basic.ts`,
 * `bun examples/basic.ts`.
 */
import { createJournalSink, defaultFsOps } from "../mod.ts";

const path = `${
  (globalThis as { process?: { env: Record<string, string> } }).process?.env.TMPDIR ?? "/tmp"
}/journal-sink-example-${Date.now()}.jsonl`;
const sink = createJournalSink({ path, fsync: "always" });
const scope = { extensionId: "example", conversationId: "c1", turnId: "t1" };
const t0 = Date.now();

sink.emit({ kind: "log", level: "info", msg: "turn started", timestamp: t0, ...scope });
sink.emit({ kind: "span-open", spanId: "turn", name: "turn", timestamp: t0, ...scope });
sink.emit({
  kind: "span-open",
  spanId: "tool",
  parentSpanId: "turn",
  name: "tool-call",
  timestamp: t0 + 1,
  ...scope,
  attributes: { tool: "search", query: "durable logs" },
});
sink.emit({
  kind: "log",
  level: "warn",
  msg: "slow tool",
  timestamp: t0 + 5,
  spanId: "tool",
  ...scope,
});
sink.emit({
  kind: "span-close",
  spanId: "tool",
  parentSpanId: "turn",
  name: "tool-call",
  timestamp: t0 + 9,
  durationMs: 8,
  status: "ok",
  ...scope,
});
sink.emit({
  kind: "span-close",
  spanId: "turn",
  name: "turn",
  timestamp: t0 + 10,
  durationMs: 10,
  status: "ok",
  ...scope,
});
sink.close();

console.log(`wrote ${sink.stats.written} records (${sink.stats.bytes} bytes) to ${path}\n`);
const text = new TextDecoder().decode(defaultFsOps().readFile(path));
for (const line of text.trimEnd().split("\n")) console.log(line);
defaultFsOps().remove(path);
