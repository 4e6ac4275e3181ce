/**
 * Retention decisions, free of I/O: which rotated generations to remove by count and age.
 *
 * @module
 */

/**
 * A rotated generation as retention sees it.
 *
 * @example
 * ```ts
 * import type { GenerationAge } from "./retention.ts";
 * const generation: GenerationAge = { n: 1, mtimeMs: 1_700_000_000_000 };
 * if (generation.n !== 1) throw new Error("unreachable");
 * ```
 */
export interface GenerationAge {
  /** The generation number: 1 is the newest rotated file. */
  n: number;
  /** When it was last written (for a compressed generation: when it was compressed). */
  mtimeMs: number;
}

/**
 * What to keep: at most `maxFiles` rotated generations, none older than `maxAgeMs`.
 *
 * @example
 * ```ts
 * import type { RetentionPolicy } from "./retention.ts";
 * const keep: RetentionPolicy = { maxFiles: 7, maxAgeMs: 7 * 24 * 3_600_000 };
 * if (keep.maxFiles !== 7) throw new Error("unreachable");
 * ```
 */
export interface RetentionPolicy {
  /** Rotated generations kept at most. */
  maxFiles: number;
  /** A generation last written longer ago than this is removed; unset keeps any age. */
  maxAgeMs?: number;
}

/**
 * The generation numbers to remove: every generation numbered above `maxFiles`, and the
 * first generation (counting from the newest) last written at or before `now - maxAgeMs`
 * together with every older one. Generations are shifted up as they age, so removing from
 * the expired one upwards always removes the oldest and never leaves a newer file without
 * its predecessors.
 *
 * @param generations The rotated generations present (any order).
 * @param policy The count and age limits.
 * @param now The current time, in milliseconds since the Unix epoch.
 * @returns The numbers to remove, ascending.
 *
 * @example Count and age together
 * ```ts
 * import { generationsToRemove } from "./retention.ts";
 * const day = 86_400_000;
 * const now = 10 * day;
 * const present = [1, 2, 3, 4].map((n) => ({ n, mtimeMs: now - n * day }));
 * const gone = generationsToRemove(present, { maxFiles: 3, maxAgeMs: 2 * day }, now);
 * if (gone.join() !== "2,3,4") throw new Error(gone.join());
 * ```
 */
export function generationsToRemove(
  generations: readonly GenerationAge[],
  policy: RetentionPolicy,
  now: number,
): number[] {
  const sorted = [...generations].sort((a, b) => a.n - b.n);
  let from = policy.maxFiles + 1;
  if (policy.maxAgeMs !== undefined) {
    const cutoff = now - policy.maxAgeMs;
    const expired = sorted.find((generation) => generation.mtimeMs <= cutoff);
    if (expired && expired.n < from) from = expired.n;
  }
  const numbers = sorted.filter((generation) => generation.n >= from).map((g) => g.n);
  return [...new Set(numbers)];
}
