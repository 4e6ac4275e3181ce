/**
 * The store's `slowest` flag: a span is flagged when its duration enters the longest
 * {@linkcode SLOWEST_KEPT} seen, so every span of the current top has it and `--slowest N`
 * reads only the flagged ones.
 *
 * @module
 */

import { SLOWEST_KEPT } from "./schema.ts";
import type { SqliteDatabase } from "./sqlite.ts";

/**
 * The longest durations ingested, a min-heap of at most {@linkcode SLOWEST_KEPT}, loaded from
 * the store when first needed.
 *
 * @example
 * ```ts
 * import { SlowestSpans } from "./slowest_spans.ts";
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * const slowest = new SlowestSpans(db);
 * if (slowest.flag(12) !== 1 || slowest.flag(null) !== null) throw new Error("flag");
 * db.close();
 * ```
 */
export class SlowestSpans {
  private db: SqliteDatabase;
  private heap: number[] | undefined;

  /** @param db A connection to a trace store. */
  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  /**
   * The `slowest` flag of a span of `duration`: 1 when it enters the longest kept, else
   * `null` (and `null` for a span without a duration).
   */
  flag(duration: number | null): 1 | null {
    if (duration === null) return null;
    const heap = this.heap ??= this.load();
    if (heap.length < SLOWEST_KEPT) {
      heap.push(duration);
      for (let i = heap.length - 1; i > 0;) {
        const up = (i - 1) >> 1;
        if (heap[up] <= heap[i]) break;
        [heap[up], heap[i]] = [heap[i], heap[up]];
        i = up;
      }
      return 1;
    }
    if (!(duration > heap[0])) return null;
    heap[0] = duration;
    for (let i = 0;;) {
      const l = 2 * i + 1, r = l + 1;
      let min = i;
      if (l < heap.length && heap[l] < heap[min]) min = l;
      if (r < heap.length && heap[r] < heap[min]) min = r;
      if (min === i) break;
      [heap[min], heap[i]] = [heap[i], heap[min]];
      i = min;
    }
    return 1;
  }

  /** Forgets the durations (rows were deleted, or a batch rolled back): read again. */
  forget(): void {
    this.heap = undefined;
  }

  /** The durations of the spans flagged slowest, read once from the store. */
  private load(): number[] {
    return this.db.prepare(
      `SELECT duration_ms FROM spans WHERE slowest = 1 AND status != 'open'
       ORDER BY duration_ms DESC LIMIT ${SLOWEST_KEPT}`,
    ).all().map((row) => Number(row.duration_ms)).sort((a, b) => a - b);
  }
}
