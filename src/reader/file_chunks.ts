/**
 * Reading one journal file as a stream of byte chunks through `FsOps`, decompressing gzip
 * generations on the way, so no file is ever held whole.
 *
 * @module
 */

import { errorCode, type FsOps } from "../fs_ops.ts";

/** Default chunk size of the reader: large enough that `readAt` calls are rare. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/**
 * Reads `length` bytes of `path` at `offset`: through `readAt` when the `FsOps` has it,
 * else by slicing `readFile` (which does hold the file: `FsOps` written against the first
 * contract only). A file that disappeared (rotated away) reads as empty.
 */
export function readRange(fs: FsOps, path: string, offset: number, length: number): Uint8Array {
  try {
    if (fs.readAt) return fs.readAt(path, offset, length);
    return fs.readFile(path).subarray(offset, offset + length);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return new Uint8Array(0);
    throw error;
  }
}

/** Thrown through {@linkcode gzipChunks} when the compressed data is damaged or cut off. */
export class DamagedGzipError extends Error {
  /**
   * @param path The compressed file.
   * @param cause What the decompressor reported.
   */
  constructor(path: string, cause: unknown) {
    super(`damaged gzip data in ${path}`, { cause });
    this.name = "DamagedGzipError";
  }
}

/**
 * The decompressed bytes of a gzip file, streamed through `DecompressionStream`.
 * Rejects with {@linkcode DamagedGzipError} when the data is damaged or truncated, after
 * yielding everything that decompressed before the damage.
 *
 * @param fs The file system.
 * @param path The `.gz` file.
 * @param chunkSize Compressed bytes per read.
 */
export async function* gzipChunks(
  fs: FsOps,
  path: string,
  chunkSize: number,
): AsyncGenerator<Uint8Array> {
  let at = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = readRange(fs, path, at, chunkSize);
      if (chunk.length === 0) {
        controller.close();
        return;
      }
      at += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const reader = source
    .pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    )
    .getReader();
  let done = false;
  try {
    while (true) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        done = true;
        throw new DamagedGzipError(path, error);
      }
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
