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
import { exportOtlp } from "../src/otlp/otlp_export.ts";
import { OtlpExportError, type OtlpRetry } from "../src/otlp/otlp_http_transport.ts";
import { OtlpMapper, toOtlpLogs, toOtlpTraces } from "../src/otlp/records_to_otlp.ts";
import { otlpSpanId, otlpTraceId } from "../src/otlp/trace_ids.ts";
import { main as cli } from "../cli.ts";
const exportCommand = (args: string[], io: Parameters<typeof cli>[1]) =>
  cli(["export", ...args], io);
import { otlpExportConfig } from "../src/otlp/otlp_export_config.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";

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
    const out: string[] = [];
    const io = {
      write: (text: string) => void out.push(text),
      error: (text: string) => void err.push(text),
      color: false,
    };
    assert.equal(await exportCommand(["--otlp", server.url, "--once", `${dir}/app.jsonl`], io), 0);
    assert.match(out.join(""), /2 log records, 2 spans/);
    // --otlp is optional now (OTEL_* or http://localhost:4318); a bad OTEL_* variable is
    // the usage error.
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" };
    assert.equal(await exportCommand(["--once", `${dir}/app.jsonl`], { ...io, env }), 2);
    assert.match(err.join(""), /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});

const spansOf = (r: Received) =>
  (r.body.resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[])
    .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
const attr = (item: Record<string, unknown>, key: string) =>
  (item.attributes as { key: string; value: Record<string, unknown> }[] | undefined)
    ?.find((a) => a.key === key)?.value;

const genaiTurn: LogRecord[] = [
  {
    kind: "span-open",
    spanId: "1111111111111111",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    name: "chat gpt-5",
    timestamp: 1_700_000_000_000,
    ...scope,
    attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5" },
  },
  {
    kind: "log",
    level: "info",
    msg: "streaming",
    timestamp: 1_700_000_000_005,
    spanId: "1111111111111111",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    ...scope,
    attributes: { chunk: 1 },
  },
  {
    kind: "span-close",
    spanId: "1111111111111111",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    name: "chat gpt-5",
    timestamp: 1_700_000_000_040,
    durationMs: 40,
    status: "ok",
    ...scope,
    attributes: { "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30 },
  },
];

test("http/protobuf (the default) decodes with the official protos and carries the GenAI mapping", async () => {
  const server = await receiver();
  try {
    const { fs, sink } = journal(genaiTurn);
    sink.close();
    const stats = await exportOtlp("app.jsonl", { url: server.url, once: true, fs, env: {} });
    assert.equal(stats.spans, 1);
    const traces = server.received.filter((r) => r.url === "/v1/traces");
    assert.equal(traces.length, 1);
    assert.equal(traces[0].contentType, "application/x-protobuf");
    assert.equal(traces[0].contentEncoding, undefined);
    const [span] = spansOf(traces[0]);
    assert.equal(span.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(span.spanId, "1111111111111111");
    assert.equal(span.name, "chat gpt-5");
    assert.equal(span.startTimeUnixNano, "1700000000000000000");
    assert.equal(span.endTimeUnixNano, "1700000000040000000");
    assert.deepEqual(attr(span, "gen_ai.conversation.id"), { stringValue: "c1" });
    assert.deepEqual(attr(span, "journal.turn_id"), { stringValue: "t1" });
    assert.deepEqual(attr(span, "gen_ai.request.model"), { stringValue: "gpt-5" });
    assert.deepEqual(attr(span, "gen_ai.usage.input_tokens"), { intValue: "120" });
    const events = span.events as Record<string, unknown>[];
    assert.equal(events.length, 1);
    assert.equal(events[0].name, "streaming");
    assert.equal(events[0].timeUnixNano, "1700000000005000000");
    assert.deepEqual(attr(events[0], "chunk"), { intValue: "1" });
    const logs = server.received.filter((r) => r.url === "/v1/logs");
    const [log] =
      (logs[0].body.resourceLogs as { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[])[0]
        .scopeLogs[0].logRecords;
    assert.equal(log.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.deepEqual(attr(log, "gen_ai.conversation.id"), { stringValue: "c1" });
  } finally {
    await server.close();
  }
});

test("a traces-only export sends no logs request; logs still reach the backend as span events", async () => {
  const server = await receiver();
  try {
    const { fs, sink } = journal(genaiTurn);
    sink.close();
    const stats = await exportOtlp("app.jsonl", {
      url: server.url,
      once: true,
      fs,
      env: {},
      signals: ["traces"],
    });
    assert.deepEqual(server.received.map((r) => r.url), ["/v1/traces"]);
    assert.equal(stats.logRecords, 0);
    assert.equal((spansOf(server.received[0])[0].events as unknown[]).length, 1);
  } finally {
    await server.close();
  }
});

test("http/json with gzip sends compressed OTLP/JSON that decodes with the official protos", async () => {
  const server = await receiver();
  try {
    const { fs, sink } = journal(sample);
    sink.close();
    await exportOtlp("app.jsonl", {
      url: server.url,
      once: true,
      fs,
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" },
    });
    assert.ok(server.received.length >= 2);
    for (const r of server.received) {
      assert.equal(r.contentType, "application/json");
      assert.equal(r.contentEncoding, "gzip");
      assertDecodes(r.url === "/v1/logs" ? LOGS : TRACES, r.body);
    }
  } finally {
    await server.close();
  }
});

test("environment variables follow the spec's precedence: option > signal > generic > default", () => {
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://generic:4318/",
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "http://logs:9999/custom/path",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Basic%20abc,x-team=a",
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=b",
    OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
    OTEL_SERVICE_NAME: "from-env",
    OTEL_RESOURCE_ATTRIBUTES: "service.name=ignored,deployment.environment.name=prod%20eu",
  };
  const fromEnv = otlpExportConfig({}, env);
  assert.equal(fromEnv.traces.url, "http://generic:4318/v1/traces");
  assert.equal(fromEnv.logs.url, "http://logs:9999/custom/path");
  assert.equal(fromEnv.traces.protocol, "http/protobuf");
  assert.equal(fromEnv.logs.protocol, "http/json");
  assert.deepEqual(fromEnv.traces.headers, { authorization: "Basic abc", "x-team": "b" });
  assert.deepEqual(fromEnv.logs.headers, { authorization: "Basic abc", "x-team": "a" });
  assert.equal(fromEnv.logs.compression, "gzip");
  assert.equal(fromEnv.serviceName, "from-env");
  assert.deepEqual(fromEnv.resourceAttributes, { "deployment.environment.name": "prod eu" });

  const explicit = otlpExportConfig({
    url: "http://option:1234",
    protocol: "http/json",
    compression: "none",
    headers: { "x-team": "c" },
    serviceName: "from-option",
  }, env);
  assert.equal(explicit.traces.url, "http://option:1234/v1/traces");
  assert.equal(explicit.logs.url, "http://option:1234/v1/logs");
  assert.equal(explicit.traces.protocol, "http/json");
  assert.equal(explicit.logs.compression, "none");
  assert.equal(explicit.traces.headers["x-team"], "c");
  assert.equal(explicit.serviceName, "from-option");

  const defaults = otlpExportConfig({}, {});
  assert.equal(defaults.traces.url, "http://localhost:4318/v1/traces");
  assert.equal(defaults.traces.protocol, "http/protobuf");
  assert.equal(defaults.traces.compression, "none");
  assert.equal(defaults.serviceName, "journal-sink");
  assert.equal(
    otlpExportConfig({}, { OTEL_RESOURCE_ATTRIBUTES: "service.name=svc" }).serviceName,
    "svc",
  );

  assert.equal(defaults.logs.enabled, true);
  assert.equal(otlpExportConfig({}, { OTEL_LOGS_EXPORTER: "none" }).logs.enabled, false);
  assert.equal(otlpExportConfig({ signals: ["logs"] }, {}).traces.enabled, false);

  assert.throws(
    () => otlpExportConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }),
    /grpc is not supported/,
  );
  assert.throws(
    () => otlpExportConfig({}, { OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" }),
    /gzip or none/,
  );
  assert.throws(() => otlpExportConfig({}, { OTEL_EXPORTER_OTLP_HEADERS: "novalue" }), /key=value/);
});

test("derived trace ids do not collide across conversations that reuse a turn id", () => {
  const records = (conversationId: string): LogRecord[] => [
    {
      kind: "span-open",
      spanId: `${conversationId}-root`,
      name: "turn",
      timestamp: 1,
      extensionId: "h",
      conversationId,
      turnId: "t1",
    },
    {
      kind: "span-close",
      spanId: `${conversationId}-root`,
      name: "turn",
      timestamp: 2,
      durationMs: 1,
      status: "ok",
      extensionId: "h",
      conversationId,
      turnId: "t1",
    },
  ];
  const spans =
    toOtlpTraces([...records("c1"), ...records("c2")]).resourceSpans[0].scopeSpans[0].spans;
  assert.equal(spans.length, 2);
  assert.notEqual(spans[0].traceId, spans[1].traceId);
  // Same conversation and turn, another process: the same trace.
  assert.equal(
    spans[0].traceId,
    toOtlpTraces(records("c1")).resourceSpans[0].scopeSpans[0].spans[0].traceId,
  );
  // Neither field can spill into the other.
  assert.notEqual(
    otlpTraceId({ kind: "log", conversationId: "a:b", turnId: "c" }),
    otlpTraceId({ kind: "log", conversationId: "a", turnId: "b:c" }),
  );
  // A record's own trace id wins over any derivation.
  assert.equal(
    otlpTraceId({ kind: "log", turnId: "t1", traceId: "4BF92F3577B34DA6A3CE929D0E0E4736" }),
    "4bf92f3577b34da6a3ce929d0e0e4736",
  );
});

test("spans still open are sent at the end of a --once export only when asked", async () => {
  const server = await receiver();
  try {
    const open = genaiTurn.slice(0, 2); // a span-open and a log, never closed
    const { fs, sink } = journal(open);
    sink.close();
    const without = await exportOtlp("app.jsonl", {
      url: server.url,
      once: true,
      fs,
      env: {},
      statePath: "a.json",
    });
    assert.equal(without.spans, 0);
    assert.equal(server.received.filter((r) => r.url === "/v1/traces").length, 0);
    const withOpen = await exportOtlp("app.jsonl", {
      url: server.url,
      once: true,
      fs,
      env: {},
      statePath: "b.json",
      includeOpenSpans: true,
    });
    assert.equal(withOpen.openSpans, 1);
    const [span] = spansOf(server.received.find((r) => r.url === "/v1/traces")!);
    assert.equal(span.startTimeUnixNano, "1700000000000000000");
    assert.equal(span.endTimeUnixNano, "1700000000005000000"); // the latest timestamp read
    assert.deepEqual(attr(span, "journal.open"), { boolValue: true });
    assert.deepEqual(span.status, {}); // UNSET
    assert.equal((span.events as unknown[]).length, 1);
  } finally {
    await server.close();
  }
});

test("a dead endpoint is reported on every retry with ECONNREFUSED and the next delay", async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const { fs, sink } = journal(sample.slice(0, 2));
  sink.close();
  const retries: OtlpRetry[] = [];
  await assert.rejects(
    exportOtlp("app.jsonl", {
      url: `http://127.0.0.1:${port}`,
      once: true,
      fs,
      env: {},
      backoffMs: 2,
      maxAttempts: 3,
      onRetry: (retry) => void retries.push(retry),
    }),
    (error: unknown) =>
      error instanceof OtlpExportError && /ECONNREFUSED.*after 3 attempts/.test(error.message),
  );
  assert.equal(retries.length, 2);
  for (const [i, retry] of retries.entries()) {
    assert.equal(retry.attempt, i + 1);
    assert.equal(retry.status, 0);
    assert.match(retry.cause, /ECONNREFUSED/);
    assert.ok(retry.delayMs >= 0 && retry.delayMs <= 2 * 2 ** i);
  }
  // Without a callback: one console.warn line per retry.
  const warned: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warned.push(args.join(" "));
  try {
    await assert.rejects(
      exportOtlp("app.jsonl", {
        url: `http://127.0.0.1:${port}`,
        once: true,
        fs,
        env: {},
        backoffMs: 1,
        maxAttempts: 2,
      }),
    );
  } finally {
    console.warn = original;
  }
  assert.equal(warned.length, 1);
  assert.match(
    warned[0],
    /^\[journal-sink\] OTLP export to http:\/\/127\.0\.0\.1:\d+\/v1\/logs failed: .*ECONNREFUSED.*attempt 1\/2, retrying in \d+\.\d s$/,
  );
});

test("exported spans and logs read back through receiveOtlp keep their ids and scope", async () => {
  const records: (LogRecord & { traceId?: string })[] = [];
  const otlp = await receiveOtlp({ sink: { emit: (r) => void records.push(r) }, port: 0 });
  try {
    for (const protocol of ["http/protobuf", "http/json"] as const) {
      records.length = 0;
      const { fs, sink } = journal(genaiTurn);
      sink.close();
      await exportOtlp("app.jsonl", {
        url: otlp.url,
        once: true,
        fs,
        env: {},
        protocol,
        compression: "gzip",
      });
      const open = records.find((r) => r.kind === "span-open")!;
      const close = records.find((r) => r.kind === "span-close")!;
      assert.equal(open.spanId, "1111111111111111", protocol);
      assert.equal(open.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
      assert.equal(open.conversationId, "c1");
      assert.equal(open.turnId, "t1");
      assert.equal(open.extensionId, "host");
      assert.equal(open.timestamp, 1_700_000_000_000);
      assert.equal(close.kind === "span-close" && close.durationMs, 40);
      assert.equal(open.attributes?.["gen_ai.usage.input_tokens"], 120);
      const logs = records.filter((r) => r.kind === "log");
      // The log entry arrives once: its span-event copy is marked `journal.logged` and skipped.
      assert.equal(logs.length, 1);
      assert.ok(logs.every((l) => l.spanId === "1111111111111111" && l.traceId === open.traceId));
    }
  } finally {
    await otlp.close();
  }
});
