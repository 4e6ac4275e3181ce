/**
 * Questions asked of a trace store, answered in the shapes `reconstructTraces` gives over
 * the journal itself: the trace tree of a turn or conversation, and flat lists of the
 * spans still open, the spans that failed, the slowest spans.
 *
 * @module
 */

import { reconstructTraces, type TraceForest, type TraceSpan } from "../traces/traces.ts";
import { SLOWEST_KEPT } from "./schema.ts";
import type { SqlValue } from "./sqlite.ts";
import {
  logRowRecord,
  parseColumn,
  spanRowRecords,
  type StoredRecord,
  type StoreRow,
} from "./store_records.ts";
import type { TraceStore } from "./trace_store.ts";

type Row = StoreRow;

const parse = parseColumn;

function optional(target: Record<string, unknown>, key: string, value: SqlValue | undefined) {
  if (value !== null && value !== undefined) target[key] = value;
}

/**
 * A span row as a {@linkcode TraceSpan} without tree (no children, no logs): the fields
 * `reconstructTraces` would give it, built directly (lists can be long).
 */
function flatSpan(row: Row): TraceSpan {
  const span: TraceSpan = {
    spanId: String(row.span_id),
    name: String(row.name),
    extensionId: String(row.extension_id),
    start: Number(row.start_ms),
    status: row.status === "error" ? "error" : row.status === "ok" ? "ok" : "open",
    attributes: (parse(row.attributes) as Record<string, unknown> | undefined) ?? {},
    links: (parse(row.links) as TraceSpan["links"] | undefined) ?? [],
    children: [],
    logs: [],
    anomalies: Number(row.close_without_open) === 1 ? ["close-without-open"] : [],
  };
  const scope = span as unknown as Record<string, unknown>;
  optional(scope, "conversationId", row.conversation_id);
  optional(scope, "turnId", row.turn_id);
  optional(scope, "parentSpanId", row.parent_span_id);
  if (span.status !== "open") {
    span.end = Number(row.end_ms);
    span.durationMs = Number(row.duration_ms);
  }
  const body = parse(row.body);
  if (body !== undefined) span.body = body;
  return span;
}

function forestWhere(store: TraceStore, where: string, ...ids: string[]) {
  // Through the turns table: rows are indexed by their small integer turn key only.
  const scope = `turn_key IN (SELECT turn_key FROM turns WHERE ${where})`;
  const spans = store.db.prepare(`SELECT * FROM spans WHERE ${scope} ORDER BY id`).all(...ids);
  const logs = store.db.prepare(`SELECT * FROM logs WHERE ${scope} ORDER BY id`).all(...ids);
  const records: StoredRecord[] = [];
  for (const row of spans) spanRowRecords(row, records);
  for (const row of logs) records.push(logRowRecord(row));
  return reconstructTraces(records);
}

/**
 * The trace forest of one turn: its spans as trees (a span whose parent is outside the
 * turn is a root marked `missing-parent`), each with its log entries. The same answer as
 * `reconstructTraces` over the journal's records of that turn
 * (`readJournal(path, { turnId })`).
 *
 * @param store The trace store.
 * @param turnId The turn.
 * @param conversationId Only the turn of this conversation (turn ids such as `t1` recur
 *   across conversations); every conversation's when absent.
 * @returns The forest.
 *
 * @example
 * ```ts
 * import { openTraceStore, queryTurn } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([
 *   { kind: "span-open", spanId: "a", name: "turn", timestamp: 0, turnId: "t1", extensionId: "host" },
 *   { kind: "span-open", spanId: "b", parentSpanId: "a", name: "tool", timestamp: 1, turnId: "t1", extensionId: "host" },
 * ]);
 * const forest = queryTurn(store, "t1");
 * if (forest.roots[0].children[0].name !== "tool" || forest.open.length !== 2) throw new Error("tree");
 * store.close();
 * ```
 */
export function queryTurn(
  store: TraceStore,
  turnId: string,
  conversationId?: string,
): TraceForest {
  return conversationId === undefined
    ? forestWhere(store, "turn_id = ?", turnId)
    : forestWhere(store, "turn_id = ? AND conversation_id = ?", turnId, conversationId);
}

/**
 * The trace forest of one conversation, like {@linkcode queryTurn}.
 *
 * @param store The trace store.
 * @param conversationId The conversation.
 * @returns The forest.
 *
 * @example
 * ```ts
 * import { openTraceStore, queryConversation } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([{ kind: "span-open", spanId: "a", name: "turn", timestamp: 0, conversationId: "c", extensionId: "host" }]);
 * if (queryConversation(store, "c").spanCount !== 1) throw new Error("not found");
 * store.close();
 * ```
 */
export function queryConversation(store: TraceStore, conversationId: string): TraceForest {
  return forestWhere(store, "conversation_id = ?", conversationId);
}

/**
 * Every span still open (no close read: the process died, or it still runs), by start
 * time. Each is a {@linkcode TraceSpan} without `children` and `logs` (ask
 * {@linkcode queryTurn} for the tree); the same spans as `reconstructTraces(...).open`.
 *
 * @param store The trace store.
 * @returns The open spans, oldest first.
 *
 * @example
 * ```ts
 * import { openTraceStore, queryOpenSpans } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([{ kind: "span-open", spanId: "a", name: "tool", timestamp: 0, extensionId: "host" }]);
 * if (queryOpenSpans(store)[0]?.name !== "tool") throw new Error("open span missing");
 * store.close();
 * ```
 */
export function queryOpenSpans(store: TraceStore): TraceSpan[] {
  return store.db
    .prepare("SELECT * FROM spans WHERE status = 'open' ORDER BY start_ms, id")
    .all()
    .map(flatSpan);
}

/**
 * Every span that ended with status `"error"`, by start time, flat like
 * {@linkcode queryOpenSpans}.
 *
 * @param store The trace store.
 * @returns The failed spans, oldest first.
 *
 * @example
 * ```ts
 * import { openTraceStore, queryErrorSpans } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([{ kind: "span-close", spanId: "a", name: "tool", timestamp: 5, durationMs: 5, status: "error", extensionId: "host" }]);
 * if (queryErrorSpans(store).length !== 1) throw new Error("failed span missing");
 * store.close();
 * ```
 */
export function queryErrorSpans(store: TraceStore): TraceSpan[] {
  return store.db
    .prepare("SELECT * FROM spans WHERE status = 'error' ORDER BY start_ms, id")
    .all()
    .map(flatSpan);
}

/**
 * The `limit` closed spans with the longest `durationMs`, longest first (ties in journal
 * order), flat like {@linkcode queryOpenSpans}.
 *
 * @param store The trace store.
 * @param limit How many.
 * @returns The slowest spans.
 *
 * @example
 * ```ts
 * import { openTraceStore, querySlowestSpans } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([
 *   { kind: "span-close", spanId: "a", name: "fast", timestamp: 5, durationMs: 1, status: "ok", extensionId: "host" },
 *   { kind: "span-close", spanId: "b", name: "slow", timestamp: 9, durationMs: 8, status: "ok", extensionId: "host" },
 * ]);
 * if (querySlowestSpans(store, 1)[0].name !== "slow") throw new Error("wrong order");
 * store.close();
 * ```
 */
export function querySlowestSpans(store: TraceStore, limit: number): TraceSpan[] {
  const n = Math.max(0, Math.floor(limit));
  // The longest spans carry the `slowest` flag and a small index; beyond them, a scan.
  const flagged = n <= SLOWEST_KEPT ? "slowest = 1 AND " : "";
  return store.db
    .prepare(
      `SELECT * FROM spans WHERE ${flagged}status != 'open' ORDER BY duration_ms DESC, id LIMIT ?`,
    )
    .all(n)
    .map(flatSpan);
}
