/**
 * An `FsOps` with its optional probes filled in once, so the code that uses it asks
 * `fs.exists(path)` or `fs.stat(path)` instead of branching on which methods exist.
 *
 * @module
 */

import { errorCode, type FileStat, type FsOps } from "./fs_ops.ts";

/** An {@linkcode FsOps} whose probing methods are always there. */
export interface CompleteFs<H = unknown> extends FsOps<H> {
  exists(path: string): boolean;
  /** As `FsOps.stat`; filled in with `ino: 0` and `mtimeMs: NaN` (unknown) when missing. */
  stat(path: string): FileStat | undefined;
  /** As `FsOps.syncDir`; a no-op when the `FsOps` cannot sync a directory. */
  syncDir(dir: string): void;
}

const completed = new WeakMap<object, CompleteFs>();

/**
 * `fs` with `exists`, `stat` and `syncDir` guaranteed. An `FsOps` that has them all (every
 * adapter, the fake) is returned as it is, so the write path pays nothing; otherwise a
 * wrapper inherits its methods and adds the missing ones, made once per `FsOps`.
 *
 * - `exists`: else a non-zero `size`, else a zero-length read that throws `ENOENT` for a
 *   missing file.
 * - `stat`: else `exists` plus `size`, identity and age unknown.
 *
 * @param fs The file system as given.
 * @returns The same file system, complete.
 */
export function completeFs<H>(fs: FsOps<H>): CompleteFs<H> {
  if (fs.exists && fs.stat && fs.syncDir) return fs as CompleteFs<H>;
  const known = completed.get(fs);
  if (known) return known as CompleteFs<H>;
  const complete = Object.create(fs) as CompleteFs<H>;
  if (!fs.exists) {
    complete.exists = (path) => {
      if (fs.size(path) > 0) return true;
      try {
        if (fs.readAt) fs.readAt(path, 0, 0);
        else fs.readFile(path);
        return true;
      } catch (error) {
        if (errorCode(error) === "ENOENT") return false;
        throw error;
      }
    };
  }
  if (!fs.stat) {
    complete.stat = (path) =>
      complete.exists(path) ? { size: fs.size(path), ino: 0, mtimeMs: NaN } : undefined;
  }
  if (!fs.syncDir) complete.syncDir = () => {};
  completed.set(fs, complete as CompleteFs);
  return complete;
}
