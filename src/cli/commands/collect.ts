/**
 * `journal-sink collect --db traces.db [--once] [--retain 7d] <journal>`: the out-of-process
 * collector.
 *
 * @module
 */

import { errorCode } from "../../fs_ops.ts";
import { type Command, UsageError } from "../command.ts";
import { CommandFailure } from "../failure.ts";
import { absolutePath, stopSignal } from "../stop_signal.ts";
import { parseAge, wholeNumber } from "../options.ts";
import { requireJournal } from "../require_file.ts";

/** Pruning deletes in transactions of its own: at most once a minute while following. */
const PRUNE_EVERY_MS = 60_000;

/** `journal-sink collect`. */
export const collect: Command = {
  name: "collect",
  summary: "tail the journal into a SQLite trace store",
  description: `Reads every generation, across rotations, gzip and logrotate. Without --once it
follows the journal until SIGINT/SIGTERM. The read position commits with the rows: a killed
collector resumes with nothing lost or doubled. Prints what it collected on stdout. With
--retain or --max-conversations it prunes the store before the first pass and then at most
once a minute between commits, whole turns and conversations at a time (said on stderr).`,
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
    {
      name: "retain",
      value: "<age>",
      parse: parseAge,
      help: "delete turns older than this from the store (7d, 12h, 2w…)",
    },
    {
      name: "max-conversations",
      value: "<N>",
      parse: wholeNumber("max-conversations", 1),
      help: "keep only the N most recently active conversations in the store",
    },
  ],
  validate(args) {
    if (args.options.db === undefined) throw new UsageError("collect needs --db <file>");
  },
  async run(args, io) {
    const path = absolutePath(args.positionals[0]);
    await requireJournal(args.positionals[0], path, io.fs);
    const o = args.options;
    const retainMs = o.retain as number | undefined;
    const maxConversations = o["max-conversations"] as number | undefined;
    const pruning = retainMs !== undefined || maxConversations !== undefined;
    const [{ collectJournal }, { openTraceStore }, { pruneTraceStore }] = await Promise.all([
      import("../../collector/collect.ts"),
      import("../../collector/trace_store.ts"),
      import("../../collector/store_retention.ts"),
    ]);
    const store = await openTraceStore(o.db as string);
    let lastPrune = 0;
    const prune = () => {
      lastPrune = Date.now();
      const pruned = pruneTraceStore(store, { retainMs, maxConversations });
      if (pruned.turns + pruned.conversations + pruned.spans + pruned.logs > 0) {
        io.error(
          `journal-sink: pruned ${pruned.turns} turns (${pruned.conversations} conversations): ` +
            `${pruned.spans} spans, ${pruned.logs} log entries\n`,
        );
      }
    };
    const { signal, release } = stopSignal(io);
    try {
      if (pruning) prune();
      const given = o["poll-ms"] as number | undefined;
      const stats = await collectJournal(path, {
        db: store,
        once: o.once === true,
        pollMs: given ?? io.pollMs ?? 250,
        signal,
        fs: io.fs,
        onBatch: pruning
          ? () => {
            if (Date.now() - lastPrune >= PRUNE_EVERY_MS) prune();
          }
          : undefined,
      }).catch((error) => {
        // Another collector fills this store: its lock names it.
        if (errorCode(error) === "ESTORELOCKED") throw new CommandFailure(error.message);
        throw error;
      });
      await io.write(
        `collected ${stats.records} records (${stats.logs} logs, ${stats.spans} span records) ` +
          `in ${stats.batches} transactions; ${stats.skipped} damaged lines skipped\n`,
      );
      return 0;
    } finally {
      release();
      store.close();
    }
  },
};
