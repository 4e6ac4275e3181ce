// The OTLP/HTTP receiver: the official OpenTelemetry exporters (JSON and protobuf, traces
// and logs) send into a journal; bad requests get the answers the OTLP/HTTP spec gives and
// never stop it; a foreign Host is refused on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { SimpleSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import type { LogRecord } from "../src/records.ts";
import { type OtlpReceiver, receiveOtlp } from "../src/otlp/receive_otlp.ts";
import { gzip } from "../src/otlp/gzip.ts";
import { loadOtlpProtobuf } from "../src/otlp/otlp_protobuf.ts";

type Rec = LogRecord & { traceId?: string };

async function withJournal(
  run: (receiver: OtlpReceiver) => Promise<void>,
  maxBodyBytes?: number,
): Promise<Rec[]> {
  const dir = mkdtempSync(`${tmpdir()}/receive-`);
  const path = `${dir}/otlp.jsonl`;
  const receiver = await receiveOtlp({ journal: { path }, port: 0, maxBodyBytes });
  try {
    await run(receiver);
  } finally {
    await receiver.close();
  }
  try {
    return readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Drives the real SDK: a parent span with an event, a failing child; returns their ids. */
async function sendSpans(exporter: SpanExporter) {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "python-tool" }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer("receive-test", "1.2.3");
  const parent = tracer.startSpan("invoke_agent", {
    attributes: { "gen_ai.conversation.id": "conv-9", "gen_ai.usage.input_tokens": 12 },
  });
  parent.addEvent("thinking", { step: 1 });
  const child = tracer.startSpan(
    "execute_tool grep",
    { attributes: { "gen_ai.tool.name": "grep" } },
    trace.setSpan(context.active(), parent),
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: "exit 2" });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { parent: parent.spanContext(), child: child.spanContext() };
}

for (
  const [label, Exporter] of [
    ["JSON", JsonTraceExporter],
    ["protobuf", ProtoTraceExporter],
  ] as const
) {
  test(`spans from the official ${label} exporter arrive with the senders' trace and span ids`, async () => {
    let ids: Awaited<ReturnType<typeof sendSpans>> | undefined;
    const records = await withJournal(async (receiver) => {
      ids = await sendSpans(new Exporter({ url: `${receiver.url}/v1/traces` }));
      assert.equal(receiver.stats.spans, 2);
      assert.equal(receiver.stats.refused, 0);
    });
    const { parent, child } = ids!;
    const opens = records.filter((r) => r.kind === "span-open");
    const closes = records.filter((r) => r.kind === "span-close");
    assert.deepEqual(opens.map((r) => r.spanId).sort(), [parent.spanId, child.spanId].sort());
    assert.ok(records.every((r) => r.traceId === parent.traceId));
    const childOpen = opens.find((r) => r.spanId === child.spanId)!;
    assert.equal(childOpen.kind === "span-open" && childOpen.parentSpanId, parent.spanId);
    assert.equal(childOpen.kind === "span-open" && childOpen.name, "execute_tool grep");
    assert.equal(childOpen.extensionId, "python-tool");
    assert.equal(childOpen.attributes?.["gen_ai.tool.name"], "grep");
    assert.equal(childOpen.attributes?.["otel.scope.name"], "receive-test");
    const childClose = closes.find((r) => r.spanId === child.spanId)!;
    assert.equal(childClose.kind === "span-close" && childClose.status, "error");
    assert.equal(childClose.attributes?.["otel.status_description"], "exit 2");
    const parentOpen = opens.find((r) => r.spanId === parent.spanId)!;
    assert.equal(parentOpen.conversationId, "conv-9");
    assert.equal(parentOpen.attributes?.["gen_ai.usage.input_tokens"], 12);
    const parentClose = closes.find((r) => r.spanId === parent.spanId)!;
    assert.equal(parentClose.kind === "span-close" && parentClose.status, "ok");
    assert.ok(parentClose.kind === "span-close" && parentClose.durationMs >= 0);
    const event = records.find((r) => r.kind === "log")!;
    assert.equal(event.kind === "log" && event.msg, "thinking");
    assert.equal(event.spanId, parent.spanId);
    assert.deepEqual(event.attributes, { step: 1 });
  });
}

for (
  const [label, Exporter] of [
    ["JSON", JsonLogExporter],
    ["protobuf", ProtoLogExporter],
  ] as const
) {
  test(`log records from the official ${label} exporter arrive with level, body and ids`, async () => {
    const records = await withJournal(async (receiver) => {
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ "service.name": "worker" }),
        processors: [
          new SimpleLogRecordProcessor({
            exporter: new Exporter({ url: `${receiver.url}/v1/logs` }),
          }),
        ],
      });
      const logger = provider.getLogger("receive-test");
      logger.emit({
        severityNumber: 13,
        severityText: "WARN",
        body: "disk slow",
        attributes: { ms: 40 },
      });
      logger.emit({ severityNumber: 17, body: { code: 7, detail: "boom" } });
      await provider.forceFlush();
      await provider.shutdown();
      assert.equal(receiver.stats.logRecords, 2);
    });
    assert.equal(records.length, 2);
    const [warn, error] = records;
    assert.equal(warn.kind === "log" && warn.level, "warn");
    assert.equal(warn.kind === "log" && warn.msg, "disk slow");
    assert.equal(warn.extensionId, "worker");
    assert.equal(warn.attributes?.ms, 40);
    assert.equal(error.kind === "log" && error.level, "error");
    assert.deepEqual(error.kind === "log" && error.body, { code: 7, detail: "boom" });
  });
}

async function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  const response = await fetch(url, { method: "POST", headers, body: body as BodyInit });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

const goodSpan = (spanId: string, traceId = "5b8efff798038103d269b633813fc60c") => ({
  traceId,
  spanId,
  name: "work",
  startTimeUnixNano: "1700000000000000000",
  endTimeUnixNano: "1700000000001500000",
});
const tracesBody = (...spans: unknown[]) =>
  JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

test("a garbage payload is answered 400 and the next good request still works", async () => {
  const records = await withJournal(async (receiver) => {
    const bad = await post(`${receiver.url}/v1/traces`, "{not json");
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(new TextDecoder().decode(bad.body)).message, /not OTLP\/JSON/);
    const badProto = await post(
      `${receiver.url}/v1/traces`,
      new Uint8Array([0xff, 0xff, 0xff, 0x0f, 1]),
      {
        "content-type": "application/x-protobuf",
      },
    );
    assert.equal(badProto.status, 400);
    assert.equal(badProto.type, "application/x-protobuf");
    const { status } = await loadOtlpProtobuf();
    assert.match(String(status.decode(badProto.body).message), /not an OTLP protobuf/);
    assert.equal((await post(`${receiver.url}/v1/traces`, "[1,2]")).status, 400);
    const good = await post(`${receiver.url}/v1/traces`, tracesBody(goodSpan("eee19b7ec3c1b174")));
    assert.equal(good.status, 200);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(good.body)), {});
    assert.equal(receiver.stats.refused, 3);
  });
  assert.deepEqual(records.map((r) => r.kind), ["span-open", "span-close"]);
  assert.equal(records[1].kind === "span-close" && records[1].durationMs, 1.5);
});

test("invalid spans are rejected in a partialSuccess; the valid ones are kept", async () => {
  const records = await withJournal(async (receiver) => {
    const answer = await post(
      `${receiver.url}/v1/traces`,
      tracesBody(goodSpan("eee19b7ec3c1b174"), goodSpan("00000000000000000"), goodSpan("abc")),
    );
    assert.equal(answer.status, 200);
    const partial = JSON.parse(new TextDecoder().decode(answer.body)).partialSuccess;
    assert.equal(partial.rejectedSpans, "2");
    assert.match(partial.errorMessage, /2 span\(s\) without a valid/);
  });
  assert.equal(records.length, 2);
});

test("gzip bodies are accepted in both encodings", async () => {
  const records = await withJournal(async (receiver) => {
    const json = await gzip(new TextEncoder().encode(tracesBody(goodSpan("eee19b7ec3c1b174"))));
    const a = await post(`${receiver.url}/v1/traces`, json, {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });
    assert.equal(a.status, 200);
    const { tracesRequest, tracesResponse } = await loadOtlpProtobuf();
    const bytes = tracesRequest.encode({
      resourceSpans: [{
        scopeSpans: [{
          spans: [{
            traceId: new Uint8Array(16).fill(0xab),
            spanId: new Uint8Array(8).fill(0xcd),
            name: "proto",
            startTimeUnixNano: { low: 0, high: 0x17a00000 },
            endTimeUnixNano: { low: 1_000_000, high: 0x17a00000 },
          }],
        }],
      }],
    });
    const b = await post(`${receiver.url}/v1/traces`, await gzip(bytes), {
      "content-type": "application/x-protobuf",
      "content-encoding": "gzip",
    });
    assert.equal(b.status, 200);
    assert.equal(b.type, "application/x-protobuf");
    assert.equal(tracesResponse.decode(b.body).partialSuccess, null);
  });
  assert.equal(records.length, 4);
  assert.equal(records[2].traceId, "ab".repeat(16));
  assert.equal(records[2].spanId, "cd".repeat(8));
  assert.equal(records[3].kind === "span-close" && records[3].durationMs, 1);
});

test("another content type is answered 415, another path 404, another method 405", async () => {
  await withJournal(async (receiver) => {
    const body = tracesBody(goodSpan("eee19b7ec3c1b174"));
    assert.equal(
      (await post(`${receiver.url}/v1/traces`, body, { "content-type": "text/plain" })).status,
      415,
    );
    assert.equal(
      (await post(`${receiver.url}/v1/traces`, body, {
        "content-type": "application/json",
        "content-encoding": "br",
      }))
        .status,
      415,
    );
    assert.equal((await post(`${receiver.url}/v1/metrics`, body)).status, 404);
    const get = await fetch(`${receiver.url}/v1/traces`);
    await get.arrayBuffer();
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.equal((await post(`${receiver.url}/v1/traces`, body)).status, 200);
  });
});

test("a body above maxBodyBytes is answered 413, compressed or not", async () => {
  const records = await withJournal(async (receiver) => {
    const big = tracesBody(goodSpan("eee19b7ec3c1b174"), { name: "x".repeat(5000) });
    assert.equal((await post(`${receiver.url}/v1/traces`, big)).status, 413);
    const bomb = await gzip(new TextEncoder().encode(" ".repeat(200_000) + "{}"));
    assert.ok(bomb.length < 4096);
    const answer = await post(`${receiver.url}/v1/traces`, bomb, {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });
    assert.equal(answer.status, 413);
    assert.equal(
      (await post(`${receiver.url}/v1/traces`, tracesBody(goodSpan("eee19b7ec3c1b174")))).status,
      200,
    );
  }, 4096);
  assert.equal(records.length, 2);
});

function rawPost(url: string, host: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      hostname,
      port,
      path: "/v1/traces",
      method: "POST",
      headers: { host, "content-type": "application/json" },
    }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", reject);
    request.end(tracesBody(goodSpan("eee19b7ec3c1b174")));
  });
}

test("a Host that is not loopback is refused (DNS rebinding); loopback names are served", async () => {
  const records = await withJournal(async (receiver) => {
    const port = new URL(receiver.url).port;
    assert.equal(await rawPost(receiver.url, `evil.example:${port}`), 403);
    assert.equal(await rawPost(receiver.url, `127.0.0.1.evil.example:${port}`), 403);
    assert.equal(await rawPost(receiver.url, `localhost:${port}`), 200);
    assert.equal(await rawPost(receiver.url, `127.0.0.1:${port}`), 200);
  });
  assert.equal(records.length, 4);
});

test("it binds 127.0.0.1 by default and reports its URL once listening", async () => {
  let announced = "";
  const receiver = await receiveOtlp({
    sink: { emit: () => {} },
    port: 0,
    onListen: (url) => announced = url,
  });
  try {
    assert.match(receiver.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(announced, receiver.url);
  } finally {
    await receiver.close();
  }
  await assert.rejects(receiveOtlp({ port: 0 }), TypeError);
});

test("a client that hangs up mid-body does not stop the receiver", async () => {
  const { connect } = await import("node:net");
  const records = await withJournal(async (receiver) => {
    const { hostname, port } = new URL(receiver.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST /v1/traces HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"resourceSpans":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on("error", reject);
    });
    const good = await post(`${receiver.url}/v1/traces`, tracesBody(goodSpan("eee19b7ec3c1b174")));
    assert.equal(good.status, 200);
  });
  assert.equal(records.length, 2);
});

test("a record the journal refuses as invalid is reported in a partialSuccess, not retried", async () => {
  const records: LogRecord[] = [];
  // A sink that refuses (counts as dropped, no write error) records of one span.
  const stats = { dropped: 0, errors: 0 };
  const sink = {
    stats,
    emit(record: LogRecord) {
      if (record.spanId === "eee19b7ec3c1b175") stats.dropped++;
      else records.push(record);
    },
  };
  const receiver = await receiveOtlp({ sink, port: 0 });
  try {
    const answer = await post(
      `${receiver.url}/v1/traces`,
      tracesBody(goodSpan("eee19b7ec3c1b174"), goodSpan("eee19b7ec3c1b175")),
    );
    assert.equal(answer.status, 200);
    const partial = JSON.parse(new TextDecoder().decode(answer.body)).partialSuccess;
    assert.equal(partial.rejectedSpans, "1");
    assert.match(partial.errorMessage, /journal refused 2 invalid record/);
  } finally {
    await receiver.close();
  }
  assert.equal(records.length, 2);
});
