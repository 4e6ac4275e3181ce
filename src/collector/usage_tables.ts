/**
 * Usage sums into the store's `usage_totals` and `usage_by` tables: an upsert per key that
 * adds (or, negative, takes away) a batch's sums.
 *
 * @module
 */

import { prepareLater, type SqliteDatabase, type SqlStatement } from "./sqlite.ts";
import { USAGE_SUMS } from "./schema.ts";
import { USAGE_SUM_FIELDS, type UsageDelta } from "./usage_deltas.ts";

/** The usage counters both usage tables add up on conflict: one list, so the two agree. */
const SUM_COLUMNS = USAGE_SUMS.map(([column]) => column);
const SUM_FIELDS = SUM_COLUMNS.map((column) => USAGE_SUM_FIELDS[column]);
const ADD_USAGE_SUMS = SUM_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`)
  .join(",\n         ");
const PLACES = SUM_COLUMNS.map(() => "?").join(", ");

/**
 * Writes usage deltas (what `UsageDeltas.take()` returns) into the usage tables.
 *
 * @example
 * ```ts
 * import { UsageTables } from "./usage_tables.ts";
 * import { UsageDeltas } from "./usage_deltas.ts";
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * const deltas = new UsageDeltas();
 * deltas.count({ model: "m", inputTokens: 10, outputTokens: 2, costUsd: null }, "host", 1, "t", "c", 5);
 * new UsageTables(db).add(deltas.take());
 * if (db.prepare("SELECT input_tokens AS i FROM usage_totals").get()?.i !== 10) throw new Error("sum");
 * db.close();
 * ```
 */
export class UsageTables {
  private addTotal: SqlStatement;
  private addScoped: SqlStatement;

  /** @param db A connection to a trace store. */
  constructor(db: SqliteDatabase) {
    this.addTotal = prepareLater(
      db,
      `INSERT INTO usage_totals (model, extension_id, spans, ${SUM_COLUMNS.join(", ")})
         VALUES (?, ?, ?, ${PLACES})
       ON CONFLICT (model, extension_id) DO UPDATE SET spans = spans + excluded.spans,
         ${ADD_USAGE_SUMS}`,
    );
    this.addScoped = prepareLater(
      db,
      `INSERT INTO usage_by (scope, has_key, key, model, extension_id, first_ms, last_ms, spans,
         ${SUM_COLUMNS.join(", ")}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${PLACES})
       ON CONFLICT (scope, has_key, key, model, extension_id) DO UPDATE SET
         first_ms = coalesce(min(first_ms, excluded.first_ms), first_ms, excluded.first_ms),
         last_ms = coalesce(max(last_ms, excluded.last_ms), last_ms, excluded.last_ms),
         spans = spans + excluded.spans,
         ${ADD_USAGE_SUMS}`,
    );
  }

  /** Adds the deltas: a statement per key. */
  add(deltas: readonly UsageDelta[]): void {
    for (const d of deltas) {
      const sums = SUM_FIELDS.map((field) => d[field]);
      if (d.scope === null) this.addTotal.run(d.model, d.extensionId, d.spans, ...sums);
      else {
        this.addScoped.run(
          d.scope,
          d.id === null ? 0 : 1,
          d.id ?? "",
          d.model,
          d.extensionId,
          d.first === Infinity ? null : d.first,
          d.last === -Infinity ? null : d.last,
          d.spans,
          ...sums,
        );
      }
    }
  }
}
