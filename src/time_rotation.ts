/**
 * Time-based rotation decisions, free of I/O: the boundaries at which a journal starts a
 * new file, computed from a clock reading so the hot path compares one number.
 *
 * @module
 */

/**
 * How often to start a new file: a period in milliseconds, `"hourly"` (on the hour, UTC)
 * or `"daily"` (at midnight UTC).
 *
 * Boundaries are multiples of the period since the Unix epoch, so `every: 15 * 60_000`
 * rotates at :00, :15, :30 and :45 whenever the process started, and a restarted process
 * keeps the same schedule.
 *
 * @example
 * ```ts
 * import type { RotateEvery } from "@dispatch/journal-sink";
 * const every: RotateEvery = "daily";
 * if (every !== "daily") throw new Error("unreachable");
 * ```
 */
export type RotateEvery = number | "hourly" | "daily";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The period of `every` in milliseconds.
 *
 * @param every A period in milliseconds, `"hourly"` or `"daily"`.
 * @returns The period, or `NaN` when `every` is not a positive number or a named period.
 *
 * @example
 * ```ts
 * import { rotationPeriodMs } from "./time_rotation.ts";
 * if (rotationPeriodMs("hourly") !== 3_600_000) throw new Error("wrong hour");
 * if (!Number.isNaN(rotationPeriodMs(0))) throw new Error("0 is no period");
 * ```
 */
export function rotationPeriodMs(every: RotateEvery): number {
  if (every === "hourly") return HOUR_MS;
  if (every === "daily") return DAY_MS;
  return typeof every === "number" && every > 0 && Number.isFinite(every) ? every : NaN;
}

/**
 * The first rotation boundary strictly after `time`: the next multiple of the period since
 * the Unix epoch (midnight UTC for `"daily"`, the next full hour for `"hourly"`).
 *
 * A sink compares the clock against this precomputed number instead of working with dates
 * on every record. Given the modification time of an existing journal, it says whether a
 * restarted process must rotate before its first write (the boundary already passed).
 *
 * @param time Milliseconds since the Unix epoch.
 * @param every The period.
 * @returns The next boundary, in milliseconds since the Unix epoch.
 *
 * @example Next midnight UTC
 * ```ts
 * import { nextRotationTime } from "./time_rotation.ts";
 * const at = nextRotationTime(Date.UTC(2025, 0, 1, 23, 59), "daily");
 * if (at !== Date.UTC(2025, 0, 2)) throw new Error("not midnight");
 * ```
 */
export function nextRotationTime(time: number, every: RotateEvery): number {
  const period = rotationPeriodMs(every);
  return (Math.floor(time / period) + 1) * period;
}
