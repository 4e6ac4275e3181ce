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

/**
 * Calls `tick` after `delay()` ms, then again and again, on a background timer, until
 * stopped. A timer that already fired when `stop` was called does nothing.
 */
class BackgroundLoop {
  private readonly delay: () => number;
  private readonly tick: () => void;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private stopped = false;

  constructor(delay: () => number, tick: () => void) {
    this.delay = delay;
    this.tick = tick;
  }

  /** Arms the first timer (nothing once stopped). */
  start(): void {
    if (this.stopped) return;
    this.timer = backgroundTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.tick();
      this.start();
    }, Math.min(this.delay(), MAX_TIMER_MS));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Time rotation: the next boundary, and a timer that rotates at it even without records. */
export class TimeRotation {
  private readonly every: RotateEvery;
  private readonly clock: Clock;
  private readonly onBoundary: (now: number) => void;
  private readonly loop: BackgroundLoop;
  private rotateAt = Infinity;

  /**
   * @param every The period.
   * @param clock The sink's clock.
   * @param onBoundary Rotates; called by the timer when the boundary has passed.
   */
  constructor(every: RotateEvery, clock: Clock, onBoundary: (now: number) => void) {
    this.every = every;
    this.clock = clock;
    this.onBoundary = onBoundary;
    this.loop = new BackgroundLoop(() => this.wait(), () => {
      const at = this.clock.now();
      if (at >= this.rotateAt) this.onBoundary(at);
    });
  }

  /**
   * Sets the first boundary from `from` (now, or the existing journal's last write, so a
   * restarted process rotates a file left over from an earlier period) and starts the timer.
   */
  start(from: number): void {
    this.rotateAt = nextRotationTime(from, this.every);
    this.loop.start();
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
    this.loop.stop();
  }

  /** Until the boundary; past due means the last rotation failed: retry at the retry pace. */
  private wait(): number {
    const now = this.clock.now();
    return now >= this.rotateAt ? ROTATION_RETRY_MS : this.rotateAt - now;
  }
}

/** Runs `check` every `intervalMs` on a background timer until stopped. */
export class ExternalRotationWatch extends BackgroundLoop {
  constructor(intervalMs: number, check: () => void) {
    super(() => intervalMs, check);
    this.start();
  }
}
