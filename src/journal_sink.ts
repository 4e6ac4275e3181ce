/**
 * The imperative shell: owns the journal file, appends one line per record, rotates,
 * fsyncs, and turns every failure into a counted drop or a report, never an exception.
 *
 * @module
 */

import { defaultFsOps } from "./adapters/default.ts";
import { flushOnExit } from "./adapters/exit_hooks.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type ErrorHandler, ErrorReporter, warnOnConsole } from "./error_reporter.ts";
import { errorCode, type FsOps, parentDir } from "./fs_ops.ts";
import { JournalSinkError } from "./journal_sink_error.ts";
import type { LogRecord, LogSink } from "./records.ts";
import { Compressor } from "./compress.ts";
import { compressionTempPath, type Naming, rotatedPath } from "./naming.ts";
import { fileExists } from "./generations.ts";
import { type GenerationAge, generationsToRemove } from "./retention.ts";
import { decideWrite, rotationSteps } from "./rotation.ts";
import { nextRotationTime, type RotateEvery } from "./time_rotation.ts";
import { serialize } from "./serialize.ts";
import { checkOptions, type FsyncPolicy, type JournalSinkOptions } from "./journal_sink_options.ts";

/**
 * Counters of what the sink did since it was created.
 *
 * @example
 * ```ts
 * import type { JournalSinkStats } from "@dispatch/journal-sink";
 * const stats: JournalSinkStats = { written: 1, dropped: 0, bytes: 60, rotations: 0, errors: 0 };
 * if (stats.written !== 1) throw new Error("unreachable");
 * ```
 */
export interface JournalSinkStats {
  /** Records fully appended. */
  written: number;
  /** Records not appended (each reported, bounded, through `onError`). */
  dropped: number;
  /** Bytes appended, newlines included. */
  bytes: number;
  /** Rotations performed. */
  rotations: number;
  /** Failed file-system operations, whether or not they cost a record. */
  errors: number;
}

/**
 * A durable NDJSON journal. `emit` never throws and never awaits.
 *
 * @example Writing, flushing and closing
 * ```ts
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const sink = createJournalSink({ path: "app.jsonl", fs: createFakeFs() });
 * sink.emit({ kind: "log", level: "info", msg: "hi", timestamp: 1, extensionId: "host" });
 * sink.flush();
 * sink.close();
 * if (sink.stats.written !== 1) throw new Error("not written");
 * ```
 */
export interface JournalSink extends LogSink {
  /** Push buffered bytes and fsync. */
  flush(): void;
  /** Flush, then release the file; a later `emit` is a counted drop. Idempotent. */
  close(): void;
  /** A snapshot of the counters. */
  readonly stats: JournalSinkStats;
  /** Same as `close()`, so `using sink = createJournalSink(…)` closes it. */
  [Symbol.dispose](): void;
  /**
   * Close the journal file and open `path` again: call it after an external program
   * (`logrotate` in `create` mode, from a `postrotate` script or a SIGHUP handler) moved
   * the file away, so new records go to the new file at once. Buffered records are
   * written to the old file first. A no-op after `close()`.
   */
  reopen(): void;
  /**
   * Resolves once background work (compressing rotated generations) has finished: await
   * it before exiting to leave no generation uncompressed (an abandoned one is safe and
   * compressed at the next start). Never rejects.
   */
  idle(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
const DEFAULT_BUFFER_BYTES = 64 * 1024;
const DEFAULT_BUFFER_INTERVAL_MS = 1000;
const DEFAULT_FSYNC_INTERVAL_MS = 5000;
/** After a failed rotation, keep appending to the live file and try again this much later. */
const ROTATION_RETRY_MS = 1000;
const DEFAULT_EXTERNAL_CHECK_MS = 3000;
/** The longest delay timers accept (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Missing generation numbers in a row that end a probe (a crash can leave small holes). */
const PROBE_GAP = 4;
/** How far past `maxFiles` leftovers are looked for (an `FsOps` that finds every name ends). */
const PROBE_LIMIT = 1000;
const NEWLINE = 10;

/** A timer that does not keep the process alive: the sink's housekeeping never should. */
function backgroundTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(callback, ms);
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
  } else if (typeof timer === "number") {
    (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(timer);
  }
  return timer;
}

class FileJournalSink implements JournalSink {
  private readonly path: string;
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly policy: FsyncPolicy;
  private readonly intervalMs: number;
  private readonly fs: FsOps;
  private readonly clock: Clock;
  private readonly mkdir: boolean;
  private readonly reporter: ErrorReporter;
  private readonly buffered: boolean;
  private readonly bufferMax: number;
  private readonly bufferIntervalMs: number;
  private readonly naming: Naming;
  private readonly maxAgeMs: number | undefined;
  /** Time rotation: the period, and whether `emit` reads the clock for it. */
  private readonly every: RotateEvery | undefined;
  private readonly timed: boolean;
  private readonly externalCheckMs: number;
  private readonly compressor: Compressor | undefined;
  /** Rotation also shifts `.gz` generations (compression is on, or some exist). */
  private shiftGzip: boolean;

  private handle: unknown = undefined;
  private open = false;
  private size = 0;
  /** The file may end in part of a line (a torn append or a crash): start with a newline. */
  private needsBreak = false;
  private dirty = false;
  /** A create or rename in the directory that no directory sync has made durable yet. */
  private dirUnsynced = false;
  private lastSync = 0;
  private syncTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private rotationBlockedUntil = -Infinity;
  private closed = false;

  /** Buffered mode: the lines not yet written, and how many records they hold. */
  private batch = "";
  private batchCount = 0;
  private batchTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private unhookExit: (() => void) | undefined = undefined;

  private written = 0;
  private dropped = 0;
  private bytes = 0;
  private rotations = 0;
  private errors = 0;

  /** Time rotation: the next boundary, and the clock reading `emit` took (reused by append). */
  private rotateAt = Infinity;
  private stamp = 0;
  private boundaryTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private externalTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(options: JournalSinkOptions) {
    checkOptions(options);
    this.path = options.path;
    this.dir = parentDir(options.path);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxFiles = options.maxFiles ?? 1;
    this.policy = options.fsync ?? "periodic";
    this.intervalMs = options.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS;
    this.fs = options.fs ?? defaultFsOps();
    this.clock = options.clock ?? systemClock;
    this.mkdir = options.mkdir ?? true;
    this.reporter = new ErrorReporter((options.onError ?? warnOnConsole) as ErrorHandler);
    const buffer = options.buffer;
    this.buffered = buffer !== undefined && buffer !== false;
    const bufferOptions = typeof buffer === "object" && buffer !== null ? buffer : {};
    this.bufferMax = bufferOptions.maxBytes ?? DEFAULT_BUFFER_BYTES;
    this.bufferIntervalMs = bufferOptions.flushIntervalMs ?? DEFAULT_BUFFER_INTERVAL_MS;
    this.naming = options.naming ?? "suffix";
    this.maxAgeMs = options.maxAgeMs;
    this.every = options.rotate?.every;
    this.timed = this.every !== undefined;
    this.externalCheckMs = options.externalRotationCheckMs ?? DEFAULT_EXTERNAL_CHECK_MS;
    this.compressor = options.compress === "gzip" ? this.createCompressor() : undefined;
    this.shiftGzip = this.compressor !== undefined;
    this.lastSync = this.clock.now();
    if (this.buffered) this.unhookExit = flushOnExit(this);
    this.openFile();
    this.maintainGenerations(true);
    if (this.timed) this.startTimeRotation();
    this.armExternalCheck();
  }

  get stats(): JournalSinkStats {
    return {
      written: this.written,
      dropped: this.dropped,
      bytes: this.bytes,
      rotations: this.rotations,
      errors: this.errors,
    };
  }

  emit(record: LogRecord): void {
    if (this.closed) {
      this.drop(record, "emit", "ECLOSED", "emit after close: record dropped");
      return;
    }
    if (typeof record !== "object" || record === null) {
      this.drop(record, "emit", "EINVAL", "emit of a non-object: record dropped");
      return;
    }
    const line = serialize(record);
    if (!this.open && !this.openFile()) {
      this.dropped++;
      return;
    }
    if (this.timed && this.timeIsUp()) {
      this.rotateForTime(this.stamp);
      if (!this.open) {
        this.dropped++;
        return;
      }
    }
    if (this.buffered) {
      this.enqueue(line);
      return;
    }
    if (
      this.size + line.length * 3 > this.maxBytes &&
      decideWrite(this.size, line, this.maxBytes) === "rotate"
    ) {
      this.rotate();
      if (!this.open) {
        this.dropped++;
        return;
      }
    }
    this.append(line, record, 1);
  }

  flush(): void {
    if (this.closed) return;
    this.writeBatch();
    if (this.open) this.sync();
    if (this.dirUnsynced) this.syncDir();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.release();
    this.unhookExit?.();
    clearTimeout(this.boundaryTimer);
    clearTimeout(this.externalTimer);
    this.boundaryTimer = this.externalTimer = undefined;
  }

  reopen(): void {
    if (this.closed) return;
    this.writeBatch();
    if (this.open && this.policy !== "none") this.sync();
    this.release();
    this.openFile();
  }

  idle(): Promise<void> {
    return this.compressor?.idle() ?? Promise.resolve();
  }

  /** Called by the exit hooks: write the batch, and sync unless the policy is "none". */
  flushOnExit(): void {
    if (this.closed) return;
    this.writeBatch();
    if (this.open && this.policy !== "none") this.sync();
  }

  /**
   * Buffered mode: add the line to the batch. Near the rotation boundary the batch is
   * written first, so the decision for this line is made on exact sizes.
   */
  private enqueue(line: string): void {
    if (this.size + (this.batch.length + line.length) * 3 > this.maxBytes) {
      this.writeBatch();
      if (!this.open && !this.openFile()) {
        this.dropped++;
        return;
      }
      if (decideWrite(this.size, line, this.maxBytes) === "rotate") {
        this.rotate();
        if (!this.open) {
          this.dropped++;
          return;
        }
      }
    }
    this.batch += line;
    this.batchCount++;
    if (this.batch.length >= this.bufferMax) {
      this.writeBatch();
    } else if (this.batchTimer === undefined) {
      this.batchTimer = backgroundTimeout(() => {
        this.batchTimer = undefined;
        this.writeBatch();
      }, this.bufferIntervalMs);
    }
  }

  /** Writes the batch in one append; on failure its records are dropped together. */
  private writeBatch(): void {
    if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    if (this.batchCount === 0) return;
    if (this.timed) this.stamp = this.clock.now();
    const text = this.batch;
    const count = this.batchCount;
    this.batch = "";
    this.batchCount = 0;
    if (!this.open && !this.openFile()) {
      this.dropped += count;
      return;
    }
    this.append(text, undefined, count);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Appends `lines`, which hold `count` records (one unless a batch). */
  private append(lines: string, record: unknown, count: number): void {
    const text = this.needsBreak ? "\n" + lines : lines;
    let written: number;
    try {
      written = this.fs.append(this.handle, text);
    } catch (error) {
      this.errors++;
      this.dropped += count - 1;
      const what = count === 1 ? "record dropped" : `${count} records dropped`;
      this.drop(record, "append", errorCode(error), `append failed: ${what}`, error);
      // The write may have left part of the line: the next record starts on a new line
      // unless reopening proves the file ends in one.
      this.needsBreak = true;
      this.release();
      return;
    }
    this.needsBreak = false;
    this.size += written;
    this.bytes += written;
    this.written += count;
    this.reporter.recovered("append");
    if (this.policy === "always") {
      this.dirty = true;
      this.sync();
    } else if (this.policy === "periodic") {
      this.dirty = true;
      // With time rotation on, emit has just read the clock: reuse that reading.
      const now = this.timed ? this.stamp : this.clock.now();
      if (now - this.lastSync >= this.intervalMs) this.sync();
      else if (this.syncTimer === undefined) this.armSyncTimer();
    } else {
      this.dirty = true;
    }
  }

  private drop(
    record: unknown,
    operation: string,
    code: string,
    message: string,
    cause?: unknown,
  ): void {
    this.dropped++;
    this.report(operation, code, message, cause, record);
  }

  private report(
    operation: string,
    code: string,
    message: string,
    cause?: unknown,
    record?: unknown,
  ) {
    this.reporter.report(
      new JournalSinkError(operation, code, `${message} (${code}) [${this.path}]`, cause),
      record,
    );
  }

  /** Opens the live file; on failure reports and returns false (the next emit retries). */
  private openFile(): boolean {
    const fs = this.fs;
    const path = this.path;
    let existed = false;
    try {
      existed = fileExists(fs, path);
    } catch {
      // Unknown: count it as created, so its directory entry is synced.
    }
    try {
      this.handle = this.openCreatingDir();
    } catch (error) {
      this.errors++;
      this.report("open", errorCode(error), "cannot open journal: records dropped", error);
      return false;
    }
    this.open = true;
    this.reporter.recovered("open");
    let clean: boolean | undefined;
    try {
      this.size = fs.size(path);
      this.reporter.recovered("size");
      clean = this.size === 0 || this.endsWithNewline();
    } catch (error) {
      this.errors++;
      this.report("size", errorCode(error), "cannot size journal: rotation may be late", error);
      this.size = 0;
    }
    // Unknown tail (size or read failed, or no readAt): keep what the last append knew.
    if (clean !== undefined) this.needsBreak = !clean;
    if (!existed) {
      this.dirUnsynced = true;
      if (this.policy !== "none") this.syncDir();
    }
    return true;
  }

  private openCreatingDir(): unknown {
    try {
      return this.fs.open(this.path);
    } catch (error) {
      if (!this.mkdir || !this.fs.mkdir || errorCode(error) !== "ENOENT") throw error;
      this.fs.mkdir(this.dir);
      return this.fs.open(this.path);
    }
  }

  /** Whether the file's last byte is a newline; undefined when it cannot be read. */
  private endsWithNewline(): boolean | undefined {
    if (!this.fs.readAt) return undefined;
    try {
      const last = this.fs.readAt(this.path, this.size - 1, 1);
      return last.length === 1 && last[0] === NEWLINE;
    } catch {
      return undefined;
    }
  }

  /** Closes the handle, quietly: its failures cannot lose appended data. */
  private release(): void {
    if (this.syncTimer !== undefined) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    if (!this.open) return;
    this.open = false;
    const handle = this.handle;
    this.handle = undefined;
    try {
      this.fs.close(handle);
      this.reporter.recovered("close");
    } catch (error) {
      this.errors++;
      this.report("close", errorCode(error), "close failed", error);
    }
  }

  private sync(): void {
    this.lastSync = this.clock.now();
    if (!this.dirty) return;
    this.dirty = false;
    try {
      this.fs.fsync(this.handle);
      this.reporter.recovered("fsync");
    } catch (error) {
      // Never retried: after a failed fsync the kernel may have dropped the dirty pages,
      // and a second fsync would "succeed" without bringing them back.
      this.errors++;
      this.report(
        "fsync",
        errorCode(error),
        "fsync failed: records written since the last successful fsync may be lost",
        error,
      );
    }
  }

  private armSyncTimer(): void {
    this.syncTimer = backgroundTimeout(() => {
      this.syncTimer = undefined;
      if (this.open && this.dirty) this.sync();
    }, this.intervalMs);
  }

  private syncDir(): void {
    this.dirUnsynced = false;
    if (!this.fs.syncDir) return;
    try {
      this.fs.syncDir(this.dir);
      this.reporter.recovered("syncDir");
    } catch (error) {
      this.errors++;
      this.report(
        "syncDir",
        errorCode(error),
        "directory fsync failed: a rotation or create may not survive a crash",
        error,
      );
    }
  }

  /**
   * Shifts the generations up by one and opens a fresh live file. On failure the live
   * file stays in use (a record is never dropped for want of a rotation) and the
   * rotation is retried a little later.
   */
  private rotate(): void {
    const now = this.clock.now();
    if (now < this.rotationBlockedUntil) return;
    // Under every policy: once the handle is closed, no later flush() can reach these bytes.
    this.sync();
    this.release();
    const steps = rotationSteps(this.path, this.maxFiles, {
      naming: this.naming,
      gzip: this.shiftGzip,
    });
    for (const step of steps) {
      try {
        if (step.op === "remove") this.fs.remove(step.path);
        else this.fs.rename(step.from, step.to);
      } catch (error) {
        const code = errorCode(error);
        if (step.op === "rename" && code === "ENOENT" && step.from !== this.path) continue;
        this.errors++;
        this.report("rotate", code, "rotation failed: still appending to the live file", error);
        this.rotationBlockedUntil = now + ROTATION_RETRY_MS;
        // Only the live file stayed put: the rotated generations were shifted already.
        if (step.op === "rename" && step.from === this.path) this.compressor?.shift(this.maxFiles);
        this.openFile();
        return;
      }
    }
    this.rotations++;
    this.reporter.recovered("rotate");
    this.openFile();
    this.syncDir();
    if (this.maxFiles > 0 && this.compressor) {
      this.compressor.shift(this.maxFiles);
      this.compressor.enqueue(1);
    }
    if (this.maxAgeMs !== undefined) this.maintainGenerations(false);
  }

  /** Whether the time-rotation boundary has passed; keeps the clock reading in `stamp`. */
  private timeIsUp(): boolean {
    this.stamp = this.clock.now();
    return this.stamp >= this.rotateAt;
  }

  /**
   * The period ended: write the batch (it belongs to that period), rotate unless the file
   * is empty, and aim at the next boundary. A failed rotation keeps the boundary, so the
   * next record tries again (paced by the rotation retry delay).
   */
  private rotateForTime(now: number): void {
    this.writeBatch();
    if (this.size > 0) {
      const before = this.rotations;
      this.rotate();
      if (this.rotations === before) return;
    }
    this.rotateAt = nextRotationTime(now, this.every!);
  }

  /**
   * Sets the first boundary: from now, or from the existing journal's last write, so a
   * restarted process rotates a file left over from an earlier period before writing to it.
   * A timer then rotates at each boundary even when no record arrives.
   */
  private startTimeRotation(): void {
    const now = this.clock.now();
    let from = now;
    if (this.open && this.size > 0) {
      try {
        const mtime = this.fs.stat?.(this.path)?.mtimeMs;
        if (mtime !== undefined && mtime < now) from = mtime;
      } catch {
        // Unknown age: count the file as current.
      }
    }
    this.rotateAt = nextRotationTime(from, this.every!);
    this.armBoundaryTimer();
  }

  private armBoundaryTimer(): void {
    if (this.closed) return;
    const now = this.clock.now();
    // Past due means the last rotation failed: retry at the rotation retry pace.
    const wait = now >= this.rotateAt ? ROTATION_RETRY_MS : this.rotateAt - now;
    this.boundaryTimer = backgroundTimeout(() => {
      this.boundaryTimer = undefined;
      if (this.closed) return;
      const at = this.clock.now();
      if (at >= this.rotateAt) this.rotateForTime(at);
      this.armBoundaryTimer();
    }, Math.min(wait, MAX_TIMER_MS));
  }

  /** Checks for external rotation every `externalCheckMs`, on a timer: never on `emit`. */
  private armExternalCheck(): void {
    if (this.closed || !(this.externalCheckMs < Infinity)) return;
    if (!this.fs.stat || !this.fs.statHandle) return;
    this.externalTimer = backgroundTimeout(() => {
      this.externalTimer = undefined;
      this.checkExternalRotation();
      this.armExternalCheck();
    }, Math.min(this.externalCheckMs, MAX_TIMER_MS));
  }

  /**
   * Notices what another program did to the journal: `path` missing or naming another file
   * (renamed away, `logrotate` `create`): reopen. The open file shrank (`copytruncate`):
   * take its real size, so size rotation is not triggered early.
   */
  private checkExternalRotation(): void {
    if (this.closed || !this.open) return;
    let onDisk;
    let mine;
    try {
      onDisk = this.fs.stat!(this.path);
      mine = this.fs.statHandle!(this.handle);
    } catch {
      return; // Try again next time; the writes themselves report real failures.
    }
    if (onDisk === undefined || onDisk.ino !== mine.ino) {
      this.reopen();
      return;
    }
    if (mine.size < this.size) {
      this.size = mine.size;
      this.needsBreak = mine.size > 0 && !this.endsWithNewline();
    } else if (mine.size > this.size) {
      this.size = mine.size;
    }
  }

  private createCompressor(): Compressor | undefined {
    if (!Compressor.supported(this.fs)) {
      this.report(
        "compress",
        "ENOTSUP",
        "compression needs CompressionStream and FsOps.appendBytes: generations stay plain",
      );
      return undefined;
    }
    return new Compressor({
      path: this.path,
      naming: this.naming,
      fs: this.fs,
      syncDir: () => this.syncDir(),
      report: (operation, code, message, cause) => {
        this.errors++;
        this.report(operation, code, message, cause);
      },
    });
  }

  /** Whether `path` exists, and its age if the `FsOps` can tell; `undefined` if missing. */
  private probe(path: string): { mtimeMs: number } | undefined {
    const fs = this.fs;
    if (fs.stat) return fs.stat(path);
    if (fs.exists) return fs.exists(path) ? { mtimeMs: NaN } : undefined;
    return fs.size(path) > 0 ? { mtimeMs: NaN } : undefined;
  }

  /**
   * Retention and leftovers. Finds the rotated generations (plain and `.gz`, probing up
   * from 1 until a few numbers in a row are missing), removes those beyond `maxFiles` or
   * older than `maxAgeMs`, and at start also queues plain generations for compression and
   * removes a compression's temporary file that a crash left behind.
   */
  private maintainGenerations(atStart: boolean): void {
    const { path, naming } = this;
    const present: GenerationAge[] = [];
    const plain: number[] = [];
    try {
      for (let n = 1, gap = 0; gap < PROBE_GAP && n <= this.maxFiles + PROBE_LIMIT; n++) {
        const compressed = this.probe(rotatedPath(path, n, naming, true));
        const uncompressed = this.probe(rotatedPath(path, n, naming));
        if (compressed) {
          present.push({ n, mtimeMs: compressed.mtimeMs });
          this.shiftGzip = true;
        }
        if (uncompressed) {
          present.push({ n, mtimeMs: uncompressed.mtimeMs });
          plain.push(n);
        }
        gap = compressed || uncompressed ? 0 : gap + 1;
      }
      const policy = { maxFiles: this.maxFiles, maxAgeMs: this.maxAgeMs };
      const doomed = generationsToRemove(present, policy, this.clock.now());
      for (const n of doomed) {
        this.fs.remove(rotatedPath(path, n, naming, true));
        this.fs.remove(rotatedPath(path, n, naming));
      }
      if (doomed.length > 0) {
        this.compressor?.cancelFrom(doomed[0]);
        this.syncDir();
      }
      if (atStart && this.compressor) {
        this.fs.remove(compressionTempPath(path));
        for (const n of plain) if (!doomed.includes(n)) this.compressor.enqueue(n);
      }
      this.reporter.recovered("retention");
    } catch (error) {
      this.errors++;
      this.report("retention", errorCode(error), "removing old generations failed", error);
    }
  }
}

/**
 * Create a journal sink that appends each record as one NDJSON line to `options.path`.
 *
 * Opens (creating the directory and file if needed) at once and continues an existing
 * journal's byte count. Throws only for invalid options; after that no method throws.
 *
 * @param options Where and how to write; see {@linkcode JournalSinkOptions}.
 * @returns The sink.
 *
 * @example A durable journal with rotation
 * ```ts
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * using sink = createJournalSink({ path: "app.jsonl", fs, maxBytes: 200, maxFiles: 2, fsync: "always" });
 * for (let i = 0; i < 10; i++) {
 *   sink.emit({ kind: "log", level: "info", msg: `line ${i}`, timestamp: i, extensionId: "host" });
 * }
 * if (sink.stats.rotations === 0 || !fs.exists("app.jsonl.1")) throw new Error("no rotation");
 * ```
 */
export function createJournalSink(options: JournalSinkOptions): JournalSink {
  return new FileJournalSink(options);
}
