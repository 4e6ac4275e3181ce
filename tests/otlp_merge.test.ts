// The export merges a close over its open by the one rule (src/traces/span_merge.ts), as
// span trees and the trace store do: a field of the wrong type counts as absent.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "../mod.ts";
import { toOtlpTraces } from "../src/otlp/records_to_otlp.ts";

type Span = { startTimeUnixNano: string; attributes: { key: string }[]; status: { code?: number } };

function spans(records: unknown[]): Span[] {
  const request = toOtlpTraces(records as LogRecord[]);
  return request.resourceSpans[0].scopeSpans[0].spans as unknown as Span[];
}

test("a lone close whose durationMs is not finite starts at its end instead of stopping the export", () => {
  const [span] = spans([
    {
      kind: "span-close",
      spanId: "00f1e2d3c4b5a697",
      name: "tool",
      timestamp: 5,
      durationMs: Infinity,
      status: "error",
      extensionId: "h",
    },
  ]);
  assert.equal(span.startTimeUnixNano, "5000000");
  assert.equal(span.status.code, 2);
});

test("attributes that are not an object add nothing to the span (not one attribute a character)", () => {
  const [span] = spans([
    {
      kind: "span-open",
      spanId: "00f1e2d3c4b5a697",
      name: "tool",
      timestamp: 1,
      extensionId: "h",
      attributes: "ab",
    },
    {
      kind: "span-close",
      spanId: "00f1e2d3c4b5a697",
      name: "tool",
      timestamp: 2,
      durationMs: 1,
      status: "ok",
      extensionId: "h",
      attributes: { done: true },
    },
  ]);
  assert.deepEqual(span.attributes.map((a) => a.key), ["journal.extension_id", "done"]);
});
