// Trace ids end to end (issue 12): the logger writes them, the export keeps them, the
// receiver keeps them, and OTel's span kind, status message and link trace ids survive.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, createLogger, type LogRecord } from "../mod.ts";
import { exportOtlp } from "../src/otlp/otlp_export.ts";
import { toOtlpTraces } from "../src/otlp/records_to_otlp.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";
import { tracesToRecords } from "../src/otlp/otlp_to_records.ts";
import { otlpTraceId } from "../src/otlp/trace_ids.ts";
import { DEFAULT_PINO_CONFIG, pinoLineToEntry } from "../src/pino/pino_line.ts";
import { createFakeFs } from "../testing.ts";

const TRACE = "5b8efff798038103d269b633813fc60c";
const OTHER_TRACE = "0af7651916cd43dd8448eb211c80319c";

type OtlpSpan = {
  traceId: string;
  spanId: string;
  kind: number;
  status: { code?: number; message?: string };
  attributes: { key: string }[];
  links: { traceId: string; spanId: string }[];
};

function spansOf(request: unknown): OtlpSpan[] {
  const body = request as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
  return body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}

describe("a turn's trace id from the journal to an OTLP receiver", () => {
  test("one trace id per turn survives export and receipt; two conversations' t1 are two traces", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trace-ids-"));
    const received: LogRecord[] = [];
    const receiver = await receiveOtlp({ sink: { emit: (r) => void received.push(r) }, port: 0 });
    try {
      const path = join(dir, "app.jsonl");
      const sink = createJournalSink({ path });
      const host = createLogger({ sink, extensionId: "host" });
      for (const conversationId of ["c1", "c2"]) {
        const turn = host.child({ conversationId, turnId: "t1" });
        turn.withSpan("turn", (span) => {
          span.info("thinking");
          span.withSpan("tool", (tool) => tool.warn("slow"));
        });
      }
      sink.close();
      const journal = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const byConversation = new Map<string, Set<string>>();
      for (const record of journal) {
        const ids = byConversation.get(record.conversationId) ?? new Set();
        ids.add(record.traceId);
        byConversation.set(record.conversationId, ids);
      }
      assert.equal(byConversation.get("c1")?.size, 1, "one trace id per turn in the journal");
      assert.equal(byConversation.get("c2")?.size, 1);
      const [c1] = byConversation.get("c1")!;
      const [c2] = byConversation.get("c2")!;
      assert.notEqual(c1, c2, "two conversations, two traces");

      await exportOtlp(path, { url: receiver.url, once: true, env: {}, onRetry: () => {} });
      const journalTrace = new Map(
        journal.filter((r) => r.kind === "span-open").map((r) => [r.spanId, r.traceId]),
      );
      const receivedOpens = received.filter((r) => r.kind === "span-open");
      assert.equal(receivedOpens.length, 4);
      for (const open of receivedOpens) {
        assert.equal(open.traceId, journalTrace.get((open as { spanId: string }).spanId));
      }
      const receivedLogs = received.filter((r) => r.kind === "log");
      assert.ok(receivedLogs.length >= 2);
      for (const entry of receivedLogs) assert.ok([c1, c2].includes(entry.traceId!));
    } finally {
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("OTel fields through the journal", () => {
  test("the receiver keeps a link's trace id", () => {
    const { records } = tracesToRecords({
      resourceSpans: [{
        scopeSpans: [{
          spans: [{
            traceId: TRACE,
            spanId: "eee19b7ec3c1b174",
            name: "retry",
            startTimeUnixNano: "1700000000000000000",
            links: [{ traceId: OTHER_TRACE, spanId: "00f067aa0ba902b7" }],
          }],
        }],
      }],
    }, "json");
    const open = records[0];
    assert.equal(open.kind, "span-open");
    assert.deepEqual(open.kind === "span-open" && open.links, [
      { spanId: "00f067aa0ba902b7", traceId: OTHER_TRACE },
    ]);
  });

  test("the export maps span.kind, otel.status_description and a link's trace id back", () => {
    const scope = {
      spanId: "eee19b7ec3c1b174",
      name: "fetch",
      extensionId: "host",
      traceId: TRACE,
    };
    const request = toOtlpTraces([
      {
        kind: "span-open",
        ...scope,
        timestamp: 1,
        attributes: { "span.kind": "client", "http.method": "GET" },
        links: [{ spanId: "00f067aa0ba902b7", traceId: OTHER_TRACE }],
      },
      {
        kind: "span-close",
        ...scope,
        timestamp: 3,
        durationMs: 2,
        status: "error",
        attributes: { "otel.status_description": "connection reset" },
      },
    ]);
    const [span] = spansOf(request);
    assert.equal(span.traceId, TRACE);
    assert.equal(span.kind, 3, "SPAN_KIND_CLIENT");
    assert.deepEqual(span.status, { code: 2, message: "connection reset" });
    const keys = span.attributes.map((a) => a.key);
    assert.ok(keys.includes("http.method"));
    assert.ok(!keys.includes("span.kind") && !keys.includes("otel.status_description"));
    assert.deepEqual(span.links.map((l) => [l.traceId, l.spanId]), [[
      OTHER_TRACE,
      "00f067aa0ba902b7",
    ]]);
  });

  test("the receiver's otel.span_kind maps back too; without one a span stays INTERNAL", () => {
    const scope = { name: "s", extensionId: "host", traceId: TRACE };
    const request = toOtlpTraces([
      {
        kind: "span-open",
        spanId: "aaaaaaaaaaaaaaaa",
        ...scope,
        timestamp: 1,
        attributes: { "otel.span_kind": "SERVER" },
      },
      {
        kind: "span-close",
        spanId: "aaaaaaaaaaaaaaaa",
        ...scope,
        timestamp: 2,
        durationMs: 1,
        status: "ok",
      },
      { kind: "span-open", spanId: "bbbbbbbbbbbbbbbb", ...scope, timestamp: 1 },
      {
        kind: "span-close",
        spanId: "bbbbbbbbbbbbbbbb",
        ...scope,
        timestamp: 2,
        durationMs: 1,
        status: "ok",
      },
    ]);
    const kinds = Object.fromEntries(spansOf(request).map((s) => [s.spanId, [s.kind, s.status]]));
    assert.deepEqual(kinds, {
      aaaaaaaaaaaaaaaa: [2, { code: 1 }],
      bbbbbbbbbbbbbbbb: [1, { code: 1 }],
    });
  });
});

describe("one shape of a trace id (isTraceId) wherever one is read", () => {
  test("a pino line whose traceId is no trace id is written, the value kept as an attribute", () => {
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "p.jsonl", fs });
    const line = (fields: Record<string, unknown>) =>
      pinoLineToEntry(
        JSON.stringify({ level: 30, msg: "hi", ...fields }),
        "app",
        DEFAULT_PINO_CONFIG,
        1,
      )
        .entry;
    const named = line({ traceId: "req-42" });
    const upper = line({ traceId: TRACE.toUpperCase() });
    const kept = line({ traceId: TRACE });
    for (const entry of [named, upper, kept]) sink.emit(entry);
    sink.close();
    assert.equal(sink.stats.dropped, 0);
    assert.equal(named.traceId, undefined);
    assert.equal(named.attributes?.traceId, "req-42");
    assert.equal(upper.attributes?.traceId, TRACE.toUpperCase());
    assert.equal(kept.traceId, TRACE);
    assert.equal(line({ trace_id: TRACE }).traceId, TRACE);
    assert.equal(line({ trace_id: "0xabc" }).attributes?.trace_id, "0xabc");
  });

  test("a link's trace id follows the one merge rule: a capitalised one is no link, as in the trees and the store; all zero is none", () => {
    const span = (traceId: string) =>
      spansOf(toOtlpTraces([
        {
          kind: "span-close",
          spanId: "00f1e2d3c4b5a697",
          name: "retry",
          timestamp: 2,
          durationMs: 1,
          status: "ok",
          extensionId: "h",
          links: [{ spanId: "00f1e2d3c4b5a698", traceId }],
        } as LogRecord,
      ]))[0];
    assert.equal(span(OTHER_TRACE).links[0].traceId, OTHER_TRACE);
    // The sink refuses such a link; one read from an older journal is dropped by every reader.
    assert.equal(span(OTHER_TRACE.toUpperCase()).links.length, 0);
    const zero = span("0".repeat(32)).links[0].traceId;
    assert.match(zero, /^[0-9a-f]{32}$/);
    assert.notEqual(zero, "0".repeat(32));
    assert.equal(otlpTraceId({ kind: "log", traceId: OTHER_TRACE.toUpperCase() }), OTHER_TRACE);
    assert.equal(otlpTraceId({ kind: "log", traceId: "0".repeat(32) }), undefined);
  });
});
