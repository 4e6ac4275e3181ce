/**
 * The wire format: every record is one JSON object on one line of the journal.
 *
 * @module
 */

/**
 * Severity of a log entry, lowest first.
 *
 * @example Checking a level
 * ```ts
 * import { LEVELS, type Level } from "@dispatch/journal-sink";
 * const level: Level = "warn";
 * if (!LEVELS.includes(level)) throw new Error("unknown level");
 * ```
 */
export type Level = "debug" | "info" | "warn" | "error";

/**
 * Every level in ascending order of severity.
 *
 * @example Comparing levels
 * ```ts
 * import { LEVELS } from "@dispatch/journal-sink";
 * if (LEVELS.indexOf("error") <= LEVELS.indexOf("info")) throw new Error("order");
 * ```
 */
export const LEVELS: readonly Level[] = Object.freeze(["debug", "info", "warn", "error"]);

/**
 * A causal link from a span to another span (possibly in another turn).
 *
 * @example A link to the span that scheduled this one
 * ```ts
 * import type { Link } from "@dispatch/journal-sink";
 * const link: Link = { spanId: "a1b2", reason: "scheduled-by" };
 * if (link.spanId !== "a1b2") throw new Error("unreachable");
 * ```
 */
export interface Link {
  /** The linked span. */
  spanId: string;
  /** The turn the linked span belongs to, when it differs. */
  turnId?: string;
  /** Why the spans are linked, free text. */
  reason?: string;
}

/**
 * A log line.
 *
 * @example A log entry
 * ```ts
 * import type { LogEntry } from "@dispatch/journal-sink";
 * const entry: LogEntry = {
 *   kind: "log", level: "info", msg: "started", timestamp: 0, extensionId: "host",
 * };
 * if (entry.kind !== "log") throw new Error("unreachable");
 * ```
 */
export interface LogEntry {
  /** Discriminant. */
  kind: "log";
  /** Severity. */
  level: Level;
  /** Human-readable message. */
  msg: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** Who wrote the record; fixed by the host, never by the extension. */
  extensionId: string;
  /** Conversation the record belongs to. */
  conversationId?: string;
  /** Turn within the conversation. */
  turnId?: string;
  /** The trace this record belongs to: 32 lowercase hex digits (W3C / OpenTelemetry trace id). */
  traceId?: string;
  /** The span that was active when the entry was written. */
  spanId?: string;
  /** Structured key/values. */
  attributes?: Record<string, unknown>;
  /** A larger payload (a prompt, a tool result). */
  body?: unknown;
}

/**
 * Written when a span starts, so that a crash leaves the span visible as open.
 *
 * @example A span-open record
 * ```ts
 * import type { SpanOpen } from "@dispatch/journal-sink";
 * const open: SpanOpen = {
 *   kind: "span-open", spanId: "s1", name: "tool-call", timestamp: 0, extensionId: "host",
 * };
 * if (open.name !== "tool-call") throw new Error("unreachable");
 * ```
 */
export interface SpanOpen {
  /** Discriminant. */
  kind: "span-open";
  /** Unique id of the span. */
  spanId: string;
  /** What the span measures. */
  name: string;
  /** Start, in milliseconds since the Unix epoch. */
  timestamp: number;
  /** Who wrote the record. */
  extensionId: string;
  /** Conversation the span belongs to. */
  conversationId?: string;
  /** Turn within the conversation. */
  turnId?: string;
  /** The trace this record belongs to: 32 lowercase hex digits (W3C / OpenTelemetry trace id). */
  traceId?: string;
  /** The enclosing span. */
  parentSpanId?: string;
  /** Structured key/values known at the start. */
  attributes?: Record<string, unknown>;
  /** Causal links to other spans. */
  links?: Link[];
  /** A larger payload (the request a span serves). */
  body?: unknown;
}

/**
 * Written when a span ends; pairs with the {@linkcode SpanOpen} of the same `spanId`.
 *
 * @example A span-close record
 * ```ts
 * import type { SpanClose } from "@dispatch/journal-sink";
 * const close: SpanClose = {
 *   kind: "span-close", spanId: "s1", name: "tool-call", timestamp: 12, durationMs: 12,
 *   status: "ok", extensionId: "host",
 * };
 * if (close.durationMs !== 12) throw new Error("unreachable");
 * ```
 */
export interface SpanClose {
  /** Discriminant. */
  kind: "span-close";
  /** The span being closed. */
  spanId: string;
  /** What the span measured. */
  name: string;
  /** End, in milliseconds since the Unix epoch. */
  timestamp: number;
  /** End minus start. */
  durationMs: number;
  /** How the work ended. */
  status: "ok" | "error";
  /** Who wrote the record. */
  extensionId: string;
  /** Conversation the span belongs to. */
  conversationId?: string;
  /** Turn within the conversation. */
  turnId?: string;
  /** The trace this record belongs to: 32 lowercase hex digits (W3C / OpenTelemetry trace id). */
  traceId?: string;
  /** The enclosing span. */
  parentSpanId?: string;
  /** Structured key/values known at the end (the error, the result size). */
  attributes?: Record<string, unknown>;
  /** Causal links to other spans. */
  links?: Link[];
}

/**
 * Any record a sink accepts.
 *
 * @example Narrowing on `kind`
 * ```ts
 * import type { LogRecord } from "@dispatch/journal-sink";
 * function label(record: LogRecord): string {
 *   return record.kind === "log" ? record.msg : record.name;
 * }
 * if (label({ kind: "log", level: "info", msg: "hi", timestamp: 0, extensionId: "x" }) !== "hi") {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export type LogRecord = LogEntry | SpanOpen | SpanClose;

/**
 * Anything that takes records. `emit` must not throw and must not await.
 *
 * @example An in-memory sink for tests
 * ```ts
 * import type { LogRecord, LogSink } from "@dispatch/journal-sink";
 * const seen: LogRecord[] = [];
 * const sink: LogSink = { emit: (record) => void seen.push(record) };
 * sink.emit({ kind: "log", level: "info", msg: "hi", timestamp: 0, extensionId: "x" });
 * if (seen.length !== 1) throw new Error("not recorded");
 * ```
 */
export interface LogSink {
  /** Hand one record to the sink. Never throws, never awaits. */
  emit(record: LogRecord): void;
}
