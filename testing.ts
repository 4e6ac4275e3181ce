/**
 * Test helpers for hosts that use journal-sink: an in-memory file system with fault
 * injection and power-loss simulation, to pass as the sink's `fs` option.
 *
 * @example A sink on the fake file system
 * ```ts
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "logs/app.jsonl", fs });
 * sink.emit({ kind: "log", level: "info", msg: "hi", timestamp: 1, extensionId: "host" });
 * sink.close();
 * if (!fs.text("logs/app.jsonl").includes('"msg":"hi"')) throw new Error("not written");
 * ```
 *
 * @module
 */

export { createFakeFs, type FakeFs } from "./src/testing/fake_fs.ts";
