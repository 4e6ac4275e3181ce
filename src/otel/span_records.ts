/**
 * Pure mapping from OpenTelemetry spans to journal records: the processor decides when to
 * write, this module decides what. Attribute names for what the journal has no field for
 * follow OpenTelemetry's conventions for non-OTLP formats (`otel.scope.name`,
 * `otel.scope.version`, `otel.status_description`, and `span.kind` omitted for internal
 * spans).
 *
 * @module
 */

import type { Link, LogEntry, SpanClose, SpanOpen } from "../records.ts";
import type { OtelEvent, OtelHrTime, OtelLink, OtelSpan } from "./otel_span.ts";

/** The attribute carrying the GenAI conversation id (OpenTelemetry GenAI conventions). */
export const CONVERSATION_ATTRIBUTE = "gen_ai.conversation.id";

const SPAN_KINDS: readonly (string | undefined)[] = [
  undefined,
  "server",
  "client",
  "producer",
  "consumer",
];

/** What the journal knows about a span besides the span itself. */
export interface SpanPlace {
  extensionId: string;
  conversationId?: string;
  turnId?: string;
}

/**
 * OpenTelemetry `[seconds, nanoseconds]` as milliseconds, to the microsecond.
 *
 * @param time A time or duration.
 * @returns Milliseconds (fractional).
 */
export function hrTimeToMs(time: OtelHrTime): number {
  return Math.round(time[0] * 1e6 + time[1] / 1e3) / 1e3;
}

/** The parent's span id, in SDK 3.x (`parentSpanContext`) and 1.x (`parentSpanId`) shape. */
export function parentSpanIdOf(span: OtelSpan): string | undefined {
  const parent = span.parentSpanContext?.spanId ?? span.parentSpanId;
  return typeof parent === "string" && parent !== "" ? parent : undefined;
}

/** The string `gen_ai.conversation.id` attribute, if any. */
export function conversationOf(attributes: Readonly<Record<string, unknown>>): string | undefined {
  const value = attributes[CONVERSATION_ATTRIBUTE];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function place(record: SpanOpen | SpanClose | LogEntry, where: SpanPlace): void {
  if (where.conversationId !== undefined) record.conversationId = where.conversationId;
  if (where.turnId !== undefined) record.turnId = where.turnId;
}

/**
 * The journal link for an OpenTelemetry link: span and trace ids, attributes kept.
 *
 * @param link The OpenTelemetry link.
 * @returns The journal's {@linkcode Link}.
 */
export function toLink(link: OtelLink): Link {
  const out: Link = { spanId: link.context.spanId, traceId: link.context.traceId };
  const attributes = link.attributes;
  if (attributes !== undefined && Object.keys(attributes).length > 0) {
    out.attributes = { ...attributes };
  }
  return out;
}

/**
 * The `span-open` record of a span that just started: the attributes known now, the scope
 * and kind, the links given at the start.
 *
 * @param span The span, as `onStart` receives it.
 * @param where Who writes it, and its conversation and turn.
 * @returns The record.
 */
export function toSpanOpen(span: OtelSpan, where: SpanPlace): SpanOpen {
  const context = span.spanContext();
  const record: SpanOpen = {
    kind: "span-open",
    spanId: context.spanId,
    traceId: context.traceId,
    name: span.name,
    timestamp: hrTimeToMs(span.startTime),
    extensionId: where.extensionId,
  };
  place(record, where);
  const parent = parentSpanIdOf(span);
  if (parent !== undefined) record.parentSpanId = parent;
  const attributes: Record<string, unknown> = { ...span.attributes };
  const scope = span.instrumentationScope;
  if (scope !== undefined && typeof scope.name === "string" && scope.name !== "") {
    attributes["otel.scope.name"] = scope.name;
    if (typeof scope.version === "string") attributes["otel.scope.version"] = scope.version;
  }
  const kind = SPAN_KINDS[span.kind];
  if (kind !== undefined) attributes["span.kind"] = kind;
  for (const _ in attributes) {
    record.attributes = attributes;
    break;
  }
  const links = span.links;
  if (links.length > 0) record.links = links.map(toLink);
  return record;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The `span-close` record of a span that just ended. Its attributes are those set or
 * changed since the open (the reader merges the close's over the open's), plus
 * `otel.status_description` for an error's message; its links are those added since.
 *
 * @param span The ended span, as `onEnd` receives it.
 * @param where Who writes it, and its conversation and turn.
 * @param atOpen The attributes written on the open record (`undefined`: no open was
 * written, so every attribute goes on the close).
 * @param linksAtOpen How many links the open record carried.
 * @returns The record.
 */
export function toSpanClose(
  span: OtelSpan,
  where: SpanPlace,
  atOpen: Readonly<Record<string, unknown>> | undefined,
  linksAtOpen: number,
): SpanClose {
  const context = span.spanContext();
  const failed = span.status.code === 2;
  const record: SpanClose = {
    kind: "span-close",
    spanId: context.spanId,
    traceId: context.traceId,
    name: span.name,
    timestamp: hrTimeToMs(span.endTime),
    durationMs: Math.max(0, hrTimeToMs(span.duration)),
    status: failed ? "error" : "ok",
    extensionId: where.extensionId,
  };
  place(record, where);
  const parent = parentSpanIdOf(span);
  if (parent !== undefined) record.parentSpanId = parent;
  let attributes: Record<string, unknown> | undefined;
  const now = span.attributes;
  for (const key in now) {
    const value = now[key];
    if (atOpen !== undefined && key in atOpen && sameValue(atOpen[key], value)) continue;
    (attributes ??= {})[key] = value;
  }
  const message = span.status.message;
  if (failed && typeof message === "string" && message !== "") {
    (attributes ??= {})["otel.status_description"] = message;
  }
  if (attributes !== undefined) record.attributes = attributes;
  const links = span.links;
  if (links.length > linksAtOpen) record.links = links.slice(linksAtOpen).map(toLink);
  return record;
}

/**
 * A span event as a `log` record under its span: `msg` is the event's name, the level
 * `error` for an `exception` event and `info` otherwise, the event's attributes kept.
 *
 * @param event The event.
 * @param spanId The span's id.
 * @param traceId The span's trace id.
 * @param where Who writes it, and its conversation and turn.
 * @returns The record.
 */
export function toEventLog(
  event: OtelEvent,
  spanId: string,
  traceId: string,
  where: SpanPlace,
): LogEntry {
  const record: LogEntry = {
    kind: "log",
    level: event.name === "exception" ? "error" : "info",
    msg: event.name,
    timestamp: hrTimeToMs(event.time),
    extensionId: where.extensionId,
  };
  place(record, where);
  record.traceId = traceId;
  record.spanId = spanId;
  const attributes = event.attributes;
  if (attributes !== undefined && Object.keys(attributes).length > 0) {
    record.attributes = { ...attributes };
  }
  return record;
}
