/**
 * The read side of a journal, for programs that only read: {@linkcode readJournal} streams
 * the records of every generation (gzip too, damage skipped and counted, filters, follow),
 * and {@linkcode reconstructTraces} turns them into span trees with the open spans flagged.
 * The same names are exported by `@dispatch/journal-sink`.
 *
 * @example The open spans of a journal
 * ```ts
 * import { readJournal, reconstructTraces } from "@dispatch/journal-sink/reader";
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * sink.emit({ kind: "span-open", spanId: "s1", name: "turn", timestamp: 1, extensionId: "host" });
 * sink.close();
 * const forest = await reconstructTraces(readJournal("app.jsonl", { fs }));
 * if (forest.open[0]?.spanId !== "s1") throw new Error("the turn should be open");
 * ```
 *
 * @module
 */

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
  type TurnLogs,
} from "./src/traces/traces.ts";
