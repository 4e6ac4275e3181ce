/**
 * One collector per store. Two collectors filling one store would each read the journal
 * from the positions they loaded and store every record twice, so a collector holds a lock
 * file beside the store (`traces.db.lock`), created exclusively and naming its holder (pid,
 * host, start). A second collector is refused with that name. A lock left behind by a
 * collector that died without releasing it (SIGKILL, power loss) is taken over once its pid
 * is gone from this host; a holder on another host is taken at its word.
 *
 * @module
 */

import { errorCode } from "../fs_ops.ts";
import { builtinModule, currentProcess, processGone, processIdentity } from "../runtime/runtime.ts";

/** The `node:fs` calls the lock needs (Deno, Node and Bun have them). */
interface LockFs {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, text: string): number;
  closeSync(fd: number): void;
  readFileSync(path: string, encoding: "utf8"): string;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, path: string): void;
  unlinkSync(path: string): void;
  statSync(path: string): { mtimeMs: number };
}

/** Who holds a store's lock, as its lock file says. */
export interface LockHolder {
  /** The collector's process id. */
  pid: number;
  /** The host it runs on. */
  host: string;
  /** When it took the lock, ms since the epoch. */
  sinceMs: number;
}

/**
 * Thrown by {@linkcode lockStore} when another collector fills the store.
 *
 * @example
 * ```ts
 * import { StoreLockedError } from "./collector_lock.ts";
 * const error = new StoreLockedError("t.db", "t.db.lock", { pid: 7, host: "h", sinceMs: 0 });
 * if (!error.message.includes("pid 7")) throw new Error(error.message);
 * ```
 */
export class StoreLockedError extends Error {
  /** Always `ESTORELOCKED`. */
  readonly code = "ESTORELOCKED";
  /** Who holds it; `undefined` when its lock file cannot be read. */
  readonly holder: LockHolder | undefined;
  /** The lock file. */
  readonly lockPath: string;

  /**
   * @param store The store's path.
   * @param lockPath Its lock file.
   * @param holder Who holds it, when known.
   */
  constructor(store: string, lockPath: string, holder: LockHolder | undefined) {
    const who = holder === undefined
      ? "another collector"
      : `another collector (pid ${holder.pid} on ${holder.host}, since ${
        new Date(holder.sinceMs).toISOString()
      })`;
    super(
      `${store} is being filled by ${who}: stop it first, or delete ${lockPath} if it is gone`,
    );
    this.name = "StoreLockedError";
    this.holder = holder;
    this.lockPath = lockPath;
  }
}

/** A lock file not yet holding its holder's line is being written: so young, it is held. */
const WRITING_MS = 5_000;

/** Lock files this process holds: a pid of ours in one of the others is a reused pid. */
const held = new Set<string>();

function lockFs(): LockFs {
  return builtinModule<LockFs>("node:fs");
}

/** Creates `path` holding `text` if no file is there; false when one is. */
function createExclusive(fs: LockFs, path: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, "wx");
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  }
  try {
    fs.writeSync(fd, text);
  } catch (error) {
    // A full disk: leave no empty lock file behind, and say which file could not be written.
    fs.closeSync(fd);
    fs.unlinkSync(path);
    const failure = new Error(
      `cannot write the collector's lock ${path}: ${(error as Error).message}`,
      { cause: error },
    ) as Error & { code: string };
    failure.code = errorCode(error);
    throw failure;
  }
  fs.closeSync(fd);
  return true;
}

/** The lock file's holder; `undefined` when missing, unreadable or not a holder line. */
function readHolder(fs: LockFs, path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(path, "utf8")) as Partial<LockHolder>;
    if (
      typeof holder.pid === "number" && typeof holder.host === "string" &&
      typeof holder.sinceMs === "number"
    ) return holder as LockHolder;
  } catch {
    // Missing, or not written yet.
  }
  return undefined;
}

/** Whether the holder may still run: only a pid gone from this host says no. */
function mayRun(fs: LockFs, path: string, holder: LockHolder | undefined): boolean {
  if (holder === undefined) {
    try {
      return Date.now() - fs.statSync(path).mtimeMs < WRITING_MS;
    } catch {
      return false; // gone already
    }
  }
  const me = processIdentity();
  if (holder.host === me.host && holder.pid === me.pid) return held.has(path);
  return !processGone(holder.pid, holder.host);
}

/**
 * Takes over the lock file of a holder that is gone: renamed away first, and put back if
 * what was renamed is not the file judged (another collector took it over meanwhile).
 */
function takeOver(fs: LockFs, path: string, judged: LockHolder | undefined): void {
  const aside = `${path}.${currentProcess()?.pid ?? 0}-${Date.now()}.stale`;
  try {
    fs.renameSync(path, aside);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return;
    throw error;
  }
  if (JSON.stringify(readHolder(fs, aside)) !== JSON.stringify(judged)) {
    try {
      fs.linkSync(aside, path);
    } catch {
      // Another collector's file is in place: it holds the lock either way.
    }
  }
  fs.unlinkSync(aside);
}

/** A held store lock. */
export interface StoreLock {
  /** Deletes the lock file (once). */
  release(): void;
}

/**
 * Takes the collector's lock of the store at `store`: the file `<store>.lock`.
 *
 * @param store The store's database file.
 * @returns The lock; release it when the collector stops.
 * @throws {StoreLockedError} When another collector, alive or of unknown state, holds it.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { lockStore, StoreLockedError } from "./collector_lock.ts";
 * const dir = mkdtempSync(`${tmpdir()}/lock-`);
 * const lock = lockStore(`${dir}/t.db`);
 * let refused = false;
 * try {
 *   lockStore(`${dir}/t.db`);
 * } catch (error) {
 *   refused = error instanceof StoreLockedError;
 * }
 * lock.release();
 * lockStore(`${dir}/t.db`).release();
 * if (!refused) throw new Error("a second collector was let in");
 * ```
 */
export function lockStore(store: string): StoreLock {
  const fs = lockFs();
  const path = `${store}.lock`;
  const me: LockHolder = {
    pid: currentProcess()?.pid ?? 0,
    host: processIdentity().host,
    sinceMs: Date.now(),
  };
  for (let tries = 0;; tries++) {
    if (createExclusive(fs, path, `${JSON.stringify(me)}\n`)) break;
    const holder = readHolder(fs, path);
    if (tries === 2 || mayRun(fs, path, holder)) {
      throw new StoreLockedError(store, path, holder);
    }
    takeOver(fs, path, holder);
  }
  held.add(path);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      held.delete(path);
      // Deleted by hand and taken by another collector since: that one is not ours.
      if (JSON.stringify(readHolder(fs, path)) !== JSON.stringify(me)) return;
      try {
        fs.unlinkSync(path);
      } catch {
        // Deleted by hand meanwhile: nothing to release.
      }
    },
  };
}
