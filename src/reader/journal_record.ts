/**
 * What the reader yields: the records this version knows, and any other kind untouched.
 *
 * @module
 */

import type { LogRecord } from "../records.ts";

/**
 * A record of a kind this version does not know, passed through as it was written so a
 * newer writer's journal still reads (forward compatibility).
 *
 * @example
 * ```ts
 * import type { UnknownRecord } from "@dispatch/journal-sink";
 * const metric: UnknownRecord = { kind: "metric", name: "tokens", value: 12 };
 * if (metric.kind !== "metric") throw new Error("unreachable");
 * ```
 */
export interface UnknownRecord {
  /** The record's kind, e.g. one added by a later version. */
  readonly kind: string;
  /** Milliseconds since the epoch, when the record has one. */
  readonly timestamp?: number;
  /** Every other field, as written. */
  readonly [field: string]: unknown;
}

/**
 * One record read back from a journal: a known {@linkcode LogRecord} or an
 * {@linkcode UnknownRecord}. Check `kind` (or use {@linkcode isLogRecord}) before relying on
 * the fields of a known kind.
 *
 * @example
 * ```ts
 * import type { JournalRecord } from "@dispatch/journal-sink";
 * const record: JournalRecord = { kind: "log", level: "info", msg: "hi", timestamp: 0, extensionId: "x" };
 * if (record.kind !== "log") throw new Error("unreachable");
 * ```
 */
export type JournalRecord = LogRecord | UnknownRecord;

const KNOWN = new Set(["log", "span-open", "span-close"]);

/**
 * Narrows a record read back to the kinds this version knows.
 *
 * @param record A record from {@linkcode readJournal}.
 * @returns Whether its `kind` is `"log"`, `"span-open"` or `"span-close"`.
 *
 * @example
 * ```ts
 * import { isLogRecord, type JournalRecord } from "@dispatch/journal-sink";
 * const records: JournalRecord[] = [
 *   { kind: "log", level: "info", msg: "hi", timestamp: 0, extensionId: "x" },
 *   { kind: "metric", value: 1 },
 * ];
 * const known = records.filter(isLogRecord);
 * if (known.length !== 1 || known[0].kind !== "log" || known[0].msg !== "hi") throw new Error("narrowing");
 * ```
 */
export function isLogRecord(record: JournalRecord): record is LogRecord {
  return KNOWN.has(record.kind);
}

/**
 * One journal line as a record: a JSON object with a string `kind`, or `undefined` for
 * anything else (invalid JSON, an array, a bare value). The one place the reader and the
 * collector decide what a line is.
 */
export function parseRecord(line: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
      typeof (value as { kind?: unknown }).kind === "string"
    ? value as JournalRecord
    : undefined;
}
