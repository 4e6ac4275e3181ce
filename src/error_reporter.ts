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
 * failures is a handful of warnings, not one per record. An episode ends when a record
 * is appended again; the next failure is then news and is reported.
 */
export class ErrorReporter {
  #handler: ErrorHandler;
  #reported = new Set<string>();
  #suppressed = 0;

  constructor(handler: ErrorHandler) {
    this.#handler = handler;
  }

  report(error: JournalSinkError, record?: unknown): void {
    const key = `${error.operation}:${error.code}`;
    if (this.#reported.has(key)) {
      this.#suppressed++;
      return;
    }
    this.#reported.add(key);
    try {
      this.#handler(error, record);
    } catch {
      // A throwing handler must not reach the caller of emit.
    }
  }

  /** Called after a successful append: ends the episode. */
  recovered(): void {
    if (this.#reported.size === 0) return;
    const suppressed = this.#suppressed;
    this.#reported.clear();
    this.#suppressed = 0;
    if (suppressed > 0) {
      try {
        this.#handler(
          new JournalSinkError(
            "recover",
            "RECOVERED",
            `writing again after ${suppressed} further failure(s) that were not reported one by one`,
          ),
        );
      } catch {
        // Same as above.
      }
    }
  }
}
