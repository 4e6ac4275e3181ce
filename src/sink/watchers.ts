/**
 * The sink's timers that watch the outside world: the time-rotation boundary, and
 * external rotation (another program moving or truncating the file). Both run in the
 * background (unref'd) and never on `emit`'s path beyond one clock comparison.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { backgroundTimeout } from "../runtime/runtime.ts";
import { nextRotationTime, type RotateEvery } from "../time_rotation.ts";

/** After a failed rotation, try again this much later. */
export const ROTATION_RETRY_MS = 1000;
/** The longest delay timers accept (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Time rotation: the next boundary, and a timer that rotates at it even without records. */
export class TimeRotation {
  private readonly every: RotateEvery;
  private readonly clock: Clock;
  private readonly onBoundary: (now: number) => void;
  private rotateAt = Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private stopped = false;

  /**
   * @param every The period.
   * @param clock The sink's clock.
   * @param onBoundary Rotates; called by the timer when the boundary has passed.
   */
  constructor(every: RotateEvery, clock: Clock, onBoundary: (now: number) => void) {
    this.every = every;
    this.clock = clock;
    this.onBoundary = onBoundary;
  }

  /**
   * Sets the first boundary from `from` (now, or the existing journal's last write, so a
   * restarted process rotates a file left over from an earlier period) and starts the timer.
   */
  start(from: number): void {
    this.rotateAt = nextRotationTime(from, this.every);
    this.arm();
  }

  /** Whether the boundary has passed at `now`. */
  due(now: number): boolean {
    return now >= this.rotateAt;
  }

  /** The period that started at `now` ends at the next boundary. */
  advance(now: number): void {
    this.rotateAt = nextRotationTime(now, this.every);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    // Past due means the last rotation failed: retry at the rotation retry pace.
    const wait = now >= this.rotateAt ? ROTATION_RETRY_MS : this.rotateAt - now;
    this.timer = backgroundTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      const at = this.clock.now();
      if (at >= this.rotateAt) this.onBoundary(at);
      this.arm();
    }, Math.min(wait, MAX_TIMER_MS));
  }
}

/** Runs `check` every `intervalMs` on a background timer until stopped. */
export class ExternalRotationWatch {
  private readonly intervalMs: number;
  private readonly check: () => void;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private stopped = false;

  constructor(intervalMs: number, check: () => void) {
    this.intervalMs = intervalMs;
    this.check = check;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = backgroundTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.check();
      this.arm();
    }, Math.min(this.intervalMs, MAX_TIMER_MS));
  }
}
