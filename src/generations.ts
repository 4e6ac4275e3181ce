/**
 * Finding a journal's generations on disk: the live file and every rotated one, plain or
 * gzip-compressed, under either naming scheme. The one probe loop the writer (retention,
 * compression at start) and the readers share; the names themselves come from
 * `naming.ts`.
 *
 * @module
 */

import { completeFs } from "./complete_fs.ts";
import type { FsOps } from "./fs_ops.ts";
import { type Naming, NAMINGS, rotatedPath } from "./naming.ts";

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

/** A rotated file found on disk, with its age when the `FsOps` can tell (else `NaN`). */
export interface RotatedFile extends Generation {
  /** The scheme its name follows. */
  naming: Naming;
  /** Last modification in ms since the epoch; `NaN` when unknown. */
  mtimeMs: number;
}

/**
 * How many missing generation numbers in a row end the search. Rotation shifts every
 * generation up by one, so numbers are normally contiguous; a crash between two renames
 * whose directory was never synced can leave a hole, and this bridges small ones.
 */
const MAX_GAP = 4;

/**
 * Every rotated file of the journal at `path`, by rising generation number: for each
 * number, every name under `namings`, plain then `.gz`. The search probes upwards from 1
 * and stops after a few missing numbers in a row (or past `limit`).
 *
 * @param path The live journal's path.
 * @param fs The file system to probe.
 * @param namings The schemes to look for (default: all).
 * @param limit The highest number to probe.
 * @returns The files found.
 *
 * @example
 * ```ts
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * import { findRotated } from "./generations.ts";
 * const fs = createFakeFs();
 * for (const name of ["a.log.1", "a.1.log.gz", "a.log.3"]) fs.close(fs.open(name));
 * const found = findRotated("a.log", fs).map((file) => file.path);
 * if (found.join(",") !== "a.log.1,a.1.log.gz,a.log.3") throw new Error(found.join(","));
 * ```
 */
export function findRotated(
  path: string,
  fs: FsOps,
  namings: readonly Naming[] = NAMINGS,
  limit = Infinity,
): RotatedFile[] {
  const complete = completeFs(fs);
  const found: RotatedFile[] = [];
  for (let n = 1, gap = 0; gap < MAX_GAP && n <= limit; n++) {
    const before = found.length;
    for (const gzip of [false, true]) {
      const names = new Set<string>();
      for (const naming of namings) {
        const name = rotatedPath(path, n, naming, gzip);
        if (names.has(name)) continue; // no extension: both schemes give one name
        names.add(name);
        const stat = complete.stat(name);
        if (stat) found.push({ path: name, n, gzip, naming, mtimeMs: stat.mtimeMs });
      }
    }
    gap = found.length > before ? 0 : gap + 1;
  }
  return found;
}

/**
 * The lowest generation number no file of the journal holds, plain or `.gz`, under
 * `naming`: where a rotation can shift the generations below it without touching the
 * others. Probes upwards from 1, so it costs what exists, not `limit`.
 *
 * @param path The live journal's path.
 * @param fs The file system to probe.
 * @param naming The scheme the writer uses.
 * @param limit The highest number worth probing (the generations kept).
 * @returns The free number, or `limit + 1` when 1 … `limit` are all taken.
 *
 * @example
 * ```ts
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * import { firstFreeGeneration } from "./generations.ts";
 * const fs = createFakeFs();
 * for (const name of ["a.log.1", "a.log.2.gz", "a.log.4"]) fs.close(fs.open(name));
 * if (firstFreeGeneration("a.log", fs, "suffix", 100_000) !== 3) throw new Error("not 3");
 * if (firstFreeGeneration("a.log", fs, "suffix", 2) !== 3) throw new Error("not limit + 1");
 * ```
 */
export function firstFreeGeneration(
  path: string,
  fs: FsOps,
  naming: Naming,
  limit: number,
): number {
  const complete = completeFs(fs);
  let n = 1;
  while (
    n <= limit &&
    (complete.exists(rotatedPath(path, n, naming)) ||
      complete.exists(rotatedPath(path, n, naming, true)))
  ) n++;
  return n;
}

/**
 * Every generation of the journal at `path`, oldest first: `path.N` … `path.1`, then
 * `path`, under both naming schemes (`app.log.N`, and `app.N.log` for
 * `naming: "before-ext"`). For each number the plain file is preferred and the `.gz` one
 * is taken when only it exists.
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
  const byNumber = new Map<number, Generation>();
  for (const { path: name, n, gzip } of findRotated(path, fs)) {
    if (!byNumber.has(n)) byNumber.set(n, { path: name, n, gzip });
  }
  const generations = [...byNumber.values()].reverse();
  if (completeFs(fs).exists(path)) generations.push({ path, n: 0, gzip: false });
  return generations;
}
