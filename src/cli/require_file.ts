/**
 * Checks that turn a typo into exit 1 before a command does anything: a journal that has
 * no file at all, a store that does not exist.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { CommandFailure } from "./failure.ts";

async function fsOrDefault(fs: FsOps | undefined): Promise<FsOps> {
  if (fs) return fs;
  const { defaultFsOps } = await import("../adapters/default.ts");
  return defaultFsOps();
}

/**
 * Throws unless the journal has at least one file (the live one or a rotated generation).
 *
 * @param shown The path as the user gave it, for the message.
 * @param path The path to look at.
 * @param fs The file system; the runtime's by default.
 */
export async function requireJournal(shown: string, path: string, fs?: FsOps): Promise<void> {
  const { journalGenerations } = await import("../generations.ts");
  if (journalGenerations(path, await fsOrDefault(fs)).length === 0) {
    throw new CommandFailure(`no journal at ${shown} (no file, and no rotated generation)`);
  }
}

/**
 * Throws unless the store file exists: querying must never create one.
 *
 * @param path The SQLite file.
 */
export async function requireStore(path: string): Promise<void> {
  const { completeFs } = await import("../complete_fs.ts");
  if (path === ":memory:" || !completeFs(await fsOrDefault(undefined)).exists(path)) {
    throw new CommandFailure(
      `no trace store at ${path} (run journal-sink collect --db ${path} first)`,
    );
  }
}
