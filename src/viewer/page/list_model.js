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
 * @property {string} [model]
 * @property {string} [attr] `key=value`
 * @property {string} [minMs]
 * @property {string} [maxMs]
 * @property {string} [from] A local time as `datetime-local` writes it.
 * @property {string} [to]
 * @property {number} offset
 */

/** Lines a page of the list asks for. */
export const LIST_LIMIT = 100;

/**
 * @type {readonly ("conversation" | "extension" | "status" | "q" | "model" | "attr" | "minMs" |
 *   "maxMs" | "from" | "to")[]}
 */
const FILTER_KEYS = [
  "conversation",
  "extension",
  "status",
  "q",
  "model",
  "attr",
  "minMs",
  "maxMs",
  "from",
  "to",
];

/** The filters only set when the address has them (the list's older ones are always there). */
const MORE_KEYS = /** @type {const} */ (["model", "attr", "minMs", "maxMs", "from", "to"]);

/**
 * The filters an address's query asks for; a bad offset is 0.
 *
 * @param {URLSearchParams} params
 * @returns {ListFilters}
 */
export function listFilters(params) {
  /** @type {ListFilters} */
  const filters = {
    conversation: params.get("conversation") || "",
    extension: params.get("extension") || "",
    status: params.get("status") || "",
    q: params.get("q") || "",
    offset: Math.max(0, Number(params.get("offset")) || 0),
  };
  MORE_KEYS.forEach(function (key) {
    const value = params.get(key);
    if (value) filters[key] = value;
  });
  return filters;
}

/**
 * The API's query for the filters: times as ms since the epoch (the address keeps them as the
 * page's time fields write them).
 *
 * @param {ListFilters} filters
 * @returns {URLSearchParams}
 */
export function apiQuery(filters) {
  const q = listQuery(filters);
  q.delete("view");
  ["from", "to"].forEach(function (key) {
    const value = q.get(key);
    if (value === null) return;
    const ms = new Date(value).getTime();
    if (isNaN(ms)) q.delete(key);
    else q.set(key, String(ms));
  });
  return q;
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
    const value = filters[key];
    if (value) q.set(key, value);
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
