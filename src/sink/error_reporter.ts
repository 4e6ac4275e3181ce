import { JournalSinkError } from "./journal_sink_error.ts";

/** Receives the sink's failures. */
export type ErrorHandler = (error: unknown, record?: unknown) => void;

/**
 * The default handler: one `console.warn` line with the `[journal-sink]` prefix, ending in
 * the underlying error's message (Deno's "run again with the --allow-write flag"), which
 * otherwise only `error.cause` holds.
 */
export function warnOnConsole(error: unknown): void {
  console.warn(`[journal-sink] ${describeError(error)}`);
}

/**
 * The report of a writer the host holds (the logger, the OpenTelemetry span processor, the
 * pino destination): the host's `onError`, or else one `console.warn` line for the first
 * failure only. It never throws: a failing handler must not reach the caller.
 *
 * @param onError The host's handler, if it gave one.
 * @param label Who lost the record, after the `[journal-sink]` prefix.
 * @returns The report.
 */
export function firstFailureWarning(
  onError: ErrorHandler | undefined,
  label: string,
): ErrorHandler {
  let warned = false;
  return (error, record) => {
    try {
      if (onError !== undefined) onError(error, record);
      else if (!warned) {
        warned = true;
        const message = error instanceof Error ? error.message : String(error);
        console.warn(`[journal-sink] ${label}: ${message}`);
      }
    } catch {
      // Nothing reaches the caller.
    }
  };
}

/**
 * An error's message followed by its cause's, once: `message: cause message`.
 *
 * @param error What the sink reports (normally a `JournalSinkError`).
 * @returns One line.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause === undefined) return error.message;
  const code = (error as { code?: unknown }).code;
  const said = causeMessage(cause, typeof code === "string" ? code : "");
  return said === "" || error.message.includes(said) ? error.message : `${error.message}: ${said}`;
}

/**
 * The message of an underlying error without the code its report already shows: Node's
 * "EISDIR: illegal operation on a directory, open 'x'" becomes "illegal operation on a
 * directory, open 'x'" when the report says `(EISDIR)`.
 *
 * @param cause The underlying error.
 * @param code The code the report shows.
 * @returns Its message, or `""` when it has none.
 */
export function causeMessage(cause: unknown, code: string): string {
  const message = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "";
  if (code !== "" && message.startsWith(`${code}: `)) return message.slice(code.length + 2);
  return message;
}

/**
 * Reports each kind of failure (operation and code) once per episode, so a burst of
 * failures is a handful of warnings, not one per record. An operation's episode ends when
 * that operation succeeds again; its next failure is then news and is reported, and a
 * note says how many failures were counted but not reported in between.
 */
export class ErrorReporter {
  private handler: ErrorHandler;
  /** Suppressed repeats, by `operation:code`, for the failures reported this episode. */
  private open = new Map<string, number>();

  constructor(handler: ErrorHandler) {
    this.handler = handler;
  }

  /**
   * Reports `error` unless its kind (by default its operation and code) is in an open
   * episode. A `key` of its own (`emit:EINVAL:log.msg`) makes a kind that no success ends:
   * reported once for the sink's life.
   */
  report(error: JournalSinkError, record?: unknown, key?: string): void {
    key ??= `${error.operation}:${error.code}`;
    const repeats = this.open.get(key);
    if (repeats !== undefined) {
      this.open.set(key, repeats + 1);
      return;
    }
    this.open.set(key, 0);
    this.call(error, record);
  }

  /** `operation` succeeded: end its episode. Cheap when nothing failed. */
  recovered(operation: string): void {
    if (this.open.size === 0) return;
    let suppressed = 0;
    for (const [key, repeats] of this.open) {
      if (key.startsWith(operation) && key[operation.length] === ":") {
        suppressed += repeats;
        this.open.delete(key);
      }
    }
    if (suppressed > 0) {
      this.call(
        new JournalSinkError(
          operation,
          "RECOVERED",
          `${operation} works again after ${suppressed} further failure(s) that were counted, not reported`,
        ),
      );
    }
  }

  private call(error: unknown, record?: unknown): void {
    try {
      this.handler(error, record);
    } catch {
      // A throwing handler must not reach the caller of emit.
    }
  }
}
