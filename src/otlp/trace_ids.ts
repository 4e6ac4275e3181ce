/**
 * Deterministic OTLP ids for journal records: the same record always maps to the same
 * 16-byte trace id and 8-byte span id, in the SQLite store and in every OTLP export.
 *
 * @module
 */

import { hash128, hashTraceId, hex32, isTraceId, turnTraceId } from "../trace_id.ts";

const SPAN_HEX = /^[0-9a-f]{16}$/;
const ZERO_SPAN = "0000000000000000";

/**
 * The OTLP span id (16 lowercase hex digits, never all zero) of a journal span id. Ids the
 * logger generates already have that form and are kept as they are, so an id seen in the
 * journal is the id seen in the backend; any other string is hashed.
 *
 * @param spanId The journal's `spanId`.
 * @returns 8 bytes as hex.
 *
 * @example
 * ```ts
 * import { otlpSpanId } from "./trace_ids.ts";
 * if (otlpSpanId("00f1e2d3c4b5a697") !== "00f1e2d3c4b5a697") throw new Error("kept as is");
 * if (!/^[0-9a-f]{16}$/.test(otlpSpanId("tool-call-7"))) throw new Error("not hex");
 * if (otlpSpanId("tool-call-7") !== otlpSpanId("tool-call-7")) throw new Error("not stable");
 * ```
 */
export function otlpSpanId(spanId: string): string {
  if (SPAN_HEX.test(spanId) && spanId !== ZERO_SPAN) return spanId;
  const [a, b] = hash128(`span:${spanId}`);
  const id = hex32(a) + hex32(b);
  return id === ZERO_SPAN ? "0000000000000001" : id;
}

const ZERO_TRACE = "00000000000000000000000000000000";

/**
 * A trace id a record carries, as OTLP takes it: the shape of {@linkcode isTraceId} in
 * either case, lowercased; all zero (OTLP's invalid id) is none.
 *
 * @param value A record's or a link's `traceId`.
 * @returns 32 lowercase hex digits, or `undefined`.
 *
 * @example
 * ```ts
 * import { validOtlpTraceId } from "./trace_ids.ts";
 * if (validOtlpTraceId("0AF7651916CD43DD8448EB211C80319C") !== "0af7651916cd43dd8448eb211c80319c") throw new Error("case");
 * if (validOtlpTraceId("0".repeat(32)) !== undefined || validOtlpTraceId("req-42") !== undefined) throw new Error("none");
 * ```
 */
export function validOtlpTraceId(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const id = value.toLowerCase();
  return isTraceId(id) && id !== ZERO_TRACE ? id : undefined;
}

/**
 * Which trace a record belongs to, as an OTLP trace id (32 lowercase hex digits). The rule,
 * in order:
 * 1. a record that carries a valid `traceId` (32 hex digits, not all zero) keeps it, so a
 *    trace that started in OpenTelemetry keeps its id all the way to the backend;
 * 2. a record with a `turnId` belongs to the trace of its turn within its conversation
 *    (`hash(conversationId, turnId)`): a turn is the unit an agent host traces, the rule
 *    needs no other record, and two conversations that each have a turn `t1` get two traces;
 * 3. a span whose parent's trace is known (`lookup`) shares it; a log entry shares its
 *    span's;
 * 4. otherwise the trace is named after the parent span (spans) or the span (log entries),
 *    so the children of one unknown root still share a trace.
 * Log entries with neither a turn nor a span have no trace (`undefined`).
 *
 * @param record The record's scope fields.
 * @param lookup The trace id already given to a span id, when known.
 * @returns The trace id, or `undefined`.
 *
 * @example Spans of one turn share a trace; the same turn id in another conversation does not
 * ```ts
 * import { otlpTraceId } from "./trace_ids.ts";
 * const a = otlpTraceId({ kind: "span-open", spanId: "a", conversationId: "c1", turnId: "t1" });
 * const b = otlpTraceId({ kind: "span-open", spanId: "b", parentSpanId: "a", conversationId: "c1", turnId: "t1" });
 * const c = otlpTraceId({ kind: "span-open", spanId: "c", conversationId: "c2", turnId: "t1" });
 * if (a !== b || a?.length !== 32) throw new Error("one turn, one trace");
 * if (a === c) throw new Error("two conversations, two traces");
 * ```
 */
export function otlpTraceId(
  record: {
    kind: string;
    spanId?: unknown;
    parentSpanId?: unknown;
    turnId?: unknown;
    conversationId?: unknown;
    traceId?: unknown;
  },
  lookup?: (spanId: string) => string | undefined,
): string | undefined {
  const own = validOtlpTraceId(record.traceId);
  if (own !== undefined) return own;
  if (typeof record.turnId === "string") {
    const conversation = typeof record.conversationId === "string"
      ? record.conversationId
      : undefined;
    return turnTraceId(conversation, record.turnId);
  }
  const isLog = record.kind === "log";
  const anchor = isLog
    ? record.spanId
    : (typeof record.parentSpanId === "string" ? record.parentSpanId : record.spanId);
  if (typeof anchor !== "string") return undefined;
  const known = lookup?.(anchor);
  if (known !== undefined) return known;
  return hashTraceId(`span:${anchor}`);
}
