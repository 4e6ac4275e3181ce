/**
 * The imperative shell: turns records into lines and composes the parts that act on them
 * (the journal file, the batch, the watchers, the generation upkeep). It owns the write
 * path (emit, serialize, decide, append) and the rotation that ties the parts together;
 * every failure becomes a counted drop or a report, never an exception.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { errorCode } from "../fs_ops.ts";
import type { LogRecord, LogSink } from "../records.ts";
import { decideWrite } from "../rotation.ts";
import { flushOnExit } from "../runtime/exit_hooks.ts";
import { describeDefect, type RecordDefect, recordDefect } from "../record_check.ts";
import { cutToFit } from "../record_cut.ts";
import { serialize } from "../serialize.ts";
import { Batch } from "./batch.ts";
import { GenerationUpkeep } from "./generation_upkeep.ts";
import { JournalFile } from "./journal_file.ts";
import { causeMessage } from "./error_reporter.ts";
import { JournalSinkError } from "./journal_sink_error.ts";
import { type JournalSinkOptions, resolveSinkOptions } from "./options.ts";
import { RotationLock } from "./rotation_lock.ts";
import { SinkLedger } from "./sink_ledger.ts";
import { ExternalRotationWatch, ROTATION_RETRY_MS, TimeRotation } from "./watchers.ts";

/** Another writer holds the rotation lock: keep appending, and look again this much later. */
const LOCK_BUSY_RETRY_MS = 10;

/**
 * Counters of what the sink did since it was created.
 *
 * @example
 * ```ts
 * import type { JournalSinkStats } from "@dispatch/journal-sink";
 * const stats: JournalSinkStats = {
 *   written: 1, dropped: 0, bytes: 60, rotations: 0, errors: 0, truncated: 0,
 * };
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
  /** Records written cut down to `maxRecordBytes` (also counted in `written`). */
  truncated: number;
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
  /**
   * Throws a {@linkcode JournalSinkError} (operation `open`, the failure's code, the
   * underlying error as `cause`) when the journal cannot be opened, trying to open it (and
   * create its directory) first if it is not open; returns quietly when it is open. Lets a
   * host learn at start that nothing would be written, instead of a warning and drops.
   * After `close()` it throws with code `ECLOSED`.
   *
   * @example Failing fast at start
   * ```ts
   * import { createJournalSink, JournalSinkError } from "@dispatch/journal-sink";
   * import { createFakeFs } from "@dispatch/journal-sink/testing";
   * const fs = createFakeFs();
   * fs.fail("open", "EACCES");
   * const sink = createJournalSink({ path: "app.jsonl", fs, onError: () => {} });
   * let code = "";
   * try {
   *   sink.check();
   * } catch (error) {
   *   code = (error as JournalSinkError).code;
   * }
   * if (code !== "EACCES") throw new Error("not reported");
   * ```
   */
  check(): void;
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

/**
 * The sink: the write path and rotation here, everything slower in its parts. The write
 * path stays in this one object (emit → serialize → append), which is what keeps it
 * within a few percent of a raw write loop.
 */
class FileJournalSink implements JournalSink {
  private readonly maxBytes: number;
  private readonly maxRecordBytes: number;
  /** Lines longer than this many characters may exceed `maxRecordBytes` (3 bytes a unit). */
  private readonly cutAbove: number;
  private readonly acceptUnknownKinds: boolean;
  private readonly path: string;
  private readonly clock: Clock;
  private readonly ledger: SinkLedger;
  private readonly file: JournalFile;
  private readonly upkeep: GenerationUpkeep;
  private readonly lock: RotationLock;
  /** Buffered mode's batch; `undefined` in write-through mode. */
  private readonly batch: Batch | undefined;
  private readonly timeRotation: TimeRotation | undefined;
  private readonly externalWatch: ExternalRotationWatch | undefined;
  private readonly unhookExit: (() => void) | undefined;
  private rotationBlockedUntil = -Infinity;
  private closed = false;

  constructor(given: JournalSinkOptions) {
    const options = resolveSinkOptions(given);
    this.maxBytes = options.maxBytes;
    this.maxRecordBytes = options.maxRecordBytes;
    this.cutAbove = Math.floor(options.maxRecordBytes / 3);
    this.acceptUnknownKinds = options.acceptUnknownKinds;
    this.path = options.path;
    this.clock = options.clock;
    this.ledger = new SinkLedger(options.path, options.onError);
    const file = new JournalFile(options, this.ledger);
    this.file = file;
    this.upkeep = new GenerationUpkeep(options, this.ledger, () => file.syncDir());
    this.lock = new RotationLock(options.path, options.fs, options.clock);
    const buffer = options.buffer;
    this.batch = buffer
      ? new Batch(buffer.maxBytes, buffer.flushIntervalMs, () => this.writeBatch())
      : undefined;
    this.unhookExit = this.batch ? flushOnExit(this) : undefined;
    if (!file.open(options.openErrorThrows) && options.openErrorThrows) {
      this.closed = true;
      this.unhookExit?.();
      throw this.openError();
    }
    this.upkeep.maintain(true);
    if (options.every !== undefined) {
      this.timeRotation = new TimeRotation(
        options.every,
        this.clock,
        (now) => this.rotateForTime(now),
      );
      const now = this.clock.now();
      const mtime = file.isOpen && file.size > 0 ? file.modifiedMs() : undefined;
      this.timeRotation.start(mtime !== undefined && mtime < now ? mtime : now);
    }
    this.externalWatch = options.externalCheckMs < Infinity
      ? new ExternalRotationWatch(options.externalCheckMs, () => this.checkExternalRotation())
      : undefined;
  }

  get stats(): JournalSinkStats {
    const { written, dropped, bytes, rotations, errors, truncated } = this.ledger;
    return { written, dropped, bytes, rotations, errors, truncated };
  }

  emit(record: LogRecord): void {
    if (this.closed) {
      this.drop(record, "ECLOSED", "emit after close: record dropped");
      return;
    }
    if (typeof record !== "object" || record === null) {
      this.drop(record, "EINVAL", "emit of a non-object: record dropped");
      return;
    }
    let defect;
    try {
      defect = recordDefect(record, this.acceptUnknownKinds);
    } catch (error) {
      this.refuse(record, "unreadable", `record cannot be read (${safeText(error)})`);
      return;
    }
    if (defect !== undefined) {
      this.refuseDefect(record, defect);
      return;
    }
    let line = serialize(record);
    if (line.length > this.cutAbove) line = this.cut(record, line);
    const file = this.file;
    if (!file.isOpen && !file.open()) {
      this.ledger.dropped++;
      return;
    }
    // With time rotation on, one clock reading serves the boundary and the fsync policy.
    let now: number | undefined;
    if (this.timeRotation !== undefined) {
      now = this.clock.now();
      if (this.timeRotation.due(now)) {
        this.rotateForTime(now);
        if (!file.isOpen) {
          this.ledger.dropped++;
          return;
        }
      }
    }
    if (this.batch !== undefined) {
      this.enqueue(this.batch, line);
      return;
    }
    if (
      file.size + line.length * 3 > this.maxBytes &&
      decideWrite(file.size, line, this.maxBytes) === "rotate"
    ) {
      this.rotate();
      if (!file.isOpen) {
        this.ledger.dropped++;
        return;
      }
    }
    if (file.append(line, now)) this.ledger.written++;
    else this.appendFailed(1, record);
  }

  flush(): void {
    if (this.closed) return;
    this.writeBatch();
    if (this.file.isOpen) this.file.sync();
    this.file.syncDirIfPending();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.file.release();
    this.unhookExit?.();
    this.timeRotation?.stop();
    this.externalWatch?.stop();
  }

  reopen(): void {
    if (this.closed) return;
    this.writeBatch();
    if (this.file.isOpen) this.file.syncByPolicy();
    this.file.release();
    this.file.open();
  }

  idle(): Promise<void> {
    return this.upkeep.idle();
  }

  check(): void {
    if (this.closed) {
      throw new JournalSinkError("open", "ECLOSED", `journal sink is closed [${this.path}]`);
    }
    if (this.file.isOpen || this.file.open(true)) return;
    throw this.openError();
  }

  /** Called by the exit hooks: write the batch, and sync unless the policy is "none". */
  flushOnExit(): void {
    if (this.closed) return;
    this.writeBatch();
    if (this.file.isOpen) this.file.syncByPolicy();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Buffered mode: add the line to the batch. Near the rotation boundary the batch is
   * written first, so the decision for this line is made on exact sizes.
   */
  private enqueue(batch: Batch, line: string): void {
    const file = this.file;
    if (file.size + (batch.text.length + line.length) * 3 > this.maxBytes) {
      this.writeBatch();
      if (!file.isOpen && !file.open()) {
        this.ledger.dropped++;
        return;
      }
      if (decideWrite(file.size, line, this.maxBytes) === "rotate") {
        this.rotate();
        if (!file.isOpen) {
          this.ledger.dropped++;
          return;
        }
      }
    }
    if (batch.add(line)) this.writeBatch();
  }

  /** Writes the batch in one append; on failure its records are dropped together. */
  private writeBatch(): void {
    if (this.batch === undefined || this.batch.count === 0) {
      this.batch?.take(); // stops its timer
      return;
    }
    const { text, count } = this.batch.take();
    if (!this.file.isOpen && !this.file.open()) {
      this.ledger.dropped += count;
      return;
    }
    if (this.file.append(text)) this.ledger.written += count;
    else this.appendFailed(count, undefined);
  }

  /** An append of `count` records failed: all dropped, reported once (with the record). */
  private appendFailed(count: number, record: unknown): void {
    const error = this.file.failure;
    this.ledger.dropped += count;
    const what = count === 1 ? "record dropped" : `${count} records dropped`;
    this.ledger.report("append", errorCode(error), `append failed: ${what}`, error, record);
  }

  /** The line is longer than `maxRecordBytes` may allow: cut it to fit, counted. */
  private cut(record: object, line: string): string {
    let result;
    try {
      result = cutToFit(record, line, this.maxRecordBytes);
    } catch {
      // A getter that throws on the second read: keep only what can be read.
      result = cutToFit(undefined, line, this.maxRecordBytes);
    }
    if (result.cut) this.ledger.truncated++;
    return result.line;
  }

  /** Why the journal cannot be opened, as the error `check()` throws. */
  private openError(): JournalSinkError {
    const cause = this.file.openFailure;
    const code = errorCode(cause);
    return new JournalSinkError(
      "open",
      code,
      `cannot open journal (${code}) [${this.path}]: ${causeMessage(cause, code)}`,
      cause,
    );
  }

  private refuseDefect(record: object, defect: RecordDefect): void {
    let message = `invalid record: ${defect.field} must be ${defect.expected}`;
    let kind = "other";
    try {
      message = describeDefect(record, defect);
      const given = (record as { kind?: unknown }).kind;
      if (given === "log" || given === "span-open" || given === "span-close") kind = given;
    } catch {
      // A getter that throws on the second read: the plain message will do.
    }
    this.refuse(record, `${kind}.${defect.field}`, message);
  }

  /**
   * A record the reader would reject: a counted drop. Each defect (kind and field) is a bug
   * in the caller, not a passing fault that a good record ends, so it is reported once.
   */
  private refuse(record: unknown, defect: string, message: string): void {
    this.ledger.dropped++;
    this.ledger.report(
      "emit",
      "EINVAL",
      `${message}: record dropped`,
      undefined,
      record,
      `emit:EINVAL:${defect.slice(0, 60)}`,
    );
  }

  private drop(record: unknown, code: string, message: string): void {
    this.ledger.dropped++;
    this.ledger.report("emit", code, message, undefined, record);
  }

  /**
   * Shifts the generations up by one and opens a fresh live file. On failure the live
   * file stays in use (a record is never dropped for want of a rotation) and the
   * rotation is retried a little later.
   *
   * Several processes may write one journal: the shift runs under the rotation lock, and a
   * writer whose file another writer has rotated already opens the new live file instead of
   * rotating again (its records so far are in that generation). Without the lock, two
   * writers renaming at once renamed the live file over the other's fresh `path.1`.
   *
   * @returns Whether the live file is a fresh one now, rotated here or by another writer.
   */
  private rotate(): boolean {
    const now = this.clock.now();
    if (now < this.rotationBlockedUntil) return false;
    const file = this.file;
    if (file.replacedOnDisk()) return this.followRotation();
    let locked = false;
    try {
      locked = this.lock.acquire();
      if (!locked) {
        this.rotationBlockedUntil = now + LOCK_BUSY_RETRY_MS;
        return false;
      }
    } catch {
      // The lock cannot be taken here (its directory refuses a file, the disk is full):
      // rotate as a single writer would rather than let the journal grow without bound.
      this.ledger.errors++;
    }
    if (locked && file.replacedOnDisk()) {
      this.releaseLock();
      return this.followRotation();
    }
    // Under every policy: once the handle is closed, no later flush() can reach these bytes.
    file.sync();
    file.release();
    const error = this.upkeep.shift();
    // Released before the new live file is created, so the directory sync that makes the
    // renames durable makes the lock's removal durable too: no lock outlives a power loss.
    if (locked) this.releaseLock();
    if (error !== undefined) {
      this.ledger.errors++;
      this.ledger.report(
        "rotate",
        errorCode(error),
        "rotation failed: still appending to the live file, which grows past maxBytes until a rotation succeeds",
        error,
      );
      this.rotationBlockedUntil = now + ROTATION_RETRY_MS;
      file.open();
      return false;
    }
    this.ledger.rotations++;
    this.ledger.recovered("rotate");
    file.renamed();
    file.open();
    file.syncDirIfPending();
    this.upkeep.rotated();
    return true;
  }

  /** Another writer rotated the journal: go on in the live file it opened. */
  private followRotation(): boolean {
    const file = this.file;
    file.sync();
    file.release();
    file.open();
    return true;
  }

  private releaseLock(): void {
    try {
      this.lock.release();
    } catch {
      // A lock left behind is broken as stale by the next rotation, after STALE_LOCK_MS.
      this.ledger.errors++;
    }
  }

  /**
   * The period ended: write the batch (it belongs to that period), rotate unless the file
   * is empty, and aim at the next boundary. A failed rotation keeps the boundary, so the
   * next record tries again (paced by the rotation retry delay).
   */
  private rotateForTime(now: number): void {
    this.writeBatch();
    if (this.file.size > 0 && !this.rotate()) return;
    this.timeRotation!.advance(now);
  }

  private checkExternalRotation(): void {
    if (this.closed) return;
    if (this.file.checkExternal() === "moved") this.reopen();
  }
}

/** `String(value)`, unless even that throws (a hostile error). */
function safeText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "an error that cannot be shown";
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
