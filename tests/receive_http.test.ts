// The receiver on the one local HTTP server (src/http/local_server.ts): the URL it announces
// and its Host rule (any port on loopback, any Host beyond it), beside the viewer's (the
// port too, on every bind: tests/viewer_server.test.ts, tests/viewer_requests.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import type { LogRecord } from "../mod.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";

const SPAN = {
  traceId: "5b8efff798038103d269b633813fc60c",
  spanId: "eee19b7ec3c1b174",
  name: "grep",
  startTimeUnixNano: "1700000000000000000",
  endTimeUnixNano: "1700000000250000000",
};
const BODY = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [SPAN] }] }] });

/** Posts one span to 127.0.0.1:`port` with the given Host header; resolves with the status. */
function post(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      hostname: "127.0.0.1",
      port,
      path: "/v1/traces",
      method: "POST",
      headers: { host, "content-type": "application/json" },
    }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", reject);
    request.end(BODY);
  });
}

test("bound to every address, the receiver announces a loopback URL a sender can post to", async () => {
  const records: LogRecord[] = [];
  let announced = "";
  const receiver = await receiveOtlp({
    sink: { emit: (record) => void records.push(record) },
    host: "0.0.0.0",
    port: 0,
    onListen: (url) => announced = url,
  });
  try {
    assert.equal(receiver.url, `http://127.0.0.1:${receiver.port}`);
    assert.equal(announced, receiver.url);
    const response = await fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: BODY,
    });
    await response.text();
    assert.equal(response.status, 200);
    // Beyond loopback every Host passes: senders name the machine as they reach it.
    assert.equal(await post(receiver.port, `otel-receiver.internal:${receiver.port}`), 200);
    assert.equal(records.length, 4);
  } finally {
    await receiver.close();
  }
});

test("on loopback the receiver takes a loopback Host on any port (a port forward) and refuses others", async () => {
  const receiver = await receiveOtlp({ sink: { emit: () => {} }, port: 0 });
  try {
    assert.equal(await post(receiver.port, "localhost:14318"), 200);
    assert.equal(await post(receiver.port, "[::1]"), 200);
    assert.equal(await post(receiver.port, `evil.example:${receiver.port}`), 403);
    assert.equal(receiver.stats.refused, 1);
    assert.equal(receiver.stats.requests, 2);
  } finally {
    await receiver.close();
  }
});
