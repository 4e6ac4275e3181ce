/**
 * The OTLP/HTTP receiver: any process that speaks OTLP (an OpenTelemetry SDK, a child CLI,
 * a Python tool, the Collector's `otlphttp` exporter) writes spans and logs into a durable
 * journal. Served by the one local HTTP server (`src/http/local_server.ts`), which keeps the
 * `Host` check.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { listenLocal, LOOPBACK_HOST, send } from "../http/local_server.ts";
import { createJournalSink } from "../sink/journal_sink.ts";
import { type JournalSinkOptions, SINK_DEFAULTS } from "../sink/options.ts";
import { warnOnConsole } from "../sink/error_reporter.ts";
import type { LogRecord, LogSink } from "../records.ts";
import { gunzipLimited, InflateLimitError } from "./gzip.ts";
import { loadOtlpProtobuf } from "./otlp_protobuf.ts";
import { capProtobufAttributes } from "./otlp_attribute_cap.ts";
import {
  logRecordSlices,
  type OtlpRecords,
  OtlpRequestError,
  type OtlpWire,
  traceRecordSlices,
} from "./otlp_to_records.ts";
import { ReceivedSpans, recordUnits } from "./received_spans.ts";

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
  /**
   * Attributes kept per span, span event, link and log record; the others are dropped and
   * counted in `otel.dropped_attributes_count`, as the OpenTelemetry SDKs' limit does.
   * @default {128}
   */
  maxAttributes?: number;
  /**
   * The longest attribute string kept (UTF-16 code units); longer ones are cut to it.
   * @default the journal's `maxRecordBytes` (4194304)
   */
  maxAttributeLength?: number;
  /**
   * Requests handled at once; more are answered 503 with `Retry-After`, which the OTLP
   * exporters retry.
   * @default {32}
   */
  maxConcurrentRequests?: number;
  /**
   * Request bytes held at once over all requests (a declared `Content-Length` counts from
   * the start, a decompressed body too); a request that would pass it is answered 503 with
   * `Retry-After`. Bounds what stalled uploads can hold.
   * @default four times `maxBodyBytes`
   */
  maxBytesInFlight?: number;
  /**
   * How long a request's body may take to arrive, in milliseconds; a slower one is answered
   * 408 and its connection closed (a stalled or slowloris upload).
   * @default {30000}
   */
  requestTimeoutMs?: number;
  /** Called once listening, with the base URL (`http://127.0.0.1:4318`). */
  onListen?: (url: string) => void;
}

/**
 * What a receiver has done.
 *
 * @example
 * ```ts
 * import type { OtlpReceiverStats } from "@dispatch/journal-sink/collector";
 * const stats: OtlpReceiverStats = { requests: 1, unavailable: 0, spans: 2, logRecords: 0, rejected: 0, refused: 0 };
 * if (stats.spans !== 2) throw new Error("unreachable");
 * ```
 */
export interface OtlpReceiverStats {
  /** Requests answered 200. */
  requests: number;
  /**
   * Requests answered 503 (also in `refused`): the journal could not write, or the receiver
   * was at its limits. The sender retries them.
   */
  unavailable: number;
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

/** Seconds a sender is asked to wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 1;
/** The longest the mapping and the writing of one request run before letting others in. */
const SLICE_MS = 4;
/** Spans remembered for inheritance and retries (see `ReceivedSpans`). */
const REMEMBERED_SPANS = 65_536;

/** An HTTP answer with a `google.rpc.Status` body in the request's encoding. */
class Refusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A 503 the sender should retry after a second. */
function unavailable(message: string): Refusal {
  return new Refusal(503, message);
}

/** Lets timers and other requests run. */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs a slice generator to its end, pausing whenever it has run `SLICE_MS`. */
async function runInSlices<T>(slices: Generator<void, T>): Promise<T> {
  let since = performance.now();
  for (;;) {
    const next = slices.next();
    if (next.done) return next.value;
    if (performance.now() - since > SLICE_MS) {
      await pause();
      since = performance.now();
    }
  }
}

/**
 * Starts an OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/logs`, in
 * `application/json` (OTLP/JSON) or `application/x-protobuf`, gzip (`Content-Encoding:
 * gzip`) or not. Spans become a `span-open`, a `log` per event and a `span-close`; log
 * records become `log` records (see {@linkcode traceRecordSlices}, {@linkcode logRecordSlices}),
 * appended through the sink (rotation, fsync policy, fail-safe drop). A child span without
 * `journal.turn_id` or a conversation takes its parent's (sent in the same request or an
 * earlier one). Answers as the OTLP/HTTP specification says: 200 with an
 * `Export*ServiceResponse` in the request's encoding (`partialSuccess` when spans were
 * invalid or the sink refused a record as invalid); 503 with `Retry-After` when the journal
 * could not write (the exporters retry; records a retry repeats are not written twice) or
 * the receiver is at its limits; 400 for a body it cannot decode or a timestamp no fixed64
 * holds; 408 for a body slower than `requestTimeoutMs`; 413 above `maxBodyBytes`; 415 for
 * another content type or encoding; 404 for another path; 405 for another method; 403 for
 * a foreign `Host` on loopback. Error bodies are a `google.rpc.Status`. A bad request never
 * stops it, and a large one is mapped and written in slices that let other requests in.
 *
 * @param options Where records go and where to listen.
 * @returns The receiver, once it listens, and its journal, opened after that, is open.
 * @throws When the port cannot be bound (`EADDRINUSE`…); a `JournalSinkError` when the
 * journal cannot be opened, or the host's sink's `check()` fails; a `TypeError` when
 * neither `sink` nor `journal` is given.
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
  const host = options.host ?? LOOPBACK_HOST;
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
  const limits = {
    maxAttributes: options.maxAttributes ?? 128,
    maxAttributeLength: options.maxAttributeLength ??
      options.journal?.maxRecordBytes ?? SINK_DEFAULTS.maxRecordBytes,
  };
  const maxConcurrentRequests = options.maxConcurrentRequests ?? 32;
  const maxBytesInFlight = options.maxBytesInFlight ?? 4 * maxBodyBytes;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  // A host's sink that can say it cannot write is asked before anything listens.
  (options.sink as { check?: () => void } | undefined)?.check?.();
  const stats: OtlpReceiverStats = {
    requests: 0,
    unavailable: 0,
    spans: 0,
    logRecords: 0,
    rejected: 0,
    refused: 0,
  };
  const memory = new ReceivedSpans(REMEMBERED_SPANS);
  let sink: LogSink = options.sink ?? { emit() {} }; // the owned journal, once listening
  let lastFailure: unknown;
  let active = 0;
  let bytesInFlight = 0;
  let closing = false;

  /**
   * Writes the units, skipping what a failed try of the same request wrote; a failed write
   * notes what this try wrote and answers 503, so the sender retries the rest.
   */
  const write = async (units: LogRecord[][]) => {
    // A JournalSink's `stats` is a snapshot made on each read: read the numbers around each emit.
    const counted = sink as { stats?: { dropped?: number; errors?: number } };
    const counters = counted.stats
      ? () => {
        const stats = counted.stats;
        return { dropped: stats?.dropped ?? 0, errors: stats?.errors };
      }
      : undefined;
    const refused = { records: 0, units: 0 };
    let since = performance.now();
    for (let u = 0; u < units.length; u++) {
      const unit = units[u];
      const before = memory.writtenBefore(unit);
      const refusedBefore = refused.records;
      let count = before;
      for (; count < unit.length; count++) {
        const was = counters?.();
        if (!closing) sink.emit(unit[count]);
        const now = counters?.();
        if (!closing && now?.dropped === was?.dropped) continue;
        // A refused record (the sink's check) is for good; a failed write may pass: retry.
        if (!closing && was?.errors !== undefined && now?.errors === was.errors) {
          refused.records++;
          continue;
        }
        for (let w = 0; w < u; w++) memory.partlyWritten(units[w], units[w].length);
        memory.partlyWritten(unit, count);
        const cause = lastFailure instanceof Error ? `: ${lastFailure.message}` : "";
        throw unavailable(
          closing ? "the receiver is closing" : `the journal could not write${cause}`,
        );
      }
      if (refused.records > refusedBefore) refused.units++;
      if (before > 0) memory.partlyWritten(unit, 0);
      memory.remember(unit);
      if (performance.now() - since > SLICE_MS) {
        await pause();
        since = performance.now();
      }
    }
    return refused;
  };

  /** Answers a request with an error status, counted. */
  const refuse = async (
    request: IncomingMessage,
    response: ServerResponse,
    wire: OtlpWire,
    error: unknown,
  ) => {
    stats.refused++;
    const refusal = error instanceof Refusal
      ? error
      : new Refusal(500, error instanceof Error ? error.message : String(error));
    if (refusal.status === 503) {
      stats.unavailable++;
      response.setHeader("retry-after", String(RETRY_AFTER_SECONDS));
    }
    // An unread (oversize, stalled, refused) body would keep the connection busy: end it.
    if (!request.complete) {
      response.setHeader("connection", "close");
      response.on("finish", () => request.destroy());
    }
    await respondStatus(response, wire, refusal);
  };

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    let wire: OtlpWire = "json";
    let admitted = false;
    let reserved = 0;
    const reserve = (bytes: number) => {
      if (bytesInFlight + bytes > maxBytesInFlight) {
        throw unavailable(`more than ${maxBytesInFlight} request bytes in flight`);
      }
      bytesInFlight += bytes;
      reserved += bytes;
    };
    try {
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
      if (closing) throw unavailable("the receiver is closing");
      if (active >= maxConcurrentRequests) {
        throw unavailable(`more than ${maxConcurrentRequests} requests in progress`);
      }
      active++;
      admitted = true;
      const declared = Number(request.headers["content-length"]);
      if (declared > maxBodyBytes) {
        throw new Refusal(413, `body of ${declared} bytes is larger than ${maxBodyBytes}`);
      }
      if (declared > 0) reserve(declared);
      let body = await readBody(request, maxBodyBytes, requestTimeoutMs, (bytes) => {
        if (!(declared >= 0)) reserve(bytes);
      });
      if (encoding === "gzip") {
        try {
          body = await gunzipLimited(body, maxBodyBytes);
        } catch (error) {
          if (error instanceof InflateLimitError) throw new Refusal(413, error.message);
          throw new Refusal(400, "body is not valid gzip");
        }
        reserve(body.length);
      }
      const decoded = await decode(body, wire, signal, limits.maxAttributes);
      body = new Uint8Array(0);
      let mapped: OtlpRecords;
      try {
        mapped = await runInSlices(
          signal === "traces"
            ? traceRecordSlices(decoded, wire, limits)
            : logRecordSlices(decoded, wire, Date.now(), limits),
        );
      } catch (error) {
        if (error instanceof OtlpRequestError) throw new Refusal(400, error.message);
        throw error;
      }
      const units = recordUnits(mapped.records);
      memory.inherit(units);
      const refused = await write(units);
      await respondOk(response, wire, signal, mapped, refused);
      stats.requests++;
      stats.rejected += mapped.rejected + refused.units;
      if (signal === "traces") stats.spans += mapped.accepted;
      else stats.logRecords += mapped.accepted;
    } catch (error) {
      await refuse(request, response, wire, error);
    } finally {
      if (admitted) active--;
      bytesInFlight -= reserved;
    }
  };

  const server = await listenLocal((request, response) => {
    answer(request, response).catch(() => response.destroy());
  }, {
    host,
    port: options.port ?? 4318,
    allowedHosts: options.allowedHosts,
    // Any port: a sender behind a port forward names the one it reached.
    matchPort: false,
    // Beyond loopback every Host passes: senders name the machine as they reach it.
    beyondLoopback: false,
    foreignHost: (request, response) => {
      const refusal = new Refusal(403, "Host header does not name this loopback receiver");
      refuse(request, response, "json", refusal).catch(() => response.destroy());
    },
    clientError: (_error, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    },
  });
  let owned: ReturnType<typeof createJournalSink> | undefined;
  if (options.journal) {
    // Opened once listening, so a port in use leaves no journal behind; one that cannot be
    // opened stops the receiver here, before any sender is told its spans were kept.
    const given = options.journal.onError ?? warnOnConsole;
    try {
      owned = createJournalSink({
        ...options.journal,
        onOpenError: "throw",
        onError: (error, record) => {
          lastFailure = error;
          given(error, record);
        },
      });
    } catch (error) {
      await server.close();
      throw error;
    }
    sink = owned;
  }
  const { url, port } = server;
  let closed: Promise<void> | undefined;
  const close = () => {
    closing = true;
    return closed ??= server.close().then(() => owned?.close());
  };
  options.onListen?.(url);
  return { url, port, stats, close, [Symbol.asyncDispose]: close };
}

/**
 * Reads a request's body: at most `limit` bytes (413 above), within `timeoutMs` (408 after),
 * telling `received` the size of each chunk as it comes.
 */
function readBody(
  request: IncomingMessage,
  limit: number,
  timeoutMs: number,
  received: (bytes: number) => void,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const stop = (refusal: unknown) => {
      clearTimeout(timer);
      request.removeAllListeners("data");
      request.pause();
      reject(refusal);
    };
    const timer = setTimeout(
      () => stop(new Refusal(408, `request body not received within ${timeoutMs} ms`)),
      timeoutMs,
    );
    request.on("data", (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > limit) return stop(new Refusal(413, `body larger than ${limit} bytes`));
      try {
        received(chunk.length);
      } catch (refusal) {
        return stop(refusal);
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      clearTimeout(timer);
      const out = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      resolve(out);
    });
    request.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function decode(
  body: Uint8Array,
  wire: OtlpWire,
  signal: "traces" | "logs",
  maxAttributes: number,
) {
  if (wire === "protobuf") {
    const codecs = await loadOtlpProtobuf();
    // Attributes past the limit are skipped as bytes: decoded, they would cost seconds.
    const capped = capProtobufAttributes(body, signal, maxAttributes).bytes;
    try {
      return (signal === "traces" ? codecs.tracesRequest : codecs.logsRequest).decode(capped);
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
  refused: { records: number; units: number },
) {
  const message: Record<string, unknown> = {};
  const rejected = mapped.rejected + refused.units;
  if (rejected > 0) {
    const reasons = [
      mapped.reason,
      refused.records > 0 ? `the journal refused ${refused.records} invalid record(s)` : undefined,
    ];
    const partial: Record<string, unknown> = { errorMessage: reasons.filter(Boolean).join("; ") };
    partial[signal === "traces" ? "rejectedSpans" : "rejectedLogRecords"] = wire === "json"
      ? String(rejected)
      : rejected;
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
