/**
 * `captureFetch`: a `fetch` for provider SDKs that writes each model call as it really went
 * over the wire: a `chat {model}` span opened before the request leaves, the request exactly
 * as sent (`provider.request`, the 'after'), the response as received (`provider.response`,
 * a stream read from the very chunks the caller gets), and usage on the close. The SDK's
 * request and response are passed through untouched; capture failures are counted, never
 * thrown.
 *
 * @module
 */

import type { Attributes, Logger, Span } from "../logger/logger.ts";
import { environment } from "../runtime/runtime.ts";
import { firstFailureWarning } from "../sink/error_reporter.ts";
import { GEN_AI } from "./attributes.ts";
import { type ContentPolicy, contentPolicy } from "./content_policy.ts";
import { headerAttributes, type HeadersSource, safeUrl } from "./http_secrets.ts";
import { type ProviderRequest, readProviderRequest } from "./provider_request.ts";
import { ProviderResponseReader } from "./provider_usage.ts";
import { readRequestBody } from "./request_body.ts";
import { ResponseBodyCollector, responseFormat } from "./response_body.ts";

/**
 * The `fetch` signature provider SDKs take (`new OpenAI({ fetch })`, `createAnthropic({ fetch })`).
 *
 * @example
 * ```ts
 * import type { FetchFunction } from "@dispatch/journal-sink/genai";
 * const plain: FetchFunction = (input, init) => fetch(input, init);
 * if (typeof plain !== "function") throw new Error("unreachable");
 * ```
 */
export type FetchFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/**
 * Options of {@linkcode captureFetch}.
 *
 * @example
 * ```ts
 * import type { CaptureFetchOptions } from "@dispatch/journal-sink/genai";
 * const options: CaptureFetchOptions = { content: "metadata", provider: "openai" };
 * if (options.content !== "metadata") throw new Error("unreachable");
 * ```
 */
export interface CaptureFetchOptions {
  /**
   * The `fetch` that really sends the request.
   * @default {globalThis.fetch, looked up at each call}
   */
  fetch?: FetchFunction;
  /**
   * What is written of the content: `"full"` (bodies verbatim), `"metadata"` (no bodies) or
   * `"none"` (no request and response records, the span and its usage only). Headers that
   * carry credentials are never written, whatever the policy.
   * @default {OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT's policy when set, else "full"}
   */
  content?: ContentPolicy;
  /** `gen_ai.provider.name`, instead of the one the host says (a proxy, a gateway). */
  provider?: string;
  /**
   * Receives what the capture itself could not do (the call goes on untouched).
   * @default {one console.warn line, for the first failure only}
   */
  onError?: (error: unknown) => void;
}

/**
 * What a captured fetch counted.
 *
 * @example
 * ```ts
 * import type { CaptureStats } from "@dispatch/journal-sink/genai";
 * const stats: CaptureStats = { calls: 1, dropped: 0 };
 * if (stats.calls !== 1) throw new Error("unreachable");
 * ```
 */
export interface CaptureStats {
  /** Calls made through it. */
  calls: number;
  /** Captures that failed part way (the calls themselves went on untouched). */
  dropped: number;
}

/**
 * A `fetch` that captures, with its counters.
 *
 * @example
 * ```ts
 * import type { CapturedFetch } from "@dispatch/journal-sink/genai";
 * const take = (f: CapturedFetch) => f.stats.dropped;
 * if (typeof take !== "function") throw new Error("unreachable");
 * ```
 */
export type CapturedFetch = FetchFunction & { readonly stats: Readonly<CaptureStats> };

/** The request's method, URL and headers, wherever `fetch` was given them. */
function requestParts(input: string | URL | Request, init: RequestInit | undefined) {
  const request = typeof Request !== "undefined" && input instanceof Request ? input : undefined;
  const url = request !== undefined ? request.url : String(input);
  const method = String(init?.method ?? request?.method ?? "GET").toUpperCase();
  const headers = (init?.headers ?? request?.headers) as HeadersSource | undefined;
  const body = init !== undefined && "body" in init ? init.body : undefined;
  const unread = body === undefined && request?.body !== null && request?.body !== undefined;
  return { url, method, headers, body, unread };
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * Returns a `fetch` to hand to a provider SDK. Each call through it opens a span under the
 * current span of `logger` (a span's logger, or the span active in the async flow): named
 * `chat {model}` (`embeddings {model}`, `text_completion {model}`; `{METHOD} {path}` for a
 * call that is no model call), with `gen_ai.operation.name`, `gen_ai.provider.name` (from
 * the host, else the base URL), `gen_ai.request.model` and the request parameters. In it:
 *
 * - `provider.request`: method (`http.request.method`), URL (`url.full`, query secrets
 *   removed), headers (`http.request.header.*`, credentials `[REDACTED]` always), and in
 *   `body` the body exactly as sent: the parsed JSON when its text is what `JSON.stringify`
 *   gives back (`body.encoding: "json"`, so the journal line holds the very bytes sent), the
 *   text otherwise.
 * - `provider.response`, when the body ends: status, headers (`set-cookie` redacted), time to
 *   the headers and to the first chunk, and in `body` the JSON as received, or a stream's
 *   events (`{ event, data }`) read from the chunks as the caller receives them.
 *
 * The span closes with `gen_ai.response.id`, `.model`, `.finish_reasons` and the
 * `gen_ai.usage.*` counts (`input_tokens` includes cached ones); an HTTP error, a network
 * failure, an abort or a provider error event closes it `"error"` with `error.type`. A body the
 * caller stops reading early closes it `"ok"` with `provider.response.cancelled`.
 *
 * The caller gets the same response, status, headers and chunks, each as soon as it arrives;
 * what fails in the capture is counted in `stats.dropped` and reported to `onError`.
 *
 * @param logger Where to write (its span, or the active span, becomes the parent).
 * @param options The fetch to wrap, the content policy, the provider name.
 * @returns The capturing `fetch`.
 *
 * @example A model call against a stand-in server
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { captureFetch } from "@dispatch/journal-sink/genai";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * const server = (_input: string | URL | Request, _init?: RequestInit) =>
 *   Promise.resolve(Response.json({ id: "c1", model: "gpt-4o", choices: [{ index: 0, finish_reason: "stop" }],
 *     usage: { prompt_tokens: 12, completion_tokens: 3 } }));
 * const fetch = captureFetch(log, { fetch: server });
 * const sent = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
 * const response = await fetch("https://api.openai.com/v1/chat/completions", {
 *   method: "POST", headers: { authorization: "Bearer sk-secret" }, body: sent });
 * await response.json();
 * const [open, request, , close] = records;
 * if (open.kind !== "span-open" || open.name !== "chat gpt-4o") throw new Error("span");
 * if (request.kind !== "log" || JSON.stringify(request.body) !== sent) throw new Error("body");
 * if (JSON.stringify(records).includes("sk-secret")) throw new Error("key written");
 * if (close.kind !== "span-close" || close.attributes?.["gen_ai.usage.input_tokens"] !== 12) {
 *   throw new Error("usage");
 * }
 * ```
 */
export function captureFetch(logger: Logger, options?: CaptureFetchOptions): CapturedFetch {
  const stats: CaptureStats = { calls: 0, dropped: 0 };
  const report = firstFailureWarning(
    options?.onError === undefined ? undefined : (error) => options.onError?.(error),
    "captureFetch: capture lost",
  );
  const drop = (error: unknown) => {
    stats.dropped++;
    report(error);
  };
  const policy = contentPolicy(options?.content, environment());
  const provider = options?.provider;
  const inner = options?.fetch;
  const captured = async (input: string | URL | Request, init?: RequestInit) => {
    const send = inner ?? globalThis.fetch;
    stats.calls++;
    let call: CallCapture | undefined;
    try {
      call = new CallCapture(logger, policy, provider, input, init, drop);
    } catch (error) {
      drop(error);
    }
    let response: Response;
    try {
      response = await send(input, init);
    } catch (error) {
      call?.failed(error);
      throw error;
    }
    if (call === undefined) return response;
    try {
      return call.respond(response);
    } catch (error) {
      drop(error);
      return response;
    }
  };
  Object.defineProperty(captured, "stats", { value: stats, enumerable: true });
  return captured as CapturedFetch;
}

/** One call's capture: its span, from the request to the end of the response body. */
class CallCapture {
  private readonly span: Span;
  private readonly request: ProviderRequest;
  private readonly policy: ContentPolicy;
  private readonly drop: (error: unknown) => void;
  private readonly start = performance.now();
  private readonly reader: ProviderResponseReader;
  private done = false;

  constructor(
    logger: Logger,
    policy: ContentPolicy,
    provider: string | undefined,
    input: string | URL | Request,
    init: RequestInit | undefined,
    drop: (error: unknown) => void,
  ) {
    this.policy = policy;
    this.drop = drop;
    const parts = requestParts(input, init);
    const body = readRequestBody(parts.body, policy === "full");
    this.request = readProviderRequest(parts.method, new URL(parts.url), body.json, provider);
    this.reader = new ProviderResponseReader(this.request.api);
    this.span = logger.span(this.request.spanName, this.request.attributes);
    if (policy === "none") return;
    const a: Attributes = {
      "http.request.method": parts.method,
      "url.full": safeUrl(parts.url),
      ...headerAttributes(parts.headers, "http.request.header."),
    };
    if (body.size !== undefined) a["http.request.body.size"] = body.size;
    if (body.encoding !== "none") a["body.encoding"] = body.encoding;
    const skipped = parts.unread ? "Request" : body.skipped;
    if (skipped !== undefined) a["body.not_captured"] = skipped;
    this.span.info("provider.request", a, body.captured);
  }

  /** The request failed before a response: a network failure or an abort. */
  failed(error: unknown): void {
    try {
      if (this.done) return;
      this.done = true;
      this.span.fail(error, { [GEN_AI.ERROR_TYPE]: errorType(error) });
    } catch (e) {
      this.drop(e);
    }
  }

  /** The response arrived: hand the caller one whose body is read through the capture. */
  respond(response: Response): Response {
    const headersMs = performance.now() - this.start;
    const format = responseFormat(response.headers.get("content-type"));
    const collector = new ResponseBodyCollector(format, this.policy, this.reader);
    const source = response.body;
    if (source === null || NULL_BODY_STATUS.has(response.status)) {
      this.finish(response, collector, headersMs, undefined, undefined);
      return response;
    }
    const upstream = source.getReader();
    let firstChunkMs: number | undefined;
    const wrapped = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await upstream.read();
        } catch (error) {
          this.finish(response, collector, headersMs, firstChunkMs, { error });
          controller.error(error);
          return;
        }
        if (result.done) {
          this.finish(response, collector, headersMs, firstChunkMs, undefined);
          controller.close();
          return;
        }
        const chunk = result.value;
        try {
          if (firstChunkMs === undefined && chunk.byteLength > 0) {
            firstChunkMs = performance.now() - this.start;
          }
          collector.chunk(chunk);
        } catch (error) {
          this.drop(error);
        }
        controller.enqueue(chunk);
      },
      cancel: (reason) => {
        this.finish(response, collector, headersMs, firstChunkMs, { cancelled: reason });
        return upstream.cancel(reason);
      },
    }, { highWaterMark: 0 });
    const out = new Response(wrapped, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    for (const key of ["url", "redirected", "type"] as const) {
      Object.defineProperty(out, key, { value: response[key], enumerable: true });
    }
    return out;
  }

  /** The body ended, failed or was cancelled: write the response record and close the span. */
  private finish(
    response: Response,
    collector: ResponseBodyCollector,
    headersMs: number,
    firstChunkMs: number | undefined,
    end: { error?: unknown; cancelled?: unknown } | undefined,
  ): void {
    if (this.done) return;
    this.done = true;
    try {
      const body = collector.end();
      const status = response.status;
      if (this.policy !== "none") {
        const a: Attributes = {
          "http.response.status_code": status,
          ...headerAttributes(response.headers, "http.response.header."),
          "provider.time_to_headers_ms": round(headersMs),
        };
        if (firstChunkMs !== undefined) a["provider.time_to_first_chunk_ms"] = round(firstChunkMs);
        a["http.response.body.size"] = body.size;
        a["body.format"] = body.format;
        const level = status >= 400 || end?.error !== undefined ? "warn" : "info";
        this.span[level]("provider.response", a, body.body);
      }
      const close: Attributes = {
        ...this.reader.attributes(),
        "http.response.status_code": status,
      };
      if (end?.error !== undefined) {
        this.span.fail(end.error, { ...close, [GEN_AI.ERROR_TYPE]: errorType(end.error) });
      } else if (status >= 400 || this.reader.error !== undefined) {
        const type = this.reader.error ?? String(status);
        this.span.end("error", { ...close, [GEN_AI.ERROR_TYPE]: type });
      } else {
        if (end !== undefined && "cancelled" in end) close["provider.response.cancelled"] = true;
        this.span.end("ok", close);
      }
    } catch (error) {
      this.drop(error);
      try {
        this.span.end(response.status >= 400 ? "error" : "ok");
      } catch {
        // Counted above.
      }
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** `error.type` of a thrown error: its name (`AbortError`, `TypeError`, `TimeoutError`). */
function errorType(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const name = (error as { name?: unknown }).name;
    if (typeof name === "string" && name !== "") return name;
  }
  return typeof error;
}
