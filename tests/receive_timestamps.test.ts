// OTLP timestamps are fixed64 nanoseconds: the receiver refuses, with 400, a request whose
// timestamp no fixed64 can hold (1e300, negative, fractional, not a number), and keeps
// accepting every value a fixed64 can hold, as a decimal string or a JSON number.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "../src/records.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";

async function withReceiver(run: (url: string) => Promise<void>): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  const receiver = await receiveOtlp({ sink: { emit: (r) => void records.push(r) }, port: 0 });
  try {
    await run(receiver.url);
  } finally {
    await receiver.close();
  }
  return records;
}

async function post(url: string, body: unknown): Promise<{ status: number; message?: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  return { status: response.status, message: answer.message };
}

const span = (fields: Record<string, unknown>) => ({
  resourceSpans: [{
    scopeSpans: [{
      spans: [{
        traceId: "5b8efff798038103d269b633813fc60c",
        spanId: "eee19b7ec3c1b174",
        name: "work",
        startTimeUnixNano: "1700000000000000000",
        ...fields,
      }],
    }],
  }],
});

const log = (fields: Record<string, unknown>) => ({
  resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: "hi" }, ...fields }] }] }],
});

const BAD = [1e300, "1e300", -5, "-5", 1.5, "1.5", "NaN", "18446744073709551616", "0x10", true];

test("a span or log timestamp no fixed64 can hold is answered 400 and nothing is written", async () => {
  const records = await withReceiver(async (url) => {
    for (const value of BAD) {
      for (const field of ["startTimeUnixNano", "endTimeUnixNano"]) {
        const answer = await post(`${url}/v1/traces`, span({ [field]: value }));
        assert.equal(answer.status, 400, `${field} ${JSON.stringify(value)}`);
        assert.match(answer.message!, new RegExp(field));
      }
      const event = span({ events: [{ name: "e", timeUnixNano: value }] });
      assert.equal((await post(`${url}/v1/traces`, event)).status, 400, JSON.stringify(value));
      for (const field of ["timeUnixNano", "observedTimeUnixNano"]) {
        const answer = await post(`${url}/v1/logs`, log({ [field]: value }));
        assert.equal(answer.status, 400, `${field} ${JSON.stringify(value)}`);
      }
    }
  });
  assert.deepEqual(records, []);
});

test("every value a fixed64 can hold is accepted, as a string or a number", async () => {
  const records = await withReceiver(async (url) => {
    for (const value of ["18446744073709551615", 1700000000000000000, "0", 0]) {
      assert.equal((await post(`${url}/v1/traces`, span({ endTimeUnixNano: value }))).status, 200);
      assert.equal((await post(`${url}/v1/logs`, log({ timeUnixNano: value }))).status, 200);
    }
  });
  assert.equal(records.filter((r) => r.kind === "span-close").length, 4);
  const latest = records.find((r) => r.kind === "span-close")!;
  assert.equal(latest.timestamp, 18446744073709.551615);
});
