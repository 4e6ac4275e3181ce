/**
 * `journal-sink receive --journal <path> [--port 4318] [--host 127.0.0.1]`: an OTLP/HTTP
 * receiver that appends what it is sent to a journal.
 *
 * @module
 */

import { type Command, UsageError } from "../command.ts";
import { CommandFailure } from "../failure.ts";
import { port, wholeNumber } from "../options.ts";
import { serveUntilStopped } from "../until_stopped.ts";

/** `journal-sink receive`. */
export const receive: Command = {
  name: "receive",
  summary: "an OTLP/HTTP receiver (JSON and protobuf, gzip or not) appending to a journal",
  description:
    `Accepts POST /v1/traces and /v1/logs. Spans become span-open, log (one per event) and
span-close records; log records become log records; all through the journal sink (rotation,
fsync). A child span without a turn or conversation takes its parent's. Prints one line with
its URL once it listens, then runs until SIGINT/SIGTERM; exits 1 at start if the journal
cannot be opened. A write that fails is answered 503 with Retry-After, which OTLP exporters
retry. On a loopback address the Host header must name loopback or an --allow-host.`,
  positionals: [],
  options: [
    { name: "journal", value: "<path>", help: "the journal to append to; required" },
    {
      name: "port",
      value: "<N>",
      parse: port,
      default: 4318,
      help: "the TCP port; 0 picks a free one",
    },
    { name: "host", value: "<address>", default: "127.0.0.1", help: "the address to bind" },
    {
      name: "allow-host",
      value: "<name>",
      repeatable: true,
      help: "one more name accepted in the Host header (a container's service name)",
    },
    {
      name: "max-body-bytes",
      value: "<N>",
      parse: wholeNumber("max-body-bytes", 1),
      help: "the largest request body, before and after gzip (default 20971520)",
    },
    {
      name: "max-attributes",
      value: "<N>",
      parse: wholeNumber("max-attributes", 0),
      help: "attributes kept per span, event or log record; more are counted (default 128)",
    },
    {
      name: "max-attribute-length",
      value: "<N>",
      parse: wholeNumber("max-attribute-length", 1),
      help: "the longest attribute string kept, longer ones are cut (default 4194304)",
    },
  ],
  validate(args) {
    if (args.options.journal === undefined) throw new UsageError("receive needs --journal <path>");
  },
  async run(args, io) {
    const o = args.options;
    const host = o.host as string;
    const { receiveOtlp } = await import("../../otlp/receive_otlp.ts");
    const { JournalSinkError } = await import("../../sink/journal_sink_error.ts");
    let journalFailure: Error | undefined;
    try {
      return await serveUntilStopped(io, `${host}:${o.port}`, () =>
        receiveOtlp({
          journal: { path: o.journal as string },
          port: o.port as number,
          host,
          allowedHosts: o["allow-host"] as string[] | undefined,
          maxBodyBytes: o["max-body-bytes"] as number | undefined,
          maxAttributes: o["max-attributes"] as number | undefined,
          maxAttributeLength: o["max-attribute-length"] as number | undefined,
        }).catch((error) => {
          if (error instanceof JournalSinkError) journalFailure = error;
          throw error;
        }));
    } catch (error) {
      // The journal, not the address, is what failed: say only that (it names path and cause).
      if (journalFailure) throw new CommandFailure(journalFailure.message);
      throw error;
    }
  },
};
