/**
 * A conversation's totals over its turns' summaries: what the list shows on a conversation's
 * group header. One rule for both sources' summaries.
 *
 * @module
 */

import type { ConversationSummary, TurnSummary } from "./view_model.ts";
import { roundCost } from "./span_cost.ts";

/**
 * The totals of the conversations in `wanted`, over `turns` (each turn summed into its
 * conversation's), in the order of `wanted`.
 *
 * @param wanted The conversations asked for.
 * @param turns Turn summaries (any, in any order; those of other conversations are skipped).
 * @returns One total per wanted conversation that has a turn.
 *
 * @example
 * ```ts
 * import { conversationTotals } from "./conversation_totals.ts";
 * const turn = { extensions: [], name: "turn", spans: 1, open: 0, inputTokens: 5, outputTokens: 1,
 *   conversationId: "c", errors: 0 };
 * const [total] = conversationTotals(new Set(["c"]), [
 *   { ...turn, turnId: "a", start: 1, end: 2, status: "ok", costUsd: 0.25 },
 *   { ...turn, turnId: "b", start: 3, end: 9, status: "error", errors: 1 },
 * ]);
 * if (total.turns !== 2 || total.errors !== 1 || total.inputTokens !== 10 || total.costUsd !== 0.25 || total.end !== 9) {
 *   throw new Error(JSON.stringify(total));
 * }
 * ```
 */
export function conversationTotals(
  wanted: ReadonlySet<string>,
  turns: Iterable<TurnSummary>,
): ConversationSummary[] {
  const totals = new Map<string, ConversationSummary>();
  for (const id of wanted) {
    totals.set(id, {
      conversationId: id,
      turns: 0,
      start: Infinity,
      end: -Infinity,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
    });
  }
  if (totals.size === 0) return [];
  for (const turn of turns) {
    if (turn.conversationId === undefined || turn.turnId === undefined) continue;
    const total = totals.get(turn.conversationId);
    if (total === undefined) continue;
    total.turns++;
    total.start = Math.min(total.start, turn.start);
    total.end = Math.max(total.end, turn.end);
    if (turn.status === "error") total.errors++;
    total.inputTokens += turn.inputTokens;
    total.outputTokens += turn.outputTokens;
    if (turn.costUsd !== undefined) total.costUsd = roundCost((total.costUsd ?? 0) + turn.costUsd);
  }
  return [...totals.values()].filter((total) => total.turns > 0);
}
