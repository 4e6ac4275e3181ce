/**
 * Calls `write` until every byte of `bytes` from `start` is written, so a short write
 * (a signal, a nearly full disk) never leaves part of a line behind silently. A write
 * that makes no progress throws ENOSPC rather than spinning.
 *
 * @param bytes The encoded text.
 * @param start Bytes of `bytes` already written.
 * @param end Where the text ends in `bytes`.
 * @param write Writes from `offset` up to `end`, returns the bytes written.
 * @returns `end`, the total written.
 */
export function writeAll(
  bytes: Uint8Array,
  start: number,
  end: number,
  write: (bytes: Uint8Array, offset: number, end: number) => number,
): number {
  let offset = start;
  while (offset < end) {
    const written = write(bytes, offset, end);
    if (!(written > 0)) {
      throw Object.assign(new Error("ENOSPC: write made no progress"), { code: "ENOSPC" });
    }
    offset += written;
  }
  return end;
}
