/**
 * The OTLP/HTTP receiver: any process that speaks OTLP (an OpenTelemetry SDK, a child CLI,
 * a Python tool, the Collector's `otlphttp` exporter) writes spans and logs into a durable
 * journal. Built on `node:http`, which Deno, Node and Bun all serve.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createJournalSink } from "../sink/journal_sink.ts";
import type { JournalSinkOptions } from "../sink/options.ts";
import type { LogSink } from "../records.ts";
import { gunzipLimited, InflateLimitError } from "./gzip.ts";
import { loadOtlpProtobuf } from "./otlp_protobuf.ts";
import {
  logsToRecords,
  type OtlpRecords,
  type OtlpWire,
  tracesToRecords,
} from "./otlp_to_records.ts";

/**
 * Options of {@linkcode receiveOtlp}: where records go (`sink`, or `journal` for a sink the
 * receiver creates and closes) and where it listens.
 *
 * @example
 * ```ts
 * import type { ReceiveOtlpOptions } from "@dispatch/journal-sink/collector";
 * const options: ReceiveOtlpOptions = { journal: { path: "otlp.jsonl", fsync: "always" }, port: 4318 };
 * if (options.host !== undefined) throw new Error("loopback by default");
 * ```
 */
export interface ReceiveOtlpOptions {
  /** A sink the host owns (not closed by the receiver). */
  sink?: LogSink;
  /** Options of a journal sink the receiver creates, and closes in `close()`. */
  journal?: JournalSinkOptions;
  /**
   * The TCP port; 0 picks a free one (see {@linkcode OtlpReceiver.url}).
   * @default {4318}
   */
  port?: number;
  /**
   * The address to bind. On a loopback address the `Host` header must name loopback too
   * (`localhost`, `127.0.0.1`, `[::1]` or one of `allowedHosts`), which defeats DNS
   * rebinding; on any other address every `Host` is accepted.
   * @default {"127.0.0.1"}
   */
  host?: string;
  /** More host names accepted in the `Host` header (a container's service name). */
  allowedHosts?: string[];
  /**
   * The largest request body, in bytes, before and after gzip decompression; larger ones
   * are answered 413. The OpenTelemetry Collector's default is the same.
   * @default {20971520}
   */
  maxBodyBytes?: number;
  /** Called once listening, with the base URL (`http://127.0.0.1:4318`). */
  onListen?: (url: string) => void;
}

/**
 * What a receiver has done.
 *
 * @example
 * ```ts
 * import type { OtlpReceiverStats } from "@dispatch/journal-sink/collector";
 * const stats: OtlpReceiverStats = { requests: 1, spans: 2, logRecords: 0, rejected: 0, refused: 0 };
 * if (stats.spans !== 2) throw new Error("unreachable");
 * ```
 */
export interface OtlpReceiverStats {
  /** Requests answered 200. */
  requests: number;
  /** Spans appended (each as a span-open and a span-close). */
  spans: number;
  /** Log records appended. */
  logRecords: number;
  /** Spans and log records refused inside accepted requests (`partialSuccess`). */
  rejected: number;
  /** Requests answered 4xx or 5xx. */
  refused: number;
}

/**
 * A listening receiver.
 *
 * @example
 * ```ts
 * import type { OtlpReceiver } from "@dispatch/journal-sink/collector";
 * function describe(receiver: OtlpReceiver): string {
 *   return `${receiver.url}/v1/traces`;
 * }
 * if (typeof describe !== "function") throw new Error("unreachable");
 * ```
 */
export interface OtlpReceiver {
  /** The base URL, e.g. `http://127.0.0.1:4318`; senders post to `<url>/v1/traces`, `/v1/logs`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Counters. */
  readonly stats: OtlpReceiverStats;
  /** Stops listening, drops open connections, and closes the sink if the receiver made it. */
  close(): Promise<void>;
  /** = `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host name of a `Host` header, lowercased, without its port. */
function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith("[")) return value.slice(0, value.indexOf("]") + 1);
  const colon = value.lastIndexOf(":");
  return colon < 0 ? value : value.slice(0, colon);
}

/** An HTTP answer with a `google.rpc.Status` body in the request's encoding. */
class Refusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Starts an OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/logs`, in
 * `application/json` (OTLP/JSON) or `application/x-protobuf`, gzip (`Content-Encoding:
 * gzip`) or not. Spans become a `span-open`, a `log` per event and a `span-close`; log
 * records become `log` records (see {@linkcode tracesToRecords}, {@linkcode logsToRecords}),
 * appended through the sink (rotation, fsync policy, fail-safe drop). Answers as the
 * OTLP/HTTP specification says: 200 with an `Export*ServiceResponse` in the request's
 * encoding (`partialSuccess` when spans were invalid or the sink dropped records); 400 for
 * a body it cannot decode; 413 above `maxBodyBytes`; 415 for another content type or
 * encoding; 404 for another path; 405 for another method; 403 for a foreign `Host` on
 * loopback. Error bodies are a `google.rpc.Status`. A bad request never stops it.
 *
 * @param options Where records go and where to listen.
 * @returns The receiver, once it listens.
 * @throws When the port cannot be bound (`EADDRINUSE`…), or neither `sink` nor `journal` is given.
 *
 * @example Receiving one OTLP/JSON span
 * ```ts
 * import { receiveOtlp } from "@dispatch/journal-sink/collector";
 * import type { LogRecord } from "@dispatch/journal-sink";
 * const records: LogRecord[] = [];
 * const receiver = await receiveOtlp({ sink: { emit: (r) => void records.push(r) }, port: 0 });
 * const response = await fetch(`${receiver.url}/v1/traces`, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{
 *     traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", name: "grep",
 *     startTimeUnixNano: "1700000000000000000", endTimeUnixNano: "1700000000250000000",
 *   }] }] }] }),
 * });
 * await response.text();
 * await receiver.close();
 * if (response.status !== 200 || records.length !== 2) throw new Error(`${response.status} ${records.length}`);
 * ```
 */
export async function receiveOtlp(options: ReceiveOtlpOptions): Promise<OtlpReceiver> {
  if (!options.sink && !options.journal) {
    throw new TypeError("receiveOtlp needs a sink or journal options");
  }
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
  const allowed = new Set(
    [...LOOPBACK_NAMES, ...(options.allowedHosts ?? [])].map((h) => h.toLowerCase()),
  );
  allowed.add(host.toLowerCase());
  const checkHost = isLoopback(host);
  const owned = options.sink ? undefined : createJournalSink(options.journal as JournalSinkOptions);
  const sink: LogSink = options.sink ?? owned!;
  const dropped = () => (sink as { stats?: { dropped?: number } }).stats?.dropped ?? 0;
  const stats: OtlpReceiverStats = {
    requests: 0,
    spans: 0,
    logRecords: 0,
    rejected: 0,
    refused: 0,
  };

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    let wire: OtlpWire = "json";
    try {
      const hostHeader = request.headers.host;
      if (checkHost && (!hostHeader || !allowed.has(hostName(hostHeader)))) {
        throw new Refusal(403, "Host header does not name this loopback receiver");
      }
      const path = (request.url ?? "/").split("?")[0];
      const signal = path === "/v1/traces" ? "traces" : path === "/v1/logs" ? "logs" : undefined;
      if (!signal) {
        throw new Refusal(404, `no OTLP endpoint at ${path}; use /v1/traces or /v1/logs`);
      }
      if (request.method !== "POST") {
        response.setHeader("allow", "POST");
        throw new Refusal(405, `${request.method} not allowed; OTLP/HTTP uses POST`);
      }
      const type = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
      if (type === PROTOBUF_TYPE) wire = "protobuf";
      else if (type !== JSON_TYPE) {
        throw new Refusal(
          415,
          `content type ${type || "(none)"} not supported; use ${PROTOBUF_TYPE} or ${JSON_TYPE}`,
        );
      }
      const encoding = (request.headers["content-encoding"] ?? "identity").trim().toLowerCase();
      if (encoding !== "gzip" && encoding !== "identity") {
        throw new Refusal(415, `content encoding ${encoding} not supported; use gzip or none`);
      }
      let body = await readBody(request, maxBodyBytes);
      if (encoding === "gzip") {
        try {
          body = await gunzipLimited(body, maxBodyBytes);
        } catch (error) {
          if (error instanceof InflateLimitError) throw new Refusal(413, error.message);
          throw new Refusal(400, "body is not valid gzip");
        }
      }
      const decoded = await decode(body, wire, signal);
      const mapped = signal === "traces"
        ? tracesToRecords(decoded, wire)
        : logsToRecords(decoded, wire, Date.now());
      const before = dropped();
      for (const record of mapped.records) sink.emit(record);
      const lost = dropped() - before;
      await respondOk(response, wire, signal, mapped, lost);
      stats.requests++;
      stats.rejected += mapped.rejected;
      if (signal === "traces") stats.spans += mapped.accepted;
      else stats.logRecords += mapped.accepted;
    } catch (error) {
      stats.refused++;
      const refusal = error instanceof Refusal
        ? error
        : new Refusal(500, error instanceof Error ? error.message : String(error));
      await respondStatus(response, wire, refusal);
      // An unread (oversize) body would keep the connection busy: end it after the answer.
      if (!request.complete) response.on("finish", () => request.destroy());
    }
  };

  const server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4318, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error) => {
    owned?.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    }).then(() => owned?.close());
  options.onListen?.(url);
  return { url, port, stats, close, [Symbol.asyncDispose]: close };
}

function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers["content-length"]);
  if (declared > limit) {
    return Promise.reject(new Refusal(413, `body of ${declared} bytes is larger than ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    request.on("data", (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners("data");
        request.pause();
        reject(new Refusal(413, `body larger than ${limit} bytes`));
      } else chunks.push(chunk);
    });
    request.on("end", () => {
      const out = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      resolve(out);
    });
    request.on("error", reject);
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function decode(body: Uint8Array, wire: OtlpWire, signal: "traces" | "logs") {
  if (wire === "protobuf") {
    const codecs = await loadOtlpProtobuf();
    try {
      return (signal === "traces" ? codecs.tracesRequest : codecs.logsRequest).decode(body);
    } catch (error) {
      throw new Refusal(
        400,
        `body is not an OTLP protobuf ${signal} request: ${(error as Error).message}`,
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch (error) {
    throw new Refusal(400, `body is not OTLP/JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Refusal(400, "body is not an OTLP/JSON request object");
  }
  const field = signal === "traces" ? "resourceSpans" : "resourceLogs";
  const list = (value as Record<string, unknown>)[field];
  if (list !== undefined && !Array.isArray(list)) {
    throw new Refusal(400, `${field} is not an array`);
  }
  return value;
}

async function respondOk(
  response: ServerResponse,
  wire: OtlpWire,
  signal: "traces" | "logs",
  mapped: OtlpRecords,
  lost: number,
) {
  const message: Record<string, unknown> = {};
  const rejected = mapped.rejected + lost;
  if (rejected > 0) {
    const reasons = [mapped.reason, lost > 0 ? `the journal dropped ${lost} record(s)` : undefined];
    const partial: Record<string, unknown> = { errorMessage: reasons.filter(Boolean).join("; ") };
    // A span's records are dropped together or not: count lost records against the signal.
    const count = Math.min(mapped.accepted + mapped.rejected, rejected);
    partial[signal === "traces" ? "rejectedSpans" : "rejectedLogRecords"] = wire === "json"
      ? String(count)
      : count;
    message.partialSuccess = partial;
  }
  if (wire === "json") return send(response, 200, JSON_TYPE, JSON.stringify(message));
  const codecs = await loadOtlpProtobuf();
  const codec = signal === "traces" ? codecs.tracesResponse : codecs.logsResponse;
  return send(response, 200, PROTOBUF_TYPE, codec.encode(message));
}

async function respondStatus(response: ServerResponse, wire: OtlpWire, refusal: Refusal) {
  if (response.headersSent) return response.destroy();
  const status = { code: 0, message: refusal.message };
  if (wire === "protobuf") {
    try {
      const codecs = await loadOtlpProtobuf();
      return send(response, refusal.status, PROTOBUF_TYPE, codecs.status.encode(status));
    } catch {
      // protobufjs failed to load: answer in JSON below.
    }
  }
  send(response, refusal.status, JSON_TYPE, JSON.stringify({ message: refusal.message }));
}

function send(response: ServerResponse, status: number, type: string, body: string | Uint8Array) {
  response.writeHead(status, { "content-type": type, "content-length": byteLength(body) });
  response.end(body);
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === "string" ? new TextEncoder().encode(body).length : body.length;
}
