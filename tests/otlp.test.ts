// OTLP export: the mapping of records to OTLP/JSON, checked against the official protobuf
// definitions (tests/fixtures/otlp, from open-telemetry/opentelemetry-proto), and the
// exporter posting to a local receiver with retry, backoff and resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";
import type { JournalRecord, LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { createJournalSink } from "../mod.ts";
import { exportOtlp, OtlpExportError, type OtlpRetry } from "../src/collector/otlp_export.ts";
import { OtlpMapper, toOtlpLogs, toOtlpTraces } from "../src/collector/otlp_mapping.ts";
import { otlpSpanId, otlpTraceId } from "../src/collector/trace_ids.ts";
import { exportCommand } from "../src/cli/export.ts";

const protoDir = new URL("./fixtures/otlp/", import.meta.url).pathname;
const root = new protobuf.Root();
root.resolvePath = (_origin: string, target: string) => protoDir + target;
root.loadSync([
  "opentelemetry/proto/collector/logs/v1/logs_service.proto",
  "opentelemetry/proto/collector/trace/v1/trace_service.proto",
]);
const LOGS = "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest";
const TRACES = "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest";

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

/** OTLP/JSON spells ids as hex; protobuf JSON as base64. Also drops empty arrays (defaults). */
function toProtoJson(value: unknown, key = ""): unknown {
  if (typeof value === "string" && ID_FIELDS.has(key)) {
    assert.match(value, key === "traceId" ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{16}$/, key);
    const bytes = new Uint8Array(value.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
    return btoa(String.fromCharCode(...bytes));
  }
  if (Array.isArray(value)) return value.map((item) => toProtoJson(item));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (Array.isArray(v) && v.length === 0) continue;
      out[k] = toProtoJson(v, k);
    }
    return out;
  }
  return value;
}

/**
 * Encodes the payload with the official message type and decodes it back: any field the
 * definitions do not know (a misspelt name, a wrong nesting) is lost on the way and the
 * comparison fails; a wrongly typed value fails the encoding.
 */
function assertDecodes(typeName: string, payload: unknown): void {
  const type = root.lookupType(typeName);
  const expected = toProtoJson(JSON.parse(JSON.stringify(payload)));
  const bytes = type.encode(type.fromObject(expected as Record<string, unknown>)).finish();
  const decoded = type.toObject(type.decode(bytes), {
    longs: String,
    enums: Number,
    bytes: String,
  });
  assert.deepEqual(decoded, expected);
}

const scope = { extensionId: "host", conversationId: "c1", turnId: "t1" };
const sample: LogRecord[] = [
  {
    kind: "span-open",
    spanId: "0123456789abcdef",
    name: "turn",
    timestamp: 1_700_000_000_000,
    ...scope,
    attributes: { model: "m", n: 3, ratio: 0.5, ok: true, tags: ["a", "b"], deep: { x: null } },
    body: { prompt: "hi" },
  },
  {
    kind: "log",
    level: "warn",
    msg: "slow",
    timestamp: 1_700_000_000_001,
    spanId: "0123456789abcdef",
    ...scope,
    attributes: { ms: 40 },
    body: "details",
  },
  {
    kind: "span-open",
    spanId: "tool-1",
    parentSpanId: "0123456789abcdef",
    name: "tool",
    timestamp: 1_700_000_000_002,
    ...scope,
    links: [{ spanId: "other", reason: "retry-of" }],
  },
  {
    kind: "span-close",
    spanId: "tool-1",
    parentSpanId: "0123456789abcdef",
    name: "tool",
    timestamp: 1_700_000_000_009.5,
    durationMs: 7.5,
    status: "error",
    ...scope,
    attributes: { error: "boom" },
  },
  {
    kind: "log",
    level: "debug",
    msg: "no span, no turn",
    timestamp: 1_700_000_000_010,
    extensionId: "host",
  },
  {
    kind: "span-close",
    spanId: "0123456789abcdef",
    name: "turn",
    timestamp: 1_700_000_000_020,
    durationMs: 20,
    status: "ok",
    ...scope,
  },
];

test("log entries map to OTLP log records with severity numbers, ids and attributes", () => {
  const request = toOtlpLogs(sample, {
    serviceName: "agent",
    resourceAttributes: { "host.name": "box" },
  });
  assert.deepEqual(request.resourceLogs[0].resource.attributes, [
    { key: "service.name", value: { stringValue: "agent" } },
    { key: "host.name", value: { stringValue: "box" } },
  ]);
  const [warn, debug] = request.resourceLogs[0].scopeLogs[0].logRecords;
  assert.equal(warn.severityNumber, 13);
  assert.equal(warn.severityText, "WARN");
  assert.equal(warn.timeUnixNano, "1700000000001000000");
  assert.deepEqual(warn.body, { stringValue: "slow" });
  assert.equal(warn.spanId, "0123456789abcdef");
  assert.equal(warn.traceId, otlpTraceId({ kind: "log", conversationId: "c1", turnId: "t1" }));
  assert.equal(debug.severityNumber, 5);
  assert.equal(debug.traceId, undefined);
  assertDecodes(LOGS, request);
});

test("span-open and span-close pair into one OTLP span; a tree shares its trace id", () => {
  const request = toOtlpTraces(sample, { serviceName: "agent" });
  const [tool, turn] = request.resourceSpans[0].scopeSpans[0].spans;
  assert.equal(turn.spanId, "0123456789abcdef");
  assert.equal(tool.spanId, otlpSpanId("tool-1"));
  assert.match(String(tool.spanId), /^[0-9a-f]{16}$/);
  assert.equal(tool.parentSpanId, turn.spanId);
  assert.equal(tool.traceId, turn.traceId);
  assert.equal(tool.startTimeUnixNano, "1700000000002000000");
  assert.equal(tool.endTimeUnixNano, "1700000000009500000");
  assert.deepEqual(tool.status, { code: 2 });
  assert.deepEqual(turn.status, { code: 1 });
  assert.ok((turn.attributes as { key: string }[]).some((a) => a.key === "journal.body"));
  assertDecodes(TRACES, request);
});

test("ids are deterministic: the same records give the same ids in another process", () => {
  const a = toOtlpTraces(sample);
  const b = toOtlpTraces(JSON.parse(JSON.stringify(sample)) as JournalRecord[]);
  assert.deepEqual(a, b);
  assert.notEqual(otlpSpanId("tool-1"), otlpSpanId("tool-2"));
  assert.notEqual(
    otlpTraceId({ kind: "log", turnId: "t1" }),
    otlpTraceId({ kind: "log", turnId: "t2" }),
  );
});

test("a close whose open was never seen still exports a span; an open one does not", () => {
  const mapper = new OtlpMapper();
  mapper.add({
    kind: "span-open",
    spanId: "never-closed",
    name: "tool",
    timestamp: 5,
    extensionId: "host",
  });
  mapper.add({
    kind: "span-close",
    spanId: "lone",
    parentSpanId: "gone",
    name: "llm",
    timestamp: 10,
    durationMs: 4,
    status: "ok",
    extensionId: "host",
  });
  const spans = mapper.takeTraces().resourceSpans[0].scopeSpans[0].spans;
  assert.equal(spans.length, 1);
  assert.equal(spans[0].startTimeUnixNano, "6000000");
  assert.equal(spans[0].parentSpanId, otlpSpanId("gone"));
  assert.equal(mapper.pendingSpans, 1);
});

interface Received {
  url: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** The request as OTLP/JSON, decoded with the official protos when it came as protobuf. */
  body: Record<string, unknown>;
}

/** A protobuf request decoded with the official .proto files, spelled as OTLP/JSON (hex ids). */
function protobufAsOtlpJson(url: string, bytes: Uint8Array): Record<string, unknown> {
  const type = root.lookupType(url === "/v1/logs" ? LOGS : TRACES);
  const object = type.toObject(type.decode(bytes), { longs: String, enums: Number, bytes: String });
  const hex = (value: unknown, key = ""): unknown => {
    if (typeof value === "string" && ID_FIELDS.has(key)) {
      return [...atob(value)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
    }
    if (Array.isArray(value)) return value.map((v) => hex(v));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hex(v, k)]));
    }
    return value;
  };
  return hex(object) as Record<string, unknown>;
}

/** A local OTLP/HTTP receiver answering with the given statuses in turn, then 200. */
async function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    request.on("data", (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > 8 * 1024 * 1024) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      const status = statuses.shift() ?? 200;
      if (status === 200) {
        const url = request.url ?? "";
        const contentType = request.headers["content-type"];
        const contentEncoding = request.headers["content-encoding"];
        let bytes = concat(chunks);
        if (contentEncoding === "gzip") bytes = new Uint8Array(gunzipSync(bytes));
        const body = contentType === "application/x-protobuf"
          ? protobufAsOtlpJson(url, bytes)
          : JSON.parse(new TextDecoder().decode(bytes));
        received.push({ url, contentType, contentEncoding, body });
      }
      response.writeHead(status, { "content-type": "application/json", connection: "close" });
      response.end(status === 200 ? "{}" : '{"message":"try later"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function journal(records: LogRecord[]) {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.jsonl", fs, maxBytes: 700, maxFiles: 50 });
  for (const record of records) sink.emit(record);
  return { fs, sink };
}

test("the exporter posts logs and traces to a receiver, retrying a 503, and resumes", async () => {
  const server = await receiver([503]);
  try {
    const { fs, sink } = journal(sample);
    const retries: OtlpRetry[] = [];
    const first = await exportOtlp("app.jsonl", {
      url: server.url,
      once: true,
      fs,
      backoffMs: 1,
      serviceName: "agent",
      onRetry: (retry) => void retries.push(retry),
    });
    assert.equal(first.retries, 1);
    assert.equal(retries.length, 1);
    assert.equal(retries[0].status, 503);
    assert.match(retries[0].cause, /^HTTP 503 .*try later/);
    assert.equal(first.records, sample.length);
    const logs = server.received.filter((r) => r.url === "/v1/logs");
    const traces = server.received.filter((r) => r.url === "/v1/traces");
    assert.ok(logs.length > 0 && traces.length > 0);
    assert.ok(server.received.every((r) => r.contentType === "application/x-protobuf"));
    for (const r of logs) assertDecodes(LOGS, r.body);
    for (const r of traces) assertDecodes(TRACES, r.body);
    const count = (list: Received[], field: string, inner: string) =>
      list.reduce(
        (n, r) =>
          n +
          (r.body[field] as Record<string, { [k: string]: unknown[] }[]>[])[0][
            inner === "logRecords" ? "scopeLogs" : "scopeSpans"
          ]
            .reduce((m, s) => m + s[inner].length, 0),
        0,
      );
    assert.equal(count(logs, "resourceLogs", "logRecords"), 2);
    assert.equal(count(traces, "resourceSpans", "spans"), 2);

    server.received.length = 0;
    sink.emit({
      kind: "log",
      level: "error",
      msg: "after restart",
      timestamp: 1_700_000_001_000,
      extensionId: "host",
    });
    sink.close();
    const second = await exportOtlp("app.jsonl", { url: server.url, once: true, fs, backoffMs: 1 });
    assert.equal(second.records, 1);
    assert.deepEqual(server.received.map((r) => r.url), ["/v1/logs"]);
  } finally {
    await server.close();
  }
});

test("a refused batch rejects with OtlpExportError and leaves the position before it", async () => {
  const server = await receiver([400]);
  try {
    const { fs, sink } = journal(sample.slice(0, 2));
    sink.close();
    await assert.rejects(
      exportOtlp("app.jsonl", { url: server.url, once: true, fs, backoffMs: 1 }),
      (error: unknown) => error instanceof OtlpExportError && error.status === 400,
    );
    const again = await exportOtlp("app.jsonl", { url: server.url, once: true, fs, backoffMs: 1 });
    assert.equal(again.records, 2);
  } finally {
    await server.close();
  }
});

test("retries give up after maxAttempts on a receiver that stays unavailable", async () => {
  const server = await receiver([503, 503, 503, 503]);
  try {
    const { fs, sink } = journal(sample.slice(0, 2));
    sink.close();
    await assert.rejects(
      exportOtlp("app.jsonl", {
        url: server.url,
        once: true,
        fs,
        backoffMs: 1,
        maxAttempts: 3,
        onRetry: () => {},
      }),
      /after 3 attempts/,
    );
  } finally {
    await server.close();
  }
});

test("the export command sends a journal once and reports the counts", async () => {
  const server = await receiver();
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/otlp-`);
  try {
    writeFileSync(`${dir}/app.jsonl`, sample.map((r) => JSON.stringify(r) + "\n").join(""));
    const err: string[] = [];
    const io = { write: () => {}, error: (text: string) => void err.push(text), color: false };
    assert.equal(await exportCommand(["--otlp", server.url, "--once", `${dir}/app.jsonl`], io), 0);
    assert.match(err.join(""), /2 log records, 2 spans/);
    assert.equal(await exportCommand(["--once", `${dir}/app.jsonl`], io), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});
