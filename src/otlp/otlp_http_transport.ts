/**
 * The exporter's transport: one POST of an encoded OTLP request, retried with exponential
 * backoff (and jitter) on network errors and 429/502/503/504, honouring `Retry-After`, each
 * retry reported. It knows URLs, headers and bytes, nothing of records or encodings, as the
 * OpenTelemetry SDK keeps its exporter's transport apart from the processor and the
 * serializer.
 *
 * @module
 */

import { abortableSleep } from "../abortable_sleep.ts";

/**
 * One failed attempt that will be retried, as {@linkcode ExportOtlpOptions.onRetry} sees it.
 *
 * @example
 * ```ts
 * import type { OtlpRetry } from "@dispatch/journal-sink/collector";
 * const retry: OtlpRetry = { url: "http://127.0.0.1:4318/v1/logs", attempt: 1, maxAttempts: 8, delayMs: 400, status: 0, cause: "ECONNREFUSED" };
 * if (retry.attempt >= retry.maxAttempts) throw new Error("unreachable");
 * ```
 */
export interface OtlpRetry {
  /** The endpoint. */
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** Attempts allowed in all. */
  maxAttempts: number;
  /** The wait before the next attempt, in milliseconds. */
  delayMs: number;
  /** The HTTP status, or 0 for a network failure. */
  status: number;
  /** Why: the network error's code and text (`connect ECONNREFUSED 127.0.0.1:4318`) or `HTTP 503 …`. */
  cause: string;
}

/**
 * Thrown (rejected) by {@linkcode exportOtlp} when the receiver refuses a request for good
 * (a 4xx other than 429), or retries are exhausted. The position stays before the batch.
 *
 * @example
 * ```ts
 * import { OtlpExportError } from "@dispatch/journal-sink/collector";
 * const error = new OtlpExportError("http://x/v1/logs", 400, "bad payload");
 * if (error.status !== 400) throw new Error("unreachable");
 * ```
 */
export class OtlpExportError extends Error {
  /** The HTTP status of the last attempt, or 0 for a network failure. */
  readonly status: number;
  /**
   * Builds the error from the last attempt.
   *
   * @param url The endpoint.
   * @param status The HTTP status, or 0.
   * @param detail What went wrong.
   */
  constructor(url: string, status: number, detail: string) {
    super(`OTLP export to ${url} failed${status ? ` (HTTP ${status})` : ""}: ${detail}`);
    this.name = "OtlpExportError";
    this.status = status;
  }
}

/** How a request is retried. */
export interface OtlpRetryPolicy {
  /** Attempts in all (at least 1). */
  maxAttempts: number;
  /** First retry delay in milliseconds, doubled per attempt. */
  backoffMs: number;
  /** Longest wait between two attempts (and the most of a `Retry-After` honoured). */
  maxBackoffMs: number;
  /** Told of every failed attempt that will be retried. */
  onRetry: (retry: OtlpRetry) => void;
  /** Stops retrying (the last failure is thrown) and cuts a wait short. */
  signal?: AbortSignal;
}

/** One encoded request. */
export interface OtlpHttpRequest {
  /** The signal's endpoint (`…/v1/traces`). */
  url: string;
  /** Every request header, `content-type` and `content-encoding` included. */
  headers: Record<string, string>;
  /** The encoded (and perhaps compressed) body. */
  body: Uint8Array;
}

/** A successful answer, its body read. */
export interface OtlpHttpAnswer {
  /** The response's `content-type` ("" without one). */
  contentType: string;
  /** The response body. */
  body: Uint8Array;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * The network error's code and text: fetch hides it in `cause` (Node), `code` (Bun) or the
 * message (Deno).
 */
function failureCause(error: unknown): string {
  const e = error as {
    message?: unknown;
    code?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const code = e?.cause?.code ?? e?.code;
  const text = String(e?.cause?.message ?? e?.message ?? error);
  const known = typeof code === "string"
    ? (code === "ConnectionRefused" ? "ECONNREFUSED" : code)
    : /connection refused/i.test(text)
    ? "ECONNREFUSED"
    : /connection reset/i.test(text)
    ? "ECONNRESET"
    : /timed? ?out/i.test(text)
    ? "ETIMEDOUT"
    : /dns|lookup|resolve/i.test(text)
    ? "ENOTFOUND"
    : undefined;
  if (known === undefined || text.includes(known)) return text;
  return `${known} (${text.split(": ").pop()})`;
}

/**
 * The default retry report: one `console.warn` line with the cause and the delay.
 *
 * @param retry The failed attempt.
 */
export function warnOtlpRetry(retry: OtlpRetry): void {
  console.warn(
    `[journal-sink] OTLP export to ${retry.url} failed: ${retry.cause}; ` +
      `attempt ${retry.attempt}/${retry.maxAttempts}, retrying in ${
        (retry.delayMs / 1000).toFixed(1)
      } s`,
  );
}

/**
 * Posts `request` until it succeeds: a network error or 429/502/503/504 is retried after
 * `backoffMs · 2^(attempt−1)` (capped at `maxBackoffMs`, half of it jitter) or the
 * `Retry-After` the receiver asked for (capped too); another status fails at once.
 *
 * @param post The HTTP client (`fetch`).
 * @param request URL, headers and body.
 * @param policy Attempts, delays, the retry report and the stop signal.
 * @returns The successful answer with its body.
 * @throws {OtlpExportError} For a status not retried, or when attempts run out or `signal`
 * aborted.
 *
 * @example A 503 and then a success
 * ```ts
 * import { postWithRetry } from "./otlp_http_transport.ts";
 * const answers = [503, 200];
 * const post = () => Promise.resolve(new Response("{}", { status: answers.shift()! }));
 * const retries: number[] = [];
 * const answer = await postWithRetry(post as typeof fetch, { url: "http://127.0.0.1:4318/v1/logs", headers: {}, body: new Uint8Array() }, {
 *   maxAttempts: 3, backoffMs: 1, maxBackoffMs: 2, onRetry: (retry) => void retries.push(retry.status),
 * });
 * if (retries.join() !== "503" || answer.body.length !== 2) throw new Error(`${retries}`);
 * ```
 */
export async function postWithRetry(
  post: typeof globalThis.fetch,
  request: OtlpHttpRequest,
  policy: OtlpRetryPolicy,
): Promise<OtlpHttpAnswer> {
  const { url, headers, body: payload } = request;
  const { maxAttempts, backoffMs, maxBackoffMs, signal } = policy;
  for (let attempt = 1;; attempt++) {
    let status = 0;
    let detail = "";
    let retryAfterMs: number | undefined;
    try {
      const response = await post(url, { method: "POST", headers, body: payload as BodyInit });
      status = response.status;
      if (response.ok) {
        const body = new Uint8Array(await response.arrayBuffer());
        return { contentType: response.headers.get("content-type") ?? "", body };
      }
      detail = (await response.text()).slice(0, 200);
      const after = Number(response.headers.get("retry-after"));
      if (Number.isFinite(after) && after >= 0) retryAfterMs = after * 1000;
      if (!RETRYABLE.has(status)) throw new OtlpExportError(url, status, detail);
    } catch (error) {
      if (error instanceof OtlpExportError) throw error;
      detail = failureCause(error);
    }
    if (attempt >= maxAttempts || signal?.aborted) {
      throw new OtlpExportError(url, status, `${detail} (after ${attempt} attempts)`);
    }
    const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
    const delay = retryAfterMs !== undefined
      ? Math.min(maxBackoffMs, retryAfterMs)
      : exponential / 2 + Math.random() * exponential / 2;
    policy.onRetry({
      url,
      attempt,
      maxAttempts,
      delayMs: Math.round(delay),
      status,
      cause: status ? `HTTP ${status}${detail ? ` ${detail.slice(0, 100)}` : ""}` : detail,
    });
    await abortableSleep(delay, signal);
  }
}
