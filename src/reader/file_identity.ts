/**
 * Identifying a journal file by its content rather than its name or inode: the first
 * bytes of its (decompressed) data. The identity survives a rotation's rename and gzip
 * compression, which is how a read position follows a generation from `app.jsonl` to
 * `app.jsonl.1` to `app.jsonl.1.gz`. The OpenTelemetry filelog receiver does the same.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import type { Generation } from "../generations.ts";
import { gzipChunks, readRange } from "./file_chunks.ts";

/** Bytes of a file's start that identify it (the filelog receiver's default, 1 KiB). */
export const FINGERPRINT_BYTES = 1024;

/**
 * Where a reader is in one file of a journal.
 *
 * @example
 * ```ts
 * import type { FilePosition } from "@dispatch/journal-sink/collector";
 * const position: FilePosition = {
 *   key: "k1", head: new Uint8Array([123]), offset: 1, complete: false, path: "a.jsonl", seenMs: 0,
 * };
 * if (position.offset !== 1) throw new Error("unreachable");
 * ```
 */
export interface FilePosition {
  /** Stable key of this file's row, independent of its name. */
  key: string;
  /** The file's first bytes, up to {@linkcode FINGERPRINT_BYTES}: its identity. */
  head: Uint8Array;
  /** Bytes of (decompressed) data consumed: always just after a newline or a whole record. */
  offset: number;
  /** Read to its end and immutable (a `.gz` generation): nothing more to look at. */
  complete: boolean;
  /** Where the file was last seen (informational). */
  path: string;
  /** When the file was last seen, for forgetting files that are gone. */
  seenMs: number;
}

/**
 * The identity of the plain file at `path`: its first bytes, up to
 * {@linkcode FINGERPRINT_BYTES} (empty for a missing or empty file).
 *
 * @param fs The file system.
 * @param path The file.
 * @returns A copy of the bytes.
 */
export function plainHead(fs: FsOps, path: string): Uint8Array {
  return readRange(fs, path, 0, FINGERPRINT_BYTES).slice();
}

/**
 * The first bytes of a generation's data, decompressed for a `.gz` one.
 *
 * @param fs The file system.
 * @param generation The file.
 * @returns Up to {@linkcode FINGERPRINT_BYTES} bytes (fewer for a short file).
 */
export async function readHead(fs: FsOps, generation: Generation): Promise<Uint8Array> {
  if (!generation.gzip) return plainHead(fs, generation.path);
  const head = new Uint8Array(FINGERPRINT_BYTES);
  let filled = 0;
  try {
    for await (const chunk of gzipChunks(fs, generation.path, 16 * 1024)) {
      const take = Math.min(chunk.length, FINGERPRINT_BYTES - filled);
      head.set(chunk.subarray(0, take), filled);
      filled += take;
      if (filled === FINGERPRINT_BYTES) break;
    }
  } catch {
    // A damaged gzip file: identify it by what did decompress.
  }
  return head.slice(0, filled);
}

/**
 * Whether `head` starts with `prefix`: a position recorded while the file was short still
 * matches once the file has grown.
 */
export function startsWith(head: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length === 0 || prefix.length > head.length) return false;
  for (let i = 0; i < prefix.length; i++) if (head[i] !== prefix[i]) return false;
  return true;
}

/**
 * The known position whose identity the file with `head` carries: the longest match, or
 * `undefined` for a file never seen.
 */
export function matchPosition(
  positions: readonly FilePosition[],
  head: Uint8Array,
): FilePosition | undefined {
  let best: FilePosition | undefined;
  for (const position of positions) {
    if (startsWith(head, position.head) && (!best || position.head.length > best.head.length)) {
      best = position;
    }
  }
  return best;
}

/** Bytes as lowercase hex, for storing a head in a text column or JSON. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** The bytes a {@linkcode toHex} string stands for. */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
