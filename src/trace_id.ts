/**
 * Trace ids (16 bytes as 32 lowercase hex digits): the one derivation of a turn's trace id,
 * shared by the logger (which writes it) and the OTLP export (which derives it for records
 * written without one), and random ids for root spans outside any turn.
 *
 * @module
 */

const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/**
 * cyrb128: a fast, well-mixed, non-cryptographic 128-bit string hash.
 *
 * @param text What to hash.
 * @returns Four unsigned 32-bit words.
 */
export function hash128(text: string): number[] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * A 32-bit word as 8 hex digits.
 *
 * @param n The word.
 * @returns 8 lowercase hex digits.
 */
export function hex32(n: number): string {
  return HEX[n >>> 24] + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];
}

const ZERO_TRACE = /^0{32}$/;

/**
 * The trace id named by `key`: its 128-bit hash, never all zero.
 *
 * @param key What names the trace.
 * @returns 32 lowercase hex digits.
 */
export function hashTraceId(key: string): string {
  const [a, b, c, d] = hash128(key);
  const id = hex32(a) + hex32(b) + hex32(c) + hex32(d);
  return ZERO_TRACE.test(id) ? id.slice(0, 31) + "1" : id;
}

/**
 * The trace of a turn within its conversation: two conversations that each have a turn `t1`
 * get two traces. Length-prefixed so that no (conversation, turn) pair can spell another.
 *
 * @param conversationId The conversation, if any.
 * @param turnId The turn.
 * @returns 32 lowercase hex digits.
 */
export function turnTraceId(conversationId: string | undefined, turnId: string): string {
  const conversation = conversationId ?? "";
  return hashTraceId(`turn:${conversation.length}:${conversation}:${turnId}`);
}

/** Random bytes drawn ahead in one `getRandomValues` call, 16 per id. */
const POOL = new Uint8Array(512);
let offset = POOL.length;

/**
 * A random trace id (16 bytes from the platform's CSPRNG), for a root span outside any turn.
 *
 * @returns 32 lowercase hex digits, never all zero.
 */
export function newTraceId(): string {
  if (offset === POOL.length) {
    crypto.getRandomValues(POOL);
    offset = 0;
  }
  const o = offset;
  offset = o + 16;
  let id = "";
  for (let i = o; i < o + 16; i++) id += HEX[POOL[i]];
  return ZERO_TRACE.test(id) ? id.slice(0, 31) + "1" : id;
}

const TRACE_HEX = /^[0-9a-f]{32}$/;

/**
 * Whether `value` has the shape of a trace id in a record: 32 lowercase hex digits (the
 * one rule of that shape for records: the sink refuses another, the reader leaves it out).
 *
 * @param value A record's `traceId`.
 * @returns `true` for 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * import { isTraceId } from "./trace_id.ts";
 * if (!isTraceId("0af7651916cd43dd8448eb211c80319c")) throw new Error("a trace id");
 * if (isTraceId("0AF7651916CD43DD8448EB211C80319C") || isTraceId(7)) throw new Error("not one");
 * ```
 */
export function isTraceId(value: unknown): value is string {
  return typeof value === "string" && value.length === 32 && TRACE_HEX.test(value);
}
