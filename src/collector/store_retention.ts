/**
 * Retention of the trace store: old turns and surplus conversations deleted whole, in
 * small transactions, so a running collector and readers wait at most one of them.
 *
 * @module
 */

import { flagSlowest, USAGE_ROWS, USAGE_SUMS, usageGroupSpans } from "./schema.ts";
import type { SqlStatement, SqlValue } from "./sqlite.ts";
import type { TraceStore } from "./trace_store.ts";

/**
 * Options of {@linkcode pruneTraceStore}: at least one of `retainMs` and
 * `maxConversations`, or nothing is deleted.
 *
 * @example `collect --retain 7d --max-conversations 100`
 * ```ts
 * import type { PruneOptions } from "@dispatch/journal-sink/collector";
 * const options: PruneOptions = { retainMs: 7 * 86_400_000, maxConversations: 100 };
 * if (options.maxConversations !== 100) throw new Error("unreachable");
 * ```
 */
export interface PruneOptions {
  /**
   * Delete turns whose last activity (a span's start or end, a log entry) is older than
   * this many milliseconds, and rows without a turn that old.
   */
  retainMs?: number;
  /** Keep only this many conversations, those ingested most recently; delete the rest. */
  maxConversations?: number;
  /**
   * The time `retainMs` counts back from.
   * @default {Date.now()}
   */
  now?: number;
  /**
   * Rows deleted per transaction, about (a turn is never split across transactions unless
   * it alone has more rows).
   * @default {2000}
   */
  batchRows?: number;
}

/**
 * What {@linkcode pruneTraceStore} deleted.
 *
 * @example
 * ```ts
 * import type { PruneStats } from "@dispatch/journal-sink/collector";
 * const stats: PruneStats = { turns: 1, conversations: 0, spans: 4, logs: 5, transactions: 1 };
 * if (stats.spans !== 4) throw new Error("unreachable");
 * ```
 */
export interface PruneStats {
  /** Turns deleted for their age. */
  turns: number;
  /** Conversations deleted beyond `maxConversations`. */
  conversations: number;
  /** Span rows deleted. */
  spans: number;
  /** Log rows deleted. */
  logs: number;
  /** Transactions committed. */
  transactions: number;
}

/**
 * Deletes what the retention options say is old, whole turns and conversations at a time,
 * each transaction about `batchRows` rows (so a collector writing to the same store, and
 * readers, are held up at most that long), keeping the usage totals in step. Call it from
 * the collector between batches (`collect --retain 7d`, `--max-conversations N`); a store
 * nobody prunes keeps everything.
 *
 * A turn goes when all of it is older than the cutoff; conversations are ranked by their
 * most recently ingested span. Spans still open in a deleted turn go too: a close that
 * arrives later is stored as a close without open.
 *
 * @param store The trace store.
 * @param options What to keep.
 * @returns What was deleted.
 *
 * @example Keep one day
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * import { pruneTraceStore } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * const day = 86_400_000;
 * store.ingest([
 *   { kind: "log", level: "info", msg: "old", timestamp: 0, extensionId: "host", turnId: "t0" },
 *   { kind: "log", level: "info", msg: "new", timestamp: 2 * day, extensionId: "host", turnId: "t1" },
 * ]);
 * const stats = pruneTraceStore(store, { retainMs: day, now: 2 * day });
 * const left = store.db.prepare("SELECT msg FROM logs").all().map((row) => row.msg);
 * if (stats.turns !== 1 || left.join() !== "new") throw new Error(JSON.stringify({ stats, left }));
 * store.close();
 * ```
 */
export function pruneTraceStore(store: TraceStore, options: PruneOptions): PruneStats {
  const stats: PruneStats = { turns: 0, conversations: 0, spans: 0, logs: 0, transactions: 0 };
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? 2000));
  const db = store.db;
  // The usage counters (schema.ts's USAGE_SUMS), taken away per group: one list, so the
  // sums subtracted are those the ingest added.
  const sumColumns = USAGE_SUMS.map(([column]) => column);
  const sums = USAGE_SUMS.map(([column, sum]) => `${sum} AS ${column}`).join(", ");
  const subtract = db.prepare(
    `UPDATE usage_totals SET spans = spans - ?,
       ${sumColumns.map((c) => `${c} = ${c} - ?`).join(", ")}
     WHERE model = ? AND extension_id = ?`,
  );
  /** A group left with fewer spans: its first and last start again from its spans. */
  const restarts = new Map<string, SqlStatement>();
  const restart = (key: SqlValue[]) => {
    const [scope, hasKey, id, model, extension] = key;
    const variant = `${scope} ${hasKey}`;
    let statement = restarts.get(variant);
    if (statement === undefined) {
      const where = `${usageGroupSpans(scope as "turn", hasKey === 1)} AND ${USAGE_ROWS}
        AND coalesce(model, '') = ? AND extension_id = ?`;
      statement = db.prepare(
        `UPDATE usage_by SET first_ms = (SELECT min(start_ms) FROM spans WHERE ${where}),
           last_ms = (SELECT max(start_ms) FROM spans WHERE ${where})
         WHERE scope = ? AND has_key = ? AND key = ? AND model = ? AND extension_id = ?`,
      );
      restarts.set(variant, statement);
    }
    const inGroup = hasKey === 1 ? [id, model, extension] : [model, extension];
    statement.run(...inGroup, ...inGroup, ...key);
  };
  const rowsOfTurn = db.prepare(
    `SELECT (SELECT count(*) FROM spans WHERE turn_key = ?1) +
       (SELECT count(*) FROM logs WHERE turn_key = ?1) AS n`,
  );
  const transaction = (work: () => void) => {
    store.transaction(work);
    stats.transactions++;
  };
  /** Deletes spans and logs matching `where`, the usage totals kept in step. */
  const remove = (where: string, limit?: number, logWhere = where) => {
    const cap = limit === undefined ? "" : ` ORDER BY id LIMIT ${limit}`;
    const spanIds = db.prepare(`SELECT id FROM spans WHERE ${where}${cap}`).all()
      .map((row) => Number(row.id));
    if (spanIds.length > 0) {
      const list = spanIds.join(",");
      const usage = db.prepare(
        `SELECT coalesce(model, '') AS m, extension_id AS e, count(*) AS n, ${sums}
         FROM spans WHERE id IN (${list}) AND ${USAGE_ROWS} GROUP BY 1, 2`,
      ).all();
      for (const u of usage) {
        subtract.run(u.n, ...sumColumns.map((column) => u[column]), u.m, u.e);
      }
      let shrunk: SqlValue[][] = [];
      if (usage.length > 0) {
        db.exec("DELETE FROM usage_totals WHERE spans <= 0");
        // The same per turn and conversation, set-based: a retention pass meets many groups.
        const deltas = [["turn", "turn_id"], ["conversation", "conversation_id"]].map((
          [scope, column],
        ) =>
          `SELECT '${scope}', ${column} IS NOT NULL, coalesce(${column}, ''),
             coalesce(model, ''), extension_id, count(*), ${sums}
           FROM spans WHERE id IN (${list}) AND ${USAGE_ROWS} GROUP BY 2, 3, 4, 5`
        ).join(" UNION ALL ");
        db.exec(`CREATE TEMP TABLE IF NOT EXISTS usage_delta (s, h, k, m, e, n,
            ${sumColumns.join(", ")});
          DELETE FROM temp.usage_delta;
          INSERT INTO temp.usage_delta ${deltas};
          UPDATE usage_by SET spans = spans - d.n,
            ${sumColumns.map((c) => `${c} = usage_by.${c} - d.${c}`).join(", ")}
          FROM temp.usage_delta AS d WHERE usage_by.scope = d.s AND usage_by.has_key = d.h
            AND usage_by.key = d.k AND usage_by.model = d.m AND usage_by.extension_id = d.e;
          DELETE FROM usage_by WHERE spans <= 0
            AND (scope, has_key, key, model, extension_id) IN (SELECT s, h, k, m, e FROM temp.usage_delta);`);
        // The groups left with fewer spans: their first and last start again once those go.
        shrunk = db.prepare(
          `SELECT d.s, d.h, d.k, d.m, d.e FROM temp.usage_delta AS d JOIN usage_by AS u
             ON u.scope = d.s AND u.has_key = d.h AND u.key = d.k AND u.model = d.m
             AND u.extension_id = d.e`,
        ).all().map((row) => [row.s, Number(row.h), row.k, row.m, row.e]);
      }
      stats.spans += db.prepare(`DELETE FROM spans WHERE id IN (${list})`).run().changes;
      for (const key of shrunk) restart(key);
    }
    const logIds = db.prepare(`SELECT id FROM logs WHERE ${logWhere}${cap}`).all().map((r) => r.id);
    if (logIds.length > 0) {
      stats.logs += db.prepare(`DELETE FROM logs WHERE id IN (${logIds.join(",")})`).run().changes;
    }
    return spanIds.length + logIds.length;
  };
  /** Deletes whole turns, several to a transaction of about `batchRows` rows. */
  const removeTurns = (keys: number[]) => {
    let chunk: number[] = [];
    let rows = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      const list = chunk.join(",");
      transaction(() => {
        remove(`turn_key IN (${list})`);
        db.exec(`DELETE FROM turns WHERE turn_key IN (${list})`);
      });
      chunk = [];
      rows = 0;
    };
    for (const key of keys) {
      const size = Number(rowsOfTurn.get(key)?.n ?? 0);
      if (size > batchRows) {
        // A turn too big for one transaction: its rows go in chunks, oldest first, then it.
        flush();
        let deleted = batchRows;
        while (deleted >= batchRows) {
          transaction(() => deleted = remove(`turn_key = ${key}`, batchRows));
        }
        transaction(() => db.exec(`DELETE FROM turns WHERE turn_key = ${key}`));
        continue;
      }
      chunk.push(key);
      rows += size;
      if (rows >= batchRows) flush();
    }
    flush();
  };
  const keys = (sql: string, ...params: SqlValue[]) =>
    db.prepare(sql).all(...params).map((row) => Number(row.turn_key));

  if (options.maxConversations !== undefined) {
    const keep = Math.max(0, Math.floor(options.maxConversations));
    const doomed = db.prepare(
      `SELECT conversation_id AS c FROM turns WHERE conversation_id IS NOT NULL
       GROUP BY conversation_id ORDER BY max(last_ms) DESC, conversation_id LIMIT -1 OFFSET ?`,
    ).all(keep).map((row) => String(row.c));
    // Their turns together, so small conversations share transactions.
    removeTurns(
      doomed.flatMap((id) => keys("SELECT turn_key FROM turns WHERE conversation_id = ?", id)),
    );
    stats.conversations += doomed.length;
  }

  if (options.retainMs !== undefined) {
    const cutoff = Math.floor((options.now ?? Date.now()) - Math.max(0, options.retainMs));
    if (!Number.isFinite(cutoff)) throw new TypeError("retainMs and now must be finite numbers");
    const old = keys("SELECT turn_key FROM turns WHERE last_ms < ? ORDER BY last_ms", cutoff);
    removeTurns(old);
    stats.turns += old.length;
    // Rows with neither conversation nor turn go by their own time.
    const spans =
      `turn_key IS NULL AND start_ms < ${cutoff} AND coalesce(end_ms, start_ms) < ${cutoff}`;
    const logs = `turn_key IS NULL AND timestamp_ms < ${cutoff}`;
    let deleted = batchRows;
    while (deleted >= batchRows) transaction(() => deleted = remove(spans, batchRows, logs));
  }
  if (stats.spans > 0) {
    // Flagged spans may be gone: flag the longest of those left.
    transaction(() => flagSlowest(db));
  }
  store.refresh();
  return stats;
}
