/**
 * OTLP requests as journal records, the pure half of the receiver: an
 * `ExportTraceServiceRequest` becomes a `span-open`, a `log` per span event and a
 * `span-close` per span; an `ExportLogsServiceRequest` a `log` per log record. One walker
 * reads both wire forms: the OTLP/JSON object (hex ids, int64 as decimal strings, enums as
 * integers or names) and the message protobufjs decodes (ids as bytes, int64 as `Long`).
 *
 * @module
 */

import type { Level, Link, LogEntry, LogRecord, SpanClose, SpanOpen } from "../records.ts";
import { claudeCodeModelCall, isClaudeCodeApiRequest } from "../genai/claude_code_events.ts";
import { hashTraceId } from "../trace_id.ts";
import { restoreJournalExport } from "./journal_marks.ts";
import {
  JOURNAL_ATTRIBUTES as J,
  JOURNAL_SCOPE_KEYS,
  levelOfSeverity,
  OTEL_ATTRIBUTES as OTEL,
  OTEL_DEFAULT_COUNT_LIMIT,
  SEVERITY_NAMES,
  SPAN_KIND_INTERNAL,
  SPAN_KINDS,
  STATUS_CODES,
  STATUS_ERROR,
} from "./otlp_conventions.ts";

/** Which wire form a decoded request came in. */
export type OtlpWire = "json" | "protobuf";

/**
 * What a request turned into: the records to append, and the spans or log records that
 * were refused (with the reason, for the `partialSuccess` answer).
 */
export interface OtlpRecords {
  /** Records in the order to append them. */
  records: LogRecord[];
  /** Spans (traces) or log records (logs) accepted. */
  accepted: number;
  /** Spans or log records refused. */
  rejected: number;
  /** Why, when some were refused. */
  reason?: string;
}

/**
 * Bounds on the attributes of each span, span event, link and log record, as an
 * OpenTelemetry SDK's span limits: attributes past `maxAttributes` are dropped and counted
 * in `otel.dropped_attributes_count` (with any count the sender reported), string values
 * longer than `maxAttributeLength` are cut to it.
 */
export interface OtlpLimits {
  /**
   * Attributes kept per span, event or log record (the OpenTelemetry SDKs' default).
   * @default {128}
   */
  maxAttributes?: number;
  /**
   * The longest string value kept, in UTF-16 code units, counted per string (also inside
   * arrays and maps). Unlimited in the SDKs; a receiver needs a bound.
   * @default {Infinity}
   */
  maxAttributeLength?: number;
}

/**
 * A request the receiver refuses as a whole (HTTP 400), such as a timestamp no fixed64 can
 * hold: a sender's bug that a retry would repeat.
 *
 * @example
 * ```ts
 * import { OtlpRequestError, tracesToRecords } from "./otlp_to_records.ts";
 * const span = { traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", startTimeUnixNano: 1e300 };
 * let refused = false;
 * try {
 *   tracesToRecords({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }, "json");
 * } catch (error) {
 *   refused = error instanceof OtlpRequestError;
 * }
 * if (!refused) throw new Error("1e300 accepted");
 * ```
 */
export class OtlpRequestError extends Error {
  /**
   * Builds the error.
   *
   * @param message What is wrong with the request.
   */
  constructor(message: string) {
    super(message);
    this.name = "OtlpRequestError";
  }
}

type Obj = Record<string, unknown>;

const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);
const HEX_ID = /^[0-9a-fA-F]+$/;
const ZERO_ID = /^0+$/;
const MAX_DEPTH = 32;
/** OTel's default when a resource has no `service.name`. */
const UNKNOWN_SERVICE = "unknown_service";

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** An id of `size` bytes as lowercase hex, or `undefined` when absent, malformed or all zero. */
function idHex(value: unknown, size: number): string | undefined {
  let hex: string | undefined;
  if (value instanceof Uint8Array) {
    if (value.length !== size) return undefined;
    hex = "";
    for (let i = 0; i < size; i++) hex += HEX[value[i]];
  } else if (typeof value === "string") {
    if (value.length === 2 * size && HEX_ID.test(value)) hex = value.toLowerCase();
    else if (value.length === Math.ceil(size / 3) * 4) hex = base64Hex(value, size); // proto3 JSON
  }
  return hex === undefined || ZERO_ID.test(hex) ? undefined : hex;
}

function base64Hex(text: string, size: number): string | undefined {
  try {
    const raw = atob(text);
    if (raw.length !== size) return undefined;
    let hex = "";
    for (let i = 0; i < size; i++) hex += HEX[raw.charCodeAt(i)];
    return hex;
  } catch {
    return undefined;
  }
}

/** A 64-bit integer in any wire form as a bigint, or `undefined`. */
function int64(value: unknown, signed: boolean): bigint | undefined {
  if (typeof value === "string") {
    if (!/^-?\d{1,20}$/.test(value)) return undefined;
    return BigInt(value);
  }
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === "bigint") return value;
  if (isObj(value) && typeof value.low === "number" && typeof value.high === "number") {
    const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return signed ? BigInt.asIntN(64, bits) : bits;
  }
  return undefined;
}

const TWO_64 = 2n ** 64n;

/**
 * Nanoseconds since the epoch (fixed64) as milliseconds, or `undefined` when absent or 0.
 * A value no fixed64 can hold (negative, fractional, `1e300`, not a number) refuses the
 * request: guessing a time for it would put the record anywhere.
 */
function nanosToMs(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  let nanos: bigint | undefined;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 64) nanos = BigInt(value);
  } else if (typeof value !== "string" || /^\d{1,20}$/.test(value)) {
    nanos = int64(value, false);
  }
  if (nanos === undefined || nanos < 0n || nanos >= TWO_64) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
    throw new OtlpRequestError(
      `${field} ${shown} is not a fixed64 (nanoseconds since the epoch, 0 to 2^64-1)`,
    );
  }
  if (nanos === 0n) return undefined;
  return Number(nanos / 1_000_000n) + Number(nanos % 1_000_000n) / 1e6;
}

function bytesBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** How values are read: the wire form, and the limits with what they dropped so far. */
interface Reader {
  wire: OtlpWire;
  maxAttributes: number;
  maxLength: number;
  /** Attributes dropped since the caller last reset it. */
  dropped: number;
}

function readerOf(wire: OtlpWire, limits: OtlpLimits = {}): Reader {
  return {
    wire,
    maxAttributes: limits.maxAttributes ?? OTEL_DEFAULT_COUNT_LIMIT,
    maxLength: limits.maxAttributeLength ?? Infinity,
    dropped: 0,
  };
}

function cut(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/** The name of the `AnyValue` field that is set. */
function valueField(value: Obj, wire: OtlpWire): string | undefined {
  if (wire === "protobuf") return typeof value.value === "string" ? value.value : undefined;
  for (const key in value) if (value[key] !== undefined && value[key] !== null) return key;
  return undefined;
}

/**
 * An OTLP `AnyValue` as a JavaScript value: int64 as a number when it is a safe integer,
 * else as its decimal string; bytes as base64; the empty value as `null`.
 */
function anyValue(value: unknown, reader: Reader, depth = 0): unknown {
  if (!isObj(value)) return null;
  const field = valueField(value, reader.wire);
  const inner = field === undefined ? undefined : value[field];
  switch (field) {
    case "stringValue":
      return cut(typeof inner === "string" ? inner : String(inner), reader.maxLength);
    case "boolValue":
      return inner === true || inner === "true";
    case "intValue": {
      const n = int64(inner, true);
      if (n === undefined) return null;
      const number = Number(n);
      return Number.isSafeInteger(number) ? number : n.toString();
    }
    case "doubleValue":
      return typeof inner === "number" ? inner : Number(inner); // "NaN", "Infinity" in JSON
    case "bytesValue":
      return cut(
        inner instanceof Uint8Array
          ? bytesBase64(inner.subarray(0, Math.ceil(reader.maxLength * 0.75)))
          : String(inner),
        reader.maxLength,
      );
    case "arrayValue":
      if (depth >= MAX_DEPTH) return "[too deep]";
      return list(isObj(inner) ? inner.values : undefined).map((v) =>
        anyValue(v, reader, depth + 1)
      );
    case "kvlistValue":
      if (depth >= MAX_DEPTH) return "[too deep]";
      return keyValues(isObj(inner) ? inner.values : undefined, reader, depth + 1, Infinity);
    default:
      return null;
  }
}

/**
 * OTLP `KeyValue`s as an object (a `__proto__` key stays an ordinary own property): the
 * first `max` of them, the others counted in `reader.dropped`.
 */
function keyValues(values: unknown, reader: Reader, depth: number, max: number): Obj {
  const out: Obj = {};
  const all = list(values);
  const kept = Math.min(all.length, max);
  reader.dropped += all.length - kept;
  for (let i = 0; i < kept; i++) {
    const kv = all[i];
    if (!isObj(kv) || typeof kv.key !== "string") continue;
    const value = anyValue(kv.value, reader, depth);
    if (kv.key === "__proto__") {
      Object.defineProperty(out, kv.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[kv.key] = value;
  }
  return out;
}

/**
 * A message's attributes within the limits; those dropped here and those the sender
 * reported dropped (`droppedAttributesCount`) as `otel.dropped_attributes_count`.
 */
function attributes(message: Obj, reader: Reader): Obj {
  reader.dropped = 0;
  const out = keyValues(message.attributes, reader, 0, reader.maxAttributes);
  const sent = Number(message.droppedAttributesCount ?? 0);
  const dropped = reader.dropped + (Number.isSafeInteger(sent) && sent > 0 ? sent : 0);
  if (dropped > 0) out[OTEL.droppedAttributesCount] = dropped;
  return out;
}

/** Enum values come as integers (protobuf, OTLP/JSON) or, from lenient senders, as names. */
function enumNumber(value: unknown, names: readonly string[], prefix: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const at = names.indexOf(value.startsWith(prefix) ? value.slice(prefix.length) : value);
    if (at >= 0) return at;
    const n = Number(value);
    if (Number.isInteger(n)) return n;
  }
  return 0;
}

/** A received severity (number in any wire form, or text) as a journal level. */
function level(severityNumber: unknown, severityText: unknown): Level {
  return levelOfSeverity(
    enumNumber(severityNumber, SEVERITY_NAMES, "SEVERITY_NUMBER_"),
    severityText,
  );
}

interface Scope {
  extensionId: string;
  conversationId?: string;
  turnId?: string;
}

/**
 * The record's scope from its attributes and resource: `extensionId` from our own
 * `journal.extension_id` (a journal exported and received back) or the resource's
 * `service.name`; `conversationId` from `gen_ai.conversation.id`; `turnId` from
 * `journal.turn_id`. The `journal.*` keys are taken out of the attributes.
 */
function scopeOf(attrs: Obj, service: string): Scope {
  const text = (key: string) => typeof attrs[key] === "string" ? attrs[key] as string : undefined;
  const scope: Scope = { extensionId: text(J.extensionId) ?? service };
  const conversationId = text(OTEL.conversationId) ?? text(J.conversationId);
  if (conversationId !== undefined) scope.conversationId = conversationId;
  const turnId = text(J.turnId);
  if (turnId !== undefined) scope.turnId = turnId;
  for (const key of JOURNAL_SCOPE_KEYS) delete attrs[key];
  return scope;
}

function serviceName(resource: unknown, reader: Reader): string {
  const values = isObj(resource) ? resource.attributes : undefined;
  const attrs = keyValues(values, reader, 0, reader.maxAttributes);
  reader.dropped = 0; // the resource's other attributes are not kept in any case
  const name = attrs[OTEL.serviceName];
  return typeof name === "string" && name !== "" ? name : UNKNOWN_SERVICE;
}

function hasKeys(value: Obj): boolean {
  for (const _ in value) return true;
  return false;
}

/** The instrumentation scope as the `otel.scope.*` attributes OTel uses outside OTLP. */
function scopeAttributes(scope: unknown): Obj {
  const out: Obj = {};
  if (!isObj(scope)) return out;
  if (typeof scope.name === "string" && scope.name !== "") out[OTEL.scopeName] = scope.name;
  if (typeof scope.version === "string" && scope.version !== "") {
    out[OTEL.scopeVersion] = scope.version;
  }
  return out;
}

/**
 * Maps an `ExportTraceServiceRequest` to records: per span a `span-open` (trace id, span id,
 * parent, name, start, attributes, links, the scope as `otel.scope.name`/`version`, a kind
 * other than INTERNAL as `otel.span_kind`), a `log` per span event (level `error` for an
 * `exception` event, else `info`) and a `span-close` (end, `durationMs`, status `error` for
 * OTLP's STATUS_CODE_ERROR else `ok`, the status message as `otel.status_description`).
 * A span without a valid trace id, span id or start time is rejected. Attributes are held
 * to `limits` (see {@linkcode OtlpLimits}).
 *
 * @param request The decoded request (OTLP/JSON object or protobufjs message).
 * @param wire Which form it is.
 * @param limits Bounds on each span's attributes.
 * @returns The records and the counts.
 * @throws {OtlpRequestError} For a timestamp no fixed64 can hold.
 *
 * @example A JSON span becomes an open and a close record
 * ```ts
 * import { tracesToRecords } from "./otlp_to_records.ts";
 * const { records } = tracesToRecords({ resourceSpans: [{
 *   resource: { attributes: [{ key: "service.name", value: { stringValue: "tool" } }] },
 *   scopeSpans: [{ spans: [{
 *     traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", name: "grep",
 *     startTimeUnixNano: "1700000000000000000", endTimeUnixNano: "1700000000250000000",
 *     status: { code: 2 },
 *   }] }],
 * }] }, "json");
 * const [open, close] = records;
 * if (open.kind !== "span-open" || open.extensionId !== "tool") throw new Error("open");
 * if (close.kind !== "span-close" || close.durationMs !== 250 || close.status !== "error") throw new Error("close");
 * ```
 */
export function tracesToRecords(
  request: unknown,
  wire: OtlpWire,
  limits?: OtlpLimits,
): OtlpRecords {
  return drain(traceRecordSlices(request, wire, limits));
}

function drain(slices: Generator<void, OtlpRecords>): OtlpRecords {
  for (;;) {
    const next = slices.next();
    if (next.done) return next.value;
  }
}

/**
 * {@linkcode tracesToRecords} one span at a time: it pauses after each span, so a receiver
 * can let other requests through between slices of a large one.
 *
 * @param request The decoded request (OTLP/JSON object or protobufjs message).
 * @param wire Which form it is.
 * @param limits Bounds on each span's attributes.
 * @returns A generator that pauses after each span and returns what `tracesToRecords` does.
 * @throws {OtlpRequestError} For a timestamp no fixed64 can hold.
 *
 * @example
 * ```ts
 * import { traceRecordSlices } from "./otlp_to_records.ts";
 * const span = (spanId: string) => ({ traceId: "5b8efff798038103d269b633813fc60c", spanId, startTimeUnixNano: "1" });
 * const slices = traceRecordSlices({ resourceSpans: [{ scopeSpans: [{ spans: [span("eee19b7ec3c1b174"), span("eee19b7ec3c1b175")] }] }] }, "json");
 * let pauses = 0;
 * let next = slices.next();
 * for (; !next.done; next = slices.next()) pauses++;
 * if (pauses !== 2 || next.value.records.length !== 4) throw new Error(`${pauses}`);
 * ```
 */
export function* traceRecordSlices(
  request: unknown,
  wire: OtlpWire,
  limits?: OtlpLimits,
): Generator<void, OtlpRecords> {
  const out: OtlpRecords = { records: [], accepted: 0, rejected: 0 };
  if (!isObj(request)) return out;
  const reader = readerOf(wire, limits);
  for (const resourceSpans of list(request.resourceSpans)) {
    if (!isObj(resourceSpans)) continue;
    const service = serviceName(resourceSpans.resource, reader);
    for (const scopeSpans of list(resourceSpans.scopeSpans)) {
      if (!isObj(scopeSpans)) continue;
      const scope = scopeAttributes(scopeSpans.scope);
      for (const span of list(scopeSpans.spans)) {
        if (addSpan(out.records, span, reader, service, scope)) out.accepted++;
        else out.rejected++;
        yield;
      }
    }
  }
  if (out.rejected > 0) {
    out.reason = `${out.rejected} span(s) without a valid trace id, span id or start time`;
  }
  restoreJournalExport(out.records); // journal-sink's own export: its records as they were
  return out;
}

function addSpan(
  records: LogRecord[],
  span: unknown,
  reader: Reader,
  service: string,
  scope: Obj,
) {
  if (!isObj(span)) return false;
  const traceId = idHex(span.traceId, 16);
  const spanId = idHex(span.spanId, 8);
  const start = nanosToMs(span.startTimeUnixNano, "startTimeUnixNano");
  const endTime = nanosToMs(span.endTimeUnixNano, "endTimeUnixNano");
  if (traceId === undefined || spanId === undefined || start === undefined) return false;
  const end = Math.max(start, endTime ?? start);
  const attrs = attributes(span, reader);
  const where = scopeOf(attrs, service);
  Object.assign(attrs, scope);
  const kind = enumNumber(span.kind, SPAN_KINDS, "SPAN_KIND_");
  if (kind > SPAN_KIND_INTERNAL && kind < SPAN_KINDS.length) {
    attrs[OTEL.spanKind] = SPAN_KINDS[kind];
  }
  const name = typeof span.name === "string" ? span.name : "";
  const parentSpanId = idHex(span.parentSpanId, 8);
  const open: SpanOpen = { kind: "span-open", spanId, traceId, name, timestamp: start, ...where };
  if (parentSpanId !== undefined) open.parentSpanId = parentSpanId;
  if (hasKeys(attrs)) open.attributes = attrs;
  const links: Link[] = [];
  for (const link of list(span.links)) {
    if (!isObj(link)) continue;
    const linked = idHex(link.spanId, 8);
    if (linked === undefined) continue;
    const reason = attributes(link, reader)[J.linkReason];
    const entry: Link = { spanId: linked };
    const linkedTrace = idHex(link.traceId, 16);
    if (linkedTrace !== undefined) entry.traceId = linkedTrace;
    if (typeof reason === "string") entry.reason = reason;
    links.push(entry);
  }
  if (links.length > 0) open.links = links;
  records.push(open);

  for (const event of list(span.events)) {
    if (!isObj(event)) continue;
    const msg = typeof event.name === "string" ? event.name : "";
    const entry: LogEntry = {
      kind: "log",
      level: msg === "exception" ? "error" : "info",
      msg,
      timestamp: nanosToMs(event.timeUnixNano, "timeUnixNano") ?? start,
      ...where,
      spanId,
      traceId,
    };
    const eventAttrs = attributes(event, reader);
    if (hasKeys(eventAttrs)) entry.attributes = eventAttrs;
    records.push(entry);
  }

  const status = isObj(span.status) ? span.status : {};
  const code = enumNumber(status.code, STATUS_CODES, "STATUS_CODE_");
  const close: SpanClose = {
    kind: "span-close",
    spanId,
    traceId,
    name,
    timestamp: end,
    durationMs: end - start,
    status: code === STATUS_ERROR ? "error" : "ok",
    ...where,
  };
  if (parentSpanId !== undefined) close.parentSpanId = parentSpanId;
  if (typeof status.message === "string" && status.message !== "") {
    close.attributes = { [OTEL.statusDescription]: status.message };
  }
  records.push(close);
  return true;
}

/**
 * Maps an `ExportLogsServiceRequest` to `log` records: severity number → level (1–8 debug,
 * 9–12 info, 13–16 warn, 17–24 error; the severity text when the number is unset), a string
 * body as `msg` (any other body kept as `body`, with the event name as `msg`), attributes,
 * trace and span ids; the time is `timeUnixNano`, else `observedTimeUnixNano`, else `now`.
 *
 * @param request The decoded request (OTLP/JSON object or protobufjs message).
 * @param wire Which form it is.
 * @param now The receive time in milliseconds, for records that carry no time.
 * @param limits Bounds on each log record's attributes.
 * @returns The records and the counts.
 * @throws {OtlpRequestError} For a timestamp no fixed64 can hold.
 *
 * @example A warning with its trace
 * ```ts
 * import { logsToRecords } from "./otlp_to_records.ts";
 * const { records } = logsToRecords({ resourceLogs: [{ scopeLogs: [{ logRecords: [{
 *   timeUnixNano: "1700000000000000000", severityNumber: 13, body: { stringValue: "slow" },
 *   traceId: "5b8efff798038103d269b633813fc60c",
 * }] }] }] }, "json", Date.now());
 * const [entry] = records;
 * if (entry.kind !== "log" || entry.level !== "warn" || entry.msg !== "slow") throw new Error("log");
 * ```
 */
export function logsToRecords(
  request: unknown,
  wire: OtlpWire,
  now: number,
  limits?: OtlpLimits,
): OtlpRecords {
  return drain(logRecordSlices(request, wire, now, limits));
}

/**
 * {@linkcode logsToRecords} in slices: it pauses after each log record.
 *
 * @param request The decoded request (OTLP/JSON object or protobufjs message).
 * @param wire Which form it is.
 * @param now The receive time in milliseconds, for records that carry no time.
 * @param limits Bounds on each log record's attributes.
 * @returns A generator that pauses after each log record and returns what `logsToRecords` does.
 * @throws {OtlpRequestError} For a timestamp no fixed64 can hold.
 *
 * @example
 * ```ts
 * import { logRecordSlices } from "./otlp_to_records.ts";
 * const log = { body: { stringValue: "hi" } };
 * const slices = logRecordSlices({ resourceLogs: [{ scopeLogs: [{ logRecords: [log, log] }] }] }, "json", 1);
 * let next = slices.next();
 * while (!next.done) next = slices.next();
 * if (next.value.records.length !== 2) throw new Error("two logs");
 * ```
 */
export function* logRecordSlices(
  request: unknown,
  wire: OtlpWire,
  now: number,
  limits?: OtlpLimits,
): Generator<void, OtlpRecords> {
  const out: OtlpRecords = { records: [], accepted: 0, rejected: 0 };
  if (!isObj(request)) return out;
  const reader = readerOf(wire, limits);
  for (const resourceLogs of list(request.resourceLogs)) {
    if (!isObj(resourceLogs)) continue;
    const service = serviceName(resourceLogs.resource, reader);
    for (const scopeLogs of list(resourceLogs.scopeLogs)) {
      if (!isObj(scopeLogs)) continue;
      const scope = scopeAttributes(scopeLogs.scope);
      for (const log of list(scopeLogs.logRecords)) {
        if (!isObj(log)) {
          out.rejected++;
          continue;
        }
        const entry = logEntry(log, reader, service, scope, now);
        if (isClaudeCodeApiRequest(log.eventName, entry.msg, entry.attributes ?? {})) {
          pushModelCall(out.records, entry);
        } else out.records.push(entry);
        out.accepted++;
        yield;
      }
    }
  }
  if (out.rejected > 0) out.reason = `${out.rejected} log record(s) that are not objects`;
  restoreJournalExport(out.records); // journal-sink's own export: its records as they were
  return out;
}

function logEntry(log: Obj, reader: Reader, service: string, scope: Obj, now: number): LogEntry {
  const attrs = attributes(log, reader);
  const where = scopeOf(attrs, service);
  Object.assign(attrs, scope);
  const body = anyValue(log.body, reader);
  const time = nanosToMs(log.timeUnixNano, "timeUnixNano");
  const observed = nanosToMs(log.observedTimeUnixNano, "observedTimeUnixNano");
  const eventName = typeof log.eventName === "string" ? log.eventName : "";
  const entry: LogEntry = {
    kind: "log",
    level: level(log.severityNumber, log.severityText),
    msg: typeof body === "string" ? body : eventName,
    timestamp: time ?? observed ?? now,
    ...where,
  };
  const spanId = idHex(log.spanId, 8);
  if (spanId !== undefined) entry.spanId = spanId;
  const traceId = idHex(log.traceId, 16);
  if (traceId !== undefined) entry.traceId = traceId;
  if (hasKeys(attrs)) entry.attributes = attrs;
  if (typeof body !== "string" && body !== null) entry.body = body;
  return entry;
}

/**
 * A Claude Code `claude_code.api_request` event as the model call it reports: a `chat`
 * span opened when the request started and closed (status ok) at the event, with the
 * event's attributes and the GenAI names (`claudeCodeModelCall`); `session.id` is its
 * conversation, `prompt.id` its turn, the span the event was logged in (if any) its
 * parent. Its span id is derived from the event, so the same event sent twice is one span id.
 */
function pushModelCall(records: LogRecord[], entry: LogEntry): void {
  const a = entry.attributes ?? {};
  const call = claudeCodeModelCall(a, entry.timestamp);
  const spanId = hashTraceId(
    JSON.stringify([
      "claude_code",
      entry.extensionId,
      call.conversationId ?? null,
      a["event.sequence"] ?? null,
      entry.timestamp,
      a.input_tokens ?? null,
      a.output_tokens ?? null,
    ]),
  ).slice(0, 16);
  const where: Scope = { extensionId: entry.extensionId };
  const conversationId = entry.conversationId ?? call.conversationId;
  const turnId = entry.turnId ?? call.turnId;
  if (conversationId !== undefined) where.conversationId = conversationId;
  if (turnId !== undefined) where.turnId = turnId;
  const open: SpanOpen = {
    kind: "span-open",
    spanId,
    name: call.name,
    timestamp: call.start,
    ...where,
    attributes: call.attributes,
  };
  const close: SpanClose = {
    kind: "span-close",
    spanId,
    name: call.name,
    timestamp: call.end,
    durationMs: call.end - call.start,
    status: "ok",
    ...where,
  };
  if (entry.traceId !== undefined) open.traceId = close.traceId = entry.traceId;
  if (entry.spanId !== undefined) open.parentSpanId = close.parentSpanId = entry.spanId;
  records.push(open, close);
}
