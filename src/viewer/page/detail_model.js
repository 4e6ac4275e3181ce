// @ts-check
/**
 * What the detail pane says about a span, pure: its error, which bodies fold, how links
 * read. No DOM.
 *
 * @module
 */

/** @import { WaterfallSpan } from "../view_model.ts" */

import { formatNumber, valueText } from "./format.js";

/** A body longer than this many characters is folded. */
export const BODY_FOLD_CHARS = 1500;
/** A body of more lines than this is folded. */
export const BODY_FOLD_LINES = 25;

/** The attributes that say what went wrong, the first one present winning. */
const ERROR_KEYS = [
  "error.message",
  "exception.message",
  "error",
  "error.type",
  "exception.type",
  "status.message",
];

/**
 * What went wrong in a span: its first error attribute; for a failed span without one, a
 * note; else `undefined`.
 *
 * @param {Pick<WaterfallSpan, "attributes" | "status">} span
 * @returns {string | undefined}
 */
export function errorText(span) {
  for (let i = 0; i < ERROR_KEYS.length; i++) {
    if (span.attributes[ERROR_KEYS[i]] !== undefined) {
      return valueText(span.attributes[ERROR_KEYS[i]]);
    }
  }
  return span.status === "error" ? "(no error attribute)" : undefined;
}

/**
 * The summary of a folded body, or `undefined` when it is short enough to show whole.
 *
 * @param {string} text The body as text.
 * @returns {string | undefined}
 */
export function bodyFoldSummary(text) {
  const lines = text.split("\n").length;
  if (text.length <= BODY_FOLD_CHARS && lines <= BODY_FOLD_LINES) return undefined;
  return "Show body (" + formatNumber(lines) + " lines, " + formatNumber(text.length) +
    " characters)";
}

/**
 * A link's line: the span it points to and why.
 *
 * @param {WaterfallSpan["links"][number]} link
 * @returns {string}
 */
export function linkText(link) {
  return link.spanId + (link.reason ? " (" + link.reason + ")" : "");
}
