/**
 * The LogTape bridge: `getJournalSink()` returns a LogTape sink that writes LogTape
 * records into a durable, crash-safe NDJSON journal (rotation, fsync policies, never
 * throws), so LogTape users get this journal as their file sink. LogTape itself is not a
 * dependency: its record and sink types are matched structurally.
 *
 * @example Configuring LogTape with the journal sink
 * ```ts
 * import { configure, getLogger, reset } from "@logtape/logtape";
 * import { getJournalSink } from "@dispatch/journal-sink/logtape";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * await configure({
 *   sinks: { journal: getJournalSink({ path: "app.jsonl", extensionId: "api", fs }) },
 *   loggers: [
 *     { category: ["app"], sinks: ["journal"], lowestLevel: "info" },
 *     { category: ["logtape", "meta"], sinks: [] },
 *   ],
 * });
 * getLogger(["app"]).info("Hello, {name}!", { name: "Ada" });
 * await reset(); // disposes the sink, which closes the journal
 * if (JSON.parse(fs.text("app.jsonl")).msg !== "Hello, Ada!") throw new Error("not written");
 * ```
 *
 * @module
 */

export {
  getJournalSink,
  type JournalLogTapeSink,
  type JournalLogTapeSinkOptions,
  type LogTapeRecord,
} from "./src/logtape/logtape_sink.ts";
