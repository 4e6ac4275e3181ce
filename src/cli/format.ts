/**
 * How the CLI shows records, durations and times to people.
 *
 * @module
 */

import type { JournalRecord } from "../reader/journal_record.ts";
import { printable, printableJson as json } from "./printable.ts";

/** ANSI styling, or none: every function returns its text unchanged when colour is off. */
export interface Paint {
  dim(text: string): string;
  bold(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

function sgr(open: number, close: number): (text: string) => string {
  return (text) => `\x1b[${open}m${text}\x1b[${close}m`;
}

/**
 * Styling for a terminal (`color` true) or plain text.
 *
 * @param color Whether to emit ANSI colour codes.
 * @returns The painter.
 */
export function paint(color: boolean): Paint {
  if (!color) {
    const plain = (text: string) => text;
    return {
      dim: plain,
      bold: plain,
      red: plain,
      yellow: plain,
      green: plain,
      cyan: plain,
      magenta: plain,
    };
  }
  return {
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
  };
}

/**
 * A duration the way people read it: `42ms`, `1.25s`, `3m 05s`, `2h 10m`.
 *
 * @param ms Milliseconds.
 * @returns The text.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 1440) {
    return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
  }
  return `${Math.floor(minutes / 1440)}d ${Math.floor((minutes % 1440) / 60)}h`;
}

/**
 * A timestamp as ISO 8601 in UTC, or `?` when the record has none.
 *
 * @param time Milliseconds since the epoch.
 * @returns The text.
 */
export function formatTime(time: unknown): string {
  if (typeof time !== "number" || !Number.isFinite(time)) return "?".padEnd(24);
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time).padEnd(24) : date.toISOString();
}

/** At most `max` characters of `text`, an ellipsis marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const LEVEL_LABEL: Record<string, string> = {
  debug: "DEBUG",
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
};

/** The fields a log line shows in its own columns; everything else goes in the tail. */
const SHOWN = new Set([
  "kind",
  "level",
  "msg",
  "timestamp",
  "extensionId",
  "name",
  "spanId",
  "parentSpanId",
  "durationMs",
  "status",
  "conversationId",
  "turnId",
  "attributes",
  "links",
  "body",
]);

/**
 * One record as one line of text, for `tail`:
 * `time LEVEL extension message key=value… {attributes}`. Span records show `▶ name`
 * when they open and `◀ name status duration` when they close. Every field is passed
 * through {@linkcode printable}: the line is one line, and no record writes to the terminal.
 *
 * @param record The record.
 * @param p The painter.
 * @returns The line, without newline.
 */
export function formatRecord(record: JournalRecord, p: Paint): string {
  const r = record as Record<string, unknown>;
  const parts: string[] = [p.dim(formatTime(r.timestamp))];
  const extension = p.cyan(printable(r.extensionId ?? "?"));
  if (r.kind === "log") {
    const level = printable(r.level);
    const label = LEVEL_LABEL[level] ?? level.toUpperCase().padEnd(5);
    const colour = level === "error"
      ? p.red
      : level === "warn"
      ? p.yellow
      : level === "info"
      ? p.green
      : p.dim;
    parts.push(colour(label), extension, printable(r.msg));
  } else if (r.kind === "span-open") {
    parts.push(p.magenta("SPAN "), extension, `▶ ${p.bold(printable(r.name))}`);
  } else if (r.kind === "span-close") {
    const status = r.status === "error" ? p.red("error") : p.green(printable(r.status));
    const duration = typeof r.durationMs === "number" ? formatDuration(r.durationMs) : "?";
    parts.push(
      p.magenta("SPAN "),
      extension,
      `◀ ${p.bold(printable(r.name))} ${status} ${duration}`,
    );
  } else {
    parts.push(p.magenta(printable(r.kind).toUpperCase()), extension);
  }
  const extras: string[] = [];
  for (const key of ["spanId", "parentSpanId", "conversationId", "turnId"]) {
    if (r[key] !== undefined) extras.push(`${key}=${printable(r[key])}`);
  }
  if (r.links !== undefined) extras.push(`links=${json(r.links)}`);
  if (r.attributes !== undefined) extras.push(json(r.attributes));
  if (r.body !== undefined) extras.push(`body=${clip(json(r.body), 200)}`);
  const unknown: Record<string, unknown> = {};
  let hasUnknown = false;
  for (const key of Object.keys(r)) {
    if (!SHOWN.has(key)) {
      unknown[key] = r[key];
      hasUnknown = true;
    }
  }
  if (hasUnknown) extras.push(json(unknown));
  if (extras.length > 0) parts.push(p.dim(extras.join(" ")));
  return parts.join(" ");
}
