/**
 * The `journal-sink` command: argument handling, dispatch, errors and exit codes.
 *
 * @module
 */

import { errorCode } from "../fs_ops.ts";
import { JournalNotFoundError } from "../reader/journal_not_found_error.ts";
import { parseArgs, USAGE, UsageError } from "./args.ts";
import { collectCommand } from "./collect.ts";
import { exportCommand } from "./export.ts";
import { type CliIo, processIo } from "./io.ts";
import { queryCommand } from "./query.ts";
import { spans } from "./spans.ts";
import { stats } from "./stats.ts";
import { tail } from "./tail.ts";

/**
 * Runs the `journal-sink` command line and resolves to its exit code: 0 done, 1 the
 * journal is missing or unreadable, 2 bad arguments (with the usage on stderr). Never
 * calls `process.exit`, so piped output is never cut short.
 *
 * @param argv The arguments after the program name, e.g. `["tail", "-f", "app.jsonl"]`.
 * @param io Where to read and write; the running process by default.
 * @returns The exit code.
 *
 * @example Statistics of a journal as JSON
 * ```ts
 * import { main } from "@dispatch/journal-sink/cli";
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * sink.emit({ kind: "span-open", spanId: "s1", name: "turn", timestamp: 1, extensionId: "host" });
 * sink.close();
 * let out = "";
 * const code = await main(["stats", "--json", "app.jsonl"], {
 *   write: (text) => void (out += text), error: () => {}, color: false, fs,
 * });
 * if (code !== 0 || JSON.parse(out).spans.open[0].spanId !== "s1") throw new Error(out);
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  if (argv[0] === "collect") return await collectCommand(argv.slice(1), io);
  if (argv[0] === "query") return await queryCommand(argv.slice(1), io);
  if (argv[0] === "export") return await exportCommand(argv.slice(1), io);
  let args;
  try {
    args = parseArgs(argv, io.now ?? Date.now());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`journal-sink: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.command === "help") {
    await io.write(USAGE);
    return 0;
  }
  const color = io.color && !args.noColor && !args.json;
  try {
    if (args.command === "tail") return await tail(args, io, color);
    if (args.command === "spans") return await spans(args, io, color);
    return await stats(args, io, color);
  } catch (error) {
    if (error instanceof JournalNotFoundError) {
      io.error(`journal-sink: ${error.message}\n`);
      return 1;
    }
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    io.error(
      `journal-sink: cannot read ${args.path}: ${
        code === "UNKNOWN" ? "" : `${code}: `
      }${message}\n`,
    );
    return 1;
  }
}
