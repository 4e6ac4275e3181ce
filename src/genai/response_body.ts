/**
 * A response body as the capture writes it, read chunk by chunk as the caller receives it:
 * JSON parsed at the end; a stream of server-sent events parsed as it goes (its events kept,
 * their `data` parsed when it is JSON); other text kept as text; binary counted only. Each
 * piece also goes to the {@linkcode ProviderResponseReader} for usage. Pure: fed bytes.
 *
 * @module
 */

import type { ContentPolicy } from "./content_policy.ts";
import type { ProviderResponseReader } from "./provider_usage.ts";
import { SseParser } from "./sse.ts";

/** How a response body is written in the `provider.response` record. */
export type ResponseBodyFormat = "json" | "sse" | "text" | "binary" | "empty";

/** One event of a captured stream, as written: `data` parsed when it is JSON. */
export interface CapturedEvent {
  /** The `event:` field, when given. */
  event?: string;
  /** The `id:` field, when given. */
  id?: string;
  /** The data: parsed JSON, or the text (`[DONE]`). */
  data?: unknown;
}

/** The body read to its end (or as far as it came). */
export interface CapturedResponseBody {
  /** How it was read. */
  format: ResponseBodyFormat;
  /** Bytes received. */
  size: number;
  /** The body for the record (`undefined` unless the policy is `"full"`). */
  body: unknown;
}

/**
 * The format a response's `content-type` calls for.
 *
 * @param contentType The header's value, if any.
 * @returns How to read the body.
 *
 * @example
 * ```ts
 * import { responseFormat } from "./response_body.ts";
 * if (responseFormat("text/event-stream; charset=utf-8") !== "sse") throw new Error("sse");
 * if (responseFormat("application/json") !== "json" || responseFormat("audio/mpeg") !== "binary") {
 *   throw new Error("formats");
 * }
 * ```
 */
export function responseFormat(contentType: string | null | undefined): ResponseBodyFormat {
  const type = (contentType ?? "").toLowerCase();
  if (type.includes("text/event-stream")) return "sse";
  if (type.includes("json")) return "json";
  if (type === "" || type.startsWith("text/") || type.includes("xml")) return "text";
  return "binary";
}

/**
 * Collects one response body.
 *
 * @example An OpenAI chat stream, with usage in its last chunk
 * ```ts
 * import { ProviderResponseReader } from "./provider_usage.ts";
 * import { ResponseBodyCollector } from "./response_body.ts";
 * const reader = new ProviderResponseReader("openai.chat");
 * const body = new ResponseBodyCollector("sse", "full", reader);
 * const bytes = new TextEncoder().encode(
 *   'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n' +
 *   'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}}\n\ndata: [DONE]\n\n');
 * body.chunk(bytes.subarray(0, 50));
 * body.chunk(bytes.subarray(50));
 * const done = body.end();
 * if (done.size !== bytes.length || (done.body as unknown[]).length !== 3) throw new Error("events");
 * if (reader.attributes()["gen_ai.usage.input_tokens"] !== 5) throw new Error("usage");
 * ```
 */
export class ResponseBodyCollector {
  private readonly format: ResponseBodyFormat;
  private readonly keep: boolean;
  private readonly reader: ProviderResponseReader;
  private readonly decoder = new TextDecoder();
  private size = 0;
  private parts: string[] = [];
  private events: CapturedEvent[] = [];
  private sse: SseParser | undefined;

  /**
   * @param format How to read the body ({@linkcode responseFormat}).
   * @param policy The content policy: only `"full"` keeps the body itself.
   * @param reader Where usage, ids and reasons are read.
   */
  constructor(format: ResponseBodyFormat, policy: ContentPolicy, reader: ProviderResponseReader) {
    this.format = format;
    this.keep = policy === "full";
    this.reader = reader;
    if (format === "sse") this.sse = new SseParser();
  }

  /**
   * One chunk, as the caller receives it (not kept: only its text or events are).
   *
   * @param bytes The chunk.
   */
  chunk(bytes: Uint8Array): void {
    this.size += bytes.byteLength;
    // Plain text is kept only to be written: under a policy that writes no body, only its size.
    if (this.format === "binary" || (this.format === "text" && !this.keep)) return;
    const text = this.decoder.decode(bytes, { stream: true });
    if (this.sse !== undefined) this.dispatch(this.sse.feed(text));
    else if (text !== "") this.parts.push(text);
  }

  /**
   * The end of the body (or of what came of it).
   *
   * @returns The body for the record.
   */
  end(): CapturedResponseBody {
    if (this.format === "binary") return { format: "binary", size: this.size, body: undefined };
    const tail = this.decoder.decode();
    if (this.sse !== undefined) {
      this.dispatch(this.sse.feed(tail));
      this.sse.end();
      return { format: "sse", size: this.size, body: this.keep ? this.events : undefined };
    }
    if (tail !== "") this.parts.push(tail);
    const text = this.parts.join("");
    this.parts = [];
    if (this.size === 0) return { format: "empty", size: 0, body: undefined };
    if (this.format === "json") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { format: "text", size: this.size, body: this.keep ? text : undefined };
      }
      this.reader.json(parsed);
      return { format: "json", size: this.size, body: this.keep ? parsed : undefined };
    }
    return { format: "text", size: this.size, body: this.keep ? text : undefined };
  }

  private dispatch(events: { event?: string; id?: string; data: string }[]): void {
    for (const e of events) {
      if (!this.keep && !this.reader.wants(e.event, e.data)) continue;
      let data: unknown = e.data;
      const first = e.data.charCodeAt(0);
      if (first === 123 || first === 91) {
        try {
          data = JSON.parse(e.data);
        } catch {
          data = e.data;
        }
      }
      this.reader.event(e.event, data);
      if (this.keep) {
        const kept: CapturedEvent = {};
        if (e.event !== undefined) kept.event = e.event;
        if (e.id !== undefined) kept.id = e.id;
        kept.data = data;
        this.events.push(kept);
      }
    }
  }
}
