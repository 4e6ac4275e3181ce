/**
 * What the reader yields: the records this version knows, and any other kind untouched.
 *
 * @module
 */

import { optionalFieldDefect } from "../record_check.ts";
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

/** What {@linkcode parseRecord} counts besides its answer. */
export interface ParseTally {
  /** Records yielded without an optional field they held with the wrong type. */
  repaired: number;
}

/**
 * One journal line as a record: a JSON object with a string `kind`, or `undefined` for
 * anything else (invalid JSON, an array, a bare value). A known kind's optional field held
 * with the wrong type (`attributes: "done"`, `links: [null]`: written before `emit` refused
 * them, or by another writer) is left out and the record kept, counted in `tally`:
 * dropping a span's close over its attributes would show the span open. Required fields
 * are left to the readers, which already tolerate a level or kind they do not know. The
 * one place the reader and the collector decide what a line is; the rule of the fields is
 * the sink's ({@linkcode optionalFieldDefect}).
 *
 * @param line One line of a journal, without its newline.
 * @param tally Counts the records kept without a field.
 * @returns The record, or `undefined`.
 *
 * @example
 * ```ts
 * import { parseRecord } from "./journal_record.ts";
 * const tally = { repaired: 0 };
 * const line = '{"kind":"log","level":"info","msg":"hi","timestamp":1,"extensionId":"x",' +
 *   '"attributes":"done"}';
 * const record = parseRecord(line, tally);
 * if (record === undefined || "attributes" in record || tally.repaired !== 1) {
 *   throw new Error("kept without its attributes");
 * }
 * if (parseRecord("[1]") !== undefined) throw new Error("not a record");
 * ```
 */
export function parseRecord(line: string, tally?: ParseTally): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const kind = record.kind;
  if (typeof kind !== "string") return undefined;
  if (kind !== "log" && kind !== "span-open" && kind !== "span-close") {
    return record as JournalRecord;
  }
  let defect = optionalFieldDefect(record, kind);
  if (defect === undefined) return record as unknown as JournalRecord;
  // Each optional field at most once: the loop ends after a handful of passes.
  do {
    delete record[defect.field];
    defect = optionalFieldDefect(record, kind);
  } while (defect !== undefined);
  if (tally !== undefined) tally.repaired++;
  return record as unknown as JournalRecord;
}
