/**
 * A log-bucketed histogram of durations, for percentiles in bounded memory: a journal's
 * `/stats` cannot keep every duration it followed. Bins are `2^(1/16)` wide, so a percentile
 * read from one (the bin's geometric middle, kept within the exact minimum and maximum) is
 * within {@linkcode HISTOGRAM_ERROR} of the exact value, relatively.
 *
 * @module
 */

import { percentileRank } from "./stats_view.ts";

/** Bins per doubling. */
const BINS_PER_OCTAVE = 16;

/** The largest relative error of a percentile read from a histogram: `2^(1/32) − 1` (2.2 %). */
export const HISTOGRAM_ERROR: number = 2 ** (1 / (2 * BINS_PER_OCTAVE)) - 1;

/**
 * Durations counted in log-spaced bins, with their exact count, minimum and maximum.
 *
 * @example
 * ```ts
 * import { DurationHistogram, HISTOGRAM_ERROR } from "./duration_histogram.ts";
 * const h = new DurationHistogram();
 * for (let ms = 1; ms <= 100; ms++) h.add(ms);
 * const p95 = h.percentile(95);
 * if (Math.abs(p95 - 95) > 95 * HISTOGRAM_ERROR) throw new Error(`p95 ${p95}`);
 * ```
 */
export class DurationHistogram {
  /** Durations counted. */
  count = 0;
  /** The smallest duration counted, ms. */
  min = Infinity;
  /** The largest. */
  max = -Infinity;
  /** Durations of 0 ms or less (no logarithm). */
  private zero = 0;
  /** Bin index (`floor(16·log2(ms))`) to count. */
  private readonly bins = new Map<number, number>();

  /**
   * Counts one duration.
   *
   * @param ms A duration, ms.
   */
  add(ms: number): void {
    this.count++;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (!(ms > 0)) {
      this.zero++;
      return;
    }
    const bin = Math.floor(Math.log2(ms) * BINS_PER_OCTAVE);
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + 1);
  }

  /**
   * Adds another histogram's counts to this one.
   *
   * @param other The histogram to add.
   */
  merge(other: DurationHistogram): void {
    this.count += other.count;
    this.zero += other.zero;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    for (const [bin, n] of other.bins) this.bins.set(bin, (this.bins.get(bin) ?? 0) + n);
  }

  /** Bins in use (what it holds in memory). */
  get size(): number {
    return this.bins.size;
  }

  /**
   * The `p`th percentile by nearest rank, within {@linkcode HISTOGRAM_ERROR}; `0` when empty.
   *
   * @param p A whole number 1 to 100.
   * @returns The duration, ms.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = percentileRank(this.count, p);
    if (rank === 1) return this.min;
    if (rank === this.count) return this.max;
    let seen = this.zero;
    if (rank <= seen) return Math.max(this.min, 0);
    const order = [...this.bins.keys()].sort((a, b) => a - b);
    for (const bin of order) {
      seen += this.bins.get(bin)!;
      if (seen >= rank) {
        const middle = 2 ** ((bin + 0.5) / BINS_PER_OCTAVE);
        return Math.min(this.max, Math.max(this.min, middle));
      }
    }
    return this.max;
  }
}
