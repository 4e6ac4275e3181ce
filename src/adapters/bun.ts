/**
 * The Bun adapter.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { appendString, createNodeStyleFs, nodeFsModule } from "./node_style.ts";

/**
 * `FsOps` for Bun. Bun has no synchronous append of its own (`Bun.write` replaces a file
 * and returns a promise), and its `node:fs` is native code: `writeSync` with the string
 * measured fastest (see bench/RESULTS.md).
 *
 * @example
 * ```ts
 * import { bunFs } from "@dispatch/journal-sink";
 * if (typeof bunFs.fsync !== "function") throw new Error("incomplete adapter");
 * ```
 */
export const bunFs: FsOps<number> = createNodeStyleFs(nodeFsModule, appendString);
