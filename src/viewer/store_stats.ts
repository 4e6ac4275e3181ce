/**
 * `/stats` over a trace store, in SQL. The store keeps no index of every span's start (it
 * would cost the collector a random page per span), so the whole store is one scan of
 * `spans`; a range reads the turns that overlap it (`turns`, small) and their spans through
 * `spans_by_turn_key`, and the spans without a turn through `spans_unscoped` (by start).
 * Percentiles are exact: one pass groups the spans by name, model, tool and duration, and each
 * key's durations with their counts give the ranks. Costs are `span_cost.ts`'s rule applied to
 * each group's sums (its spans' own costs, and the tokens of those without one at their model's
 * price: the rule is linear in the tokens).
 *
 * @module
 */

import type { SqliteDatabase, SqlStatement, SqlValue } from "../collector/sqlite.ts";
import { type CostOf, roundCost } from "./span_cost.ts";
import {
  chartBucketMs,
  percentileRank,
  sortStatsRows,
  type StatsAnswer,
  type StatsKind,
  type StatsQuery,
  type StatsRow,
  type StatsTurn,
  TOP_TURNS,
} from "./stats_view.ts";

type Row = Record<string, SqlValue>;

const KINDS: readonly StatsKind[] = ["name", "model", "tool"];
const PERCENTILES = [50, 95, 99];

/**
 * How far before a turn's first record one of its spans may start and still be looked for
 * in a range: a close read without its open is placed at `end - duration`.
 */
const EARLY_START_MS = 3_600_000;

const TOOL =
  `CASE WHEN instr(attributes, 'gen_ai.tool.name') THEN json_extract(attributes, '$."gen_ai.tool.name"') END`;

/**
 * The finished spans of the range, with `columns` (`?1`, `?2`: from and to, when `ranged`).
 *
 * @param columns The columns wanted of each span.
 * @param ranged Whether a range is asked.
 * @returns The SQL of a sub-select.
 */
export function rangeSpansSql(columns: string, ranged: boolean): string {
  if (!ranged) return `SELECT ${columns} FROM spans WHERE status != 'open'`;
  const inRange = "status != 'open' AND start_ms >= ?1 AND start_ms < ?2";
  return `SELECT ${columns} FROM spans WHERE turn_key IN (SELECT turn_key FROM turns
      WHERE last_ms >= ?1 AND first_ms < ?2 + ${EARLY_START_MS}) AND ${inRange}
    UNION ALL
    SELECT ${columns} FROM spans INDEXED BY spans_unscoped WHERE turn_key IS NULL AND ${inRange}`;
}

/**
 * The finished spans of the range grouped by name, model, tool and duration, with their sums
 * and first and last start: one pass, whose rows the caller folds into each name's, model's
 * and tool's sums and exact percentiles (a duration's count is its run of ranks). The rows are
 * as many as the distinct durations of each group: few for whole milliseconds, up to one a
 * span for durations with fractions.
 *
 * @param ranged Whether a range is asked.
 * @returns The SQL.
 */
export function statsGroupsSql(ranged: boolean): string {
  const uncosted = (c: string) => `total(CASE WHEN cost_usd IS NULL THEN ${c} END)`;
  return `SELECT name, model, tool, d, count(*) AS calls, total(failed) AS errors,
    total(input_tokens) AS input, total(output_tokens) AS output,
    total(cost_usd) AS cost, count(cost_usd) AS costed,
    ${uncosted("input_tokens")} AS u_input, ${uncosted("output_tokens")} AS u_output,
    ${uncosted("cache_read_tokens")} AS u_read, ${uncosted("cache_write_tokens")} AS u_write,
    count(CASE WHEN cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL)
      THEN 1 END) AS priceable,
    min(start_ms) AS first, max(start_ms) AS last
  FROM (${
    rangeSpansSql(
      `name, model, ${TOOL} AS tool, duration_ms AS d, start_ms, status = 'error' AS failed,
       input_tokens, output_tokens, cost_usd, cache_read_tokens, cache_write_tokens`,
      ranged,
    )
  }) GROUP BY name, model, tool, d`;
}

/**
 * Calls and errors per chart bucket (`?3`: the first bucket's start, `?4`: the width).
 *
 * @param ranged Whether a range is asked.
 * @returns The SQL.
 */
export function statsChartSql(ranged: boolean): string {
  return `SELECT CAST((start_ms - ?3) / ?4 AS INTEGER) AS bucket, count(*) AS calls, total(failed) AS errors
    FROM (${rangeSpansSql("start_ms, status = 'error' AS failed", ranged)}) GROUP BY bucket`;
}

/** Finished turns by their records' times; `?1`, `?2` the range when given. */
function turnsSql(ranged: boolean, order: string, limit: string): string {
  return `SELECT turn_id, min(first_ms) AS start, max(last_ms) - min(first_ms) AS duration,
      count(*) OVER () AS seen
    FROM turns WHERE turn_id IS NOT NULL ${ranged ? "AND first_ms >= ?1 AND first_ms < ?2" : ""}
      AND turn_key NOT IN (SELECT turn_key FROM spans WHERE status = 'open' AND turn_key IS NOT NULL)
    GROUP BY turn_id ${order} ${limit}`;
}

/** The known cost of each turn of the range, from `usage_by` (priced as the list prices). */
function turnCostsSql(ranged: boolean): string {
  return `SELECT key, model, total(cost_usd) AS cost, total(costed_spans) AS costed,
      total(spans - costed_spans) AS uncosted, total(uncosted_input) AS u_input,
      total(uncosted_output) AS u_output, total(uncosted_cache_read) AS u_read,
      total(uncosted_cache_write) AS u_write
    FROM usage_by WHERE scope = 'turn' AND has_key = 1
      ${
    ranged ? "AND key IN (SELECT turn_id FROM turns WHERE first_ms >= ?1 AND first_ms < ?2)" : ""
  }
    GROUP BY key, model`;
}

/**
 * `/stats` over an open store.
 *
 * @param db The store, opened read-only.
 * @param costOf The cost rule (`spanCostOf` over `serve --prices`).
 * @returns The answer for a range.
 */
export function storeStats(db: SqliteDatabase, costOf: CostOf): (query: StatsQuery) => StatsAnswer {
  const statements = new Map<string, SqlStatement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, statement = db.prepare(sql));
    return statement;
  };
  /** Priced tokens of a group (`null`: none to price, or no price), by the one rule. */
  const priced = (row: Row): number | null =>
    typeof row.model === "string" && Number(row.priceable ?? 1) > 0
      ? costOf({
        model: row.model,
        inputTokens: Number(row.u_input),
        outputTokens: Number(row.u_output),
        cacheReadTokens: Number(row.u_read),
        cacheWriteTokens: Number(row.u_write),
        costUsd: null,
      })
      : null;
  return (query) => {
    const ranged = query.from !== undefined || query.to !== undefined;
    const range: SqlValue[] = ranged ? [query.from ?? -8.64e15, query.to ?? 8.64e15] : [];
    const sums = new Map<
      string,
      { row: StatsRow; cost: number; known: boolean; durations: [number, number][] }
    >();
    let first = Infinity;
    let last = -Infinity;
    for (const g of prepared(statsGroupsSql(ranged)).all(...range)) {
      const price = priced(g);
      const d = Number(g.d);
      const calls = Number(g.calls);
      for (const kind of KINDS) {
        const key = kind === "name" ? g.name : kind === "model" ? g.model : g.tool;
        if (key === null || key === undefined) continue;
        const id = `${kind}\0${key}`;
        let sum = sums.get(id);
        if (!sum) {
          const row: StatsRow = {
            kind,
            key: String(key),
            calls: 0,
            errors: 0,
            errorRate: 0,
            p50Ms: 0,
            p95Ms: 0,
            p99Ms: 0,
            inputTokens: 0,
            outputTokens: 0,
          };
          sums.set(id, sum = { row, cost: 0, known: false, durations: [] });
        }
        sum.row.calls += calls;
        sum.row.errors += Number(g.errors);
        sum.row.inputTokens += Number(g.input);
        sum.row.outputTokens += Number(g.output);
        if (Number(g.costed) > 0) {
          sum.cost += Number(g.cost);
          sum.known = true;
        }
        if (price !== null) {
          sum.cost += price;
          sum.known = true;
        }
        sum.durations.push([d, calls]);
      }
      first = Math.min(first, Number(g.first));
      last = Math.max(last, Number(g.last));
    }
    // Exact percentiles: each duration's count is a run of ranks.
    for (const { row, durations } of sums.values()) {
      durations.sort((a, b) => a[0] - b[0]);
      const ranks = PERCENTILES.map((p) => percentileRank(row.calls, p));
      const found: number[] = [];
      let seen = 0;
      for (const [d, n] of durations) {
        seen += n;
        while (found.length < ranks.length && ranks[found.length] <= seen) found.push(d);
        if (found.length === ranks.length) break;
      }
      [row.p50Ms, row.p95Ms, row.p99Ms] = found;
    }
    const rows: StatsRow[] = [];
    for (const { row, cost, known } of sums.values()) {
      row.errorRate = row.errors / row.calls;
      if (known) row.costUsd = roundCost(cost);
      rows.push(row);
    }
    // The chart: buckets of the width the journal's would have over the same starts.
    const bucketMs = chartBucketMs(first === Infinity ? 0 : last - first);
    const start = first === Infinity ? 0 : Math.floor(first / bucketMs) * bucketMs;
    const chart = { start, bucketMs, calls: [] as number[], errors: [] as number[] };
    if (first !== Infinity) {
      const count = Math.floor((last - start) / bucketMs) + 1;
      chart.calls = new Array(count).fill(0);
      chart.errors = new Array(count).fill(0);
      const params = ranged ? [...range, start, bucketMs] : [null, null, start, bucketMs];
      for (const b of prepared(statsChartSql(ranged)).all(...params)) {
        chart.calls[Number(b.bucket)] = Number(b.calls);
        chart.errors[Number(b.bucket)] = Number(b.errors);
      }
    }
    // The slowest turns from the turns table; the costliest priced from usage_by.
    const turn = (r: Row): StatsTurn => ({
      turnId: String(r.turn_id),
      start: Number(r.start),
      durationMs: Number(r.duration),
    });
    const slowestRows = prepared(
      turnsSql(ranged, "ORDER BY duration DESC, start DESC", `LIMIT ${TOP_TURNS}`),
    )
      .all(...range);
    const slowest = slowestRows.map(turn);
    const turnsSeen = Number(slowestRows[0]?.seen ?? 0);
    const costs = new Map<string, number>();
    for (const r of prepared(turnCostsSql(ranged)).all(...range)) {
      let cost = Number(r.costed) > 0 ? Number(r.cost) : null;
      const price = Number(r.uncosted) > 0 ? priced({ ...r, priceable: 1 }) : null;
      if (price !== null) cost = (cost ?? 0) + price;
      if (cost !== null) costs.set(String(r.key), (costs.get(String(r.key)) ?? 0) + cost);
    }
    const top = [...costs].sort((a, b) => b[1] - a[1]).slice(0, TOP_TURNS);
    const byId = new Map<string, StatsTurn>();
    if (top.length > 0) {
      const ids = JSON.stringify(top.map(([id]) => id));
      for (
        const r of prepared(
          `SELECT turn_id, min(first_ms) AS start, max(last_ms) - min(first_ms) AS duration
           FROM turns WHERE turn_id IN (SELECT value FROM json_each(?)) GROUP BY turn_id`,
        ).all(ids)
      ) byId.set(String(r.turn_id), turn(r));
    }
    for (const t of slowest) {
      const cost = costs.get(t.turnId);
      if (cost !== undefined) t.costUsd = roundCost(cost);
    }
    const costliest = top.flatMap(([id, cost]) => {
      const t = byId.get(id);
      return t ? [{ ...t, costUsd: roundCost(cost) }] : [];
    });
    return {
      from: query.from ?? null,
      to: query.to ?? null,
      rows: sortStatsRows(rows),
      chart,
      slowest,
      costliest,
      percentileError: 0,
      turnsSeen,
    };
  };
}
