/**
 * `journal-sink export [--otlp <base-url>] [--protocol …] [--once] <journal>`: the journal
 * to an OpenTelemetry endpoint over OTLP/HTTP (protobuf or JSON).
 *
 * @module
 */

import { type Command, UsageError } from "../command.ts";
import { wholeNumber } from "../options.ts";
import { requireJournal } from "../require_file.ts";
import { absolutePath, stopSignal } from "../stop_signal.ts";

function baseUrl(text: string): string {
  if (!/^https?:\/\//.test(text)) {
    throw new UsageError(`--otlp needs an http(s):// URL, not ${text}`);
  }
  return text;
}

function oneOf<T extends string>(name: string, allowed: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(allowed as readonly string[]).includes(text)) {
      throw new UsageError(`--${name} takes ${allowed.join(" or ")}, not ${text}`);
    }
    return text as T;
  };
}

function signals(text: string): ("traces" | "logs")[] {
  const list = text.split(",").map((signal) => signal.trim());
  for (const signal of list) {
    if (signal !== "traces" && signal !== "logs") {
      throw new UsageError(`--signals takes traces, logs or traces,logs, not ${signal}`);
    }
  }
  return [...new Set(list)] as ("traces" | "logs")[];
}

function header(text: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new UsageError(`--header takes 'Name: value', not ${text}`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

/** `journal-sink export`. */
export const exportOtlp: Command = {
  name: "export",
  summary: "send the journal to an OpenTelemetry endpoint (OTLP/HTTP protobuf or JSON)",
  description: `Posts log entries to <base-url>/v1/logs and completed spans to <base-url>/v1/traces,
retrying with backoff (each retry said on stderr with its cause). Without --otlp the endpoint,
headers, protocol and compression come from OTEL_EXPORTER_OTLP_* (then http://localhost:4318).
The read position is saved after every acknowledged batch, one per endpoint, so a restart resumes
there and another endpoint gets the whole journal. Without --once it follows the journal until
SIGINT/SIGTERM. Prints what it exported on stdout, and on stderr why when it sent nothing.`,
  positionals: ["<journal>"],
  options: [
    {
      name: "otlp",
      value: "<base-url>",
      parse: baseUrl,
      help: "the endpoint (default: OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318)",
    },
    {
      name: "protocol",
      value: "<http/protobuf|http/json>",
      parse: oneOf("protocol", ["http/protobuf", "http/json"]),
      help: "the encoding (default: OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)",
    },
    {
      name: "compression",
      value: "<gzip|none>",
      parse: oneOf("compression", ["gzip", "none"]),
      help: "body compression (default: OTEL_EXPORTER_OTLP_COMPRESSION, else none)",
    },
    {
      name: "signals",
      value: "<traces,logs>",
      parse: signals,
      help: "which signals to send (default both, minus OTEL_{TRACES,LOGS}_EXPORTER=none)",
    },
    { name: "once", help: "send what is there, then stop" },
    {
      name: "include-open",
      help: "with --once, also send the spans still open (ended at the last timestamp read)",
    },
    {
      name: "service",
      value: "<name>",
      help: "service.name of the resource (default journal-sink)",
    },
    {
      name: "state",
      value: "<file>",
      help:
        "where the read positions are kept, one per endpoint (default <journal>.otlp-position.json)",
    },
    {
      name: "header",
      value: "'Name: value'",
      parse: header,
      repeatable: true,
      help: "an HTTP header for every request",
    },
    {
      name: "poll-ms",
      value: "<N>",
      parse: wholeNumber("poll-ms", 1),
      help: "how often to look for new records while following, in ms (default 1000)",
    },
  ],
  validate(args) {
    if (args.options["include-open"] === true && args.options.once !== true) {
      throw new UsageError("--include-open goes with --once");
    }
  },
  async run(args, io) {
    const path = absolutePath(args.positionals[0]);
    await requireJournal(args.positionals[0], path, io.fs);
    const [{ exportOtlp }, { otlpExportConfig, processEnvironment }] = await Promise.all([
      import("../../otlp/otlp_export.ts"),
      import("../../otlp/otlp_export_config.ts"),
    ]);
    const o = args.options;
    const env = io.env ?? processEnvironment();
    const settings = {
      url: o.otlp as string | undefined,
      protocol: o.protocol as "http/protobuf" | "http/json" | undefined,
      compression: o.compression as "gzip" | "none" | undefined,
      signals: o.signals as ("traces" | "logs")[] | undefined,
    };
    try {
      otlpExportConfig(settings, env);
    } catch (error) {
      // A malformed OTEL_* variable is a bad command line, said before anything is read.
      if (error instanceof TypeError) throw new UsageError(error.message);
      throw error;
    }
    const { signal, release } = stopSignal(io);
    try {
      const stats = await exportOtlp(path, {
        ...settings,
        env,
        includeOpenSpans: o["include-open"] === true,
        onRetry(retry) {
          io.error(
            `journal-sink: ${retry.url} attempt ${retry.attempt}/${retry.maxAttempts} failed: ` +
              `${retry.cause}; retrying in ${retry.delayMs} ms\n`,
          );
        },
        once: o.once === true,
        serviceName: o.service as string | undefined,
        statePath: o.state as string | undefined,
        headers: Object.fromEntries((o.header ?? []) as [string, string][]),
        pollMs: (o["poll-ms"] as number | undefined) ?? io.pollMs ?? 1000,
        signal,
        fs: io.fs,
      });
      await io.write(
        `exported ${stats.records} records: ${stats.logRecords} log records, ${stats.spans} spans` +
          (stats.openSpans > 0 ? ` (${stats.openSpans} open)` : "") + " " +
          `in ${stats.requests} requests (${stats.retries} retries, ${stats.rejected} rejected)\n`,
      );
      if (stats.nothingSent !== undefined) {
        io.error(`journal-sink: nothing sent: ${stats.nothingSent}\n`);
      }
      return 0;
    } finally {
      release();
    }
  },
};
