/**
 * What a record needs before the sink writes it: a known `kind` and that kind's required
 * fields, the same rule the reader applies. A handful of `typeof` checks, cheap enough for
 * every `emit`.
 *
 * @module
 */

/** A field a record lacks or holds with the wrong type, with what it should hold. */
export interface RecordDefect {
  /** The field, e.g. `"msg"`, or `"kind"`. */
  field: string;
  /** What the field must hold, e.g. `"a string"`. */
  expected: string;
}

const KIND: RecordDefect = { field: "kind", expected: '"log", "span-open" or "span-close"' };
const LEVEL: RecordDefect = { field: "level", expected: '"debug", "info", "warn" or "error"' };
const MSG: RecordDefect = { field: "msg", expected: "a string" };
const SPAN_ID: RecordDefect = { field: "spanId", expected: "a string" };
const NAME: RecordDefect = { field: "name", expected: "a string" };
const TIMESTAMP: RecordDefect = { field: "timestamp", expected: "a finite number (ms)" };
const EXTENSION_ID: RecordDefect = { field: "extensionId", expected: "a string" };
const DURATION: RecordDefect = { field: "durationMs", expected: "a finite number" };
const STATUS: RecordDefect = { field: "status", expected: '"ok" or "error"' };
const CUSTOM_KIND: RecordDefect = { field: "kind", expected: "a non-empty string" };

/**
 * The first defect of `record`, or `undefined` when it is a complete `log`, `span-open` or
 * `span-close` record. A record of another kind is a defect unless `unknownKinds` is true;
 * then it needs only a non-empty string `kind`.
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
  return undefined;
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
 * const text = describeDefect({ kind: "log" }, { field: "msg", expected: "a string" });
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
