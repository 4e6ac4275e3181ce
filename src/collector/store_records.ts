/**
 * Rows of the trace store back into the records they stand for, so `reconstructTraces`
 * builds trees from a store exactly as it builds them from a journal. The one conversion,
 * used by the store's queries and the viewer's store source.
 *
 * @module
 */

import type { SqlValue } from "./sqlite.ts";

/** A row of `spans` or `logs`, by column name. */
export type StoreRow = Record<string, SqlValue>;

/** A record rebuilt from a row: a `kind` and its fields, ready for `reconstructTraces`. */
export type StoredRecord = { kind: string; [field: string]: unknown };

/** JSON text of a column, parsed; `undefined` for `NULL` or text that is not JSON. */
export function parseColumn(value: SqlValue | undefined): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function optional(target: Record<string, unknown>, key: string, value: SqlValue | undefined) {
  if (value !== null && value !== undefined) target[key] = value;
}

/**
 * Appends to `into` the records a `spans` row stands for: its `span-open` (with the merged
 * attributes, links and body) and, when closed, its `span-close`; a `close_without_open`
 * row is a lone `span-close` carrying the scope and attributes.
 *
 * @param row The row (at least the columns of the `spans` table that records have).
 * @param into Where the records go.
 *
 * @example
 * ```ts
 * import { spanRowRecords, type StoredRecord } from "./store_records.ts";
 * const records: StoredRecord[] = [];
 * spanRowRecords({
 *   span_id: "s", name: "llm", extension_id: "host", start_ms: 1, end_ms: 9, duration_ms: 8,
 *   status: "ok", attributes: "{}", links: "[]", body: null, close_without_open: 0,
 *   conversation_id: null, turn_id: "t", parent_span_id: null,
 * }, records);
 * if (records.map((r) => r.kind).join() !== "span-open,span-close") throw new Error("records");
 * ```
 */
export function spanRowRecords(row: StoreRow, into: StoredRecord[]): void {
  const attributes = parseColumn(row.attributes) ?? {};
  const links = parseColumn(row.links) ?? [];
  const withoutOpen = Number(row.close_without_open) === 1;
  if (!withoutOpen) {
    const open: StoredRecord = {
      kind: "span-open",
      spanId: String(row.span_id),
      name: String(row.name),
      extensionId: String(row.extension_id),
      timestamp: Number(row.start_ms),
      attributes,
      links,
    };
    optional(open, "conversationId", row.conversation_id);
    optional(open, "turnId", row.turn_id);
    optional(open, "parentSpanId", row.parent_span_id);
    const body = parseColumn(row.body);
    if (body !== undefined) open.body = body;
    into.push(open);
    if (row.status === "open") return;
  }
  const close: StoredRecord = {
    kind: "span-close",
    spanId: String(row.span_id),
    name: String(row.name),
    extensionId: String(row.extension_id),
    timestamp: Number(row.end_ms),
    durationMs: Number(row.duration_ms),
    status: row.status === "error" ? "error" : "ok",
  };
  if (withoutOpen) {
    optional(close, "conversationId", row.conversation_id);
    optional(close, "turnId", row.turn_id);
    optional(close, "parentSpanId", row.parent_span_id);
    close.attributes = attributes;
    close.links = links;
  }
  into.push(close);
}

/**
 * The log entry a `logs` row stands for.
 *
 * @param row The row.
 * @returns The record.
 *
 * @example
 * ```ts
 * import { logRowRecord } from "./store_records.ts";
 * const record = logRowRecord({
 *   timestamp_ms: 5, level: "warn", msg: "slow", extension_id: "host", conversation_id: null,
 *   turn_id: "t", span_id: null, attributes: '{"ms":900}', body: null,
 * });
 * if (record.turnId !== "t" || (record.attributes as { ms: number }).ms !== 900) throw new Error("log");
 * ```
 */
export function logRowRecord(row: StoreRow): StoredRecord {
  const record: StoredRecord = {
    kind: "log",
    level: row.level,
    msg: row.msg,
    timestamp: Number(row.timestamp_ms),
    extensionId: row.extension_id,
  };
  optional(record, "conversationId", row.conversation_id);
  optional(record, "turnId", row.turn_id);
  optional(record, "spanId", row.span_id);
  const attributes = parseColumn(row.attributes);
  if (attributes !== undefined) record.attributes = attributes;
  const body = parseColumn(row.body);
  if (body !== undefined) record.body = body;
  return record;
}
