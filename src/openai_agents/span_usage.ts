/**
 * What an Agents SDK span says about a model call or a run, as `gen_ai.*` attributes: the
 * response and its usage on `response` and `generation` spans (read with the provider
 * readers of `src/genai/`, the one place that knows each wire API's field names), and the
 * runner's own usage sums on `turn` and `task` spans.
 *
 * @module
 */

import type { Attributes } from "../logger/logger.ts";
import { GEN_AI } from "../genai/attributes.ts";
import { ProviderResponseReader } from "../genai/provider_usage.ts";
import { usageCount } from "../genai/usage.ts";
import type { AgentsSpanData } from "./trace_events.ts";

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** A count by the one rule (`usageCount`: a non-negative finite number), else absent. */
function count(value: unknown): number | undefined {
  return usageCount(value) ?? undefined;
}

function put(a: Attributes, key: string, value: unknown): void {
  if (value !== undefined) a[key] = value;
}

/**
 * The close attributes of a `response` (OpenAI Responses) or `generation` (chat completions)
 * span: request and response model, response id, finish reasons and usage, from what the SDK
 * kept of the response (`_response`, `output`: only with sensitive data in traces) and its
 * `usage` field.
 *
 * @param data The span's data at its end.
 * @returns The attributes (no usage when the span does not carry it).
 *
 * @example A Responses call
 * ```ts
 * import { modelCallAttributes } from "./span_usage.ts";
 * const a = modelCallAttributes({ type: "response", response_id: "resp_1", _response: {
 *   id: "resp_1", model: "gpt-4o", status: "completed",
 *   usage: { input_tokens: 90, input_tokens_details: { cached_tokens: 60 }, output_tokens: 9 } } });
 * if (a["gen_ai.usage.input_tokens"] !== 90 || a["gen_ai.response.model"] !== "gpt-4o") {
 *   throw new Error(JSON.stringify(a));
 * }
 * ```
 */
export function modelCallAttributes(data: AgentsSpanData): Attributes {
  const a: Attributes = {};
  if (typeof data.model === "string") a[GEN_AI.REQUEST_MODEL] = data.model;
  const config = object(data.model_config);
  put(a, GEN_AI.REQUEST_TEMPERATURE, count(config?.temperature));
  put(a, GEN_AI.REQUEST_TOP_P, count(config?.top_p ?? config?.topP));
  put(a, GEN_AI.REQUEST_MAX_TOKENS, count(config?.max_tokens ?? config?.maxTokens));
  if (data.type === "response") {
    const response = object(data._response);
    if (response !== undefined) {
      const reader = new ProviderResponseReader("openai.responses");
      reader.json(response);
      Object.assign(a, reader.attributes());
    }
    if (typeof data.response_id === "string") a[GEN_AI.RESPONSE_ID] = data.response_id;
  } else {
    const output = Array.isArray(data.output) ? object(data.output[0]) : undefined;
    if (output !== undefined) {
      const reader = new ProviderResponseReader("openai.chat");
      reader.json(output);
      Object.assign(a, reader.attributes());
    }
    const usage = object(data.usage);
    put(a, GEN_AI.USAGE_INPUT_TOKENS, count(usage?.input_tokens));
    put(a, GEN_AI.USAGE_OUTPUT_TOKENS, count(usage?.output_tokens));
  }
  return a;
}

/**
 * The runner's usage sums of a `turn` or `task` span (`input_tokens`, `output_tokens`,
 * `cached_input_tokens`, `cache_write_input_tokens`) as `gen_ai.usage.*` attributes.
 *
 * @param usage The span's `usage` field.
 * @returns The attributes; empty without usage.
 *
 * @example
 * ```ts
 * import { runnerUsageAttributes } from "./span_usage.ts";
 * const a = runnerUsageAttributes({ input_tokens: 250, output_tokens: 15, cached_input_tokens: 20 });
 * if (a["gen_ai.usage.cache_read.input_tokens"] !== 20) throw new Error(JSON.stringify(a));
 * ```
 */
export function runnerUsageAttributes(usage: unknown): Attributes {
  const u = object(usage);
  const a: Attributes = {};
  if (u === undefined) return a;
  put(a, GEN_AI.USAGE_INPUT_TOKENS, count(u.input_tokens));
  put(a, GEN_AI.USAGE_OUTPUT_TOKENS, count(u.output_tokens));
  put(a, GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, count(u.cached_input_tokens));
  put(a, GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS, count(u.cache_write_input_tokens));
  return a;
}

/**
 * Whether attributes carry token counts.
 *
 * @param a Attributes.
 * @returns `true` when input or output tokens are there.
 *
 * @example
 * ```ts
 * import { hasTokens } from "./span_usage.ts";
 * if (!hasTokens({ "gen_ai.usage.output_tokens": 0 })) throw new Error("zero is a count");
 * ```
 */
export function hasTokens(a: Attributes): boolean {
  return a[GEN_AI.USAGE_INPUT_TOKENS] !== undefined || a[GEN_AI.USAGE_OUTPUT_TOKENS] !== undefined;
}
