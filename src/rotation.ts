/**
 * Rotation decisions, free of I/O: when to rotate and which renames a rotation performs.
 *
 * @module
 */

import { type Naming, rotatedPath } from "./naming.ts";
import { utf8Length } from "./utf8_length.ts";

/**
 * What to do with the next line: append it to the current file, or rotate first.
 *
 * @example
 * ```ts
 * import type { WriteDecision } from "./rotation.ts";
 * const decision: WriteDecision = "append";
 * if (decision !== "append") throw new Error("unreachable");
 * ```
 */
export type WriteDecision = "append" | "rotate";

/**
 * Decides whether `line` still fits in a file of `size` bytes capped at `maxBytes`.
 *
 * An empty file always takes the line, so a record larger than `maxBytes` is written whole
 * into a fresh file. The exact UTF-8 length is only computed when the line is near the
 * boundary: `line.length` is a lower bound of its bytes and `3 * line.length` an upper one.
 *
 * @param size Bytes already in the current file.
 * @param line The serialized record, newline included.
 * @param maxBytes The cap on a file's size.
 * @returns `"rotate"` when appending would push the file past `maxBytes`.
 *
 * @example
 * ```ts
 * import { decideWrite } from "./rotation.ts";
 * if (decideWrite(0, "x".repeat(100), 10) !== "append") throw new Error("empty file takes all");
 * if (decideWrite(8, "abc\n", 10) !== "rotate") throw new Error("should rotate");
 * if (decideWrite(6, "abc\n", 10) !== "append") throw new Error("fits exactly");
 * ```
 */
export function decideWrite(size: number, line: string, maxBytes: number): WriteDecision {
  if (size === 0) return "append";
  const room = maxBytes - size;
  if (line.length * 3 <= room) return "append";
  if (line.length > room) return "rotate";
  return utf8Length(line) <= room ? "append" : "rotate";
}

/**
 * One file operation a rotation performs.
 *
 * @example
 * ```ts
 * import type { RotationStep } from "./rotation.ts";
 * const step: RotationStep = { op: "rename", from: "a.jsonl", to: "a.jsonl.1" };
 * if (step.op !== "rename") throw new Error("unreachable");
 * ```
 */
export type RotationStep =
  | { op: "remove"; path: string }
  | { op: "rename"; from: string; to: string };

/**
 * How {@linkcode rotationSteps} names the files it moves.
 *
 * @example
 * ```ts
 * import type { RotationStepsOptions } from "./rotation.ts";
 * const options: RotationStepsOptions = { naming: "before-ext", gzip: true };
 * if (options.naming !== "before-ext") throw new Error("unreachable");
 * ```
 */
export interface RotationStepsOptions {
  /**
   * Where the generation number goes in a rotated file's name.
   * @default {"suffix"}
   */
  naming?: Naming;
  /**
   * Also shift compressed generations (`path.N.gz`): with compression on, a generation
   * may exist plain, compressed, or (for a moment) both.
   * @default {false}
   */
  gzip?: boolean;
  /**
   * The lowest generation number no file holds (neither plain nor `.gz`), found by the
   * caller: a rotation then shifts only the generations below it into it, and removes
   * nothing. Above `maxFiles`, or absent: every kept number is shifted and the oldest goes.
   * This keeps a rotation's steps to the generations that exist, however large `maxFiles`.
   * @default {Infinity}
   */
  firstFree?: number;
}

/**
 * The steps that shift every generation up by one, oldest first so nothing is overwritten:
 * remove `path.maxFiles`, rename `path.(n-1)` to `path.n` … `path` to `path.1`. With
 * `maxFiles` 0 no generation is kept: the live file is removed. With `gzip`, each rotated
 * generation's `.gz` twin is removed or shifted just before its plain file. Given
 * `firstFree` (at most `maxFiles`), only `path.(firstFree-1)` … `path` shift, into the free
 * number: the generations above it keep their numbers and their order.
 *
 * @param path The live journal's path.
 * @param maxFiles Rotated generations to keep.
 * @param options The naming scheme and whether compressed generations exist.
 * @returns The steps, in the order to perform them.
 *
 * @example
 * ```ts
 * import { rotationSteps } from "./rotation.ts";
 * const steps = rotationSteps("a", 2);
 * const expected = [
 *   { op: "remove", path: "a.2" },
 *   { op: "rename", from: "a.1", to: "a.2" },
 *   { op: "rename", from: "a", to: "a.1" },
 * ];
 * if (JSON.stringify(steps) !== JSON.stringify(expected)) throw new Error("wrong steps");
 * ```
 *
 * @example Extension last, compressed generations shifted too
 * ```ts
 * import { rotationSteps } from "./rotation.ts";
 * const steps = rotationSteps("app.log", 1, { naming: "before-ext", gzip: true });
 * const expected = [
 *   { op: "remove", path: "app.1.log.gz" },
 *   { op: "remove", path: "app.1.log" },
 *   { op: "rename", from: "app.log", to: "app.1.log" },
 * ];
 * if (JSON.stringify(steps) !== JSON.stringify(expected)) throw new Error("wrong steps");
 * ```
 *
 * @example Only the generations below the first free number
 * ```ts
 * import { rotationSteps } from "./rotation.ts";
 * const steps = rotationSteps("a", 100_000, { firstFree: 2 });
 * const expected = [
 *   { op: "rename", from: "a.1", to: "a.2" },
 *   { op: "rename", from: "a", to: "a.1" },
 * ];
 * if (JSON.stringify(steps) !== JSON.stringify(expected)) throw new Error("wrong steps");
 * ```
 */
export function rotationSteps(
  path: string,
  maxFiles: number,
  options: RotationStepsOptions = {},
): RotationStep[] {
  if (maxFiles <= 0) return [{ op: "remove", path }];
  const naming = options.naming ?? "suffix";
  const name = (n: number, gzip = false) => rotatedPath(path, n, naming, gzip);
  const steps: RotationStep[] = [];
  const firstFree = options.firstFree ?? Infinity;
  const shiftAll = !(firstFree <= maxFiles);
  const top = shiftAll ? maxFiles : Math.max(1, firstFree);
  if (shiftAll) {
    if (options.gzip) steps.push({ op: "remove", path: name(maxFiles, true) });
    steps.push({ op: "remove", path: name(maxFiles) });
  }
  for (let n = top - 1; n >= 0; n--) {
    if (options.gzip && n > 0) {
      steps.push({ op: "rename", from: name(n, true), to: name(n + 1, true) });
    }
    steps.push({ op: "rename", from: name(n), to: name(n + 1) });
  }
  return steps;
}
