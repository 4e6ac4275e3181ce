/**
 * `journal-sink receive --journal <path> [--port 4318] [--host 127.0.0.1]`: an OTLP/HTTP
 * receiver that appends what it is sent to a journal.
 *
 * @module
 */

import { type Command, UsageError } from "../command.ts";
import { port, wholeNumber } from "../options.ts";
import { serveUntilStopped } from "../until_stopped.ts";

/** `journal-sink receive`. */
export const receive: Command = {
  name: "receive",
  summary: "an OTLP/HTTP receiver (JSON and protobuf, gzip or not) appending to a journal",
  description:
    `Accepts POST /v1/traces and /v1/logs. Spans become span-open, log (one per event) and
span-close records; log records become log records; all through the journal sink (rotation,
fsync, fail-safe drop). Prints one line with its URL once it listens, then runs until
SIGINT/SIGTERM. On a loopback address the Host header must name loopback or an --allow-host.`,
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
  ],
  validate(args) {
    if (args.options.journal === undefined) throw new UsageError("receive needs --journal <path>");
  },
  async run(args, io) {
    const o = args.options;
    const host = o.host as string;
    const { receiveOtlp } = await import("../../otlp/receive_otlp.ts");
    return await serveUntilStopped(io, `${host}:${o.port}`, () =>
      receiveOtlp({
        journal: { path: o.journal as string },
        port: o.port as number,
        host,
        allowedHosts: o["allow-host"] as string[] | undefined,
        maxBodyBytes: o["max-body-bytes"] as number | undefined,
      }));
  },
};
