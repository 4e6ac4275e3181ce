/**
 * The live journal file: its handle and size, appends that keep lines whole, the fsync
 * policy, and the directory sync that makes its creation and renames durable. What to
 * write and when to rotate are the sink's decisions; this is the file they act on.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { CompleteFs } from "../complete_fs.ts";
import { errorCode } from "../fs_ops.ts";
import { backgroundTimeout } from "../runtime/runtime.ts";
import type { FsyncPolicy, ResolvedSinkOptions } from "./options.ts";
import type { SinkLedger } from "./sink_ledger.ts";

const NEWLINE = 10;

/** What the external-rotation check found. */
export type ExternalChange = "moved" | "none";

// Members are TS `private`, not `#private`: `append` is on the write path (see
// docs/ARCHITECTURE.md, "Private members").
export class JournalFile {
  /** Whether a handle is held. */
  isOpen = false;
  /** Bytes in the file, as far as this process knows. */
  size = 0;
  /** The error of the last failed `append`, for the caller's report. */
  failure: unknown = undefined;
  /** The error of the last failed `open`, for `check()` and `onOpenError: "throw"`. */
  openFailure: unknown = undefined;

  private readonly path: string;
  private readonly dir: string;
  private readonly fs: CompleteFs;
  private readonly clock: Clock;
  private readonly policy: FsyncPolicy;
  private readonly intervalMs: number;
  private readonly mkdir: boolean;
  private readonly ledger: SinkLedger;
  private handle: unknown = undefined;
  /** The file may end in part of a line (a torn append or a crash): start with a newline. */
  private needsBreak = false;
  /** Bytes appended since the last fsync. */
  private dirty = false;
  /** A create or rename in the directory that no directory sync has made durable yet. */
  private dirUnsynced = false;
  private lastSync: number;
  private syncTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(options: ResolvedSinkOptions, ledger: SinkLedger) {
    this.path = options.path;
    this.dir = options.dir;
    this.fs = options.fs;
    this.clock = options.clock;
    this.policy = options.fsync;
    this.intervalMs = options.fsyncIntervalMs;
    this.mkdir = options.mkdir;
    this.ledger = ledger;
    this.lastSync = this.clock.now();
  }

  /**
   * Appends `text` (whole lines) and applies the fsync policy. On failure: counted in
   * `errors`, the handle released (the next write reopens), the error kept in `failure`
   * for the caller to report with what it lost; returns false.
   *
   * @param text Whole lines.
   * @param now A clock reading the caller already took, if any (saves one per record).
   */
  append(text: string, now?: number): boolean {
    let written: number;
    try {
      written = this.fs.append(this.handle, this.needsBreak ? "\n" + text : text);
    } catch (error) {
      this.ledger.errors++;
      this.failure = error;
      // The write may have left part of the line: the next record starts on a new line
      // unless reopening proves the file ends in one.
      this.needsBreak = true;
      this.release();
      return false;
    }
    this.needsBreak = false;
    this.size += written;
    this.ledger.bytes += written;
    this.ledger.recovered("append");
    this.dirty = true;
    if (this.policy === "always") {
      this.sync();
    } else if (this.policy === "periodic") {
      if ((now ?? this.clock.now()) - this.lastSync >= this.intervalMs) this.sync();
      else if (this.syncTimer === undefined) this.armSyncTimer();
    }
    return true;
  }

  /**
   * Opens the file, creating it (and its directory); on failure reports (unless `quiet`:
   * the caller throws it instead) and returns false, the error kept in `openFailure`.
   */
  open(quiet = false): boolean {
    const { fs, path } = this;
    let existed = false;
    try {
      existed = fs.exists(path);
    } catch {
      // Unknown: count it as created, so its directory entry is synced.
    }
    try {
      this.handle = this.openCreatingDir();
    } catch (error) {
      this.openFailure = error;
      if (quiet) this.ledger.errors++;
      else this.ledger.failed("open", error, "cannot open journal: records dropped");
      return false;
    }
    this.openFailure = undefined;
    this.isOpen = true;
    this.ledger.recovered("open");
    let clean: boolean | undefined;
    try {
      this.size = fs.size(path);
      this.ledger.recovered("size");
      clean = this.size === 0 || this.endsWithNewline();
    } catch (error) {
      this.ledger.failed("size", error, "cannot size journal: rotation may be late");
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

  /** Closes the handle, quietly: its failures cannot lose appended data. */
  release(): void {
    if (this.syncTimer !== undefined) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    if (!this.isOpen) return;
    this.isOpen = false;
    const handle = this.handle;
    this.handle = undefined;
    try {
      this.fs.close(handle);
      this.ledger.recovered("close");
    } catch (error) {
      this.ledger.failed("close", error, "close failed");
    }
  }

  /** Fsyncs what was appended since the last fsync (never retried after a failure). */
  sync(): void {
    this.lastSync = this.clock.now();
    if (!this.dirty || !this.isOpen) return;
    this.dirty = false;
    try {
      this.fs.fsync(this.handle);
      this.ledger.recovered("fsync");
    } catch (error) {
      // Never retried: after a failed fsync the kernel may have dropped the dirty pages,
      // and a second fsync would "succeed" without bringing them back.
      this.ledger.failed(
        "fsync",
        error,
        "fsync failed: records written since the last successful fsync may be lost",
      );
    }
  }

  /** Fsyncs unless the policy is `"none"` (before a reopen, at exit). */
  syncByPolicy(): void {
    if (this.policy !== "none") this.sync();
  }

  /** A rename or create happened in the directory (a rotation): sync it before the next. */
  renamed(): void {
    this.dirUnsynced = true;
  }

  /** Syncs the directory when a create or rename there is not durable yet. */
  syncDirIfPending(): void {
    if (this.dirUnsynced) this.syncDir();
  }

  /** Makes creates, renames and removes in the journal's directory durable. */
  syncDir(): void {
    this.dirUnsynced = false;
    try {
      this.fs.syncDir(this.dir);
      this.ledger.recovered("syncDir");
    } catch (error) {
      this.ledger.failed(
        "syncDir",
        error,
        "directory fsync failed: a rotation or create may not survive a crash",
      );
    }
  }

  /** The file's last modification on disk, when the `FsOps` can tell. */
  modifiedMs(): number | undefined {
    try {
      const mtime = this.fs.stat(this.path)?.mtimeMs;
      return Number.isNaN(mtime) ? undefined : mtime;
    } catch {
      return undefined;
    }
  }

  /**
   * Notices what another program did to the file: `path` missing or naming another file
   * (renamed away, `logrotate` `create`): "moved", the caller reopens. The open file shrank
   * (`copytruncate`): take its real size, so size rotation is not triggered early.
   */
  checkExternal(): ExternalChange {
    if (!this.isOpen) return "none";
    let onDisk;
    let mine;
    try {
      onDisk = this.fs.stat(this.path);
      mine = this.fs.statHandle!(this.handle);
    } catch {
      return "none"; // Try again next time; the writes themselves report real failures.
    }
    if (onDisk === undefined || onDisk.ino !== mine.ino) return "moved";
    if (mine.size < this.size) {
      this.size = mine.size;
      this.needsBreak = mine.size > 0 && !this.endsWithNewline();
    } else if (mine.size > this.size) {
      this.size = mine.size;
    }
    return "none";
  }

  /**
   * Whether `path` no longer names the file this sink holds: another writer of the journal
   * rotated it (it is a generation now) or is rotating it (`path` missing for a moment).
   * False when the `FsOps` cannot tell (no `statHandle`, no inode numbers) or a probe fails.
   */
  replacedOnDisk(): boolean {
    if (!this.isOpen || !this.fs.statHandle) return false;
    try {
      const mine = this.fs.statHandle(this.handle);
      if (mine.ino === 0) return false;
      const onDisk = this.fs.stat(this.path);
      return onDisk === undefined || onDisk.ino !== mine.ino;
    } catch {
      return false;
    }
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

  private armSyncTimer(): void {
    this.syncTimer = backgroundTimeout(() => {
      this.syncTimer = undefined;
      if (this.isOpen && this.dirty) this.sync();
    }, this.intervalMs);
  }
}
