// @ts-check
/**
 * The conversation view's pure steps: the text of a turn's header and of a tool call. No DOM.
 *
 * @module
 */

/** @import { ChatTurn, ChatToolCall } from "../conversation_view.ts" */
/** @import { ConversationSummary } from "../view_model.ts" */

import { formatDuration, formatNumber } from "./format.js";
import { formatCost, usageText } from "./cost_format.js";

/**
 * A turn's facts as the header of its chat card shows them: duration (an open turn's until
 * `now`), tokens and cost.
 *
 * @param {ChatTurn} turn
 * @param {number} now The server's clock.
 * @returns {string}
 */
export function chatTurnFacts(turn, now) {
  const end = turn.status === "open" ? Math.max(turn.end, now) : turn.end;
  const parts = [formatDuration(end - turn.start)];
  const usage = usageText(turn);
  if (usage) parts.push(usage);
  if (turn.errors) {
    parts.push(formatNumber(turn.errors) + (turn.errors === 1 ? " error" : " errors"));
  }
  return parts.join(" · ");
}

/**
 * A tool call's line: `weather · 150 ms`.
 *
 * @param {ChatToolCall} tool
 * @returns {string}
 */
export function toolText(tool) {
  return tool.name + (tool.durationMs === undefined ? "" : " · " + formatDuration(tool.durationMs));
}

/**
 * A conversation's totals as one line: `3 turns · 1 failed · 6,000 / 600 tokens · $0.5072`.
 *
 * @param {ConversationSummary} totals
 * @returns {string}
 */
export function conversationTotalsText(totals) {
  const parts = [formatNumber(totals.turns) + (totals.turns === 1 ? " turn" : " turns")];
  if (totals.errors) parts.push(formatNumber(totals.errors) + " failed");
  if (totals.inputTokens || totals.outputTokens) {
    parts.push(
      formatNumber(totals.inputTokens) + " / " + formatNumber(totals.outputTokens) + " tokens",
    );
  }
  if (totals.costUsd !== undefined) parts.push(formatCost(totals.costUsd));
  return parts.join(" · ");
}
