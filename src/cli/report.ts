/**
 * What the CLI says about a read as a whole: the note on stderr when it skipped damaged lines,
 * and the failure when nothing in the file was a journal record.
 *
 * @module
 */

import type { ReadStats } from "../reader/read_journal.ts";
import { CommandFailure } from "./failure.ts";
import type { CliIo } from "./io.ts";
import { printable } from "./printable.ts";

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
    `journal-sink: skipped ${stats.skipped} damaged ${noun} in ${printable(path)} ` +
      `(torn ${stats.torn}, invalid ${stats.invalid}, NUL runs ${stats.nulRuns})\n`,
  );
}

/**
 * Throws unless the file read was a journal: a file with lines, none of them a record
 * (`/etc/passwd`), is not one. An empty journal is, and so is one whose records the filter
 * all left out.
 *
 * @param path The journal as given.
 * @param stats What the read met.
 */
export function requireRecords(path: string, stats: ReadStats): void {
  if (stats.records > 0 || stats.filtered > 0 || stats.invalid === 0) return;
  const lines = stats.skipped === 1
    ? "its one line is not a journal record"
    : `none of its ${stats.skipped} lines is a journal record`;
  throw new CommandFailure(`${printable(path)} is not a journal: ${lines}`);
}
