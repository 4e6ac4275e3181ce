/**
 * The note the CLI prints on stderr when a read skipped damaged lines.
 *
 * @module
 */

import type { ReadStats } from "../reader/read_journal.ts";
import type { CliIo } from "./io.ts";

/**
 * `journal-sink: skipped 2 damaged lines in app.jsonl (torn 1, invalid 1, NUL runs 0)`,
 * on stderr, only when something was skipped.
 *
 * @param path The journal.
 * @param stats What the read met.
 * @param io Where to write.
 */
export function reportSkipped(path: string, stats: ReadStats, io: CliIo): void {
  if (stats.skipped === 0) return;
  const noun = stats.skipped === 1 ? "line" : "lines";
  io.error(
    `journal-sink: skipped ${stats.skipped} damaged ${noun} in ${path} ` +
      `(torn ${stats.torn}, invalid ${stats.invalid}, NUL runs ${stats.nulRuns})\n`,
  );
}
