/**
 * The error the reader throws when a journal has no file at all.
 *
 * @module
 */

/**
 * Thrown (as a rejection of the first `next()`) by {@linkcode readJournal} when neither the
 * live file nor any rotated generation exists. Carries `code: "ENOENT"` like a file-system
 * error, so code that checks codes and code that checks classes both work.
 *
 * @example Telling a missing journal from other failures
 * ```ts
 * import { JournalNotFoundError, readJournal } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * let caught: unknown;
 * try {
 *   for await (const _ of readJournal("missing.jsonl", { fs: createFakeFs() })) break;
 * } catch (error) {
 *   caught = error;
 * }
 * if (!(caught instanceof JournalNotFoundError) || caught.code !== "ENOENT") {
 *   throw new Error("expected JournalNotFoundError");
 * }
 * ```
 */
export class JournalNotFoundError extends Error {
  /** Always `"ENOENT"`. */
  readonly code = "ENOENT";
  /** The journal path that was asked for. */
  readonly path: string;

  /**
   * Creates the instance.
   *
   * @param path The live journal's path.
   */
  constructor(path: string) {
    super(`no journal at ${path} (neither the file nor any rotated generation ${path}.N exists)`);
    this.name = "JournalNotFoundError";
    this.path = path;
  }
}
