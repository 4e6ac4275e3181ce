/**
 * A Bloom filter of the ids a viewer has seen: "certainly never seen" or "maybe seen" in a
 * fixed megabyte, however many turns a journal holds. The viewer answers an id the filter
 * never saw without reading the journal; a false "maybe" (about 1 in 100 at a million ids,
 * more past it) costs only the read every unknown id used to cost, never a wrong answer.
 *
 * @module
 */

const BITS_LOG2 = 23; // 8 Mbit = 1 MiB
const HASHES = 7;

/** FNV-1a over the UTF-16 code units, with a seed. */
function fnv(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The filter.
 *
 * @example
 * ```ts
 * import { IdFilter } from "./id_filter.ts";
 * const seen = new IdFilter();
 * seen.add("turn-1");
 * if (!seen.mayHave("turn-1")) throw new Error("no false negatives");
 * ```
 */
export class IdFilter {
  private readonly bits = new Uint32Array((1 << BITS_LOG2) / 32);

  /** Remembers `id`. */
  add(id: string): void {
    const a = fnv(id, 0);
    const b = fnv(id, 0x5bd1e995) | 1;
    const mask = (1 << BITS_LOG2) - 1;
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + Math.imul(i, b)) & mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  /** False when `id` was certainly never added. */
  mayHave(id: string): boolean {
    const a = fnv(id, 0);
    const b = fnv(id, 0x5bd1e995) | 1;
    const mask = (1 << BITS_LOG2) - 1;
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + Math.imul(i, b)) & mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
