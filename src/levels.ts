/**
 * Level order, in one place: the logger's threshold, the reader's `minLevel` filter and
 * the CLI's `--level` all rank levels through here.
 *
 * @module
 */

import { type Level, LEVELS } from "./records.ts";

const RANKS: ReadonlyMap<unknown, number> = new Map(LEVELS.map((level, rank) => [level, rank]));

/**
 * The rank of `level` (`debug` 0 … `error` 3), or `undefined` for anything else.
 *
 * @param level A level, or anything read from outside.
 * @returns Its rank.
 *
 * @example
 * ```ts
 * import { levelRank } from "./levels.ts";
 * if (levelRank("warn") !== 2 || levelRank("loud") !== undefined) throw new Error("rank");
 * ```
 */
export function levelRank(level: unknown): number | undefined {
  return RANKS.get(level);
}

/**
 * The level of rank `rank`.
 *
 * @param rank 0 to 3.
 * @returns The level.
 */
export function levelOfRank(rank: number): Level {
  return LEVELS[rank];
}

/**
 * The rank of `level`, or a TypeError naming `what` and the valid levels.
 *
 * @param level The value to check.
 * @param what The option's name, for the message.
 * @returns Its rank.
 */
export function requireLevel(level: unknown, what: string): number {
  const rank = levelRank(level);
  if (rank === undefined) {
    throw new TypeError(`${what} must be one of ${LEVELS.join(", ")}; got ${String(level)}`);
  }
  return rank;
}
