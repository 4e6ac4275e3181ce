/**
 * An in-memory {@linkcode FsOps} with fault injection and power-loss simulation, so that
 * hosts can test what their journal keeps when the disk fills, fails or loses power.
 *
 * @module
 */

import { type FileStat, type FsOps, parentDir } from "../fs_ops.ts";

/**
 * The fake file system returned by {@linkcode createFakeFs}. Handles are numbers.
 *
 * Durability model (strict, like ext4 without `auto_da_alloc` luck): file contents
 * survive {@linkcode FakeFs.crash} only up to the last `fsync` of a handle on that file;
 * a create, rename or remove survives only if `syncDir` of its directory ran after it.
 * Directories made by `mkdir` are durable at once. An open handle keeps writing to its
 * file after the file is renamed or removed, as on POSIX.
 *
 * @example Checking what a crash keeps
 * ```ts
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const handle = fs.open("app.jsonl");
 * fs.append(handle, "kept\n");
 * fs.fsync(handle);
 * fs.syncDir(".");
 * fs.append(handle, "lost\n");
 * fs.crash();
 * if (fs.text("app.jsonl") !== "kept\n") throw new Error("crash kept unsynced bytes");
 * ```
 */
export interface FakeFs extends FsOps<number> {
  /** The file's bytes as UTF-8; `""` if missing. */
  text(path: string): string;
  /** Whether a file (not a directory) is present at `path`. */
  exists(path: string): boolean;
  /** Every file present, sorted. */
  paths(): string[];
  /**
   * The next `times` calls of `method` (default: every call until cleared) throw an
   * `Error` whose `code` is `code` (e.g. `"ENOSPC"`, `"EIO"`, `"EACCES"`).
   */
  fail(method: keyof FsOps, code: string, times?: number): void;
  /** Disk full: appends past `bytes` stored in total write what still fits, then throw ENOSPC. */
  diskFull(bytes: number): void;
  /** Remove every injected fault and the disk limit. */
  clearFaults(): void;
  /** How many times each method was called, failed calls included. */
  readonly calls: Record<string, number>;
  /**
   * Power loss: every file keeps only what an fsync made durable; a rename, create or
   * remove survives only if a later syncDir of its directory made it durable. Open
   * handles die; the same FakeFs then serves a restarted process.
   */
  crash(): void;
  /** Create `dir` and its parents (durable at once). */
  mkdir(dir: string): void;
  /** Make the directory entries of `dir` durable. */
  syncDir(dir: string): void;
  /** Read up to `length` bytes of `path` from `offset`. */
  readAt(path: string, offset: number, length: number): Uint8Array;
  /** Remove a directory and every file below it, as an operator's `rm -r` would. */
  removeDir(dir: string): void;
  /** Cut a file to `size` bytes, as `logrotate`'s copytruncate does. */
  truncate(path: string, size: number): void;
  /** Size, identity (a number per file) and modification time; `undefined` if missing. */
  stat(path: string): FileStat | undefined;
  /** The same facts for the file behind an open handle, wherever it was renamed. */
  statHandle(handle: number): FileStat;
  /** Append binary data through a handle. */
  appendBytes(handle: number, bytes: Uint8Array): number;
}

interface Inode {
  data: Uint8Array;
  length: number;
  durableLength: number;
  ino: number;
  mtimeMs: number;
}

interface FaultRule {
  method: string;
  code: string;
  remaining: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fsError(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

function isUnder(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/**
 * Create an empty in-memory file system. `"."` and `"/"` exist from the start.
 *
 * @param options `clock`: where modification times (`stat().mtimeMs`) come from; pass the
 * sink's clock so that age-based retention and time rotation see one timeline. Defaults to
 * `Date.now`.
 * @returns A fresh {@linkcode FakeFs}.
 *
 * @example Injecting a full disk
 * ```ts
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * fs.diskFull(4);
 * const handle = fs.open("a.log");
 * let code = "";
 * try {
 *   fs.append(handle, "123456\n");
 * } catch (error) {
 *   code = (error as { code: string }).code;
 * }
 * if (code !== "ENOSPC" || fs.text("a.log") !== "1234") throw new Error("disk limit ignored");
 * ```
 */
export function createFakeFs(options: { clock?: { now(): number } } = {}): FakeFs {
  const clock = options.clock ?? { now: Date.now };
  let nextIno = 1;
  const inodes = new Set<Inode>();
  let live = new Map<string, Inode>();
  let durable = new Map<string, Inode>();
  const dirs = new Set<string>([".", "/"]);
  let handles = new Map<number, Inode>();
  let nextHandle = 3;
  let rules: FaultRule[] = [];
  let capacity = Infinity;
  const calls: Record<string, number> = {};

  function enter(method: string, what: string): void {
    calls[method] = (calls[method] ?? 0) + 1;
    for (const rule of rules) {
      if (rule.method === method && rule.remaining > 0) {
        rule.remaining--;
        throw fsError(rule.code, `${method} ${what}`);
      }
    }
  }

  function dirExists(dir: string): boolean {
    if (dirs.has(dir)) return true;
    for (const path of live.keys()) if (isUnder(path, dir)) return true;
    return false;
  }

  function used(): number {
    let total = 0;
    for (const inode of inodes) total += inode.length;
    return total;
  }

  function collect(): void {
    const reachable = new Set<Inode>([...live.values(), ...handles.values(), ...durable.values()]);
    for (const inode of inodes) if (!reachable.has(inode)) inodes.delete(inode);
  }

  function fileAt(method: string, path: string): Inode {
    const inode = live.get(path);
    if (!inode) throw fsError("ENOENT", `${method} ${path}`);
    return inode;
  }

  function handleAt(method: string, handle: number): Inode {
    const inode = handles.get(handle);
    if (!inode) throw fsError("EBADF", `${method} ${handle}`);
    return inode;
  }

  function grow(inode: Inode, bytes: Uint8Array): void {
    const needed = inode.length + bytes.length;
    if (needed > inode.data.length) {
      const next = new Uint8Array(Math.max(needed, inode.data.length * 2, 64));
      next.set(inode.data.subarray(0, inode.length));
      inode.data = next;
    }
    inode.data.set(bytes, inode.length);
    inode.length = needed;
    inode.mtimeMs = clock.now();
  }

  function statOf(inode: Inode): FileStat {
    return { size: inode.length, ino: inode.ino, mtimeMs: inode.mtimeMs };
  }

  function appendEncoded(handle: number, bytes: Uint8Array): number {
    const inode = handleAt("append", handle);
    const room = capacity - used();
    if (bytes.length > room) {
      grow(inode, bytes.subarray(0, Math.max(0, room)));
      throw fsError("ENOSPC", `append ${handle}`);
    }
    grow(inode, bytes);
    return bytes.length;
  }

  const fake: FakeFs = {
    calls,
    open(path) {
      enter("open", path);
      let inode = live.get(path);
      if (!inode) {
        if (dirs.has(path)) throw fsError("EISDIR", `open ${path}`);
        if (!dirExists(parentDir(path))) throw fsError("ENOENT", `open ${path}`);
        inode = {
          data: new Uint8Array(0),
          length: 0,
          durableLength: 0,
          ino: nextIno++,
          mtimeMs: clock.now(),
        };
        inodes.add(inode);
        live.set(path, inode);
      }
      const handle = nextHandle++;
      handles.set(handle, inode);
      return handle;
    },
    append(handle, text) {
      enter("append", String(handle));
      return appendEncoded(handle, encoder.encode(text));
    },
    appendBytes(handle, bytes) {
      enter("appendBytes", String(handle));
      return appendEncoded(handle, bytes);
    },
    stat(path) {
      enter("stat", path);
      const inode = live.get(path);
      return inode ? statOf(inode) : undefined;
    },
    statHandle(handle) {
      enter("statHandle", String(handle));
      return statOf(handleAt("statHandle", handle));
    },
    fsync(handle) {
      enter("fsync", String(handle));
      const inode = handleAt("fsync", handle);
      inode.durableLength = inode.length;
    },
    close(handle) {
      enter("close", String(handle));
      handleAt("close", handle);
      handles.delete(handle);
      collect();
    },
    rename(from, to) {
      enter("rename", `${from} -> ${to}`);
      const inode = fileAt("rename", from);
      if (!dirExists(parentDir(to))) throw fsError("ENOENT", `rename ${from} -> ${to}`);
      live.delete(from);
      live.set(to, inode);
      collect();
    },
    remove(path) {
      enter("remove", path);
      live.delete(path);
      collect();
    },
    size(path) {
      enter("size", path);
      return live.get(path)?.length ?? 0;
    },
    readFile(path) {
      enter("readFile", path);
      const inode = fileAt("readFile", path);
      return inode.data.slice(0, inode.length);
    },
    readAt(path, offset, length) {
      enter("readAt", path);
      const inode = fileAt("readAt", path);
      const start = Math.min(offset, inode.length);
      return inode.data.slice(start, Math.min(inode.length, start + length));
    },
    exists(path) {
      return live.has(path);
    },
    syncDir(dir) {
      enter("syncDir", dir);
      if (!dirExists(dir)) throw fsError("ENOENT", `syncDir ${dir}`);
      for (const path of [...durable.keys()]) {
        if (parentDir(path) === dir && !live.has(path)) durable.delete(path);
      }
      for (const [path, inode] of live) if (parentDir(path) === dir) durable.set(path, inode);
      collect();
    },
    mkdir(dir) {
      enter("mkdir", dir);
      if (live.has(dir)) throw fsError("EEXIST", `mkdir ${dir}`);
      for (let d = dir; !dirs.has(d); d = parentDir(d)) dirs.add(d);
    },
    removeDir(dir) {
      for (const d of [...dirs]) if (d === dir || isUnder(d, dir)) dirs.delete(d);
      for (const path of [...live.keys()]) if (isUnder(path, dir)) live.delete(path);
      for (const path of [...durable.keys()]) if (isUnder(path, dir)) durable.delete(path);
      collect();
    },
    truncate(path, size) {
      const inode = fileAt("truncate", path);
      inode.length = Math.min(inode.length, size);
      inode.durableLength = Math.min(inode.durableLength, inode.length);
      inode.mtimeMs = clock.now();
    },
    text(path) {
      const inode = live.get(path);
      return inode ? decoder.decode(inode.data.subarray(0, inode.length)) : "";
    },
    paths() {
      return [...live.keys()].sort();
    },
    fail(method, code, times = Infinity) {
      rules.push({ method, code, remaining: times });
    },
    diskFull(bytes) {
      capacity = bytes;
    },
    clearFaults() {
      rules = [];
      capacity = Infinity;
    },
    crash() {
      handles = new Map();
      live = new Map(durable);
      durable = new Map(durable);
      for (const inode of live.values()) inode.length = inode.durableLength;
      collect();
    },
  };
  return fake;
}
