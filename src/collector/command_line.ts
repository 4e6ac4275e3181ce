/**
 * What the `collect`, `query` and `export` commands share: flag parsing, stopping on
 * SIGINT/SIGTERM, exit codes. Their I/O is the CLI's `CliIo`.
 *
 * @module
 */

import type { CliIo } from "../cli/io.ts";

/** Parsed command line: flags by name (`true` for a bare flag), and positional arguments. */
export interface ParsedArgs {
  /** `--name value` as name → value, bare `--flag` as name → `true`. */
  flags: Map<string, string | true>;
  /** Everything else, in order. */
  positional: string[];
}

/** A usage mistake: the command prints it with its usage and exits with code 2. */
export class UsageError extends Error {
  /** @param message What was wrong with the command line. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `--name value`, `--name=value` and bare `--flag`s. `valued` lists the flags that
 * take a value; any other `--name` is a bare flag; unknown names are rejected.
 */
export function parseArgs(
  args: readonly string[],
  valued: readonly string[],
  bare: readonly string[],
): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (valued.includes(name)) {
      const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else if (bare.includes(name) && eq < 0) {
      flags.set(name, true);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { flags, positional };
}

/** A string flag's value, if given. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === "string" ? value : undefined;
}

/**
 * The signal that stops a following command: the caller's, or one aborted by the first
 * SIGINT or SIGTERM (the handlers are removed by the returned `release`).
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

/** Runs a command body: usage errors exit 2 with the usage, other failures 1. */
export async function runCommand(
  io: CliIo,
  usage: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      io.error(`journal-sink: ${error.message}\n\n${usage}`);
      return 2;
    }
    io.error(`journal-sink: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/**
 * `path` made absolute against the working directory, so `collect app.jsonl` and
 * `collect ./app.jsonl` keep the same read position (positions are keyed by path).
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
