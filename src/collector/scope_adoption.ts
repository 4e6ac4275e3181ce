/**
 * Rows the store wrote without a scope, adopted by a parent that comes after them: OTLP
 * exports a span when it ends, so children reach the journal (and the store) before the root
 * that carries the turn. When a span with a scope is written, its descendants without one
 * (spans, through `parent_span_id`) and their log entries take its conversation and turn.
 *
 * @module
 */

import type { SpanUsage } from "../genai/usage.ts";
import { prepareLater, type SqliteDatabase, type SqlStatement, type SqlValue } from "./sqlite.ts";

/** A span row moved under a scope: what the store needs to move its usage and turn times. */
export interface AdoptedSpan {
  /** Its row id. */
  id: number;
  /** Its span id. */
  spanId: string;
  /** The index of the span whose scope it takes, among the seeds given. */
  seed: number;
  /** Its start, and end (`null` while open). */
  start: number;
  end: number | null;
  extensionId: string;
  usage: SpanUsage;
}

/** A log entry moved under a scope. */
export interface AdoptedLog {
  id: number;
  /** The index of the seed (or, past the seeds, of the adopted span) it belongs to. */
  owner: number;
  timestamp: number;
}

/**
 * Descendants without a scope of the seeds (a JSON array of span ids), each with the index
 * of its seed: `UNION` ends a cycle of parent ids. The partial index is named (and its
 * condition repeated): left to choose, SQLite read every row without a turn instead.
 */
export const DESCENDANTS = `
  WITH RECURSIVE adopted(id, span_id, seed) AS (
    SELECT s.id, s.span_id, j.key FROM json_each(?) AS j
      CROSS JOIN spans AS s INDEXED BY spans_unscoped_by_parent ON s.parent_span_id = j.value
      WHERE s.turn_key IS NULL AND s.parent_span_id IS NOT NULL
    UNION
    SELECT s.id, s.span_id, a.seed FROM adopted AS a
      CROSS JOIN spans AS s INDEXED BY spans_unscoped_by_parent ON s.parent_span_id = a.span_id
      WHERE s.turn_key IS NULL AND s.parent_span_id IS NOT NULL
  )
  SELECT a.id, a.span_id, a.seed, s.start_ms, s.end_ms, s.extension_id, s.model,
    s.input_tokens, s.output_tokens, s.cost_usd, s.cache_read_tokens, s.cache_write_tokens
  FROM adopted AS a CROSS JOIN spans AS s ON s.id = a.id`;

/** Log entries without a scope of the spans in a JSON array, each with its span's index. */
export const LOGS_OF = `
  SELECT l.id, j.key, l.timestamp_ms FROM json_each(?) AS j
    CROSS JOIN logs AS l INDEXED BY logs_unscoped_by_span ON l.span_id = j.value
    WHERE l.turn_key IS NULL AND l.span_id IS NOT NULL`;

/**
 * Finds and moves rows waiting for a scope. It remembers whether the store may hold any (a
 * span without a scope that names a parent, a log entry without one that names a span), so a
 * store whose records carry their own turn pays one check a batch, and no query.
 *
 * @example A child stored before its root
 * ```ts
 * import { ScopeAdoption } from "./scope_adoption.ts";
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * db.exec(`INSERT INTO spans (span_id, parent_span_id, name, start_ms, status, extension_id)
 *   VALUES ('child', 'root', 'tool', 5, 'open', 'host')`);
 * const adoption = new ScopeAdoption(db);
 * const [child] = adoption.pending() ? adoption.descendants(["root"]) : [];
 * adoption.moveSpans([child.id], "c", "t", 1);
 * if (child.spanId !== "child" || db.prepare("SELECT turn_key AS k FROM spans").get()?.k !== 1) {
 *   throw new Error("not adopted");
 * }
 * db.close();
 * ```
 */
export class ScopeAdoption {
  private db: SqliteDatabase;
  /** Whether spans, or log entries, may wait for a scope; `undefined`: ask the store. */
  private spansWait: boolean | undefined;
  private logsWait: boolean | undefined;
  private descendantsOf: SqlStatement;
  private logsOf: SqlStatement;
  private scopeSpans: SqlStatement;
  private scopeLogs: SqlStatement;

  /** @param db A connection to a trace store (schema 5 or later). */
  constructor(db: SqliteDatabase) {
    this.db = db;
    this.descendantsOf = prepareLater(db, DESCENDANTS);
    this.logsOf = prepareLater(db, LOGS_OF);
    const set = "SET conversation_id = ?, turn_id = ?, turn_key = ?";
    const ids = "WHERE id IN (SELECT value FROM json_each(?))";
    this.scopeSpans = prepareLater(db, `UPDATE spans ${set} ${ids}`);
    this.scopeLogs = prepareLater(db, `UPDATE logs ${set} ${ids}`);
  }

  /** A span row without a scope that names a parent was written: it may be adopted. */
  spanWaits(): void {
    this.spansWait = true;
  }

  /** A log row without a scope that names a span was written. */
  logWaits(): void {
    this.logsWait = true;
  }

  /** Whether any row may wait for a scope (asks the store once, then after each adoption). */
  pending(): boolean {
    this.spansWait ??= this.exists(
      "SELECT 1 AS y FROM spans WHERE turn_key IS NULL AND parent_span_id IS NOT NULL LIMIT 1",
    );
    this.logsWait ??= this.exists(
      "SELECT 1 AS y FROM logs WHERE turn_key IS NULL AND span_id IS NOT NULL LIMIT 1",
    );
    return this.spansWait || this.logsWait;
  }

  /** Forgets what it knows of the store (rows were deleted, or a batch rolled back). */
  forget(): void {
    this.spansWait = undefined;
    this.logsWait = undefined;
  }

  /**
   * The spans without a scope below the seeds (children, their children…), each with the
   * index of the seed it descends from (the first one, for a span below two).
   *
   * @param seeds Span ids of spans that have a scope.
   * @returns The spans to adopt.
   */
  descendants(seeds: readonly string[]): AdoptedSpan[] {
    if (this.spansWait === false) return [];
    const count = (value: SqlValue) => value === null ? null : Number(value);
    const seen = new Set<number>();
    const out: AdoptedSpan[] = [];
    for (const row of this.descendantsOf.all(JSON.stringify(seeds))) {
      const id = Number(row.id);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({
        id,
        spanId: String(row.span_id),
        seed: Number(row.seed),
        start: Number(row.start_ms),
        end: count(row.end_ms),
        extensionId: String(row.extension_id),
        usage: {
          model: typeof row.model === "string" ? row.model : null,
          inputTokens: count(row.input_tokens),
          outputTokens: count(row.output_tokens),
          cacheReadTokens: count(row.cache_read_tokens),
          cacheWriteTokens: count(row.cache_write_tokens),
          costUsd: count(row.cost_usd),
        },
      });
    }
    // Rows may still wait (for another parent): ask again at the next adoption.
    this.spansWait = undefined;
    return out;
  }

  /**
   * The log entries without a scope of the given spans.
   *
   * @param spanIds The spans (seeds and adopted ones).
   * @returns The entries, each with the index of its span in `spanIds`.
   */
  logs(spanIds: readonly string[]): AdoptedLog[] {
    if (this.logsWait === false) return [];
    this.logsWait = undefined;
    return this.logsOf.all(JSON.stringify(spanIds)).map((row) => ({
      id: Number(row.id),
      owner: Number(row.key),
      timestamp: Number(row.timestamp_ms),
    }));
  }

  /** Gives span rows a scope. */
  moveSpans(ids: readonly number[], conversation: SqlValue, turn: SqlValue, key: number): void {
    this.scopeSpans.run(conversation, turn, key, JSON.stringify(ids));
  }

  /** Gives log rows a scope. */
  moveLogs(ids: readonly number[], conversation: SqlValue, turn: SqlValue, key: number): void {
    this.scopeLogs.run(conversation, turn, key, JSON.stringify(ids));
  }

  private exists(sql: string): boolean {
    return this.db.prepare(sql).get() !== undefined;
  }
}
