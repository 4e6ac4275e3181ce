/**
 * Finding a journal's generations on disk: the live file and every rotated one, plain or
 * gzip-compressed, in the order they were written.
 *
 * @module
 */

import { errorCode, type FsOps } from "./fs_ops.ts";
import { rotatedPath } from "./naming.ts";
import { generationPath } from "./rotation.ts";

/**
 * One file of a journal.
 *
 * @example
 * ```ts
 * import type { Generation } from "./generations.ts";
 * const live: Generation = { path: "app.jsonl", n: 0, gzip: false };
 * if (live.n !== 0) throw new Error("unreachable");
 * ```
 */
export interface Generation {
  /** Where the file is. */
  path: string;
  /** 0 for the live file, 1 for the newest rotated one, N for the oldest. */
  n: number;
  /** Whether the file is gzip-compressed (`path.N.gz`). */
  gzip: boolean;
}

/**
 * The path of generation `n` of the journal at `path` (uncompressed): `path` for 0,
 * `path.n` otherwise. Every name the reader derives goes through here.
 *
 * @param path The live journal's path.
 * @param n The generation number.
 * @returns Where that generation sits on disk.
 *
 * @example
 * ```ts
 * import { generationFile } from "./generations.ts";
 * if (generationFile("a.log", 2) !== "a.log.2") throw new Error("wrong name");
 * ```
 */
export function generationFile(path: string, n: number): string {
  return generationPath(path, n);
}

/**
 * How many missing generation numbers in a row end the search. Rotation shifts every
 * generation up by one, so numbers are normally contiguous; a crash between two renames
 * whose directory was never synced can leave a hole, and this bridges small ones.
 */
const MAX_GAP = 4;

/**
 * Whether `path` is present, through whatever the `FsOps` offers: `exists`, else a
 * non-zero `size`, else a zero-length read that throws `ENOENT` for a missing file.
 */
export function fileExists(fs: FsOps, path: string): boolean {
  if (fs.exists) return fs.exists(path);
  if (fs.size(path) > 0) return true;
  try {
    if (fs.readAt) fs.readAt(path, 0, 0);
    else fs.readFile(path);
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw error;
  }
}

/**
 * Every generation of the journal at `path`, oldest first: `path.N` … `path.1`, then
 * `path`. Both naming schemes are recognised: `app.log.N` and, for a path with an
 * extension, `app.N.log` (`naming: "before-ext"`). For each number the plain file is
 * preferred and the `.gz` one is taken when only it exists. The search probes upwards from 1 and stops after a few missing numbers in a
 * row, so a small hole left by a crash mid-rotation does not hide older generations.
 *
 * This is the one place that knows how generations are named on disk.
 *
 * @param path The live journal's path.
 * @param fs The file system to probe.
 * @returns The generations that exist, oldest first; empty when there are none.
 *
 * @example Oldest first, compressed ones included
 * ```ts
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * import { journalGenerations } from "./generations.ts";
 * const fs = createFakeFs();
 * for (const name of ["a.log", "a.log.1", "a.log.2.gz"]) fs.close(fs.open(name));
 * const found = journalGenerations("a.log", fs).map((g) => g.path);
 * if (found.join(",") !== "a.log.2.gz,a.log.1,a.log") throw new Error(found.join(","));
 * ```
 */
export function journalGenerations(path: string, fs: FsOps): Generation[] {
  const rotated: Generation[] = [];
  let gap = 0;
  for (let n = 1; gap < MAX_GAP; n++) {
    // Both naming schemes: `path.n` ("suffix") and the extension kept last ("before-ext").
    const suffix = generationFile(path, n);
    const beforeExt = rotatedPath(path, n, "before-ext");
    const names = beforeExt === suffix ? [suffix] : [suffix, beforeExt];
    const plain = names.map((name) => ({ name, gzip: false }));
    const candidates = [...plain, ...names.map((name) => ({ name: `${name}.gz`, gzip: true }))];
    const found = candidates.find((candidate) => fileExists(fs, candidate.name));
    if (found) {
      rotated.push({ path: found.name, n, gzip: found.gzip });
      gap = 0;
    } else {
      gap++;
    }
  }
  rotated.reverse();
  if (fileExists(fs, path)) rotated.push({ path, n: 0, gzip: false });
  return rotated;
}
