/**
 * `journal-sink tail [-n N] [-f]`: the last records, then (with `-f`) every new one.
 *
 * @module
 */

import { readJournal } from "../reader/read_journal.ts";
import type { JournalRecord } from "../reader/journal_record.ts";
import type { CliArgs } from "./args.ts";
import { formatRecord, paint } from "./format.ts";
import { type CliIo, Output } from "./io.ts";
import { reportSkipped } from "./report.ts";

/** Keeps the last `capacity` items in a fixed array. */
class Ring<T> {
  #items: T[] = [];
  #start = 0;
  #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(item: T): void {
    if (this.#capacity === 0) return;
    if (this.#items.length < this.#capacity) {
      this.#items.push(item);
      return;
    }
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.#capacity;
  }

  take(): T[] {
    const items = [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)];
    this.#items = [];
    this.#start = 0;
    return items;
  }
}

/**
 * Runs `tail`.
 *
 * @param args The parsed command line.
 * @param io Where to read and write.
 * @param color Whether to colour the output.
 * @returns The exit code.
 */
export async function tail(args: CliArgs, io: CliIo, color: boolean): Promise<number> {
  const p = paint(color);
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
    signal: io.signal,
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
  for (const record of ring.take()) show(record);
  await out.flush();
  reportSkipped(args.path, reader.stats, io);
  return 0;
}
