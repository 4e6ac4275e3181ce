// @ts-check
/**
 * How the page writes a cost in USD: pure, no DOM. The server sums and prices; the page only
 * writes the number.
 *
 * @module
 */

import { formatNumber } from "./format.js";

/**
 * A cost in USD: `$12.34` from a dollar up, `$0.0123` below (four decimals: a model call costs
 * fractions of a cent), `<$0.0001` for less than that but more than nothing, `–` when unknown.
 *
 * @param {number | undefined | null} usd
 * @returns {string}
 */
export function formatCost(usd) {
  if (usd === undefined || usd === null || !Number.isFinite(usd)) return "–";
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  if (usd >= 1) {
    const cents = Math.round(usd * 100);
    return "$" + formatNumber(Math.floor(cents / 100)) + "." + String(cents % 100).padStart(2, "0");
  }
  return "$" + usd.toFixed(4);
}

/**
 * Tokens and cost as one short text: `1,200 / 300 tokens · $0.0123`; parts without a value
 * left out.
 *
 * @param {{ inputTokens: number, outputTokens: number, costUsd?: number }} usage
 * @returns {string}
 */
export function usageText(usage) {
  const parts = [];
  if (usage.inputTokens || usage.outputTokens) {
    parts.push(
      formatNumber(usage.inputTokens) + " / " + formatNumber(usage.outputTokens) + " tokens",
    );
  }
  if (usage.costUsd !== undefined) parts.push(formatCost(usage.costUsd));
  return parts.join(" · ");
}
