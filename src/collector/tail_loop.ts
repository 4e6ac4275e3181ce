/**
 * The collector's passes over a journal: every generation once, or again each time new
 * bytes may have come (following), until stopped. Shared by the collector's two ways of
 * reading: on the SQLite thread, or in a worker that plans the batches.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { type TailBatch, tailPass } from "../reader/follow.ts";
import type { FilePosition } from "../reader/file_identity.ts";
import { abortableSleep } from "../abortable_sleep.ts";

/** How {@linkcode tailLoop} reads and when it stops. */
export interface TailLoopOptions {
  /** The file system. */
  fs: FsOps;
  /** Bytes per batch at most. */
  chunkSize: number;
  /** How long to wait after a pass that found nothing new, ms. */
  pollMs: number;
  /** One pass, then stop. */
  once: boolean;
  /** Stops following (the batch being read is still yielded). */
  signal?: AbortSignal;
  /** See `TailOptions.movedFrom`. */
  movedFrom?: (head: Uint8Array) => FilePosition | undefined;
  /** Called as each pass starts. */
  onPass?: () => void;
}

/**
 * The batches of every pass over the journal at `path`, each to be committed before the
 * next is asked for.
 *
 * @param path The live journal's path.
 * @param positions Known positions; updated in place.
 * @param options How to read, once or following.
 * @returns The batches.
 */
export async function* tailLoop(
  path: string,
  positions: FilePosition[],
  options: TailLoopOptions,
): AsyncGenerator<TailBatch> {
  while (!options.signal?.aborted) {
    options.onPass?.();
    let progressed = false;
    for await (
      const batch of tailPass(path, positions, {
        fs: options.fs,
        chunkSize: options.chunkSize,
        now: () => Date.now(),
        movedFrom: options.movedFrom,
      })
    ) {
      yield batch;
      if (batch.records.length > 0) progressed = true;
      if (options.signal?.aborted) return;
    }
    if (options.once) return;
    if (!progressed) await abortableSleep(options.pollMs, options.signal);
  }
}
