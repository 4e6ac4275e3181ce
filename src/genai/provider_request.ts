/**
 * What a provider request is, read from its URL and JSON body: the wire API (OpenAI chat
 * completions, OpenAI Responses, Anthropic messages, …), the GenAI operation, the provider,
 * and the request parameters as `gen_ai.request.*` attributes. Pure: `captureFetch` calls it
 * before the request leaves, to open the span.
 *
 * @module
 */

import { GEN_AI, GEN_AI_OPERATION } from "./attributes.ts";

/**
 * The wire API of a request, which decides how its response (usage, ids, reasons) is read.
 *
 * @example
 * ```ts
 * import type { WireApi } from "@dispatch/journal-sink/genai";
 * const api: WireApi = "anthropic.messages";
 * if (api !== "anthropic.messages") throw new Error("unreachable");
 * ```
 */
export type WireApi =
  | "openai.chat"
  | "openai.responses"
  | "openai.completions"
  | "openai.embeddings"
  | "anthropic.messages"
  | "unknown";

/** A request, as the capture sees it before it leaves. */
export interface ProviderRequest {
  /** The wire API the path names. */
  api: WireApi;
  /** `gen_ai.operation.name`, or `undefined` for a path that is no model call (`GET /models`). */
  operation: string | undefined;
  /** `gen_ai.provider.name`. */
  provider: string;
  /** `gen_ai.request.model`, from the body. */
  model: string | undefined;
  /** Whether the body asks for a stream (`"stream": true`). */
  stream: boolean;
  /** The span's name: `chat gpt-4o`, `embeddings text-embedding-3-small`, `GET /v1/models`. */
  spanName: string;
  /** The span-open record's attributes. */
  attributes: Record<string, unknown>;
}

/** Path endings → wire API and operation, checked in order. */
const ROUTES: readonly (readonly [RegExp, WireApi, string])[] = [
  [/\/chat\/completions$/, "openai.chat", GEN_AI_OPERATION.CHAT],
  [/\/responses$/, "openai.responses", GEN_AI_OPERATION.CHAT],
  [/\/embeddings$/, "openai.embeddings", GEN_AI_OPERATION.EMBEDDINGS],
  [/\/completions$/, "openai.completions", GEN_AI_OPERATION.TEXT_COMPLETION],
  [/^(?!.*\/threads\/).*\/messages$/, "anthropic.messages", GEN_AI_OPERATION.CHAT],
];

/** Host name endings → `gen_ai.provider.name`, as the conventions spell them. */
const PROVIDERS: readonly (readonly [string, string])[] = [
  [".openai.azure.com", "azure.ai.openai"],
  ["api.openai.com", "openai"],
  ["api.anthropic.com", "anthropic"],
  ["generativelanguage.googleapis.com", "gcp.gemini"],
  ["api.mistral.ai", "mistral_ai"],
  ["api.groq.com", "groq"],
  ["api.deepseek.com", "deepseek"],
  ["api.x.ai", "x_ai"],
  ["api.perplexity.ai", "perplexity"],
  ["openrouter.ai", "openrouter"],
];

/**
 * `gen_ai.provider.name` for a request to `url`: a known provider's name, else the URL's
 * origin (`http://127.0.0.1:8080`), so calls to a proxy or a local server stay apart.
 *
 * @param url The request URL.
 * @returns The provider's name.
 *
 * @example
 * ```ts
 * import { providerName } from "./provider_request.ts";
 * if (providerName(new URL("https://api.anthropic.com/v1/messages")) !== "anthropic") throw new Error();
 * if (providerName(new URL("http://127.0.0.1:9/v1/messages")) !== "http://127.0.0.1:9") throw new Error();
 * ```
 */
export function providerName(url: URL): string {
  const host = url.hostname.toLowerCase();
  for (const [ending, name] of PROVIDERS) {
    if (host === ending || host.endsWith(ending.startsWith(".") ? ending : "." + ending)) {
      return name;
    }
  }
  return url.origin;
}

function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (typeof value === "number" && Number.isFinite(value)) target[key] = value;
  else if (typeof value === "string" && value !== "") target[key] = value;
  else if (typeof value === "boolean") target[key] = value;
}

/**
 * `server.address` and `server.port` of a provider's URL (the port its scheme implies when the
 * URL names none).
 *
 * @param url The request's URL.
 * @returns The two attributes.
 *
 * @example
 * ```ts
 * import { serverAttributes } from "./provider_request.ts";
 * const a = serverAttributes(new URL("https://api.openai.com/v1/chat/completions"));
 * if (a["server.address"] !== "api.openai.com" || a["server.port"] !== 443) throw new Error("443");
 * ```
 */
export function serverAttributes(url: URL): Record<string, unknown> {
  const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
  return { [GEN_AI.SERVER_ADDRESS]: url.hostname, [GEN_AI.SERVER_PORT]: port };
}

/**
 * Reads a request: its wire API and operation from the path, its provider from the host (or
 * `provider` when the host gave one), its model and parameters from the JSON body.
 *
 * @param method The HTTP method.
 * @param url The request URL.
 * @param body The body parsed as JSON (anything else when it is not JSON).
 * @param provider The provider name to use instead of the one the host says.
 * @returns The request as the capture names it.
 *
 * @example An OpenAI chat request
 * ```ts
 * import { readProviderRequest } from "./provider_request.ts";
 * const r = readProviderRequest("POST", new URL("https://api.openai.com/v1/chat/completions"),
 *   { model: "gpt-4o", temperature: 0.2, max_completion_tokens: 100, stream: true, messages: [] });
 * if (r.spanName !== "chat gpt-4o" || r.api !== "openai.chat" || !r.stream) throw new Error(r.spanName);
 * if (r.attributes["gen_ai.request.max_tokens"] !== 100) throw new Error("max tokens");
 * if (r.attributes["gen_ai.provider.name"] !== "openai") throw new Error("provider");
 * ```
 */
export function readProviderRequest(
  method: string,
  url: URL,
  body: unknown,
  provider?: string,
): ProviderRequest {
  let api: WireApi = "unknown";
  let operation: string | undefined;
  const path = url.pathname.replace(/\/+$/, "");
  if (method === "POST") {
    for (const [pattern, routeApi, routeOperation] of ROUTES) {
      if (pattern.test(path)) {
        api = routeApi;
        operation = routeOperation;
        break;
      }
    }
  }
  const name = provider ?? providerName(url);
  const b = typeof body === "object" && body !== null && !Array.isArray(body)
    ? body as Record<string, unknown>
    : {};
  const model = typeof b.model === "string" && b.model !== "" ? b.model : undefined;
  const stream = b.stream === true;
  const a: Record<string, unknown> = {};
  if (operation !== undefined) a[GEN_AI.OPERATION_NAME] = operation;
  a[GEN_AI.PROVIDER_NAME] = name;
  if (model !== undefined) a[GEN_AI.REQUEST_MODEL] = model;
  put(a, GEN_AI.REQUEST_MAX_TOKENS, b.max_tokens ?? b.max_completion_tokens ?? b.max_output_tokens);
  put(a, GEN_AI.REQUEST_TEMPERATURE, b.temperature);
  put(a, GEN_AI.REQUEST_TOP_P, b.top_p);
  put(a, GEN_AI.REQUEST_TOP_K, b.top_k);
  put(a, GEN_AI.REQUEST_FREQUENCY_PENALTY, b.frequency_penalty);
  put(a, GEN_AI.REQUEST_PRESENCE_PENALTY, b.presence_penalty);
  put(a, GEN_AI.REQUEST_SEED, b.seed);
  if (typeof b.n === "number" && b.n !== 1) put(a, GEN_AI.REQUEST_CHOICE_COUNT, b.n);
  const stop = b.stop ?? b.stop_sequences;
  if (typeof stop === "string") a[GEN_AI.REQUEST_STOP_SEQUENCES] = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) {
    a[GEN_AI.REQUEST_STOP_SEQUENCES] = [...stop];
  }
  if (typeof b.encoding_format === "string") {
    a[GEN_AI.REQUEST_ENCODING_FORMATS] = [b.encoding_format];
  }
  if (stream) a[GEN_AI.REQUEST_STREAM] = true;
  Object.assign(a, serverAttributes(url));
  const spanName = operation === undefined
    ? `${method} ${path === "" ? "/" : path}`
    : model === undefined
    ? operation
    : `${operation} ${model}`;
  return { api, operation, provider: name, model, stream, spanName, attributes: a };
}
