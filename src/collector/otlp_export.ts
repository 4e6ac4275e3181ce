/**
 * Exporting a journal to an OpenTelemetry endpoint over OTLP/HTTP (JSON): tail it like the
 * collector, post each batch to `<base>/v1/logs` and `<base>/v1/traces` with retry and
 * backoff, and record the read position after every acknowledged batch so a restarted
 * exporter resumes where it stopped.
 *
 * @module
 */

import { defaultFsOps } from "../adapters/default.ts";
import { errorCode, type FsOps, parentDir } from "../fs_ops.ts";
import { DEFAULT_CHUNK_SIZE } from "../reader/file_chunks.ts";
import { type FilePosition, fromHex, toHex } from "./fingerprint.ts";
import { OtlpMapper, type OtlpOptions } from "./otlp_mapping.ts";
import { tailPass } from "./tail.ts";
import { abortableSleep } from "../abortable_sleep.ts";

/**
 * Options of {@linkcode exportOtlp}.
 *
 * @example
 * ```ts
 * import type { ExportOtlpOptions } from "@dispatch/journal-sink/collector";
 * const options: ExportOtlpOptions = { url: "http://127.0.0.1:4318", once: true, serviceName: "agent" };
 * if (options.url.endsWith("/v1/logs")) throw new Error("give the base URL");
 * ```
 */
export interface ExportOtlpOptions extends OtlpOptions {
  /** The OTLP/HTTP base URL (`http://collector:4318`); `/v1/logs` and `/v1/traces` are appended. */
  url: string;
  /**
   * Export what the journal holds now, then return; otherwise follow it until `signal`.
   * @default {false}
   */
  once?: boolean;
  /** Stops a following exporter. */
  signal?: AbortSignal;
  /**
   * Where the read position is kept (JSON, replaced atomically after each batch).
   * @default {`${path}.otlp-position.json`}
   */
  statePath?: string;
  /** Extra request headers (an `Authorization` for a hosted backend). */
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
 * const stats: ExportOtlpStats = { records: 4, logRecords: 2, spans: 1, requests: 2, retries: 0, rejected: 0, batches: 1 };
 * if (stats.requests !== 2) throw new Error("unreachable");
 * ```
 */
export interface ExportOtlpStats {
  /** Journal records read and acknowledged. */
  records: number;
  /** OTLP log records sent. */
  logRecords: number;
  /** OTLP spans sent. */
  spans: number;
  /** HTTP requests that succeeded. */
  requests: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** Log records and spans the receiver reported rejected (`partialSuccess`). */
  rejected: number;
  /** Batches acknowledged (and positions saved). */
  batches: number;
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

interface StateFile {
  version: 1;
  journal: string;
  positions: {
    key: string;
    head: string;
    offset: number;
    complete: boolean;
    path: string;
    seenMs: number;
  }[];
}

function loadState(fs: FsOps, statePath: string): FilePosition[] {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFile(statePath);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw error;
  }
  const state = JSON.parse(new TextDecoder().decode(bytes)) as StateFile;
  return state.positions.map((p) => ({ ...p, head: fromHex(p.head) }));
}

/** Replaces the state file atomically: write a temporary file, fsync, rename, sync the directory. */
function saveState(fs: FsOps, statePath: string, journal: string, positions: FilePosition[]) {
  const state: StateFile = {
    version: 1,
    journal,
    positions: positions.map((p) => ({ ...p, head: toHex(p.head) })),
  };
  const temporary = `${statePath}.tmp`;
  fs.remove(temporary);
  const handle = fs.open(temporary);
  try {
    fs.append(handle, JSON.stringify(state) + "\n");
    fs.fsync(handle);
  } finally {
    fs.close(handle);
  }
  fs.rename(temporary, statePath);
  try {
    fs.syncDir?.(parentDir(statePath));
  } catch {
    // Best effort (Windows): the rename itself is atomic.
  }
}

/**
 * Exports the journal at `path` to an OpenTelemetry endpoint over OTLP/HTTP with JSON
 * bodies: log entries to `<url>/v1/logs`, completed spans to `<url>/v1/traces` (see
 * {@linkcode OtlpMapper} for the mapping). Generations are read oldest first across
 * rotations, gzip and logrotate, as by {@linkcode collectJournal}. A failed request is
 * retried with exponential backoff on network errors and 429/502/503/504; after each
 * acknowledged batch the read position is saved to `statePath`, so a restarted export
 * resumes there. Delivery is at least once: a crash between the acknowledgement and the
 * save sends that batch again.
 *
 * @param path The live journal's path.
 * @param options The endpoint, once or follow, retry policy.
 * @returns What was exported.
 * @throws {OtlpExportError} When the endpoint refuses a batch or retries run out.
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
 * await exportOtlp("app.jsonl", { url: "http://127.0.0.1:4318", once: true, fs, fetch: fetch as typeof globalThis.fetch });
 * if (posted.join() !== "http://127.0.0.1:4318/v1/logs") throw new Error(posted.join());
 * ```
 */
export async function exportOtlp(
  path: string,
  options: ExportOtlpOptions,
): Promise<ExportOtlpStats> {
  const fs = options.fs ?? defaultFsOps();
  const post = options.fetch ?? globalThis.fetch;
  const base = options.url.replace(/\/+$/, "");
  const statePath = options.statePath ?? `${path}.otlp-position.json`;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const chunkSize = Math.max(1024, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const mapper = new OtlpMapper(options);
  const stats: ExportOtlpStats = {
    records: 0,
    logRecords: 0,
    spans: 0,
    requests: 0,
    retries: 0,
    rejected: 0,
    batches: 0,
  };

  const send = async (endpoint: string, body: unknown) => {
    const url = `${base}${endpoint}`;
    const payload = JSON.stringify(body);
    for (let attempt = 1;; attempt++) {
      let status = 0;
      let detail = "";
      let retryAfterMs: number | undefined;
      try {
        const response = await post(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...options.headers },
          body: payload,
        });
        status = response.status;
        const text = await response.text();
        if (response.ok) {
          stats.requests++;
          try {
            const partial = JSON.parse(text)?.partialSuccess;
            stats.rejected += Number(partial?.rejectedLogRecords ?? partial?.rejectedSpans ?? 0);
          } catch {
            // An empty or non-JSON success body is fine.
          }
          return;
        }
        detail = text.slice(0, 200);
        const after = Number(response.headers.get("retry-after"));
        if (Number.isFinite(after) && after >= 0) retryAfterMs = after * 1000;
        if (!RETRYABLE.has(status)) throw new OtlpExportError(url, status, detail);
      } catch (error) {
        if (error instanceof OtlpExportError) throw error;
        detail = error instanceof Error ? error.message : String(error);
      }
      if (attempt >= maxAttempts || options.signal?.aborted) {
        throw new OtlpExportError(url, status, `${detail} (after ${attempt} attempts)`);
      }
      stats.retries++;
      const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      const delay = retryAfterMs !== undefined
        ? Math.min(maxBackoffMs, retryAfterMs)
        : exponential / 2 + Math.random() * exponential / 2;
      await abortableSleep(delay, options.signal);
    }
  };

  const positions = loadState(fs, statePath);
  while (!options.signal?.aborted) {
    let progressed = false;
    for await (const batch of tailPass(path, positions, { fs, chunkSize, now: () => Date.now() })) {
      for (const record of batch.records) mapper.add(record);
      const logs = mapper.takeLogs();
      const traces = mapper.takeTraces();
      const logCount = logs.resourceLogs[0]?.scopeLogs[0].logRecords.length ?? 0;
      const spanCount = traces.resourceSpans[0]?.scopeSpans[0].spans.length ?? 0;
      if (logCount > 0) await send("/v1/logs", logs);
      if (spanCount > 0) await send("/v1/traces", traces);
      saveState(fs, statePath, path, batch.positions);
      stats.records += batch.records.length;
      stats.logRecords += logCount;
      stats.spans += spanCount;
      stats.batches++;
      if (batch.records.length > 0) progressed = true;
      if (options.signal?.aborted) break;
    }
    if (options.once) break;
    if (!progressed) await abortableSleep(options.pollMs ?? 1000, options.signal);
  }
  return stats;
}
