/**
 * `journal-sink collect --db traces.db [--once] <journal>`: the out-of-process collector.
 *
 * @module
 */

import { collectJournal } from "../collector/collect.ts";
import {
  absolutePath,
  flag,
  parseArgs,
  runCommand,
  stopSignal,
  UsageError,
} from "../collector/command_line.ts";
import type { CliIo } from "./io.ts";

/** The usage text of `collect`. */
export const COLLECT_USAGE =
  `usage: journal-sink collect --db <traces.db> [--once] [--poll-ms N] <journal>
  Tails the journal (every generation, across rotations, gzip and logrotate) into a
  SQLite store. Without --once it follows the journal until SIGINT/SIGTERM. The read
  position commits with the rows: a killed collector resumes with nothing lost or doubled.
`;

/**
 * Runs `collect` with the arguments after the command name.
 *
 * @param args The arguments, e.g. `["--db", "traces.db", "--once", "app.jsonl"]`.
 * @param io Where to write; the file system; what stops a following run.
 * @returns The exit code: 0 done, 1 failure, 2 usage error.
 */
export function collectCommand(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, COLLECT_USAGE, async () => {
    const parsed = parseArgs(args, ["db", "poll-ms"], ["once", "help"]);
    if (parsed.flags.has("help")) {
      await io.write(COLLECT_USAGE);
      return 0;
    }
    const db = flag(parsed, "db");
    if (!db) throw new UsageError("collect needs --db <file>");
    if (parsed.positional.length !== 1) throw new UsageError("collect takes one journal path");
    const pollMs = Number(flag(parsed, "poll-ms") ?? io.pollMs ?? 250);
    if (!(pollMs > 0)) throw new UsageError("--poll-ms must be a positive number");
    const { signal, release } = stopSignal(io);
    try {
      const stats = await collectJournal(absolutePath(parsed.positional[0]), {
        db,
        once: parsed.flags.has("once"),
        pollMs,
        signal,
        fs: io.fs,
      });
      io.error(
        `collected ${stats.records} records (${stats.logs} logs, ${stats.spans} span records) ` +
          `in ${stats.batches} transactions; ${stats.skipped} damaged lines skipped\n`,
      );
      return 0;
    } finally {
      release();
    }
  });
}
