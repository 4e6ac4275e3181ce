/**
 * The OTLP exporter's state file: one read position per endpoint, so a journal exported to
 * one backend is still exported whole to the next. An endpoint is the set of URLs it sends
 * to (`traces <url>`, `logs <url>`, for the signals that are sent): the protocol and the
 * compression are left out, since they change how a backend is spoken to, not what it
 * already holds.
 *
 * @module
 */

import { errorCode, type FsOps, parentDir } from "../fs_ops.ts";
import { type FilePosition, fromHex, toHex } from "../reader/file_identity.ts";

/** A position as JSON: the identity as hex. */
interface SavedPosition {
  key: string;
  head: string;
  offset: number;
  complete: boolean;
  path: string;
  seenMs: number;
}

/** Version 1 had one list of positions, for whichever endpoint wrote it. */
interface StateV1 {
  version: 1;
  journal: string;
  positions: SavedPosition[];
}

interface StateV2 {
  version: 2;
  journal: string;
  /** Positions by endpoint key ({@linkcode endpointKey}). */
  endpoints: Record<string, SavedPosition[]>;
}

/**
 * The key an endpoint's positions are kept under: the URL of each signal that is sent.
 *
 * @param targets The traces and logs targets as resolved.
 * @returns `traces <url> logs <url>` (only the enabled ones).
 *
 * @example
 * ```ts
 * import { endpointKey } from "./export_positions.ts";
 * const key = endpointKey({
 *   traces: { url: "http://a:4318/v1/traces", enabled: true },
 *   logs: { url: "http://a:4318/v1/logs", enabled: false },
 * });
 * if (key !== "traces http://a:4318/v1/traces") throw new Error(key);
 * ```
 */
export function endpointKey(targets: {
  traces: { url: string; enabled: boolean };
  logs: { url: string; enabled: boolean };
}): string {
  const parts: string[] = [];
  if (targets.traces.enabled) parts.push(`traces ${targets.traces.url}`);
  if (targets.logs.enabled) parts.push(`logs ${targets.logs.url}`);
  return parts.join(" ");
}

function readState(fs: FsOps, statePath: string): StateV1 | StateV2 | undefined {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFile(statePath);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(new TextDecoder().decode(bytes)) as StateV1 | StateV2;
}

const fromSaved = (saved: SavedPosition[]): FilePosition[] =>
  saved.map((p) => ({ ...p, head: fromHex(p.head) }));

/**
 * The positions saved for the endpoint `key`, or none. A state file of version 1 (one list,
 * no endpoint) belongs to the first endpoint that reads it: an exporter upgraded in place
 * goes on exporting to the backend it had, from where it stopped; {@linkcode savePositions}
 * then writes it as version 2 under that endpoint, and every other endpoint starts at the
 * journal's beginning.
 *
 * @param fs The file system.
 * @param statePath The state file.
 * @param key The endpoint ({@linkcode endpointKey}).
 * @returns The positions to resume from (empty: from the start), and whether they came from
 * a version 1 file (to be saved under `key` even if nothing new is read).
 */
export function loadPositions(
  fs: FsOps,
  statePath: string,
  key: string,
): { positions: FilePosition[]; fromVersion1: boolean } {
  const state = readState(fs, statePath);
  if (state === undefined) return { positions: [], fromVersion1: false };
  if (state.version === 1 || !("endpoints" in state)) {
    return { positions: fromSaved((state as StateV1).positions ?? []), fromVersion1: true };
  }
  return { positions: fromSaved(state.endpoints[key] ?? []), fromVersion1: false };
}

/**
 * Saves the positions of endpoint `key`, keeping the other endpoints' as the file has them
 * now (read again just before, so two exports to two endpoints that share a state file one
 * after the other keep each other's positions). The file is replaced atomically: a
 * temporary file, fsync, rename, directory sync.
 *
 * @param fs The file system.
 * @param statePath The state file.
 * @param journal The journal's path (informational).
 * @param key The endpoint ({@linkcode endpointKey}).
 * @param positions Its positions after the last acknowledged batch.
 */
export function savePositions(
  fs: FsOps,
  statePath: string,
  journal: string,
  key: string,
  positions: FilePosition[],
): void {
  const before = readState(fs, statePath);
  const endpoints = before?.version === 2 && "endpoints" in before ? { ...before.endpoints } : {};
  endpoints[key] = positions.map((p) => ({ ...p, head: toHex(p.head) }));
  const state: StateV2 = { version: 2, journal, endpoints };
  const temporary = `${statePath}.tmp`;
  fs.remove(temporary);
  const handle = fs.open(temporary);
  try {
    fs.append(handle, JSON.stringify(state) + "\n");
    fs.fsync(handle);
  } finally {
    fs.close(handle);
  }
  fs.rename(temporary, statePath);
  try {
    fs.syncDir?.(parentDir(statePath));
  } catch {
    // Best effort (Windows): the rename itself is atomic.
  }
}
