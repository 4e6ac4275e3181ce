/**
 * Long values of a span cut before they reach the page: an attribute, a body or a log entry's
 * attribute longer than a screen is sent as its first part (as text) with its whole size, and
 * the page fetches it whole on demand (`/api/value`). A span of a 4 MiB attribute drew in
 * 6.5 s and showed a screen of one value; no span now sends the page more than
 * {@linkcode SPAN_TEXT_BUDGET} characters of values. Pure.
 *
 * @module
 */

import type { WaterfallSpan } from "./view_model.ts";
import { bodyText, cutText } from "./model_call_view.ts";

/** A value longer than this many characters (as the page writes it) is sent cut. */
export const VALUE_CUT_CHARS = 10_000;
/** Characters of values one span sends at most, by default (a few hundred KB). */
export const SPAN_TEXT_BUDGET = 200_000;
/** What a value is cut to once its span's budget is spent. */
export const SPENT_CUT_CHARS = 200;
/** The most characters `/api/value` answers for one value. */
export const VALUE_ANSWER_CHARS = 16 * 1024 * 1024;

/** The whole size of a value sent cut: its text's characters and lines. */
export interface ValueSize {
  /** Characters (UTF-16 code units) of the whole value as text. */
  chars: number;
  /** Lines of the whole value as text. */
  lines: number;
}

/**
 * Where a value is in a span: `body`, `attributes/<key>`, `logs/<i>/body` or
 * `logs/<i>/attributes/<key>` (`i` the entry's index in the span's logs; the key is the rest).
 */
export type ValuePath = string;

/** A span as the page gets it: its long values cut, `cut` their whole sizes by path. */
export interface CutSpan extends WaterfallSpan {
  /** The values sent cut, by {@linkcode ValuePath}; absent when none is. */
  cut?: Record<ValuePath, ValueSize>;
}

/**
 * Whether `value` written as text may be longer than `max`: a walk that stops as soon as the
 * strings and keys it met pass `max` (a long value is stringified only when it is long).
 */
function mayExceed(value: unknown, max: number): boolean {
  if (typeof value === "string") return value.length > max;
  if (typeof value !== "object" || value === null) return false;
  let seen = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === "string") seen += next.length + 4;
    else if (typeof next === "object" && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        seen += key.length + 4;
        stack.push(item);
      }
    } else seen += 8;
    if (seen > max) return true;
  }
  return false;
}

/**
 * `span` with its long values cut: each to {@linkcode VALUE_CUT_CHARS}, and once the span has
 * sent {@linkcode SPAN_TEXT_BUDGET} characters, to {@linkcode SPENT_CUT_CHARS}. A cut value
 * becomes the first part of its text (a string); the span itself is not changed.
 *
 * @param span A span of a view.
 * @returns The span to send: `span` itself when nothing is cut.
 *
 * @example A 4 MiB attribute is sent as its first 10,000 characters
 * ```ts
 * import { cutSpanValues } from "./value_cut.ts";
 * const span = {
 *   spanId: "s", name: "tool", extensionId: "x", start: 0, status: "ok" as const, depth: 0,
 *   parent: -1, attributes: { big: "x".repeat(4 * 1024 * 1024), small: 1 }, links: [], logs: [],
 *   anomalies: [],
 * };
 * const sent = cutSpanValues(span);
 * if ((sent.attributes.big as string).length !== 10_000) throw new Error("cut");
 * if (sent.cut?.["attributes/big"].chars !== 4 * 1024 * 1024) throw new Error("its size");
 * if (sent.attributes.small !== 1 || span.attributes.big.length !== 4 * 1024 * 1024) throw new Error("kept");
 * ```
 */
export function cutSpanValues(span: WaterfallSpan): CutSpan {
  let used = 0;
  let cut: Record<ValuePath, ValueSize> | undefined;
  /** The value to send for `value` at `path`: itself, or its text cut. */
  const send = (path: ValuePath, value: unknown): unknown => {
    const max = Math.max(SPENT_CUT_CHARS, Math.min(VALUE_CUT_CHARS, SPAN_TEXT_BUDGET - used));
    if (!mayExceed(value, max)) {
      used += typeof value === "string" ? value.length : 8;
      return value;
    }
    const whole = cutText(bodyText(value), max);
    used += whole.text.length;
    if (!whole.cut) return value;
    (cut ??= {})[path] = { chars: whole.chars, lines: whole.lines };
    return whole.text;
  };
  /** A record of attributes with each value sent as `send` says, `undefined` if none changed. */
  const attributesOf = (prefix: string, attributes: Record<string, unknown>) => {
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      const sent = send(prefix + key, value);
      if (sent !== value) (out ??= { ...attributes })[key] = sent;
    }
    return out;
  };
  const attributes = attributesOf("attributes/", span.attributes);
  const body = span.body === undefined ? undefined : send("body", span.body);
  let logs: WaterfallSpan["logs"] | undefined;
  span.logs.forEach((log, i) => {
    const logAttributes = log.attributes && attributesOf(`logs/${i}/attributes/`, log.attributes);
    const logBody = log.body === undefined ? undefined : send(`logs/${i}/body`, log.body);
    if (logAttributes === undefined && logBody === log.body) return;
    logs ??= span.logs.slice();
    logs[i] = { ...log };
    if (logAttributes !== undefined) logs[i].attributes = logAttributes;
    if (logBody !== log.body) logs[i].body = logBody;
  });
  if (cut === undefined) return span;
  const sent: CutSpan = { ...span, cut };
  if (attributes !== undefined) sent.attributes = attributes;
  if (body !== span.body) sent.body = body;
  if (logs !== undefined) sent.logs = logs;
  return sent;
}

/**
 * The value at `path` in `span` (see {@linkcode ValuePath}), or `undefined` when there is none.
 *
 * @param span A span of a view, its values whole.
 * @param path Where the value is.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { valueAt } from "./value_cut.ts";
 * const span = { attributes: { "a/b": 1 }, body: "B", logs: [{ attributes: { k: 2 }, body: 3 }] };
 * if (valueAt(span, "attributes/a/b") !== 1 || valueAt(span, "body") !== "B") throw new Error("span");
 * if (valueAt(span, "logs/0/attributes/k") !== 2 || valueAt(span, "logs/0/body") !== 3) throw new Error("log");
 * if (valueAt(span, "logs/1/body") !== undefined || valueAt(span, "toString") !== undefined) throw new Error("none");
 * ```
 */
export function valueAt(
  span: Pick<WaterfallSpan, "attributes" | "body"> & {
    logs: { attributes?: Record<string, unknown>; body?: unknown }[];
  },
  path: ValuePath,
): unknown {
  const own = (record: Record<string, unknown> | undefined, key: string) =>
    record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
  if (path === "body") return span.body;
  if (path.startsWith("attributes/")) return own(span.attributes, path.slice(11));
  const log = /^logs\/(\d+)\/(body|attributes\/)/.exec(path);
  if (!log) return undefined;
  const entry = span.logs[Number(log[1])];
  if (entry === undefined) return undefined;
  if (log[2] === "body") return path === `logs/${log[1]}/body` ? entry.body : undefined;
  return own(entry.attributes, path.slice(log[0].length));
}

/**
 * What `/api/value` answers for a value: its text, whole up to {@linkcode VALUE_ANSWER_CHARS}.
 *
 * @param value The value, whole.
 * @returns Its text, whether that is still cut, and its whole size.
 */
export function valueAnswer(value: unknown): { text: string; cut: boolean } & ValueSize {
  const whole = cutText(bodyText(value), VALUE_ANSWER_CHARS);
  return { text: whole.text, cut: whole.cut, chars: whole.chars, lines: whole.lines };
}
