/**
 * The file-system edge of the sink: synchronous, so `emit` never awaits, and injectable, so
 * tests run on a fake.
 *
 * @module
 */

/**
 * Every file operation the sink and the reader perform. `H` is the runtime's handle type.
 *
 * Methods throw an `Error` carrying a POSIX-style `code` (`"ENOENT"`, `"ENOSPC"`…) on
 * failure; the sink catches, counts and reports, never the caller.
 *
 * The optional methods are extensions of the original contract: the sink and reader use
 * them when present and fall back when absent, so an `FsOps` written against the first
 * contract keeps working.
 *
 * @example A pass-through that counts appends
 * ```ts
 * import { defaultFsOps, type FsOps } from "@dispatch/journal-sink";
 * const base = defaultFsOps();
 * let appends = 0;
 * const counting: FsOps = { ...base, append(handle, text) { appends++; return base.append(handle, text); } };
 * if (typeof counting.open !== "function" || appends !== 0) throw new Error("unreachable");
 * ```
 */
export interface FsOps<H = unknown> {
  /** Open for append, create if missing, never truncate. */
  open(path: string): H;
  /**
   * Write all of `text` as UTF-8 in as few calls as the OS allows (loop on short writes),
   * or throw. Returns the bytes written.
   */
  append(handle: H, text: string): number;
  /** Make everything appended through `handle` durable. */
  fsync(handle: H): void;
  /** Release the handle. */
  close(handle: H): void;
  /** Atomically replace `to` with `from`. */
  rename(from: string, to: string): void;
  /** Delete a file; no error if it is missing. */
  remove(path: string): void;
  /** Size in bytes; 0 if missing. */
  size(path: string): number;
  /** The whole file; throws (code `ENOENT`) if missing. */
  readFile(path: string): Uint8Array;
  /** Make renames, creates and removes in `dir` durable where the OS allows. */
  syncDir?(dir: string): void;
  /** Create `dir` and its missing parents; no error if it exists. */
  mkdir?(dir: string): void;
  /**
   * Up to `length` bytes of `path` starting at byte `offset` (fewer at the end of the file,
   * none past it); throws (code `ENOENT`) if missing. Lets the reader stream large files.
   */
  readAt?(path: string, offset: number, length: number): Uint8Array;
  /** Whether `path` exists. */
  exists?(path: string): boolean;
  /**
   * Size, identity and modification time of `path`, or `undefined` if it is missing. Lets
   * the sink notice that its file was renamed or removed (external rotation) and judge a
   * rotated generation's age (`maxAgeMs`).
   */
  stat?(path: string): FileStat | undefined;
  /**
   * The same facts for the file an open handle refers to, wherever it has been renamed:
   * compared with {@linkcode FsOps.stat} of the path, it tells whether the path still names
   * the sink's file, and its size reveals a `copytruncate`.
   */
  statHandle?(handle: H): FileStat;
  /**
   * Write all of `bytes` (binary data: a compressed generation) through `handle`, looping
   * on short writes, or throw. Returns the bytes written.
   */
  appendBytes?(handle: H, bytes: Uint8Array): number;
}

/**
 * What {@linkcode FsOps.stat} and {@linkcode FsOps.statHandle} report.
 *
 * @example
 * ```ts
 * import type { FileStat } from "@dispatch/journal-sink";
 * const stat: FileStat = { size: 120, ino: 4242, mtimeMs: 1_700_000_000_000 };
 * if (stat.size !== 120) throw new Error("unreachable");
 * ```
 */
export interface FileStat {
  /** Bytes in the file. */
  size: number;
  /**
   * The file's identity (its inode number): it survives renames and changes when the path
   * is given to a new file. 0 where the platform has none.
   */
  ino: number;
  /** Last modification, in milliseconds since the Unix epoch. */
  mtimeMs: number;
}

/** Linux errno numbers of the failures a journal meets, for errors that carry no `code`. */
const ERRNO_NAMES: Record<string, string> = {
  "2": "ENOENT",
  "5": "EIO",
  "9": "EBADF",
  "13": "EACCES",
  "24": "EMFILE",
  "27": "EFBIG",
  "28": "ENOSPC",
  "30": "EROFS",
  "122": "EDQUOT",
};

/**
 * The `code` of a file-system error (`"ENOSPC"`, `"EIO"`…), or `"UNKNOWN"`. A permission
 * Deno was not granted (`--allow-read`, `--allow-write` missing: a `NotCapable` error) is
 * `"ENOTCAPABLE"`; an OS permission failure is `"EACCES"` or `"EPERM"` on every runtime.
 *
 * @param error Whatever an `FsOps` method threw.
 * @returns The POSIX-style code.
 *
 * @example Reading the code of a thrown error
 * ```ts
 * import { errorCode } from "./fs_ops.ts";
 * const error = Object.assign(new Error("no space"), { code: "ENOSPC" });
 * if (errorCode(error) !== "ENOSPC") throw new Error("wrong code");
 * if (errorCode("boom") !== "UNKNOWN") throw new Error("wrong fallback");
 * ```
 */
export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    // Deno: a permission the process was not granted (`--allow-write` missing) is a
    // NotCapable error (PermissionDenied before Deno 2), with no code of its own.
    const name = (error as { name?: unknown }).name;
    if (name === "NotCapable") return "ENOTCAPABLE";
    if (name === "PermissionDenied") return "EACCES";
    // Deno leaves `code` off some errors (EFBIG): read the errno from "(os error 27)".
    const errno = /\(os error (\d+)\)/.exec(String((error as { message?: unknown }).message));
    if (errno && ERRNO_NAMES[errno[1]]) return ERRNO_NAMES[errno[1]];
  }
  return "UNKNOWN";
}

/**
 * The directory part of a path (`"."` for a bare file name), for either separator.
 *
 * @param path A file path.
 * @returns Its parent directory.
 *
 * @example
 * ```ts
 * import { parentDir } from "./fs_ops.ts";
 * if (parentDir("/var/log/app.jsonl") !== "/var/log") throw new Error("wrong dir");
 * if (parentDir("app.jsonl") !== ".") throw new Error("wrong bare dir");
 * ```
 */
export function parentDir(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return ".";
  if (cut === 0) return path.slice(0, 1);
  return path.slice(0, cut);
}
