/**
 * The SQLite schema of the trace store: plain tables users query with plain SQL.
 *
 * @module
 */

import type { SqliteDatabase } from "./sqlite.ts";

/**
 * The version of {@linkcode TRACE_STORE_SCHEMA}, kept in `PRAGMA user_version` so a later
 * release can migrate a store written by this one.
 */
export const TRACE_STORE_SCHEMA_VERSION = 1;

/**
 * The DDL of the trace store. Times are milliseconds since the Unix epoch; `attributes`,
 * `links` and `body` are JSON text (query them with SQLite's `->>` / `json_extract`).
 *
 * - `logs`: one row per log entry, in journal order (`id`).
 * - `spans`: one row per span: its `span-open` inserts it with `status = 'open'`, its
 *   `span-close` completes it (`end_ms`, `duration_ms`, `status` `'ok'` or `'error'`, the
 *   close's attributes merged over the open's). A close whose open was never read inserts
 *   a row with `close_without_open = 1` and `start_ms = end_ms - duration_ms`. A reused
 *   span id gets a row per open, as in `reconstructTraces`.
 * - `trace_id` (both tables): the OTLP trace id the exporter would give the record
 *   (32 hex digits), so rows and exported traces join up.
 * - `positions`: where the collector is in each generation of each journal, committed in
 *   the same transaction as the rows read from it.
 *
 * @example The tables a store has
 * ```ts
 * import { TRACE_STORE_SCHEMA } from "./schema.ts";
 * for (const table of ["logs", "spans", "positions"]) {
 *   if (!TRACE_STORE_SCHEMA.includes(`CREATE TABLE IF NOT EXISTS ${table}`)) throw new Error(table);
 * }
 * ```
 */
export const TRACE_STORE_SCHEMA: string = `
CREATE TABLE IF NOT EXISTS logs (
  id              INTEGER PRIMARY KEY,
  timestamp_ms    INTEGER NOT NULL,
  level           TEXT    NOT NULL,
  msg             TEXT    NOT NULL,
  extension_id    TEXT    NOT NULL,
  conversation_id TEXT,
  turn_id         TEXT,
  span_id         TEXT,
  trace_id        TEXT,
  attributes      TEXT,
  body            TEXT
);
CREATE INDEX IF NOT EXISTS logs_by_time         ON logs (timestamp_ms);
CREATE INDEX IF NOT EXISTS logs_by_trace        ON logs (trace_id);
CREATE INDEX IF NOT EXISTS logs_by_span         ON logs (span_id);
CREATE INDEX IF NOT EXISTS logs_by_conversation ON logs (conversation_id, timestamp_ms);
CREATE INDEX IF NOT EXISTS logs_by_turn         ON logs (turn_id, timestamp_ms);

CREATE TABLE IF NOT EXISTS spans (
  id                 INTEGER PRIMARY KEY,
  span_id            TEXT    NOT NULL,
  parent_span_id     TEXT,
  trace_id           TEXT,
  name               TEXT    NOT NULL,
  start_ms           INTEGER NOT NULL,
  end_ms             INTEGER,
  duration_ms        REAL,
  status             TEXT    NOT NULL CHECK (status IN ('ok', 'error', 'open')),
  extension_id       TEXT    NOT NULL,
  conversation_id    TEXT,
  turn_id            TEXT,
  attributes         TEXT,
  links              TEXT,
  body               TEXT,
  close_without_open INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS spans_by_span_id     ON spans (span_id);
CREATE INDEX IF NOT EXISTS spans_by_parent      ON spans (parent_span_id);
CREATE INDEX IF NOT EXISTS spans_by_trace       ON spans (trace_id);
CREATE INDEX IF NOT EXISTS spans_by_conversation ON spans (conversation_id, start_ms);
CREATE INDEX IF NOT EXISTS spans_by_turn        ON spans (turn_id, start_ms);
CREATE INDEX IF NOT EXISTS spans_by_start       ON spans (start_ms);
-- Status: partial indexes, so the many spans that end 'ok' cost no index entry.
CREATE INDEX IF NOT EXISTS spans_open           ON spans (start_ms) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS spans_failed         ON spans (start_ms) WHERE status = 'error';
CREATE INDEX IF NOT EXISTS spans_by_duration    ON spans (duration_ms);

CREATE TABLE IF NOT EXISTS positions (
  journal      TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  head_hex     TEXT    NOT NULL,
  byte_offset  INTEGER NOT NULL,
  complete     INTEGER NOT NULL DEFAULT 0,
  path         TEXT    NOT NULL,
  seen_ms      INTEGER NOT NULL,
  PRIMARY KEY (journal, key)
);
`;

/**
 * Creates the tables and indexes when missing and sets the pragmas the collector relies
 * on: WAL (readers never block the collector) and `synchronous = NORMAL` (a committed
 * transaction survives a killed process; after a power loss the store rolls back to an
 * earlier commit, and since positions commit with rows, still loses or doubles nothing).
 *
 * @param db An open connection.
 * @throws {Error} When the store was written by a newer schema version.
 *
 * @example
 * ```ts
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * if (db.prepare("SELECT count(*) AS n FROM spans").get()?.n !== 0) throw new Error("no table");
 * db.close();
 * ```
 */
export function applyTraceStoreSchema(db: SqliteDatabase): void {
  db.exec(
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536;",
  );
  const version = Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
  if (version > TRACE_STORE_SCHEMA_VERSION) {
    throw new Error(
      `trace store schema version ${version} is newer than this journal-sink (${TRACE_STORE_SCHEMA_VERSION})`,
    );
  }
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(TRACE_STORE_SCHEMA);
    db.exec(`PRAGMA user_version = ${TRACE_STORE_SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
