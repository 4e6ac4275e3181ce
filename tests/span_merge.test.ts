// A close merged over its open has one rule (src/traces/span_merge.ts): span trees from a
// journal and the trace store, whose planner merges a close in its open's batch and whose
// writer merges one in a later batch, give a span the same attributes, links, status and
// duration.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attributesOf,
  closeDuration,
  closeOnlyStart,
  closeStatus,
  keptText,
  linksOf,
  mergeAttributes,
  mergeLinks,
} from "../src/traces/span_merge.ts";
import { reconstructTraces, type TraceSpan } from "../src/traces/traces.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { queryTurn } from "../src/collector/query.ts";

test("the close's attributes go over the open's; a field that is not an object adds nothing", () => {
  const open = { a: 1, b: 1 };
  assert.deepEqual(mergeAttributes(open, { b: 2, c: 3 }), { a: 1, b: 2, c: 3 });
  assert.deepEqual(open, { a: 1, b: 1 }, "the open's are not changed");
  for (const odd of [undefined, null, "done", [1, 2], 5]) {
    assert.equal(mergeAttributes(open, odd), open, `${JSON.stringify(odd)} adds nothing`);
  }
  assert.deepEqual(mergeAttributes(undefined, undefined), {});
  assert.equal(attributesOf([1]), undefined);
  assert.equal(attributesOf(null), undefined);
});

test("links: the open's first, then the close's well-formed ones to spans not linked yet", () => {
  const open = [{ spanId: "a", reason: "open" }];
  const merged = mergeLinks(open, [{ spanId: "a", reason: "close" }, null, 5, { spanId: "b" }]);
  assert.deepEqual(merged, [{ spanId: "a", reason: "open" }, { spanId: "b" }]);
  assert.deepEqual(open, [{ spanId: "a", reason: "open" }], "the open's are not changed");
  assert.equal(mergeLinks(open, [null, { spanId: "a" }]), open, "nothing new: the open's array");
  assert.equal(mergeLinks(open, "x"), open);
  assert.deepEqual(mergeLinks([], [{ spanId: "b" }, { spanId: "b" }]), [{ spanId: "b" }]);
  assert.deepEqual(linksOf([{ spanId: "x", turnId: 5 }, { spanId: "y" }]), [{ spanId: "y" }]);
  assert.deepEqual(linksOf({ spanId: "x" }), []);
});

test("status, duration, start of a lone close, and the open's text fields first", () => {
  assert.equal(closeStatus("error"), "error");
  for (const other of ["ok", "ERROR", undefined, 1]) assert.equal(closeStatus(other), "ok");
  assert.equal(closeDuration(12.5, 100, 110), 12.5, "the writer's own measure");
  assert.equal(closeDuration(undefined, 100, 110), 10);
  assert.equal(closeDuration("12", 100, 110), 10);
  assert.equal(closeDuration(Number.NaN, 100, 110), 10);
  assert.equal(closeOnlyStart(4, 10), 6);
  assert.equal(closeOnlyStart(null, 10), 10);
  assert.equal(keptText("open", "close"), "open");
  assert.equal(keptText(undefined, "close"), "close");
  assert.equal(keptText(null, 7), undefined);
});

/** Spans whose closes exercise every part of the rule, in one turn. */
function journal(): { kind: string; [field: string]: unknown }[] {
  const scope = { extensionId: "host", turnId: "t", conversationId: "c" };
  const open = (spanId: string, timestamp: number, extra: object = {}) => ({
    kind: "span-open",
    spanId,
    name: spanId,
    timestamp,
    ...(spanId === "root" ? {} : { parentSpanId: "root" }),
    ...scope,
    ...extra,
  });
  const close = (spanId: string, timestamp: number, extra: object = {}) => ({
    kind: "span-close",
    spanId,
    name: spanId,
    timestamp,
    ...(spanId === "root" ? {} : { parentSpanId: "root" }),
    ...scope,
    ...extra,
  });
  return [
    open("root", 0),
    open("merge", 1, { attributes: { a: 1, b: 1 }, links: [{ spanId: "x", reason: "open" }] }),
    close("merge", 5, {
      durationMs: 4,
      status: "error",
      attributes: { b: 2 },
      links: [{ spanId: "x", reason: "close" }, null, { spanId: "y" }],
    }),
    open("no-duration", 2, { attributes: { a: 1 } }),
    close("no-duration", 9, { status: "weird", attributes: "done", links: 5 }),
    close("lone", 20, {
      durationMs: 3,
      status: "ok",
      attributes: { z: 1 },
      links: [{ spanId: "q" }],
    }),
    close("lone-no-duration", 21, { status: "error" }),
    close("root", 30, { durationMs: 30, status: "ok" }),
  ];
}

function merged(spans: TraceSpan[]): Record<string, unknown> {
  const all = spans.flatMap(function flat(span): TraceSpan[] {
    return [span, ...span.children.flatMap(flat)];
  });
  return Object.fromEntries(all.map((span) => [span.spanId, {
    start: span.start,
    end: span.end,
    durationMs: span.durationMs,
    status: span.status,
    attributes: span.attributes,
    links: span.links,
  }]));
}

test("span trees and the trace store merge a close over its open alike, in its open's batch or a later one", async () => {
  const records = journal();
  const expected = merged(reconstructTraces(records).roots);
  assert.deepEqual(expected["merge"], {
    start: 1,
    end: 5,
    durationMs: 4,
    status: "error",
    attributes: { a: 1, b: 2 },
    links: [{ spanId: "x", reason: "open" }, { spanId: "y" }],
  });
  assert.deepEqual(expected["no-duration"], {
    start: 2,
    end: 9,
    durationMs: 7,
    status: "ok",
    attributes: { a: 1 },
    links: [],
  });
  // One batch (the planner merges), a batch a record (the store's writer merges).
  for (const batch of [records.length, 1]) {
    const store = await openTraceStore(":memory:");
    for (let i = 0; i < records.length; i += batch) {
      store.ingest(records.slice(i, i + batch) as Parameters<typeof store.ingest>[0]);
    }
    assert.deepEqual(merged(queryTurn(store, "t", "c").roots), expected, `batches of ${batch}`);
    store.close();
  }
});
