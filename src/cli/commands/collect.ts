/**
 * `journal-sink collect --db traces.db [--once] <journal>`: the out-of-process collector.
 *
 * @module
 */

import { type Command, UsageError } from "../command.ts";
import { absolutePath, stopSignal } from "../stop_signal.ts";
import { wholeNumber } from "../options.ts";
import { requireJournal } from "../require_file.ts";

/** `journal-sink collect`. */
export const collect: Command = {
  name: "collect",
  summary: "tail the journal into a SQLite trace store",
  description: `Reads every generation, across rotations, gzip and logrotate. Without --once it
follows the journal until SIGINT/SIGTERM. The read position commits with the rows: a killed
collector resumes with nothing lost or doubled. Prints what it collected on stdout.`,
  positionals: ["<journal>"],
  options: [
    {
      name: "db",
      value: "<file>",
      help: "the SQLite store to fill (created if missing); required",
    },
    { name: "once", help: "read what is there, then stop" },
    {
      name: "poll-ms",
      value: "<N>",
      parse: wholeNumber("poll-ms", 1),
      help: "how often to look for new records while following, in ms (default 250)",
    },
  ],
  validate(args) {
    if (args.options.db === undefined) throw new UsageError("collect needs --db <file>");
  },
  async run(args, io) {
    const path = absolutePath(args.positionals[0]);
    await requireJournal(args.positionals[0], path, io.fs);
    const { collectJournal } = await import("../../collector/collect.ts");
    const { signal, release } = stopSignal(io);
    try {
      const given = args.options["poll-ms"] as number | undefined;
      const stats = await collectJournal(path, {
        db: args.options.db as string,
        once: args.options.once === true,
        pollMs: given ?? io.pollMs ?? 250,
        signal,
        fs: io.fs,
      });
      await io.write(
        `collected ${stats.records} records (${stats.logs} logs, ${stats.spans} span records) ` +
          `in ${stats.batches} transactions; ${stats.skipped} damaged lines skipped\n`,
      );
      return 0;
    } finally {
      release();
    }
  },
};
