/**
 * The SQLite trace store: records in, rows out, and the collector's read positions kept
 * in the same transactions as the rows.
 *
 * @module
 */

import type { JournalRecord } from "../reader/journal_record.ts";
import { type FilePosition, fromHex, matchPosition, toHex } from "../reader/file_identity.ts";
import { applyTraceStoreSchema, checkTraceStoreVersion } from "./schema.ts";
import {
  openSqlite,
  prepareLater,
  type SqliteDatabase,
  type SqlStatement,
  type SqlValue,
  UnreadableWalError,
} from "./sqlite.ts";
import { BatchPlanner } from "./batch_planner.ts";
import type { RowPlan } from "./row_plan.ts";
import { type IngestCounts, StoreWriter } from "./store_writer.ts";

export type { IngestCounts } from "./store_writer.ts";

function positionOf(row: Record<string, SqlValue>): FilePosition {
  return {
    key: String(row.key),
    head: fromHex(String(row.head_hex)),
    offset: Number(row.byte_offset),
    complete: Number(row.complete) === 1,
    path: String(row.path),
    seenMs: Number(row.seen_ms),
  };
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
  /** Plans the records given to `ingest` and `commit` (a collector's worker plans its own). */
  private planner = new BatchPlanner();
  /** Writes the planned batches. */
  private writer: StoreWriter;
  private selectPositions: SqlStatement;
  private everyPosition: SqlStatement;
  private deletePositions: SqlStatement;
  private insertPosition: SqlStatement;

  /** Opened with `readOnly`: the store is read, never written nor migrated. */
  readonly readOnly: boolean;

  /**
   * Wraps a connection whose schema is in place (use {@linkcode openTraceStore}).
   * Statements are compiled when first used, so a read-only store of an older schema
   * version serves the queries its tables allow.
   *
   * @param db The connection.
   * @param options `readOnly` when the connection is.
   */
  constructor(db: SqliteDatabase, options: { readOnly?: boolean } = {}) {
    this.db = db;
    this.readOnly = options.readOnly === true;
    this.writer = new StoreWriter(db);
    this.selectPositions = prepareLater(
      db,
      "SELECT key, head_hex, byte_offset, complete, path, seen_ms FROM positions WHERE journal = ?",
    );
    // A table of a few rows per journal.
    this.everyPosition = prepareLater(
      db,
      "SELECT key, head_hex, byte_offset, complete, path, seen_ms FROM positions ORDER BY seen_ms DESC",
    );
    this.deletePositions = prepareLater(db, "DELETE FROM positions WHERE journal = ?");
    this.insertPosition = prepareLater(
      db,
      `INSERT OR REPLACE INTO positions (journal, key, head_hex, byte_offset, complete, path,
         seen_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /**
   * Forgets what the store caches about its rows (turn keys, the longest durations): call
   * it after deleting rows with SQL ({@linkcode pruneTraceStore} does).
   */
  refresh(): void {
    this.writer.refresh();
  }

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
    return this.transaction(() => this.writer.write(this.planner.plan(records)));
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
    return this.commitPlan(journal, this.planner.plan(records), positions);
  }

  /**
   * {@linkcode TraceStore.commit} of a batch planned elsewhere (a collector's worker):
   * `plan` must come from one `BatchPlanner` that planned every batch of the journal before
   * it, in order. The collector's own machinery, not part of the published API.
   *
   * @ignore
   *
   * @param journal The journal's path, as the positions' key.
   * @param plan The batch's row operations.
   * @param positions Every known file position after the batch.
   * @returns What was done with the records.
   */
  commitPlan(
    journal: string,
    plan: RowPlan,
    positions: readonly FilePosition[],
  ): IngestCounts {
    return this.transaction(() => {
      const counts = this.writer.write(plan);
      this.deletePositions.run(journal);
      for (const p of positions) {
        this.insertPosition.run(
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
    return this.selectPositions.all(journal).map(positionOf);
  }

  /**
   * The position, under any journal, of the file whose data starts with `head` (the
   * longest identity that is a prefix of it): a journal moved or renamed finds its files'
   * positions here (`tailPass`'s `movedFrom`).
   *
   * @param head The file's first bytes.
   * @returns The position, or `undefined` for a file never collected.
   *
   * @example
   * ```ts
   * import { openTraceStore } from "@dispatch/journal-sink/collector";
   * const store = await openTraceStore(":memory:");
   * const head = new TextEncoder().encode('{"kind":"log"}\n');
   * store.commit("/old/app.jsonl", [], [
   *   { key: "k", head, offset: head.length, complete: false, path: "/old/app.jsonl", seenMs: 0 },
   * ]);
   * if (store.positionOfFile(head)?.offset !== head.length) throw new Error("not found");
   * store.close();
   * ```
   */
  positionOfFile(head: Uint8Array): FilePosition | undefined {
    return matchPosition(this.allPositions(), head);
  }

  /**
   * Every position the store holds, under any journal, most recently seen first: what
   * {@linkcode TraceStore.positionOfFile} matches a head against (a collector's worker
   * takes them along).
   *
   * @returns The positions.
   */
  allPositions(): FilePosition[] {
    return this.everyPosition.all().map(positionOf);
  }

  /** Releases the connection. */
  close(): void {
    this.db.close();
  }

  /**
   * Runs `work` in one transaction: all of it is written, or none (and then what the store
   * caches about its rows is forgotten). The one transaction of every writer of the store:
   * ingest, commits, retention. The collector's own machinery, not part of the published API.
   *
   * @ignore
   *
   * @param work What to do in the transaction.
   * @returns What `work` returned.
   */
  transaction<T>(work: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      try {
        this.db.exec("ROLLBACK");
      } catch {
        // SQLite ended the transaction itself (a full disk, an I/O error): what went wrong
        // is `error`, not "cannot rollback - no transaction is active".
      }
      this.planner.clear();
      this.writer.forget();
      throw error;
    }
  }
}

/**
 * Options of {@linkcode openTraceStore}.
 *
 * @example
 * ```ts
 * import type { OpenTraceStoreOptions } from "@dispatch/journal-sink/collector";
 * const options: OpenTraceStoreOptions = { readOnly: true };
 * if (!options.readOnly) throw new Error("unreachable");
 * ```
 */
export interface OpenTraceStoreOptions {
  /**
   * Read an existing store only (queries, the viewer): never created, migrated or written
   * (the driver refuses writes, and `PRAGMA query_only` besides), while a collector may
   * keep filling it. A missing store is an error.
   * @default {false}
   */
  readOnly?: boolean;
}

/**
 * Opens (creating if needed) the SQLite trace store at `path`, with the schema in place
 * (an older store is migrated), or, `readOnly`, an existing store as it is.
 * The runtime's own SQLite is loaded on this first call, not before.
 *
 * @param path The database file, or `":memory:"`.
 * @param options `readOnly`.
 * @returns The store; `close()` it when done.
 * @throws {Error} `no trace store at PATH` when `readOnly` and there is none; when the store
 *   was written by a newer schema version.
 *
 * @example
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * if (store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n !== 0) throw new Error("not empty");
 * store.close();
 * ```
 */
export async function openTraceStore(
  path: string,
  options: OpenTraceStoreOptions = {},
): Promise<TraceStore> {
  if (options.readOnly) {
    let db: SqliteDatabase;
    try {
      db = await openSqlite(path, { readOnly: true });
    } catch (error) {
      // A store that is there but cannot be read where it is: openSqlite says why.
      if (error instanceof UnreadableWalError) throw error;
      throw new Error(`no trace store at ${path}`, { cause: error });
    }
    try {
      db.exec("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;");
      checkTraceStoreVersion(db, path);
      return new TraceStore(db, { readOnly: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }
  const db = await openSqlite(path);
  try {
    applyTraceStoreSchema(db);
    return new TraceStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}
