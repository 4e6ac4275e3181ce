/**
 * Options and value parsers that several commands share: the record filters, `--json`,
 * `--no-color`, time expressions, counts.
 *
 * @module
 */

import { type OptionSpec, type ParseContext, UsageError } from "./command.ts";
import { type Level, LEVELS } from "../records.ts";
import { isTraceId } from "../trace_id.ts";
import type { RecordFilter } from "../reader/record_filter.ts";

const AGE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The record kinds `--kind` accepts: the kinds a journal holds. */
export const RECORD_KINDS: readonly string[] = ["log", "span-open", "span-close"];

/**
 * A time given on the command line: epoch milliseconds (`1735725600000`), an ISO 8601
 * date or date-time (`2025-01-01`, `2025-01-01T10:00:00Z`), or an age before `now`
 * (`90s`, `15m`, `2h`, `1d`, `1w`).
 *
 * @param text The argument.
 * @param context The current time, for ages.
 * @returns Milliseconds since the epoch.
 */
export function parseTime(text: string, context: ParseContext): number {
  if (/^\d+$/.test(text)) return Number(text);
  const age = AGE.exec(text);
  if (age) return context.now - Number(age[1]) * UNIT_MS[age[2]];
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new UsageError(`not a time: ${text} (use ISO 8601, epoch ms, or an age like 15m)`);
  }
  return time;
}

/**
 * An age on the command line (`90s`, `15m`, `2h`, `7d`, `2w`, `500ms`), for `--retain`.
 *
 * @param text The argument.
 * @returns Milliseconds.
 */
export function parseAge(text: string): number {
  const age = AGE.exec(text);
  if (!age || Number(age[1]) <= 0) {
    throw new UsageError(`not an age: ${text} (use a number and ms, s, m, h, d or w, like 7d)`);
  }
  return Number(age[1]) * UNIT_MS[age[2]];
}

/**
 * A parser of whole numbers of at least `min`, for `--name`.
 *
 * @param name The option, for the message.
 * @param min The smallest value accepted.
 * @returns The parser.
 */
export function wholeNumber(name: string, min: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text) || Number(text) < min) {
      throw new UsageError(`--${name} needs a whole number ≥ ${min}, not ${text}`);
    }
    return Number(text);
  };
}

function kinds(text: string): string[] {
  const list = text.split(",").map((kind) => kind.trim());
  for (const kind of list) {
    if (!RECORD_KINDS.includes(kind)) {
      throw new UsageError(`--kind takes ${RECORD_KINDS.join(", ")}, not ${kind}`);
    }
  }
  return list;
}

function level(text: string): Level {
  if (!(LEVELS as readonly string[]).includes(text)) {
    throw new UsageError(`--level must be one of ${LEVELS.join(", ")}, not ${text}`);
  }
  return text as Level;
}

function traceId(text: string): string {
  const id = text.toLowerCase();
  if (!isTraceId(id)) {
    throw new UsageError(`--trace needs a trace id of 32 hex digits, not ${text}`);
  }
  return id;
}

/**
 * The parser of the servers' `--port`: 0 (any free port) to 65535.
 *
 * @param text The argument.
 * @returns The port.
 */
export function port(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`--port needs a port number 0-65535, not ${text}`);
  }
  return Number(text);
}

/** `--json`, for the commands that can print JSON. */
export const JSON_OPTION: OptionSpec = {
  name: "json",
  help: "print JSON for machines instead of text",
};

/** `--no-color`, for the commands that colour a terminal. */
export const NO_COLOR_OPTION: OptionSpec = {
  name: "no-color",
  help: "no colours (used only on a terminal, and never with NO_COLOR set)",
};

/** The record filters of the commands that read a journal: `--kind`, `--level`, … */
export const FILTER_OPTIONS: readonly OptionSpec[] = [
  {
    name: "kind",
    value: "<k[,k…]>",
    parse: kinds,
    help: `only these kinds: ${RECORD_KINDS.join(", ")}`,
  },
  {
    name: "level",
    value: "<level>",
    parse: level,
    help: `only log entries at or above ${LEVELS.join("|")} (span records stay)`,
  },
  {
    name: "since",
    value: "<time>",
    parse: parseTime,
    help: "from this time on: ISO 8601, epoch ms, or an age (90s, 15m, 2h, 1d)",
  },
  { name: "until", value: "<time>", parse: parseTime, help: "before this time (same forms)" },
  { name: "conversation", value: "<id>", help: "only this conversation" },
  { name: "turn", value: "<id>", help: "only this turn" },
  { name: "extension", value: "<id>", help: "only this extension" },
  { name: "trace", value: "<id>", parse: traceId, help: "only this trace (32 hex digits)" },
];

/**
 * The reader's filter from parsed filter options.
 *
 * @param options The parsed options.
 * @returns The filter for `readJournal`.
 */
export function recordFilter(options: Record<string, unknown>): RecordFilter {
  const filter: RecordFilter = {};
  if (options.kind !== undefined) filter.kinds = options.kind as string[];
  if (options.level !== undefined) filter.minLevel = options.level as Level;
  if (options.since !== undefined) filter.since = options.since as number;
  if (options.until !== undefined) filter.until = options.until as number;
  if (options.conversation !== undefined) filter.conversationId = options.conversation as string;
  if (options.turn !== undefined) filter.turnId = options.turn as string;
  if (options.extension !== undefined) filter.extensionId = options.extension as string;
  if (options.trace !== undefined) filter.traceId = options.trace as string;
  return filter;
}
