/**
 * Cutting a record that is too large to be useful down to a line within a byte limit:
 * its largest fields (`body`, attribute values, then `msg`) are shortened and marked.
 *
 * @module
 */

import { serialize } from "./serialize.ts";
import { utf8Length } from "./utf8_length.ts";

/** The smallest `maxRecordBytes`: room for a record's ids when everything else is cut. */
export const MIN_RECORD_BYTES = 4096;
/** How many characters of each remaining string field the last-resort line keeps. */
const LAST_RESORT_CHARS = 40;
/** Rounds of cutting before the last resort (each cuts the largest field left). */
const MAX_ROUNDS = 32;

/** The marker that ends a cut string: `…[cut N bytes]`. */
function marker(cutBytes: number): string {
  return `…[cut ${cutBytes} bytes]`;
}

/** A line that fits, and whether anything was cut to make it fit. */
export interface CutLine {
  line: string;
  cut: boolean;
}

/**
 * Makes `line` (the serialized `record`) fit in `maxBytes` of UTF-8. A string field keeps
 * its beginning and ends in `…[cut N bytes]`; any other value (an object, an array) is
 * replaced by the beginning of its JSON text as a string, marked the same way. `body` and
 * the attribute values are cut first, largest first, then `msg`; ids, names and timestamps
 * are kept. If that is not enough (thousands of attributes), the line keeps only the
 * record's required fields, its ids and `msg`, each cut to 40 characters, and the
 * attributes' keys are replaced by `"[cut]": <bytes cut>`.
 *
 * @param record The record `line` was made from.
 * @param line Its serialized line (ending in `"\n"`).
 * @param maxBytes The limit, at least {@linkcode MIN_RECORD_BYTES}.
 * @returns A line of valid JSON within `maxBytes`, ending in `"\n"`.
 *
 * @example A huge body is cut, the rest kept
 * ```ts
 * import { cutToFit } from "./record_cut.ts";
 * import { serialize } from "./serialize.ts";
 * const record = { kind: "log", level: "info", msg: "hi", timestamp: 1, extensionId: "x", body: "y".repeat(10_000) };
 * const { line, cut } = cutToFit(record, serialize(record), 4096);
 * if (!cut || line.length > 4096 || !JSON.parse(line).body.endsWith(" bytes]")) throw new Error("not cut");
 * ```
 */
export function cutToFit(record: unknown, line: string, maxBytes: number): CutLine {
  // A line longer in UTF-16 units than the limit is over it in bytes too: measuring a huge
  // line exactly costs a pass over it, and only the excess is needed, a lower bound will do
  // (the loop measures the cut line again).
  let bytes = line.length > maxBytes ? line.length : byteLength(line);
  if (bytes <= maxBytes) return { line, cut: false };
  if (typeof record !== "object" || record === null) return lastResort(record, bytes, maxBytes);
  const copy: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  const fields: Field[] = [];
  if ("body" in copy) fields.push(field(copy.body, (v) => void (copy.body = v)));
  const attributes = copy.attributes;
  if (typeof attributes === "object" && attributes !== null && !Array.isArray(attributes)) {
    const attrs: Record<string, unknown> = { ...(attributes as Record<string, unknown>) };
    copy.attributes = attrs;
    for (const key of Object.keys(attrs)) {
      fields.push(field(attrs[key], (v) => void (attrs[key] = v)));
    }
  }
  // msg last: of equal size, a payload goes before the message.
  const msgField = typeof copy.msg === "string"
    ? field(copy.msg, (v) => void (copy.msg = v))
    : undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const excess = bytes - maxBytes;
    const target = largest(fields) ?? (msgField && !msgField.done ? msgField : undefined);
    if (target === undefined) break;
    // Bytes per UTF-16 unit of the line: turns the excess in bytes into units to cut.
    cutField(target, Math.ceil(excess / Math.max(1, bytes / line.length)));
    line = serialize(copy);
    bytes = byteLength(line);
    if (bytes <= maxBytes) return { line, cut: true };
  }
  return lastResort(record, bytes, maxBytes);
}

// Every ASCII unit, control characters included: they are one byte each too.
// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** UTF-8 bytes of `text`; a native regexp pass settles the common all-ASCII case. */
function byteLength(text: string): number {
  return ASCII.test(text) ? text.length : utf8Length(text);
}

interface Field {
  /** What is left of the field's text (a string itself, anything else its JSON), unmarked. */
  text: string;
  /** UTF-8 bytes cut from it so far. */
  cutBytes: number;
  /** Writes the cut text into the copy. */
  set(value: string): void;
  /** Size of the field in the line, in UTF-16 units (what orders the cuts). */
  size: number;
  /** Already cut as far as it goes. */
  done: boolean;
}

function field(value: unknown, set: (value: string) => void): Field {
  const text = typeof value === "string" ? value : serialize(value).slice(0, -1);
  return { text, cutBytes: 0, set, size: text.length, done: false };
}

function largest(fields: Field[]): Field | undefined {
  let best: Field | undefined;
  for (const f of fields) {
    if (!f.done && f.size > (best?.size ?? 64)) best = f;
  }
  return best;
}

/**
 * Shortens the field by about `excessUnits` UTF-16 units, or as far as it goes, leaving
 * room for the marker. An estimate (escapes, characters of different widths): the caller
 * measures the line again and cuts again.
 */
function cutField(f: Field, excessUnits: number): void {
  const text = f.text;
  let keep = Math.max(0, f.size - excessUnits - 48);
  if (keep >= text.length) keep = Math.max(0, text.length - 1);
  if (keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1))) keep--;
  const kept = text.slice(0, keep);
  f.cutBytes += byteLength(text.slice(keep));
  const next = kept + marker(f.cutBytes);
  f.set(next);
  f.text = kept;
  f.size = next.length;
  if (keep === 0) f.done = true;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

const KEPT_FIELDS = [
  "kind",
  "level",
  "timestamp",
  "extensionId",
  "spanId",
  "name",
  "durationMs",
  "status",
  "conversationId",
  "turnId",
  "traceId",
  "parentSpanId",
  "msg",
] as const;

/** The record's required fields and ids, each string cut short, and a note of the cut. */
function lastResort(record: unknown, bytes: number, maxBytes: number): CutLine {
  const source = typeof record === "object" && record !== null
    ? record as Record<string, unknown>
    : {};
  const kept: Record<string, unknown> = {};
  for (const key of KEPT_FIELDS) {
    let value: unknown;
    try {
      value = source[key];
    } catch {
      continue;
    }
    if (typeof value === "string") {
      kept[key] = value.length > LAST_RESORT_CHARS
        ? value.slice(0, LAST_RESORT_CHARS) + marker(utf8Length(value.slice(LAST_RESORT_CHARS)))
        : value;
    } else if (typeof value === "number" || typeof value === "boolean") {
      kept[key] = value;
    }
  }
  kept["[cut]"] = bytes;
  const line = serialize(kept);
  // The fields above are bounded (13 × 40 characters, 6 bytes each at worst, plus keys),
  // so this fits MIN_RECORD_BYTES; the check keeps the promise should that ever change.
  return { line: utf8Length(line) <= maxBytes ? line : serialize({ "[cut]": bytes }), cut: true };
}
