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
}

/** Opens `path` as the raw limit's database (the store's pragmas, no secondary index). */
export async function openRawStore(path: string): Promise<RawStore> {
  const db = await openSqlite(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;");
  db.exec(TRACE_STORE_SCHEMA.replace(/^CREATE INDEX.*$/gm, ""));
  const log = db.prepare(
    `INSERT INTO logs (timestamp_ms, level, msg, extension_id, conversation_id, turn_id,
       span_id, trace_id, attributes, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const span = db.prepare(
    `INSERT INTO spans (span_id, parent_span_id, trace_id, name, start_ms, end_ms, duration_ms,
       status, extension_id, conversation_id, turn_id, attributes, links, body,
       close_without_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return { db, log, span };
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
