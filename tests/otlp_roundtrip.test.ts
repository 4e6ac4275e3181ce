// A journal exported over OTLP (`exportOtlp`, with its open spans) and received again
// (`receiveOtlp`) holds the same records: every log once, open spans still open, closed
// spans with their status, duration, attributes, links, bodies, ids and scope.
//
// What is expected to change, and why (everything else must be equal):
// - Order: each batch's log records are posted before its spans, and a span travels whole
//   when it closes (its open, then its close), so the records are compared as a set.
// - A closed span's attributes: OTLP has one attribute set a span, so the open's and the
//   close's come back merged (the close's win) on the open record; the close keeps only an
//   error's `otel.status_description` (OTLP's status message). Readers merge a close over
//   its open the same way, so the span they show is the same.
// - Trace ids: a record written without one comes back with the id the export derived
//   (tests/otlp.test.ts checks the derivation); the journal below carries them as the
//   logger writes them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { exportOtlp } from "../src/otlp/otlp_export.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";

const T1 = "4bf92f3577b34da6a3ce929d0e0e4736";
const T2 = "0af7651916cd43dd8448eb211c80319c";
const T0 = "5b8efff798038103d269b633813fc60c";
const TURN = "1111111111111111";
const TOOL = "2222222222222222";
const ROOT2 = "3333333333333333";
const STUCK = "4444444444444444";
const at = (ms: number) => 1_700_000_000_000 + ms;
const c1 = { extensionId: "host", conversationId: "c1", turnId: "t1", traceId: T1 };
const c2 = { extensionId: "host", conversationId: "c1", turnId: "t2", traceId: T2 };

/** Attribute values of every type OTLP carries, nested too. */
const EVERY_TYPE = {
  text: "grep -r x",
  empty: "",
  int: 42,
  negative: -7,
  zero: 0,
  big: 2 ** 53 + 2, // beyond a safe integer: a double both ways
  double: 0.25,
  yes: true,
  no: false,
  nothing: null,
  list: ["a", 1, 2.5, false, null],
  nested: { depth: { deeper: [{ x: 1 }] }, "gen_ai.system": "openai" },
  emptyList: [],
  emptyObject: {},
};

const JOURNAL: LogRecord[] = [
  {
    kind: "span-open",
    spanId: TURN,
    name: "turn",
    timestamp: at(0),
    ...c1,
    attributes: { ...EVERY_TYPE, "gen_ai.request.model": "m1" },
    body: { prompt: [{ role: "user", content: "hi" }] },
  },
  {
    kind: "log",
    level: "warn",
    msg: "slow disk",
    timestamp: at(1),
    ...c1,
    spanId: TURN,
    attributes: { ms: 40, path: "/tmp" },
    body: "details",
  },
  {
    kind: "log",
    level: "debug",
    msg: "from a plugin, inside the turn",
    timestamp: at(2),
    ...c1,
    extensionId: "plugin",
    spanId: TURN,
  },
  {
    kind: "span-open",
    spanId: TOOL,
    parentSpanId: TURN,
    name: "tool grep",
    timestamp: at(3),
    ...c1,
    attributes: { "gen_ai.tool.name": "grep" },
    links: [{ spanId: "9999999999999999", traceId: T0, reason: "retry-of" }],
    body: { args: ["-r", "x"] },
  },
  {
    kind: "log",
    level: "error",
    msg: "grep failed",
    timestamp: at(4),
    ...c1,
    spanId: TOOL,
    body: { code: 2, stderr: "no such file" },
  },
  {
    kind: "span-close",
    spanId: TOOL,
    parentSpanId: TURN,
    name: "tool grep",
    timestamp: at(9.5),
    durationMs: 6.125, // measured on a monotonic clock: not close - open
    status: "error",
    ...c1,
    attributes: { error: "exit 2", "otel.status_description": "grep exited 2" },
  },
  // Ids that are not 16 hex digits (OTLP carries them hashed), and a link to another turn.
  {
    kind: "span-open",
    spanId: "tool-1",
    parentSpanId: TURN,
    name: "tool read",
    timestamp: at(5),
    ...c1,
    links: [{ spanId: "plan-7", turnId: "t0", reason: "planned-by" }],
  },
  {
    kind: "span-open",
    spanId: "sub-1",
    parentSpanId: "tool-1",
    name: "io",
    timestamp: at(6),
    ...c1,
  },
  { kind: "log", level: "info", msg: "read 3 files", timestamp: at(6.5), ...c1, spanId: "sub-1" },
  {
    kind: "span-close",
    spanId: "sub-1",
    parentSpanId: "tool-1",
    name: "io",
    timestamp: at(7),
    durationMs: 1,
    status: "ok",
    ...c1,
    attributes: { "otel.status_description": "done" }, // an ok span's description stays
  },
  {
    kind: "span-close",
    spanId: "tool-1",
    parentSpanId: TURN,
    name: "tool read",
    timestamp: at(8),
    durationMs: 3,
    status: "ok",
    ...c1,
  },
  { kind: "log", level: "info", msg: "no span, no turn", timestamp: at(10), extensionId: "host" },
  {
    kind: "log",
    level: "info",
    msg: "in the turn, outside a span",
    timestamp: at(11),
    ...c1,
    attributes: { n: 1 },
  },
  {
    kind: "span-close",
    spanId: TURN,
    name: "turn",
    timestamp: at(20),
    durationMs: 20,
    status: "ok",
    ...c1,
    attributes: { "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 8, int: 43 },
  },
  // A second turn whose host died: its root and a child stay open.
  { kind: "span-open", spanId: ROOT2, name: "turn", timestamp: at(30), ...c2 },
  {
    kind: "span-open",
    spanId: STUCK,
    parentSpanId: ROOT2,
    name: "chat m1",
    timestamp: at(31),
    ...c2,
    attributes: { "gen_ai.request.model": "m1", stream: true },
    links: [{ spanId: TURN, traceId: T1, reason: "follows" }],
  },
  {
    kind: "log",
    level: "info",
    msg: "first token",
    timestamp: at(32),
    ...c2,
    spanId: STUCK,
    attributes: { "ttft.ms": 12.5 },
  },
];

/** What the receiver should write back, by the rules in the header. */
function expected(records: LogRecord[]): LogRecord[] {
  const closes = new Map<string, LogRecord>();
  for (const record of records) if (record.kind === "span-close") closes.set(record.spanId, record);
  /** The close attributes that travel as OTLP's status message (an error's description). */
  const statusPart = (close: LogRecord | undefined) => {
    const message = close?.attributes?.["otel.status_description"];
    return close?.kind === "span-close" && close.status === "error" && message !== undefined
      ? { "otel.status_description": message }
      : undefined;
  };
  return records.map((record) => {
    if (record.kind === "span-open") {
      const close = closes.get(record.spanId);
      const merged = { ...record.attributes, ...close?.attributes };
      for (const key of Object.keys(statusPart(close) ?? {})) delete merged[key];
      const { attributes: _, ...rest } = record;
      return Object.keys(merged).length > 0 ? { ...rest, attributes: merged } : rest;
    }
    if (record.kind === "span-close") {
      const { attributes: _, ...rest } = record;
      const status = statusPart(record);
      return status ? { ...rest, attributes: status } : rest;
    }
    return record;
  });
}

/** A record as sorted JSON, so two sets compare whatever their order. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

function journalOnFakeFs(records: LogRecord[]) {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.jsonl", fs });
  for (const record of records) sink.emit(record);
  sink.close();
  return fs;
}

async function roundTrip(
  protocol: "http/json" | "http/protobuf",
  signals?: ("traces" | "logs")[],
): Promise<LogRecord[]> {
  const received: LogRecord[] = [];
  const receiver = await receiveOtlp({ sink: { emit: (r) => void received.push(r) }, port: 0 });
  try {
    const stats = await exportOtlp("app.jsonl", {
      url: receiver.url,
      once: true,
      includeOpenSpans: true,
      fs: journalOnFakeFs(JOURNAL),
      env: {},
      protocol,
      signals,
    });
    assert.equal(stats.openSpans, 2);
  } finally {
    await receiver.close();
  }
  return received;
}

for (const protocol of ["http/json", "http/protobuf"] as const) {
  test(`a journal exported over ${protocol} and received again holds the same records`, async () => {
    const received = await roundTrip(protocol);
    assert.deepEqual(
      received.map(canonical).sort(),
      expected(JOURNAL).map(canonical).sort(),
    );
  });
}

test("a traces-only export brings each log inside a span back once, with its level, body and extension", async () => {
  const received = await roundTrip("http/protobuf", ["traces"]);
  const inSpans = JOURNAL.filter((r) => r.kind === "log" && r.spanId !== undefined);
  assert.deepEqual(
    received.filter((r) => r.kind === "log").map(canonical).sort(),
    inSpans.map(canonical).sort(),
  );
  const spans = received.filter((r) => r.kind !== "log");
  assert.deepEqual(
    spans.map(canonical).sort(),
    expected(JOURNAL).filter((r) => r.kind !== "log").map(canonical).sort(),
  );
});
