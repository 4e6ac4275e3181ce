/**
 * Multi-row INSERTs of a plan's flat rows: a statement per row costs node:sqlite and Deno
 * about as much as SQLite's own work for the row (measured: bench/RESULTS.md, collector).
 *
 * @module
 */

import type { PlanValue } from "./row_plan.ts";
import { prepareLater, type SqliteDatabase, type SqlStatement } from "./sqlite.ts";

/** Rows per multi-row INSERT. */
export const ROWS_PER_INSERT = 32;

/**
 * INSERTs rows of one table, {@linkcode ROWS_PER_INSERT} a statement while there are as
 * many, then one a statement. Statements are compiled when first used.
 *
 * @example
 * ```ts
 * import { RowInserter } from "./row_inserter.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * db.exec("CREATE TABLE t (a, b)");
 * new RowInserter(db, "t", ["a", "b"]).insert([1, "x", 2, "y"], 0, 4);
 * if (db.prepare("SELECT count(*) AS n FROM t").get()?.n !== 2) throw new Error("not inserted");
 * db.close();
 * ```
 */
export class RowInserter {
  private many: SqlStatement;
  private one: SqlStatement;
  private width: number;
  /** The parameters of one statement, reused (no array a statement). */
  private scratch: PlanValue[];
  private scratchOne: PlanValue[];

  /**
   * @param db The connection.
   * @param table The table.
   * @param columns Its columns, in the rows' order.
   */
  constructor(db: SqliteDatabase, table: string, columns: readonly string[]) {
    const width = columns.length;
    const head = `INSERT INTO ${table} (${columns.join(", ")}) VALUES`;
    const row = `(${new Array(width).fill("?").join(", ")})`;
    this.many = prepareLater(db, `${head} ${new Array(ROWS_PER_INSERT).fill(row).join(", ")}`);
    this.one = prepareLater(db, `${head} ${row}`);
    this.width = width;
    this.scratch = new Array(ROWS_PER_INSERT * width).fill(null);
    this.scratchOne = new Array(width).fill(null);
  }

  /** Inserts the rows whose values are from `start` to `end` of `values`, in order. */
  insert(values: PlanValue[], start: number, end: number): void {
    const width = this.width;
    const step = ROWS_PER_INSERT * width;
    const many = this.scratch;
    let at = start;
    for (; at + step <= end; at += step) {
      for (let i = 0; i < step; i++) many[i] = values[at + i];
      this.many.write(many);
    }
    const one = this.scratchOne;
    for (; at < end; at += width) {
      for (let i = 0; i < width; i++) one[i] = values[at + i];
      this.one.write(one);
    }
  }
}
