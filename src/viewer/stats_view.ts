/**
 * What `/stats` answers: for a time range, one row per span name, per model and per tool
 * (`gen_ai.tool.name`) with calls, errors, duration percentiles, tokens and cost; calls and
 * errors over time; the slowest and the most expensive turns. The rules both sources answer by
 * (the percentile's rank, the chart's bucket width, which turns are listed) live here.
 *
 * @module
 */

/** What a row groups by: the span's name, its model (`readUsage`), its tool. */
export type StatsKind = "name" | "model" | "tool";

/** One row of `/stats`: the finished spans of one name, model or tool in the range. */
export interface StatsRow {
  /** What the row groups by. */
  kind: StatsKind;
  /** The name, model or tool. */
  key: string;
  /** Finished spans (open ones are not counted: they have no duration yet). */
  calls: number;
  /** Of them, those that closed with status `error`. */
  errors: number;
  /** `errors / calls`. */
  errorRate: number;
  /** Durations, ms, by nearest rank ({@linkcode percentileRank}). */
  p50Ms: number;
  /** See `p50Ms`. */
  p95Ms: number;
  /** See `p50Ms`. */
  p99Ms: number;
  /** Input tokens, by `readUsage` (the cached ones inside). */
  inputTokens: number;
  /** Output tokens. */
  outputTokens: number;
  /** Known cost, USD (`span_cost.ts`'s rule); absent when no span's cost is known. */
  costUsd?: number;
}

/** A turn `/stats` links to: one of the slowest or the most expensive of the range. */
export interface StatsTurn {
  /** The turn. */
  turnId: string;
  /** Its first span's start, ms since the epoch. */
  start: number;
  /** From its first start to its last record, ms. */
  durationMs: number;
  /** Its known cost, USD. */
  costUsd?: number;
}

/** Calls and errors over time: `calls[i]` started in `[start + i·bucketMs, … + bucketMs)`. */
export interface StatsChart {
  /** The first bucket's start, ms since the epoch. */
  start: number;
  /** Each bucket's width, ms. */
  bucketMs: number;
  /** Finished spans that started in each bucket. */
  calls: number[];
  /** Of them, the failed ones. */
  errors: number[];
}

/** The range `/stats` is asked for (`?from=&to=`, ms since the epoch; absent: unbounded). */
export interface StatsQuery {
  /** Spans that started at or after it. */
  from?: number;
  /** Spans that started before it. */
  to?: number;
}

/** The answer of `/api/stats`. */
export interface StatsAnswer {
  /**
   * The range answered: the one asked, or (a journal, which keeps its spans in time buckets)
   * widened to whole buckets; `null` where unbounded.
   */
  from: number | null;
  /** See `from`. */
  to: number | null;
  /** One row per name, model and tool, most calls first. */
  rows: StatsRow[];
  /** Calls and errors over time, at most {@linkcode MAX_CHART_BUCKETS} buckets. */
  chart: StatsChart;
  /** The slowest finished turns that started in the range, at most {@linkcode TOP_TURNS}. */
  slowest: StatsTurn[];
  /** The most expensive ones. */
  costliest: StatsTurn[];
  /**
   * `0` when the percentiles are exact (a store); else the largest relative error of one (a
   * journal's histogram: `0.022` is ±2.2 %).
   */
  percentileError: number;
  /** How many turns the slowest and costliest were picked from (a journal: those it indexes). */
  turnsSeen: number;
}

/** Buckets of the chart, at most. */
export const MAX_CHART_BUCKETS = 128;

/** Turns listed as the slowest and as the most expensive. */
export const TOP_TURNS = 5;

/** The narrowest bucket of the chart, ms. */
const FIRST_BUCKET_MS = 1000;

/**
 * The 1-based rank of the `p`th percentile of `n` sorted values, by nearest rank:
 * `ceil(p·n/100)`, at least 1 (integer arithmetic: no float rounding at the edges).
 *
 * @param n How many values.
 * @param p The percentile, a whole number 1 to 100.
 * @returns The rank.
 *
 * @example
 * ```ts
 * import { percentileRank } from "./stats_view.ts";
 * if (percentileRank(3, 50) !== 2 || percentileRank(100, 95) !== 95 || percentileRank(1, 99) !== 1) {
 *   throw new Error("nearest rank");
 * }
 * ```
 */
export function percentileRank(n: number, p: number): number {
  return Math.max(1, Math.floor((n * p + 99) / 100));
}

/**
 * The chart's bucket width for spans over `spanMs`: a second doubled until at most
 * {@linkcode MAX_CHART_BUCKETS} buckets hold them (the journal's buckets grow the same way).
 *
 * @param spanMs From the first start to the last, ms.
 * @returns The width, ms.
 *
 * @example
 * ```ts
 * import { chartBucketMs } from "./stats_view.ts";
 * if (chartBucketMs(0) !== 1000 || chartBucketMs(128_000) !== 2000) throw new Error("width");
 * ```
 */
export function chartBucketMs(spanMs: number): number {
  let width = FIRST_BUCKET_MS;
  while (Math.floor(spanMs / width) >= MAX_CHART_BUCKETS) width *= 2;
  return width;
}

/**
 * The slowest and the most expensive of some finished turns (ties: the newer first).
 *
 * @param turns The turns of the range.
 * @returns At most {@linkcode TOP_TURNS} of each.
 *
 * @example
 * ```ts
 * import { topTurns } from "./stats_view.ts";
 * const { slowest, costliest } = topTurns([
 *   { turnId: "a", start: 1, durationMs: 5, costUsd: 1 },
 *   { turnId: "b", start: 2, durationMs: 9 },
 * ]);
 * if (slowest[0].turnId !== "b" || costliest.length !== 1) throw new Error("top");
 * ```
 */
export function topTurns(
  turns: Iterable<StatsTurn>,
): { slowest: StatsTurn[]; costliest: StatsTurn[] } {
  const slowest: StatsTurn[] = [];
  const costliest: StatsTurn[] = [];
  const insert = (list: StatsTurn[], turn: StatsTurn, by: (t: StatsTurn) => number) => {
    const value = by(turn);
    if (list.length === TOP_TURNS) {
      const last = list[TOP_TURNS - 1];
      if (value < by(last) || (value === by(last) && turn.start <= last.start)) return;
      list.pop();
    }
    let at = list.length;
    while (
      at > 0 && (by(list[at - 1]) < value || (by(list[at - 1]) === value &&
        list[at - 1].start < turn.start))
    ) at--;
    list.splice(at, 0, turn);
  };
  for (const turn of turns) {
    insert(slowest, turn, (t) => t.durationMs);
    if (turn.costUsd !== undefined) insert(costliest, turn, (t) => t.costUsd ?? 0);
  }
  return { slowest, costliest };
}

/**
 * Rows in the answer's order: most calls first, then by kind and key.
 *
 * @param rows The rows.
 * @returns Them, sorted in place.
 *
 * @example
 * ```ts
 * import { sortStatsRows, type StatsRow } from "./stats_view.ts";
 * const row = (key: string, calls: number): StatsRow => ({
 *   kind: "name", key, calls, errors: 0, errorRate: 0, p50Ms: 1, p95Ms: 1, p99Ms: 1,
 *   inputTokens: 0, outputTokens: 0,
 * });
 * if (sortStatsRows([row("a", 1), row("b", 2)])[0].key !== "b") throw new Error("order");
 * ```
 */
export function sortStatsRows(rows: StatsRow[]): StatsRow[] {
  const order: Record<StatsKind, number> = { name: 0, model: 1, tool: 2 };
  return rows.sort((a, b) =>
    b.calls - a.calls || order[a.kind] - order[b.kind] ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}
