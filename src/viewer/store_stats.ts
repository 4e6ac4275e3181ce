/**
 * `/stats` over a trace store, in SQL. The store keeps no index of every span's start (it
 * would cost the collector a random page per span), so the whole store is one scan of
 * `spans`; a range reads the turns that overlap it (`turns`, small) and their spans through
 * `spans_by_turn_key`, and the spans without a turn through `spans_unscoped` (by start).
 * Percentiles are exact: SQLite ranks each name's, model's and tool's durations with a window
 * and answers only the ranked rows. Costs are `span_cost.ts`'s rule applied to each group's
 * sums (its spans' own costs, and the tokens of those without one at their model's price:
 * the rule is linear in the tokens).
 *
 * @module
 */

import type { SqliteDatabase, SqlStatement, SqlValue } from "../collector/sqlite.ts";
import { type CostOf, roundCost } from "./span_cost.ts";
import {
  chartBucketMs,
  sortStatsRows,
  type StatsAnswer,
  type StatsKind,
  type StatsQuery,
  type StatsRow,
  type StatsTurn,
  TOP_TURNS,
} from "./stats_view.ts";

type Row = Record<string, SqlValue>;

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

const KEYED = (columns: string) =>
  `SELECT 'name' AS kind, name AS key, ${columns} FROM s
   UNION ALL SELECT 'model', model, ${columns} FROM s WHERE model IS NOT NULL
   UNION ALL SELECT 'tool', tool, ${columns} FROM s WHERE tool IS NOT NULL`;

/**
 * Each name's, model's and tool's sums, by model (to price the tokens), with the range's
 * first and last start.
 *
 * @param ranged Whether a range is asked.
 * @returns The SQL.
 */
export function statsSumsSql(ranged: boolean): string {
  const columns =
    "model, start_ms, failed, input_tokens, output_tokens, cost_usd, cache_read_tokens, cache_write_tokens";
  const uncosted = (c: string) => `total(CASE WHEN cost_usd IS NULL THEN ${c} END)`;
  return `WITH s AS MATERIALIZED (${
    rangeSpansSql(
      `name, model, ${TOOL} AS tool, start_ms, status = 'error' AS failed, input_tokens,
       output_tokens, cost_usd, cache_read_tokens, cache_write_tokens`,
      ranged,
    )
  }), k AS (${KEYED(columns)})
  SELECT kind, key, model, count(*) AS calls, total(failed) AS errors,
    total(input_tokens) AS input, total(output_tokens) AS output,
    total(cost_usd) AS cost, count(cost_usd) AS costed,
    ${uncosted("input_tokens")} AS u_input, ${uncosted("output_tokens")} AS u_output,
    ${uncosted("cache_read_tokens")} AS u_read, ${uncosted("cache_write_tokens")} AS u_write,
    count(CASE WHEN cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL)
      THEN 1 END) AS priceable,
    min(start_ms) AS first, max(start_ms) AS last
  FROM k GROUP BY kind, key, model`;
}

/**
 * The durations at the ranks of p50, p95 and p99 (nearest rank) of each name, model and tool.
 *
 * @param ranged Whether a range is asked.
 * @returns The SQL.
 */
export function statsPercentilesSql(ranged: boolean): string {
  const rank = (p: number) => `(n * ${p} + 99) / 100`;
  return `WITH s AS MATERIALIZED (${
    rangeSpansSql(`name, model, ${TOOL} AS tool, duration_ms AS d`, ranged)
  }), k AS (${KEYED("d")}),
  r AS (SELECT kind, key, d, row_number() OVER w AS at, count(*) OVER p AS n FROM k
    WINDOW p AS (PARTITION BY kind, key), w AS (PARTITION BY kind, key ORDER BY d))
  SELECT kind, key, n, at, d FROM r WHERE at IN (${rank(50)}, ${rank(95)}, ${rank(99)})`;
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
  return `SELECT turn_id, min(first_ms) AS start, max(last_ms) - min(first_ms) AS duration
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
    const sums = new Map<string, { row: StatsRow; cost: number; known: boolean }>();
    let first = Infinity;
    let last = -Infinity;
    for (const g of prepared(statsSumsSql(ranged)).all(...range)) {
      const id = `${g.kind}\0${g.key}`;
      let sum = sums.get(id);
      if (!sum) {
        const row: StatsRow = {
          kind: g.kind as StatsKind,
          key: String(g.key),
          calls: 0,
          errors: 0,
          errorRate: 0,
          p50Ms: 0,
          p95Ms: 0,
          p99Ms: 0,
          inputTokens: 0,
          outputTokens: 0,
        };
        sums.set(id, sum = { row, cost: 0, known: false });
      }
      sum.row.calls += Number(g.calls);
      sum.row.errors += Number(g.errors);
      sum.row.inputTokens += Number(g.input);
      sum.row.outputTokens += Number(g.output);
      if (Number(g.costed) > 0) {
        sum.cost += Number(g.cost);
        sum.known = true;
      }
      const price = priced(g);
      if (price !== null) {
        sum.cost += price;
        sum.known = true;
      }
      if (g.kind === "name") {
        first = Math.min(first, Number(g.first));
        last = Math.max(last, Number(g.last));
      }
    }
    for (const r of prepared(statsPercentilesSql(ranged)).all(...range)) {
      const row = sums.get(`${r.kind}\0${r.key}`)?.row;
      if (!row) continue;
      const n = Number(r.n);
      const at = Number(r.at);
      const d = Number(r.d);
      if (at === Math.floor((n * 50 + 99) / 100)) row.p50Ms = d;
      if (at === Math.floor((n * 95 + 99) / 100)) row.p95Ms = d;
      if (at === Math.floor((n * 99 + 99) / 100)) row.p99Ms = d;
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
    const slowest = prepared(
      turnsSql(ranged, "ORDER BY duration DESC, start DESC", `LIMIT ${TOP_TURNS}`),
    )
      .all(...range).map(turn);
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
    const turnsSeen = Number(
      prepared(`SELECT count(*) AS n FROM (${turnsSql(ranged, "", "")})`).get(...range)?.n ?? 0,
    );
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
