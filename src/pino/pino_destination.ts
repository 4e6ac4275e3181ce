/**
 * A pino destination that writes into the journal: `pino(options, createPinoDestination(…))`
 * turns each line pino writes into a `log` record. pino is not a dependency: a destination
 * is any object with a synchronous `write(line)`.
 *
 * @module
 */

import { createJournalSink, type JournalSink } from "../sink/journal_sink.ts";
import type { JournalSinkOptions } from "../sink/options.ts";
import { firstFailureWarning } from "../sink/error_reporter.ts";
import { activeSpanFor } from "../logger/logger.ts";
import type { LogSink } from "../records.ts";
import { DEFAULT_PINO_CONFIG, type PinoConfig, pinoLineToEntry } from "./pino_line.ts";

/**
 * What both forms of {@linkcode PinoDestinationOptions} share.
 *
 * @example
 * ```ts
 * import type { PinoDestinationCommonOptions } from "@dispatch/journal-sink/pino";
 * const common: PinoDestinationCommonOptions = { extensionId: "api" };
 * if (common.extensionId !== "api") throw new Error("unreachable");
 * ```
 */
export interface PinoDestinationCommonOptions {
  /**
   * Who writes the records; a pino field cannot change it. When unset, each line's pino
   * `name` (the logger's `name` option), else `"pino"`.
   */
  extensionId?: string;
  /**
   * The key pino writes the message under. pino announces its own `messageKey` to the
   * destination when the logger is made, so this is only needed for lines that do not come
   * from a pino logger.
   * @default {"msg"}
   */
  messageKey?: string;
  /** Receives what the destination caught; nothing reaches pino. */
  onError?: (error: unknown, record?: unknown) => void;
}

/**
 * Write into a journal the destination opens (and closes on `end()`): the journal's own
 * options plus the common ones.
 *
 * @example
 * ```ts
 * import type { PinoPathOptions } from "@dispatch/journal-sink/pino";
 * const options: PinoPathOptions = { path: "logs/app.jsonl", fsync: "always", extensionId: "api" };
 * if (options.path !== "logs/app.jsonl") throw new Error("unreachable");
 * ```
 */
export interface PinoPathOptions extends JournalSinkOptions, PinoDestinationCommonOptions {
  /** Not with `path`. */
  sink?: undefined;
}

/**
 * Write into a sink the host owns (a `JournalSink` shared with a logger, or any `{ emit }`).
 *
 * @example
 * ```ts
 * import type { PinoSinkOptions } from "@dispatch/journal-sink/pino";
 * const options: PinoSinkOptions = { sink: { emit: () => {} }, extensionId: "api" };
 * if (options.closeSinkOnEnd === true) throw new Error("unreachable");
 * ```
 */
export interface PinoSinkOptions extends PinoDestinationCommonOptions {
  /** Where records go; `flush()` and `close()` are called when present. */
  sink: LogSink & { flush?(): void; close?(): void };
  /** Not with `sink`. */
  path?: undefined;
  /**
   * Whether `end()` closes `sink`. Off by default: the host owns it.
   * @default {false}
   */
  closeSinkOnEnd?: boolean;
}

/**
 * Options of {@linkcode createPinoDestination}: a `path` to open, or a `sink` to share.
 *
 * @example
 * ```ts
 * import type { PinoDestinationOptions } from "@dispatch/journal-sink/pino";
 * const byPath: PinoDestinationOptions = { path: "app.jsonl" };
 * const bySink: PinoDestinationOptions = { sink: { emit: () => {} } };
 * if (!("path" in byPath) || !("sink" in bySink)) throw new Error("unreachable");
 * ```
 */
export type PinoDestinationOptions = PinoPathOptions | PinoSinkOptions;

/**
 * Counts of what the destination was given.
 *
 * @example
 * ```ts
 * import type { PinoDestinationStats } from "@dispatch/journal-sink/pino";
 * const stats: PinoDestinationStats = { lines: 2, unparsed: 1 };
 * if (stats.lines < stats.unparsed) throw new Error("unreachable");
 * ```
 */
export interface PinoDestinationStats {
  /** Lines handed to the sink. */
  lines: number;
  /** Of those, lines that were not a JSON object (written with `attributes.pinoUnparsed`). */
  unparsed: number;
}

/**
 * A pino destination (pino's `DestinationStream`), also accepted by `pino.multistream`.
 * Nothing it does throws into pino.
 *
 * @example
 * ```ts
 * import { createPinoDestination, type PinoDestination } from "@dispatch/journal-sink/pino";
 * const destination: PinoDestination = createPinoDestination({ sink: { emit: () => {} } });
 * destination.write('{"level":30,"msg":"hi"}\n');
 * if (destination.stats.lines !== 1) throw new Error("not written");
 * ```
 */
export interface PinoDestination {
  /**
   * Write one or more pino lines, synchronously.
   *
   * @param chunk NDJSON text (a string or UTF-8 bytes).
   * @returns `true`: there is no backpressure.
   */
  write(chunk: string | Uint8Array): boolean;
  /**
   * Flush the sink (fsync for a `JournalSink`); pino's `logger.flush(cb)` calls this.
   *
   * @param callback Called once flushed.
   */
  flush(callback?: (error?: Error | null) => void): void;
  /** Flush the sink, synchronously. */
  flushSync(): void;
  /** Flush, then close the journal opened from `path` (or `sink` with `closeSinkOnEnd`). */
  end(): void;
  /**
   * Receives pino's `PINO_CONFIG` message (its `messageKey` and custom level labels).
   *
   * @param event The event name.
   * @param payload The event's payload.
   * @returns Whether the event was used.
   */
  emit(event: string | symbol, payload?: unknown): boolean;
  /** `true` until `end()`: lets `pino(destination)` take it as its only argument. */
  readonly writable: boolean;
  /** The sink records go to (the journal opened from `path`, or the given `sink`). */
  readonly sink: LogSink;
  /** What was written. */
  readonly stats: PinoDestinationStats;
}

/**
 * Create a pino destination that writes each pino line into the journal as a `log` record:
 * levels mapped (trace and debug → debug, info, warn, error and fatal → error; trace, fatal
 * and custom levels keep their pino label in `attributes.pinoLevel`), `msg` → `msg`, `time`
 * → `timestamp`, child bindings and every other field (`err` as pino serialized it) →
 * `attributes`; `conversationId`, `turnId`, `spanId` and `traceId` fields (and
 * OpenTelemetry's `trace_id`/`span_id`) → the record's own fields. Without a `spanId`,
 * inside a `withSpan` of a logger writing to the same sink, the entry joins that span. A line
 * that is not JSON is kept whole as the `msg` of an entry marked `pinoUnparsed`.
 *
 * @param options A `path` (the destination opens and, on `end()`, closes that journal), or a
 * `sink` the host owns; `extensionId`.
 * @returns The destination.
 * @throws {TypeError} When neither or both of `path` and `sink` are given, or an option is
 * invalid.
 *
 * @example pino writing into a journal
 * ```ts
 * import pino from "pino";
 * import { createPinoDestination } from "@dispatch/journal-sink/pino";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const destination = createPinoDestination({ path: "app.jsonl", extensionId: "api", fs });
 * const logger = pino({ level: "debug" }, destination);
 * logger.child({ requestId: "r1" }).warn({ ms: 812 }, "slow query");
 * destination.end();
 * const entry = JSON.parse(fs.text("app.jsonl"));
 * if (entry.level !== "warn" || entry.msg !== "slow query") throw new Error("mapping");
 * if (entry.attributes.requestId !== "r1" || entry.attributes.ms !== 812) throw new Error("fields");
 * ```
 */
export function createPinoDestination(options: PinoDestinationOptions): PinoDestination {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createPinoDestination needs an options object");
  }
  const { extensionId, onError } = options;
  if (extensionId !== undefined && (typeof extensionId !== "string" || extensionId === "")) {
    throw new TypeError("createPinoDestination: extensionId must be a non-empty string");
  }
  const messageKey = options.messageKey ?? DEFAULT_PINO_CONFIG.messageKey;
  if (typeof messageKey !== "string" || messageKey === "") {
    throw new TypeError("createPinoDestination: messageKey must be a non-empty string");
  }
  let sink: LogSink & { flush?(): void; close?(): void };
  let owned: boolean;
  if (options.sink !== undefined) {
    if (options.path !== undefined) {
      throw new TypeError("createPinoDestination: give either path or sink, not both");
    }
    sink = options.sink;
    if (typeof sink !== "object" || sink === null || typeof sink.emit !== "function") {
      throw new TypeError("createPinoDestination: sink must have an emit(record) method");
    }
    owned = options.closeSinkOnEnd === true;
  } else if (typeof options.path === "string") {
    sink = createJournalSink(options) as JournalSink;
    owned = true;
  } else {
    throw new TypeError("createPinoDestination: give a path or a sink");
  }

  let config: PinoConfig = { ...DEFAULT_PINO_CONFIG, messageKey };
  let open = true;
  const stats: PinoDestinationStats = { lines: 0, unparsed: 0 };
  const decoder = new TextDecoder();
  const report = firstFailureWarning(onError, "pino destination");
  const writeLine = (line: string, now: number): void => {
    const { entry, parsed } = pinoLineToEntry(line, extensionId, config, now);
    if (entry.spanId === undefined) {
      const active = activeSpanFor(sink);
      if (active !== undefined) {
        entry.spanId = active.spanId;
        if (entry.conversationId === undefined && active.conversationId !== undefined) {
          entry.conversationId = active.conversationId;
        }
        if (entry.turnId === undefined && active.turnId !== undefined) {
          entry.turnId = active.turnId;
        }
      }
    }
    stats.lines++;
    if (!parsed) stats.unparsed++;
    sink.emit(entry);
  };
  const flushSink = (): void => {
    try {
      sink.flush?.();
    } catch (error) {
      report(error);
    }
  };

  return {
    write(chunk: string | Uint8Array): boolean {
      try {
        const text = typeof chunk === "string"
          ? chunk
          : chunk instanceof Uint8Array
          ? decoder.decode(chunk)
          : String(chunk);
        const now = Date.now();
        let start = 0;
        while (start < text.length) {
          let end = text.indexOf("\n", start);
          if (end === -1) end = text.length;
          const line = text.slice(start, end).trim();
          if (line !== "") writeLine(line, now);
          start = end + 1;
        }
      } catch (error) {
        report(error);
      }
      return true;
    },
    flush(callback?: (error?: Error | null) => void): void {
      flushSink();
      if (typeof callback === "function") {
        try {
          callback(null);
        } catch (error) {
          report(error);
        }
      }
    },
    flushSync(): void {
      flushSink();
    },
    end(): void {
      if (!open) return;
      open = false;
      try {
        if (owned && typeof sink.close === "function") sink.close();
        else sink.flush?.();
      } catch (error) {
        report(error);
      }
    },
    emit(event: string | symbol, payload?: unknown): boolean {
      try {
        const message = payload as {
          code?: unknown;
          config?: { messageKey?: unknown; levels?: { labels?: unknown } };
        };
        if (event !== "message" || message?.code !== "PINO_CONFIG") return false;
        const key = message.config?.messageKey;
        const labels = message.config?.levels?.labels;
        config = {
          messageKey: typeof key === "string" && key !== "" ? key : config.messageKey,
          labels: typeof labels === "object" && labels !== null
            ? labels as Record<string, string>
            : config.labels,
        };
        return true;
      } catch (error) {
        report(error);
        return false;
      }
    },
    get writable(): boolean {
      return open;
    },
    sink,
    stats,
  };
}
