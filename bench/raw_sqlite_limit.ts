// The collector benches' physical limit: SQLite taking the same rows through prepared
// statements, with the store's tables but none of its secondary indexes. One home, so every
// bench that reports "÷ raw limit" divides by the same thing.
import type { LogRecord } from "../mod.ts";
import { TRACE_STORE_SCHEMA } from "../src/collector/schema.ts";
import { openSqlite, type SqlStatement } from "../src/collector/sqlite.ts";
import type { SqliteDatabase } from "../src/collector/sqlite.ts";

/** A store's tables without indexes, and one INSERT for logs and one for spans. */
export interface RawStore {
  db: SqliteDatabase;
  log: SqlStatement;
  span: SqlStatement;
  /** Inserts a batch's rows (logs' of 10 values, spans' of 15), in one transaction. */
  insert(rows: unknown[][]): void;
}

/** Rows per statement of the tuned raw limit: as many as the store's own INSERTs take. */
const ROWS_PER_INSERT = 32;

/**
 * Opens `path` as the raw limit's database (no secondary index): as the issue defines it, one
 * row per prepared statement with SQLite's WAL defaults; `tuned`, with the two things the
 * store does beyond that (32 rows a statement, a checkpoint every 10,000 pages), so the
 * collector can also be held against a limit that knows its tricks.
 */
export async function openRawStore(path: string, tuned = false): Promise<RawStore> {
  const db = await openSqlite(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;");
  if (tuned) db.exec("PRAGMA wal_autocheckpoint = 10000;");
  db.exec(TRACE_STORE_SCHEMA.replace(/^CREATE INDEX[^;]*;/gm, "")); // an index may span lines
  const logHead = `INSERT INTO logs (timestamp_ms, level, msg, extension_id, conversation_id,
    turn_id, span_id, trace_id, attributes, body) VALUES`;
  const spanHead = `INSERT INTO spans (span_id, parent_span_id, trace_id, name, start_ms, end_ms,
    duration_ms, status, extension_id, conversation_id, turn_id, attributes, links, body,
    close_without_open) VALUES`;
  const values = (width: number, rows: number) =>
    new Array(rows).fill(`(${new Array(width).fill("?").join(", ")})`).join(", ");
  const log = db.prepare(`${logHead} ${values(10, 1)}`);
  const span = db.prepare(`${spanHead} ${values(15, 1)}`);
  const logs = tuned ? db.prepare(`${logHead} ${values(10, ROWS_PER_INSERT)}`) : log;
  const spans = tuned ? db.prepare(`${spanHead} ${values(15, ROWS_PER_INSERT)}`) : span;
  const insert = (rows: unknown[][]) => {
    db.exec("BEGIN IMMEDIATE");
    if (!tuned) { for (const row of rows) (row.length === 10 ? log : span).run(...row); }
    else {
      for (const [width, one, many] of [[10, log, logs], [15, span, spans]] as const) {
        const mine = rows.filter((row) => row.length === width);
        let at = 0;
        for (; at + ROWS_PER_INSERT <= mine.length; at += ROWS_PER_INSERT) {
          many.run(...mine.slice(at, at + ROWS_PER_INSERT).flat());
        }
        for (; at < mine.length; at++) one.run(...mine[at]);
      }
    }
    db.exec("COMMIT");
  };
  return { db, log, span, insert };
}

/** The raw limit's row of a record: the values of `log` for a log entry, of `span` else. */
export function rawRow(r: LogRecord, trace: string | null): unknown[] {
  const a = r.attributes === undefined ? null : JSON.stringify(r.attributes);
  if (r.kind === "log") {
    return [
      r.timestamp,
      r.level,
      r.msg,
      r.extensionId,
      r.conversationId ?? null,
      r.turnId ?? null,
      r.spanId ?? null,
      trace,
      a,
      null,
    ];
  }
  const close = r.kind === "span-close";
  return [
    r.spanId,
    r.parentSpanId ?? null,
    trace,
    r.name,
    r.timestamp,
    close ? r.timestamp : null,
    close ? r.durationMs : null,
    close ? r.status : "open",
    r.extensionId,
    r.conversationId ?? null,
    r.turnId ?? null,
    a ?? "{}",
    "[]",
    null,
    0,
  ];
}
