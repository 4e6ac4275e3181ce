/**
 * The Node.js adapter.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { appendString, createNodeStyleFs, nodeFsModule } from "./node_style.ts";

/**
 * `FsOps` on `node:fs`. Appends hand the string to `fs.writeSync`, which encodes it in
 * native code; that beat encoding to bytes in JavaScript first (see bench/RESULTS.md).
 *
 * @example Appending to a temporary file
 * ```ts
 * import { nodeFs } from "@dispatch/journal-sink";
 * if (typeof nodeFs.append !== "function") throw new Error("incomplete adapter");
 * ```
 */
export const nodeFs: FsOps<number> = createNodeStyleFs(nodeFsModule, appendString);
