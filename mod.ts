/**
 * A durable, structured NDJSON journal for Deno, Node.js and Bun.
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
export { utf8Length } from "./src/utf8_length.ts";
export {
  decideWrite,
  type RotationStep,
  rotationSteps,
  type RotationStepsOptions,
  type WriteDecision,
} from "./src/rotation.ts";
export { compressionTempPath, generationPath, type Naming, rotatedPath } from "./src/naming.ts";
export { nextRotationTime, type RotateEvery, rotationPeriodMs } from "./src/time_rotation.ts";
export { type GenerationAge, generationsToRemove, type RetentionPolicy } from "./src/retention.ts";
export { type Clock, systemClock } from "./src/clock.ts";
export { errorCode, type FileStat, type FsOps, parentDir } from "./src/fs_ops.ts";
export { JournalSinkError } from "./src/sink/journal_sink_error.ts";
export {
  createJournalSink,
  type JournalSink,
  type JournalSinkStats,
} from "./src/sink/journal_sink.ts";
export {
  type BufferOptions,
  type FsyncPolicy,
  type JournalSinkOptions,
  type RotateOptions,
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
} from "./src/logger.ts";
export {
  type JournalReader,
  readJournal,
  type ReadJournalOptions,
  type ReadStats,
} from "./src/reader/read_journal.ts";
export {
  isLogRecord,
  type JournalRecord,
  type UnknownRecord,
} from "./src/reader/journal_record.ts";
export { JournalNotFoundError } from "./src/reader/journal_not_found_error.ts";
export type { RecordFilter } from "./src/reader/record_filter.ts";
export {
  reconstructTraces,
  type SpanAnomaly,
  type TraceForest,
  type TraceInput,
  type TraceSpan,
} from "./src/traces.ts";
export {
  openSqlite,
  type SqliteDatabase,
  type SqlStatement,
  type SqlValue,
} from "./src/collector/sqlite.ts";
export {
  applyTraceStoreSchema,
  TRACE_STORE_SCHEMA,
  TRACE_STORE_SCHEMA_VERSION,
} from "./src/collector/schema.ts";
export { type IngestCounts, openTraceStore, TraceStore } from "./src/collector/trace_store.ts";
export { collectJournal, type CollectOptions, type CollectStats } from "./src/collector/collect.ts";
export { type FilePosition, FINGERPRINT_BYTES } from "./src/reader/file_identity.ts";
export {
  queryConversation,
  queryErrorSpans,
  queryOpenSpans,
  querySlowestSpans,
  queryTurn,
} from "./src/collector/query.ts";
export { otlpSpanId, otlpTraceId } from "./src/collector/trace_ids.ts";
export {
  OTLP_SCOPE_NAME,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpLogsRequest,
  OtlpMapper,
  type OtlpOptions,
  type OtlpTracesRequest,
  toOtlpAnyValue,
  toOtlpLogs,
  toOtlpTraces,
} from "./src/collector/otlp_mapping.ts";
export {
  exportOtlp,
  type ExportOtlpOptions,
  type ExportOtlpStats,
  OtlpExportError,
} from "./src/collector/otlp_export.ts";
export { nodeFs } from "./src/adapters/node.ts";
export { denoFs } from "./src/adapters/deno.ts";
export { bunFs } from "./src/adapters/bun.ts";
export { defaultFsOps } from "./src/adapters/default.ts";
