/**
 * `/stats` over a followed journal, in bounded memory: every finished span is counted once,
 * at its close, into time buckets (at most {@linkcode MAX_CHART_BUCKETS}, merged in pairs
 * as time goes on), each holding per name, model and tool the exact calls, errors, token and
 * cost sums and a log-bucketed histogram of durations. A range is answered from the buckets
 * it overlaps, so it is widened to whole buckets (the answer says which range it covers).
 *
 * @module
 */

import { DurationHistogram, HISTOGRAM_ERROR } from "./duration_histogram.ts";
import { roundCost } from "./span_cost.ts";
import {
  chartBucketMs,
  MAX_CHART_BUCKETS,
  sortStatsRows,
  type StatsAnswer,
  type StatsKind,
  type StatsQuery,
  type StatsRow,
  type StatsTurn,
  topTurns,
} from "./stats_view.ts";

/** A finished span, as `/stats` counts it. */
export interface FinishedSpan {
  /** Its name. */
  name: string;
  /** Its model (`readUsage`), if any. */
  model: string | null;
  /** Its `gen_ai.tool.name`, if any. */
  tool: string | null;
  /** When it started, ms since the epoch. */
  start: number;
  /** How long it took, ms. */
  durationMs: number;
  /** Whether it closed with status `error`. */
  failed: boolean;
  /** Its input tokens (0 when none). */
  inputTokens: number;
  /** Its output tokens. */
  outputTokens: number;
  /** Its known cost, USD. */
  cost: number | null;
}

/**
 * Keys kept per kind in one time bucket; the rest of a bucket's spans of that kind are
 * counted under {@linkcode OTHER}. With the histogram's bins (at most 16 per doubling of the
 * durations seen), this bounds what the journal's `/stats` holds.
 */
export const MAX_KEYS_PER_KIND = 64;

/** The row the spans beyond {@linkcode MAX_KEYS_PER_KIND} names of a bucket are counted in. */
export const OTHER = "(other)";

const KINDS: readonly StatsKind[] = ["name", "model", "tool"];

/** One key's sums within a bucket (or over a range). */
class KeyStats {
  calls = 0;
  errors = 0;
  inputTokens = 0;
  outputTokens = 0;
  cost = 0;
  costed = 0;
  readonly durations = new DurationHistogram();

  add(span: FinishedSpan): void {
    this.calls++;
    if (span.failed) this.errors++;
    this.inputTokens += span.inputTokens;
    this.outputTokens += span.outputTokens;
    if (span.cost !== null) {
      this.cost += span.cost;
      this.costed++;
    }
    this.durations.add(span.durationMs);
  }

  merge(other: KeyStats): void {
    this.calls += other.calls;
    this.errors += other.errors;
    this.inputTokens += other.inputTokens;
    this.outputTokens += other.outputTokens;
    this.cost += other.cost;
    this.costed += other.costed;
    this.durations.merge(other.durations);
  }
}

/** One time bucket: its calls and errors, and its keys' sums (`kind\0key`). */
interface Bucket {
  calls: number;
  errors: number;
  keys: Map<string, KeyStats>;
  /** Keys per kind, for the cap. */
  perKind: Record<StatsKind, number>;
}

function newBucket(): Bucket {
  return { calls: 0, errors: 0, keys: new Map(), perKind: { name: 0, model: 0, tool: 0 } };
}

function mergeBucket(into: Bucket, from: Bucket): void {
  into.calls += from.calls;
  into.errors += from.errors;
  for (const [key, stats] of from.keys) {
    let mine = into.keys.get(key);
    if (!mine) {
      into.keys.set(key, mine = new KeyStats());
      into.perKind[key.slice(0, key.indexOf("\0")) as StatsKind]++;
    }
    mine.merge(stats);
  }
}

/**
 * The journal's `/stats`: spans counted into time buckets as they finish.
 *
 * @example
 * ```ts
 * import { JournalStats } from "./journal_stats.ts";
 * const stats = new JournalStats();
 * for (const [ms, failed] of [[50, false], [100, false], [150, true]] as const) {
 *   stats.add({
 *     name: "execute_tool", model: null, tool: "weather", start: 1_000_000 + ms, durationMs: ms,
 *     failed, inputTokens: 0, outputTokens: 0, cost: null,
 *   });
 * }
 * const tool = stats.answer({}, []).rows.find((r) => r.kind === "tool")!;
 * if (tool.calls !== 3 || tool.errors !== 1 || tool.p99Ms !== 150) throw new Error("counted");
 * ```
 */
export class JournalStats {
  /** The first bucket's start (aligned to a second), once a span arrived. */
  private origin: number | undefined;
  private width = chartBucketMs(0);
  private readonly buckets: (Bucket | undefined)[] = [];

  /**
   * Counts a finished span. One that started before the first bucket (a clock that stepped
   * back) is counted in the first.
   *
   * @param span The span.
   */
  add(span: FinishedSpan): void {
    if (this.origin === undefined) this.origin = Math.floor(span.start / this.width) * this.width;
    let at = Math.max(0, Math.floor((span.start - this.origin) / this.width));
    while (at >= MAX_CHART_BUCKETS) {
      this.halve();
      at = Math.max(0, Math.floor((span.start - this.origin) / this.width));
    }
    const bucket = this.buckets[at] ??= newBucket();
    bucket.calls++;
    if (span.failed) bucket.errors++;
    for (const kind of KINDS) {
      const key = kind === "name" ? span.name : kind === "model" ? span.model : span.tool;
      if (key === null) continue;
      let stats = bucket.keys.get(`${kind}\0${key}`);
      if (!stats) {
        if (bucket.perKind[kind] >= MAX_KEYS_PER_KIND) {
          stats = bucket.keys.get(`${kind}\0${OTHER}`);
          if (!stats) bucket.keys.set(`${kind}\0${OTHER}`, stats = new KeyStats());
        } else {
          bucket.keys.set(`${kind}\0${key}`, stats = new KeyStats());
          bucket.perKind[kind]++;
        }
      }
      stats.add(span);
    }
  }

  /** Doubles the buckets' width, merging them in pairs. */
  private halve(): void {
    this.width *= 2;
    // Realign the origin to the new width, so buckets stay on whole multiples of it.
    const aligned = Math.floor(this.origin! / this.width) * this.width;
    const shift = this.origin! === aligned ? 0 : 1;
    const old = this.buckets.splice(0);
    for (let i = 0; i < old.length; i++) {
      const from = old[i];
      if (!from) continue;
      const to = this.buckets[(i + shift) >> 1] ??= newBucket();
      mergeBucket(to, from);
    }
    this.origin = aligned;
  }

  /**
   * The answer over `query`'s range, widened to whole buckets.
   *
   * @param query The range.
   * @param turns The finished turns the caller knows, to pick the slowest and costliest from.
   * @returns The rows, the chart and the turns.
   */
  answer(query: StatsQuery, turns: Iterable<StatsTurn>): StatsAnswer {
    const total = new Map<string, KeyStats>();
    const chartCalls: number[] = [];
    const chartErrors: number[] = [];
    let first = -1;
    let from = query.from ?? null;
    let to = query.to ?? null;
    const origin = this.origin ?? 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const start = origin + i * this.width;
      const end = start + this.width;
      if (query.from !== undefined && end <= query.from) continue;
      if (query.to !== undefined && start >= query.to) continue;
      // A bucket the range cuts is answered whole: the range answered grows to its edges.
      if (from !== null && start < from) from = start;
      if (to !== null && end > to) to = end;
      const bucket = this.buckets[i];
      if (!bucket) {
        if (first >= 0) chartCalls.push(0), chartErrors.push(0);
        continue;
      }
      if (first < 0) first = i;
      chartCalls.push(bucket.calls);
      chartErrors.push(bucket.errors);
      for (const [key, stats] of bucket.keys) {
        let sum = total.get(key);
        if (!sum) total.set(key, sum = new KeyStats());
        sum.merge(stats);
      }
    }
    // Trailing empty buckets say nothing.
    while (chartCalls.length > 0 && chartCalls[chartCalls.length - 1] === 0) {
      chartCalls.pop();
      chartErrors.pop();
    }
    const rows: StatsRow[] = [];
    for (const [id, stats] of total) {
      const cut = id.indexOf("\0");
      const row: StatsRow = {
        kind: id.slice(0, cut) as StatsKind,
        key: id.slice(cut + 1),
        calls: stats.calls,
        errors: stats.errors,
        errorRate: stats.errors / stats.calls,
        p50Ms: stats.durations.percentile(50),
        p95Ms: stats.durations.percentile(95),
        p99Ms: stats.durations.percentile(99),
        inputTokens: stats.inputTokens,
        outputTokens: stats.outputTokens,
      };
      if (stats.costed > 0) row.costUsd = roundCost(stats.cost);
      rows.push(row);
    }
    const inRange: StatsTurn[] = [];
    for (const turn of turns) {
      if (query.from !== undefined && turn.start < query.from) continue;
      if (query.to !== undefined && turn.start >= query.to) continue;
      inRange.push(turn);
    }
    return {
      from,
      to,
      rows: sortStatsRows(rows),
      chart: {
        start: origin + Math.max(0, first) * this.width,
        bucketMs: this.width,
        calls: chartCalls,
        errors: chartErrors,
      },
      ...topTurns(inRange),
      percentileError: HISTOGRAM_ERROR,
      turnsSeen: inRange.length,
    };
  }
}
