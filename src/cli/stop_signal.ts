/**
 * What stops a following command (`tail -f`, `collect`, `export`): the caller's signal,
 * or the first SIGINT or SIGTERM.
 *
 * @module
 */

import type { CliIo } from "./io.ts";
import { builtinModule, currentProcess } from "../runtime/runtime.ts";

/**
 * The signal that stops a following command: the caller's, or one aborted by the first
 * SIGINT or SIGTERM (the handlers are removed by the returned `release`).
 *
 * @param io The CLI's I/O, whose `signal` wins when given.
 * @returns The signal and the function that removes the handlers.
 */
export function stopSignal(io: CliIo): { signal: AbortSignal; release: () => void } {
  if (io.signal) return { signal: io.signal, release: () => {} };
  const controller = new AbortController();
  const stop = () => controller.abort();
  const proc = currentProcess();
  proc?.on("SIGINT", stop);
  proc?.on("SIGTERM", stop);
  return {
    signal: controller.signal,
    release: () => {
      proc?.removeListener("SIGINT", stop);
      proc?.removeListener("SIGTERM", stop);
    },
  };
}

/**
 * `path` made absolute against the working directory, so `collect app.jsonl` and
 * `collect ./app.jsonl` keep the same read position.
 *
 * @param path The path as given.
 * @returns The absolute path (the path unchanged where `node:path` is unavailable).
 */
export function absolutePath(path: string): string {
  try {
    return builtinModule<{ resolve(...paths: string[]): string }>("node:path").resolve(path);
  } catch {
    return path;
  }
}
