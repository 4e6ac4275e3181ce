/**
 * Journal records as OTLP/JSON: log entries as `ExportLogsServiceRequest`, span-open and
 * span-close pairs as `ExportTraceServiceRequest` (the JSON encoding of the OTLP protobuf
 * messages, as OTLP/HTTP with `Content-Type: application/json` carries them).
 *
 * @module
 */

import type { JournalRecord } from "../reader/journal_record.ts";
import {
  JOURNAL_ATTRIBUTES as J,
  OTEL_ATTRIBUTES as OTEL,
  OTEL_DEFAULT_COUNT_LIMIT,
  OTLP_SCOPE_NAME,
  SEVERITY_NUMBER,
  severityText,
  SPAN_KIND_INTERNAL,
  spanKindNumber,
  STATUS_ERROR,
  STATUS_OK,
} from "./otlp_conventions.ts";
import { RecentMap } from "../collector/recent_map.ts";
import { otlpSpanId, otlpTraceId, validOtlpTraceId } from "./trace_ids.ts";
import {
  attributesOf,
  closeOnlyStart,
  closeStatus,
  keptText,
  linksOf,
  mergeAttributes,
  mergeLinks,
} from "../traces/span_merge.ts";
import { GEN_AI } from "../genai/attributes.ts";
import { callContentAttributes } from "../genai/genai_messages.ts";

/** An OTLP `AnyValue` in its JSON encoding (one field set; none for an empty value). */
export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } }
  | Record<string, never>;

/** An OTLP `KeyValue`. */
export interface OtlpKeyValue {
  /** The attribute's name. */
  key: string;
  /** Its value. */
  value: OtlpAnyValue;
}

/** The resource and scope every exported record carries. */
interface Envelope {
  resource: { attributes: OtlpKeyValue[] };
  scope: { name: string };
}

/**
 * An OTLP/JSON `ExportLogsServiceRequest` (what `POST /v1/logs` takes).
 *
 * @example
 * ```ts
 * import { toOtlpLogs, type OtlpLogsRequest } from "./records_to_otlp.ts";
 * const request: OtlpLogsRequest = toOtlpLogs([], { serviceName: "agent" });
 * if (request.resourceLogs.length !== 0) throw new Error("no records, no resource");
 * ```
 */
export interface OtlpLogsRequest {
  /** One entry (this service), or none when there is nothing to send. */
  resourceLogs: {
    resource: { attributes: OtlpKeyValue[] };
    scopeLogs: { scope: { name: string }; logRecords: Record<string, unknown>[] }[];
  }[];
}

/**
 * An OTLP/JSON `ExportTraceServiceRequest` (what `POST /v1/traces` takes).
 *
 * @example
 * ```ts
 * import { toOtlpTraces, type OtlpTracesRequest } from "./records_to_otlp.ts";
 * const request: OtlpTracesRequest = toOtlpTraces([], { serviceName: "agent" });
 * if (request.resourceSpans.length !== 0) throw new Error("no records, no resource");
 * ```
 */
export interface OtlpTracesRequest {
  /** One entry (this service), or none when there is nothing to send. */
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { scope: { name: string }; spans: Record<string, unknown>[] }[];
  }[];
}

/**
 * Options of the OTLP mapping.
 *
 * @example
 * ```ts
 * import type { OtlpOptions } from "@dispatch/journal-sink/collector";
 * const options: OtlpOptions = { serviceName: "agent-host", resourceAttributes: { "deployment.environment.name": "prod" } };
 * if (options.serviceName !== "agent-host") throw new Error("unreachable");
 * ```
 */
export interface OtlpOptions {
  /**
   * The resource's `service.name`.
   * @default {"journal-sink"}
   */
  serviceName?: string;
  /** More resource attributes (`host.name`, `deployment.environment.name`…). */
  resourceAttributes?: Record<string, unknown>;
  /**
   * Also attach each log entry written inside a span to that span as a span event (name =
   * `msg`, attributes + `journal.level`), for backends that ingest traces only. The log
   * record is exported as well.
   * @default {true}
   */
  logsAsSpanEvents?: boolean;
  /**
   * Whether the log entries are sent as log records too ({@linkcode exportOtlp} sets it when
   * it sends logs): each span event copied from a log entry then carries
   * `journal.logged = true`, and a journal-sink receiver keeps the log record only, so the
   * entry is written once.
   * @default {false}
   */
  logsSentAsRecords?: boolean;
}

/** A record read back, before its fields are checked. */
type Loose = { readonly kind: string; readonly [field: string]: unknown };

/** The messages of the records `captureFetch` writes a model call's bodies in. */
const PROVIDER_REQUEST = "provider.request";
const PROVIDER_RESPONSE = "provider.response";

/** A model call's bodies, held from their records until its span is exported. */
interface CapturedBodies {
  request?: unknown;
  response?: unknown;
}

const MAX_DEPTH = 8;

/**
 * A JavaScript value as an OTLP `AnyValue`: strings, booleans, safe integers (`intValue`,
 * a decimal string as proto3 JSON encodes int64), other finite numbers (`doubleValue`),
 * arrays and objects (nested up to 8 levels, deeper as JSON text); `null` is the empty
 * value; NaN and ±Infinity become strings.
 *
 * @param value Any JSON-ish value.
 * @returns The OTLP value.
 *
 * @example
 * ```ts
 * import { toOtlpAnyValue } from "./records_to_otlp.ts";
 * const value = toOtlpAnyValue({ tokens: 12 });
 * if (JSON.stringify(value) !== '{"kvlistValue":{"values":[{"key":"tokens","value":{"intValue":"12"}}]}}') {
 *   throw new Error(JSON.stringify(value));
 * }
 * ```
 */
export function toOtlpAnyValue(value: unknown, depth = 0): OtlpAnyValue {
  switch (typeof value) {
    case "string":
      return { stringValue: value };
    case "boolean":
      return { boolValue: value };
    case "bigint":
      return { intValue: value.toString() };
    case "number":
      if (Number.isSafeInteger(value)) return { intValue: String(value) };
      if (Number.isFinite(value)) return { doubleValue: value };
      return { stringValue: String(value) };
    case "object": {
      if (value === null) return {};
      if (depth >= MAX_DEPTH) return { stringValue: safeJson(value) };
      if (Array.isArray(value)) {
        return { arrayValue: { values: value.map((item) => toOtlpAnyValue(item, depth + 1)) } };
      }
      return {
        kvlistValue: { values: toOtlpAttributes(value as Record<string, unknown>, depth + 1) },
      };
    }
    default:
      return {};
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return String(value);
  }
}

function toOtlpAttributes(values: Record<string, unknown> | undefined, depth = 0): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  if (!values || typeof values !== "object") return out;
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    out.push({ key, value: toOtlpAnyValue(value, depth) });
  }
  return out;
}

/** Milliseconds (possibly fractional) since the epoch as OTLP's decimal nanoseconds. */
function nanos(ms: number): string {
  const whole = Math.floor(ms);
  const fraction = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(fraction)).toString();
}

/**
 * The record's scope as attributes: `conversationId` under the GenAI name
 * `gen_ai.conversation.id` (unless the record's own attributes set it), `extensionId` and
 * `turnId` as `journal.extension_id` and `journal.turn_id`.
 */
function scopeAttributes(record: Loose): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  const add = (key: string, value: unknown) => {
    if (typeof value === "string") out.push({ key, value: { stringValue: value } });
  };
  add(J.extensionId, record.extensionId);
  const own = record.attributes as Record<string, unknown> | undefined;
  if (own?.[OTEL.conversationId] === undefined) add(OTEL.conversationId, record.conversationId);
  add(J.turnId, record.turnId);
  return out;
}

/** Span events kept per span (the OpenTelemetry SDK's default limit); more are counted as dropped. */
const MAX_EVENTS = OTEL_DEFAULT_COUNT_LIMIT;

/** How many span ids (trace lookups, pending opens) a mapper remembers. */
const MEMORY = 100_000;

/**
 * Sets `key` as the newest entry of the opens, dropping the oldest past {@linkcode MEMORY}. The
 * opens stay a Map (the export counts, lists and clears them); every other memory of the mapper
 * is a {@linkcode RecentMap}.
 */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MEMORY) map.delete(map.keys().next().value as string);
}

/**
 * A stateful record → OTLP mapper, for exporting a journal in batches: it remembers the
 * `span-open`s whose close has not come yet (a span is exported once, when it closes, with
 * the open's attributes merged under the close's) and the trace of each span id (so
 * children of a turnless root share its trace). A close whose open it never saw (before a
 * resumed position, or beyond its memory of 100 000 spans) is exported from the close
 * alone (start = end − `durationMs`). Spans still open are not exported: OTLP has no open
 * span; the SQLite store and `query --open` show them.
 *
 * @example Pairing across two batches
 * ```ts
 * import { OtlpMapper } from "./records_to_otlp.ts";
 * const mapper = new OtlpMapper({ serviceName: "agent" });
 * mapper.add({ kind: "span-open", spanId: "s", name: "tool", timestamp: 1, extensionId: "host", attributes: { tool: "grep" } });
 * if (mapper.takeTraces().resourceSpans.length !== 0) throw new Error("still open");
 * mapper.add({ kind: "span-close", spanId: "s", name: "tool", timestamp: 4, durationMs: 3, status: "ok", extensionId: "host" });
 * const [span] = mapper.takeTraces().resourceSpans[0].scopeSpans[0].spans;
 * if (span.startTimeUnixNano !== "1000000") throw new Error(String(span.startTimeUnixNano));
 * ```
 */
export class OtlpMapper {
  private envelope: Envelope;
  private logs: Record<string, unknown>[] = [];
  private spans: Record<string, unknown>[] = [];
  private opens = new Map<string, Loose>();
  private events = new RecentMap<string, { events: Record<string, unknown>[]; dropped: number }>(
    MEMORY / 2,
  );
  private bodies = new RecentMap<string, CapturedBodies>(MEMORY / 2);
  private traces = new RecentMap<string, string>(MEMORY / 2);
  private latest = -Infinity;
  private logsAsEvents: boolean;
  private eventsAreCopies: boolean;
  private lookup = (spanId: string) => this.traces.get(spanId);

  /**
   * Creates a mapper with an empty memory.
   *
   * @param options Service name and resource attributes.
   */
  constructor(options: OtlpOptions = {}) {
    this.envelope = {
      resource: {
        attributes: toOtlpAttributes({
          [OTEL.serviceName]: options.serviceName ?? "journal-sink",
          ...options.resourceAttributes,
        }),
      },
      scope: { name: OTLP_SCOPE_NAME },
    };
    this.logsAsEvents = options.logsAsSpanEvents ?? true;
    this.eventsAreCopies = options.logsSentAsRecords ?? false;
  }

  /** Spans opened and not yet closed, as far as this mapper knows. */
  get pendingSpans(): number {
    return this.opens.size;
  }

  /**
   * Maps one record: a log entry becomes a log record now; a span-open is held; a
   * span-close becomes a span. Other kinds, and records without a numeric timestamp, are
   * ignored.
   *
   * @param record A record read from a journal.
   */
  add(input: JournalRecord): void {
    const record = input as Loose;
    const time = record.timestamp;
    if (typeof time !== "number" || !Number.isFinite(time)) return;
    if (time > this.latest) this.latest = time;
    if (record.kind === "log") {
      this.logs.push(this.logRecord(record, time));
      if (this.logsAsEvents && typeof record.spanId === "string") this.event(record, time);
      this.holdBody(record);
      return;
    }
    if (typeof record.spanId !== "string") return;
    if (record.kind === "span-open") {
      const trace = otlpTraceId(record, this.lookup);
      if (trace) this.traces.set(record.spanId, trace);
      remember(this.opens, record.spanId, record);
    } else if (record.kind === "span-close") {
      const open = this.opens.get(record.spanId);
      this.opens.delete(record.spanId);
      this.spans.push(this.span(open, record, time));
    }
  }

  /**
   * Moves every span still open into the next {@linkcode takeTraces}, for a last export of
   * a journal whose spans will never close (a crashed host): each keeps its start, ends at
   * the latest timestamp this mapper has seen (the last moment the journal shows its
   * writer alive, never before the span's start), has status UNSET (OTLP has no "open")
   * and the attribute `journal.open = true`.
   *
   * @returns How many spans were moved.
   */
  closeOpenSpans(): number {
    const opens = [...this.opens.values()];
    this.opens.clear();
    for (const open of opens) {
      const start = open.timestamp as number;
      this.spans.push(this.span(open, undefined, Math.max(start, this.latest)));
    }
    return opens.length;
  }

  private event(record: Loose, time: number): void {
    const spanId = record.spanId as string;
    const open = this.opens.get(spanId);
    if (!open) return;
    let held = this.events.get(spanId);
    if (!held) {
      held = { events: [], dropped: 0 };
      this.events.set(spanId, held);
    }
    if (held.events.length >= MAX_EVENTS) {
      held.dropped++;
      return;
    }
    const attributes = toOtlpAttributes(record.attributes as Record<string, unknown>);
    if (typeof record.level === "string") {
      attributes.push({ key: J.level, value: { stringValue: record.level } });
    }
    if (record.body !== undefined) {
      attributes.push({ key: J.body, value: toOtlpAnyValue(record.body) });
    }
    if (this.eventsAreCopies) attributes.push({ key: J.logged, value: { boolValue: true } });
    // The entry's scope, where it is not its span's (a plugin logging inside a host's span).
    for (
      const [field, key] of [
        ["extensionId", J.extensionId],
        ["turnId", J.turnId],
        ["conversationId", J.conversationId],
      ] as const
    ) {
      const value = record[field];
      if (typeof value === "string" && value !== open[field]) {
        attributes.push({ key, value: { stringValue: value } });
      }
    }
    held.events.push({
      timeUnixNano: nanos(time),
      name: typeof record.msg === "string" ? record.msg : safeJson(record.msg),
      attributes,
    });
  }

  /**
   * Keeps a reference to the body of a model call's `provider.request` or `provider.response`
   * (written only when the content policy allowed it) until its span is exported.
   */
  private holdBody(record: Loose): void {
    const spanId = record.spanId;
    if (typeof spanId !== "string" || record.body === undefined) return;
    const which = record.msg === PROVIDER_REQUEST
      ? "request"
      : record.msg === PROVIDER_RESPONSE
      ? "response"
      : undefined;
    if (which === undefined || !this.opens.has(spanId)) return;
    let held = this.bodies.get(spanId);
    if (held === undefined) {
      held = {};
      this.bodies.set(spanId, held);
    }
    held[which] ??= record.body;
  }

  /**
   * The log records mapped since the last call, as one request (empty `resourceLogs`
   * when there were none).
   *
   * @returns The request body.
   */
  takeLogs(): OtlpLogsRequest {
    const logRecords = this.logs.splice(0);
    if (logRecords.length === 0) return { resourceLogs: [] };
    return {
      resourceLogs: [{
        resource: this.envelope.resource,
        scopeLogs: [{ scope: this.envelope.scope, logRecords }],
      }],
    };
  }

  /**
   * The spans completed since the last call, as one request (empty `resourceSpans` when
   * there were none).
   *
   * @returns The request body.
   */
  takeTraces(): OtlpTracesRequest {
    const spans = this.spans.splice(0);
    if (spans.length === 0) return { resourceSpans: [] };
    return {
      resourceSpans: [{
        resource: this.envelope.resource,
        scopeSpans: [{ scope: this.envelope.scope, spans }],
      }],
    };
  }

  private logRecord(record: Loose, time: number): Record<string, unknown> {
    const level = typeof record.level === "string" ? record.level : "info";
    const attributes = scopeAttributes(record);
    attributes.push(...toOtlpAttributes(record.attributes as Record<string, unknown>));
    if (record.body !== undefined) {
      attributes.push({ key: J.body, value: toOtlpAnyValue(record.body) });
    }
    const out: Record<string, unknown> = {
      timeUnixNano: nanos(time),
      observedTimeUnixNano: nanos(time),
      severityNumber: SEVERITY_NUMBER[level as keyof typeof SEVERITY_NUMBER] ?? 0,
      severityText: severityText(level),
      body: { stringValue: typeof record.msg === "string" ? record.msg : safeJson(record.msg) },
      attributes,
    };
    if (typeof record.spanId === "string") {
      out.traceId = otlpTraceId(record, this.lookup);
      out.spanId = otlpSpanId(record.spanId);
      if (out.spanId !== record.spanId) {
        attributes.push({ key: J.spanId, value: { stringValue: record.spanId } });
      }
    } else {
      const trace = otlpTraceId(record, this.lookup);
      if (trace) out.traceId = trace;
    }
    return out;
  }

  /** One OTLP span from its open and close (a lone close, or an open still open). */
  private span(open: Loose | undefined, closed: Loose | undefined, end: number) {
    const close = (closed ?? open) as Loose;
    const spanId = close.spanId as string;
    // The one merge of a close over its open (src/traces/span_merge.ts).
    const start = open && typeof open.timestamp === "number"
      ? open.timestamp
      : closeOnlyStart(close.durationMs, end);
    const first = open ?? close;
    const parentSpanId = keptText(first.parentSpanId, close.parentSpanId);
    const scoped = { ...close, ...withoutUndefined(open), parentSpanId } as Loose;
    const traceId = this.traces.get(spanId) ?? otlpTraceId(scoped, this.lookup) as string;
    this.traces.set(spanId, traceId);
    // A copy: the kind and the status message are taken out of it below.
    const merged: Record<string, unknown> = {
      ...mergeAttributes(attributesOf(open?.attributes), closed?.attributes),
    };
    // What the OTel processor (span.kind, otel.status_description) and the receiver
    // (otel.span_kind) keep as attributes goes back to OTLP's own fields.
    const kind = spanKindNumber(merged[OTEL.sdkSpanKind] ?? merged[OTEL.spanKind]);
    if (kind !== undefined) {
      delete merged[OTEL.sdkSpanKind];
      delete merged[OTEL.spanKind];
    }
    // An error's description is OTLP's status message; an ok span keeps it as an attribute.
    const failed = closed !== undefined && closeStatus(closed.status) === "error";
    const statusMessage = failed ? merged[OTEL.statusDescription] : undefined;
    if (typeof statusMessage === "string") delete merged[OTEL.statusDescription];
    const attributes = scopeAttributes({ ...scoped, attributes: merged });
    attributes.push(...toOtlpAttributes(merged));
    attributes.push(...this.contentAttributes(spanId, merged));
    attributes.push(...this.journalOnly(open, closed, spanId, parentSpanId, start, end));
    const otlpId = otlpSpanId(spanId);
    const links: Record<string, unknown>[] = [];
    for (const link of mergeLinks(linksOf(open?.links), close?.links)) {
      const linkAttributes: OtlpKeyValue[] = [];
      if (typeof link.reason === "string") {
        linkAttributes.push({ key: J.linkReason, value: { stringValue: link.reason } });
      }
      links.push({
        traceId: validOtlpTraceId(link.traceId) ?? this.traces.get(link.spanId) ?? otlpTraceId(
          {
            kind: "log",
            spanId: link.spanId,
            turnId: link.turnId ?? scoped.turnId,
            conversationId: scoped.conversationId,
          },
          this.lookup,
        ),
        spanId: otlpSpanId(link.spanId),
        attributes: linkAttributes,
      });
    }
    const span: Record<string, unknown> = {
      traceId,
      spanId: otlpId,
      name: typeof close.name === "string" ? close.name : String(first.name ?? ""),
      kind: kind ?? SPAN_KIND_INTERNAL,
      startTimeUnixNano: nanos(start),
      endTimeUnixNano: nanos(end),
      attributes,
      links,
      // OK and ERROR as the journal says; UNSET for a span exported while still open.
      status: !closed
        ? {}
        : failed
        ? (typeof statusMessage === "string"
          ? { code: STATUS_ERROR, message: statusMessage }
          : { code: STATUS_ERROR })
        : { code: STATUS_OK },
    };
    if (parentSpanId !== undefined) span.parentSpanId = otlpSpanId(parentSpanId);
    const held = this.events.get(spanId);
    if (held) {
      this.events.delete(spanId);
      span.events = held.events;
      if (held.dropped > 0) span.droppedEventsCount = held.dropped;
    }
    return span;
  }

  /**
   * A model call's bodies as the GenAI conventions' content attributes (`gen_ai.input.messages`,
   * `gen_ai.output.messages`, `gen_ai.system_instructions`, `gen_ai.tool.definitions`), where
   * the span does not set them itself, preceded by `journal.derived` naming them: they repeat
   * the `provider.*` records, so a journal-sink receiver drops them again.
   */
  private contentAttributes(spanId: string, merged: Record<string, unknown>): OtlpKeyValue[] {
    const held = this.bodies.get(spanId);
    if (held === undefined) return [];
    this.bodies.delete(spanId);
    const derived = Object.entries(
      callContentAttributes(merged[GEN_AI.OPERATION_NAME], held.request, held.response),
    ).filter(([key]) => merged[key] === undefined);
    if (derived.length === 0) return [];
    return [
      { key: J.derived, value: toOtlpAnyValue(derived.map(([key]) => key)) },
      ...derived.map(([key, text]) => ({ key, value: { stringValue: text } })),
    ];
  }

  /**
   * The `journal.*` attributes of a span: what OTLP has no field for, so that a journal-sink
   * receiver writes back the records it came from (see journal_marks.ts).
   */
  private journalOnly(
    open: Loose | undefined,
    closed: Loose | undefined,
    spanId: string,
    parentSpanId: string | undefined,
    start: number,
    end: number,
  ): OtlpKeyValue[] {
    const out: OtlpKeyValue[] = [];
    if (!closed) out.push({ key: J.open, value: { boolValue: true } });
    if (open?.body !== undefined) out.push({ key: J.body, value: toOtlpAnyValue(open.body) });
    if (otlpSpanId(spanId) !== spanId) out.push({ key: J.spanId, value: { stringValue: spanId } });
    if (parentSpanId !== undefined && otlpSpanId(parentSpanId) !== parentSpanId) {
      out.push({ key: J.parentSpanId, value: { stringValue: parentSpanId } });
    }
    const duration = closed?.durationMs;
    if (typeof duration === "number" && duration !== end - start) {
      out.push({ key: J.durationMs, value: toOtlpAnyValue(duration) });
    }
    // A link's turn, or an id OTLP carries hashed: the links as the journal has them.
    const links = mergeLinks(linksOf(open?.links), closed?.links);
    if (
      links.some((link) => link.turnId !== undefined || otlpSpanId(link.spanId) !== link.spanId)
    ) {
      out.push({ key: J.links, value: toOtlpAnyValue(links) });
    }
    return out;
  }
}

function withoutUndefined(record: Loose | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!record) return out;
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * The log entries among `records` as one OTLP/JSON `ExportLogsServiceRequest`: severity
 * numbers DEBUG 5, INFO 9, WARN 13, ERROR 17; `msg` as the body; `extensionId`,
 * `conversationId`, `turnId` as `journal.*` attributes beside the record's own; trace and
 * span ids from {@linkcode otlpTraceId} and {@linkcode otlpSpanId}.
 *
 * @param records Records read from a journal.
 * @param options Service name and resource attributes.
 * @returns The request body for `POST <base>/v1/logs`.
 *
 * @example
 * ```ts
 * import { toOtlpLogs } from "./records_to_otlp.ts";
 * const request = toOtlpLogs(
 *   [{ kind: "log", level: "warn", msg: "slow disk", timestamp: 1, extensionId: "host" }],
 *   { serviceName: "agent" },
 * );
 * const [record] = request.resourceLogs[0].scopeLogs[0].logRecords;
 * if (record.severityNumber !== 13 || record.timeUnixNano !== "1000000") throw new Error("mapping");
 * ```
 */
export function toOtlpLogs(
  records: Iterable<JournalRecord>,
  options: OtlpOptions = {},
): OtlpLogsRequest {
  const mapper = new OtlpMapper(options);
  for (const record of records) if (record.kind === "log") mapper.add(record);
  return mapper.takeLogs();
}

/**
 * The spans among `records` as one OTLP/JSON `ExportTraceServiceRequest`: each
 * span-open/span-close pair (or a lone close) becomes one `INTERNAL` span with status OK
 * or ERROR; spans with no close are left out (see {@linkcode OtlpMapper}). The log entries
 * inside a span are read as {@linkcode exportOtlp} reads them: its span events (unless
 * `logsAsSpanEvents` is false), and a model call's `provider.request` and `provider.response`
 * bodies its GenAI content attributes (`gen_ai.input.messages`, …).
 *
 * @param records Records read from a journal, oldest first.
 * @param options Service name and resource attributes.
 * @returns The request body for `POST <base>/v1/traces`.
 *
 * @example
 * ```ts
 * import { toOtlpTraces } from "./records_to_otlp.ts";
 * const request = toOtlpTraces([
 *   { kind: "span-open", spanId: "a", name: "turn", timestamp: 0, turnId: "t", extensionId: "host" },
 *   { kind: "span-open", spanId: "b", parentSpanId: "a", name: "tool", timestamp: 1, turnId: "t", extensionId: "host" },
 *   { kind: "span-close", spanId: "b", parentSpanId: "a", name: "tool", timestamp: 3, durationMs: 2, status: "error", extensionId: "host" },
 *   { kind: "span-close", spanId: "a", name: "turn", timestamp: 4, durationMs: 4, status: "ok", extensionId: "host" },
 * ]);
 * const [tool, turn] = request.resourceSpans[0].scopeSpans[0].spans;
 * if (tool.traceId !== turn.traceId || tool.parentSpanId !== turn.spanId) throw new Error("tree");
 * ```
 */
export function toOtlpTraces(
  records: Iterable<JournalRecord>,
  options: OtlpOptions = {},
): OtlpTracesRequest {
  const mapper = new OtlpMapper(options);
  for (const record of records) mapper.add(record);
  return mapper.takeTraces();
}
