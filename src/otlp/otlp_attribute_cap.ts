/**
 * The attribute limit applied to OTLP protobuf bytes before they are decoded: a request of
 * a few MiB can carry millions of attributes, and decoding each into an object costs
 * seconds and hundreds of MiB before any limit on the decoded message could act. This walks
 * the wire format down to the messages that hold attributes (resource, scope, span, event,
 * link, log record), keeps the first `maxAttributes` of each, skips the bytes of the rest,
 * and adds their number to the message's `dropped_attributes_count`, as an OpenTelemetry
 * SDK does at the source.
 *
 * @module
 */

/** Where a message keeps its attributes and their dropped count, and which fields to enter. */
interface Shape {
  /** Field number of `repeated KeyValue attributes`. */
  attributes?: number;
  /** Field number of `uint32 dropped_attributes_count`. */
  droppedCount?: number;
  /** Length-delimited fields whose message holds attributes further down. */
  inner?: Record<number, Shape>;
}

const RESOURCE: Shape = { attributes: 1, droppedCount: 2 };
const SCOPE: Shape = { attributes: 3, droppedCount: 4 };
const EVENT: Shape = { attributes: 3, droppedCount: 4 };
const LINK: Shape = { attributes: 4, droppedCount: 5 };
const SPAN: Shape = { attributes: 9, droppedCount: 10, inner: { 11: EVENT, 13: LINK } };
const LOG_RECORD: Shape = { attributes: 6, droppedCount: 7 };
/** `ExportTraceServiceRequest` → `ResourceSpans` → `ScopeSpans` → `Span`. */
const TRACES_REQUEST: Shape = {
  inner: { 1: { inner: { 1: RESOURCE, 2: { inner: { 1: SCOPE, 2: SPAN } } } } },
};
/** `ExportLogsServiceRequest` → `ResourceLogs` → `ScopeLogs` → `LogRecord`. */
const LOGS_REQUEST: Shape = {
  inner: { 1: { inner: { 1: RESOURCE, 2: { inner: { 1: SCOPE, 2: LOG_RECORD } } } } },
};

/** The input is not protobuf: decoding will say so, with the whole input. */
class Malformed extends Error {}

/** Reads a varint at `at`; returns its value (exact up to 2^53) and the next position. */
function varint(bytes: Uint8Array, at: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw new Malformed();
    const byte = bytes[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
    scale *= 128;
  }
  throw new Malformed();
}

function varintBytes(value: number): Uint8Array {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Uint8Array.from(out);
}

/** A message rebuilt: its parts in order, and their total length. */
interface Rebuilt {
  parts: Uint8Array[];
  length: number;
  dropped: number;
}

/**
 * The message in `bytes[start, end)` with attributes past `max` removed, or `undefined`
 * when nothing in it changed.
 */
function rebuild(
  bytes: Uint8Array,
  start: number,
  end: number,
  shape: Shape,
  max: number,
): Rebuilt | undefined {
  const out: Rebuilt = { parts: [], length: 0, dropped: 0 };
  const push = (part: Uint8Array) => {
    out.parts.push(part);
    out.length += part.length;
  };
  let kept = 0;
  let droppedBefore = 0;
  let copyFrom = start;
  let changed = false;
  let at = start;
  while (at < end) {
    const fieldStart = at;
    const [key, afterKey] = varint(bytes, at, end);
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    at = afterKey;
    if (wireType === 0) {
      const [value, next] = varint(bytes, at, end);
      if (field === shape.droppedCount) droppedBefore = value;
      at = next;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const [length, next] = varint(bytes, at, end);
      const valueEnd = next + length;
      if (valueEnd > end) throw new Malformed();
      if (field === shape.attributes) {
        if (kept++ >= max) {
          if (fieldStart > copyFrom) push(bytes.subarray(copyFrom, fieldStart));
          copyFrom = valueEnd;
          out.dropped++;
          changed = true;
        }
      } else {
        const inner = shape.inner?.[field];
        const rebuilt = inner && rebuild(bytes, next, valueEnd, inner, max);
        if (rebuilt) {
          if (fieldStart > copyFrom) push(bytes.subarray(copyFrom, fieldStart));
          push(varintBytes(key));
          push(varintBytes(rebuilt.length));
          for (const part of rebuilt.parts) push(part);
          out.dropped += rebuilt.dropped;
          copyFrom = valueEnd;
          changed = true;
        }
      }
      at = valueEnd;
    } else throw new Malformed(); // groups (3, 4) are not in OTLP
    if (at > end) throw new Malformed();
  }
  if (!changed) return undefined;
  if (end > copyFrom) push(bytes.subarray(copyFrom, end));
  if (shape.droppedCount !== undefined && kept > max) {
    // A later occurrence of a scalar field wins when decoding: the sender's count plus ours.
    push(varintBytes(shape.droppedCount * 8));
    push(varintBytes(droppedBefore + kept - max));
  }
  return out;
}

/**
 * Keeps the first `maxAttributes` attributes of every resource, scope, span, event, link
 * and log record of an OTLP protobuf request, counting the others in the message's
 * `dropped_attributes_count`. Bytes that are not protobuf come back unchanged (the decoder
 * then refuses them).
 *
 * @param bytes An encoded `ExportTraceServiceRequest` or `ExportLogsServiceRequest`.
 * @param signal Which of the two it is.
 * @param maxAttributes Attributes kept per message.
 * @returns The bytes to decode (the same array when nothing was over the limit), and how
 * many attributes were dropped.
 *
 * @example Two attributes over a limit of one
 * ```ts
 * import { capProtobufAttributes } from "./otlp_attribute_cap.ts";
 * import { loadOtlpProtobuf } from "./otlp_protobuf.ts";
 * const { tracesRequest } = await loadOtlpProtobuf();
 * const attributes = ["a", "b", "c"].map((key) => ({ key, value: { stringValue: key } }));
 * const bytes = tracesRequest.encode({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: "x", attributes }] }] }] });
 * const capped = capProtobufAttributes(bytes, "traces", 1);
 * const span = (tracesRequest.decode(capped.bytes) as {
 *   resourceSpans: { scopeSpans: { spans: { attributes: unknown[]; droppedAttributesCount: number }[] }[] }[];
 * }).resourceSpans[0].scopeSpans[0].spans[0];
 * if (capped.dropped !== 2 || span.attributes.length !== 1 || span.droppedAttributesCount !== 2) {
 *   throw new Error("capped");
 * }
 * ```
 */
export function capProtobufAttributes(
  bytes: Uint8Array,
  signal: "traces" | "logs",
  maxAttributes: number,
): { bytes: Uint8Array; dropped: number } {
  let rebuilt: Rebuilt | undefined;
  try {
    rebuilt = rebuild(
      bytes,
      0,
      bytes.length,
      signal === "traces" ? TRACES_REQUEST : LOGS_REQUEST,
      maxAttributes,
    );
  } catch (error) {
    if (error instanceof Malformed) return { bytes, dropped: 0 };
    throw error;
  }
  if (!rebuilt) return { bytes, dropped: 0 };
  const out = new Uint8Array(rebuilt.length);
  let at = 0;
  for (const part of rebuilt.parts) {
    out.set(part, at);
    at += part.length;
  }
  return { bytes: out, dropped: rebuilt.dropped };
}
