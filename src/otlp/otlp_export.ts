/**
 * Exporting a journal to an OpenTelemetry endpoint over OTLP/HTTP: the loop that ties the
 * pieces together, as the SDK's batch processor ties a queue to an exporter. It tails the
 * journal like the collector (`tailLoop`, the one follower), maps each batch
 * (`records_to_otlp.ts`), encodes it per signal (`otlp_request_encoding.ts`), posts it with
 * retry and backoff
 * (`otlp_http_transport.ts`) and records the read position after every acknowledged batch
 * (`export_positions.ts`) so a restarted exporter resumes where it stopped.
 *
 * @module
 */

import { defaultFsOps } from "../adapters/default.ts";
import type { FsOps } from "../fs_ops.ts";
import { DEFAULT_CHUNK_SIZE } from "../reader/file_chunks.ts";
import { tailLoop } from "../reader/tail_loop.ts";
import { endpointKey, loadPositions, savePositions } from "./export_positions.ts";
import { OtlpMapper, type OtlpOptions } from "./records_to_otlp.ts";
import { encodeOtlpRequest, type OtlpSignal, rejectedInAnswer } from "./otlp_request_encoding.ts";
import {
  type OtlpRetry,
  type OtlpRetryPolicy,
  postWithRetry,
  warnOtlpRetry,
} from "./otlp_http_transport.ts";
import {
  type Environment,
  type OtlpCompression,
  otlpExportConfig,
  type OtlpProtocol,
  type OtlpSignalTarget,
  processEnvironment,
} from "./otlp_export_config.ts";

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
  const onRetry = options.onRetry ?? warnOtlpRetry;
  const statePath = options.statePath ?? `${path}.otlp-position.json`;
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

  const policy: OtlpRetryPolicy = {
    maxAttempts: Math.max(1, options.maxAttempts ?? 8),
    backoffMs: options.backoffMs ?? 500,
    maxBackoffMs: options.maxBackoffMs ?? 30_000,
    signal: options.signal,
    onRetry: (retry: OtlpRetry) => {
      stats.retries++;
      onRetry(retry);
    },
  };
  const send = async (signal: OtlpSignal, body: unknown) => {
    const target = signal === "traces" ? config.traces : config.logs;
    const answer = await postWithRetry(post, await encodeOtlpRequest(signal, target, body), policy);
    stats.requests++;
    stats.rejected += await rejectedInAnswer(signal, answer);
  };

  const key = endpointKey(config);
  const { positions, fromVersion1 } = loadPositions(fs, statePath, key);
  const resumed = positions.length > 0;
  const reading = tailLoop(path, positions, {
    fs,
    chunkSize,
    pollMs: options.pollMs ?? 1000,
    once: options.once,
    signal: options.signal,
  });
  for await (const batch of reading) {
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
