/**
 * The one argument parser of the CLI: a command's {@linkcode OptionSpec}s in, validated
 * values out. `--name value`, `--name=value`, `-n value`, `-nvalue`, bare `--flag`, `-f`,
 * and `--` ending the options.
 *
 * @module
 */

import { type Command, type OptionSpec, type ParsedArgs, UsageError } from "./command.ts";

/** `--help`/`-h`, which every command takes. */
export const HELP_OPTION: OptionSpec = { name: "help", short: "h", help: "show this help" };

/**
 * Parses and validates the arguments after the command word.
 *
 * @param command The command whose spec applies.
 * @param argv The arguments, e.g. `["-n", "5", "app.jsonl"]`.
 * @param now The current time, for `--since 15m`.
 * @returns The values, with defaults filled in.
 * @throws {UsageError} On anything the spec does not allow.
 */
export function parseCommandLine(
  command: Command,
  argv: readonly string[],
  now: number,
): ParsedArgs {
  const specs = [...command.options, HELP_OPTION];
  const options: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      spec = specs.find((option) => option.name === name);
      if (!spec) throw new UsageError(`${command.name}: unknown option: --${name}`);
    } else if (arg.startsWith("-") && arg.length > 1) {
      spec = specs.find((option) => option.short === arg[1]);
      if (!spec) throw new UsageError(`${command.name}: unknown option: ${arg.slice(0, 2)}`);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      positionals.push(arg);
      continue;
    }
    if (spec.name === "help") return { options: { help: true }, positionals: [] };
    const label = spec.short && !arg.startsWith("--") ? `-${spec.short}` : `--${spec.name}`;
    let value: unknown = true;
    if (spec.value === undefined) {
      if (inline !== undefined) throw new UsageError(`${label} takes no value`);
    } else {
      const text = inline ?? argv[++i];
      if (text === undefined) throw new UsageError(`${label} needs a value ${spec.value}`);
      value = spec.parse ? spec.parse(text, { now }) : text;
    }
    if (spec.repeatable) {
      ((options[spec.name] ??= []) as unknown[]).push(value);
    } else if (spec.name in options) {
      throw new UsageError(`${label} given twice`);
    } else {
      options[spec.name] = value;
    }
  }
  for (const spec of command.options) {
    if (!(spec.name in options) && spec.default !== undefined) options[spec.name] = spec.default;
  }
  const expected = command.positionals;
  const required = expected.filter((name) => !name.startsWith("[")).length;
  if (positionals.length < required) {
    throw new UsageError(`${command.name}: no ${expected[positionals.length]} given`);
  }
  if (positionals.length > expected.length) {
    throw new UsageError(`${command.name}: unexpected argument: ${positionals[expected.length]}`);
  }
  const args = { options, positionals };
  command.validate?.(args);
  return args;
}
