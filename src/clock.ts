/**
 * A source of wall-clock time, injectable so tests can drive time-based behaviour.
 *
 * @example A clock a test moves by hand
 * ```ts
 * import type { Clock } from "@dispatch/journal-sink";
 * let now = 1_000;
 * const clock: Clock = { now: () => now };
 * now += 5_000;
 * if (clock.now() !== 6_000) throw new Error("clock did not move");
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/**
 * The real clock, backed by `Date.now`.
 *
 * @example Reading the time
 * ```ts
 * import { systemClock } from "./clock.ts";
 * if (systemClock.now() <= 0) throw new Error("clock before the epoch");
 * ```
 */
export const systemClock: Clock = Object.freeze({ now: Date.now });
