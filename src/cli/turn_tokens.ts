/**
 * Token totals per turn, as `stats` and `spans` show them: from the `gen_ai.usage.*`
 * attributes of the spans read, counted by `TurnUsageTally`.
 *
 * @module
 */

import type { TurnUsage } from "../genai/usage.ts";
import { printable } from "./printable.ts";

/**
 * The totals as a JSON object keyed by turn id, in the order the turns were first counted.
 *
 * @param totals `TurnUsageTally.totals()`.
 * @returns `{ "<turn>": { spans, inputTokens, outputTokens, costUsd } }`.
 */
export function tokensByTurn(totals: Map<string, TurnUsage>): Record<string, TurnUsage> {
  return Object.fromEntries(totals);
}

/**
 * One turn's line: `t1  input 1,200 · output 340 tokens (2 spans) · $0.004100`, the turn id
 * escaped for the terminal.
 *
 * @param turnId The turn.
 * @param usage Its totals.
 * @returns The text, without a newline.
 */
export function turnTokensLine(turnId: string, usage: TurnUsage): string {
  const fmt = (value: number) => value.toLocaleString("en-US");
  const spans = `${usage.spans} ${usage.spans === 1 ? "span" : "spans"}`;
  const cost = usage.costUsd === null ? "" : ` · $${usage.costUsd.toFixed(6)}`;
  return `${printable(turnId)}  input ${fmt(usage.inputTokens)} · output ${
    fmt(usage.outputTokens)
  } tokens (${spans})${cost}`;
}
