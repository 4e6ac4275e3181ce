/**
 * What stops a following command (`tail -f`, `collect`, `export`): the caller's signal,
 * or the first SIGINT or SIGTERM.
 *
 * @module
 */

import type { CliIo } from "./io.ts";

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
  const proc = (globalThis as {
    process?: {
      on?(event: string, listener: () => void): void;
      off?(event: string, listener: () => void): void;
    };
  }).process;
  proc?.on?.("SIGINT", stop);
  proc?.on?.("SIGTERM", stop);
  return {
    signal: controller.signal,
    release: () => {
      proc?.off?.("SIGINT", stop);
      proc?.off?.("SIGTERM", stop);
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
  const proc = (globalThis as {
    process?: { getBuiltinModule?(name: string): unknown };
  }).process;
  const nodePath = proc?.getBuiltinModule?.("node:path") as
    | { resolve(...paths: string[]): string }
    | undefined;
  return nodePath ? nodePath.resolve(path) : path;
}
