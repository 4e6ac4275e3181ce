/**
 * What a sink counts and reports, shared by its parts: the counters behind `stats`, and
 * failures turned into {@linkcode JournalSinkError}s for `onError`, collapsed per episode.
 *
 * @module
 */

import { errorCode } from "../fs_ops.ts";
import { type ErrorHandler, ErrorReporter } from "./error_reporter.ts";
import { JournalSinkError } from "./journal_sink_error.ts";

/** The counters and the report channel of one sink. */
export class SinkLedger {
  written = 0;
  dropped = 0;
  bytes = 0;
  rotations = 0;
  errors = 0;
  truncated = 0;
  private readonly reporter: ErrorReporter;
  private readonly path: string;

  constructor(path: string, onError: ErrorHandler) {
    this.path = path;
    this.reporter = new ErrorReporter(onError);
  }

  /**
   * Reports `message` about `operation` (with the journal's path), passing `record` on.
   * `key` groups reports other than by operation and code (see `ErrorReporter.report`).
   */
  report(
    operation: string,
    code: string,
    message: string,
    cause?: unknown,
    record?: unknown,
    key?: string,
  ): void {
    this.reporter.report(
      new JournalSinkError(operation, code, `${message} (${code}) [${this.path}]`, cause),
      record,
      key,
    );
  }

  /** A failed file-system operation: counted in `errors` and reported. */
  failed(operation: string, error: unknown, message: string): void {
    this.errors++;
    this.report(operation, errorCode(error), message, error);
  }

  /** `operation` works again: ends its failure episode. */
  recovered(operation: string): void {
    this.reporter.recovered(operation);
  }
}
