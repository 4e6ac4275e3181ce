/**
 * An OpenTelemetry SDK `SpanProcessor` that writes spans into the journal as they start and
 * end, so a crash leaves every span that was running visible as open. Typed structurally:
 * no dependency on `@opentelemetry/*`.
 *
 * @module
 */

import { activeSpanFor } from "../logger/logger.ts";
import type { LogRecord, LogSink } from "../records.ts";
import { firstFailureWarning } from "../sink/error_reporter.ts";
import type { OtelContext, OtelSpan } from "./otel_span.ts";
import {
  conversationOf,
  parentSpanIdOf,
  type SpanPlace,
  toEventLog,
  toSpanClose,
  toSpanOpen,
} from "./span_records.ts";

/**
 * Options of {@linkcode createJournalSpanProcessor}.
 *
 * @example
 * ```ts
 * import type { JournalSpanProcessorOptions } from "@dispatch/journal-sink/otel";
 * const options: JournalSpanProcessorOptions = {
 *   sink: { emit: () => {} }, extensionId: "agent-host", closeSinkOnShutdown: false,
 * };
 * if (options.extensionId !== "agent-host") throw new Error("unreachable");
 * ```
 */
export interface JournalSpanProcessorOptions {
  /**
   * Where records go: a `JournalSink`, or any `{ emit }`. `flush()` and `close()` are
   * called when present (see `forceFlush` and `shutdown`).
   */
  sink: LogSink & { flush?(): void; close?(): void };
  /**
   * Who writes the records. When unset, the span's resource `service.name`, else `"otel"`.
   */
  extensionId?: string;
  /**
   * Whether `shutdown()` closes the sink. Off by default: the host that made the sink owns
   * it (a logger may share it), so `shutdown()` only flushes.
   * @default {false}
   */
  closeSinkOnShutdown?: boolean;
  /**
   * Receives what the processor caught (a throwing sink, a span it could not read); nothing
   * reaches the SDK.
   * @default {one console.warn line prefixed "[journal-sink]", for the first failure only}
   */
  onError?: (error: unknown, record?: unknown) => void;
}

/**
 * An OpenTelemetry SDK `SpanProcessor` (pass it in `spanProcessors`). None of its methods
 * throws; after `shutdown()` it writes nothing more.
 *
 * @example
 * ```ts
 * import { createJournalSpanProcessor, type JournalSpanProcessor } from "@dispatch/journal-sink/otel";
 * const processor: JournalSpanProcessor = createJournalSpanProcessor({ sink: { emit: () => {} } });
 * await processor.shutdown();
 * ```
 */
export interface JournalSpanProcessor {
  /**
   * Writes the span's `span-open` record at once.
   *
   * @param span The span that started.
   * @param parentContext The context it started in.
   */
  onStart(span: OtelSpan, parentContext: OtelContext): void;
  /**
   * Writes the span's events as `log` records, then its `span-close` record.
   *
   * @param span The span that ended.
   */
  onEnd(span: OtelSpan): void;
  /**
   * Flushes the sink (`sink.flush()`, which fsyncs a `JournalSink`).
   *
   * @returns A promise that resolves once flushed; never rejects.
   */
  forceFlush(): Promise<void>;
  /**
   * Flushes the sink, and closes it only with `closeSinkOnShutdown: true`.
   *
   * @returns A promise that resolves once done; never rejects.
   */
  shutdown(): Promise<void>;
}

/** What onStart leaves for onEnd and for the span's children. */
interface OpenSpan {
  place: SpanPlace;
  attributes: Readonly<Record<string, unknown>> | undefined;
  links: number;
}

/** Where `@opentelemetry/api` keeps the active span in a `Context` (`createContextKey`). */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

/**
 * Spans started and not yet ended, at most this many: a span that is never ended (a bug in
 * the host) must not grow memory without bound. Past it the oldest entry is forgotten; its
 * close then carries all its attributes.
 */
const MAX_OPEN_SPANS = 65_536;

/**
 * Create a span processor that writes OpenTelemetry spans into the journal:
 * - `onStart` writes a `span-open` at once: the OTel span id as `spanId`, the parent's as
 *   `parentSpanId`, the trace id as `traceId`, the start attributes, links (span and trace
 *   id, attributes), `otel.scope.name`/`otel.scope.version`, and `span.kind` (client,
 *   server, producer, consumer; none for internal).
 * - `onEnd` writes each span event as a `log` record under the span (`msg` the event name,
 *   level `error` for `exception`, else `info`), then a `span-close`: end time,
 *   `durationMs`, `status` `"error"` for OTel's ERROR (its message in
 *   `otel.status_description`) else `"ok"`, the attributes set or changed since the start
 *   and the links added since (the reader merges them over the open's).
 * - `conversationId` comes from the `gen_ai.conversation.id` attribute, else the parent
 *   OTel span's, else the journal logger's span active in this async flow (same sink);
 *   `turnId` from the parent OTel span or that logger span.
 *
 * Timestamps keep OTel's precision to the microsecond (fractional milliseconds).
 *
 * @param options The sink, `extensionId`, shutdown policy and error handler.
 * @returns The processor.
 * @throws {TypeError} When `sink` has no `emit` or `extensionId` is not a non-empty string.
 *
 * @example A tracer whose spans go into a journal
 * ```ts
 * import { TracerProvider } from "@opentelemetry/sdk-trace";
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { createJournalSpanProcessor } from "@dispatch/journal-sink/otel";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "otel.jsonl", fs });
 * const provider = new TracerProvider({
 *   spanProcessors: [createJournalSpanProcessor({ sink, extensionId: "api" })],
 * });
 * const span = provider.getTracer("demo").startSpan("GET /users");
 * const [open] = fs.text("otel.jsonl").trim().split("\n").map((line) => JSON.parse(line));
 * if (open.kind !== "span-open" || open.traceId !== span.spanContext().traceId) {
 *   throw new Error("the span should be in the journal as soon as it starts");
 * }
 * span.end();
 * await provider.shutdown(); // flushes; the sink stays open for its owner
 * sink.close();
 * ```
 */
export function createJournalSpanProcessor(
  options: JournalSpanProcessorOptions,
): JournalSpanProcessor {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createJournalSpanProcessor needs an options object");
  }
  const { sink, extensionId, onError } = options;
  if (typeof sink !== "object" || sink === null || typeof sink.emit !== "function") {
    throw new TypeError("createJournalSpanProcessor: sink must have an emit(record) method");
  }
  if (extensionId !== undefined && (typeof extensionId !== "string" || extensionId === "")) {
    throw new TypeError("createJournalSpanProcessor: extensionId must be a non-empty string");
  }
  const closeSink = options.closeSinkOnShutdown === true;
  // By span id, not a WeakMap keyed by the span: measured at ~2 µs per entry on Node (GC
  // work on ephemerons), a third of the processor's cost.
  const open = new Map<string, OpenSpan>();
  let stopped = false;
  const report = firstFailureWarning(onError, "OpenTelemetry span processor");
  const emit = (record: LogRecord): void => {
    try {
      sink.emit(record);
    } catch (error) {
      report(error, record);
    }
  };
  const writerOf = (span: OtelSpan): string => {
    if (extensionId !== undefined) return extensionId;
    const name = span.resource?.attributes["service.name"];
    return typeof name === "string" && name !== "" ? name : "otel";
  };
  const settle = (work: () => void): Promise<void> => {
    try {
      work();
    } catch (error) {
      report(error);
    }
    return Promise.resolve();
  };

  return {
    onStart(span: OtelSpan, parentContext: OtelContext): void {
      if (stopped) return;
      try {
        const where: SpanPlace = { extensionId: writerOf(span) };
        const parentId = parentSpanIdOf(span);
        const parent = parentId === undefined ? undefined : open.get(parentId);
        // The parent's conversation attribute may have been set after the parent started.
        let parentConversation: string | undefined;
        const parentSpan = parentContext?.getValue(SPAN_KEY) as { attributes?: unknown } | null;
        const parentAttributes = parentSpan?.attributes;
        if (typeof parentAttributes === "object" && parentAttributes !== null) {
          parentConversation = conversationOf(parentAttributes as Record<string, unknown>);
        }
        const active = parent === undefined ? activeSpanFor(sink) : undefined;
        const conversation = conversationOf(span.attributes) ?? parentConversation ??
          parent?.place.conversationId ?? active?.conversationId;
        if (conversation !== undefined) where.conversationId = conversation;
        const turn = parent?.place.turnId ?? active?.turnId;
        if (turn !== undefined) where.turnId = turn;
        const record = toSpanOpen(span, where);
        if (open.size >= MAX_OPEN_SPANS) open.delete(open.keys().next().value as string);
        open.set(record.spanId, {
          place: where,
          attributes: record.attributes ?? {},
          links: record.links?.length ?? 0,
        });
        emit(record);
      } catch (error) {
        report(error);
      }
    },

    onEnd(span: OtelSpan): void {
      if (stopped) return;
      try {
        const id = span.spanContext().spanId;
        const started = open.get(id);
        open.delete(id);
        let where = started?.place ?? { extensionId: writerOf(span) };
        const conversation = conversationOf(span.attributes);
        if (conversation !== undefined && conversation !== where.conversationId) {
          where = { ...where, conversationId: conversation };
        }
        const events = span.events;
        if (events.length > 0) {
          const { spanId, traceId } = span.spanContext();
          for (const event of events) emit(toEventLog(event, spanId, traceId, where));
        }
        emit(toSpanClose(span, where, started?.attributes, started?.links ?? 0));
      } catch (error) {
        report(error);
      }
    },

    forceFlush(): Promise<void> {
      return settle(() => {
        if (!stopped) sink.flush?.();
      });
    },

    shutdown(): Promise<void> {
      return settle(() => {
        if (stopped) return;
        stopped = true;
        if (closeSink && typeof sink.close === "function") sink.close();
        else sink.flush?.();
      });
    },
  };
}
