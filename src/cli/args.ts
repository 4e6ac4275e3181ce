/**
 * Command-line parsing of `journal-sink`: commands, options and time expressions.
 *
 * @module
 */

import { type Level, LEVELS } from "../records.ts";
import type { RecordFilter } from "../reader/record_filter.ts";

/** The commands the CLI knows. */
export type Command = "tail" | "spans" | "stats";

/** Everything the command line asked for. */
export interface CliArgs {
  /** Which command, or `"help"` for `-h`/`--help`. */
  command: Command | "help";
  /** The live journal's path. */
  path: string;
  /** `tail`: how many of the last records; `Infinity` for all. */
  lines: number;
  /** `tail -f`. */
  follow: boolean;
  /** `spans --logs`. */
  logs: boolean;
  /** `--json`. */
  json: boolean;
  /** `--no-color`. */
  noColor: boolean;
  /** The record filter. */
  filter: RecordFilter;
}

/** A bad command line: the CLI prints the message and the usage, and exits with 2. */
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

const AGE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A time given on the command line: epoch milliseconds (`1735725600000`), an ISO 8601
 * date or date-time (`2025-01-01`, `2025-01-01T10:00:00Z`), or an age before `now`
 * (`90s`, `15m`, `2h`, `1d`, `1w`).
 *
 * @param text The argument.
 * @param now The current time, for ages.
 * @returns Milliseconds since the epoch.
 */
export function parseTime(text: string, now: number): number {
  if (/^\d+$/.test(text)) return Number(text);
  const age = AGE.exec(text);
  if (age) return now - Number(age[1]) * UNIT_MS[age[2]];
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new UsageError(`not a time: ${text} (use ISO 8601, epoch ms, or an age like 15m)`);
  }
  return time;
}

const VALUE_OPTIONS = new Set([
  "lines",
  "kind",
  "level",
  "since",
  "until",
  "conversation",
  "turn",
  "extension",
]);
const FLAG_OPTIONS = new Set(["follow", "logs", "json", "no-color", "help"]);
const SHORT: Record<string, string> = { n: "lines", f: "follow", h: "help" };

/**
 * Parses the arguments after the program name.
 *
 * @param argv The arguments, e.g. `["tail", "-n", "5", "app.jsonl"]`.
 * @param now The current time, for `--since 15m`.
 * @returns What was asked for.
 * @throws {UsageError} On anything not understood.
 */
export function parseArgs(argv: readonly string[], now: number): CliArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name: string | undefined;
    let inline: string | undefined;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length > 1) {
      name = SHORT[arg[1]];
      if (!name) throw new UsageError(`unknown option: ${arg}`);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      positional.push(arg);
      continue;
    }
    if (FLAG_OPTIONS.has(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
    } else if (VALUE_OPTIONS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option: ${arg}`);
    }
  }
  const base = {
    lines: 10,
    follow: flags.has("follow"),
    logs: flags.has("logs"),
    json: flags.has("json"),
    noColor: flags.has("no-color"),
    filter: {},
  };
  if (flags.has("help") || positional[0] === "help") return { ...base, command: "help", path: "" };
  const [command, path, ...extra] = positional;
  if (command === undefined) throw new UsageError("no command given");
  if (command !== "tail" && command !== "spans" && command !== "stats") {
    throw new UsageError(`unknown command: ${command}`);
  }
  if (path === undefined) throw new UsageError(`${command}: no journal path given`);
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (command !== "tail" && (values.has("lines") || base.follow)) {
    throw new UsageError(`${command}: -n and -f belong to tail`);
  }
  if (command !== "spans" && base.logs) throw new UsageError(`${command}: --logs belongs to spans`);

  let lines = 10;
  const linesText = values.get("lines");
  if (linesText !== undefined) {
    if (linesText === "all") lines = Infinity;
    else if (/^\d+$/.test(linesText)) lines = Number(linesText);
    else throw new UsageError(`-n needs a number or "all", not ${linesText}`);
  }
  const filter: RecordFilter = {};
  const kinds = values.get("kind");
  if (kinds !== undefined) filter.kinds = kinds.split(",").map((kind) => kind.trim());
  const level = values.get("level");
  if (level !== undefined) {
    if (!(LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(`--level must be one of ${LEVELS.join(", ")}, not ${level}`);
    }
    filter.minLevel = level as Level;
  }
  const since = values.get("since");
  if (since !== undefined) filter.since = parseTime(since, now);
  const until = values.get("until");
  if (until !== undefined) filter.until = parseTime(until, now);
  const conversation = values.get("conversation");
  if (conversation !== undefined) filter.conversationId = conversation;
  const turn = values.get("turn");
  if (turn !== undefined) filter.turnId = turn;
  const extension = values.get("extension");
  if (extension !== undefined) filter.extensionId = extension;
  return { ...base, command, path, lines, filter };
}

/** The text of `journal-sink --help`. */
export const USAGE = `Usage: journal-sink <command> [options] <journal>

Reads a journal written by @dispatch/journal-sink: every generation (journal.N … journal.1,
then journal; .gz ones too), oldest first. Damaged lines are skipped and counted.

Commands:
  tail    the last records, one per line (-f: keep following, across rotations)
  spans   the trace trees: durations, status, open spans flagged
  stats   counts by kind, level and extension; time range, open spans, skipped lines
  collect --db <file> [--once]   tail the journal into a SQLite trace store
  query   --db <file> (--turn ID | --conversation ID | --open | --errors | --slowest N)
  export  --otlp <base-url> [--once]   send to an OpenTelemetry endpoint (OTLP/HTTP JSON)

Options:
  -n, --lines <N|all>      tail: how many of the last records (default 10)
  -f, --follow             tail: then wait for new records until Ctrl-C
      --logs               spans: show each span's log entries under it
      --json               for machines: NDJSON records (tail), one JSON document (spans, stats)
      --kind <k[,k…]>      only these kinds: log, span-open, span-close, …
      --level <level>      only log entries at or above debug|info|warn|error (span records stay;
                           add --kind log for log entries only)
      --since <time>       from this time on: ISO 8601, epoch ms, or an age (90s, 15m, 2h, 1d)
      --until <time>       before this time (same forms)
      --conversation <id>  only this conversation
      --turn <id>          only this turn
      --extension <id>     only this extension
      --no-color           no colours (they are used only on a terminal, and never with NO_COLOR)
  -h, --help               this text

Exit status: 0 done, 1 journal missing or unreadable, 2 bad arguments.
`;
