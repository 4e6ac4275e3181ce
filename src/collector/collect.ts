/**
 * The collector loop: tail a journal into a {@linkcode TraceStore}, each batch committed
 * with its read positions, until stopped (or once).
 *
 * @module
 */

import { defaultFsOps } from "../adapters/default.ts";
import type { FsOps } from "../fs_ops.ts";
import { journalGenerations } from "../generations.ts";
import type { TailBatch } from "../reader/follow.ts";
import type { FilePosition } from "../reader/file_identity.ts";
import { lockStore, type StoreLock } from "./collector_lock.ts";
import { openTraceStore, type TraceStore } from "./trace_store.ts";
import { tailLoop } from "../reader/tail_loop.ts";
import { type PlannedBatch, startPlanningWorker } from "./worker_batches.ts";

/** Bytes per batch by default (see {@linkcode CollectOptions.chunkSize}). */
export const COLLECT_BATCH_BYTES = 1024 * 1024;

/**
 * Unread bytes below which a single pass reads on this thread: starting a worker costs about
 * what it saves on 8 MiB of journal (bench/RESULTS.md, collector).
 */
const WORKER_WORTH_BYTES = 8 * 1024 * 1024;

/**
 * Options of {@linkcode collectJournal}.
 *
 * @example
 * ```ts
 * import type { CollectOptions } from "@dispatch/journal-sink/collector";
 * const options: CollectOptions = { db: "traces.db", once: true };
 * if (!options.once) throw new Error("unreachable");
 * ```
 */
export interface CollectOptions {
  /** The store to fill: an open {@linkcode TraceStore}, or a database path to open (and close). */
  db: TraceStore | string;
  /**
   * Ingest what the journal holds now, then return; otherwise follow it until `signal`.
   * @default {false}
   */
  once?: boolean;
  /** Stops a following collector (it returns after committing its last batch). */
  signal?: AbortSignal;
  /**
   * How often to look for new bytes when there were none, in milliseconds.
   * @default {250}
   */
  pollMs?: number;
  /**
   * The file system to read through (a fake one in tests).
   * @default {defaultFsOps()}
   */
  fs?: FsOps;
  /**
   * Bytes read (and committed) per batch at most. Since a checkpoint comes every 10,000
   * pages rather than every commit, 1 MiB ingests as fast as 4 MiB on Node and Deno, and
   * about a fifth faster on Bun, whose allocator returns each batch's freed megabytes to
   * the system and faults them back in for the next (bench/RESULTS.md, "Collector").
   * @default {1048576}
   */
  chunkSize?: number;
  /** Called after each committed batch (progress, tests). */
  onBatch?: (stats: CollectStats) => void;
  /**
   * Read and plan the journal in a worker thread while this thread writes SQLite: the two
   * halves of the work run side by side (on two cores, 1.0-1.25× the records a second of
   * one thread on Node, 1.2× on Deno, 1.3-1.7× on Bun; bench/RESULTS.md). The rows are the
   * same either way. A worker reads real files only (never with an `fs` given); by default
   * one is used when following, or when more than 8 MiB are left to read (starting one
   * takes 50-150 ms); when none can start here (the runtime has no workers, or its
   * module cannot be loaded) the collector reads on this thread.
   */
  worker?: boolean;
}

/**
 * What a collector did; `collectJournal` resolves with it.
 *
 * @example
 * ```ts
 * import type { CollectStats } from "@dispatch/journal-sink/collector";
 * const stats: CollectStats = {
 *   records: 3, logs: 1, spans: 2, ignored: 0, skipped: 0, batches: 1, passes: 1, worker: false,
 * };
 * if (stats.records !== stats.logs + stats.spans + stats.ignored) throw new Error("sum");
 * ```
 */
export interface CollectStats {
  /** Records read and committed. */
  records: number;
  /** Log rows added. */
  logs: number;
  /** Span records applied: `span-open` and `span-close` each count one. */
  spans: number;
  /** Records of unknown kinds or without a timestamp. */
  ignored: number;
  /** Damaged lines skipped (invalid JSON, NUL runs, damaged gzip). */
  skipped: number;
  /** Transactions committed. */
  batches: number;
  /** Passes over the journal's generations. */
  passes: number;
  /** Whether a worker thread read and planned the journal (see {@linkcode CollectOptions.worker}). */
  worker: boolean;
}

/**
 * Collects the journal at `path` into a SQLite trace store: every generation, oldest
 * first (rotated, gzip-compressed or renamed by an external logrotate), then the live file
 * as it grows. Each batch of records is committed in one transaction together with the
 * read position (file identity by content fingerprint + byte offset), so a collector that
 * is killed at any point resumes where its last commit ended: no record lost, none
 * doubled. Positions belong to files, not paths: a journal moved or renamed (its
 * directory too) resumes where it was under its new path. Two files whose first KiB is
 * the same are one file to the collector when only one of them exists (one took the
 * other's place): the second is read on from the first one's position. One collector
 * fills a store at a time: it holds the lock file `<store>.lock` while it runs, and a
 * second one is refused (an error with code `ESTORELOCKED` naming the holder) rather than
 * storing every record again; a lock left by a collector that was killed is taken over.
 *
 * @param path The live journal's path, as given to `createJournalSink`.
 * @param options Where to store, once or follow.
 * @returns What was collected.
 * @throws {Error} Code `ESTORELOCKED` when another collector fills the store.
 *
 * @example Collect a journal once, then query the store with SQL
 * ```ts
 * import { collectJournal, openTraceStore } from "@dispatch/journal-sink/collector";
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * sink.emit({ kind: "log", level: "error", msg: "tool failed", timestamp: 1, extensionId: "host" });
 * sink.close();
 * const store = await openTraceStore(":memory:");
 * const stats = await collectJournal("app.jsonl", { db: store, once: true, fs });
 * const row = store.db.prepare("SELECT msg FROM logs WHERE level = 'error'").get();
 * if (stats.records !== 1 || row?.msg !== "tool failed") throw new Error("not collected");
 * store.close();
 * ```
 */
export async function collectJournal(
  path: string,
  options: CollectOptions,
): Promise<CollectStats> {
  const store = typeof options.db === "string" ? await openTraceStore(options.db) : options.db;
  const fs = options.fs ?? defaultFsOps();
  const chunkSize = Math.max(1024, options.chunkSize ?? COLLECT_BATCH_BYTES);
  const pollMs = options.pollMs ?? 250;
  const stats: CollectStats = {
    records: 0,
    logs: 0,
    spans: 0,
    ignored: 0,
    skipped: 0,
    batches: 0,
    passes: 0,
    worker: false,
  };
  let lock: StoreLock | undefined;
  try {
    // Before reading a position: a second collector would read from the same ones.
    const file = storeFile(store);
    if (file !== undefined) lock = lockStore(file);
    const positions = store.positions(path);
    const once = options.once === true;
    // A worker reads real files: an `fs` given here cannot cross to it.
    const useWorker = options.fs === undefined &&
      (options.worker ?? (!once || unread(path, fs, positions) > WORKER_WORTH_BYTES));
    let batches: AsyncGenerator<PlannedBatch | TailBatch> | undefined;
    if (useWorker) {
      batches = await startPlanningWorker(
        { path, positions, known: store.allPositions(), chunkSize, pollMs, once },
        options.signal,
        () => stats.passes++,
      );
    }
    stats.worker = batches !== undefined;
    batches ??= tailLoop(path, positions, {
      fs,
      chunkSize,
      pollMs,
      once,
      signal: options.signal,
      movedFrom: (head) => store.positionOfFile(head),
      onPass: () => stats.passes++,
    });
    for await (const batch of batches) {
      let counts;
      if ("plan" in batch) {
        counts = store.commitPlan(path, batch.plan, batch.positions);
        stats.records += batch.records;
      } else {
        counts = store.commit(path, batch.records, batch.positions);
        stats.records += batch.records.length;
      }
      stats.logs += counts.logs;
      stats.spans += counts.spanOpens + counts.spanCloses;
      stats.ignored += counts.ignored;
      stats.skipped += batch.skipped;
      stats.batches++;
      options.onBatch?.(stats);
      if (options.signal?.aborted) break;
    }
  } finally {
    lock?.release();
    if (typeof options.db === "string") store.close();
  }
  return stats;
}

/** The store's database file; `undefined` for one in memory. */
function storeFile(store: TraceStore): string | undefined {
  const main = store.db.prepare("PRAGMA database_list").all().find((row) => row.name === "main");
  return typeof main?.file === "string" && main.file !== "" ? main.file : undefined;
}

/**
 * About how many bytes of the journal are not collected yet: its files' sizes (a compressed
 * one counted as ten times its size) less the offsets committed for them.
 */
function unread(path: string, fs: FsOps, positions: readonly FilePosition[]): number {
  let bytes = 0;
  for (const generation of journalGenerations(path, fs)) {
    try {
      bytes += fs.size(generation.path) * (generation.gzip ? 10 : 1);
    } catch {
      // Gone since it was listed: nothing to read there.
    }
  }
  for (const position of positions) bytes -= position.offset;
  return bytes;
}
