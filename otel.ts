/**
 * The OpenTelemetry bridge: `createJournalSpanProcessor()` returns an SDK `SpanProcessor`
 * that writes each span into the journal when it starts (`span-open`) and when it ends
 * (`span-close`, with its events as `log` records), keeping OpenTelemetry's trace and span
 * ids. The SDK exports a span only when it ends, so a crash loses the spans that were
 * running; in the journal they stay visible as open. The OpenTelemetry packages are not a
 * dependency: their span and context types are matched structurally.
 *
 * @example A parent that never ends reads back as open
 * ```ts
 * import { context, trace } from "@opentelemetry/api";
 * import { TracerProvider } from "@opentelemetry/sdk-trace";
 * import { reconstructTraces, type LogRecord } from "@dispatch/journal-sink";
 * import { createJournalSpanProcessor } from "@dispatch/journal-sink/otel";
 * const records: LogRecord[] = [];
 * const provider = new TracerProvider({
 *   spanProcessors: [createJournalSpanProcessor({ sink: { emit: (r) => void records.push(r) } })],
 * });
 * const tracer = provider.getTracer("agent");
 * const turn = tracer.startSpan("turn");
 * tracer.startSpan("tool-call", {}, trace.setSpan(context.active(), turn)).end();
 * // the process dies here: "turn" never ends
 * const [root] = reconstructTraces(records).roots;
 * if (root.status !== "open" || root.children[0].status !== "ok") throw new Error("trees");
 * ```
 *
 * @module
 */

export {
  createJournalSpanProcessor,
  type JournalSpanProcessor,
  type JournalSpanProcessorOptions,
} from "./src/otel/journal_span_processor.ts";
export type {
  OtelContext,
  OtelEvent,
  OtelHrTime,
  OtelLink,
  OtelSpan,
  OtelSpanContext,
} from "./src/otel/otel_span.ts";
