/**
 * How `receive` reads a journal-sink export back into the records it came from, from the
 * `journal.*` attributes that `export` adds to OTLP for the fields a journal record has and
 * OTLP does not (their names: `otlp_conventions.ts`, for both directions), so the round trip
 * journal → OTLP → journal gives the same records (tests/otlp_roundtrip.test.ts).
 *
 * A backend sees ordinary attributes: Jaeger shows an exported still-open span with status
 * UNSET and `journal.open = true`, a log entry inside a span as a span event, and the rest
 * only where a record needs it (a duration the timestamps do not give, an id that had to be
 * hashed).
 *
 * @module
 */

import {
  LEVELS as LEVEL_NAMES,
  type Link,
  type LogEntry,
  type LogRecord,
  type SpanClose,
  type SpanOpen,
} from "../records.ts";
import { JOURNAL_ATTRIBUTES, OTEL_ATTRIBUTES, OTLP_SCOPE_NAME } from "./otlp_conventions.ts";

const A = JOURNAL_ATTRIBUTES;
const SCOPE_NAME = OTEL_ATTRIBUTES.scopeName;
const CONVERSATION = OTEL_ATTRIBUTES.conversationId;
const LEVELS = new Set<string>(LEVEL_NAMES);

type Attributes = Record<string, unknown>;

/** The receiver writes the instrumentation scope as `otel.scope.name`: ours means our export. */
function fromOurExport(record: LogRecord): boolean {
  return record.attributes?.[SCOPE_NAME] === OTLP_SCOPE_NAME;
}

function take(attributes: Attributes | undefined, key: string): unknown {
  if (!attributes || !(key in attributes)) return undefined;
  const value = attributes[key];
  delete attributes[key];
  return value;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function dropEmptyAttributes(record: LogRecord): void {
  if (record.attributes && Object.keys(record.attributes).length === 0) delete record.attributes;
}

/** What every record of our export carries: the scope the receiver added, the GenAI copy of `conversationId`, the body, a hashed span id. */
function restoreCommon(record: LogRecord): void {
  const attributes = record.attributes;
  delete attributes?.[SCOPE_NAME];
  if (attributes?.[CONVERSATION] === record.conversationId) delete attributes?.[CONVERSATION];
  if (attributes && A.body in attributes) (record as SpanOpen).body = take(attributes, A.body);
  const spanId = text(take(attributes, A.spanId));
  if (spanId !== undefined) (record as SpanOpen).spanId = spanId;
}

function asLinks(value: unknown): Link[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const links = value.filter((link): link is Link =>
    typeof link === "object" && link !== null && typeof link.spanId === "string"
  );
  return links.length === value.length ? links : undefined;
}

/** The attributes the export derived from the span's own records (`journal.derived`) go. */
function dropDerived(attributes: Attributes | undefined): void {
  const derived = take(attributes, A.derived);
  if (!Array.isArray(derived) || attributes === undefined) return;
  for (const key of derived) if (typeof key === "string") delete attributes[key];
}

/** One span of our export, while its events and close go by. */
interface SpanGroup {
  otlpId: string;
  spanId: string;
  parentSpanId?: string;
  open: boolean;
  durationMs?: number;
}

function restoreSpanOpen(open: SpanOpen): SpanGroup {
  const otlpId = open.spanId;
  restoreCommon(open);
  const attributes = open.attributes;
  const parentSpanId = text(take(attributes, A.parentSpanId));
  if (parentSpanId !== undefined) open.parentSpanId = parentSpanId;
  const links = asLinks(take(attributes, A.links));
  if (links !== undefined) open.links = links;
  const duration = take(attributes, A.durationMs);
  dropDerived(attributes);
  const group: SpanGroup = {
    otlpId,
    spanId: open.spanId,
    parentSpanId,
    open: take(attributes, A.open) === true,
    durationMs: typeof duration === "number" ? duration : undefined,
  };
  dropEmptyAttributes(open);
  return group;
}

/** A span event: the copy of a log record (dropped), or a log entry sent as traces only. */
function restoreEvent(entry: LogEntry, group: SpanGroup): boolean {
  const attributes = entry.attributes;
  if (take(attributes, A.logged) === true) return false;
  entry.spanId = group.spanId;
  const level = take(attributes, A.level);
  if (typeof level === "string" && LEVELS.has(level)) entry.level = level as LogEntry["level"];
  if (attributes && A.body in attributes) entry.body = take(attributes, A.body);
  const extensionId = text(take(attributes, A.extensionId));
  if (extensionId !== undefined) entry.extensionId = extensionId;
  const turnId = text(take(attributes, A.turnId));
  if (turnId !== undefined) entry.turnId = turnId;
  const conversationId = text(take(attributes, A.conversationId));
  if (conversationId !== undefined) entry.conversationId = conversationId;
  dropEmptyAttributes(entry);
  return true;
}

function restoreSpanClose(close: SpanClose, group: SpanGroup): boolean {
  if (group.open) return false;
  close.spanId = group.spanId;
  if (group.parentSpanId !== undefined) close.parentSpanId = group.parentSpanId;
  if (group.durationMs !== undefined) close.durationMs = group.durationMs;
  return true;
}

/**
 * Turns the records a request of journal-sink's own export was mapped to back into the
 * journal's records, in place: a span marked `journal.open` stays open (its placeholder
 * close is dropped); a span event marked `journal.logged` is dropped (its log record came
 * too), another span event of ours gets its level, body and scope back; `body`, span ids,
 * parent ids, links and durations come back from their `journal.*` attributes; the attributes
 * a span's `journal.derived` names (what the export derived from its records) go; the
 * `otel.scope.name` the receiver added and the `gen_ai.conversation.id` the export added
 * go. Records of any other sender are left as they are.
 *
 * @param records What the receiver mapped one request to (per span: open, events, close).
 *
 * @example A still-open span comes back open
 * ```ts
 * import { restoreJournalExport } from "./journal_marks.ts";
 * import type { LogRecord } from "../records.ts";
 * const scope = { "otel.scope.name": "@dispatch/journal-sink" };
 * const records: LogRecord[] = [
 *   { kind: "span-open", spanId: "00000000000000a1", name: "tool", timestamp: 1, extensionId: "h", attributes: { ...scope, "journal.open": true } },
 *   { kind: "span-close", spanId: "00000000000000a1", name: "tool", timestamp: 9, durationMs: 8, status: "ok", extensionId: "h" },
 * ];
 * restoreJournalExport(records);
 * if (records.length !== 1 || records[0].attributes !== undefined) throw new Error("still open");
 * ```
 */
export function restoreJournalExport(records: LogRecord[]): void {
  let group: SpanGroup | undefined;
  let kept = 0;
  for (const record of records) {
    let keep = true;
    if (record.kind === "span-open") {
      group = fromOurExport(record) ? restoreSpanOpen(record) : undefined;
    } else if (group !== undefined && record.spanId === group.otlpId) {
      if (record.kind === "log") keep = restoreEvent(record, group);
      else {
        keep = restoreSpanClose(record, group);
        group = undefined;
      }
    } else if (record.kind === "log" && fromOurExport(record)) {
      restoreCommon(record);
      dropEmptyAttributes(record);
    }
    if (keep) records[kept++] = record;
  }
  records.length = kept;
}
