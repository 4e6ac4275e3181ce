/**
 * What the commands that read one journal (`tail`, `spans`, `stats`) take from their command
 * line alike: the path, `--json`, whether to colour, the record filter, and a read error
 * turned into exit 1.
 *
 * @module
 */

import type { ParsedArgs } from "./command.ts";
import { readFailure } from "./failure.ts";
import type { CliIo } from "./io.ts";
import { recordFilter } from "./options.ts";
import type { RecordFilter } from "../reader/record_filter.ts";

/** The settings every journal-reading command has. */
export interface JournalReading {
  /** The journal as given on the command line. */
  path: string;
  /** `--json`. */
  json: boolean;
  /** Colour: a terminal allows it, and neither `--no-color` nor `--json` was given. */
  color: boolean;
  /** The record filter from `--kind`, `--level`, `--since`, … */
  filter: RecordFilter;
}

/**
 * Runs `body` on the journal named by the first positional, reporting a failure to read it
 * as a `CommandFailure` that names the path.
 *
 * @param args The parsed command line.
 * @param io The CLI's I/O, for its colour decision.
 * @param body The command's work.
 * @returns The command's exit code.
 */
export async function runOnJournal(
  args: ParsedArgs,
  io: CliIo,
  body: (reading: JournalReading) => Promise<number>,
): Promise<number> {
  const path = args.positionals[0];
  const o = args.options;
  try {
    return await body({
      path,
      json: o.json === true,
      color: io.color && o["no-color"] !== true && o.json !== true,
      filter: recordFilter(o),
    });
  } catch (error) {
    throw readFailure(path, error);
  }
}
