/**
 * Picks the adapter for the running runtime.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { bunFs } from "./bun.ts";
import { denoFs } from "./deno.ts";
import { nodeFs } from "./node.ts";
import { runtimeName } from "../runtime/runtime.ts";

/**
 * The `FsOps` of the running runtime: {@linkcode denoFs} on Deno, {@linkcode bunFs} on
 * Bun, {@linkcode nodeFs} elsewhere.
 *
 * @returns The adapter.
 *
 * @example
 * ```ts
 * import { defaultFsOps, denoFs } from "@dispatch/journal-sink";
 * if ("Deno" in globalThis && defaultFsOps() !== denoFs) throw new Error("wrong adapter");
 * ```
 */
export function defaultFsOps(): FsOps {
  if (runtimeName === "deno") return denoFs as FsOps;
  if (runtimeName === "bun") return bunFs as FsOps;
  return nodeFs as FsOps;
}
