// @ts-check
/**
 * The turn list's pure steps: the filters as a query, the lines grouped by conversation,
 * the text of a line's cells and of the pager. No DOM.
 *
 * @module
 */

/** @import { TurnListAnswer, TurnSummary } from "../view_model.ts" */

import { formatNumber } from "./format.js";

/**
 * The list's filters and page, as the address bar keeps them.
 *
 * @typedef {object} ListFilters
 * @property {string} conversation
 * @property {string} extension
 * @property {string} status
 * @property {string} q
 * @property {number} offset
 */

/** Lines a page of the list asks for. */
export const LIST_LIMIT = 100;

/** @type {readonly ("conversation" | "extension" | "status" | "q")[]} */
const FILTER_KEYS = ["conversation", "extension", "status", "q"];

/**
 * The filters an address's query asks for; a bad offset is 0.
 *
 * @param {URLSearchParams} params
 * @returns {ListFilters}
 */
export function listFilters(params) {
  return {
    conversation: params.get("conversation") || "",
    extension: params.get("extension") || "",
    status: params.get("status") || "",
    q: params.get("q") || "",
    offset: Math.max(0, Number(params.get("offset")) || 0),
  };
}

/**
 * The query that keeps the filters in the address bar: only those set, the offset unless 0.
 *
 * @param {ListFilters} filters
 * @returns {URLSearchParams}
 */
export function listQuery(filters) {
  const q = new URLSearchParams();
  FILTER_KEYS.forEach(function (key) {
    if (filters[key]) q.set(key, filters[key]);
  });
  // `/?conversation=<id>` alone is the conversation's chat view; the list filtered says so.
  if (filters.conversation) q.set("view", "list");
  if (filters.offset) q.set("offset", String(filters.offset));
  return q;
}

/**
 * What a list line stands for: its turn, else (a trace without a turn) its trace.
 *
 * @param {TurnSummary} turn
 * @returns {string}
 */
export function lineId(turn) {
  return turn.turnId !== undefined ? turn.turnId : /** @type {string} */ (turn.traceId);
}

/**
 * The lines by conversation, in the order each conversation first appears; `""` for lines
 * without one.
 *
 * @param {TurnSummary[]} turns
 * @returns {Map<string, TurnSummary[]>}
 */
export function groupByConversation(turns) {
  /** @type {Map<string, TurnSummary[]>} */
  const groups = new Map();
  turns.forEach(function (turn) {
    const key = turn.conversationId === undefined ? "" : turn.conversationId;
    let group = groups.get(key);
    if (!group) groups.set(key, group = []);
    group.push(turn);
  });
  return groups;
}

/**
 * How long a line has run: an open one, until `now`.
 *
 * @param {TurnSummary} turn
 * @param {number} now The server's clock, ms since the epoch.
 * @returns {number}
 */
export function lineDuration(turn, now) {
  return (turn.status === "open" ? Math.max(turn.end, now) : turn.end) - turn.start;
}

/**
 * A line's tokens cell: `in / out`, or a dash when it used none.
 *
 * @param {TurnSummary} turn
 * @returns {string}
 */
export function tokensText(turn) {
  return turn.inputTokens || turn.outputTokens
    ? formatNumber(turn.inputTokens) + " / " + formatNumber(turn.outputTokens)
    : "–";
}

/**
 * The pager's text: which lines show, and how many records the source skipped.
 *
 * @param {Pick<TurnListAnswer, "turns" | "skipped">} page
 * @param {number} offset
 * @returns {string}
 */
export function pagerText(page, offset) {
  return (page.turns.length ? "turns " + (offset + 1) + "–" + (offset + page.turns.length) : "") +
    (page.skipped ? " · " + formatNumber(page.skipped) + " unreadable records skipped" : "");
}
