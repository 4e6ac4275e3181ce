/**
 * The `journal-sink` command line: look at a journal without writing code.
 *
 * ```sh
 * deno run -A jsr:@dispatch/journal-sink/cli tail -f logs/agent.jsonl
 * npx journal-sink spans logs/agent.jsonl     # in a checkout: node cli.ts, bun cli.ts, deno run -A cli.ts
 * journal-sink stats --json logs/agent.jsonl
 * ```
 *
 * Commands: `tail`, `spans`, `stats` read a journal (they take `--json`, `--no-color` and the
 * record filters); `collect` fills a SQLite trace store, `query` asks it (`--json`), `export`
 * sends the journal to an OpenTelemetry endpoint. `journal-sink --help` lists every command's
 * options; `journal-sink --version` prints the version. Exit status: 0 done (also when SIGINT
 * or SIGTERM stops a following command or a server), 1 journal or store missing or unreadable,
 * 2 bad arguments.
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
