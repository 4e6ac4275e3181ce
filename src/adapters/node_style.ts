import type * as NodeBuffer from "node:buffer";
import type * as NodeFs from "node:fs";
import type { FsOps } from "../fs_ops.ts";
import { builtinModule, isWindows } from "../runtime/runtime.ts";
import { writeAll } from "./write_all.ts";

let cachedFs: typeof NodeFs | undefined;

/** What Node and Bun share: `node:fs`, reached lazily so nothing loads it unless used. */
export function nodeFsModule(): typeof NodeFs {
  if (cachedFs) return cachedFs;
  cachedFs = builtinModule<typeof NodeFs>("node:fs");
  return cachedFs;
}

/**
 * An `FsOps` on `node:fs` file descriptors. `appendText` turns the string into bytes on
 * disk the way the runtime does it fastest (see each adapter).
 */
export function createNodeStyleFs(
  fs: () => typeof NodeFs,
  appendText: (fs: typeof NodeFs, fd: number, text: string) => number,
): FsOps<number> {
  return {
    open: (path) => fs().openSync(path, "a"),
    append: (fd, text) => appendText(fs(), fd, text),
    fsync: (fd) => fs().fsyncSync(fd),
    close: (fd) => fs().closeSync(fd),
    rename: (from, to) => fs().renameSync(from, to),
    remove: (path) => fs().rmSync(path, { force: true }),
    size: (path) => fs().statSync(path, { throwIfNoEntry: false })?.size ?? 0,
    exists: (path) => fs().existsSync(path),
    stat(path) {
      let stat;
      try {
        stat = fs().statSync(path, { throwIfNoEntry: false });
      } catch (error) {
        // A path below a file is as missing as a path below a missing directory.
        if ((error as { code?: string })?.code === "ENOTDIR") return undefined;
        throw error;
      }
      return stat ? { size: stat.size, ino: stat.ino, mtimeMs: stat.mtimeMs } : undefined;
    },
    statHandle(fd) {
      const stat = fs().fstatSync(fd);
      return { size: stat.size, ino: stat.ino, mtimeMs: stat.mtimeMs };
    },
    appendBytes(fd, bytes) {
      const node = fs();
      return writeAll(bytes, 0, bytes.length, (b, o, e) => node.writeSync(fd, b, o, e - o));
    },
    readFile: (path) => fs().readFileSync(path),
    mkdir: (dir) => void fs().mkdirSync(dir, { recursive: true }),
    syncDir(dir) {
      // Windows cannot open a directory for fsync (EPERM); renames there are best effort.
      if (isWindows()) return;
      const node = fs();
      const fd = node.openSync(dir, "r");
      try {
        node.fsyncSync(fd);
      } finally {
        node.closeSync(fd);
      }
    },
    readAt(path, offset, length) {
      const node = fs();
      const fd = node.openSync(path, "r");
      try {
        const buffer = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const read = node.readSync(fd, buffer, filled, length - filled, offset + filled);
          if (read === 0) break;
          filled += read;
        }
        return filled === length ? buffer : buffer.subarray(0, filled);
      } finally {
        node.closeSync(fd);
      }
    },
  };
}

let bufferModule: typeof NodeBuffer | undefined;

/** The UTF-8 length by the runtime's native counter: faster than a regexp or a JS loop. */
function byteLength(text: string): number {
  bufferModule ??= builtinModule<typeof NodeBuffer>("node:buffer");
  return bufferModule.Buffer.byteLength(text, "utf8");
}

/**
 * Writes the string as is, letting the runtime encode it in native code; only a short
 * write (fewer bytes than the text holds) pays for encoding the rest in JavaScript.
 */
export function appendString(fs: typeof NodeFs, fd: number, text: string): number {
  const written = fs.writeSync(fd, text);
  const total = byteLength(text);
  if (written === total) return written;
  const bytes = new TextEncoder().encode(text);
  return writeAll(bytes, written, bytes.length, (b, o, e) => fs.writeSync(fd, b, o, e - o));
}
