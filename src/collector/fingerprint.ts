/**
 * Moved to `src/reader/file_identity.ts` (one file-identity rule for the reader and the
 * collector). This re-export keeps other branches compiling until their imports are
 * re-pointed at merge.
 *
 * @module
 */

export * from "../reader/file_identity.ts";
