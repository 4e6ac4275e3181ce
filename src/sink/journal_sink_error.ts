/**
 * What the sink hands to `onError`: which file operation failed, its code, and whether a
 * record was dropped or durability was lost.
 *
 * @example Telling a full disk from other faults
 * ```ts
 * import { JournalSinkError } from "@dispatch/journal-sink";
 * const error = new JournalSinkError("append", "ENOSPC", "append failed: record dropped");
 * if (error.code !== "ENOSPC" || error.operation !== "append") throw new Error("wrong fields");
 * ```
 */
export class JournalSinkError extends Error {
  /** The failed operation: `open`, `append`, `fsync`, `rotate`, `syncDir`, `emit`… */
  readonly operation: string;
  /** POSIX-style code of the underlying failure, or a sink code such as `ECLOSED`. */
  readonly code: string;

  /**
   * Describe a failure of the sink.
   *
   * @param operation The failed operation.
   * @param code The failure's code.
   * @param message What happened and what it cost.
   * @param cause The underlying error, if any.
   */
  constructor(operation: string, code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "JournalSinkError";
    this.operation = operation;
    this.code = code;
  }
}
