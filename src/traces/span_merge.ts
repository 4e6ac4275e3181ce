/**
 * A span's close merged over its open: the one rule for every reader that pairs them (span
 * trees, the trace store's planner and writer, the OTLP exporter, the viewer). Pure, on the
 * records' fields as read (any type): a field of the wrong type counts as absent.
 *
 * @module
 */

import { isAttributes, isLink } from "../record_check.ts";
import type { Link } from "../records.ts";

/**
 * A record's `attributes` field when it is a plain object (not an array, not null).
 *
 * @param value The field, as read.
 * @returns The attributes, or `undefined`.
 *
 * @example
 * ```ts
 * import { attributesOf } from "./span_merge.ts";
 * if (attributesOf("done") !== undefined || attributesOf({ a: 1 })?.a !== 1) throw new Error("rule");
 * ```
 */
export function attributesOf(value: unknown): Record<string, unknown> | undefined {
  return isAttributes(value) ? value : undefined;
}

/**
 * The well-formed links of a record's `links` field (a new array; empty for anything else).
 *
 * @param value The field, as read.
 * @returns Its links that are links.
 *
 * @example
 * ```ts
 * import { linksOf } from "./span_merge.ts";
 * if (linksOf([null, { spanId: "a" }]).length !== 1 || linksOf(5).length !== 0) throw new Error("rule");
 * ```
 */
export function linksOf(value: unknown): Link[] {
  if (!Array.isArray(value) || value.length === 0) return [];
  return value.filter(isLink) as Link[];
}

/**
 * The attributes of a span once its close is merged over its open: the close's over the
 * open's.
 *
 * @param open The open's attributes (already checked, e.g. by {@linkcode attributesOf}).
 * @param close The close's `attributes` field, as read.
 * @returns The merged attributes: `open` itself (or `{}`) when the close has none, else a new
 *   object.
 *
 * @example
 * ```ts
 * import { mergeAttributes } from "./span_merge.ts";
 * const merged = mergeAttributes({ a: 1, b: 1 }, { b: 2 });
 * if (merged.a !== 1 || merged.b !== 2 || Object.keys(mergeAttributes(undefined, "x")).length !== 0) {
 *   throw new Error("rule");
 * }
 * ```
 */
export function mergeAttributes(
  open: Record<string, unknown> | undefined,
  close: unknown,
): Record<string, unknown> {
  const own = attributesOf(close);
  return own === undefined ? open ?? {} : { ...open, ...own };
}

/**
 * The links of a span once its close is merged over its open: the open's, then the close's
 * well-formed links to a span the open does not already link (each span id once, the open's
 * first).
 *
 * @param open The open's links (already checked, e.g. by {@linkcode linksOf}).
 * @param close The close's `links` field, as read.
 * @returns `open` itself when the close adds none, else a new array.
 *
 * @example
 * ```ts
 * import { mergeLinks } from "./span_merge.ts";
 * const links = mergeLinks([{ spanId: "a", reason: "open" }], [{ spanId: "a" }, { spanId: "b" }, null]);
 * if (links.map((l) => l.spanId + (l.reason ?? "")).join() !== "aopen,b") throw new Error("rule");
 * ```
 */
export function mergeLinks(open: Link[], close: unknown): Link[] {
  if (!Array.isArray(close) || close.length === 0) return open;
  let links = open;
  for (const link of close) {
    if (!isLink(link)) continue;
    const spanId = (link as Link).spanId;
    if (links.some((known) => known.spanId === spanId)) continue;
    if (links === open) links = open.slice();
    links.push(link as Link);
  }
  return links;
}

/**
 * The status a close gives its span: `"error"` when it says so, else `"ok"`.
 *
 * @param status The close's `status` field, as read.
 * @returns The status.
 *
 * @example
 * ```ts
 * import { closeStatus } from "./span_merge.ts";
 * if (closeStatus("error") !== "error" || closeStatus("weird") !== "ok") throw new Error("rule");
 * ```
 */
export function closeStatus(status: unknown): "ok" | "error" {
  return status === "error" ? "error" : "ok";
}

/**
 * A closed span's duration: the close's `durationMs` when it is a finite number (measured by
 * the writer, possibly on another clock than the timestamps), else its end minus its start.
 *
 * @param durationMs The close's `durationMs` field, as read.
 * @param start The span's start (its open's timestamp).
 * @param end The close's timestamp.
 * @returns The duration in milliseconds.
 *
 * @example
 * ```ts
 * import { closeDuration } from "./span_merge.ts";
 * if (closeDuration(7.5, 0, 9) !== 7.5 || closeDuration(undefined, 2, 9) !== 7) throw new Error("rule");
 * ```
 */
export function closeDuration(durationMs: unknown, start: number, end: number): number {
  return typeof durationMs === "number" && Number.isFinite(durationMs) ? durationMs : end - start;
}

/**
 * The start of a span read only by its close (its open was never read): the close's
 * timestamp minus its `durationMs` (none when that is not a finite number).
 *
 * @param durationMs The close's `durationMs` field, as read.
 * @param end The close's timestamp.
 * @returns The start.
 *
 * @example
 * ```ts
 * import { closeOnlyStart } from "./span_merge.ts";
 * if (closeOnlyStart(4, 10) !== 6 || closeOnlyStart("4", 10) !== 10) throw new Error("rule");
 * ```
 */
export function closeOnlyStart(durationMs: unknown, end: number): number {
  return typeof durationMs === "number" && Number.isFinite(durationMs) ? end - durationMs : end;
}

/**
 * A text field of a span once its close is merged over its open (conversation, turn,
 * parent, trace): the open's when it has one, else the close's.
 *
 * @param open The open's field, as read.
 * @param close The close's field, as read.
 * @returns The text, or `undefined` when neither has one.
 *
 * @example
 * ```ts
 * import { keptText } from "./span_merge.ts";
 * if (keptText("t1", "t2") !== "t1" || keptText(5, "t2") !== "t2") throw new Error("rule");
 * ```
 */
export function keptText(open: unknown, close: unknown): string | undefined {
  return typeof open === "string" ? open : typeof close === "string" ? close : undefined;
}
