// One client cannot stall or bloat the receiver: attributes are held to the OpenTelemetry
// SDK's limits (128 a span, event or log record, the rest counted), a large request is
// mapped and written in slices that let other requests through, and concurrent requests,
// bytes in flight and the time a body may take are capped (503 with Retry-After, 408).
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { LogRecord } from "../src/records.ts";
import { receiveOtlp, type ReceiveOtlpOptions } from "../src/otlp/receive_otlp.ts";
import { loadOtlpProtobuf } from "../src/otlp/otlp_protobuf.ts";
import { otlpJsonToMessage } from "../src/otlp/otlp_json_to_message.ts";

async function withReceiver(
  options: Partial<ReceiveOtlpOptions>,
  run: (url: string) => Promise<void>,
  emit: (record: LogRecord) => void = () => {},
): Promise<void> {
  const receiver = await receiveOtlp({ sink: { emit }, port: 0, ...options });
  try {
    await run(receiver.url);
  } finally {
    await receiver.close();
  }
}

const TRACE = "5b8efff798038103d269b633813fc60c";
const attrs = (n: number, prefix = "k") =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: { intValue: String(i) } }));
const span = (spanId: string, fields: Record<string, unknown> = {}) => ({
  traceId: TRACE,
  spanId,
  name: "work",
  startTimeUnixNano: "1700000000000000000",
  endTimeUnixNano: "1700000000001000000",
  ...fields,
});
const traces = (...spans: unknown[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

async function post(url: string, request: object, wire: "json" | "protobuf" = "json") {
  let body: string | Uint8Array = JSON.stringify(request);
  if (wire === "protobuf") {
    const codecs = await loadOtlpProtobuf();
    const codec = url.endsWith("/v1/logs") ? codecs.logsRequest : codecs.tracesRequest;
    body = codec.encode(otlpJsonToMessage(request) as object);
  }
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": wire === "json" ? "application/json" : "application/x-protobuf" },
    body: body as BodyInit,
  });
  await response.arrayBuffer();
  return response;
}

function ownKeys(record: LogRecord | undefined): string[] {
  return Object.keys(record?.attributes ?? {}).filter((key) => !key.startsWith("otel."));
}

for (const wire of ["json", "protobuf"] as const) {
  test(`attributes past 128 a span, event or log record are dropped and counted (${wire})`, async () => {
    const records: LogRecord[] = [];
    await withReceiver({}, async (url) => {
      const request = traces(span("eee19b7ec3c1b174", {
        attributes: attrs(300),
        droppedAttributesCount: 5, // what the sender's SDK dropped already
        events: [{ name: "step", timeUnixNano: "1700000000000500000", attributes: attrs(200) }],
      }));
      assert.equal((await post(`${url}/v1/traces`, request, wire)).status, 200);
      const logs = {
        resourceLogs: [{
          scopeLogs: [{ logRecords: [{ body: { stringValue: "hi" }, attributes: attrs(150) }] }],
        }],
      };
      assert.equal((await post(`${url}/v1/logs`, logs, wire)).status, 200);
    }, (record) => void records.push(record));
    const [open, event, , log] = records;
    assert.equal(ownKeys(open).length, 128);
    assert.equal(open.attributes?.k127, 127);
    assert.equal(open.attributes?.k128, undefined);
    assert.equal(open.attributes?.["otel.dropped_attributes_count"], 172 + 5);
    assert.equal(ownKeys(event).length, 128);
    assert.equal(event.attributes?.["otel.dropped_attributes_count"], 72);
    assert.equal(ownKeys(log).length, 128);
    assert.equal(log.attributes?.["otel.dropped_attributes_count"], 22);
  });
}

test("maxAttributes and maxAttributeLength are configurable; long strings are cut, also in arrays", async () => {
  const records: LogRecord[] = [];
  await withReceiver({ maxAttributes: 2, maxAttributeLength: 5 }, async (url) => {
    const request = traces(span("eee19b7ec3c1b174", {
      attributes: [
        { key: "text", value: { stringValue: "abcdefghij" } },
        {
          key: "list",
          value: { arrayValue: { values: [{ stringValue: "0123456789" }, { intValue: "7" }] } },
        },
        { key: "third", value: { stringValue: "x" } },
      ],
    }));
    assert.equal((await post(`${url}/v1/traces`, request, "protobuf")).status, 200);
  }, (record) => void records.push(record));
  assert.deepEqual(records[0].attributes, {
    text: "abcde",
    list: ["01234", 7],
    "otel.dropped_attributes_count": 1,
  });
});

/** Spins for `ms`: a journal slow enough that a large request takes many slices to write. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* a slow disk */ }
}

test("a request of many spans does not hold up a small one sent while it is being written", async () => {
  const total = 6000; // 3000 spans: an open and a close each
  let base = "";
  let heavyWritten = 0;
  let heavyWrittenWhenLightAnswered = -1;
  let lightSent: Promise<void> | undefined;
  const sendLight = async () => {
    const response = await post(`${base}/v1/traces`, traces(span("eee19b7ec3c1b174")));
    assert.equal(response.status, 200);
    heavyWrittenWhenLightAnswered = heavyWritten;
  };
  const many = Array.from(
    { length: total / 2 },
    (_, i) => span((0x1000000000000000 + i).toString(16)),
  );
  await withReceiver({}, async (url) => {
    base = url;
    const heavy = post(`${url}/v1/traces`, traces(...many));
    while (lightSent === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    await lightSent;
    assert.equal((await heavy).status, 200);
  }, (record) => {
    if (record.spanId === "eee19b7ec3c1b174") return;
    busy(0.05); // a slow disk: 0.3 s for the large request
    if (heavyWritten++ === 0) lightSent = sendLight(); // it is being written: send the small one
  });
  assert.equal(heavyWritten, total);
  assert.ok(
    heavyWrittenWhenLightAnswered > 0 && heavyWrittenWhenLightAnswered < total,
    `the small request was answered after ${heavyWrittenWhenLightAnswered} of ${total} records`,
  );
});

/** Starts an upload that declares `length` bytes, sends `sent` of them, and stalls. */
function stalledUpload(url: string, length: number, sent: number) {
  const { hostname, port } = new URL(url);
  let text = "";
  const socket = connect(Number(port), hostname);
  socket.on("data", (chunk) => void (text += chunk));
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.write(
    `POST /v1/traces HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n` +
      " ".repeat(sent),
  );
  return {
    /** The status line once the receiver answered and closed, or "" if it did not. */
    answer: () => closed.then(() => text.split("\r\n")[0]),
    end: () => socket.destroy(),
  };
}

test("more requests at once than maxConcurrentRequests are answered 503 with Retry-After", async () => {
  await withReceiver({ maxConcurrentRequests: 1 }, async (url) => {
    const stalled = stalledUpload(url, 1000, 10);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const refused = await post(`${url}/v1/traces`, traces(span("eee19b7ec3c1b174")));
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    } finally {
      stalled.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await post(`${url}/v1/traces`, traces(span("eee19b7ec3c1b174")))).status, 200);
  });
});

test("uploads past maxBytesInFlight are answered 503; a stalled one is cut off with 408 and frees its bytes", async () => {
  await withReceiver({ maxBytesInFlight: 4000, requestTimeoutMs: 300 }, async (url) => {
    const stalled = stalledUpload(url, 3950, 100);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await post(`${url}/v1/traces`, traces(span("eee19b7ec3c1b174")));
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.match(await stalled.answer(), /^HTTP\/1\.1 408/);
    assert.equal((await post(`${url}/v1/traces`, traces(span("eee19b7ec3c1b174")))).status, 200);
  });
});
