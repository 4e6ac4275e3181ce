/**
 * The `journal-sink` runner: picks the command, parses its arguments against its spec,
 * runs it, and turns failures into exit codes.
 *
 * @module
 */

import { type Command, UsageError } from "./command.ts";
import { CommandFailure } from "./failure.ts";
import { commandHelp, mainHelp, synopsis } from "./help.ts";
import { type CliIo, processIo } from "./io.ts";
import { parseCommandLine } from "./parse.ts";
import { printable } from "./printable.ts";
import { COMMANDS } from "./registry.ts";

const MAIN_SYNOPSIS = "journal-sink <command> [options] [<journal>]";

function usageError(io: CliIo, message: string, command?: Command): number {
  const usage = command
    ? `Usage: ${synopsis(command)}   (journal-sink ${command.name} --help for more)`
    : `Usage: ${MAIN_SYNOPSIS}   (journal-sink --help for more)`;
  io.error(`journal-sink: ${printable(message)}\n${usage}\n`);
  return 2;
}

/**
 * Runs the `journal-sink` command line and resolves to its exit code: 0 done (also when
 * SIGINT or SIGTERM stopped a following command or a server cleanly), 1 the journal or store
 * is missing or unreadable, the file holds no journal record, the turn or conversation asked
 * for is not in the store (or the command failed), 2 bad arguments
 * (one message and the command's usage line on stderr). Results go to `io.write`
 * (stdout), diagnostics to `io.error` (stderr). Never calls `process.exit`, so piped
 * output is never cut short.
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
  const [word, ...rest] = argv;
  if (word === undefined) return usageError(io, "no command given");
  if (word === "--help" || word === "-h" || word === "help") {
    const command = COMMANDS.find((candidate) => candidate.name === rest[0]);
    await io.write(command ? commandHelp(command) : mainHelp(COMMANDS));
    return 0;
  }
  if (word === "--version") {
    const { packageVersion } = await import("./version.ts");
    await io.write(`journal-sink ${await packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === word);
  if (!command) {
    return usageError(
      io,
      word.startsWith("-")
        ? `unknown option: ${word} (options follow the command)`
        : `unknown command: ${word}`,
    );
  }
  let args;
  try {
    args = parseCommandLine(command, rest, io.now ?? Date.now());
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error.message, command);
    throw error;
  }
  if (args.options.help === true) {
    await io.write(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error.message, command);
    const message = error instanceof CommandFailure || !(error instanceof Error)
      ? String(error instanceof Error ? error.message : error)
      : `${command.name} failed: ${error.message}`;
    io.error(`journal-sink: ${printable(message)}\n`);
    return 1;
  }
}
