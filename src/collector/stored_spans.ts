/**
 * What the store's writer asks about spans of earlier batches: the open row a close
 * completes, the trace an anchor span settles, the scope a record without one inherits. Each
 * answer is cached for the recent spans, so most records ask the database nothing.
 *
 * @module
 */

import { REMEMBERED_SPANS } from "./recent_spans.ts";
import type { SpanUsage } from "../genai/usage.ts";
import { RecentMap } from "./recent_map.ts";
import { type PlanValue, SPAN, textColumn } from "./row_plan.ts";
import { prepareLater, type SqliteDatabase, type SqlStatement, type SqlValue } from "./sqlite.ts";

/** How many open spans (and anchors, and scopes) are remembered at least. */

/** A span's scope: `[conversation, turn]`. */
export type SpanScope = [conversation: string | null, turn: string | null];

/** What the store keeps of an open span between its open and its close. */
export interface OpenSpan {
  id: number;
  /** Attributes and links as their JSON text, parsed only if a later batch closes the span. */
  attributes: string | null;
  links: string | null;
  conversation_id: string | null;
  turn_id: string | null;
  parent_span_id: string | null;
  extension_id: string;
  turn_key: number | null;
  start: number;
  usage: SpanUsage;
}

/**
 * Spans of earlier batches, as the writer needs them: open rows by span id (cached, or from
 * the database, where only open spans are indexed by span id), anchors' trace ids, and the
 * scopes children inherit.
 *
 * @example
 * ```ts
 * import { StoredSpans } from "./stored_spans.ts";
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * db.exec(`INSERT INTO spans (span_id, name, start_ms, status, extension_id, turn_id, trace_id)
 *   VALUES ('root', 'turn', 5, 'open', 'host', 't', 'ab')`);
 * const spans = new StoredSpans(db);
 * if (spans.open("root")?.start !== 5 || spans.scope("root")?.[1] !== "t") throw new Error("open");
 * if (spans.trace("cd", "root") !== "ab" || spans.trace("cd", "gone") !== "cd") throw new Error("trace");
 * db.close();
 * ```
 */
export class StoredSpans {
  /** The open rows this store inserted, by span id: spares a SELECT and a parse per close. */
  private opens = new RecentMap<string, OpenSpan>(REMEMBERED_SPANS);
  /** Trace ids of anchors the planner could not settle, looked up here. */
  private anchors = new RecentMap<string, string>(REMEMBERED_SPANS);
  /** Scopes of the spans that records without one inherit. */
  private scopes = new RecentMap<string, SpanScope>(REMEMBERED_SPANS);
  /** Spans asked for in this batch that the store has no scope for (it may have one later). */
  private unscoped = new Set<string>();
  private findOpen: SqlStatement;
  private traceOf: SqlStatement;

  /** @param db A connection to a trace store. */
  constructor(db: SqliteDatabase) {
    this.findOpen = prepareLater(
      db,
      `SELECT id, attributes, links, conversation_id, turn_id, parent_span_id, extension_id,
         start_ms, model, input_tokens, output_tokens, cost_usd, cache_read_tokens,
         cache_write_tokens, turn_key FROM spans
         WHERE span_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1`,
    );
    // Only open spans are indexed by id: an anchor still open is found here; one the
    // planner remembered never asks (a child mostly opens while its parent runs).
    this.traceOf = prepareLater(
      db,
      "SELECT trace_id FROM spans WHERE span_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1",
    );
  }

  /** The open row of `spanId`: cached, or in the database (one the cache forgot, or another run's). */
  open(spanId: string): OpenSpan | undefined {
    return this.opens.get(spanId) ?? this.openFromRow(spanId);
  }

  /** {@linkcode StoredSpans.open}, forgotten: its close is being applied. */
  take(spanId: string): OpenSpan | undefined {
    const open = this.open(spanId);
    this.opens.delete(spanId);
    return open;
  }

  /**
   * Remembers the `spans` row at `at` of `rows`, just written, when it is still open (the
   * last open of an id wins); forgets an earlier open of its id otherwise.
   */
  written(rows: PlanValue[], at: number): void {
    const spanId = rows[at + SPAN.span_id] as string;
    this.opens.delete(spanId);
    if (rows[at + SPAN.status] !== "open") return;
    const num = (value: PlanValue) => value as number | null;
    const str = (value: PlanValue) => value as string | null;
    this.opens.set(spanId, {
      id: rows[at + SPAN.id] as number,
      attributes: str(rows[at + SPAN.attributes]),
      links: str(rows[at + SPAN.links]),
      conversation_id: str(rows[at + SPAN.conversation_id]),
      turn_id: str(rows[at + SPAN.turn_id]),
      parent_span_id: str(rows[at + SPAN.parent_span_id]),
      extension_id: rows[at + SPAN.extension_id] as string,
      turn_key: num(rows[at + SPAN.turn_key]),
      start: rows[at + SPAN.start_ms] as number,
      usage: {
        model: str(rows[at + SPAN.model]),
        inputTokens: num(rows[at + SPAN.input_tokens]),
        outputTokens: num(rows[at + SPAN.output_tokens]),
        cacheReadTokens: num(rows[at + SPAN.cache_read_tokens]),
        cacheWriteTokens: num(rows[at + SPAN.cache_write_tokens]),
        costUsd: num(rows[at + SPAN.cost_usd]),
      },
    });
  }

  /**
   * The trace id a planned record joins: the planner's, unless it named an anchor span it
   * did not remember; then the anchor's trace when this store knows it (an open span in the
   * database), else the planner's id derived from the anchor. Remembered per anchor, so
   * every record that names it joins the same trace.
   */
  trace(trace: PlanValue, anchor: PlanValue): string | null {
    if (anchor === null) return trace as string | null;
    let settled = this.anchors.get(anchor as string);
    if (settled === undefined) {
      const found = this.traceOf.get(anchor)?.trace_id;
      settled = typeof found === "string" ? found : trace as string;
      this.anchors.set(anchor as string, settled);
    }
    return settled;
  }

  /**
   * The scope of the span `anchor` names, which a record without one inherits: that of
   * its open row (cached, or in the database), or of the span as this store closed or
   * adopted it, or `undefined` when the store has none with a scope.
   */
  scope(anchor: string): SpanScope | undefined {
    let scope = this.scopes.get(anchor);
    if (scope !== undefined || this.unscoped.has(anchor)) return scope;
    const open = this.open(anchor);
    if (open !== undefined && (open.conversation_id !== null || open.turn_id !== null)) {
      scope = [open.conversation_id, open.turn_id];
      this.scopes.set(anchor, scope);
    } else this.unscoped.add(anchor);
    return scope;
  }

  /**
   * A span now has a scope (closed or adopted by this store): its children may ask for it,
   * and a cached open row of it says what it was.
   */
  scoped(spanId: string, scope: SpanScope, adopted: boolean): void {
    this.scopes.set(spanId, scope);
    this.unscoped.delete(spanId);
    if (adopted) this.opens.delete(spanId);
  }

  /** A new batch: spans without a scope may have one now. */
  newBatch(): void {
    this.unscoped.clear();
  }

  /** Forgets everything (after a rolled-back batch, the database no longer has it). */
  forget(): void {
    this.opens.clear();
    this.anchors.clear();
    this.scopes.clear();
    this.unscoped.clear();
  }

  private openFromRow(spanId: string): OpenSpan | undefined {
    const row = this.findOpen.get(spanId);
    if (row === undefined) return undefined;
    const count = (value: SqlValue) => value === null ? null : Number(value);
    return {
      id: Number(row.id),
      attributes: textColumn(row.attributes),
      links: textColumn(row.links),
      conversation_id: textColumn(row.conversation_id),
      turn_id: textColumn(row.turn_id),
      parent_span_id: textColumn(row.parent_span_id),
      extension_id: String(row.extension_id),
      turn_key: row.turn_key === null ? null : Number(row.turn_key),
      start: Number(row.start_ms),
      usage: {
        model: textColumn(row.model),
        inputTokens: count(row.input_tokens),
        outputTokens: count(row.output_tokens),
        cacheReadTokens: count(row.cache_read_tokens),
        cacheWriteTokens: count(row.cache_write_tokens),
        costUsd: count(row.cost_usd),
      },
    };
  }
}
