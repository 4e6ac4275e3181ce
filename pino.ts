/**
 * The pino bridge: `createPinoDestination()` returns a pino destination that writes each
 * line pino produces into the durable journal as a `log` record (rotation, fsync policies,
 * never throws), with pino's levels, message, time and child bindings mapped. pino is not a
 * dependency: a destination is any object with a synchronous `write(line)`.
 *
 * @example pino's child bindings become attributes
 * ```ts
 * import pino from "pino";
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createPinoDestination } from "@dispatch/journal-sink/pino";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * const logger = pino({ base: null }, createPinoDestination({ sink, extensionId: "api" }));
 * logger.child({ conversationId: "c1", tool: "search" }).error(new Error("timeout"));
 * sink.close();
 * const entry = JSON.parse(fs.text("app.jsonl"));
 * if (entry.level !== "error" || entry.conversationId !== "c1") throw new Error("mapping");
 * if (entry.attributes.tool !== "search" || entry.attributes.err.message !== "timeout") {
 *   throw new Error("bindings and err");
 * }
 * ```
 *
 * @example pino.transport: the same journal, written from pino's worker thread
 * ```ts
 * import pino from "pino";
 * import { once } from "node:events";
 * import { readJournal } from "@dispatch/journal-sink";
 * const path = `${await Deno.makeTempDir()}/app.jsonl`;
 * const transport = pino.transport({
 *   target: import.meta.resolve("@dispatch/journal-sink/pino"), // or the bare specifier
 *   options: { path, extensionId: "api" },
 * });
 * pino(transport).info({ requestId: "r1" }, "listening");
 * await once(transport, "ready"); // Deno needs the worker ready before an explicit end()
 * transport.end(); // returns once the worker has written every line and closed the journal
 * const [record] = await Array.fromAsync(readJournal(path));
 * if (record?.kind !== "log" || record.msg !== "listening") throw new Error("not written");
 * ```
 *
 * @module
 */

export {
  createPinoDestination,
  type PinoDestination,
  type PinoDestinationCommonOptions,
  type PinoDestinationOptions,
  type PinoDestinationStats,
  type PinoPathOptions,
  type PinoSinkOptions,
} from "./src/pino/pino_destination.ts";
export { type PinoTransportOptions, type PinoTransportStream } from "./src/pino/pino_transport.ts";
export { pinoTransport as default } from "./src/pino/pino_transport.ts";
