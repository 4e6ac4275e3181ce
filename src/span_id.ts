/**
 * Span ids: 64 random bits from the platform's CSPRNG, as 16 lowercase hex characters.
 *
 * @module
 */

const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/** Random bytes drawn ahead in one `getRandomValues` call, 8 per id (64 ids a refill). */
const POOL = new Uint8Array(512);
let offset = POOL.length;

/**
 * A new span id: 8 bytes from `crypto.getRandomValues` as 16 hex characters, so ids made by
 * different processes (or machines) writing to the same journal do not collide in practice.
 * Bytes are drawn 512 at a time, which keeps the per-span cost far below one syscall.
 *
 * @returns 16 lowercase hex characters.
 *
 * @example Ids are 16 hex characters and differ
 * ```ts ignore
 * import { newSpanId } from "./span_id.ts";
 * const a = newSpanId();
 * if (!/^[0-9a-f]{16}$/.test(a) || a === newSpanId()) throw new Error("bad id");
 * ```
 */
export function newSpanId(): string {
  if (offset === POOL.length) {
    crypto.getRandomValues(POOL);
    offset = 0;
  }
  const o = offset;
  offset = o + 8;
  const b = POOL;
  return HEX[b[o]] + HEX[b[o + 1]] + HEX[b[o + 2]] + HEX[b[o + 3]] + HEX[b[o + 4]] +
    HEX[b[o + 5]] + HEX[b[o + 6]] + HEX[b[o + 7]];
}
