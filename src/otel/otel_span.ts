/**
 * The parts of the OpenTelemetry SDK's objects the span processor reads, matched
 * structurally so `./otel` has no dependency on `@opentelemetry/*`: an SDK 3.x `Span` /
 * `ReadableSpan` is assignable to {@linkcode OtelSpan}, its `Context` to
 * {@linkcode OtelContext}.
 *
 * @module
 */

/**
 * OpenTelemetry's high-resolution time: `[seconds, nanoseconds]` since the Unix epoch (or,
 * for a duration, of the duration).
 *
 * @example
 * ```ts
 * import type { OtelHrTime } from "@dispatch/journal-sink/otel";
 * const time: OtelHrTime = [1_700_000_000, 500_000_000];
 * if (time[1] !== 500_000_000) throw new Error("unreachable");
 * ```
 */
export type OtelHrTime = readonly [number, number];

/**
 * A span's identity: OpenTelemetry's `SpanContext`.
 *
 * @example
 * ```ts
 * import type { OtelSpanContext } from "@dispatch/journal-sink/otel";
 * const context: OtelSpanContext = {
 *   traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1,
 * };
 * if (context.spanId.length !== 16) throw new Error("unreachable");
 * ```
 */
export interface OtelSpanContext {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** W3C trace flags (bit 0: sampled). */
  readonly traceFlags?: number;
}

/**
 * A link from a span to another span: OpenTelemetry's `Link`.
 *
 * @example
 * ```ts
 * import type { OtelLink } from "@dispatch/journal-sink/otel";
 * const link: OtelLink = {
 *   context: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" },
 *   attributes: { "link.reason": "retry-of" },
 * };
 * if (link.context.spanId !== "00f067aa0ba902b7") throw new Error("unreachable");
 * ```
 */
export interface OtelLink {
  /** The linked span. */
  readonly context: OtelSpanContext;
  /** What the link says. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * A span event: OpenTelemetry's `TimedEvent` (`span.addEvent`, `span.recordException`).
 *
 * @example
 * ```ts
 * import type { OtelEvent } from "@dispatch/journal-sink/otel";
 * const event: OtelEvent = {
 *   name: "exception", time: [1_700_000_000, 0], attributes: { "exception.message": "boom" },
 * };
 * if (event.name !== "exception") throw new Error("unreachable");
 * ```
 */
export interface OtelEvent {
  /** When it happened. */
  readonly time: OtelHrTime;
  /** What happened. */
  readonly name: string;
  /** Its key/values. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * What the processor reads from a span: the intersection of the SDK's `Span` (passed to
 * `onStart`) and `ReadableSpan` (passed to `onEnd`). In SDK 3.x the parent is
 * `parentSpanContext`; SDK 1.x had `parentSpanId`, read as a fallback.
 *
 * @example A span as the SDK hands it to `onEnd`
 * ```ts
 * import type { OtelSpan } from "@dispatch/journal-sink/otel";
 * const span: OtelSpan = {
 *   name: "GET /users", kind: 1,
 *   spanContext: () => ({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" }),
 *   startTime: [1_700_000_000, 0], endTime: [1_700_000_000, 2_000_000], duration: [0, 2_000_000],
 *   status: { code: 0 }, attributes: { "http.route": "/users" }, links: [], events: [],
 *   resource: { attributes: { "service.name": "api" } },
 *   instrumentationScope: { name: "http" },
 * };
 * if (span.spanContext().spanId !== "00f067aa0ba902b7") throw new Error("unreachable");
 * ```
 */
export interface OtelSpan {
  /** What the span measures. */
  readonly name: string;
  /** `SpanKind`: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  readonly kind: number;
  /** The span's identity. */
  spanContext(): OtelSpanContext;
  /** The parent's identity (SDK 2.x and later). */
  readonly parentSpanContext?: OtelSpanContext;
  /** The parent's span id (SDK 1.x). */
  readonly parentSpanId?: string;
  /** Start time. */
  readonly startTime: OtelHrTime;
  /** End time; meaningful in `onEnd`. */
  readonly endTime: OtelHrTime;
  /** End minus start; meaningful in `onEnd`. */
  readonly duration: OtelHrTime;
  /** `code`: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message?: string };
  /** The span's attributes; the SDK adds to this object while the span runs. */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Links, those given at the start first. */
  readonly links: readonly OtelLink[];
  /** Events, in the order they were added. */
  readonly events: readonly OtelEvent[];
  /** The process's resource (`service.name` …). */
  readonly resource?: { readonly attributes: Readonly<Record<string, unknown>> };
  /** The instrumentation library that made the span. */
  readonly instrumentationScope?: { readonly name: string; readonly version?: string };
}

/**
 * OpenTelemetry's `Context`, as `onStart` receives it: the processor reads the parent span
 * from it.
 *
 * @example
 * ```ts
 * import type { OtelContext } from "@dispatch/journal-sink/otel";
 * const empty: OtelContext = { getValue: () => undefined };
 * if (empty.getValue(Symbol("k")) !== undefined) throw new Error("unreachable");
 * ```
 */
export interface OtelContext {
  /** The value stored under `key`. */
  getValue(key: symbol): unknown;
}
