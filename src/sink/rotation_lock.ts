/**
 * The lock that serializes rotations of one journal between processes: `path.lock`, held
 * while a writer shifts the generations. Two writers renaming at once is how records were
 * lost (the second renames the live file over the `path.1` the first just made).
 *
 * The lock is taken with the `FsOps` every writer already has, without an exclusive-create
 * call: each contender appends one line naming itself to `path.lock` (one `O_APPEND` write,
 * which never merges with another) and holds the lock when the file's first line is its
 * own. Only the holder removes the file. A holder that died leaves its line behind: a lock
 * whose holder's pid is gone from this host, or older than {@linkcode STALE_LOCK_MS} by its own
 * timestamp, is broken; one this writer failed to remove is still its own. Costs a handful of
 * calls per rotation, none per record.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { CompleteFs } from "../complete_fs.ts";
import { errorCode } from "../fs_ops.ts";
import { rotationLockPath } from "../naming.ts";
import { newSpanId } from "../span_id.ts";
import { processGone, processIdentity } from "../runtime/runtime.ts";

/** A rotation takes milliseconds; a lock this old belongs to a writer that died holding it. */
export const STALE_LOCK_MS = 10_000;

/** The longest first line read back: an id, a timestamp, a pid and a host name. */
const LINE_BYTES = 384;

export class RotationLock {
  private readonly lockPath: string;
  private readonly fs: CompleteFs;
  private readonly clock: Clock;
  private readonly id = newSpanId() + newSpanId();
  /** Pid and host, so a writer killed while holding the lock is seen dead without waiting. */
  private readonly owner: string;
  private held = false;

  /**
   * @param path The live journal's path (the lock is `path.lock` beside it).
   * @param fs The sink's file system.
   * @param clock The sink's clock, for the lock's age.
   */
  constructor(path: string, fs: CompleteFs, clock: Clock) {
    this.lockPath = rotationLockPath(path);
    this.fs = fs;
    this.clock = clock;
    const { pid, host } = processIdentity();
    this.owner = `${pid} ${host}`;
  }

  /**
   * Takes the lock, or says another writer holds it. A failure of the lock's own file
   * calls is thrown: the caller decides whether to rotate without it.
   *
   * @returns Whether this writer holds the lock now.
   */
  acquire(): boolean {
    const now = this.clock.now();
    const holder = this.firstLine();
    if (holder !== undefined) {
      // Left by this writer's own failed release: still ours.
      if (holder.startsWith(this.id + " ")) return (this.held = true);
      const [, since, pid, host] = holder.split(" ");
      const stale = now - Number(since) > STALE_LOCK_MS;
      // A holder killed while rotating is known dead at once when it ran on this host.
      if (!stale && !processGone(Number(pid), host ?? "")) return false;
      this.fs.remove(this.lockPath);
    }
    const mine = `${this.id} ${now} ${this.owner}`;
    const handle = this.fs.open(this.lockPath);
    try {
      this.fs.append(handle, mine + "\n");
    } finally {
      this.fs.close(handle);
    }
    this.held = this.firstLine() === mine;
    return this.held;
  }

  /** Gives the lock up (nothing when it is not held). Its failure is thrown. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.fs.remove(this.lockPath);
  }

  /** The lock file's first line, or `undefined` when there is no lock file (or no line yet). */
  private firstLine(): string | undefined {
    let bytes: Uint8Array;
    try {
      bytes = this.fs.readAt
        ? this.fs.readAt(this.lockPath, 0, LINE_BYTES)
        : this.fs.readFile(this.lockPath);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw error;
    }
    const text = new TextDecoder().decode(bytes);
    const end = text.indexOf("\n");
    return end < 0 ? undefined : text.slice(0, end);
  }
}
