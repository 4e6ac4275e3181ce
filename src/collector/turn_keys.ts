/**
 * The `turns` rows of a store's scopes (a conversation and turn pair): the key a row points
 * at, created when new, and the first and last time of the scope's records, widened once a
 * batch.
 *
 * @module
 */

import { RecentMap } from "./recent_map.ts";
import { prepareLater, type SqliteDatabase, type SqlStatement } from "./sqlite.ts";

/** How many scopes' keys are remembered at least. */
const REMEMBERED_TURNS = 100_000;

/**
 * Turn keys by scope, the recent ones cached, and the batch's times per key.
 *
 * @example
 * ```ts
 * import { TurnKeys } from "./turn_keys.ts";
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * const turns = new TurnKeys(db);
 * const key = turns.key("c", "t", 5, 9);
 * if (key !== turns.key("c", "t", 1, 1) || turns.key(null, null, 1, 1) !== null) throw new Error("key");
 * turns.flush();
 * if (db.prepare("SELECT first_ms AS f FROM turns").get()?.f !== 1) throw new Error("times");
 * db.close();
 * ```
 */
export class TurnKeys {
  private keys = new RecentMap<string, number>(REMEMBERED_TURNS);
  /** First and last record time per turn key in this batch. */
  private times = new Map<number, { first: number; last: number }>();
  private find: SqlStatement;
  private insert: SqlStatement;
  private touch: SqlStatement;

  /** @param db A connection to a trace store. */
  constructor(db: SqliteDatabase) {
    this.find = prepareLater(
      db,
      "SELECT turn_key FROM turns WHERE turn_id IS ? AND conversation_id IS ? ORDER BY turn_key LIMIT 1",
    );
    this.insert = prepareLater(
      db,
      "INSERT INTO turns (turn_id, conversation_id, first_ms, last_ms) VALUES (?, ?, ?, ?)",
    );
    this.touch = prepareLater(
      db,
      "UPDATE turns SET first_ms = min(first_ms, ?), last_ms = max(last_ms, ?) WHERE turn_key = ?",
    );
  }

  /**
   * The `turns` row of a scope whose records span `first` to `last` (created when new), its
   * times widened; `null` for a record with neither conversation nor turn.
   */
  key(
    conversation: string | null,
    turn: string | null,
    first: number,
    last: number,
  ): number | null {
    if (conversation === null && turn === null) return null;
    const scope = `${conversation ?? "\u0001"}\u0000${turn ?? "\u0001"}`;
    let key = this.keys.get(scope);
    if (key === undefined) {
      const row = this.find.get(turn, conversation);
      key = row === undefined
        ? this.insert.run(turn, conversation, first, last).lastInsertRowid
        : Number(row.turn_key);
      this.keys.set(scope, key);
    }
    this.widen(key, first, last);
    return key;
  }

  /** Widens the batch's first and last time of turn `key`. */
  widen(key: number, first: number, last: number): void {
    const times = this.times.get(key);
    if (times === undefined) this.times.set(key, { first, last });
    else {
      if (last > times.last) times.last = last;
      if (first < times.first) times.first = first;
    }
  }

  /** Writes the batch's times: a statement per key. */
  flush(): void {
    for (const [key, times] of this.times) this.touch.run(times.first, times.last, key);
    this.times.clear();
  }

  /** Forgets the keys (rows were deleted) and, after a rolled-back batch, its times. */
  forget(): void {
    this.keys.clear();
    this.times.clear();
  }
}
