/**
 * Beyond one process: a SQLite trace store filled from a journal ({@linkcode collectJournal},
 * exactly once across restarts and rotations), questions asked of it (turns, conversations,
 * open, failed and slowest spans, GenAI usage and cost: {@linkcode queryUsage}), its retention
 * ({@linkcode pruneTraceStore}), export to an OpenTelemetry endpoint over OTLP/HTTP
 * ({@linkcode exportOtlp}, configured like the OpenTelemetry SDK: {@linkcode otlpExportConfig}),
 * an OTLP/HTTP receiver that appends to a journal ({@linkcode receiveOtlp}), and the viewer
 * ({@linkcode serve}). SQLite is the runtime's own (`node:sqlite`, `bun:sqlite`), loaded on
 * first open; the protobuf codec (`protobufjs`) only when protobuf is sent or received.
 *
 * @example Collect a journal and ask for its open spans
 * ```ts
 * import { collectJournal, openTraceStore, queryOpenSpans } from "@dispatch/journal-sink/collector";
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * sink.emit({ kind: "span-open", spanId: "s1", name: "turn", timestamp: 1, extensionId: "host" });
 * sink.close();
 * const store = await openTraceStore(":memory:");
 * await collectJournal("app.jsonl", { db: store, once: true, fs });
 * const open = queryOpenSpans(store).map((span) => span.spanId);
 * store.close();
 * if (open.join() !== "s1") throw new Error(`open: ${open}`);
 * ```
 *
 * @module
 */

export type { SqliteDatabase, SqlStatement, SqlValue } from "./src/collector/sqlite.ts";
export {
  type IngestCounts,
  openTraceStore,
  type OpenTraceStoreOptions,
  TraceStore,
} from "./src/collector/trace_store.ts";
export type { FilePosition } from "./src/reader/file_identity.ts";
export { collectJournal, type CollectOptions, type CollectStats } from "./src/collector/collect.ts";
export {
  queryConversation,
  queryErrorSpans,
  queryOpenSpans,
  querySlowestSpans,
  queryTurn,
} from "./src/collector/query.ts";
export type { OtlpOptions } from "./src/otlp/records_to_otlp.ts";
export {
  exportOtlp,
  type ExportOtlpOptions,
  type ExportOtlpStats,
} from "./src/otlp/otlp_export.ts";
export { OtlpExportError, type OtlpRetry } from "./src/otlp/otlp_http_transport.ts";
export type {
  Environment,
  OtlpCompression,
  OtlpExportConfig,
  OtlpExportSettings,
  OtlpProtocol,
  OtlpSignalTarget,
} from "./src/otlp/otlp_export_config.ts";
export { otlpExportConfig } from "./src/otlp/otlp_export_config.ts";
export {
  type OtlpReceiver,
  type OtlpReceiverStats,
  receiveOtlp,
  type ReceiveOtlpOptions,
} from "./src/otlp/receive_otlp.ts";
export { serve, type ServeOptions, type ViewerServer } from "./src/viewer/serve.ts";
export {
  formatUsageTable,
  queryTurnUsage,
  queryUsage,
  type UsageKey,
  type UsageOptions,
  type UsageRow,
} from "./src/collector/usage.ts";
export type { TurnUsage } from "./src/genai/usage.ts";
export {
  type ModelPrice,
  type ModelPrices,
  parsePrices,
  type PricesFile,
} from "./src/collector/prices.ts";
export {
  type PruneOptions,
  type PruneStats,
  pruneTraceStore,
} from "./src/collector/store_retention.ts";
