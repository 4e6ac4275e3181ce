#!/usr/bin/env node
/**
 * The `journal-sink` command line: look at a journal without writing code.
 *
 * ```sh
 * deno run -A jsr:@dispatch/journal-sink/cli tail -f logs/agent.jsonl
 * node cli.ts spans logs/agent.jsonl        # or: bun cli.ts …, deno run -A cli.ts …
 * journal-sink stats --json logs/agent.jsonl
 * ```
 *
 * Commands: `tail [-n N] [-f]` (the last records, pretty and coloured on a terminal;
 * `-f` follows across rotations), `spans [--logs]` (the trace trees, open spans flagged),
 * `stats` (counts, time range, open spans, skipped lines), `collect --db` (into a SQLite
 * trace store), `query --db` (turn and conversation trees, open, slowest and failed spans),
 * `export --otlp` (to an OpenTelemetry endpoint). Every command takes `--json`
 * and the filters `--kind`, `--level`, `--since`, `--until`, `--conversation`, `--turn`,
 * `--extension`. Exit status: 0 done, 1 journal missing or unreadable, 2 bad arguments.
 *
 * Importing this module runs nothing; it exports {@linkcode main} to run the CLI in-process.
 *
 * @example Running the CLI in-process
 * ```ts
 * import { main } from "@dispatch/journal-sink/cli";
 * let err = "";
 * const code = await main(["frobnicate"], { write: () => {}, error: (t) => void (err += t), color: false });
 * if (code !== 2 || !err.includes("unknown command")) throw new Error("expected a usage error");
 * ```
 *
 * @module
 */

import { main } from "./src/cli/main.ts";
import { currentProcess } from "./src/cli/io.ts";

export { main } from "./src/cli/main.ts";
export type { CliIo } from "./src/cli/io.ts";
export type { FsOps } from "./src/fs_ops.ts";

if (import.meta.main) {
  const proc = currentProcess();
  proc.exitCode = await main(proc.argv.slice(2));
}
