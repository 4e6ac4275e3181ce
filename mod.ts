/**
 * A durable, structured NDJSON journal for Deno, Node.js and Bun: what a host needs to
 * write one (the sink, the logger, the file system adapters) and to read it back (the
 * reader and the trace reconstruction). The SQLite store and OTLP export live at
 * `@dispatch/journal-sink/collector`; the read side alone at `@dispatch/journal-sink/reader`.
 *
 * Hosts emit log records and span open/close records; the sink appends each as one JSON
 * line, rotates by size, fsyncs on a chosen policy, and never throws into its caller.
 *
 * @example Write a record and read the line back
 * ```ts
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs, fsync: "always" });
 * sink.emit({ kind: "log", level: "info", msg: "ready", timestamp: Date.now(), extensionId: "host" });
 * sink.close();
 * const record = JSON.parse(fs.text("app.jsonl"));
 * if (record.msg !== "ready") throw new Error("not read back");
 * ```
 *
 * @module
 */

export {
  type Level,
  LEVELS,
  type Link,
  type LogEntry,
  type LogRecord,
  type LogSink,
  type SpanClose,
  type SpanOpen,
} from "./src/records.ts";
export { serialize } from "./src/serialize.ts";
export type { Naming } from "./src/naming.ts";
export type { RotateEvery } from "./src/time_rotation.ts";
export type { Clock } from "./src/clock.ts";
export type { FileStat, FsOps } from "./src/fs_ops.ts";
export { JournalSinkError } from "./src/sink/journal_sink_error.ts";
export {
  createJournalSink,
  type JournalSink,
  type JournalSinkStats,
} from "./src/sink/journal_sink.ts";
export type {
  BufferOptions,
  FsyncPolicy,
  JournalSinkOptions,
  RotateOptions,
} from "./src/sink/options.ts";
export {
  type Attributes,
  createLogger,
  type Logger,
  type LoggerOptions,
  type LoggerScope,
  type Span,
  type SpanOptions,
  type SpanStatus,
} from "./src/logger/logger.ts";
export {
  isLogRecord,
  JournalNotFoundError,
  type JournalReader,
  type JournalRecord,
  readJournal,
  type ReadJournalOptions,
  type ReadStats,
  reconstructTraces,
  type RecordFilter,
  type SpanAnomaly,
  type TraceForest,
  type TraceInput,
  type TraceSpan,
  type TurnLogs,
  type UnknownRecord,
} from "./reader.ts";
export { nodeFs } from "./src/adapters/node.ts";
export { denoFs } from "./src/adapters/deno.ts";
export { bunFs } from "./src/adapters/bun.ts";
export { defaultFsOps } from "./src/adapters/default.ts";
