/**
 * Exporting a journal to an OpenTelemetry endpoint over OTLP/HTTP (protobuf or JSON, gzip or
 * not): tail it like the collector, post each batch to `/v1/logs` and `/v1/traces` with
 * retry and backoff, and record the read position after every acknowledged batch so a
 * restarted exporter resumes where it stopped.
 *
 * @module
 */

import { defaultFsOps } from "../adapters/default.ts";
import type { FsOps } from "../fs_ops.ts";
import { DEFAULT_CHUNK_SIZE } from "../reader/file_chunks.ts";
import { endpointKey, loadPositions, savePositions } from "./export_positions.ts";
import { OtlpMapper, type OtlpOptions } from "./otlp_mapping.ts";
import { tailPass } from "../reader/follow.ts";
import { abortableSleep } from "../abortable_sleep.ts";
import { gzip } from "../otlp/gzip.ts";
import { otlpJsonToMessage } from "../otlp/otlp_json_to_message.ts";
import { loadOtlpProtobuf } from "../otlp/otlp_protobuf.ts";
import {
  type Environment,
  type OtlpCompression,
  otlpExportConfig,
  type OtlpProtocol,
  type OtlpSignalTarget,
  processEnvironment,
} from "../otlp/otlp_export_config.ts";

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
 * Options of {@linkcode exportOtlp}.
 *
 * @example
 * ```ts
 * import type { ExportOtlpOptions } from "@dispatch/journal-sink/collector";
 * const options: ExportOtlpOptions = { url: "http://127.0.0.1:4318", once: true, serviceName: "agent" };
 * if (options.url?.endsWith("/v1/logs")) throw new Error("give the base URL");
 * ```
 */
export interface ExportOtlpOptions extends OtlpOptions {
  /**
   * The OTLP/HTTP base URL (`http://collector:4318`); `/v1/logs` and `/v1/traces` are
   * appended. Without it: `OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT` (used as given), then
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (paths appended), then `http://localhost:4318`.
   */
  url?: string;
  /**
   * The encoding; else `OTEL_EXPORTER_OTLP_{TRACES,LOGS}_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`.
   * @default {"http/protobuf"}
   */
  protocol?: OtlpProtocol;
  /**
   * Body compression; else `OTEL_EXPORTER_OTLP_{TRACES,LOGS}_COMPRESSION`,
   * `OTEL_EXPORTER_OTLP_COMPRESSION`.
   * @default {"none"}
   */
  compression?: OtlpCompression;
  /**
   * The environment the `OTEL_*` variables are read from (`serviceName`, `resourceAttributes`
   * and `headers` win over `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` and
   * `OTEL_EXPORTER_OTLP_HEADERS`).
   * @default {the process environment (none on Deno without --allow-env)}
   */
  env?: Environment;
  /**
   * Which signals to send: `["traces"]` for a backend that takes traces only (Langfuse,
   * Phoenix, Jaeger; log entries inside spans still arrive as span events). Without it,
   * both, minus one that `OTEL_TRACES_EXPORTER` / `OTEL_LOGS_EXPORTER` set to `none`.
   */
  signals?: readonly ("traces" | "logs")[];
  /**
   * With `once`: after the journal is read, also send the spans still open, each with its
   * start, an end at the latest timestamp read (never before its start), status UNSET and
   * `journal.open = true` (see {@linkcode OtlpMapper.closeOpenSpans}). A later export that
   * sees such a span close sends it again, complete.
   * @default {false}
   */
  includeOpenSpans?: boolean;
  /**
   * Told of every failed attempt that will be retried, with its cause and the next delay.
   * @default {one console.warn line per retry}
   */
  onRetry?: (retry: OtlpRetry) => void;
  /**
   * Export what the journal holds now, then return; otherwise follow it until `signal`.
   * @default {false}
   */
  once?: boolean;
  /** Stops a following exporter. */
  signal?: AbortSignal;
  /**
   * Where the read positions are kept (JSON, replaced atomically after each batch): one per
   * endpoint (the URLs of the signals sent), so another endpoint gets the whole journal. A
   * file of the old shape (one position) is taken over by the first endpoint that uses it.
   * @default {`${path}.otlp-position.json`}
   */
  statePath?: string;
  /** Extra request headers (an `Authorization` for a hosted backend); they win over `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /**
   * Attempts per request before giving up (the position stays before the batch).
   * @default {8}
   */
  maxAttempts?: number;
  /**
   * First retry delay in milliseconds; doubled per attempt (with jitter) up to `maxBackoffMs`.
   * A `Retry-After` header is honoured up to `maxBackoffMs`.
   * @default {500}
   */
  backoffMs?: number;
  /**
   * Longest wait between two attempts, in milliseconds.
   * @default {30000}
   */
  maxBackoffMs?: number;
  /**
   * How often to look for new bytes when there were none, in milliseconds.
   * @default {1000}
   */
  pollMs?: number;
  /**
   * Journal bytes read per batch (one logs request and one traces request each).
   * @default {1048576}
   */
  chunkSize?: number;
  /**
   * The file system to read the journal and keep the state file through.
   * @default {defaultFsOps()}
   */
  fs?: FsOps;
  /**
   * The HTTP client (a stand-in in tests, or one with a proxy).
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
}

/**
 * What an export did; `exportOtlp` resolves with it.
 *
 * @example
 * ```ts
 * import type { ExportOtlpStats } from "@dispatch/journal-sink/collector";
 * const stats: ExportOtlpStats = { records: 4, logRecords: 2, spans: 1, openSpans: 0, pendingSpans: 0, requests: 2, retries: 0, rejected: 0, batches: 1 };
 * if (stats.requests !== 2) throw new Error("unreachable");
 * ```
 */
export interface ExportOtlpStats {
  /** Journal records read and acknowledged. */
  records: number;
  /** OTLP log records sent. */
  logRecords: number;
  /** OTLP spans sent (open spans included). */
  spans: number;
  /** Spans sent while still open (`includeOpenSpans`). */
  openSpans: number;
  /** Spans still open when the export stopped and not sent (they go when they close). */
  pendingSpans: number;
  /** HTTP requests that succeeded. */
  requests: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** Log records and spans the receiver reported rejected (`partialSuccess`). */
  rejected: number;
  /** Batches acknowledged (and positions saved). */
  batches: number;
  /**
   * Why nothing was sent, when nothing was: the journal was already exported to this
   * endpoint up to its end, it holds no records, its spans are all still open, or what it
   * holds is of a signal not sent.
   */
  nothingSent?: string;
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

const RETRYABLE = new Set([429, 502, 503, 504]);

/** The network error's code and text: fetch hides it in `cause` (Node), `code` (Bun) or the message (Deno). */
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

function warnRetry(retry: OtlpRetry): void {
  console.warn(
    `[journal-sink] OTLP export to ${retry.url} failed: ${retry.cause}; ` +
      `attempt ${retry.attempt}/${retry.maxAttempts}, retrying in ${
        (retry.delayMs / 1000).toFixed(1)
      } s`,
  );
}

/** `rejectedSpans` / `rejectedLogRecords` of a response body, in either encoding. */
async function rejectedIn(response: Response, signal: "traces" | "logs") {
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length === 0) return 0;
  let partial: Record<string, unknown> | null | undefined;
  try {
    if ((response.headers.get("content-type") ?? "").includes("protobuf")) {
      const codecs = await loadOtlpProtobuf();
      const codec = signal === "traces" ? codecs.tracesResponse : codecs.logsResponse;
      partial = codec.decode(bytes).partialSuccess as Record<string, unknown> | null;
    } else partial = JSON.parse(new TextDecoder().decode(bytes))?.partialSuccess;
  } catch {
    return 0; // A success body we cannot read is still a success.
  }
  const count = partial?.[signal === "traces" ? "rejectedSpans" : "rejectedLogRecords"];
  return count === undefined || count === null ? 0 : Number(String(count)) || 0;
}

/**
 * Exports the journal at `path` to an OpenTelemetry endpoint over OTLP/HTTP, protobuf by
 * default (as the specification and the SDKs) or JSON, gzip if asked: log entries to
 * `<url>/v1/logs`, completed spans to `<url>/v1/traces` (see {@linkcode OtlpMapper} for the
 * mapping). Options left out come from the standard `OTEL_EXPORTER_OTLP_*` variables
 * ({@linkcode otlpExportConfig}). Generations are read oldest first across rotations, gzip
 * and logrotate, as by {@linkcode collectJournal}. A failed request is retried with
 * exponential backoff on network errors and 429/502/503/504, each retry reported through
 * `onRetry` (by default one `console.warn` line with the cause and the delay); after each
 * acknowledged batch the read position is saved to `statePath`, so a restarted export
 * resumes there. Delivery is at least once: a crash between the acknowledgement and the
 * save sends that batch again.
 *
 * @param path The live journal's path.
 * @param options The endpoint, once or follow, retry policy.
 * @returns What was exported.
 * @throws {OtlpExportError} When the endpoint refuses a batch or retries run out.
 * @throws {TypeError} For a malformed `OTEL_*` variable or an unsupported protocol (grpc).
 *
 * @example Exporting to a receiver (here a stand-in `fetch`)
 * ```ts
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { exportOtlp } from "@dispatch/journal-sink/collector";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * sink.emit({ kind: "log", level: "info", msg: "hello", timestamp: 1, extensionId: "host" });
 * sink.close();
 * const posted: string[] = [];
 * const fetch = (url: string | URL | Request) => {
 *   posted.push(String(url));
 *   return Promise.resolve(new Response("{}", { status: 200 }));
 * };
 * await exportOtlp("app.jsonl", { url: "http://127.0.0.1:4318", once: true, fs, env: {}, fetch: fetch as typeof globalThis.fetch });
 * if (posted.join() !== "http://127.0.0.1:4318/v1/logs") throw new Error(posted.join());
 * ```
 */
export async function exportOtlp(
  path: string,
  options: ExportOtlpOptions,
): Promise<ExportOtlpStats> {
  const fs = options.fs ?? defaultFsOps();
  const post = options.fetch ?? globalThis.fetch;
  const config = otlpExportConfig(options, options.env ?? processEnvironment());
  const onRetry = options.onRetry ?? warnRetry;
  const statePath = options.statePath ?? `${path}.otlp-position.json`;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const chunkSize = Math.max(1024, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const mapper = new OtlpMapper({
    ...options,
    serviceName: config.serviceName,
    resourceAttributes: config.resourceAttributes,
    logsSentAsRecords: config.logs.enabled,
  });
  const stats: ExportOtlpStats = {
    records: 0,
    logRecords: 0,
    spans: 0,
    openSpans: 0,
    pendingSpans: 0,
    requests: 0,
    retries: 0,
    rejected: 0,
    batches: 0,
  };

  const encode = async (signal: "traces" | "logs", target: OtlpSignalTarget, body: unknown) => {
    let bytes: Uint8Array;
    if (target.protocol === "http/protobuf") {
      const codecs = await loadOtlpProtobuf();
      bytes = (signal === "traces" ? codecs.tracesRequest : codecs.logsRequest)
        .encode(otlpJsonToMessage(body) as object);
    } else bytes = new TextEncoder().encode(JSON.stringify(body));
    return target.compression === "gzip" ? await gzip(bytes) : bytes;
  };

  const send = async (signal: "traces" | "logs", body: unknown) => {
    const target = signal === "traces" ? config.traces : config.logs;
    const url = target.url;
    const payload = await encode(signal, target, body);
    const headers: Record<string, string> = {
      ...target.headers,
      "content-type": target.protocol === "http/protobuf"
        ? "application/x-protobuf"
        : "application/json",
    };
    if (target.compression === "gzip") headers["content-encoding"] = "gzip";
    for (let attempt = 1;; attempt++) {
      let status = 0;
      let detail = "";
      let retryAfterMs: number | undefined;
      try {
        const response = await post(url, { method: "POST", headers, body: payload as BodyInit });
        status = response.status;
        if (response.ok) {
          stats.requests++;
          stats.rejected += await rejectedIn(response, signal);
          return;
        }
        detail = (await response.text()).slice(0, 200);
        const after = Number(response.headers.get("retry-after"));
        if (Number.isFinite(after) && after >= 0) retryAfterMs = after * 1000;
        if (!RETRYABLE.has(status)) throw new OtlpExportError(url, status, detail);
      } catch (error) {
        if (error instanceof OtlpExportError) throw error;
        detail = failureCause(error);
      }
      if (attempt >= maxAttempts || options.signal?.aborted) {
        throw new OtlpExportError(url, status, `${detail} (after ${attempt} attempts)`);
      }
      stats.retries++;
      const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      const delay = retryAfterMs !== undefined
        ? Math.min(maxBackoffMs, retryAfterMs)
        : exponential / 2 + Math.random() * exponential / 2;
      onRetry({
        url,
        attempt,
        maxAttempts,
        delayMs: Math.round(delay),
        status,
        cause: status ? `HTTP ${status}${detail ? ` ${detail.slice(0, 100)}` : ""}` : detail,
      });
      await abortableSleep(delay, options.signal);
    }
  };

  const key = endpointKey(config);
  const { positions, fromVersion1 } = loadPositions(fs, statePath, key);
  const resumed = positions.length > 0;
  while (!options.signal?.aborted) {
    let progressed = false;
    for await (const batch of tailPass(path, positions, { fs, chunkSize, now: () => Date.now() })) {
      for (const record of batch.records) mapper.add(record);
      const logs = mapper.takeLogs();
      const traces = mapper.takeTraces();
      const logCount = logs.resourceLogs[0]?.scopeLogs[0].logRecords.length ?? 0;
      const spanCount = traces.resourceSpans[0]?.scopeSpans[0].spans.length ?? 0;
      if (logCount > 0 && config.logs.enabled) await send("logs", logs);
      if (spanCount > 0 && config.traces.enabled) await send("traces", traces);
      savePositions(fs, statePath, path, key, batch.positions);
      stats.records += batch.records.length;
      if (config.logs.enabled) stats.logRecords += logCount;
      if (config.traces.enabled) stats.spans += spanCount;
      stats.batches++;
      if (batch.records.length > 0) progressed = true;
      if (options.signal?.aborted) break;
    }
    if (options.once) break;
    if (!progressed) await abortableSleep(options.pollMs ?? 1000, options.signal);
  }
  if (
    options.once && options.includeOpenSpans && config.traces.enabled && !options.signal?.aborted
  ) {
    const open = mapper.closeOpenSpans();
    if (open > 0) {
      await send("traces", mapper.takeTraces());
      stats.spans += open;
      stats.openSpans = open;
    }
  }
  stats.pendingSpans = mapper.pendingSpans;
  if (options.signal?.aborted) return stats;
  // Taken over from a version 1 file: now this endpoint's, even when nothing new was read.
  if (fromVersion1 && stats.batches === 0) savePositions(fs, statePath, path, key, positions);
  if (stats.logRecords + stats.spans === 0) {
    stats.nothingSent = nothingSentBecause(stats, resumed, path, statePath, config);
  }
  return stats;
}

/** The endpoint as a person names it: the base URL when both signals go under one. */
function endpointName(config: { traces: OtlpSignalTarget; logs: OtlpSignalTarget }): string {
  const urls = [config.traces, config.logs].filter((t) => t.enabled).map((t) => t.url);
  const bases = new Set(urls.map((url) => url.replace(/\/v1\/(traces|logs)$/, "")));
  return bases.size === 1 ? [...bases][0] : urls.join(" and ");
}

function nothingSentBecause(
  stats: ExportOtlpStats,
  resumed: boolean,
  path: string,
  statePath: string,
  config: { traces: OtlpSignalTarget; logs: OtlpSignalTarget },
): string {
  if (stats.records === 0) {
    return resumed
      ? `${path} was already exported to ${endpointName(config)} up to its end ` +
        `(position in ${statePath})`
      : `${path} holds no records`;
  }
  if (stats.pendingSpans > 0 && config.traces.enabled) {
    const one = stats.pendingSpans === 1;
    return `${stats.pendingSpans} ${one ? "span" : "spans"} still open ` +
      `(--include-open sends ${one ? "it" : "them"})`;
  }
  const sent = [config.traces, config.logs].filter((t) => t.enabled).length === 2
    ? "traces and logs"
    : config.traces.enabled
    ? "traces"
    : "logs";
  return `the ${stats.records} records read hold no ${sent}`;
}
