/**
 * A request body as the capture writes it: JSON when its text is exactly what
 * `JSON.stringify` gives back for it (so the journal line holds the very bytes sent), else
 * the text as is, else base64; bodies that cannot be read without consuming them (streams,
 * `FormData`) only by their kind. Pure.
 *
 * @module
 */

import { utf8Length } from "../utf8_length.ts";

/** How a captured body is written in the record's `body`. */
export type BodyEncoding = "json" | "text" | "base64" | "none";

/** A request body, read. */
export interface RequestBody {
  /** The body parsed as JSON when it is JSON (for the request's attributes), else `undefined`. */
  json: unknown;
  /** What the record's `body` holds: the parsed JSON, the text, base64, or nothing. */
  captured: unknown;
  /** How `captured` is written. */
  encoding: BodyEncoding;
  /** The body's size in bytes, when known without reading a stream. */
  size: number | undefined;
  /** Why the body was not captured (`ReadableStream`, `FormData`, …). */
  skipped?: string;
}

// Every ASCII unit, control characters included (one byte each): the native pass settles the
// common case without counting in a loop.
// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

const NONE: RequestBody = { json: undefined, captured: undefined, encoding: "none", size: 0 };

/**
 * Reads a `fetch` body without consuming it.
 *
 * @param body `init.body` as given to `fetch`.
 * @param keep Whether the body itself is wanted (the content policy is `"full"`): without it
 *   only the JSON (for the attributes) and the size are read.
 * @returns The body as the capture writes it.
 *
 * @example A JSON body is kept parsed when it serializes back to the same text
 * ```ts
 * import { readRequestBody } from "./request_body.ts";
 * const sent = '{"model":"m","messages":[{"role":"user","content":"hi"}]}';
 * const body = readRequestBody(sent, true);
 * if (body.encoding !== "json" || JSON.stringify(body.captured) !== sent) throw new Error("json");
 * const pretty = readRequestBody('{ "model": "m" }', true);
 * if (pretty.encoding !== "text" || pretty.captured !== '{ "model": "m" }') throw new Error("text");
 * ```
 */
export function readRequestBody(body: unknown, keep: boolean): RequestBody {
  if (body === undefined || body === null) return NONE;
  let text: string | undefined;
  let bytes: Uint8Array | undefined;
  if (typeof body === "string") text = body;
  else if (body instanceof URLSearchParams) text = body.toString();
  else if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
  else if (ArrayBuffer.isView(body)) {
    bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  } else {
    const kind = (body as { constructor?: { name?: unknown } }).constructor?.name;
    return { ...NONE, size: undefined, skipped: typeof kind === "string" ? kind : typeof body };
  }
  if (bytes !== undefined) {
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return {
        json: undefined,
        captured: keep ? base64(bytes) : undefined,
        encoding: keep ? "base64" : "none",
        size: bytes.byteLength,
      };
    }
  }
  const t = text as string;
  const size = bytes?.byteLength ?? (ASCII.test(t) ? t.length : utf8Length(t));
  let json: unknown;
  const first = t.charCodeAt(0);
  if (first === 123 || first === 91) { // { or [
    try {
      json = JSON.parse(t);
    } catch {
      json = undefined;
    }
  }
  if (!keep) return { json, captured: undefined, encoding: "none", size };
  // The journal line is JSON.stringify of the record: the parsed body goes in as the same text
  // exactly when JSON.stringify gives it back unchanged (true of every SDK's body).
  if (json !== undefined && JSON.stringify(json) === t) {
    return { json, captured: json, encoding: "json", size };
  }
  return { json, captured: t, encoding: "text", size };
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
