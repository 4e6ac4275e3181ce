// The receiver's body limit holds for the decompressed total: a gzip body whose every
// decompressed chunk is small but whose sum passes the limit is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gunzipLimited, gzip, InflateLimitError } from "../src/otlp/gzip.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";

const LIMIT = 100_000;

/**
 * JSON of `size` bytes: an OTLP request with a field of pseudo-random hex, which compresses
 * only about 2:1, so it inflates in many chunks on every runtime.
 */
function paddedRequest(size: number): Uint8Array {
  const head = '{"resourceSpans":[],"padding":"';
  const bytes = new TextEncoder().encode(head + "0".repeat(size - head.length - 2) + '"}');
  let seed = 7;
  for (let i = head.length; i < size - 2; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = "0123456789abcdef".charCodeAt(seed >>> 28);
  }
  return bytes;
}

test("gunzipLimited counts the decompressed total, not each chunk", async () => {
  const packed = await gzip(paddedRequest(4 * LIMIT));
  const error = await gunzipLimited(packed, LIMIT).catch((e) => e);
  assert.ok(error instanceof InflateLimitError, String(error));
  assert.equal((await gunzipLimited(await gzip(paddedRequest(LIMIT)), LIMIT)).length, LIMIT);
});

test("a gzip body that inflates past maxBodyBytes in small chunks is answered 413", async () => {
  const receiver = await receiveOtlp({ sink: { emit() {} }, port: 0, maxBodyBytes: LIMIT });
  const send = async (size: number) => {
    const response = await fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: await gzip(paddedRequest(size)) as BodyInit,
    });
    await response.arrayBuffer();
    return response.status;
  };
  try {
    assert.equal(await send(4 * LIMIT), 413);
    assert.equal(await send(LIMIT + 1), 413);
    assert.equal(await send(LIMIT), 200);
  } finally {
    await receiver.close();
  }
});
