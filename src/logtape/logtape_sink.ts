/**
 * A LogTape sink that writes into a durable journal: LogTape users get crash-safe NDJSON
 * with rotation and fsync policies as their file sink, without a dependency on LogTape
 * (its record and sink types are matched structurally).
 *
 * @module
 */

import { createJournalSink, type JournalSink } from "../sink/journal_sink.ts";
import type { JournalSinkOptions } from "../sink/options.ts";
import { activeSpanFor } from "../logger/logger.ts";
import type { Level, LogEntry } from "../records.ts";
import { compileRedaction, redactValue } from "../redact.ts";

/**
 * The parts of a LogTape `LogRecord` the bridge reads; a LogTape record is assignable to it,
 * so the sink type-checks where LogTape expects a `Sink`.
 *
 * @example A record as LogTape builds it for `logger.info("Hello, {name}!", { name })`
 * ```ts
 * import type { LogTapeRecord } from "@dispatch/journal-sink/logtape";
 * const record: LogTapeRecord = {
 *   category: ["app"], level: "info", message: ["Hello, ", "Ada", "!"],
 *   rawMessage: "Hello, {name}!", timestamp: 0, properties: { name: "Ada" },
 * };
 * if (record.message.length !== 3) throw new Error("unreachable");
 * ```
 */
export interface LogTapeRecord {
  /** The logger's category, outermost first. */
  readonly category: readonly string[];
  /** `"trace"`, `"debug"`, `"info"`, `"warning"`, `"error"` or `"fatal"`. */
  readonly level: string;
  /** Template parts interleaved with the substituted values (odd indices). */
  readonly message: readonly unknown[];
  /** The template before substitution. */
  readonly rawMessage: string | TemplateStringsArray;
  /** Milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** Structured properties (including contextual ones from `withContext`). */
  readonly properties: Record<string, unknown>;
}

/**
 * Options of {@linkcode getJournalSink}: the journal's own options, plus the `extensionId`
 * every record is written as, and optional redaction.
 *
 * @example
 * ```ts
 * import type { JournalLogTapeSinkOptions } from "@dispatch/journal-sink/logtape";
 * const options: JournalLogTapeSinkOptions = {
 *   path: "logs/app.jsonl", extensionId: "api", fsync: "always", redact: ["password"],
 * };
 * if (options.extensionId !== "api") throw new Error("unreachable");
 * ```
 */
export interface JournalLogTapeSinkOptions extends JournalSinkOptions {
  /** Who writes the records; a property named `extensionId` cannot change it. */
  extensionId: string;
  /** Keys and dotted paths to redact in properties, as for `createLogger`. */
  redact?: readonly string[];
}

/**
 * A LogTape `Sink` (a function taking a record) that is `Disposable`: LogTape's `dispose()`
 * or `configure({ reset: true })` closes the journal. `journal` is the underlying sink, for
 * `flush()`, `stats`, or a `createLogger` that shares the file.
 *
 * @example
 * ```ts
 * import { getJournalSink, type JournalLogTapeSink } from "@dispatch/journal-sink/logtape";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const sink: JournalLogTapeSink = getJournalSink({ path: "a.jsonl", extensionId: "app", fs: createFakeFs() });
 * sink[Symbol.dispose]();
 * if (typeof sink.journal.flush !== "function") throw new Error("unreachable");
 * ```
 */
export interface JournalLogTapeSink extends Disposable {
  /** Write one LogTape record into the journal. Never throws. */
  (record: LogTapeRecord): void;
  /** The journal this sink writes to. */
  readonly journal: JournalSink;
}

const LEVELS: Readonly<Record<string, Level>> = Object.freeze({
  trace: "debug",
  debug: "debug",
  info: "info",
  warning: "warn",
  warn: "warn",
  error: "error",
  fatal: "error",
});

/**
 * Create a LogTape sink writing to a durable journal, named after LogTape's own
 * `getFileSink`. Each LogTape record becomes one `log` entry: `warning` maps to `warn`,
 * `trace` to `debug` and `fatal` to `error` (those two keep their LogTape level in
 * `attributes.logtapeLevel`); the rendered message becomes `msg`; properties become
 * `attributes`, with the category joined by `"."` in `attributes.category`. String
 * properties `conversationId`, `turnId` and `spanId` (for example from LogTape's
 * `withContext`) are lifted to the record's own fields; otherwise, inside a `withSpan` of a
 * logger writing to `sink.journal`, the entry joins that span.
 *
 * @param options The journal's path and policies, the `extensionId`, and redaction.
 * @returns A `Disposable` LogTape sink.
 * @throws {TypeError} When the options are invalid (as `createJournalSink`, plus
 * `extensionId` and `redact`).
 *
 * @example LogTape writing into the journal
 * ```ts
 * import { configure, getLogger, reset } from "@logtape/logtape";
 * import { getJournalSink } from "@dispatch/journal-sink/logtape";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * await configure({
 *   sinks: { journal: getJournalSink({ path: "app.jsonl", extensionId: "api", fs }) },
 *   loggers: [
 *     { category: ["app"], sinks: ["journal"], lowestLevel: "debug" },
 *     { category: ["logtape", "meta"], sinks: [] },
 *   ],
 * });
 * getLogger(["app", "db"]).warning("Slow query: {ms} ms", { ms: 812 });
 * await reset();
 * const entry = JSON.parse(fs.text("app.jsonl"));
 * if (entry.level !== "warn" || entry.msg !== "Slow query: 812 ms") throw new Error("mapping");
 * if (entry.attributes.category !== "app.db" || entry.attributes.ms !== 812) throw new Error("attrs");
 * ```
 */
export function getJournalSink(options: JournalLogTapeSinkOptions): JournalLogTapeSink {
  const extensionId = options?.extensionId;
  if (typeof extensionId !== "string" || extensionId === "") {
    throw new TypeError("getJournalSink: extensionId must be a non-empty string");
  }
  const redactor = compileRedaction(options.redact);
  const journal = createJournalSink(options);
  const onError = options.onError;
  let warned = false;
  const sink = (record: LogTapeRecord): void => {
    let entry: LogEntry;
    try {
      entry = toLogEntry(record, extensionId, journal);
      if (redactor !== undefined && entry.attributes !== undefined) {
        entry.attributes = redactValue(entry.attributes, redactor) as Record<string, unknown>;
      }
    } catch (error) {
      try {
        if (onError !== undefined) onError(error);
        else if (!warned) {
          warned = true;
          console.warn(`[journal-sink] LogTape record dropped: ${describe(error)}`);
        }
      } catch {
        // Nothing reaches LogTape.
      }
      return;
    }
    journal.emit(entry);
  };
  return Object.assign(sink, {
    journal,
    [Symbol.dispose]: () => journal.close(),
  });
}

function toLogEntry(record: LogTapeRecord, extensionId: string, journal: JournalSink): LogEntry {
  const level = LEVELS[record.level] ?? "info";
  const entry: LogEntry = {
    kind: "log",
    level,
    msg: render(record.message),
    timestamp: typeof record.timestamp === "number" ? record.timestamp : Date.now(),
    extensionId,
  };
  const properties = record.properties;
  let attributes: Record<string, unknown> | undefined;
  let conversationId: string | undefined;
  let turnId: string | undefined;
  let spanId: string | undefined;
  if (typeof properties === "object" && properties !== null) {
    for (const key of Object.keys(properties)) {
      const value = properties[key];
      if (key === "conversationId" && typeof value === "string") conversationId = value;
      else if (key === "turnId" && typeof value === "string") turnId = value;
      else if (key === "spanId" && typeof value === "string") spanId = value;
      else (attributes ??= {})[key] = value;
    }
  }
  if (spanId === undefined) {
    const active = activeSpanFor(journal);
    if (active !== undefined) {
      spanId = active.spanId;
      conversationId ??= active.conversationId;
      turnId ??= active.turnId;
    }
  }
  if (conversationId !== undefined) entry.conversationId = conversationId;
  if (turnId !== undefined) entry.turnId = turnId;
  if (spanId !== undefined) entry.spanId = spanId;
  if (Array.isArray(record.category) && record.category.length > 0) {
    (attributes ??= {}).category = record.category.join(".");
  }
  if (level !== record.level && (record.level === "trace" || record.level === "fatal")) {
    (attributes ??= {}).logtapeLevel = record.level;
  }
  if (attributes !== undefined) entry.attributes = attributes;
  return entry;
}

/** LogTape's message parts as one string: values (odd indices) rendered like its formatters. */
function render(parts: readonly unknown[]): string {
  if (!Array.isArray(parts)) return String(parts);
  if (parts.length === 1 && typeof parts[0] === "string") return parts[0];
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    out += i % 2 === 0 ? String(part) : renderValue(part);
  }
  return out;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return "[unprintable]";
    }
  }
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "unknown error";
  }
}
