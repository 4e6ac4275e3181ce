/**
 * What a record needs before the sink writes it: a known `kind`, that kind's required
 * fields, and its optional fields, when present, of their type. The same rule the reader
 * applies. A handful of `typeof` checks (a loop only over `links`), cheap enough for every
 * `emit`.
 *
 * @module
 */

import { isTraceId } from "./trace_id.ts";

/** A field a record lacks or holds with the wrong type, with what it should hold. */
export interface RecordDefect {
  /** The field, e.g. `"msg"`, or `"kind"`. */
  field: string;
  /** What the field must hold, e.g. `"a string"`. */
  expected: string;
}

function defect(field: string, expected: string): RecordDefect {
  return { field, expected };
}

const KIND = defect("kind", '"log", "span-open" or "span-close"');
const LEVEL = defect("level", '"debug", "info", "warn" or "error"');
const MSG = defect("msg", "a string");
const SPAN_ID = defect("spanId", "a string");
const NAME = defect("name", "a string");
const TIMESTAMP = defect("timestamp", "a finite number (ms)");
const EXTENSION_ID = defect("extensionId", "a string");
const DURATION = defect("durationMs", "a finite number");
const STATUS = defect("status", '"ok" or "error"');
const CUSTOM_KIND = defect("kind", "a non-empty string");
const CONVERSATION_ID = defect("conversationId", "a string");
const TURN_ID = defect("turnId", "a string");
const TRACE_ID = defect("traceId", "32 lowercase hex digits");
const ATTRIBUTES = defect("attributes", "an object of key/values");
const LOG_SPAN_ID = defect("spanId", "a string");
const PARENT_SPAN_ID = defect("parentSpanId", "a string");
const LINKS = defect(
  "links",
  "an array of objects, each with a string spanId (and a string turnId and reason, " +
    "32 lowercase hex traceId, object attributes when present)",
);

/**
 * The trace id last found well-formed. A trace's records share it, so most checks are one
 * string comparison instead of a 32-digit match (which cost as much as all other checks).
 */
let lastTraceId = "";

function isTraceIdSeen(value: unknown): boolean {
  if (value === lastTraceId) return true;
  if (!isTraceId(value)) return false;
  lastTraceId = value;
  return true;
}

/**
 * Whether `value` can be a record's `attributes`: an object that is not an array. The one
 * rule the sink refuses by, the logger leaves out by and the readers merge by.
 *
 * @param value A field's value.
 * @returns Whether it is a plain object of key/values.
 *
 * @example
 * ```ts
 * import { isAttributes } from "./record_check.ts";
 * if (!isAttributes({ a: 1 }) || isAttributes([1])) throw new Error("arrays are no attributes");
 * if (isAttributes("done")) throw new Error("nor are strings");
 * ```
 */
export function isAttributes(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether `value` is a well-formed `Link`: an object with a string `spanId`, and
 * `turnId`, `reason`, `traceId`, `attributes` of their type when present.
 *
 * @param value One entry of a record's `links`.
 * @returns Whether a reader can use it.
 *
 * @example
 * ```ts
 * import { isLink } from "./record_check.ts";
 * if (!isLink({ spanId: "a1", reason: "retry-of" })) throw new Error("a link");
 * if (isLink(null) || isLink({ spanId: 5 }) || isLink({ spanId: "a1", turnId: 5 })) {
 *   throw new Error("not links");
 * }
 * ```
 */
export function isLink(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const link = value as Record<string, unknown>;
  if (typeof link.spanId !== "string") return false;
  const turnId = link.turnId;
  if (turnId !== undefined && typeof turnId !== "string") return false;
  const reason = link.reason;
  if (reason !== undefined && typeof reason !== "string") return false;
  const traceId = link.traceId;
  if (traceId !== undefined && !isTraceId(traceId)) return false;
  const attributes = link.attributes;
  return attributes === undefined || isAttributes(attributes);
}

function isLinks(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!isLink(value[i])) return false;
  return true;
}

/**
 * The first defect of `record`, or `undefined` when it is a complete `log`, `span-open` or
 * `span-close` record: its required fields first, then its optional fields (present ones
 * must hold their type; `undefined` counts as absent). A record of another kind is a defect
 * unless `unknownKinds` is true; then it needs only a non-empty string `kind`.
 *
 * @param record An object handed to `emit`.
 * @param unknownKinds Whether kinds other than the three are accepted.
 * @returns The first missing or ill-typed field.
 *
 * @example
 * ```ts
 * import { recordDefect } from "./record_check.ts";
 * if (recordDefect({ kind: "log" }, false)?.field !== "level") throw new Error("level first");
 * const ok = { kind: "log", level: "info", msg: "hi", timestamp: 1, extensionId: "x" };
 * if (recordDefect(ok, false) !== undefined) throw new Error("complete record");
 * const linked = { ...ok, kind: "span-open", spanId: "s", name: "n", links: [null] };
 * if (recordDefect(linked, false)?.field !== "links") throw new Error("a link is an object");
 * ```
 */
export function recordDefect(record: object, unknownKinds: boolean): RecordDefect | undefined {
  const r = record as Record<string, unknown>;
  const kind = r.kind;
  if (kind === "log") {
    const level = r.level;
    if (level !== "info" && level !== "debug" && level !== "warn" && level !== "error") {
      return LEVEL;
    }
    if (typeof r.msg !== "string") return MSG;
  } else if (kind === "span-open" || kind === "span-close") {
    if (typeof r.spanId !== "string") return SPAN_ID;
    if (typeof r.name !== "string") return NAME;
    if (kind === "span-close") {
      const duration = r.durationMs;
      if (typeof duration !== "number" || !Number.isFinite(duration)) return DURATION;
      if (r.status !== "ok" && r.status !== "error") return STATUS;
    }
  } else if (!unknownKinds) {
    return KIND;
  } else {
    return typeof kind === "string" && kind !== "" ? undefined : CUSTOM_KIND;
  }
  const timestamp = r.timestamp;
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) return TIMESTAMP;
  if (typeof r.extensionId !== "string") return EXTENSION_ID;
  return optionalFieldDefect(r, kind);
}

/**
 * The first optional field of a `log`, `span-open` or `span-close` record that is present
 * (not `undefined`) with the wrong type, or `undefined`: the fields a reader can leave out
 * and keep the record.
 *
 * @param record A record of a known kind.
 * @param kind Its kind.
 * @returns The field's defect.
 *
 * @example
 * ```ts
 * import { optionalFieldDefect } from "./record_check.ts";
 * if (optionalFieldDefect({ attributes: "done" }, "log")?.field !== "attributes") {
 *   throw new Error("attributes are an object");
 * }
 * if (optionalFieldDefect({ msg: 5 }, "log") !== undefined) throw new Error("msg is required");
 * ```
 */
export function optionalFieldDefect(
  record: object,
  kind: "log" | "span-open" | "span-close",
): RecordDefect | undefined {
  // Each present one must hold its type, or a reader would stop on it.
  const r = record as Record<string, unknown>;
  const conversationId = r.conversationId;
  if (conversationId !== undefined && typeof conversationId !== "string") return CONVERSATION_ID;
  const turnId = r.turnId;
  if (turnId !== undefined && typeof turnId !== "string") return TURN_ID;
  const traceId = r.traceId;
  if (traceId !== undefined && !isTraceIdSeen(traceId)) return TRACE_ID;
  const attributes = r.attributes;
  if (attributes !== undefined && !isAttributes(attributes)) return ATTRIBUTES;
  if (kind === "log") {
    const spanId = r.spanId;
    return spanId !== undefined && typeof spanId !== "string" ? LOG_SPAN_ID : undefined;
  }
  const parentSpanId = r.parentSpanId;
  if (parentSpanId !== undefined && typeof parentSpanId !== "string") return PARENT_SPAN_ID;
  const links = r.links;
  return links !== undefined && !isLinks(links) ? LINKS : undefined;
}

/**
 * One sentence naming the defect and what the field held.
 *
 * @param record The record.
 * @param defect Its defect.
 * @returns E.g. `invalid "log" record: msg must be a string, got undefined`.
 *
 * @example
 * ```ts
 * import { describeDefect } from "./record_check.ts";
 * const defect = { field: "msg", expected: "a string" };
 * const text = describeDefect({ kind: "log" }, defect);
 * if (!text.includes("msg must be a string, got undefined")) throw new Error(text);
 * ```
 */
export function describeDefect(record: object, defect: RecordDefect): string {
  const r = record as Record<string, unknown>;
  const kind = typeof r.kind === "string" ? `"${r.kind.slice(0, 40)}" ` : "";
  return `invalid ${kind}record: ${defect.field} must be ${defect.expected}, got ${
    shortValue(r[defect.field])
  }`;
}

function shortValue(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
