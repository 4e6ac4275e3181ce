/**
 * `journal-sink tail [-n N] [-f]`: the last records, then (with `-f`) every new one.
 *
 * @module
 */

import type { JournalRecord } from "../../reader/journal_record.ts";
import { type Command, UsageError } from "../command.ts";
import { formatRecord, paint } from "../format.ts";
import { type CliIo, Output } from "../io.ts";
import { type JournalReading, runOnJournal } from "../journal_command.ts";
import { FILTER_OPTIONS, JSON_OPTION, NO_COLOR_OPTION } from "../options.ts";
import { reportSkipped, requireRecords } from "../report.ts";
import { stopSignal } from "../stop_signal.ts";

/** Keeps the last `capacity` items in a fixed array. */
class Ring<T> {
  private items: T[] = [];
  private start = 0;
  private capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  push(item: T): void {
    if (this.capacity === 0) return;
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  take(): T[] {
    const items = [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
    this.items = [];
    this.start = 0;
    return items;
  }
}

function lineCount(text: string): number {
  if (text === "all") return Infinity;
  if (/^\d+$/.test(text)) return Number(text);
  throw new UsageError(`-n needs a number or "all", not ${text}`);
}

/** `journal-sink tail`. */
export const tail: Command = {
  name: "tail",
  summary: "the last records, one per line (-f: keep following, across rotations)",
  positionals: ["<journal>"],
  options: [
    {
      name: "lines",
      short: "n",
      value: "<N|all>",
      parse: lineCount,
      default: 10,
      help: "how many of the last records",
    },
    { name: "follow", short: "f", help: "then wait for new records until Ctrl-C" },
    { ...JSON_OPTION, help: "print the records as NDJSON" },
    NO_COLOR_OPTION,
    ...FILTER_OPTIONS,
  ],
  run(args, io) {
    return runOnJournal(args, io, (reading) =>
      tailJournal({
        ...reading,
        lines: args.options.lines as number,
        follow: args.options.follow === true,
      }, io));
  },
};

type ReadJournal = typeof import("../../reader/read_journal.ts").readJournal;

interface TailOptions extends JournalReading {
  lines: number;
  follow: boolean;
}

async function tailJournal(args: TailOptions, io: CliIo): Promise<number> {
  const { readJournal } = await import("../../reader/read_journal.ts");
  // Following ends on SIGINT/SIGTERM like every command that runs until stopped: exit 0.
  const stop = args.follow ? stopSignal(io) : { signal: io.signal, release: () => {} };
  try {
    return await showRecords(args, io, readJournal, stop.signal);
  } finally {
    stop.release();
  }
}

async function showRecords(
  args: TailOptions,
  io: CliIo,
  readJournal: ReadJournal,
  signal: AbortSignal | undefined,
): Promise<number> {
  const p = paint(args.color);
  const out = new Output(io);
  const show = (record: JournalRecord) =>
    out.line(args.json ? JSON.stringify(record) : formatRecord(record, p));
  const all = args.lines === Infinity;
  const ring = new Ring<JournalRecord>(all ? 0 : args.lines);
  let live = false;
  const reader = readJournal(args.path, {
    ...args.filter,
    fs: io.fs,
    follow: args.follow,
    signal,
    pollMs: io.pollMs,
    onIdle() {
      if (!live) {
        live = true;
        for (const record of ring.take()) show(record);
      }
      void out.flush();
    },
  });
  for await (const record of reader) {
    if (live) {
      show(record);
      await out.flush();
    } else if (all) {
      await show(record);
    } else {
      ring.push(record);
    }
  }
  requireRecords(args.path, reader.stats);
  for (const record of ring.take()) show(record);
  await out.flush();
  reportSkipped(args.path, reader.stats, io);
  return 0;
}
