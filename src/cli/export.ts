/**
 * `journal-sink export --otlp <base-url> [--once] <journal>`: the journal to an
 * OpenTelemetry endpoint over OTLP/HTTP (JSON).
 *
 * @module
 */

import {
  absolutePath,
  flag,
  parseArgs,
  runCommand,
  stopSignal,
  UsageError,
} from "../collector/command_line.ts";
import type { CliIo } from "./io.ts";
import { exportOtlp } from "../collector/otlp_export.ts";

/** The usage text of `export`. */
export const EXPORT_USAGE = `usage: journal-sink export --otlp <base-url> [--once] [--service NAME]
                           [--state FILE] [--header 'Name: value'] <journal>
  Posts log entries to <base-url>/v1/logs and completed spans to <base-url>/v1/traces
  (OTLP/HTTP, JSON), retrying with backoff. The read position is saved after every
  acknowledged batch (default state file: <journal>.otlp-position.json), so a restart
  resumes there. Without --once it follows the journal until SIGINT/SIGTERM.
`;

/**
 * Runs `export` with the arguments after the command name.
 *
 * @param args The arguments, e.g. `["--otlp", "http://127.0.0.1:4318", "--once", "app.jsonl"]`.
 * @param io Where to write; the file system; what stops a following run.
 * @returns The exit code: 0 done, 1 failure, 2 usage error.
 */
export function exportCommand(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, EXPORT_USAGE, async () => {
    const parsed = parseArgs(args, ["otlp", "service", "state", "header", "poll-ms"], [
      "once",
      "help",
    ]);
    if (parsed.flags.has("help")) {
      await io.write(EXPORT_USAGE);
      return 0;
    }
    const url = flag(parsed, "otlp");
    if (!url || !/^https?:\/\//.test(url)) {
      throw new UsageError("export needs --otlp <http(s)://base-url>");
    }
    if (parsed.positional.length !== 1) throw new UsageError("export takes one journal path");
    const headers: Record<string, string> = {};
    const header = flag(parsed, "header");
    if (header) {
      const colon = header.indexOf(":");
      if (colon <= 0) throw new UsageError("--header takes 'Name: value'");
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
    const { signal, release } = stopSignal(io);
    try {
      const stats = await exportOtlp(absolutePath(parsed.positional[0]), {
        url,
        once: parsed.flags.has("once"),
        serviceName: flag(parsed, "service"),
        statePath: flag(parsed, "state"),
        headers,
        pollMs: Number(flag(parsed, "poll-ms") ?? io.pollMs ?? 1000),
        signal,
        fs: io.fs,
      });
      io.error(
        `exported ${stats.records} records: ${stats.logRecords} log records, ${stats.spans} spans ` +
          `in ${stats.requests} requests (${stats.retries} retries, ${stats.rejected} rejected)\n`,
      );
      return 0;
    } finally {
      release();
    }
  });
}
