/**
 * A map that remembers about its most recent entries, in two generations: when the young
 * one is full it becomes the old one and the previous old one is dropped.
 *
 * The store used one `Map` trimmed with `map.delete(map.keys().next().value)`; with the
 * deletes a span's close makes, V8 keeps the deleted slots until it rehashes and
 * `keys().next()` walks over all of them (what that cost: bench/RESULTS.md, collector).
 *
 * @module
 */

/**
 * Up to `2 × half` entries, the most recently set ones kept.
 *
 * @example
 * ```ts
 * import { RecentMap } from "./recent_map.ts";
 * const map = new RecentMap<string, number>(2);
 * for (const [i, key] of ["a", "b", "c", "d", "e"].entries()) map.set(key, i);
 * if (map.get("a") !== undefined || map.get("e") !== 4 || map.get("c") !== 2) throw new Error("recent");
 * ```
 */
export class RecentMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  /** @param half Entries per generation. */
  constructor(half: number) {
    this.half = Math.max(1, half);
  }

  /** The value of `key`, if remembered. */
  get(key: K): V | undefined {
    const value = this.young.get(key);
    return value !== undefined ? value : this.old.get(key);
  }

  /** Remembers `key` as the most recent entry (an older copy in `old` is shadowed). */
  set(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  /** Forgets `key`. */
  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
