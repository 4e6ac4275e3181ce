/**
 * What the viewer takes from a record it read: the record itself when every field it uses
 * has its type, a copy without the optional fields of the wrong type, or nothing when a
 * required field is missing. The reader refuses most such records already; the viewer must
 * survive the ones it lets through (an older reader, a file written by hand), since one
 * record that throws while indexing would stop its follower for good.
 *
 * @module
 */

import { recordDefect } from "../record_check.ts";

/** A record as the viewer indexes it: a known kind and that kind's fields. */
export type ViewerRecord = Record<string, unknown> & { kind: string };

const OPTIONAL_TEXT = ["conversationId", "turnId", "parentSpanId", "traceId"] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function usableLink(link: unknown): boolean {
  return isObject(link) && typeof link.spanId === "string";
}

/**
 * The record as the viewer can use it.
 *
 * @param value A parsed line.
 * @returns The record (a cleaned copy when an optional field had the wrong type), `null`
 *   for a record the viewer cannot use (counted as skipped), `undefined` for a kind it does
 *   not show.
 *
 * @example
 * ```ts
 * import { viewerRecord } from "./viewer_record.ts";
 * const close = {
 *   kind: "span-close", spanId: "s", name: "n", timestamp: 2, durationMs: 1, status: "ok",
 *   extensionId: "x", attributes: "done",
 * };
 * const usable = viewerRecord(close); // skipped, or kept without its string attributes
 * if (usable && "attributes" in usable) throw new Error("never indexed with string attributes");
 * if (viewerRecord({ kind: "log", level: "info" }) !== null) throw new Error("no msg: skipped");
 * ```
 */
export function viewerRecord(value: unknown): ViewerRecord | null | undefined {
  if (!isObject(value)) return null;
  const kind = value.kind;
  if (kind !== "log" && kind !== "span-open" && kind !== "span-close") {
    return typeof kind === "string" && kind !== "" ? undefined : null;
  }
  if (recordDefect(value, false) !== undefined) return null;
  let out: Record<string, unknown> | undefined;
  const drop = (field: string) => {
    out ??= { ...value };
    delete out[field];
  };
  for (const field of OPTIONAL_TEXT) {
    if (field in value && typeof value[field] !== "string") drop(field);
  }
  if ("attributes" in value && !isObject(value.attributes)) drop("attributes");
  if ("links" in value) {
    const links = value.links;
    if (!Array.isArray(links)) drop("links");
    else if (!links.every(usableLink)) (out ??= { ...value }).links = links.filter(usableLink);
  }
  if (kind === "log" && "spanId" in value && typeof value.spanId !== "string") drop("spanId");
  return (out ?? value) as ViewerRecord;
}
