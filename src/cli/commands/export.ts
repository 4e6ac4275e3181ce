/**
 * `journal-sink export --otlp <base-url> [--once] <journal>`: the journal to an
 * OpenTelemetry endpoint over OTLP/HTTP (JSON).
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

function header(text: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new UsageError(`--header takes 'Name: value', not ${text}`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

/** `journal-sink export`. */
export const exportOtlp: Command = {
  name: "export",
  summary: "send the journal to an OpenTelemetry endpoint (OTLP/HTTP JSON)",
  description: `Posts log entries to <base-url>/v1/logs and completed spans to <base-url>/v1/traces,
retrying with backoff. The read position is saved after every acknowledged batch, so a restart
resumes there. Without --once it follows the journal until SIGINT/SIGTERM. Prints what it
exported on stdout.`,
  positionals: ["<journal>"],
  options: [
    {
      name: "otlp",
      value: "<base-url>",
      parse: baseUrl,
      help: "the endpoint, e.g. http://127.0.0.1:4318; required",
    },
    { name: "once", help: "send what is there, then stop" },
    {
      name: "service",
      value: "<name>",
      help: "service.name of the resource (default journal-sink)",
    },
    {
      name: "state",
      value: "<file>",
      help: "where the read position is kept (default <journal>.otlp-position.json)",
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
    if (args.options.otlp === undefined) {
      throw new UsageError("export needs --otlp <http(s)://base-url>");
    }
  },
  async run(args, io) {
    const path = absolutePath(args.positionals[0]);
    await requireJournal(args.positionals[0], path, io.fs);
    const { exportOtlp } = await import("../../collector/otlp_export.ts");
    const o = args.options;
    const { signal, release } = stopSignal(io);
    try {
      const stats = await exportOtlp(path, {
        url: o.otlp as string,
        once: o.once === true,
        serviceName: o.service as string | undefined,
        statePath: o.state as string | undefined,
        headers: Object.fromEntries((o.header ?? []) as [string, string][]),
        pollMs: (o["poll-ms"] as number | undefined) ?? io.pollMs ?? 1000,
        signal,
        fs: io.fs,
      });
      await io.write(
        `exported ${stats.records} records: ${stats.logRecords} log records, ${stats.spans} spans ` +
          `in ${stats.requests} requests (${stats.retries} retries, ${stats.rejected} rejected)\n`,
      );
      return 0;
    } finally {
      release();
    }
  },
};
