/**
 * `/stats` over a trace store, in SQL. The store keeps no index of every span's start (it
 * would cost the collector a random page per span), so the whole store is one scan of
 * `spans`; a range reads the turns that overlap it (`turns`, small) and their spans through
 * `spans_by_turn_key`, and the spans without a turn through `spans_unscoped` (by start).
 * Percentiles are exact: one pass groups the spans by duration, name, model and tool (the
 * `tool_name` column the collector fills; a store of version 6 or earlier, read as it is, from
 * the attributes), each key's durations with their counts give the ranks, and each group's
 * starts give the chart. Costs are `span_cost.ts`'s rule applied to each group's sums (its
 * spans' own costs, and the tokens of those without one at their model's price: the rule is
 * linear in the tokens). The costliest turns are ranked in SQL over `usage_by` with each
 * model's rates, and the few candidates priced again in JS by that rule.
 *
 * @module
 */

import type { ModelPrices } from "../collector/prices.ts";
import { TOOL_NAME_SQL } from "../collector/schema.ts";
import type { SqliteDatabase, SqlStatement, SqlValue } from "../collector/sqlite.ts";
import { roundCost, spanCostOf } from "./span_cost.ts";
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

/**
 * How many of the turns SQL ranks costliest are priced again in JS, for each one shown: the
 * sums in SQL may differ from JS's in their last bits, never by a whole turn's rank.
 */
const COSTLIEST_CANDIDATES = 4;

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
 * The finished spans of the range grouped by duration, name, model and tool, with their sums
 * and the starts of all and of the failed ones as JSON arrays (their lengths are the calls and
 * the errors, their least and greatest the first and last start; the chart counts them): one
 * pass, whose rows the caller folds into each name's, model's and tool's sums and exact
 * percentiles (a duration's count is its run of ranks). The rows are as many as the distinct
 * durations of each group: few for whole milliseconds, up to one a span for durations with
 * fractions. Each aggregate carries a column through SQLite's sort, which is most of the cost.
 *
 * @param ranged Whether a range is asked.
 * @param options `toolColumn`: the store has `tool_name` (version 7); `priced`: a prices file
 *   is given, so the sums of the tokens without a cost of their own are wanted too.
 * @returns The SQL.
 */
export function statsGroupsSql(
  ranged: boolean,
  options: { toolColumn: boolean; priced: boolean } = { toolColumn: true, priced: true },
): string {
  const uncosted = (c: string) => `total(CASE WHEN cost_usd IS NULL THEN ${c} END)`;
  const priceable = options.priced
    ? `${uncosted("input_tokens")} AS u_input, ${uncosted("output_tokens")} AS u_output,
    ${uncosted("cache_read_tokens")} AS u_read, ${uncosted("cache_write_tokens")} AS u_write,
    count(CASE WHEN cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL)
      THEN 1 END) AS priceable,`
    : "";
  const tool = options.toolColumn ? "tool_name" : TOOL_NAME_SQL;
  return `SELECT name, model, tool, d, total(input_tokens) AS input,
    total(output_tokens) AS output, total(cost_usd) AS cost, count(cost_usd) AS costed,
    ${priceable} json_group_array(start_ms) AS starts,
    json_group_array(start_ms) FILTER (WHERE failed) AS failed_starts
  FROM (${
    rangeSpansSql(
      `name, model, ${tool} AS tool, duration_ms AS d, start_ms, status = 'error' AS failed,
       input_tokens, output_tokens, cost_usd, cache_read_tokens, cache_write_tokens`,
      ranged,
    )
  }) GROUP BY d, name, model, tool`;
}

/**
 * The finished turns (no span open) by their records' times; `?1`, `?2` the range when given.
 * The open spans are found through their partial index (`+`: not through every span's turn
 * key, which read the whole index).
 */
function finishedTurns(ranged: boolean): string {
  return `FROM turns WHERE turn_id IS NOT NULL
      ${ranged ? "AND first_ms >= ?1 AND first_ms < ?2" : ""}
      AND turn_key NOT IN (SELECT turn_key FROM spans WHERE status = 'open'
        AND +turn_key IS NOT NULL)`;
}

/** The slowest finished turns of the range. */
function slowestTurnsSql(ranged: boolean): string {
  return `SELECT turn_id, min(first_ms) AS start, max(last_ms) - min(first_ms) AS duration
    ${finishedTurns(ranged)}
    GROUP BY turn_id ORDER BY duration DESC, start DESC LIMIT ${TOP_TURNS}`;
}

/** How many finished turns the range has. */
function turnsSeenSql(ranged: boolean): string {
  return `SELECT count(DISTINCT turn_id) AS seen ${finishedTurns(ranged)}`;
}

/** The range's turns, in `usage_by`'s terms (`?1`, `?2`). */
const USAGE_IN_RANGE =
  "AND key IN (SELECT turn_id FROM turns WHERE first_ms >= ?1 AND first_ms < ?2)";

/**
 * The turns of the range with a known cost, costliest first (ties: by id), priced in SQL by
 * `priceTokens`' rule (a row of a priced model with spans always has a known cost; another, when
 * some of its spans had their own): `?3` how many; the priced models from `?4` on, five
 * parameters each (its name, then its input, output, cache-read and cache-write rates).
 *
 * @param ranged Whether a range is asked.
 * @param models How many models have a price.
 * @returns The SQL.
 */
export function costliestTurnsSql(ranged: boolean, models: number): string {
  let priced = "";
  for (let m = 0; m < models; m++) {
    const p = (i: number) => `?${4 + 5 * m + i}`;
    priced += ` WHEN model = ${p(0)} THEN cost_usd + ((uncosted_input - uncosted_cache_read
      - uncosted_cache_write) * ${p(1)} + uncosted_cache_read * ${p(3)}
      + uncosted_cache_write * ${p(4)} + uncosted_output * ${p(2)}) / 1e6`;
  }
  return `SELECT key, sum(CASE WHEN spans = 0 THEN NULL${priced}
      WHEN costed_spans > 0 THEN cost_usd END) AS cost
    FROM usage_by WHERE scope = 'turn' AND has_key = 1 ${ranged ? USAGE_IN_RANGE : ""}
    GROUP BY key HAVING cost IS NOT NULL ORDER BY cost DESC, key LIMIT ?3`;
}

/** The usage of the turns whose ids are in the JSON array `?3`, to price them in JS. */
function turnCostsSql(ranged: boolean): string {
  return `SELECT key, model, total(cost_usd) AS cost, total(costed_spans) AS costed,
      total(spans - costed_spans) AS uncosted, total(uncosted_input) AS u_input,
      total(uncosted_output) AS u_output, total(uncosted_cache_read) AS u_read,
      total(uncosted_cache_write) AS u_write
    FROM usage_by WHERE scope = 'turn' AND has_key = 1
      AND key IN (SELECT value FROM json_each(?3)) ${ranged ? USAGE_IN_RANGE : ""}
    GROUP BY key, model`;
}

/**
 * `/stats` over an open store.
 *
 * @param db The store, opened read-only.
 * @param prices The prices of `serve --prices`, when given (the cost rule: `spanCostOf`).
 * @returns The answer for a range.
 */
export function storeStats(
  db: SqliteDatabase,
  prices: ModelPrices | undefined,
): (query: StatsQuery) => StatsAnswer {
  const costOf = spanCostOf(prices);
  const statements = new Map<string, SqlStatement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, statement = db.prepare(sql));
    return statement;
  };
  // A store of version 6 or earlier, read as it is, has no tool_name: its attributes say.
  const toolColumn = db.prepare("PRAGMA table_info(spans)").all().some((c) =>
    c.name === "tool_name"
  );
  const groupsSql = (ranged: boolean) =>
    statsGroupsSql(ranged, { toolColumn, priced: prices !== undefined });
  /** Priced tokens of a group (`null`: none to price, or no price), by the one rule. */
  const priced = (row: Row): number | null =>
    prices !== undefined && typeof row.model === "string" && Number(row.priceable ?? 1) > 0
      ? costOf({
        model: row.model,
        inputTokens: Number(row.u_input),
        outputTokens: Number(row.u_output),
        cacheReadTokens: Number(row.u_read),
        cacheWriteTokens: Number(row.u_write),
        costUsd: null,
      })
      : null;
  /** The rates of each priced model of the store, as `costliestTurnsSql` takes them. */
  const rates = (): SqlValue[] => {
    if (prices === undefined) return [];
    const out: SqlValue[] = [];
    for (const { model } of prepared("SELECT DISTINCT model FROM usage_totals").all()) {
      const price = prices.priceOf(String(model));
      if (price === undefined) continue;
      out.push(
        String(model),
        price.input,
        price.output,
        price.cacheRead ?? price.input,
        price.cacheWrite ?? price.input,
      );
    }
    return out;
  };
  return (query) => {
    const ranged = query.from !== undefined || query.to !== undefined;
    const range: SqlValue[] = ranged ? [query.from ?? -8.64e15, query.to ?? 8.64e15] : [];
    const sums = new Map<
      string,
      { row: StatsRow; cost: number; known: boolean; durations: [number, number][] }
    >();
    let first = Infinity;
    let last = -Infinity;
    const groups = prepared(groupsSql(ranged)).all(...range).map((g) => {
      const starts = JSON.parse(String(g.starts)) as number[];
      const failed = JSON.parse(String(g.failed_starts)) as number[];
      for (const t of starts) {
        if (t < first) first = t;
        if (t > last) last = t;
      }
      return { g, starts, failed };
    });
    for (const { g, starts, failed } of groups) {
      const price = priced(g);
      const d = Number(g.d);
      const calls = starts.length;
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
        sum.row.errors += failed.length;
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
      for (const { starts, failed } of groups) {
        for (const t of starts) chart.calls[Math.floor((t - start) / bucketMs)]++;
        for (const t of failed) chart.errors[Math.floor((t - start) / bucketMs)]++;
      }
    }
    // The slowest turns from the turns table; the costliest ranked over usage_by in SQL, and
    // the candidates priced again in JS, as the list prices them.
    const turn = (r: Row): StatsTurn => ({
      turnId: String(r.turn_id),
      start: Number(r.start),
      durationMs: Number(r.duration),
    });
    const around = ranged ? range : [null, null];
    const slowest = prepared(slowestTurnsSql(ranged)).all(...range).map(turn);
    const turnsSeen = Number(prepared(turnsSeenSql(ranged)).get(...range)?.seen ?? 0);
    const models = rates();
    const candidates = prepared(costliestTurnsSql(ranged, models.length / 5))
      .all(...around, TOP_TURNS * COSTLIEST_CANDIDATES, ...models)
      .map((r) => String(r.key));
    const costs = new Map<string, number>();
    const wanted = JSON.stringify([...new Set([...candidates, ...slowest.map((t) => t.turnId)])]);
    for (const r of prepared(turnCostsSql(ranged)).all(...around, wanted)) {
      let cost = Number(r.costed) > 0 ? Number(r.cost) : null;
      const price = Number(r.uncosted) > 0 ? priced({ ...r, priceable: 1 }) : null;
      if (price !== null) cost = (cost ?? 0) + price;
      if (cost !== null) costs.set(String(r.key), (costs.get(String(r.key)) ?? 0) + cost);
    }
    const top = candidates.flatMap((id) => {
      const cost = costs.get(id);
      return cost === undefined ? [] : [[id, cost] as const];
    }).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, TOP_TURNS);
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
