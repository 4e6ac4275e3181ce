/**
 * Moved to `src/reader/follow.ts` (one follower for the reader and the collector). This
 * re-export keeps other branches compiling until their imports are re-pointed at merge.
 *
 * @module
 */

export * from "../reader/follow.ts";
