/**
 * The one follower's loop: passes of {@linkcode tailPass} over a journal, once or again each
 * time new bytes may have come, until stopped. `readJournal({ follow })` and the collector
 * (on the SQLite thread or in its planning worker) both read through it.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { type TailBatch, tailPass } from "./follow.ts";
import type { FilePosition } from "./file_identity.ts";
import { abortableSleep } from "../abortable_sleep.ts";

/** How {@linkcode tailLoop} reads and when it stops. */
export interface TailLoopOptions {
  /** The file system. */
  fs: FsOps;
  /** Bytes per batch at most. */
  chunkSize: number;
  /** How long to wait between passes, ms. */
  pollMs: number;
  /**
   * One pass, then stop.
   * @default {false}
   */
  once?: boolean;
  /**
   * Wait `pollMs` after every pass, not only after one that found nothing new. The collector
   * starts the next pass at once to catch up at full speed; a reader that prints as it goes
   * has no such hurry.
   * @default {false}
   */
  pauseAfterEveryPass?: boolean;
  /** Stops following (the batch being read is still yielded). */
  signal?: AbortSignal;
  /** See `TailOptions.movedFrom`. */
  movedFrom?: (head: Uint8Array) => FilePosition | undefined;
  /** Called as each pass starts. */
  onPass?: () => void;
  /**
   * Called when a pass has run to its end (every record so far yielded), with how many live
   * files it saw rotated away (read at the live path before it, at another after).
   */
  onCaughtUp?: (rotated: number) => void;
}

/**
 * The batches of every pass over the journal at `path`, each to be committed before the
 * next is asked for.
 *
 * @param path The live journal's path.
 * @param positions Known positions; updated in place.
 * @param options How to read, once or following.
 * @returns The batches.
 *
 * @example Following a journal until stopped
 * ```ts
 * import { tailLoop } from "./tail_loop.ts";
 * import { createFakeFs } from "../testing/fake_fs.ts";
 * const fs = createFakeFs();
 * const handle = fs.open("app.jsonl");
 * const line = (msg: string) =>
 *   JSON.stringify({ kind: "log", level: "info", msg, timestamp: 1, extensionId: "x" }) + "\n";
 * fs.append(handle, line("one"));
 * const stop = new AbortController();
 * const read: string[] = [];
 * const options = { fs, chunkSize: 1024, pollMs: 5, signal: stop.signal };
 * for await (const batch of tailLoop("app.jsonl", [], options)) {
 *   for (const record of batch.records) if (record.kind === "log") read.push(String(record.msg));
 *   if (read.length === 1) fs.append(handle, line("two"));
 *   if (read.length === 2) stop.abort();
 * }
 * if (read.join() !== "one,two") throw new Error(read.join());
 * ```
 */
export async function* tailLoop(
  path: string,
  positions: FilePosition[],
  options: TailLoopOptions,
): AsyncGenerator<TailBatch> {
  const { fs, chunkSize, movedFrom, signal, onCaughtUp } = options;
  while (!signal?.aborted) {
    options.onPass?.();
    const wasLive = onCaughtUp &&
      new Set(positions.filter((p) => p.path === path).map((p) => p.key));
    let progressed = false;
    for await (
      const batch of tailPass(path, positions, { fs, chunkSize, now: Date.now, movedFrom })
    ) {
      yield batch;
      if (batch.records.length > 0) progressed = true;
      if (signal?.aborted) return;
    }
    if (onCaughtUp) {
      const rotated = positions.filter((p) => wasLive!.has(p.key) && p.path !== path);
      onCaughtUp(rotated.length);
    }
    if (options.once || signal?.aborted) return;
    if (!progressed || options.pauseAfterEveryPass) await abortableSleep(options.pollMs, signal);
  }
}
