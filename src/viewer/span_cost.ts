/**
 * What a span cost, as the viewer shows it: the rule of `query --usage` applied to one span
 * (its own cost attribute wins, else its tokens at its model's price, cache reads and writes at
 * their own rates through `priceTokens`), so the list, the turn and `/stats` agree with the CLI.
 *
 * @module
 */

import type { SpanUsage } from "../genai/usage.ts";
import { type ModelPrices, priceTokens } from "../collector/prices.ts";

/** A span's cost in USD from its usage, `null` when unknown (no cost attribute, no price). */
export type CostOf = (usage: SpanUsage) => number | null;

/**
 * The cost rule for one span, over a prices file (or none: then only spans' own costs count).
 *
 * @param prices The prices of `serve --prices`, when given.
 * @returns The span's cost from its usage.
 *
 * @example Own cost wins; else tokens at the model's price
 * ```ts
 * import { spanCostOf } from "./span_cost.ts";
 * import { parsePrices } from "../collector/prices.ts";
 * import { readUsage } from "../genai/usage.ts";
 * const costOf = spanCostOf(parsePrices({ m: { input: 2, output: 10 } }));
 * const priced = costOf(readUsage({
 *   "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100,
 * }));
 * const own = costOf(readUsage({ "gen_ai.usage.cost": 0.5, "gen_ai.request.model": "m" }));
 * if (Math.abs(priced! - 0.003) > 1e-12 || own !== 0.5) throw new Error(`${priced} ${own}`);
 * ```
 */
export function spanCostOf(prices: ModelPrices | undefined): CostOf {
  return (usage) => {
    if (usage.costUsd !== null) return usage.costUsd;
    if (prices === undefined || usage.model === null) return null;
    if (usage.inputTokens === null && usage.outputTokens === null) return null;
    const price = prices.priceOf(usage.model);
    if (price === undefined) return null;
    return priceTokens(price, {
      input: usage.inputTokens ?? 0,
      output: usage.outputTokens ?? 0,
      cacheRead: usage.cacheReadTokens ?? 0,
      cacheWrite: usage.cacheWriteTokens ?? 0,
    }).cost;
  };
}

/**
 * A sum of costs rid of float noise below a pico-dollar, as `query --usage` rounds.
 *
 * @param usd A sum in USD.
 * @returns It rounded to 1e-12.
 *
 * @example
 * ```ts
 * import { roundCost } from "./span_cost.ts";
 * if (roundCost(0.1 + 0.2) !== 0.3) throw new Error("rounded");
 * ```
 */
export function roundCost(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}
