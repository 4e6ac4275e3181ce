/**
 * An export request on the wire: the OTLP/JSON object `records_to_otlp.ts` builds, as the
 * bytes and headers one signal's target takes (protobuf or JSON, gzip or not), and the
 * `partialSuccess` of its answer read back in either encoding. No network here: the
 * transport (`otlp_http_transport.ts`) sends what this encodes.
 *
 * @module
 */

import { gzip } from "./gzip.ts";
import { otlpJsonToMessage } from "./otlp_json_to_message.ts";
import { loadOtlpProtobuf } from "./otlp_protobuf.ts";
import type { OtlpSignalTarget } from "./otlp_export_config.ts";
import type { OtlpHttpAnswer, OtlpHttpRequest } from "./otlp_http_transport.ts";

/** The two signals the exporter sends. */
export type OtlpSignal = "traces" | "logs";

/**
 * One request for `target`: `body` (an OTLP/JSON `Export*ServiceRequest`) encoded as its
 * protocol says, compressed as its compression says, with the headers that say so (and the
 * target's own).
 *
 * @param signal Which request `body` is.
 * @param target The signal's URL, protocol, compression and headers.
 * @param body The OTLP/JSON request.
 * @returns What the transport posts.
 *
 * @example JSON, uncompressed
 * ```ts
 * import { encodeOtlpRequest } from "./otlp_request_encoding.ts";
 * const request = await encodeOtlpRequest("logs", {
 *   url: "http://127.0.0.1:4318/v1/logs", enabled: true, protocol: "http/json", compression: "none", headers: {},
 * }, { resourceLogs: [] });
 * if (request.headers["content-type"] !== "application/json") throw new Error("type");
 * if (new TextDecoder().decode(request.body) !== '{"resourceLogs":[]}') throw new Error("body");
 * ```
 */
export async function encodeOtlpRequest(
  signal: OtlpSignal,
  target: OtlpSignalTarget,
  body: unknown,
): Promise<OtlpHttpRequest> {
  let bytes: Uint8Array;
  if (target.protocol === "http/protobuf") {
    const codecs = await loadOtlpProtobuf();
    bytes = (signal === "traces" ? codecs.tracesRequest : codecs.logsRequest)
      .encode(otlpJsonToMessage(body) as object);
  } else bytes = new TextEncoder().encode(JSON.stringify(body));
  if (target.compression === "gzip") bytes = await gzip(bytes);
  const headers: Record<string, string> = {
    ...target.headers,
    "content-type": target.protocol === "http/protobuf"
      ? "application/x-protobuf"
      : "application/json",
  };
  if (target.compression === "gzip") headers["content-encoding"] = "gzip";
  return { url: target.url, headers, body: bytes };
}

/**
 * `rejectedSpans` / `rejectedLogRecords` of an answer's `partialSuccess`, in either
 * encoding; 0 for an empty body or one that cannot be read (a success is still a success).
 *
 * @param signal Which request was answered.
 * @param answer The successful answer.
 * @returns How many spans or log records the receiver rejected.
 *
 * @example
 * ```ts
 * import { rejectedInAnswer } from "./otlp_request_encoding.ts";
 * const body = new TextEncoder().encode('{"partialSuccess":{"rejectedSpans":"2"}}');
 * if (await rejectedInAnswer("traces", { contentType: "application/json", body }) !== 2) throw new Error("2");
 * ```
 */
export async function rejectedInAnswer(
  signal: OtlpSignal,
  answer: OtlpHttpAnswer,
): Promise<number> {
  const bytes = answer.body;
  if (bytes.length === 0) return 0;
  let partial: Record<string, unknown> | null | undefined;
  try {
    if (answer.contentType.includes("protobuf")) {
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
