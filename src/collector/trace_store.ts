/**
 * The SQLite trace store: records in, rows out, and the collector's read positions kept
 * in the same transactions as the rows.
 *
 * @module
 */

import type { JournalRecord } from "../reader/journal_record.ts";
import { type FilePosition, fromHex, toHex } from "./fingerprint.ts";
import { applyTraceStoreSchema } from "./schema.ts";
import { openSqlite, type SqliteDatabase, type SqlStatement, type SqlValue } from "./sqlite.ts";
import { otlpTraceId } from "./trace_ids.ts";

/**
 * What {@linkcode TraceStore.ingest} did with a batch.
 *
 * @example
 * ```ts
 * import type { IngestCounts } from "@dispatch/journal-sink/collector";
 * const counts: IngestCounts = { logs: 2, spanOpens: 1, spanCloses: 1, closesWithoutOpen: 0, ignored: 0 };
 * if (counts.logs !== 2) throw new Error("unreachable");
 * ```
 */
export interface IngestCounts {
  /** Rows added to `logs`. */
  logs: number;
  /** `span-open` records: each inserted a `spans` row with status `'open'`. */
  spanOpens: number;
  /** `span-close` records: each completed the latest open row of its span id, or… */
  spanCloses: number;
  /** …inserted a `close_without_open` row when there was none (counted in both). */
  closesWithoutOpen: number;
  /** Records of other kinds, or without the fields a row needs. */
  ignored: number;
}

/** How many open spans the store remembers between records. */
const OPEN_CACHE = 100_000;

/** A record read back, before its fields are checked. */
type Loose = { readonly kind: string; readonly [field: string]: unknown };

function json(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function parse(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : undefined;
}

/**
 * A SQLite store of logs and spans (see {@linkcode TRACE_STORE_SCHEMA}). Open one with
 * {@linkcode openTraceStore}; fill it with {@linkcode collectJournal} (or
 * {@linkcode TraceStore.ingest}); read it with the query functions or plain SQL on
 * {@linkcode TraceStore.db}.
 *
 * @example Ingest and count
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([{ kind: "span-open", spanId: "s", name: "turn", timestamp: 1, extensionId: "host" }]);
 * const row = store.db.prepare("SELECT status FROM spans WHERE span_id = 's'").get();
 * if (row?.status !== "open") throw new Error("not stored");
 * store.close();
 * ```
 */
export class TraceStore {
  /** The connection, for plain SQL. */
  readonly db: SqliteDatabase;
  #insertLog: SqlStatement;
  #insertSpan: SqlStatement;
  #findOpen: SqlStatement;
  /** The open rows this store inserted, by span id: spares a SELECT per close. */
  #opens = new Map<string, Record<string, SqlValue>>();
  #closeSpan: SqlStatement;
  #traceOf: SqlStatement;
  #positions: SqlStatement;
  #deletePositions: SqlStatement;
  #insertPosition: SqlStatement;

  /**
   * Wraps a connection whose schema is in place (use {@linkcode openTraceStore}).
   *
   * @param db The connection.
   */
  constructor(db: SqliteDatabase) {
    this.db = db;
    this.#insertLog = db.prepare(
      `INSERT INTO logs (timestamp_ms, level, msg, extension_id, conversation_id, turn_id,
         span_id, trace_id, attributes, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#insertSpan = db.prepare(
      `INSERT INTO spans (span_id, parent_span_id, trace_id, name, start_ms, end_ms, duration_ms,
         status, extension_id, conversation_id, turn_id, attributes, links, body,
         close_without_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#findOpen = db.prepare(
      `SELECT id, attributes, links, conversation_id, turn_id, parent_span_id FROM spans
         WHERE span_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1`,
    );
    this.#closeSpan = db.prepare(
      `UPDATE spans SET end_ms = ?, duration_ms = ?, status = ?, attributes = ?, links = ?,
         conversation_id = ?, turn_id = ?, parent_span_id = ? WHERE id = ?`,
    );
    this.#traceOf = db.prepare(
      "SELECT trace_id FROM spans WHERE span_id = ? ORDER BY id DESC LIMIT 1",
    );
    this.#positions = db.prepare(
      "SELECT key, head_hex, byte_offset, complete, path, seen_ms FROM positions WHERE journal = ?",
    );
    this.#deletePositions = db.prepare("DELETE FROM positions WHERE journal = ?");
    this.#insertPosition = db.prepare(
      `INSERT INTO positions (journal, key, head_hex, byte_offset, complete, path, seen_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  #lookup = (spanId: string): string | undefined => {
    const trace = this.#traceOf.get(spanId)?.trace_id;
    return typeof trace === "string" ? trace : undefined;
  };

  /**
   * Adds records to the store in one transaction, in journal order: a log entry becomes a
   * `logs` row; a `span-open` a `spans` row with status `'open'`; a `span-close` completes
   * the latest open row of its span id, or inserts a `close_without_open` row. Other kinds
   * are ignored.
   *
   * @param records The records, oldest first.
   * @returns What was done.
   *
   * @example A span opened and closed
   * ```ts
   * import { openTraceStore } from "@dispatch/journal-sink/collector";
   * const store = await openTraceStore(":memory:");
   * const counts = store.ingest([
   *   { kind: "span-open", spanId: "s", name: "llm", timestamp: 1, extensionId: "host" },
   *   { kind: "span-close", spanId: "s", name: "llm", timestamp: 9, durationMs: 8, status: "ok", extensionId: "host" },
   * ]);
   * if (counts.spanOpens !== 1 || counts.spanCloses !== 1) throw new Error(JSON.stringify(counts));
   * store.close();
   * ```
   */
  ingest(records: Iterable<JournalRecord>): IngestCounts {
    return this.#transaction(() => this.#ingest(records));
  }

  /**
   * Adds a tail batch and stores the positions after it, in one transaction: either both
   * are durable or neither, which is what lets a killed collector resume exactly.
   *
   * @param journal The journal's path, as the positions' key.
   * @param records The batch's records.
   * @param positions Every known file position after the batch.
   * @returns What was done with the records.
   */
  commit(
    journal: string,
    records: Iterable<JournalRecord>,
    positions: readonly FilePosition[],
  ): IngestCounts {
    return this.#transaction(() => {
      const counts = this.#ingest(records);
      this.#deletePositions.run(journal);
      for (const p of positions) {
        this.#insertPosition.run(
          journal,
          p.key,
          toHex(p.head),
          p.offset,
          p.complete ? 1 : 0,
          p.path,
          p.seenMs,
        );
      }
      return counts;
    });
  }

  /**
   * The positions last committed for `journal`.
   *
   * @param journal The journal's path.
   * @returns One position per known file.
   */
  positions(journal: string): FilePosition[] {
    return this.#positions.all(journal).map((row) => ({
      key: String(row.key),
      head: fromHex(String(row.head_hex)),
      offset: Number(row.byte_offset),
      complete: Number(row.complete) === 1,
      path: String(row.path),
      seenMs: Number(row.seen_ms),
    }));
  }

  /** Releases the connection. */
  close(): void {
    this.db.close();
  }

  #transaction<T>(work: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      this.#opens.clear();
      throw error;
    }
  }

  #ingest(records: Iterable<JournalRecord>): IngestCounts {
    const counts: IngestCounts = {
      logs: 0,
      spanOpens: 0,
      spanCloses: 0,
      closesWithoutOpen: 0,
      ignored: 0,
    };
    for (const record of records) {
      const r = record as Loose;
      const time = r.timestamp;
      if (typeof time !== "number" || !Number.isFinite(time)) {
        counts.ignored++;
        continue;
      }
      if (r.kind === "log") {
        this.#insertLog.run(
          time,
          String(r.level ?? "info"),
          String(r.msg ?? ""),
          String(r.extensionId ?? ""),
          text(r.conversationId),
          text(r.turnId),
          text(r.spanId),
          otlpTraceId(r, this.#lookup) ?? null,
          json(r.attributes),
          json(r.body),
        );
        counts.logs++;
        continue;
      }
      if (typeof r.spanId !== "string" || (r.kind !== "span-open" && r.kind !== "span-close")) {
        counts.ignored++;
        continue;
      }
      if (r.kind === "span-open") {
        const attributes = json(r.attributes ?? {});
        const links = json(r.links ?? []);
        const { lastInsertRowid } = this.#insertSpan.run(
          r.spanId,
          text(r.parentSpanId),
          otlpTraceId(r, this.#lookup),
          String(r.name ?? ""),
          time,
          null,
          null,
          "open",
          String(r.extensionId ?? ""),
          text(r.conversationId),
          text(r.turnId),
          attributes,
          links,
          json(r.body),
          0,
        );
        this.#opens.delete(r.spanId);
        this.#opens.set(r.spanId, {
          id: lastInsertRowid,
          attributes,
          links,
          conversation_id: text(r.conversationId),
          turn_id: text(r.turnId),
          parent_span_id: text(r.parentSpanId),
        });
        if (this.#opens.size > OPEN_CACHE) this.#opens.delete(this.#opens.keys().next().value!);
        counts.spanOpens++;
        continue;
      }
      const status = r.status === "error" ? "error" : "ok";
      const duration = typeof r.durationMs === "number" ? r.durationMs : null;
      const open = this.#opens.get(r.spanId) ?? this.#findOpen.get(r.spanId);
      this.#opens.delete(r.spanId);
      if (open) {
        const attributes = {
          ...(parse(open.attributes) as Record<string, unknown> | undefined),
          ...(r.attributes as Record<string, unknown> | undefined),
        };
        const links = (parse(open.links) as { spanId: string }[] | undefined) ?? [];
        for (const link of (r.links as { spanId: string }[] | undefined) ?? []) {
          if (!links.some((known) => known.spanId === link.spanId)) links.push(link);
        }
        this.#closeSpan.run(
          time,
          duration,
          status,
          json(attributes),
          json(links),
          open.conversation_id ?? text(r.conversationId),
          open.turn_id ?? text(r.turnId),
          open.parent_span_id ?? text(r.parentSpanId),
          open.id,
        );
      } else {
        this.#insertSpan.run(
          r.spanId,
          text(r.parentSpanId),
          otlpTraceId(r, this.#lookup),
          String(r.name ?? ""),
          time - (duration ?? 0),
          time,
          duration,
          status,
          String(r.extensionId ?? ""),
          text(r.conversationId),
          text(r.turnId),
          json({ ...(r.attributes as Record<string, unknown> | undefined) }),
          json(r.links ?? []),
          null,
          1,
        );
        counts.closesWithoutOpen++;
      }
      counts.spanCloses++;
    }
    return counts;
  }
}

/**
 * Opens (creating if needed) the SQLite trace store at `path`, with the schema in place.
 * The runtime's own SQLite is loaded on this first call, not before.
 *
 * @param path The database file, or `":memory:"`.
 * @returns The store; `close()` it when done.
 *
 * @example
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * if (store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n !== 0) throw new Error("not empty");
 * store.close();
 * ```
 */
export async function openTraceStore(path: string): Promise<TraceStore> {
  const db = await openSqlite(path);
  try {
    applyTraceStoreSchema(db);
    return new TraceStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}
