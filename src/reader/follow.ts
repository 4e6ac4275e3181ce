/**
 * The one follower of a journal, used by `readJournal({ follow })` and the collector.
 * Tailing by content identity: every generation (plain or gzip) is matched to
 * its known {@linkcode FilePosition} by fingerprint and read on from there, in batches the
 * caller commits together with the updated positions.
 *
 * @module
 */

import { completeFs } from "../complete_fs.ts";
import type { FsOps } from "../fs_ops.ts";
import { type Generation, journalGenerations } from "../generations.ts";
import { DamagedGzipError, gzipChunks, readRange } from "./file_chunks.ts";
import { type JournalRecord, parseRecord } from "./journal_record.ts";
import { LineSplitter } from "./line_splitter.ts";
import {
  type FilePosition,
  FINGERPRINT_BYTES,
  matchPosition,
  plainHead,
  readHead,
  startsWith,
} from "./file_identity.ts";

/**
 * One step of a tail: the records read from one stretch of one file and every position
 * as it stands after them. Commit both at once, then ask for the next batch.
 */
export interface TailBatch {
  /** The records, in journal order. */
  records: JournalRecord[];
  /** Every known file's position after this batch (forgotten files are left out). */
  positions: FilePosition[];
  /** Lines skipped as damage: `invalid + nulRuns + torn`. */
  skipped: number;
  /** Lines that are not a record. */
  invalid: number;
  /** Runs of NUL bytes. */
  nulRuns: number;
  /** Damaged gzip tails. */
  torn: number;
  /** Records kept without an optional field of the wrong type (see `parseRecord`). */
  repaired: number;
  /** Bytes of (decompressed) data consumed by this batch. */
  bytes: number;
  /** The file the records came from. */
  path: string;
}

/** How {@linkcode tailPass} reads. */
export interface TailOptions {
  /** The file system. */
  fs: FsOps;
  /** Bytes per read. */
  chunkSize: number;
  /** Wall clock: when a file was last seen (kept with its position). */
  now: () => number;
  /**
   * A file not among `positions` may be one read under another name (its journal was
   * moved or renamed): the position recorded elsewhere whose identity the file carries.
   * It is taken over only when no file with that identity is left at its recorded path
   * (then the file moved; otherwise it is a copy, or another journal that starts alike,
   * and is read from its start).
   */
  movedFrom?: (head: Uint8Array) => FilePosition | undefined;
}

/** Whether the file a position was recorded at still starts with its identity. */
async function stillAt(fs: FsOps, position: FilePosition): Promise<boolean> {
  const head = await readHead(fs, {
    path: position.path,
    n: 0,
    gzip: position.path.endsWith(".gz"),
  });
  return startsWith(head, position.head);
}

interface Parsed {
  records: JournalRecord[];
  invalid: number;
  nulRuns: number;
  repaired: number;
}

/** Parses the complete lines of `bytes` (which ends with a newline). */
function parseLines(bytes: Uint8Array): Parsed {
  const parsed: Parsed = { records: [], invalid: 0, nulRuns: 0, repaired: 0 };
  const take = (text: string) => {
    if (text.trim() === "") return;
    const record = parseRecord(text, parsed);
    if (record) parsed.records.push(record);
    else parsed.invalid++;
  };
  const splitter = new LineSplitter({
    line: take,
    nulRun() {
      parsed.nulRuns++;
    },
  });
  splitter.push(bytes);
  take(splitter.end());
  return parsed;
}

/** The batch of `parsed`, which consumed `bytes` bytes of `path`. */
function batchOf(
  parsed: Parsed,
  bytes: number,
  path: string,
  positions: FilePosition[],
  torn = 0,
): TailBatch {
  const { records, invalid, nulRuns, repaired } = parsed;
  const skipped = invalid + nulRuns + torn;
  return { records, skipped, invalid, nulRuns, torn, repaired, bytes, positions, path };
}

function join(pieces: Uint8Array[], size: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** A generation and its identity, as {@linkcode journalFiles} found them. */
interface JournalFile {
  generation: Generation;
  head: Uint8Array;
}

/** Tries at one view of the generations before a pass gives up (the writer rotates non-stop). */
const VIEW_TRIES = 5;

/**
 * The journal's non-empty generations, oldest first, each with its identity, as of one
 * moment: the live file still has the identity it had before the others were looked at,
 * so no rotation shifted them in between (each rotation replaces the live file), and no
 * file listed went away before its identity was read. `undefined` when every try met a
 * rotation. Without this, a pass that listed `app.jsonl` and then met
 * a rotation would read the new live file before the end of the old one (now
 * `app.jsonl.1`): a span's close before its open.
 */
async function journalFiles(path: string, fs: FsOps): Promise<JournalFile[] | undefined> {
  const complete = completeFs(fs);
  for (let tries = 0; tries < VIEW_TRIES; tries++) {
    const before = plainHead(fs, path);
    const files: JournalFile[] = [];
    let live: Uint8Array = new Uint8Array(0);
    let gone = false;
    for (const generation of journalGenerations(path, fs)) {
      const head = await readHead(fs, generation);
      if (generation.n === 0) live = head;
      if (head.length > 0) files.push({ generation, head });
      // Gone since it was listed: compressed (`app.jsonl.1` became `app.jsonl.1.gz`), or
      // shifted by a rotation. Leaving it out would read the files after it before its end.
      else if (generation.n > 0 && !complete.exists(generation.path)) gone = true;
    }
    const unmoved = before.length === 0 ? live.length === 0 : startsWith(live, before);
    if (unmoved && !gone) return files;
  }
  return undefined;
}

/** Forget a position whose file has been missing from the journal for this long (one day). */
const FORGET_MISSING_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Drops the positions of files that left the journal (retention removed them). A position
 * is a promise that its bytes were read: it is kept for as long as its file is there, however
 * long the reader was away. A file can be briefly out of a view (a gzip generation still being
 * written has no head yet), so only a position missing for a day is forgotten.
 */
function forgetGone(positions: FilePosition[], files: readonly JournalFile[], now: number): void {
  for (let i = positions.length - 1; i >= 0; i--) {
    const position = positions[i];
    if (files.some((file) => startsWith(file.head, position.head))) position.seenMs = now;
    else if (now - position.seenMs > FORGET_MISSING_AFTER_MS) positions.splice(i, 1);
  }
}

let keys = 0;
function newKey(now: number): string {
  keys++;
  return `${now.toString(36)}-${keys.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * One pass over the journal at `path`: for every generation, oldest first, the records
 * after its known position. `positions` is updated in place as batches are yielded.
 *
 * - A file is matched to its position by the first bytes of its data, so a rename
 *   (rotation, logrotate) or a gzip compression keeps its place; a file moved from another
 *   journal's path keeps it too when `movedFrom` knows it; an unknown file is read from its
 *   start.
 * - Only whole lines are consumed. The live file's unterminated tail is left for the next
 *   pass (the writer may be mid-line); a rotated file's is consumed when it is a whole
 *   record whose newline was lost, and left (not counted) when torn.
 * - The generations and their identities are taken at one moment between two rotations,
 *   and a file is read only while its path still holds it: a rotation while the pass runs
 *   ends the pass, and the next one finds each file under its new name. So no byte is read
 *   twice, and no file is read before the end of the one it follows.
 * - copytruncate: the copy carries the old identity and is read on from the position;
 *   the truncated live file starts a new identity. Lines appended between logrotate's copy
 *   and its truncate are lost: that race is copytruncate's own.
 *
 * @param path The live journal's path.
 * @param positions Known positions; updated in place.
 * @param options How to read.
 * @returns The batches, each to be committed before the next is requested.
 */
export async function* tailPass(
  path: string,
  positions: FilePosition[],
  options: TailOptions,
): AsyncGenerator<TailBatch> {
  const { fs, chunkSize } = options;
  const now = options.now();
  const snapshot = () => positions.map((position) => ({ ...position }));
  const files = await journalFiles(path, fs);
  // No view without a rotation in the middle: look again at the next pass.
  if (files === undefined) return;
  forgetGone(positions, files, now);
  for (const { generation, head } of files) {
    // Is `generation.path` still this file? Asked after reading it: files leave a path for
    // good (rotation renames them upwards), so a yes vouches for every read before it.
    const stillHere = async () => startsWith(await readHead(fs, generation), head);
    let position = matchPosition(positions, head);
    if (!position && options.movedFrom) {
      const moved = options.movedFrom(head);
      if (moved && (moved.path === generation.path || !(await stillAt(fs, moved)))) {
        position = { ...moved };
        positions.push(position);
      }
    }
    if (!position) {
      position = {
        key: newKey(now),
        head,
        offset: 0,
        complete: false,
        path: generation.path,
        seenMs: now,
      };
      positions.push(position);
    }
    if (head.length > position.head.length) position.head = head;
    position.path = generation.path;
    position.seenMs = now;
    if (position.complete) continue;
    const current = position;
    if (generation.gzip) {
      // Its compressed first bytes, vouched for by its identity just after: comparing them
      // tells whether it is still here at a fraction of the cost of decompressing its start.
      const packed = readRange(fs, generation.path, 0, FINGERPRINT_BYTES).slice();
      if (!(await stillHere())) return;
      const unmoved = () => startsWith(readRange(fs, generation.path, 0, packed.length), packed);
      // Immutable once it exists: read it whole, from the position on.
      let skip = current.offset;
      let pieces: Uint8Array[] = [];
      let size = 0;
      let damaged = false;
      try {
        for await (let chunk of gzipChunks(fs, generation.path, chunkSize)) {
          if (skip > 0) {
            const cut = Math.min(skip, chunk.length);
            skip -= cut;
            chunk = chunk.subarray(cut);
            if (chunk.length === 0) continue;
          }
          // Gather about a chunk per batch: decompressed pieces are small.
          pieces.push(chunk.slice());
          size += chunk.length;
          if (size < chunkSize) continue;
          // A runtime may hand over much more than a chunk at once: batch it chunk by chunk.
          const bytes = join(pieces, size);
          // Renamed while being read (a rotation shifted it): the rest of the pass's view
          // is stale too.
          if (!unmoved()) return;
          let start = 0;
          while (bytes.length - start >= chunkSize) {
            let end = bytes.lastIndexOf(0x0a, start + chunkSize - 1);
            if (end < start) end = bytes.indexOf(0x0a, start + chunkSize);
            if (end < 0) break;
            const parsed = parseLines(bytes.subarray(start, end + 1));
            current.offset += end + 1 - start;
            yield batchOf(parsed, end + 1 - start, generation.path, snapshot());
            start = end + 1;
          }
          pieces = [bytes.subarray(start)];
          size = pieces[0].length;
        }
      } catch (error) {
        if (!(error instanceof DamagedGzipError)) throw error;
        damaged = true;
      }
      // A file renamed away reads as cut off: that is no damage, and not the end of it.
      if (!unmoved()) return;
      const carry = join(pieces, size);
      const parsed = parseLines(carry);
      current.offset += carry.length;
      current.complete = true;
      yield batchOf(parsed, carry.length, generation.path, snapshot(), damaged ? 1 : 0);
      continue;
    }
    const size = fs.size(generation.path);
    if (size < current.offset && size > 0) {
      // The size of another file, when a rotation put one here since `files` was taken.
      if (!(await stillHere())) return;
      // Shrunk below the position with its identity intact: truncated and rewritten with
      // the same first bytes. Read it again from the start.
      current.offset = 0;
    }
    let want = chunkSize;
    while (true) {
      const bytes = readRange(fs, generation.path, current.offset, want);
      // Still the same file? A rotation may have renamed it while we read: then the newer
      // files of `files` moved too, and one read now could come before the end of this one.
      if (!startsWith(readRange(fs, generation.path, 0, head.length), head)) return;
      if (bytes.length === 0) break;
      const last = bytes.lastIndexOf(0x0a);
      if (last < 0) {
        if (bytes.length === want) {
          want *= 2; // a line longer than a chunk
          continue;
        }
        if (generation.n > 0) {
          // The end of a rotated file without a newline: a whole record is taken, a torn
          // one is left (the writer of an externally rotated file may still append).
          const parsed = parseLines(bytes);
          if (parsed.records.length === 1 && parsed.invalid === 0) {
            current.offset += bytes.length;
            yield batchOf(parsed, bytes.length, generation.path, snapshot());
          }
        }
        break;
      }
      want = chunkSize;
      const parsed = parseLines(bytes.subarray(0, last + 1));
      current.offset += last + 1;
      yield batchOf(parsed, last + 1, generation.path, snapshot());
    }
  }
}
