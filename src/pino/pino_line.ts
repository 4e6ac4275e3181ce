/**
 * Pure mapping from one pino NDJSON line to a journal `log` record. The line is what pino
 * wrote after its own serializers, redaction and formatters ran, so nothing pino hid
 * reappears here.
 *
 * @module
 */

import type { Level, LogEntry } from "../records.ts";
import { isTraceId } from "../trace_id.ts";

/** What pino tells its destination about itself (its `PINO_CONFIG` message). */
export interface PinoConfig {
  /** The key of the message (pino's `messageKey`). */
  messageKey: string;
  /** Level labels by number, custom levels included. */
  labels: Readonly<Record<string, string>>;
}

/** pino's defaults, until it says otherwise. */
export const DEFAULT_PINO_CONFIG: PinoConfig = Object.freeze({
  messageKey: "msg",
  labels: Object.freeze({
    10: "trace",
    20: "debug",
    30: "info",
    40: "warn",
    50: "error",
    60: "fatal",
  }),
});

const BY_LABEL: Readonly<Record<string, Level>> = Object.freeze({
  trace: "debug",
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  fatal: "error",
});

const HEX_16 = /^[0-9a-f]{16}$/;

/** pino's level (a number, or a label from `formatters.level`) as a journal level. */
function levelOf(value: unknown, config: PinoConfig): { level: Level; original?: unknown } {
  if (typeof value === "number") {
    const label = config.labels[value];
    const level: Level = value < 30 ? "debug" : value < 40 ? "info" : value < 50 ? "warn" : "error";
    return label === level ? { level } : { level, original: label ?? value };
  }
  if (typeof value === "string") {
    const level = BY_LABEL[value];
    if (level === undefined) return { level: "info", original: value };
    return level === value ? { level } : { level, original: value };
  }
  return { level: "info" };
}

/** pino's `time`: epoch ms (the default), epoch seconds (`unixTime`) or an ISO string. */
function timeOf(value: unknown, now: number): number {
  if (typeof value === "number" && Number.isFinite(value)) {
    return value < 1e11 ? value * 1000 : value;
  }
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return now;
}

/**
 * One pino line as a journal `log` record:
 * - `level` → `level` (trace and debug → debug, fatal → error; a level that does not map
 *   one to one keeps its pino label, or number, in `attributes.pinoLevel`);
 * - the message key (`msg`) → `msg`; `time` → `timestamp`;
 * - string `conversationId`, `turnId`, `spanId` fields, a `traceId` of 32 lowercase hex
 *   digits, and OpenTelemetry's `trace_id`/`span_id` (as the pino instrumentation injects
 *   them), → the record's fields (a `traceId` of another shape stays an attribute);
 * - every other field (child bindings, `err` as pino serialized it, `pid`, `hostname`,
 *   `name`) → `attributes`.
 *
 * A line that is not a JSON object becomes an `info` entry whose `msg` is the line, with
 * `attributes.pinoUnparsed: true`, so nothing written is lost.
 *
 * @param line One line, without its newline.
 * @param extensionId Who writes the record, or `undefined` to take pino's `name` field
 * (else `"pino"`).
 * @param config pino's message key and level labels.
 * @param now The time for a line without one.
 * @returns The record, and whether the line parsed.
 */
export function pinoLineToEntry(
  line: string,
  extensionId: string | undefined,
  config: PinoConfig,
  now: number,
): { entry: LogEntry; parsed: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      entry: {
        kind: "log",
        level: "info",
        msg: line,
        timestamp: now,
        extensionId: extensionId ?? "pino",
        attributes: { pinoUnparsed: true },
      },
      parsed: false,
    };
  }
  const fields = value as Record<string, unknown>;
  const { level, original } = levelOf(fields.level, config);
  const message = fields[config.messageKey];
  const name = fields.name;
  const entry: LogEntry = {
    kind: "log",
    level,
    msg: typeof message === "string" ? message : message === undefined ? "" : String(message),
    timestamp: timeOf(fields.time, now),
    extensionId: extensionId ?? (typeof name === "string" && name !== "" ? name : "pino"),
  };
  let attributes: Record<string, unknown> | undefined;
  for (const key in fields) {
    const field = fields[key];
    switch (key) {
      case "level":
      case "time":
      case config.messageKey:
        continue;
      case "conversationId":
      case "turnId":
      case "spanId":
        if (typeof field === "string" && field !== "") {
          entry[key] = field;
          continue;
        }
        break;
      case "traceId": // the sink refuses a record whose traceId is another string
        if (isTraceId(field)) {
          entry.traceId = field;
          continue;
        }
        break;
      case "trace_id":
        if (isTraceId(field)) {
          entry.traceId ??= field;
          continue;
        }
        break;
      case "span_id":
        if (typeof field === "string" && HEX_16.test(field)) {
          entry.spanId ??= field;
          continue;
        }
        break;
    }
    attributes ??= {};
    if (key === "__proto__") {
      // A JSON key, not the prototype: keep it as data.
      Object.defineProperty(attributes, key, { value: field, enumerable: true, writable: true });
    } else attributes[key] = field;
  }
  if (original !== undefined) (attributes ??= {}).pinoLevel = original;
  if (attributes !== undefined) entry.attributes = attributes;
  return { entry, parsed: true };
}
