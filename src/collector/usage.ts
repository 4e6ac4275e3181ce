/**
 * GenAI usage and cost out of the trace store: token totals per model, turn, conversation
 * or extension, priced by the spans' own cost or a prices file.
 *
 * @module
 */

import type { TurnUsage } from "../genai/usage.ts";
import { type ModelPrices, priceTokens } from "./prices.ts";
import { USAGE_ROWS, USAGE_SUMS, usageGroupSpans } from "./schema.ts";
import type { SqlValue } from "./sqlite.ts";
import type { TraceStore } from "./trace_store.ts";
import type { UsageSums } from "./usage_deltas.ts";

/**
 * What {@linkcode queryUsage} groups by.
 *
 * @example
 * ```ts
 * import type { UsageKey } from "@dispatch/journal-sink/collector";
 * const by: UsageKey = "turn";
 * if (by !== "turn") throw new Error("unreachable");
 * ```
 */
export type UsageKey = "model" | "turn" | "conversation" | "extension";

/**
 * Options of {@linkcode queryUsage}.
 *
 * @example
 * ```ts
 * import type { UsageOptions } from "@dispatch/journal-sink/collector";
 * const options: UsageOptions = { by: "model", since: Date.now() - 86_400_000 };
 * if (options.by !== "model") throw new Error("unreachable");
 * ```
 */
export interface UsageOptions {
  /**
   * The grouping.
   * @default {"model"}
   */
  by?: UsageKey;
  /** Only spans that started at or after this time (milliseconds since the epoch). */
  since?: number;
  /** Prices for spans without a `gen_ai.usage.cost` attribute (see `parsePrices`). */
  prices?: ModelPrices;
}

/**
 * One line of a usage report (`query --usage --json` prints an array of these).
 *
 * @example
 * ```ts
 * import type { UsageRow } from "@dispatch/journal-sink/collector";
 * const row: UsageRow = { key: "gpt-4o", spans: 2, inputTokens: 900, outputTokens: 120,
 *   cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.00345, unpricedSpans: 0 };
 * if (row.key !== "gpt-4o") throw new Error("unreachable");
 * ```
 */
export interface UsageRow {
  /** The model, turn, conversation or extension id; `null` for spans without one. */
  key: string | null;
  /** Spans carrying usage (tokens or a cost). */
  spans: number;
  /** Sum of `gen_ai.usage.input_tokens`. */
  inputTokens: number;
  /** Sum of `gen_ai.usage.output_tokens`. */
  outputTokens: number;
  /** Of the input tokens, those read from a provider's cache. */
  cacheReadTokens: number;
  /** Of the input tokens, those written to a provider's cache. */
  cacheWriteTokens: number;
  /**
   * Sum of the known costs in USD: a span's own cost wins, else its tokens at its model's
   * price (cache reads and writes at their own rates). `null` when no span of the row has a
   * known cost.
   */
  costUsd: number | null;
  /** Spans whose cost is unknown (no cost attribute, no price for their model). */
  unpricedSpans: number;
  /**
   * Present when a prices entry had no `cacheRead` (or `cacheWrite`) rate and this row's
   * cache-read (or cache-write) tokens were priced at its `input` rate instead.
   */
  assumedRates?: { cacheRead?: "input"; cacheWrite?: "input" };
}

interface Group extends UsageSums {
  key: string | null;
  model: string;
  first: number;
}

const n = (value: SqlValue | undefined) => Number(value ?? 0);

/** The usage counters version 6 added (cache counts); a store opened read-only may lack them. */
const CACHE_SUMS = new Set([
  "cache_read_tokens",
  "cache_write_tokens",
  "uncosted_cache_read",
  "uncosted_cache_write",
]);

/** Whether the store keeps cache counts (schema 6 on; an older one opened read-only does not). */
function hasCacheCounts(store: TraceStore): boolean {
  return Number(store.db.prepare("PRAGMA user_version").get()?.user_version ?? 0) >= 6;
}

/** The sums of spans rows a group's counters are (zero cache counts on an older store). */
function sumsOf(store: TraceStore): string {
  const cache = hasCacheCounts(store);
  return `count(*) AS spans, ${
    USAGE_SUMS.map(([column, sum]) =>
      `${cache || !CACHE_SUMS.has(column) ? sum : "0"} AS ${column}`
    ).join(", ")
  }, min(start_ms) AS first_ms`;
}

function group(row: Record<string, SqlValue>, key: string | null, model: string): Group {
  return {
    key,
    model,
    spans: n(row.spans),
    input: n(row.input_tokens),
    output: n(row.output_tokens),
    cost: n(row.cost_usd),
    costed: n(row.costed_spans),
    uncostedInput: n(row.uncosted_input),
    uncostedOutput: n(row.uncosted_output),
    cacheRead: n(row.cache_read_tokens),
    cacheWrite: n(row.cache_write_tokens),
    uncostedCacheRead: n(row.uncosted_cache_read),
    uncostedCacheWrite: n(row.uncosted_cache_write),
    first: n(row.first_ms),
  };
}

/** A row being summed: its tally so far, and whether some cost of it is known. */
type Tally = { row: UsageRow; first: number };

function newTally(key: string | null, first: number): Tally {
  return {
    row: {
      key,
      spans: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: null,
      unpricedSpans: 0,
    },
    first,
  };
}

/** Adds a group's sums to a row, its uncosted tokens priced (the rule: `priceTokens`). */
function addGroup(t: Tally, g: Group, prices: ModelPrices | undefined): void {
  const row = t.row;
  row.spans += g.spans;
  row.inputTokens += g.input;
  row.outputTokens += g.output;
  row.cacheReadTokens += g.cacheRead;
  row.cacheWriteTokens += g.cacheWrite;
  t.first = Math.min(t.first, g.first);
  let cost = g.cost;
  let known = g.costed > 0;
  const uncosted = g.spans - g.costed;
  if (uncosted > 0) {
    const price = g.model === "" ? undefined : prices?.priceOf(g.model);
    if (price === undefined) row.unpricedSpans += uncosted;
    else {
      const priced = priceTokens(price, {
        input: g.uncostedInput,
        output: g.uncostedOutput,
        cacheRead: g.uncostedCacheRead,
        cacheWrite: g.uncostedCacheWrite,
      });
      cost += priced.cost;
      known = true;
      for (const rate of priced.assumed) (row.assumedRates ??= {})[rate] = "input";
    }
  }
  if (known) row.costUsd = (row.costUsd ?? 0) + cost;
}

/** The rows in the report's order, costs rid of float noise below a pico-dollar. */
function ordered(tallies: Iterable<Tally>, by: UsageKey): UsageRow[] {
  const out = [...tallies].filter((t) => t.row.spans > 0);
  if (by === "turn" || by === "conversation") {
    out.sort((a, b) => a.first - b.first || String(a.row.key).localeCompare(String(b.row.key)));
  } else {
    out.sort((a, b) =>
      b.row.inputTokens + b.row.outputTokens - (a.row.inputTokens + a.row.outputTokens) ||
      String(a.row.key).localeCompare(String(b.row.key))
    );
  }
  return out.map(({ row }) => {
    if (row.costUsd !== null) row.costUsd = Math.round(row.costUsd * 1e12) / 1e12;
    return row;
  });
}

/** Whether the store keeps `usage_by` (schema 3 on; an older store opened read-only does not). */
function hasUsageBy(store: TraceStore): boolean {
  return store.db.prepare(
    "SELECT 1 AS y FROM sqlite_master WHERE type = 'table' AND name = 'usage_by'",
  ).get() !== undefined;
}

function groups(store: TraceStore, by: UsageKey, since: number | undefined): Group[] {
  if (since === undefined && (by === "model" || by === "extension")) {
    // Kept at ingest: a handful of rows, whatever the store's size.
    return store.db.prepare("SELECT * FROM usage_totals").all().map((row) =>
      group(
        { ...row, first_ms: 0 },
        by === "model" ? (row.model === "" ? null : String(row.model)) : String(row.extension_id),
        String(row.model),
      )
    );
  }
  return scanSpans(store, by, since);
}

/**
 * The prices of the store's few models as SQL `CASE` expressions (a join runs per row):
 * `pin`, `pout`, `pcr` and `pcw` the input, output, cache-read and cache-write rates (the
 * cache rates the input rate when the entry has none), `acr` and `acw` 1 when so assumed.
 */
function priceCases(store: TraceStore, prices: ModelPrices | undefined) {
  const params: SqlValue[] = [];
  const names = ["pin", "pout", "pcr", "pcw", "acr", "acw"] as const;
  const cases = names.map(() => "");
  if (prices !== undefined) {
    for (const { model } of store.db.prepare("SELECT DISTINCT model FROM usage_totals").all()) {
      const price = model === "" ? undefined : prices.priceOf(String(model));
      if (price === undefined) continue;
      const rates = [
        price.input,
        price.output,
        price.cacheRead ?? price.input,
        price.cacheWrite ?? price.input,
        price.cacheRead === undefined ? 1 : 0,
        price.cacheWrite === undefined ? 1 : 0,
      ];
      rates.forEach((rate, i) => cases[i] += ` WHEN ? THEN ${Number(rate)}`);
      params.push(String(model));
    }
  }
  const columns = names.map((name, i) =>
    `${params.length > 0 ? `CASE model${cases[i]} END` : "NULL"} AS ${name}`
  ).join(", ");
  return { params, columns, count: params.length > 0 ? names.length : 0 };
}

/**
 * Usage from `usage_by`: its rows summed per key and priced in SQL, one short row per key
 * back. With `since`, the groups whose spans all started after it are summed so, and the
 * few that straddle it are summed from their spans.
 */
function fromUsageBy(
  store: TraceStore,
  by: UsageKey,
  prices: ModelPrices | undefined,
  since: number | undefined,
): UsageRow[] {
  const { params, columns, count } = priceCases(store, prices);
  const cacheZeros = hasCacheCounts(store)
    ? ""
    : [...CACHE_SUMS].map((c) => `0 AS ${c}, `).join("");
  const SUMS = sumsOf(store);
  const scope = by === "conversation" ? "conversation" : "turn";
  const [hasKey, key] = by === "model"
    ? ["model != ''", "model"]
    : by === "extension"
    ? ["1", "extension_id"]
    : ["has_key", "key"];
  const window = since === undefined ? "" : "AND last_ms >= ? AND first_ms >= ?";
  // Priced by the rule of priceTokens (prices.ts): fresh input, cache reads, cache writes
  // and output each at its rate.
  const rows = store.db.prepare(
    `SELECT ${hasKey} AS h, ${key} AS k, sum(spans) AS s, sum(input_tokens) AS i,
       sum(output_tokens) AS o, sum(cache_read_tokens) AS cr, sum(cache_write_tokens) AS cw,
       min(first_ms) AS f,
       sum(cost_usd + coalesce(((uncosted_input - uncosted_cache_read - uncosted_cache_write) * pin
         + uncosted_cache_read * pcr + uncosted_cache_write * pcw + uncosted_output * pout) / 1e6,
         0)) AS c,
       max(costed_spans > 0 OR (spans > costed_spans AND pin IS NOT NULL)) AS known,
       sum(CASE WHEN pin IS NULL THEN spans - costed_spans ELSE 0 END) AS u,
       max(CASE WHEN pin IS NOT NULL AND uncosted_cache_read > 0 THEN acr ELSE 0 END) AS ar,
       max(CASE WHEN pin IS NOT NULL AND uncosted_cache_write > 0 THEN acw ELSE 0 END) AS aw
     FROM (SELECT *, ${cacheZeros}${columns} FROM usage_by WHERE scope = ? AND spans > 0 ${window})
     GROUP BY 1, 2`,
  ).all(
    ...Array.from({ length: count }, () => params).flat(),
    scope,
    ...(since === undefined ? [] : [since, since]),
  );
  const tallies = new Map<string | null, Tally>();
  const tally = (id: string | null, first: number) => {
    let t = tallies.get(id);
    if (t === undefined) {
      t = newTally(id, first);
      tallies.set(id, t);
    }
    t.first = Math.min(t.first, first);
    return t;
  };
  for (const r of rows) {
    const t = tally(Number(r.h) === 1 ? String(r.k) : null, n(r.f));
    t.row.spans += n(r.s);
    t.row.inputTokens += n(r.i);
    t.row.outputTokens += n(r.o);
    t.row.cacheReadTokens += n(r.cr);
    t.row.cacheWriteTokens += n(r.cw);
    t.row.unpricedSpans += n(r.u);
    if (n(r.known) === 1) t.row.costUsd = (t.row.costUsd ?? 0) + n(r.c);
    if (n(r.ar) === 1) (t.row.assumedRates ??= {}).cacheRead = "input";
    if (n(r.aw) === 1) (t.row.assumedRates ??= {}).cacheWrite = "input";
  }
  if (since !== undefined) {
    const straddling = store.db.prepare(
      `SELECT * FROM usage_by WHERE scope = ? AND spans > 0 AND last_ms >= ? AND first_ms < ?`,
    ).all(scope, since, since);
    for (const row of straddling) {
      // Its spans since the cutoff, through the turn index.
      const hasId = Number(row.has_key) === 1;
      const part = store.db.prepare(
        `SELECT ${SUMS} FROM spans WHERE ${usageGroupSpans(scope, hasId)} AND ${USAGE_ROWS}
           AND start_ms >= ? AND coalesce(model, '') = ? AND extension_id = ?`,
      ).get(...(hasId ? [row.key] : []), since, row.model, row.extension_id);
      if (part === undefined || n(part.spans) === 0) continue;
      const id = by === "model"
        ? (row.model === "" ? null : String(row.model))
        : by === "extension"
        ? String(row.extension_id)
        : hasId
        ? String(row.key)
        : null;
      const g = group(part, id, String(row.model));
      addGroup(tally(id, g.first), g, prices);
    }
  }
  return ordered(tallies.values(), by);
}

/** The groups from the spans themselves (a store older than version 3, read as it is). */
function scanSpans(store: TraceStore, by: UsageKey, since: number | undefined): Group[] {
  const column = {
    model: "model",
    turn: "turn_id",
    conversation: "conversation_id",
    extension: "extension_id",
  }[by];
  const rows = store.db.prepare(
    `SELECT ${column} AS key, coalesce(model, '') AS m, ${sumsOf(store)}
     FROM spans WHERE ${USAGE_ROWS} AND start_ms >= ? GROUP BY 1, 2`,
  ).all(since ?? -Number.MAX_VALUE);
  return rows.map((row) =>
    group(
      row,
      row.key === null || (by === "model" && row.key === "") ? null : String(row.key),
      String(row.m),
    )
  );
}

/**
 * Token usage and cost per model, turn, conversation or extension, over the spans that
 * carry GenAI usage (`gen_ai.usage.input_tokens`, `…output_tokens` or `gen_ai.usage.cost`,
 * on their open, close or both: the store merges them at ingest). A span's cost attribute
 * wins over the prices; a span with neither counts in `unpricedSpans`. Models and
 * extensions are ordered by tokens (most first), turns and conversations by their first
 * span's start.
 *
 * Without `since`, `by: "model"` and `by: "extension"` read the totals the store keeps at
 * ingest (a few rows); `by: "turn"` and `by: "conversation"` read the totals it keeps per
 * turn and conversation (one row per key, model and extension). With `since`, those per-turn
 * (or per-conversation) rows whose spans all started after it are taken whole, and only the
 * few that straddle it are summed from their spans.
 *
 * @param store The trace store.
 * @param options Grouping, time window, prices.
 * @returns One row per key.
 *
 * @example Usage by model, priced
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * import { parsePrices, queryUsage } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([
 *   { kind: "span-open", spanId: "a", name: "chat m", timestamp: 0, extensionId: "host",
 *     attributes: { "gen_ai.request.model": "m" } },
 *   { kind: "span-close", spanId: "a", name: "chat m", timestamp: 5, durationMs: 5, status: "ok",
 *     extensionId: "host", attributes: { "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100 } },
 * ]);
 * const [row] = queryUsage(store, { by: "model", prices: parsePrices({ m: { input: 2, output: 10 } }) });
 * if (row.key !== "m" || row.inputTokens !== 1000 || Math.abs(row.costUsd! - 0.003) > 1e-12) {
 *   throw new Error(JSON.stringify(row));
 * }
 * store.close();
 * ```
 */
export function queryUsage(store: TraceStore, options: UsageOptions = {}): UsageRow[] {
  const by = options.by ?? "model";
  const prices = options.prices;
  const totals = options.since === undefined && (by === "model" || by === "extension");
  if (!totals && hasUsageBy(store)) return fromUsageBy(store, by, prices, options.since);
  const tallies = new Map<string | null, Tally>();
  for (const g of groups(store, by, options.since)) {
    let t = tallies.get(g.key);
    if (t === undefined) {
      t = newTally(g.key, g.first);
      tallies.set(g.key, t);
    }
    addGroup(t, g, prices);
  }
  return ordered(tallies.values(), by);
}

/**
 * The token totals of one turn in the store (for `stats` and `spans` over a store), read
 * through the turn index.
 *
 * @param store The trace store.
 * @param turnId The turn.
 * @returns Its totals (zeros when none of its spans carries usage).
 *
 * @example
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * import { queryTurnUsage } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([{ kind: "span-close", spanId: "a", name: "chat", timestamp: 5, durationMs: 5,
 *   status: "ok", extensionId: "host", turnId: "t1", attributes: { "gen_ai.usage.output_tokens": 40 } }]);
 * if (queryTurnUsage(store, "t1").outputTokens !== 40) throw new Error("total");
 * store.close();
 * ```
 */
export function queryTurnUsage(store: TraceStore, turnId: string): TurnUsage {
  const row = store.db.prepare(
    `SELECT count(*) AS spans, coalesce(sum(input_tokens), 0) AS input,
       coalesce(sum(output_tokens), 0) AS output, sum(cost_usd) AS cost
     FROM spans WHERE turn_key IN (SELECT turn_key FROM turns WHERE turn_id = ?) AND ${USAGE_ROWS}`,
  ).get(turnId);
  return {
    spans: n(row?.spans),
    inputTokens: n(row?.input),
    outputTokens: n(row?.output),
    costUsd: row?.cost === null || row?.cost === undefined ? null : Number(row.cost),
  };
}

/**
 * The text `query --usage` prints: a table with a header naming the grouping, one line per
 * row, and a total line. Costs are shown to the micro-dollar; an unknown cost is `-`, and a
 * partly known one is marked `+` (some spans unpriced).
 *
 * @param rows What {@linkcode queryUsage} returned.
 * @param by The grouping (names the first column).
 * @returns The table, ending with a newline.
 *
 * @example
 * ```ts
 * import { formatUsageTable } from "@dispatch/journal-sink/collector";
 * const text = formatUsageTable(
 *   [{ key: "m", spans: 1, inputTokens: 1000, outputTokens: 100, costUsd: 0.003, unpricedSpans: 0 }],
 *   "model",
 * );
 * if (!/^model\s+spans\s+input tokens\s+output tokens\s+cost USD\n/.test(text)) throw new Error(text);
 * if (!text.includes("0.003000") || !text.includes("total")) throw new Error(text);
 * ```
 */
export function formatUsageTable(
  rows: readonly Omit<UsageRow, "cacheReadTokens" | "cacheWriteTokens">[],
  by: UsageKey,
): string {
  const fmt = (value: number) => value.toLocaleString("en-US");
  const cost = (row: Pick<UsageRow, "costUsd" | "unpricedSpans">) =>
    row.costUsd === null ? "-" : row.costUsd.toFixed(6) + (row.unpricedSpans > 0 ? "+" : "");
  const total: Omit<UsageRow, "cacheReadTokens" | "cacheWriteTokens"> = {
    key: "total",
    spans: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: null,
    unpricedSpans: 0,
  };
  for (const row of rows) {
    total.spans += row.spans;
    total.inputTokens += row.inputTokens;
    total.outputTokens += row.outputTokens;
    total.unpricedSpans += row.unpricedSpans;
    if (row.costUsd !== null) total.costUsd = (total.costUsd ?? 0) + row.costUsd;
  }
  const table = [
    [by, "spans", "input tokens", "output tokens", "cost USD"],
    ...[...rows, total].map((row) => [
      row.key ?? "-",
      fmt(row.spans),
      fmt(row.inputTokens),
      fmt(row.outputTokens),
      cost(row),
    ]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((line) => line[c].length)));
  return table.map((line) =>
    line.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ")
  ).join("\n") + "\n";
}
