/**
 * Reading a journal back: every generation, oldest first, streamed in chunks, with the
 * debris of a crash skipped and counted instead of thrown.
 *
 * @module
 */

import { defaultFsOps } from "../adapters/default.ts";
import type { FsOps } from "../fs_ops.ts";
import { completeFs } from "../complete_fs.ts";
import { journalGenerations } from "../generations.ts";
import { DamagedGzipError, DEFAULT_CHUNK_SIZE, gzipChunks, readRange } from "./file_chunks.ts";
import { type JournalRecord, parseRecord } from "./journal_record.ts";
import { JournalNotFoundError } from "./journal_not_found_error.ts";
import { LineSplitter } from "./line_splitter.ts";
import { compileFilter, type RecordFilter } from "./record_filter.ts";
import { FINGERPRINT_BYTES, plainHead, startsWith } from "./file_identity.ts";
import { tailLoop } from "./tail_loop.ts";

/**
 * Options of {@linkcode readJournal}: a {@linkcode RecordFilter} plus how to read.
 *
 * @example Only errors of one conversation, from a given time on
 * ```ts
 * import type { ReadJournalOptions } from "@dispatch/journal-sink";
 * const options: ReadJournalOptions = {
 *   kinds: ["log"], minLevel: "error", conversationId: "c1", since: new Date("2025-01-01"),
 * };
 * if (options.minLevel !== "error") throw new Error("unreachable");
 * ```
 */
export interface ReadJournalOptions extends RecordFilter {
  /**
   * The file system to read through.
   * @default {defaultFsOps()}
   */
  fs?: FsOps;
  /**
   * After the last record, keep waiting for new ones like `tail -f`, across rotations,
   * until `signal` aborts. An unterminated last line is then awaited, not counted as torn.
   * @default {false}
   */
  follow?: boolean;
  /**
   * How often `follow` looks for new bytes, in milliseconds.
   * @default {250}
   */
  pollMs?: number;
  /** Ends a `follow` read (the iteration then finishes normally). */
  signal?: AbortSignal;
  /**
   * Called in `follow` mode each time every record so far has been yielded and the reader
   * starts waiting for more: the moment to print a `tail -n` buffer or flush output.
   */
  onIdle?: () => void;
  /**
   * Bytes read per `readAt` call; memory held is about one chunk plus the longest line.
   * @default {1048576} (1 MiB)
   */
  chunkSize?: number;
}

/**
 * What a read met, updated as it goes: final once the iteration has finished.
 *
 * @example
 * ```ts
 * import type { ReadStats } from "@dispatch/journal-sink";
 * const stats: ReadStats = {
 *   files: ["app.jsonl"], bytes: 120, records: 2, filtered: 0,
 *   skipped: 1, torn: 1, invalid: 0, nulRuns: 0, repaired: 0, rotationsFollowed: 0,
 * };
 * if (stats.skipped !== stats.torn + stats.invalid + stats.nulRuns) throw new Error("sum");
 * ```
 */
export interface ReadStats {
  /** The files read, in order. */
  files: string[];
  /** Bytes of NDJSON read (after decompression). */
  bytes: number;
  /** Records yielded. */
  records: number;
  /** Valid records left out by the filter. */
  filtered: number;
  /** `torn + invalid + nulRuns`: everything skipped as damage. */
  skipped: number;
  /**
   * Unterminated last lines that were not a whole record (a write cut by a crash or a
   * full disk), and damaged gzip tails.
   */
  torn: number;
  /** Lines that are not a JSON object with a string `kind`. Blank lines are ignored. */
  invalid: number;
  /** Runs of NUL bytes (file size committed before the data, then a crash). */
  nulRuns: number;
  /**
   * Records yielded without an optional field that held a value of the wrong type
   * (`attributes: "done"`, `links: [null]`), which `emit` refuses but older journals or
   * other writers may hold. Counted in `records`, not in `skipped`.
   */
  repaired: number;
  /** Rotations of the live file seen while following. */
  rotationsFollowed: number;
}

/**
 * The async iterable {@linkcode readJournal} returns, with the running {@linkcode ReadStats}.
 * The stats are also the iteration's return value.
 *
 * @example
 * ```ts
 * import { readJournal, type JournalReader } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * fs.close(fs.open("empty.jsonl"));
 * const reader: JournalReader = readJournal("empty.jsonl", { fs });
 * for await (const _ of reader) throw new Error("empty journal yields nothing");
 * if (reader.stats.records !== 0) throw new Error("no records expected");
 * ```
 */
export type JournalReader = AsyncGenerator<JournalRecord, ReadStats, undefined> & {
  /** What the read met so far. */
  readonly stats: ReadStats;
};

/**
 * Reads every record of the journal at `path` (`path.N` … `path.1`, then `path`;
 * `path.N.gz` generations are decompressed on the fly) in the order they were written.
 *
 * Files are read in chunks of `chunkSize` through `FsOps.readAt`, so a journal of any size
 * reads in constant memory (an `FsOps` without `readAt` falls back to `readFile`). Damage
 * is skipped and counted in `stats`, never thrown: a torn last line, a run of NUL bytes, an
 * invalid line; an optional field of the wrong type is left out of its record
 * (`stats.repaired`). Records of a kind this version does not know are yielded as they are.
 * A journal with no file at all rejects with {@linkcode JournalNotFoundError} (`code`
 * `"ENOENT"`); a journal whose live file is missing but has rotated generations reads
 * those (a crash between rotation and the next open leaves exactly that).
 *
 * @param path The live journal's path, as given to `createJournalSink`.
 * @param options Filters, `follow`, the file system.
 * @returns An async iterable of records with the read's {@linkcode ReadStats}.
 *
 * @example Reading back what a sink wrote, torn tail included
 * ```ts
 * import { createJournalSink, readJournal } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * sink.emit({ kind: "log", level: "warn", msg: "disk slow", timestamp: 1, extensionId: "host" });
 * sink.close();
 * const handle = fs.open("app.jsonl");
 * fs.append(handle, '{"kind":"log","lev'); // what a crash mid-write leaves
 * const reader = readJournal("app.jsonl", { fs });
 * const messages: unknown[] = [];
 * for await (const record of reader) if (record.kind === "log") messages.push(record.msg);
 * if (messages.join() !== "disk slow" || reader.stats.torn !== 1) throw new Error("read back");
 * ```
 */
export function readJournal(path: string, options: ReadJournalOptions = {}): JournalReader {
  const stats: ReadStats = {
    files: [],
    bytes: 0,
    records: 0,
    filtered: 0,
    skipped: 0,
    torn: 0,
    invalid: 0,
    nulRuns: 0,
    repaired: 0,
    rotationsFollowed: 0,
  };
  const iterator = read(path, options, stats);
  Object.defineProperty(iterator, "stats", { value: stats, enumerable: true });
  return iterator as JournalReader;
}

async function* read(
  path: string,
  options: ReadJournalOptions,
  stats: ReadStats,
): AsyncGenerator<JournalRecord, ReadStats, undefined> {
  const fs = completeFs(options.fs ?? defaultFsOps());
  const keep = compileFilter(options);
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const follow = options.follow === true;
  const batch: JournalRecord[] = [];
  if (follow) {
    if (journalGenerations(path, fs).length === 0) throw new JournalNotFoundError(path);
    return yield* followJournal(path, options, stats, fs, chunkSize, keep);
  }

  const accept = (value: JournalRecord) => {
    if (keep && !keep(value)) {
      stats.filtered++;
      return;
    }
    stats.records++;
    batch.push(value);
  };
  const splitter = new LineSplitter({
    line(text) {
      if (text.length === 0) return;
      const record = parseRecord(text, stats);
      if (record) {
        accept(record);
      } else if (text.trim() !== "") {
        stats.invalid++;
        stats.skipped++;
      }
    },
    nulRun() {
      stats.nulRuns++;
      stats.skipped++;
    },
  });
  /** The unterminated end of a file: a whole record whose newline was lost, or torn. */
  const finishFile = () => {
    const tail = splitter.end();
    if (tail.trim() === "") return;
    const record = parseRecord(tail, stats);
    if (record) {
      accept(record);
    } else {
      stats.torn++;
      stats.skipped++;
    }
  };
  const feed = (chunk: Uint8Array) => {
    stats.bytes += chunk.length;
    splitter.push(chunk);
  };

  // A cursor reads one file chunk by chunk. Before each read after the first it checks
  // that the file at its path still carries the identity it saw there (file_identity.ts);
  // when a rotation has renamed the file, the cursor follows it to its new name.
  const lengthPerRead = fs.readAt ? chunkSize : Infinity;
  const nextChunk = (cursor: Cursor): Uint8Array | undefined => {
    if (cursor.offset > 0 && cursor.head.length > 0) {
      if (!startsWith(plainHead(fs, cursor.path), cursor.head)) {
        // Rotated once or more since the last read: look for it among the older names.
        const moved = journalGenerations(path, fs).find((generation) =>
          generation.n > cursor.n && !generation.gzip &&
          startsWith(plainHead(fs, generation.path), cursor.head)
        );
        if (!moved) return undefined;
        cursor.n = moved.n;
        cursor.path = moved.path;
      }
    }
    const chunk = readRange(fs, cursor.path, cursor.offset, lengthPerRead);
    if (cursor.offset === 0) cursor.head = chunk.slice(0, FINGERPRINT_BYTES);
    cursor.offset += chunk.length;
    return chunk;
  };

  const generations = journalGenerations(path, fs);
  if (generations.length === 0) throw new JournalNotFoundError(path);
  for (const generation of generations) {
    stats.files.push(generation.path);
    if (generation.gzip) {
      try {
        for await (const chunk of gzipChunks(fs, generation.path, chunkSize)) {
          feed(chunk);
          yield* drain(batch);
        }
      } catch (error) {
        if (!(error instanceof DamagedGzipError)) throw error;
        splitter.end();
        stats.torn++;
        stats.skipped++;
        yield* drain(batch);
        continue;
      }
    } else {
      const cursor: Cursor = { n: generation.n, path: generation.path, offset: 0, head: EMPTY };
      let vanished = false;
      while (true) {
        const chunk = nextChunk(cursor);
        if (!chunk || chunk.length === 0) {
          vanished = !chunk || (cursor.offset === 0 && !fs.exists(cursor.path));
          break;
        }
        feed(chunk);
        yield* drain(batch);
      }
      // Background compression replaced the plain generation while we read it: finish
      // from its .gz twin, skipping the bytes already read.
      const twin = `${cursor.path}.gz`;
      if (vanished && generation.n > 0 && fs.exists(twin)) {
        let skip = cursor.offset;
        try {
          for await (const chunk of gzipChunks(fs, twin, chunkSize)) {
            if (skip >= chunk.length) {
              skip -= chunk.length;
              continue;
            }
            feed(skip > 0 ? chunk.subarray(skip) : chunk);
            skip = 0;
            yield* drain(batch);
          }
        } catch (error) {
          if (!(error instanceof DamagedGzipError)) throw error;
          stats.torn++;
          stats.skipped++;
        }
      }
    }
    finishFile();
    yield* drain(batch);
  }
  return stats;
}

/**
 * `follow` mode: the journal's one follower ({@linkcode tailLoop}, shared with the
 * collector), a pass every `pollMs`. Each pass finds the generations under both naming
 * schemes and matches each to its read position by content identity, so no rotation
 * between two polls, however many, hides a file.
 */
async function* followJournal(
  path: string,
  options: ReadJournalOptions,
  stats: ReadStats,
  fs: FsOps,
  chunkSize: number,
  keep: ((record: JournalRecord) => boolean) | undefined,
): AsyncGenerator<JournalRecord, ReadStats, undefined> {
  const signal = options.signal;
  const batches = tailLoop(path, [], {
    fs,
    chunkSize,
    pollMs: options.pollMs ?? 250,
    pauseAfterEveryPass: true,
    signal,
    onCaughtUp(rotated) {
      stats.rotationsFollowed += rotated;
      if (!stats.files.includes(path)) stats.files.push(path);
      options.onIdle?.();
    },
  });
  for await (const batch of batches) {
    stats.bytes += batch.bytes;
    stats.invalid += batch.invalid;
    stats.nulRuns += batch.nulRuns;
    stats.torn += batch.torn;
    stats.skipped += batch.skipped;
    stats.repaired += batch.repaired;
    if (!stats.files.includes(batch.path)) stats.files.push(batch.path);
    for (const record of batch.records) {
      if (keep && !keep(record)) {
        stats.filtered++;
        continue;
      }
      stats.records++;
      yield record;
    }
    if (signal?.aborted) break;
  }
  return stats;
}

const EMPTY = new Uint8Array(0);

/** Where a read is in one file, and the first bytes that identify the file. */
interface Cursor {
  n: number;
  path: string;
  offset: number;
  head: Uint8Array;
}

function* drain(batch: JournalRecord[]): Generator<JournalRecord> {
  if (batch.length === 0) return;
  const records = batch.splice(0);
  for (const record of records) yield record;
}
