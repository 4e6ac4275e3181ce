/**
 * The help texts, generated from the commands' specs so that they cannot drift from what
 * the parser accepts.
 *
 * @module
 */

import type { Command, OptionSpec } from "./command.ts";
import { FILTER_OPTIONS } from "./options.ts";
import { HELP_OPTION } from "./parse.ts";

function optionLines(options: readonly OptionSpec[]): string[] {
  const heads = options.map((option) =>
    `${option.short ? `-${option.short}, ` : "    "}--${option.name}${
      option.value ? ` ${option.value}` : ""
    }`
  );
  const width = Math.max(...heads.map((head) => head.length)) + 2;
  return options.map((option, i) => {
    const shown = option.default !== undefined && option.default !== false;
    const more = [
      option.repeatable ? "repeatable" : "",
      shown ? `default ${String(option.default)}` : "",
    ].filter(Boolean).join("; ");
    return `  ${heads[i].padEnd(width)}${option.help}${more ? ` (${more})` : ""}`;
  });
}

/**
 * The one-line synopsis of a command: `journal-sink tail [options] <journal>`.
 *
 * @param command The command.
 * @returns The line.
 */
export function synopsis(command: Command): string {
  return ["journal-sink", command.name, "[options]", ...command.positionals].join(" ");
}

/**
 * `journal-sink <command> --help`: synopsis, description and every option.
 *
 * @param command The command.
 * @returns The text.
 */
export function commandHelp(command: Command): string {
  const lines = [`Usage: ${synopsis(command)}`, "", command.summary];
  if (command.description) lines.push("", command.description.trimEnd());
  lines.push("", "Options:", ...optionLines([...command.options, HELP_OPTION]), "");
  return lines.join("\n");
}

/**
 * `journal-sink --help`: every command with every option it takes.
 *
 * @param commands The registry.
 * @returns The text.
 */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 2;
  const lines = [
    "Usage: journal-sink <command> [options] [<journal>]",
    "",
    "Reads a journal written by @dispatch/journal-sink: every generation (journal.N … journal.1,",
    "then journal; .gz ones too), oldest first. Damaged lines are skipped and counted.",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
  ];
  const filtered: string[] = [];
  for (const command of commands) {
    const own = command.options.filter((option) => !FILTER_OPTIONS.includes(option));
    const filters = own.length < command.options.length;
    if (filters) filtered.push(command.name);
    lines.push("", `${synopsis(command)}${filters ? "   (and the record filters)" : ""}`);
    lines.push(...optionLines(own));
  }
  if (filtered.length > 0) {
    lines.push("", `Record filters (${filtered.join(", ")}):`, ...optionLines(FILTER_OPTIONS));
  }
  lines.push(
    "",
    "Every command takes -h, --help. journal-sink --version prints the version.",
    "Results go to stdout, diagnostics to stderr.",
    "Text output shows control characters in records escaped (\\x1b, \\n); --json is exact.",
    "Exit status: 0 done, also when SIGINT (Ctrl-C) or SIGTERM stops a following command or",
    "a server (after it wrote what it held); 1 journal or store missing or unreadable, a file",
    "with no journal record, a turn or conversation the store does not hold, or the command",
    "failed; 2 bad arguments.",
    "",
  );
  return lines.join("\n");
}
