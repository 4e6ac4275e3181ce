/**
 * The record filter shared by the reader and the CLI: one predicate compiled from options.
 *
 * @module
 */

import { levelRank } from "../levels.ts";
import type { Level } from "../records.ts";
import type { JournalRecord } from "./journal_record.ts";

/**
 * Which records to keep. Every criterion given must hold; an empty filter keeps all.
 *
 * @example Warnings and errors of one turn
 * ```ts
 * import type { RecordFilter } from "@dispatch/journal-sink";
 * const filter: RecordFilter = { kinds: ["log"], minLevel: "warn", turnId: "t1" };
 * if (filter.minLevel !== "warn") throw new Error("unreachable");
 * ```
 */
export interface RecordFilter {
  /** Keep only these kinds (`"log"`, `"span-open"`, `"span-close"`, or future ones). */
  kinds?: readonly string[];
  /**
   * Keep records whose `level` is at least this. Records without a `level` (span records)
   * and records with a level this version does not know are kept: combine with
   * `kinds: ["log"]` to see log entries only.
   */
  minLevel?: Level;
  /** Keep records with `timestamp >= since` (milliseconds since the epoch, or a Date). */
  since?: number | Date;
  /** Keep records with `timestamp < until` (exclusive, so ranges compose). */
  until?: number | Date;
  /** Keep records of this conversation. */
  conversationId?: string;
  /** Keep records of this turn. */
  turnId?: string;
  /** Keep records written by this extension. */
  extensionId?: string;
  /** Keep records of this trace (their `traceId`, 32 hex digits, compared lowercased). */
  traceId?: string;
}

function millis(value: number | Date | undefined): number | undefined {
  return value instanceof Date ? value.getTime() : value;
}

/**
 * Compiles a filter into one predicate, or `undefined` when it keeps everything.
 *
 * @param filter The criteria.
 * @returns The predicate.
 *
 * @example
 * ```ts
 * import { compileFilter } from "./record_filter.ts";
 * const keep = compileFilter({ minLevel: "warn" });
 * if (!keep || keep({ kind: "log", level: "info", msg: "", timestamp: 0, extensionId: "x" })) {
 *   throw new Error("info should be filtered out");
 * }
 * ```
 */
export function compileFilter(
  filter: RecordFilter,
): ((record: JournalRecord) => boolean) | undefined {
  const tests: ((record: Record<string, unknown>) => boolean)[] = [];
  if (filter.kinds) {
    const kinds = new Set<string>(filter.kinds);
    tests.push((record) => kinds.has(record.kind as string));
  }
  if (filter.minLevel !== undefined) {
    const min = levelRank(filter.minLevel);
    if (min === undefined) throw new TypeError(`unknown level: ${filter.minLevel}`);
    tests.push((record) => {
      const rank = levelRank(record.level);
      return rank === undefined || rank >= min;
    });
  }
  const since = millis(filter.since);
  const until = millis(filter.until);
  if (since !== undefined || until !== undefined) {
    const from = since ?? -Infinity;
    const to = until ?? Infinity;
    tests.push((record) => {
      const time = record.timestamp;
      return typeof time === "number" && time >= from && time < to;
    });
  }
  for (const key of ["conversationId", "turnId", "extensionId"] as const) {
    const wanted = filter[key];
    if (wanted !== undefined) tests.push((record) => record[key] === wanted);
  }
  if (filter.traceId !== undefined) {
    const wanted = filter.traceId.toLowerCase();
    tests.push((record) =>
      typeof record.traceId === "string" && record.traceId.toLowerCase() === wanted
    );
  }
  if (tests.length === 0) return undefined;
  return (record) => {
    const fields = record as Record<string, unknown>;
    for (const test of tests) if (!test(fields)) return false;
    return true;
  };
}
