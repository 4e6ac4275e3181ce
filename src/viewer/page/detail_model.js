// @ts-check
/**
 * What the detail pane says about a span, pure: its error, which bodies fold, how links
 * read. No DOM.
 *
 * @module
 */

/** @import { WaterfallSpan } from "../view_model.ts" */
/** @import { ReadableSpan } from "../readable_page.ts" */
/** @import { ValueSize } from "../value_cut.ts" */

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

/** Where a failed span's stack is, the first present winning. */
const STACK_KEYS = ["exception.stacktrace", "error.stack", "error.stacktrace", "stack"];
/** Where its kind of error is. */
const TYPE_KEYS = ["error.type", "exception.type"];

/**
 * A failed span's error, gathered once: its message, its type and its stack as lines, and the
 * attribute keys it came from (the pane leaves them out of the attribute list, so the error is
 * shown once). From the span's attributes, else from its first `exception` log entry (an
 * OpenTelemetry exception event); `index` is that entry's, -1 when none.
 *
 * @typedef {object} ErrorDetails
 * @property {string} message
 * @property {string | undefined} type
 * @property {string[]} stack The stack's lines; empty when there is none.
 * @property {string[]} keys The attributes shown in it.
 * @property {number} log The log entry it came from, or -1.
 */

/**
 * A stack trace's lines: real line breaks, or, in a stack written as one line with its breaks
 * escaped (`\n` as two characters), those.
 *
 * @param {string} stack
 * @returns {string[]}
 */
export function stackLines(stack) {
  const lines = stack.split(/\r?\n/);
  if (lines.length === 1 && stack.indexOf("\\n") >= 0) return stack.split(/(?:\\r)?\\n/);
  return lines;
}

/**
 * The message and stack of an error kept as an object (`{ message, stack }`).
 *
 * @param {unknown} value
 * @returns {{ message?: string, stack?: string, type?: string }}
 */
function errorObject(value) {
  if (typeof value !== "object" || value === null) return {};
  const o = /** @type {Record<string, unknown>} */ (value);
  return {
    message: typeof o.message === "string" ? o.message : undefined,
    stack: typeof o.stack === "string" ? o.stack : undefined,
    type: typeof o.name === "string" ? o.name : typeof o.type === "string" ? o.type : undefined,
  };
}

/**
 * The error of a span from one set of attributes, or `undefined` when they hold none.
 *
 * @param {Record<string, unknown>} attributes
 * @returns {Omit<ErrorDetails, "log"> | undefined}
 */
function errorFrom(attributes) {
  /** @type {string[]} */
  const keys = [];
  /** @type {string | undefined} */
  let message;
  /** @type {string | undefined} */
  let stack;
  /** @type {string | undefined} */
  let type;
  for (let i = 0; i < ERROR_KEYS.length && message === undefined; i++) {
    const key = ERROR_KEYS[i];
    if (TYPE_KEYS.indexOf(key) >= 0 || attributes[key] === undefined) continue;
    const value = attributes[key];
    const inside = errorObject(value);
    message = inside.message !== undefined ? inside.message : valueText(value);
    if (inside.stack !== undefined) stack = inside.stack;
    if (inside.type !== undefined) type = inside.type;
    keys.push(key);
  }
  for (let i = 0; i < STACK_KEYS.length && stack === undefined; i++) {
    const value = attributes[STACK_KEYS[i]];
    if (typeof value === "string") {
      stack = value;
      keys.push(STACK_KEYS[i]);
    }
  }
  for (let i = 0; i < TYPE_KEYS.length && type === undefined; i++) {
    const value = attributes[TYPE_KEYS[i]];
    if (value !== undefined) {
      type = valueText(value);
      keys.push(TYPE_KEYS[i]);
    }
  }
  if (message === undefined && stack === undefined && type === undefined) return undefined;
  // The stack usually starts with the message: not shown twice.
  let lines = stack === undefined ? [] : stackLines(stack);
  if (message === undefined) message = lines.length ? lines[0] : /** @type {string} */ (type);
  if (lines.length && (lines[0] === message || lines[0].endsWith(": " + message))) {
    lines = lines.slice(1);
  }
  return { message: message, type: type, stack: lines, keys: keys };
}

/**
 * What went wrong in a span, gathered once (see {@linkcode ErrorDetails}); `undefined` for a
 * span that neither failed nor carries an error.
 *
 * @param {Pick<WaterfallSpan, "attributes" | "status" | "logs">} span
 * @returns {ErrorDetails | undefined}
 */
export function errorDetails(span) {
  const own = errorFrom(span.attributes);
  if (own) {
    return { message: own.message, type: own.type, stack: own.stack, keys: own.keys, log: -1 };
  }
  for (let i = 0; i < span.logs.length; i++) {
    const log = span.logs[i];
    if (log.msg !== "exception" || !log.attributes) continue;
    const found = errorFrom(log.attributes);
    if (found) {
      return {
        message: found.message,
        type: found.type,
        stack: found.stack,
        keys: found.keys,
        log: i,
      };
    }
  }
  if (span.status !== "error") return undefined;
  return { message: "(no error attribute)", type: undefined, stack: [], keys: [], log: -1 };
}

/**
 * The whole size of a value the server sent cut, or `undefined` when it is whole.
 *
 * @param {ReadableSpan} span
 * @param {string} path Where the value is (`attributes/<key>`, `body`, `logs/<i>/body` …).
 * @returns {ValueSize | undefined}
 */
export function cutOf(span, path) {
  return span.cut && Object.prototype.hasOwnProperty.call(span.cut, path)
    ? span.cut[path]
    : undefined;
}

/**
 * The note under a value sent cut: how much of it shows.
 *
 * @param {number} shown Characters shown.
 * @param {ValueSize} size The whole value's.
 * @returns {string}
 */
export function valueCutNote(shown, size) {
  return "Showing the first " + formatNumber(shown) + " of " + formatNumber(size.chars) +
    " characters (" + formatNumber(size.lines) + (size.lines === 1 ? " line)." : " lines).");
}

/**
 * Where the page asks for a value whole.
 *
 * @param {"turn" | "trace"} kind
 * @param {string} id The turn's or trace's id.
 * @param {string} spanId
 * @param {string} path
 * @returns {string}
 */
export function valueUrl(kind, id, spanId, path) {
  return "/api/value?" + kind + "=" + encodeURIComponent(id) + "&span=" +
    encodeURIComponent(spanId) + "&path=" + encodeURIComponent(path);
}

/** The event an evaluation of a GenAI output is written as (OpenTelemetry GenAI conventions). */
export const EVALUATION_EVENT = "gen_ai.evaluation.result";

/**
 * One `gen_ai.evaluation.result` event: what was evaluated (`gen_ai.evaluation.name`), its
 * score, label and explanation, and the error type when the evaluation failed.
 *
 * @typedef {object} Evaluation
 * @property {string} name
 * @property {number | undefined} score
 * @property {string | undefined} label
 * @property {string | undefined} explanation
 * @property {string | undefined} error
 */

/**
 * The evaluation results written on a span (log entries named `gen_ai.evaluation.result`, or
 * with that `event.name`), in order.
 *
 * @param {Pick<WaterfallSpan, "logs">} span
 * @returns {Evaluation[]}
 */
export function evaluations(span) {
  /** @type {Evaluation[]} */
  const out = [];
  span.logs.forEach(function (log) {
    const a = log.attributes || {};
    if (log.msg !== EVALUATION_EVENT && a["event.name"] !== EVALUATION_EVENT) return;
    /** @param {string} key */
    const text = function (key) {
      return a[key] === undefined || a[key] === null ? undefined : valueText(a[key]);
    };
    const score = a["gen_ai.evaluation.score.value"];
    out.push({
      name: text("gen_ai.evaluation.name") || "evaluation",
      score: typeof score === "number" && isFinite(score) ? score : undefined,
      label: text("gen_ai.evaluation.score.label"),
      explanation: text("gen_ai.evaluation.explanation"),
      error: text("error.type"),
    });
  });
  return out;
}

/**
 * An evaluation in a few words: `relevance 0.9 (relevant)`.
 *
 * @param {Evaluation} e
 * @returns {string}
 */
export function evaluationText(e) {
  const parts = [e.name];
  if (e.score !== undefined) parts.push(String(e.score));
  if (e.label !== undefined) parts.push(e.score !== undefined ? "(" + e.label + ")" : e.label);
  if (e.error !== undefined) parts.push("failed: " + e.error);
  return parts.join(" ");
}
