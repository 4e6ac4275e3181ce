/**
 * OTLP protobuf encoding and decoding through protobufjs, loaded on first use: a host that
 * only writes JSON never loads the library. The schema is the embedded descriptor of the
 * official .proto files ({@linkcode OTLP_DESCRIPTOR}); messages are plain objects whose
 * field names are the protobuf names in lowerCamelCase (`resourceSpans`, `traceId`), ids
 * as bytes and 64-bit integers as `{ low, high }` (a protobufjs `Long` when decoded).
 *
 * @module
 */

import { OTLP_DESCRIPTOR } from "./otlp_descriptor.ts";

/** One message type: plain object in, bytes out, and back. */
export interface OtlpCodec {
  /** Encodes a message given as a plain object (unknown fields are ignored). */
  encode(message: object): Uint8Array;
  /** Decodes bytes; throws on bytes that are not this message. */
  decode(bytes: Uint8Array): Record<string, unknown>;
}

/** The OTLP messages journal-sink sends and receives. */
export interface OtlpCodecs {
  /** `ExportTraceServiceRequest`. */
  tracesRequest: OtlpCodec;
  /** `ExportLogsServiceRequest`. */
  logsRequest: OtlpCodec;
  /** `ExportTraceServiceResponse`. */
  tracesResponse: OtlpCodec;
  /** `ExportLogsServiceResponse`. */
  logsResponse: OtlpCodec;
  /** `google.rpc.Status`, the body of a 4xx/5xx answer. */
  status: OtlpCodec;
}

let loading: Promise<OtlpCodecs> | undefined;

/**
 * The OTLP protobuf codecs, importing protobufjs on the first call (later calls share it).
 *
 * @returns The codecs.
 *
 * @example Encoding and decoding a traces request
 * ```ts
 * import { loadOtlpProtobuf } from "./otlp_protobuf.ts";
 * const { tracesRequest } = await loadOtlpProtobuf();
 * const bytes = tracesRequest.encode({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: "x" }] }] }] });
 * const decoded = tracesRequest.decode(bytes) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
 * if (decoded.resourceSpans[0].scopeSpans[0].spans[0].name !== "x") throw new Error("round trip");
 * ```
 */
export function loadOtlpProtobuf(): Promise<OtlpCodecs> {
  loading ??= (async () => {
    const { default: protobuf } = await import("protobufjs");
    const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR as protobuf.INamespace);
    const codec = (name: string): OtlpCodec => {
      const type = root.lookupType(name);
      return {
        encode: (message) => type.encode(message as protobuf.Message).finish(),
        decode: (bytes) => type.decode(bytes) as unknown as Record<string, unknown>,
      };
    };
    return {
      tracesRequest: codec("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"),
      logsRequest: codec("opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest"),
      tracesResponse: codec("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse"),
      logsResponse: codec("opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse"),
      status: codec("google.rpc.Status"),
    };
  })();
  loading.catch(() => loading = undefined); // a failed import may be retried
  return loading;
}
