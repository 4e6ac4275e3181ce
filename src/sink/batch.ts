/**
 * Buffered mode's batch: lines gathered into one string, written in one append when it
 * is large enough or its timer fires (pino's sonic-boom does the same).
 *
 * @module
 */

import { backgroundTimeout } from "../runtime/runtime.ts";

/** Lines not written yet, and how many records they hold. */
export class Batch {
  text = "";
  count = 0;
  private readonly maxBytes: number;
  private readonly intervalMs: number;
  private readonly onTimer: () => void;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  /**
   * @param maxBytes Write once the batch holds this many characters.
   * @param intervalMs Write at the latest this long after the first line.
   * @param onTimer Writes the batch when its time is up.
   */
  constructor(maxBytes: number, intervalMs: number, onTimer: () => void) {
    this.maxBytes = maxBytes;
    this.intervalMs = intervalMs;
    this.onTimer = onTimer;
  }

  /** Adds a line; returns true when the batch is full and should be written now. */
  add(line: string): boolean {
    this.text += line;
    this.count++;
    if (this.text.length >= this.maxBytes) return true;
    if (this.timer === undefined) {
      this.timer = backgroundTimeout(() => {
        this.timer = undefined;
        this.onTimer();
      }, this.intervalMs);
    }
    return false;
  }

  /** Empties the batch (stopping its timer) and returns what it held. */
  take(): { text: string; count: number } {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const taken = { text: this.text, count: this.count };
    this.text = "";
    this.count = 0;
    return taken;
  }
}
