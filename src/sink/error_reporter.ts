import { JournalSinkError } from "./journal_sink_error.ts";

/** Receives the sink's failures. */
export type ErrorHandler = (error: unknown, record?: unknown) => void;

/** The default handler: one `console.warn` line with the `[journal-sink]` prefix. */
export function warnOnConsole(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.warn(`[journal-sink] ${message}`);
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

  report(error: JournalSinkError, record?: unknown): void {
    const key = `${error.operation}:${error.code}`;
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
