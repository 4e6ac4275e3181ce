/**
 * The naming styles GenAI instrumentations write usage in, as one table: which attribute
 * holds the input, output, cache-read and cache-write tokens, the model, the provider and a
 * cost in each. `readUsage` (usage.ts) reads a span through it; this file is where a new
 * style is added. Pure data and one normalisation rule, no imports.
 *
 * @module
 */

/**
 * One naming style: the attributes a span of that style carries its usage in. Each list is
 * in precedence order (the first present wins). In every style here the input count
 * includes the cached tokens, as the OpenTelemetry GenAI conventions say.
 *
 * @example
 * ```ts
 * import { NAMING_STYLES } from "./naming_styles.ts";
 * const openInference = NAMING_STYLES.find((s) => s.style === "openinference");
 * if (openInference?.inputTokens[0] !== "llm.token_count.prompt") throw new Error("table");
 * ```
 */
export interface NamingStyle {
  /** Its name, as `SpanUsage.style` reports it. */
  style: NamingStyleName;
  /** Who writes it (for the docs). */
  writtenBy: string;
  /** Input tokens, the cached ones inside. */
  inputTokens: readonly string[];
  /** Output tokens, the reasoning ones inside. */
  outputTokens: readonly string[];
  /** Tokens read from a provider's cache (inside the input count). */
  cacheReadTokens: readonly string[];
  /** Tokens written to a provider's cache (inside the input count). */
  cacheWriteTokens: readonly string[];
  /** The model that ran first, then the one asked for. */
  model: readonly string[];
  /** The provider (the system, in older names). */
  provider: readonly string[];
  /**
   * When the style repeats a model call's usage on spans that are not the model call (the
   * AI SDK's call span, OpenInference's chain and agent spans), the attribute that tells
   * them apart and which of its values mark the span that counts (absent counts too).
   */
  countsOn?: { attribute: string; values: RegExp };
}

/**
 * The style names, in precedence order.
 *
 * @example
 * ```ts
 * import type { NamingStyleName } from "./naming_styles.ts";
 * const style: NamingStyleName = "ai_sdk";
 * if (style !== "ai_sdk") throw new Error("unreachable");
 * ```
 */
export type NamingStyleName = "gen_ai" | "gen_ai_deprecated" | "openinference" | "ai_sdk";

const MODEL = ["gen_ai.response.model", "gen_ai.request.model"] as const;

/**
 * The styles, in precedence order: when a span carries token counts in two styles (the AI
 * SDK writes `gen_ai.usage.*` beside `ai.usage.*`; OpenLLMetry and OpenInference exporters
 * may both run), the tokens of the first style that has an input or output count are taken
 * and the others are ignored, so a span counts once. Cache counts come from the same style
 * when it has them, else from the next that does (a breakdown of the same input count).
 *
 * Claude Code's `claude_code.api_request` log events are not spans: the OTLP receiver turns
 * each into a `chat` span in the current names (see `claudeCodeModelCall`).
 *
 * @example
 * ```ts
 * import { NAMING_STYLES } from "./naming_styles.ts";
 * if (NAMING_STYLES.map((s) => s.style).join() !== "gen_ai,gen_ai_deprecated,openinference,ai_sdk") {
 *   throw new Error("precedence");
 * }
 * ```
 */
export const NAMING_STYLES: readonly NamingStyle[] = [
  {
    style: "gen_ai",
    writtenBy: "OpenTelemetry GenAI conventions (current), journal-sink's helpers",
    inputTokens: ["gen_ai.usage.input_tokens"],
    outputTokens: ["gen_ai.usage.output_tokens"],
    cacheReadTokens: ["gen_ai.usage.cache_read.input_tokens"],
    cacheWriteTokens: ["gen_ai.usage.cache_creation.input_tokens"],
    model: MODEL,
    provider: ["gen_ai.provider.name"],
  },
  {
    style: "gen_ai_deprecated",
    writtenBy: "GenAI conventions up to 1.36, OpenLLMetry (Traceloop)",
    inputTokens: ["gen_ai.usage.prompt_tokens"],
    outputTokens: ["gen_ai.usage.completion_tokens"],
    cacheReadTokens: ["gen_ai.usage.cache_read_input_tokens"],
    cacheWriteTokens: ["gen_ai.usage.cache_creation_input_tokens"],
    model: MODEL,
    provider: ["gen_ai.system"],
  },
  {
    style: "openinference",
    writtenBy: "OpenInference (Arize Phoenix)",
    inputTokens: ["llm.token_count.prompt"],
    outputTokens: ["llm.token_count.completion"],
    cacheReadTokens: ["llm.token_count.prompt_details.cache_read"],
    cacheWriteTokens: ["llm.token_count.prompt_details.cache_write"],
    model: ["llm.model_name"],
    provider: ["llm.provider", "llm.system"],
    countsOn: { attribute: "openinference.span.kind", values: /^(LLM|EMBEDDING)$/i },
  },
  {
    style: "ai_sdk",
    writtenBy: "Vercel AI SDK's OpenTelemetry spans (up to version 6)",
    inputTokens: ["ai.usage.inputTokens", "ai.usage.promptTokens", "ai.usage.tokens"],
    outputTokens: ["ai.usage.outputTokens", "ai.usage.completionTokens"],
    cacheReadTokens: ["ai.usage.inputTokenDetails.cacheReadTokens", "ai.usage.cachedInputTokens"],
    cacheWriteTokens: ["ai.usage.inputTokenDetails.cacheWriteTokens"],
    model: ["ai.response.model", "ai.model.id"],
    provider: ["ai.model.provider"],
    countsOn: { attribute: "ai.operationId", values: /\.do(Generate|Stream|Embed)$/ },
  },
];

/**
 * Cost attributes (USD), in precedence order: `gen_ai.usage.cost` (journal-sink's helpers,
 * Langfuse), `operation.cost`, `llm.cost.total` (OpenInference), `cost_usd` (Claude Code).
 * A span's own cost wins over a prices file.
 *
 * @example
 * ```ts
 * import { COST_ATTRIBUTES } from "./naming_styles.ts";
 * if (COST_ATTRIBUTES[0] !== "gen_ai.usage.cost") throw new Error("precedence");
 * ```
 */
export const COST_ATTRIBUTES: readonly string[] = [
  "gen_ai.usage.cost",
  "operation.cost",
  "llm.cost.total",
  "cost_usd",
];

/**
 * The conventions' input count from an input count that leaves the cached tokens out, as
 * Anthropic's `input_tokens` (and Claude Code's) does: the three added. The one home of that
 * rule, for provider responses, Claude Code's events and spans whose cache counts exceed
 * their input count (which can only mean the input left them out).
 *
 * @param uncached The input tokens without the cached ones (absent: 0).
 * @param cacheRead Tokens read from the cache (absent: 0).
 * @param cacheWrite Tokens written to the cache (absent: 0).
 * @returns The input count with the cached tokens inside.
 *
 * @example Anthropic: 10 new, 90 read from the cache, 5 written to it
 * ```ts
 * import { inputTokensWithCache } from "./naming_styles.ts";
 * if (inputTokensWithCache(10, 90, 5) !== 105) throw new Error("sum");
 * ```
 */
export function inputTokensWithCache(
  uncached: number | null | undefined,
  cacheRead: number | null | undefined,
  cacheWrite: number | null | undefined,
): number {
  return (uncached ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0);
}
