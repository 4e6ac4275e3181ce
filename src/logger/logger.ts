/**
 * The front that hosts and extensions call: a leveled, attributed {@linkcode Logger} and
 * incrementally written {@linkcode Span}s, scoped per extension by the host.
 *
 * @module
 */

import { type Clock, systemClock } from "../clock.ts";
import { levelOfRank, levelRank, requireLevel } from "../levels.ts";
import { isAttributes, isLink } from "../record_check.ts";
import type { Level, Link, LogEntry, LogRecord, LogSink, SpanClose, SpanOpen } from "../records.ts";
import { compileRedaction, type Redactor, redactValue } from "../redact.ts";
import { firstFailureWarning } from "../sink/error_reporter.ts";
import { activeContext, runInContext } from "./span_context.ts";
import { newSpanId } from "../span_id.ts";
import { newTraceId, turnTraceId } from "../trace_id.ts";

/**
 * Structured key/values attached to a record.
 *
 * @example
 * ```ts
 * import type { Attributes } from "@dispatch/journal-sink";
 * const attributes: Attributes = { tool: "search", tokens: 12 };
 * if (attributes.tool !== "search") throw new Error("unreachable");
 * ```
 */
export type Attributes = Record<string, unknown>;

/**
 * How a span ended.
 *
 * @example
 * ```ts
 * import type { SpanStatus } from "@dispatch/journal-sink";
 * const status: SpanStatus = "error";
 * if (status !== "error") throw new Error("unreachable");
 * ```
 */
export type SpanStatus = "ok" | "error";

/**
 * Options of {@linkcode createLogger}. Only the host (whoever calls `createLogger`) sets
 * `extensionId`; nothing an extension does with the logger it is handed can change it.
 *
 * @example A host's logger for one extension
 * ```ts
 * import { createLogger, type LoggerOptions, type LogRecord } from "@dispatch/journal-sink";
 * const records: LogRecord[] = [];
 * const options: LoggerOptions = {
 *   sink: { emit: (record) => void records.push(record) },
 *   extensionId: "weather",
 *   minLevel: "info",
 *   redact: ["authorization", "user.*.password"],
 * };
 * createLogger(options).debug("filtered");
 * if (records.length !== 0) throw new Error("debug should be filtered");
 * ```
 */
export interface LoggerOptions {
  /** Where records go: a {@linkcode JournalSink}, or any `{ emit }`. */
  sink: LogSink;
  /** Who writes the records. Fixed for this logger, its children and its spans. */
  extensionId: string;
  /**
   * Wall-clock time for `timestamp`. When given, span durations are differences of this
   * clock too (deterministic in tests); by default they come from `performance.now()`.
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Log entries below this level are dropped at the call, before any record is built.
   * Spans are not leveled and are always written.
   * @default {"debug"}
   */
  minLevel?: Level;
  /** Conversation every record belongs to. */
  conversationId?: string;
  /** Turn every record belongs to. */
  turnId?: string;
  /** Attributes on every log entry and span-open record (a call's own attributes win). */
  attributes?: Attributes;
  /**
   * Keys to replace with `"[REDACTED]"` in attributes and bodies, case-insensitively: a
   * name without a dot matches that key at any depth (`"authorization"`); a dotted path
   * matches from the root of the attributes or body, `*` standing for one key or index
   * (`"user.*.password"`). The caller's objects are never mutated. Unset costs nothing.
   */
  redact?: readonly string[];
  /**
   * Attach records to the span made active by `withSpan` or `span.run` in the current
   * async flow (via `AsyncLocalStorage`), when that span writes to the same sink. Set to
   * `false` to make spans and logs explicit only.
   * @default {true}
   */
  implicitContext?: boolean;
  /**
   * Receives what the logger caught: a throwing sink, a failed redaction. Never called
   * with an unredacted record.
   * @default {one console.warn line prefixed "[journal-sink]", for the first failure only}
   */
  onError?: (error: unknown, record?: unknown) => void;
}

/**
 * What {@linkcode Logger.child} may narrow. There is no `extensionId` here, by design.
 *
 * @example
 * ```ts
 * import type { LoggerScope } from "@dispatch/journal-sink";
 * const scope: LoggerScope = { turnId: "t2", attributes: { step: 1 } };
 * if (scope.turnId !== "t2") throw new Error("unreachable");
 * ```
 */
export interface LoggerScope {
  /** Conversation of every record the child writes. */
  conversationId?: string;
  /** Turn of every record the child writes. */
  turnId?: string;
  /** Added to (and overriding) the parent's attributes. */
  attributes?: Attributes;
  /** The child's own threshold. */
  minLevel?: Level;
}

/**
 * Extra parts of a span-open record.
 *
 * @example Linking a span to the one that scheduled it
 * ```ts
 * import type { SpanOptions } from "@dispatch/journal-sink";
 * const options: SpanOptions = { links: [{ spanId: "5e5a0c1f2b3d4e6f", reason: "retry-of" }] };
 * if (options.links?.length !== 1) throw new Error("unreachable");
 * ```
 */
export interface SpanOptions {
  /** Causal links to other spans, kept on the span-open record. */
  links?: readonly Link[];
  /** A larger payload on the span-open record (the request the span serves). */
  body?: unknown;
}

/**
 * A leveled, attributed logger bound to one extension. Every method is safe to call in any
 * state: nothing throws into the caller (a throwing sink or redactor is caught and reported
 * through `onError`; `attributes` that are not an object, from an untyped caller, are left
 * out of the record and reported the same way). Records are handed to the sink synchronously.
 *
 * @example Logging, scoping and spans
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "ext" });
 * const turn = log.child({ conversationId: "c1", turnId: "t1" });
 * turn.withSpan("step", (span) => span.info("thinking", { tokens: 3 }));
 * const entry = records[1];
 * if (entry.kind !== "log" || entry.turnId !== "t1" || entry.spanId !== records[0].spanId) {
 *   throw new Error("the entry should belong to the step span");
 * }
 * ```
 */
export interface Logger {
  /** Who this logger writes as. */
  readonly extensionId: string;
  /** Entries below this level are dropped. */
  readonly minLevel: Level;
  /**
   * Whether an entry at `level` would be written: guard costly attribute building with it.
   *
   * @param level A level.
   * @returns `true` when `level` is at or above `minLevel`.
   */
  isEnabled(level: Level): boolean;
  /**
   * Write a `debug` entry.
   *
   * @param msg The message.
   * @param attributes Structured key/values.
   * @param body A larger payload.
   */
  debug(msg: string, attributes?: Attributes, body?: unknown): void;
  /**
   * Write an `info` entry.
   *
   * @param msg The message.
   * @param attributes Structured key/values.
   * @param body A larger payload.
   */
  info(msg: string, attributes?: Attributes, body?: unknown): void;
  /**
   * Write a `warn` entry.
   *
   * @param msg The message.
   * @param attributes Structured key/values.
   * @param body A larger payload.
   */
  warn(msg: string, attributes?: Attributes, body?: unknown): void;
  /**
   * Write an `error` entry.
   *
   * @param msg The message.
   * @param attributes Structured key/values.
   * @param body A larger payload.
   */
  error(msg: string, attributes?: Attributes, body?: unknown): void;
  /**
   * A logger with a narrower scope: same sink and `extensionId`, the given conversation,
   * turn, extra attributes or threshold. A child of a span writes inside that span.
   *
   * @param scope What to narrow.
   * @returns The child logger.
   */
  child(scope: LoggerScope): Logger;
  /**
   * Open a span now (a `span-open` record is written at once). Its parent is this logger's
   * span, or else the active span of the current async flow (same sink), if any.
   *
   * @param name What the span measures.
   * @param attributes Key/values known at the start.
   * @param options Links and a body for the span-open record.
   * @returns The open span; end it with `end()`, or with `using`.
   */
  span(name: string, attributes?: Attributes, options?: SpanOptions): Span;
  /**
   * Run `fn` inside a new span that is the active span for everything `fn` does, across
   * awaits and timers. Returns what `fn` returns (a promise stays a promise), and closes
   * the span `"ok"`, or `"error"` with the error's name, message and stack in the close
   * record's `attributes.error` when `fn` throws or rejects; the error still propagates.
   *
   * @param name What the span measures.
   * @param fn The work; receives the span.
   * @param attributes Key/values known at the start.
   * @param options Links and a body for the span-open record.
   * @returns `fn`'s result.
   */
  withSpan<T>(
    name: string,
    fn: (span: Span) => T,
    attributes?: Attributes,
    options?: SpanOptions,
  ): T;
}

/**
 * A unit of work written incrementally: `span-open` when it starts, `span-close` (with
 * `durationMs` and `status`) when it ends, so a crash leaves the open span visible. A span
 * is also a {@linkcode Logger} whose entries carry its `spanId` and whose spans are its
 * children.
 *
 * @example Ending a span with `using`
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "ext" });
 * {
 *   using span = log.span("tool-call", { tool: "search" });
 *   span.info("calling");
 * }
 * const close = records[2];
 * if (close.kind !== "span-close" || close.status !== "ok") throw new Error("not closed");
 * ```
 */
export interface Span extends Logger {
  /** 16 random hex characters, unique across processes. */
  readonly spanId: string;
  /**
   * 32 hex characters shared by the whole trace: a child span's is its parent's; a root
   * span's is derived from its conversation and turn (the same id the OTLP export gives
   * that turn), or random outside any turn.
   */
  readonly traceId: string;
  /** What the span measures. */
  readonly name: string;
  /** The enclosing span, if any. */
  readonly parentSpanId: string | undefined;
  /** Whether `end` (or `fail`) already wrote the close record. */
  readonly ended: boolean;
  /**
   * Write the `span-close` record, exactly once: later calls do nothing.
   *
   * @param status How the work ended.
   * @param attributes Key/values known at the end.
   */
  end(status?: SpanStatus, attributes?: Attributes): void;
  /**
   * End with status `"error"`, recording `error` (name, message, stack, code) as plain
   * strings in `attributes.error`. Does nothing if the span already ended.
   *
   * @param error What was thrown.
   * @param attributes More key/values known at the end.
   */
  fail(error: unknown, attributes?: Attributes): void;
  /**
   * Run `fn` with this span active for the current async flow, without ending it: for a
   * span opened in one place whose work runs in several callbacks.
   *
   * @param fn The work.
   * @returns `fn`'s result.
   */
  run<T>(fn: () => T): T;
  /** Same as `end()`, so `using span = log.span(…)` closes it `"ok"` at the end of scope. */
  [Symbol.dispose](): void;
}

interface Core {
  readonly sink: LogSink;
  readonly extensionId: string;
  readonly clock: Clock;
  /** Milliseconds on a monotonic scale, for durations. */
  readonly elapsed: () => number;
  readonly redactor: Redactor | undefined;
  readonly implicit: boolean;
  readonly report: (error: unknown, record?: unknown) => void;
  /** Reports an argument of the wrong type that was left out (the record is still written). */
  readonly ignored: (error: unknown) => void;
}

/**
 * Create the logger for one extension (or for the host itself). Validates its options
 * once, here, with a `TypeError`; the logger it returns never throws.
 *
 * @param options The sink, the fixed `extensionId`, and optional scope, threshold and
 * redaction.
 * @returns A {@linkcode Logger}.
 * @throws {TypeError} When `sink`, `extensionId`, `minLevel`, `attributes` or a `redact`
 * pattern is invalid.
 *
 * @example One logger per extension, sharing a journal
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * const records: LogRecord[] = [];
 * const sink = { emit: (record: LogRecord) => void records.push(record) };
 * const weather = createLogger({ sink, extensionId: "weather", redact: ["apiKey"] });
 * weather.child({ turnId: "t1" }).info("fetched", { city: "Oslo", apiKey: "k-123" });
 * const entry = records[0];
 * if (entry.kind !== "log" || entry.extensionId !== "weather") throw new Error("scope");
 * if (entry.attributes?.apiKey !== "[REDACTED]") throw new Error("not redacted");
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createLogger needs an options object");
  }
  const { sink, extensionId, clock, minLevel, onError } = options;
  if (typeof sink !== "object" || sink === null || typeof sink.emit !== "function") {
    throw new TypeError("createLogger: sink must have an emit(record) method");
  }
  if (typeof extensionId !== "string" || extensionId === "") {
    throw new TypeError("createLogger: extensionId must be a non-empty string");
  }
  if (clock !== undefined && typeof clock?.now !== "function") {
    throw new TypeError("createLogger: clock must have a now() method");
  }
  const min = requireLevel(minLevel ?? "debug", "minLevel");
  if (options.attributes !== undefined && !isAttributes(options.attributes)) {
    throw new TypeError("createLogger: attributes must be an object of key/values");
  }
  const report = firstFailureWarning(onError, `logger (${extensionId}): record lost`);
  const ignored = firstFailureWarning(onError, `logger (${extensionId}): argument left out`);
  const core: Core = Object.freeze({
    sink,
    extensionId,
    clock: clock ?? systemClock,
    elapsed: clock === undefined ? () => performance.now() : () => clock.now(),
    redactor: compileRedaction(options.redact),
    implicit: options.implicitContext !== false,
    report,
    ignored,
  });
  const attributes = options.attributes === undefined ? undefined : { ...options.attributes };
  return new LoggerImpl(core, options.conversationId, options.turnId, attributes, min, undefined);
}

/**
 * Redacts a record the logger just built and hands it to the sink. Both callers' failures
 * are reported by {@linkcode reportLost}.
 */
function deliver(core: Core, record: LogRecord): void {
  if (core.redactor !== undefined) redactRecord(record, core.redactor, core);
  core.sink.emit(record);
}

/** A record could not be built or written: report it, never the unredacted payload. */
function reportLost(core: Core, error: unknown, record: LogRecord | undefined): void {
  core.report(error, core.redactor === undefined ? record : undefined);
}

/**
 * A call's `attributes` when they are an object of key/values. Anything else (a string from
 * an untyped caller: `span.end("ok", "done")`) is left out and reported, and the record is
 * written without it: refusing the record would lose a span's close and show it open.
 */
function ownAttributes(core: Core, value: unknown, call: string): Attributes | undefined {
  if (value === undefined || value === null) return undefined;
  if (isAttributes(value)) return value;
  const given = Array.isArray(value) ? "an array" : `a ${typeof value}`;
  core.ignored(new TypeError(`${call}: attributes must be an object of key/values, got ${given}`));
  return undefined;
}

/** A span's links that are well-formed; the others are left out and reported. */
function ownLinks(core: Core, links: readonly Link[]): Link[] {
  const kept = links.filter(isLink);
  if (kept.length < links.length) {
    core.ignored(new TypeError("span: each link must be an object with a string spanId"));
  }
  return kept;
}

function merge(base: Attributes | undefined, own: Attributes | undefined): Attributes | undefined {
  if (own === undefined || own === null) return base;
  if (base === undefined) return own;
  return { ...base, ...own };
}

/** The error as plain strings, for `attributes.error` of a failed span. */
function describeError(error: unknown): Attributes {
  try {
    if (typeof error === "object" && error !== null && "message" in error) {
      const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
      const out: Attributes = { name: String(e.name ?? "Error"), message: String(e.message) };
      if (typeof e.stack === "string") out.stack = e.stack;
      if (typeof e.code === "string" || typeof e.code === "number") out.code = e.code;
      return out;
    }
    return { message: String(error) };
  } catch {
    return { message: "unprintable error" };
  }
}

/** Apply redaction in place on a record the logger just built (never the caller's objects). */
function redactRecord(
  record: { attributes?: Attributes; body?: unknown },
  redactor: Redactor,
  core: Core,
): void {
  try {
    if (record.attributes !== undefined) {
      record.attributes = redactValue(record.attributes, redactor) as Attributes;
    }
    if (record.body !== undefined) record.body = redactValue(record.body, redactor);
  } catch (error) {
    // Fail closed: a payload that cannot be inspected is not written.
    record.attributes = { redactionFailed: true };
    delete record.body;
    core.report(error);
  }
}

class LoggerImpl implements Logger {
  private core: Core;
  private conv: string | undefined;
  private turn: string | undefined;
  private attrs: Attributes | undefined;
  private min: number;
  /** The span this logger writes inside, explicitly; `undefined` for a plain logger. */
  private boundSpan: SpanImpl | undefined;
  /** The trace id of this logger's turn, derived on its first root span. */
  private turnTrace: string | undefined;

  constructor(
    core: Core,
    conv: string | undefined,
    turn: string | undefined,
    attrs: Attributes | undefined,
    min: number,
    span: SpanImpl | undefined,
  ) {
    this.core = core;
    this.conv = conv;
    this.turn = turn;
    this.attrs = attrs;
    this.min = min;
    this.boundSpan = span ?? (this instanceof SpanImpl ? this : undefined);
  }

  get extensionId(): string {
    return this.core.extensionId;
  }

  get minLevel(): Level {
    return levelOfRank(this.min);
  }

  isEnabled(level: Level): boolean {
    return (levelRank(level) ?? -1) >= this.min;
  }

  debug(msg: string, attributes?: Attributes, body?: unknown): void {
    if (this.min <= 0) this.writeLog("debug", msg, attributes, body);
  }

  info(msg: string, attributes?: Attributes, body?: unknown): void {
    if (this.min <= 1) this.writeLog("info", msg, attributes, body);
  }

  warn(msg: string, attributes?: Attributes, body?: unknown): void {
    if (this.min <= 2) this.writeLog("warn", msg, attributes, body);
  }

  error(msg: string, attributes?: Attributes, body?: unknown): void {
    this.writeLog("error", msg, attributes, body);
  }

  child(scope: LoggerScope): Logger {
    try {
      const s = typeof scope === "object" && scope !== null ? scope : {};
      const min = s.minLevel === undefined ? this.min : (levelRank(s.minLevel) ?? this.min);
      const own = ownAttributes(this.core, s.attributes, "child");
      const attrs = own === undefined ? this.attrs : { ...this.attrs, ...own };
      return new LoggerImpl(
        this.core,
        typeof s.conversationId === "string" ? s.conversationId : this.conv,
        typeof s.turnId === "string" ? s.turnId : this.turn,
        attrs,
        min,
        this.boundSpan,
      );
    } catch (error) {
      this.core.report(error);
      return this;
    }
  }

  span(name: string, attributes?: Attributes, options?: SpanOptions): Span {
    const parent = this.parent();
    const conv = this.conv ?? (parent === undefined ? undefined : parent.conv);
    const turn = this.turn ?? (parent === undefined ? undefined : parent.turn);
    // A child shares its parent's trace; a root span its turn's (hashed once per logger,
    // whose conversation and turn never change), or a random one outside any turn.
    const trace = parent !== undefined
      ? parent.traceId
      : turn !== undefined
      ? (this.turnTrace ??= turnTraceId(conv, turn))
      : newTraceId();
    return new SpanImpl(
      this.core,
      conv,
      turn,
      this.attrs,
      this.min,
      typeof name === "string" ? name : String(name),
      parent?.spanId,
      trace,
      attributes,
      options,
    );
  }

  withSpan<T>(
    name: string,
    fn: (span: Span) => T,
    attributes?: Attributes,
    options?: SpanOptions,
  ): T {
    const span = this.span(name, attributes, options);
    let result: T;
    try {
      result = this.core.implicit ? span.run(() => fn(span)) : fn(span);
    } catch (error) {
      span.fail(error);
      throw error;
    }
    let then: unknown;
    try {
      then = typeof result === "object" && result !== null || typeof result === "function"
        ? (result as { then?: unknown }).then
        : undefined;
    } catch {
      then = undefined;
    }
    if (typeof then !== "function") {
      span.end("ok");
      return result;
    }
    return (then as (ok: (v: unknown) => unknown, err: (e: unknown) => never) => T).call(
      result,
      (value) => {
        span.end("ok");
        return value;
      },
      (error) => {
        span.fail(error);
        throw error;
      },
    );
  }

  /** The span records attach to: the bound one, else the active one writing to our sink. */
  private parent(): SpanImpl | undefined {
    const bound = this.boundSpan;
    if (bound !== undefined || !this.core.implicit) return bound;
    const active = activeContext();
    if (active === undefined || !(active instanceof SpanImpl)) return undefined;
    return active.core.sink === this.core.sink ? active : undefined;
  }

  private writeLog(
    level: Level,
    msg: string,
    attributes: Attributes | undefined,
    body: unknown,
  ): void {
    const core = this.core;
    let record: LogEntry | undefined;
    try {
      const parent = this.parent();
      record = {
        kind: "log",
        level,
        msg: typeof msg === "string" ? msg : String(msg),
        timestamp: core.clock.now(),
        extensionId: core.extensionId,
      };
      const conv = this.conv ?? (parent === undefined ? undefined : parent.conv);
      if (conv !== undefined) record.conversationId = conv;
      const turn = this.turn ?? (parent === undefined ? undefined : parent.turn);
      if (turn !== undefined) record.turnId = turn;
      if (parent !== undefined) {
        record.spanId = parent.spanId;
        record.traceId = parent.traceId;
      }
      const own = attributes === undefined ? undefined : ownAttributes(core, attributes, level);
      const attrs = merge(this.attrs, own);
      if (attrs !== undefined) record.attributes = attrs;
      if (body !== undefined) record.body = body;
      deliver(core, record);
    } catch (error) {
      reportLost(core, error, record);
    }
  }

  /** The active span's journal coordinates, for other writers to the same sink. */
  static activeFor(sink: LogSink): SpanCoordinates | undefined {
    const active = activeContext();
    if (active === undefined || !(active instanceof SpanImpl)) return undefined;
    if (active.core.sink !== sink) return undefined;
    const out: SpanCoordinates = { spanId: active.spanId, traceId: active.traceId };
    if (active.conv !== undefined) out.conversationId = active.conv;
    if (active.turn !== undefined) out.turnId = active.turn;
    return out;
  }
}

/**
 * Where the active span sits in the journal (internal: for writers such as the LogTape
 * bridge that share a sink with a logger).
 */
export interface SpanCoordinates {
  spanId: string;
  traceId: string;
  conversationId?: string;
  turnId?: string;
}

/**
 * The span active in the current async flow, when it writes to `sink`: lets another writer
 * to the same journal (the LogTape bridge) attach its records to it.
 *
 * @param sink The writer's sink.
 * @returns The span's id, conversation and turn, or `undefined`.
 */
export function activeSpanFor(sink: LogSink): SpanCoordinates | undefined {
  try {
    return LoggerImpl.activeFor(sink);
  } catch {
    return undefined;
  }
}

class SpanImpl extends LoggerImpl implements Span {
  private sinkCore: Core;
  private id: string;
  private spanName: string;
  private parentId: string | undefined;
  private conversationId: string | undefined;
  private turnId: string | undefined;
  private trace: string;
  private start: number;
  private isEnded = false;

  constructor(
    core: Core,
    conv: string | undefined,
    turn: string | undefined,
    baseAttrs: Attributes | undefined,
    min: number,
    name: string,
    parentId: string | undefined,
    traceId: string,
    attributes: Attributes | undefined,
    options: SpanOptions | undefined,
  ) {
    super(core, conv, turn, baseAttrs, min, undefined);
    this.sinkCore = core;
    this.spanName = name;
    this.parentId = parentId;
    this.conversationId = conv;
    this.turnId = turn;
    this.id = newSpanId();
    this.trace = traceId;
    this.start = core.elapsed();
    let record: SpanOpen | undefined;
    try {
      record = {
        kind: "span-open",
        spanId: this.id,
        traceId: this.trace,
        name,
        timestamp: core.clock.now(),
        extensionId: core.extensionId,
      };
      if (conv !== undefined) record.conversationId = conv;
      if (turn !== undefined) record.turnId = turn;
      if (parentId !== undefined) record.parentSpanId = parentId;
      const own = attributes === undefined ? undefined : ownAttributes(core, attributes, "span");
      const attrs = merge(baseAttrs, own);
      if (attrs !== undefined) record.attributes = attrs;
      const links = options?.links;
      if (Array.isArray(links) && links.length > 0) {
        const kept = ownLinks(core, links);
        if (kept.length > 0) record.links = kept;
      }
      if (options?.body !== undefined) record.body = options.body;
      deliver(core, record);
    } catch (error) {
      reportLost(core, error, record);
    }
  }

  get spanId(): string {
    return this.id;
  }

  get traceId(): string {
    return this.trace;
  }

  get name(): string {
    return this.spanName;
  }

  get parentSpanId(): string | undefined {
    return this.parentId;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  end(status: SpanStatus = "ok", attributes?: Attributes): void {
    if (this.isEnded) return;
    this.isEnded = true;
    const core = this.sinkCore;
    let record: SpanClose | undefined;
    try {
      const durationMs = Math.max(0, Math.round((core.elapsed() - this.start) * 1000) / 1000);
      record = {
        kind: "span-close",
        spanId: this.id,
        traceId: this.trace,
        name: this.spanName,
        timestamp: core.clock.now(),
        durationMs,
        status: status === "error" ? "error" : "ok",
        extensionId: core.extensionId,
      };
      if (this.conversationId !== undefined) record.conversationId = this.conversationId;
      if (this.turnId !== undefined) record.turnId = this.turnId;
      if (this.parentId !== undefined) record.parentSpanId = this.parentId;
      const own = attributes === undefined ? undefined : ownAttributes(core, attributes, "end");
      if (own !== undefined) record.attributes = own;
      deliver(core, record);
    } catch (error) {
      reportLost(core, error, record);
    }
  }

  fail(error: unknown, attributes?: Attributes): void {
    if (this.isEnded) return;
    const own = attributes === undefined
      ? undefined
      : ownAttributes(this.sinkCore, attributes, "fail");
    this.end("error", { ...own, error: describeError(error) });
  }

  run<T>(fn: () => T): T {
    return runInContext(this, fn);
  }

  [Symbol.dispose](): void {
    this.end();
  }
}
