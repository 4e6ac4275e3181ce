/**
 * What a journal sink can be told, and the check that refuses bad options at creation
 * (so that nothing needs to throw later, when records flow).
 *
 * @module
 */

import { defaultFsOps } from "../adapters/default.ts";
import { type Clock, systemClock } from "../clock.ts";
import { type CompleteFs, completeFs } from "../complete_fs.ts";
import { type FsOps, parentDir } from "../fs_ops.ts";
import { type ErrorHandler, warnOnConsole } from "./error_reporter.ts";
import { type Naming, NAMINGS } from "../naming.ts";
import { MIN_RECORD_BYTES } from "../record_cut.ts";
import { type RotateEvery, rotationPeriodMs } from "../time_rotation.ts";

/**
 * When the sink makes appended bytes durable.
 *
 * - `"always"`: after every record; `emit` returns only once the line is on disk.
 * - `"periodic"`: at most every `fsyncIntervalMs`, and on `flush()`, `close()` and rotation.
 * - `"none"`: only on `flush()` and `close()`.
 *
 * @example
 * ```ts
 * import type { FsyncPolicy } from "@dispatch/journal-sink";
 * const policy: FsyncPolicy = "always";
 * if (policy !== "always") throw new Error("unreachable");
 * ```
 */
export type FsyncPolicy = "none" | "periodic" | "always";

/**
 * Opt-in batching: records collect in memory and reach the file in one write call per
 * batch. A batch is written when it reaches `maxBytes`, when `flushIntervalMs` has passed
 * since its first record, on `flush()` and `close()`, before a rotation, and when the
 * process exits (normal exit, `process.exit`/`Deno.exit`, SIGINT, SIGTERM, SIGHUP). A
 * record is never split across writes.
 *
 * What a crash can lose: a process killed with SIGKILL (or a runtime crash) loses the
 * records still in the batch, at most `maxBytes` or `flushIntervalMs` worth; power loss
 * loses that plus whatever the `fsync` policy had not yet synced.
 *
 * @example
 * ```ts
 * import type { BufferOptions } from "@dispatch/journal-sink";
 * const buffer: BufferOptions = { maxBytes: 128 * 1024, flushIntervalMs: 250 };
 * if (buffer.maxBytes !== 131072) throw new Error("unreachable");
 * ```
 */
export interface BufferOptions {
  /**
   * Write the batch once it holds this many characters (UTF-16 units, a lower bound of
   * its bytes). A record at least this large is written on its own.
   * @default {65536}
   */
  maxBytes?: number;
  /**
   * Write the batch at the latest this long after its first record.
   * @default {1000}
   */
  flushIntervalMs?: number;
}

/**
 * Options of {@linkcode createJournalSink}.
 *
 * @example
 * ```ts
 * import type { JournalSinkOptions } from "@dispatch/journal-sink";
 * const options: JournalSinkOptions = { path: "logs/app.jsonl", maxBytes: 10 * 1024 * 1024, maxFiles: 5 };
 * if (options.maxFiles !== 5) throw new Error("unreachable");
 * ```
 */
export interface JournalSinkOptions {
  /** The live journal file. Rotated generations sit beside it as `path.1` … `path.N`. */
  path: string;
  /**
   * Rotate before a line would push the file past this many bytes.
   * @default {52428800} (50 MiB)
   */
  maxBytes?: number;
  /**
   * Rotated generations kept: `path.1` (newest) … `path.N`; 0 keeps none.
   * @default {1}
   */
  maxFiles?: number;
  /**
   * When appended bytes are made durable.
   * @default {"periodic"}
   */
  fsync?: FsyncPolicy;
  /**
   * The longest time between fsyncs under `"periodic"`, in milliseconds.
   * @default {5000}
   */
  fsyncIntervalMs?: number;
  /**
   * The file system. Defaults to the adapter for the running runtime.
   * @default {defaultFsOps()}
   */
  fs?: FsOps;
  /**
   * The time source for the fsync interval and retry pacing.
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Receives every failure kind once per episode (a {@linkcode JournalSinkError}, and the
   * record it cost, if any). Never called for the same operation and code twice in a row
   * without a successful append in between.
   * @default {a console.warn line prefixed "[journal-sink]"}
   */
  onError?: (error: unknown, record?: unknown) => void;
  /**
   * Create the journal's directory (and its parents) when it is missing.
   * @default {true}
   */
  mkdir?: boolean;
  /**
   * Batch records in memory and write them in one call per batch (see
   * {@linkcode BufferOptions}); `true` takes the defaults. Off by default: every record
   * is written through when `emit` returns.
   * @default {false}
   */
  buffer?: BufferOptions | boolean;
  /**
   * Also rotate by time: `{ every: "daily" }` starts a new file at midnight UTC,
   * `"hourly"` on the hour, a number every that many milliseconds (boundaries are multiples
   * of it since the epoch). Combined with `maxBytes`: whichever comes first. Driven by
   * `clock`; an empty file is not rotated. A restarted process whose journal was last
   * written before the current period began rotates it before its first write.
   * @default {undefined} (size only)
   */
  rotate?: RotateOptions;
  /**
   * Remove rotated generations last written longer ago than this (checked at start and
   * after each rotation), on top of the `maxFiles` limit: whichever removes more.
   * @default {undefined} (no age limit)
   */
  maxAgeMs?: number;
  /**
   * `"gzip"`: compress each rotated generation to `path.N.gz` in the background. `emit` never
   * waits for it; a crash mid-compression leaves the plain generation, which is compressed
   * again at the next start. Needs `CompressionStream` and `FsOps.appendBytes`.
   * @default {"none"}
   */
  compress?: "gzip" | "none";
  /**
   * How rotated generations are named: `"suffix"` (`app.log.1`, `app.log.1.gz`) or
   * `"before-ext"` (`app.1.log`, `app.1.log.gz`). See {@linkcode Naming}.
   * @default {"suffix"}
   */
  naming?: Naming;
  /**
   * How often, in milliseconds, the sink checks that `path` still names its open file
   * (another program renamed or removed it: `logrotate`, an operator) and reopens it if
   * not, or notices that it was truncated (`copytruncate`). Two `stat` calls on a timer,
   * never on `emit`; `Infinity` turns it off (call `reopen()` yourself then).
   * @default {3000}
   */
  externalRotationCheckMs?: number;
  /**
   * The longest line, in bytes, a record may take. A longer record is still written, as one
   * valid line within the limit: its largest fields (`body`, attribute values, then `msg`)
   * are cut and end in `…[cut N bytes]` (an object or array becomes the beginning of its
   * JSON text, marked the same way), and `stats.truncated` counts it. At least 4096.
   * The default matches what OTLP collectors accept in one request by default, so every
   * record of the journal can still be exported, while keeping a 64 MiB attribute from
   * becoming a 64 MiB generation.
   * @default {4194304} (4 MiB)
   */
  maxRecordBytes?: number;
  /**
   * Write records whose `kind` is not `"log"`, `"span-open"` or `"span-close"` (a host's own
   * kinds; the reader passes them through), needing only a non-empty string `kind`. Off by
   * default: such a record is almost always a mistake (`emit({})`), and is dropped and
   * reported (`EINVAL`). Records of the three kinds are always checked for their fields.
   * @default {false}
   */
  acceptUnknownKinds?: boolean;
  /**
   * What a journal that cannot be opened at creation does: `"report"` drops records,
   * reports once through `onError` and retries the open on later emits; `"throw"` makes
   * `createJournalSink` throw a {@linkcode JournalSinkError} (operation `open`, the
   * failure's code, its cause), so a host learns at start that nothing will be written.
   * `sink.check()` asks the same question later.
   * @default {"report"}
   */
  onOpenError?: "report" | "throw";
}

/**
 * Time-based rotation, see {@linkcode JournalSinkOptions.rotate}.
 *
 * @example
 * ```ts
 * import type { RotateOptions } from "@dispatch/journal-sink";
 * const rotate: RotateOptions = { every: "hourly" };
 * if (rotate.every !== "hourly") throw new Error("unreachable");
 * ```
 */
export interface RotateOptions {
  /** A period in milliseconds, `"hourly"` (on the hour, UTC) or `"daily"` (midnight UTC). */
  every: RotateEvery;
}

const FSYNC_POLICIES: readonly string[] = ["none", "periodic", "always"];

/** Throws a TypeError or RangeError naming the first invalid option. */
export function checkOptions(options: JournalSinkOptions): void {
  if (typeof options?.path !== "string" || options.path === "") {
    throw new TypeError("journal-sink: `path` must be a non-empty string");
  }
  const { maxBytes, maxFiles, fsync, fsyncIntervalMs } = options;
  if (maxBytes !== undefined && !(maxBytes > 0)) {
    throw new RangeError("journal-sink: `maxBytes` must be a positive number");
  }
  if (maxFiles !== undefined && !(Number.isInteger(maxFiles) && maxFiles >= 0)) {
    throw new RangeError("journal-sink: `maxFiles` must be a whole number, 0 or more");
  }
  if (fsync !== undefined && !FSYNC_POLICIES.includes(fsync)) {
    throw new RangeError(`journal-sink: \`fsync\` must be one of ${FSYNC_POLICIES.join(", ")}`);
  }
  if (fsyncIntervalMs !== undefined && !(fsyncIntervalMs >= 0)) {
    throw new RangeError("journal-sink: `fsyncIntervalMs` must be 0 or more");
  }
  const buffer = options.buffer;
  if (typeof buffer === "object" && buffer !== null) {
    if (buffer.maxBytes !== undefined && !(buffer.maxBytes > 0)) {
      throw new RangeError("journal-sink: `buffer.maxBytes` must be a positive number");
    }
    if (buffer.flushIntervalMs !== undefined && !(buffer.flushIntervalMs >= 0)) {
      throw new RangeError("journal-sink: `buffer.flushIntervalMs` must be 0 or more");
    }
  } else if (buffer !== undefined && typeof buffer !== "boolean") {
    throw new TypeError("journal-sink: `buffer` must be an object or a boolean");
  }
  const { rotate, maxAgeMs, compress, naming, externalRotationCheckMs } = options;
  if (rotate !== undefined && Number.isNaN(rotationPeriodMs(rotate?.every))) {
    throw new RangeError(
      'journal-sink: `rotate.every` must be a positive number of ms, "hourly" or "daily"',
    );
  }
  if (maxAgeMs !== undefined && !(maxAgeMs > 0)) {
    throw new RangeError("journal-sink: `maxAgeMs` must be a positive number");
  }
  if (compress !== undefined && compress !== "gzip" && compress !== "none") {
    throw new RangeError('journal-sink: `compress` must be "gzip" or "none"');
  }
  if (naming !== undefined && !NAMINGS.includes(naming)) {
    throw new RangeError(`journal-sink: \`naming\` must be one of ${NAMINGS.join(", ")}`);
  }
  if (externalRotationCheckMs !== undefined && !(externalRotationCheckMs > 0)) {
    throw new RangeError("journal-sink: `externalRotationCheckMs` must be a positive number");
  }
  const { maxRecordBytes, acceptUnknownKinds, onOpenError } = options;
  if (maxRecordBytes !== undefined && !(maxRecordBytes >= MIN_RECORD_BYTES)) {
    throw new RangeError(
      `journal-sink: \`maxRecordBytes\` must be a number of at least ${MIN_RECORD_BYTES}`,
    );
  }
  if (acceptUnknownKinds !== undefined && typeof acceptUnknownKinds !== "boolean") {
    throw new TypeError("journal-sink: `acceptUnknownKinds` must be a boolean");
  }
  if (onOpenError !== undefined && onOpenError !== "report" && onOpenError !== "throw") {
    throw new RangeError('journal-sink: `onOpenError` must be "report" or "throw"');
  }
}

/** Every option with its default applied: what the sink's parts are built from. */
export interface ResolvedSinkOptions {
  path: string;
  /** The directory of `path`, whose entries a directory sync makes durable. */
  dir: string;
  maxBytes: number;
  maxFiles: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  fs: CompleteFs;
  clock: Clock;
  mkdir: boolean;
  onError: ErrorHandler;
  /** Buffered mode's limits, or `undefined` for write-through. */
  buffer: { maxBytes: number; flushIntervalMs: number } | undefined;
  naming: Naming;
  maxAgeMs: number | undefined;
  /** Time rotation's period, or `undefined` without time rotation. */
  every: RotateEvery | undefined;
  /** How often to look for external rotation; `Infinity` when the `FsOps` cannot tell. */
  externalCheckMs: number;
  compress: boolean;
  maxRecordBytes: number;
  acceptUnknownKinds: boolean;
  openErrorThrows: boolean;
}

/** The defaults, in one place (the option docs above say the same). */
export const SINK_DEFAULTS = {
  maxBytes: 50 * 1024 * 1024,
  maxFiles: 1,
  fsync: "periodic",
  fsyncIntervalMs: 5000,
  bufferMaxBytes: 64 * 1024,
  bufferFlushIntervalMs: 1000,
  naming: "suffix",
  externalRotationCheckMs: 3000,
  maxRecordBytes: 4 * 1024 * 1024,
} as const;

/**
 * Checks `options` (throwing a TypeError or RangeError for the first invalid one) and
 * applies every default: the one place a new option gets its default.
 *
 * @param options The options as given to `createJournalSink`.
 * @returns The options the sink runs with.
 */
export function resolveSinkOptions(options: JournalSinkOptions): ResolvedSinkOptions {
  checkOptions(options);
  const given = options.fs ?? defaultFsOps();
  const buffer = options.buffer;
  const bufferOptions = typeof buffer === "object" && buffer !== null ? buffer : {};
  return {
    path: options.path,
    dir: parentDir(options.path),
    maxBytes: options.maxBytes ?? SINK_DEFAULTS.maxBytes,
    maxFiles: options.maxFiles ?? SINK_DEFAULTS.maxFiles,
    fsync: options.fsync ?? SINK_DEFAULTS.fsync,
    fsyncIntervalMs: options.fsyncIntervalMs ?? SINK_DEFAULTS.fsyncIntervalMs,
    fs: completeFs(given),
    clock: options.clock ?? systemClock,
    mkdir: options.mkdir ?? true,
    onError: (options.onError ?? warnOnConsole) as ErrorHandler,
    buffer: buffer === undefined || buffer === false ? undefined : {
      maxBytes: bufferOptions.maxBytes ?? SINK_DEFAULTS.bufferMaxBytes,
      flushIntervalMs: bufferOptions.flushIntervalMs ?? SINK_DEFAULTS.bufferFlushIntervalMs,
    },
    naming: options.naming ?? SINK_DEFAULTS.naming,
    maxAgeMs: options.maxAgeMs,
    every: options.rotate?.every,
    // External rotation is told by comparing stat(path) with statHandle: both must be real.
    externalCheckMs: given.stat && given.statHandle
      ? options.externalRotationCheckMs ?? SINK_DEFAULTS.externalRotationCheckMs
      : Infinity,
    compress: options.compress === "gzip",
    maxRecordBytes: options.maxRecordBytes ?? SINK_DEFAULTS.maxRecordBytes,
    acceptUnknownKinds: options.acceptUnknownKinds ?? false,
    openErrorThrows: options.onOpenError === "throw",
  };
}
