/**
 * How rotated generations are named on disk, free of I/O: one place decides the names the
 * sink writes and the reader and retention look for.
 *
 * @module
 */

/**
 * The naming scheme of rotated generations.
 *
 * - `"suffix"`: the number goes after the whole name: `app.log.1`, `app.log.2.gz`. This is
 *   what `logrotate` (without `dateext`) produces, so both can share one journal.
 * - `"before-ext"`: the number goes before the extension, which stays last: `app.1.log`,
 *   `app.2.log.gz`, for tools that pick files by extension. A name without an extension
 *   (`app`, `.hidden`) falls back to `"suffix"`.
 *
 * @example
 * ```ts
 * import type { Naming } from "@dispatch/journal-sink";
 * const naming: Naming = "before-ext";
 * if (naming !== "before-ext") throw new Error("unreachable");
 * ```
 */
export type Naming = "suffix" | "before-ext";

/** Every scheme, for validating options and for readers that probe all of them. */
export const NAMINGS: readonly Naming[] = ["suffix", "before-ext"];

/** Where the extension of `path`'s last component starts, or -1 when it has none. */
function extensionStart(path: string): number {
  const base = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1;
  const dot = path.lastIndexOf(".");
  return dot > base ? dot : -1;
}

/**
 * The path of generation `n` of the journal at `path`: `path` itself for 0; for a rotated
 * generation the number placed as `naming` says, and `.gz` appended when compressed.
 *
 * @param path The live journal's path.
 * @param n The generation: 0 for the live file, 1 for the newest rotated one.
 * @param naming The scheme.
 * @param gzip Whether to name the compressed file.
 * @returns The generation's path.
 *
 * @example Both schemes, plain and compressed
 * ```ts
 * import { rotatedPath } from "./naming.ts";
 * if (rotatedPath("logs/app.log", 1) !== "logs/app.log.1") throw new Error("suffix");
 * if (rotatedPath("logs/app.log", 2, "before-ext", true) !== "logs/app.2.log.gz") {
 *   throw new Error("before-ext");
 * }
 * if (rotatedPath("logs/app", 1, "before-ext") !== "logs/app.1") throw new Error("no ext");
 * ```
 */
export function rotatedPath(
  path: string,
  n: number,
  naming: Naming = "suffix",
  gzip = false,
): string {
  if (n === 0) return path;
  const gz = gzip ? ".gz" : "";
  const dot = naming === "before-ext" ? extensionStart(path) : -1;
  if (dot < 0) return `${path}.${n}${gz}`;
  return `${path.slice(0, dot)}.${n}${path.slice(dot)}${gz}`;
}

/**
 * Where a compressed generation is written before it is complete. The name matches no
 * generation, so a reader never takes a half-written file for one; renaming it into place
 * is what makes the compressed generation appear, whole.
 *
 * @param path The live journal's path.
 * @returns The temporary file's path.
 *
 * @example
 * ```ts
 * import { compressionTempPath } from "./naming.ts";
 * if (compressionTempPath("app.log") !== "app.log.gz.tmp") throw new Error("wrong name");
 * ```
 */
export function compressionTempPath(path: string): string {
  return `${path}.gz.tmp`;
}

/**
 * The lock file a writer holds while it rotates the journal, so that two processes writing
 * one journal never shift its generations at once. Its name matches no generation.
 *
 * @param path The live journal's path.
 * @returns The lock file's path.
 *
 * @example
 * ```ts
 * import { rotationLockPath } from "./naming.ts";
 * if (rotationLockPath("app.log") !== "app.log.lock") throw new Error("wrong name");
 * ```
 */
export function rotationLockPath(path: string): string {
  return `${path}.lock`;
}
