/**
 * An OTLP/JSON request (what {@linkcode OtlpMapper} builds) as the message object protobufjs
 * encodes: the same field names, with the hex ids as bytes and the decimal int64 strings
 * (`…UnixNano`, `intValue`) as `{ low, high }` 64-bit halves. Everything else is kept.
 *
 * @module
 */

const ID_KEYS = new Set(["traceId", "spanId", "parentSpanId"]);
const TWO_32 = 4294967296n;

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A decimal int64 as the two's-complement 32-bit halves protobufjs writes. */
function longBits(value: unknown): { low: number; high: number } | unknown {
  if (typeof value !== "string" && typeof value !== "number") return value;
  const n = BigInt.asUintN(64, BigInt(value));
  return { low: Number(n % TWO_32) | 0, high: Number(n / TWO_32) | 0 };
}

/**
 * Converts an OTLP/JSON value to its protobufjs message form.
 *
 * @param value A request, or any part of one.
 * @param key The field name `value` sits under.
 * @returns The message form.
 *
 * @example
 * ```ts
 * import { otlpJsonToMessage } from "./otlp_json_to_message.ts";
 * const span = otlpJsonToMessage({ spanId: "00000000000000ff", startTimeUnixNano: "4294967297" }) as {
 *   spanId: Uint8Array; startTimeUnixNano: { low: number; high: number };
 * };
 * if (span.spanId[7] !== 255 || span.startTimeUnixNano.high !== 1 || span.startTimeUnixNano.low !== 1) {
 *   throw new Error("conversion");
 * }
 * ```
 */
export function otlpJsonToMessage(value: unknown, key = ""): unknown {
  if (typeof value === "string" && ID_KEYS.has(key)) return hexBytes(value);
  if (key === "intValue" || key.endsWith("UnixNano")) return longBits(value);
  if (Array.isArray(value)) return value.map((item) => otlpJsonToMessage(item));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k in value) out[k] = otlpJsonToMessage((value as Record<string, unknown>)[k], k);
    return out;
  }
  return value;
}
