// Retention by age deletes a turn only when all of it is older than the cutoff: a turn that
// began before the cutoff and is still active after it stays whole, whichever record (a log
// entry, a child span, the close of a span opened long ago) carried its activity past it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "../mod.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { pruneTraceStore } from "../src/collector/store_retention.ts";

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;
const NOW = T0 + 48 * HOUR;
/** Keep a day: the cutoff is T0 + 24 h. */
const RETAIN = 24 * HOUR;

const scope = (turnId: string) => ({ extensionId: "host", conversationId: "c", turnId });

function open(spanId: string, time: number, turnId: string, parentSpanId?: string): LogRecord {
  return {
    kind: "span-open",
    spanId,
    name: "step",
    timestamp: time,
    parentSpanId,
    ...scope(turnId),
  };
}

function close(spanId: string, time: number, turnId: string, durationMs: number): LogRecord {
  return {
    kind: "span-close",
    spanId,
    name: "step",
    timestamp: time,
    durationMs,
    status: "ok",
    ...scope(turnId),
  };
}

function log(msg: string, time: number, turnId: string): LogRecord {
  return { kind: "log", level: "info", msg, timestamp: time, ...scope(turnId) };
}

/** The turn's span and log rows left in the store. */
function rowsOf(store: TraceStore, turnId: string): { spans: number; logs: number } {
  const count = (table: string) =>
    Number(
      store.db.prepare(
        `SELECT count(*) AS n FROM ${table} WHERE turn_key IN (SELECT turn_key FROM turns WHERE turn_id = ?)`,
      ).get(turnId)?.n,
    );
  return { spans: count("spans"), logs: count("logs") };
}

/**
 * Three turns, each batch its own transaction: `old` all before the cutoff; `long` opened
 * before it and still logging after it; `closing` opened before it, whose only record after
 * the cutoff is its root span's close.
 */
async function store(): Promise<TraceStore> {
  const s = await openTraceStore(":memory:");
  s.ingest([
    open("o", T0, "old"),
    log("old work", T0 + HOUR, "old"),
    close("o", T0 + 2 * HOUR, "old", 2 * HOUR),
    open("l", T0 + HOUR, "long"),
    log("long begins", T0 + HOUR, "long"),
    open("c", T0 + 2 * HOUR, "closing"),
    log("closing begins", T0 + 2 * HOUR, "closing"),
  ]);
  s.ingest([
    open("l2", T0 + 30 * HOUR, "long", "l"),
    log("long goes on", T0 + 40 * HOUR, "long"),
  ]);
  s.ingest([close("c", T0 + 30 * HOUR, "closing", 28 * HOUR)]);
  return s;
}

test("retention deletes a turn whose records are all older than the cutoff", async () => {
  const s = await store();
  const stats = pruneTraceStore(s, { retainMs: RETAIN, now: NOW });
  assert.equal(stats.turns, 1);
  assert.deepEqual(rowsOf(s, "old"), { spans: 0, logs: 0 });
  s.close();
});

test("retention keeps whole a turn that began before the cutoff and still logs after it", async () => {
  const s = await store();
  pruneTraceStore(s, { retainMs: RETAIN, now: NOW });
  assert.deepEqual(rowsOf(s, "long"), { spans: 2, logs: 2 }, "its records before the cutoff too");
  s.close();
});

test("retention keeps a turn whose only activity after the cutoff is a span's close", async () => {
  const s = await store();
  pruneTraceStore(s, { retainMs: RETAIN, now: NOW });
  assert.deepEqual(rowsOf(s, "closing"), { spans: 1, logs: 1 });
  const status = s.db.prepare("SELECT status FROM spans WHERE span_id = 'c'").get()?.status;
  assert.equal(status, "ok", "the span is still the closed one, not a close without open");
  s.close();
});

test("a turn kept past the cutoff is deleted once all of it is older than a later cutoff", async () => {
  const s = await store();
  pruneTraceStore(s, { retainMs: RETAIN, now: NOW });
  const stats = pruneTraceStore(s, { retainMs: RETAIN, now: T0 + 65 * HOUR });
  assert.equal(stats.turns, 2, "long (last at 40 h) and closing (last at 30 h)");
  assert.deepEqual(rowsOf(s, "long"), { spans: 0, logs: 0 });
  s.close();
});
