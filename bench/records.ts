// The record mix every case writes: logs with attributes, span opens and closes, and
// now and then a log with a few KiB of body, as an agent host produces.
import type { LogRecord } from "../mod.ts";

const BODY = "The model was asked to summarise the tool output. ".repeat(50); // ~2.5 KiB

export function makeRecords(count: number): LogRecord[] {
  const records: LogRecord[] = [];
  const t0 = 1_795_000_000_000;
  for (let i = 0; records.length < count; i++) {
    const spanId = `span-${i.toString(16).padStart(8, "0")}`;
    const scope = { extensionId: "bench-ext", conversationId: "conv-42", turnId: `turn-${i >> 4}` };
    records.push({
      kind: "span-open",
      spanId,
      name: "tool-call",
      timestamp: t0 + i,
      ...scope,
      parentSpanId: "turn-root",
      attributes: { tool: "search", attempt: 1 },
    });
    for (let j = 0; j < 3; j++) {
      records.push({
        kind: "log",
        level: j === 2 ? "warn" : "info",
        msg: `step ${j} of tool call ${i}`,
        timestamp: t0 + i,
        ...scope,
        spanId,
        attributes: { step: j, tokens: 120 + j, cached: j === 0, path: "/v1/tools/search" },
        ...(i % 5 === 0 && j === 1 ? { body: BODY } : {}),
      });
    }
    records.push({
      kind: "span-close",
      spanId,
      name: "tool-call",
      timestamp: t0 + i + 3,
      durationMs: 3,
      status: i % 17 === 0 ? "error" : "ok",
      ...scope,
      parentSpanId: "turn-root",
    });
  }
  return records.slice(0, count);
}

/** The same record as pino and LogTape take it: a message plus properties. */
export function splitForLoggers(
  record: LogRecord,
): { msg: string; props: Record<string, unknown> } {
  const { msg, ...props } = record as LogRecord & { msg?: string };
  return { msg: msg ?? (record as { name: string }).name, props };
}
