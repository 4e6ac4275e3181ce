/**
 * What a `journal-sink` command is: its flag spec (the one source of parsing, validation
 * and help) and the function that runs it. Each command lives in `commands/<name>.ts` and
 * is listed once in `registry.ts`.
 *
 * @module
 */

import type { CliIo } from "./io.ts";

/** A bad command line: the runner prints the message with the command's usage line and exits 2. */
export class UsageError extends Error {
  /**
   * Creates the instance.
   *
   * @param message What is wrong with the arguments.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What a value parser may look at besides the text. */
export interface ParseContext {
  /** The current time, for ages such as `--since 15m`. */
  now: number;
}

/** One option of a command: how it is written, what it takes, and its help line. */
export interface OptionSpec {
  /** The long name, without dashes: `"lines"` for `--lines`. */
  name: string;
  /** A one-letter short form, without the dash: `"n"` for `-n`. */
  short?: string;
  /** The value's placeholder in the help (`"<N|all>"`); absent for a bare flag. */
  value?: string;
  /** Turns the text into the value, or throws a {@linkcode UsageError}; the text as-is by default. */
  parse?: (text: string, context: ParseContext) => unknown;
  /** May be given more than once: the values are collected in an array. */
  repeatable?: boolean;
  /** The value when the option is not given (shown in the help). */
  default?: unknown;
  /** One line of help. */
  help: string;
}

/** The arguments of one command after parsing and validation. */
export interface ParsedArgs {
  /** Option values by long name: `true` for a given flag; defaults filled in. */
  options: Record<string, unknown>;
  /** The positional arguments, in order. */
  positionals: string[];
}

/** A command: its spec and its body. */
export interface Command {
  /** The command word: `journal-sink <name> …`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /**
   * The positional arguments' placeholders, e.g. `["<journal>"]`; required unless written
   * in brackets (`"[<journal>]"`), which only the last ones may be.
   */
  positionals: readonly string[];
  /** The options (`--help` is added by the runner). */
  options: readonly OptionSpec[];
  /** A few lines of detail shown by `journal-sink <name> --help`. */
  description?: string;
  /** Checks across options that a single option's parser cannot see; throws a {@linkcode UsageError}. */
  validate?(args: ParsedArgs): void;
  /**
   * Runs the command and resolves to its exit code. Load heavy modules here with
   * `await import(…)`, so that other commands and `--help` do not pay for them.
   */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}
