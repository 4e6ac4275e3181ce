/**
 * gzip for OTLP bodies through the web-standard `CompressionStream`, which Deno, Node and
 * Bun all provide: compressing what the exporter sends, and decompressing what the
 * receiver takes with a bound on the output (a small body must not inflate into gigabytes).
 *
 * @module
 */

/** Thrown by {@linkcode gunzipLimited} when the output would pass its limit. */
export class InflateLimitError extends Error {
  /**
   * Builds the error.
   *
   * @param limit The limit that was reached, in bytes.
   */
  constructor(limit: number) {
    super(`decompressed body larger than ${limit} bytes`);
    this.name = "InflateLimitError";
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  limit = Infinity,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new InflateLimitError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Input slices for the decompressor: at deflate's ratio of at most about 1032:1 a 4 KiB
 * slice inflates to at most about 4 MiB, so the limit is checked every few MiB of output
 * even where a runtime inflates each input chunk in one piece (Deno).
 */
const INPUT_SLICE = 4096;

/** `bytes` as a stream of slices, each made when the reader asks for it. */
function streamOf(bytes: Uint8Array, slice = bytes.length): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + slice));
      at += slice;
    },
  });
}

/**
 * Compresses bytes as gzip.
 *
 * @param bytes What to compress.
 * @returns The gzip member.
 *
 * @example
 * ```ts
 * import { gunzipLimited, gzip } from "./gzip.ts";
 * const text = new TextEncoder().encode("x".repeat(1000));
 * const packed = await gzip(text);
 * if (packed.length >= 100 || (await gunzipLimited(packed, 1000)).length !== 1000) throw new Error("gzip");
 * ```
 */
export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return collect(
    streamOf(bytes).pipeThrough(
      new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    ),
  );
}

/**
 * Decompresses gzip, refusing to produce more than `limit` bytes.
 *
 * @param bytes The gzip data.
 * @param limit The largest output accepted, in bytes.
 * @returns The decompressed bytes.
 * @throws {InflateLimitError} When the output would be larger than `limit`.
 * @throws {TypeError} When the data is not gzip.
 *
 * @example
 * ```ts
 * import { gunzipLimited, gzip, InflateLimitError } from "./gzip.ts";
 * const packed = await gzip(new Uint8Array(10_000));
 * const error = await gunzipLimited(packed, 100).catch((e) => e);
 * if (!(error instanceof InflateLimitError)) throw new Error("limit");
 * ```
 */
export function gunzipLimited(bytes: Uint8Array, limit: number): Promise<Uint8Array> {
  return collect(
    streamOf(bytes, INPUT_SLICE).pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    ),
    limit,
  );
}
