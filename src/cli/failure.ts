/**
 * Failures a command reports with exit code 1: a missing journal or store, an unreadable
 * file, a refused endpoint. The runner prints the message on stderr.
 *
 * @module
 */

import { errorCode } from "../fs_ops.ts";
import { JournalNotFoundError } from "../reader/journal_not_found_error.ts";

/** A failure whose message is already what the user should read. */
export class CommandFailure extends Error {
  /**
   * Creates the instance.
   *
   * @param message What went wrong, naming the file or endpoint.
   */
  constructor(message: string) {
    super(message);
    this.name = "CommandFailure";
  }
}

/**
 * What went wrong reading `path`, as one line: the missing journal said plainly, other
 * errors with their code; a failure the command already worded, as it is.
 *
 * @param path The journal.
 * @param error What was thrown.
 * @returns The failure to throw.
 */
export function readFailure(path: string, error: unknown): CommandFailure {
  if (error instanceof CommandFailure) return error;
  if (error instanceof JournalNotFoundError) return new CommandFailure(error.message);
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return new CommandFailure(
    `cannot read ${path}: ${
      code === "UNKNOWN" || message.startsWith(code) ? "" : `${code}: `
    }${message}`,
  );
}
