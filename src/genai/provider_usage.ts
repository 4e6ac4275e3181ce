/**
 * What a provider's response says about the call: usage, response id and model, finish
 * reasons and a provider-reported error, read from a JSON body or, event by event, from a
 * stream. Pure; the one place that knows each wire API's field names, so `input_tokens`
 * counts cached tokens exactly once whatever the provider.
 *
 * @module
 */

import { GEN_AI } from "./attributes.ts";
import { inputTokensWithCache } from "./naming_styles.ts";
import type { WireApi } from "./provider_request.ts";
import { usageCount } from "./usage.ts";

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Json
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Token counts in the conventions' terms: `input` includes the cached ones. */
interface Tokens {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
  reasoning?: number;
}

/**
 * Reads one response, whole (`json`) or as a stream (`event`, in order), and gives the close
 * attributes of its span.
 *
 * @example An Anthropic stream: usage from message_start and message_delta
 * ```ts
 * import { ProviderResponseReader } from "./provider_usage.ts";
 * const reader = new ProviderResponseReader("anthropic.messages");
 * reader.event("message_start", { type: "message_start", message: { id: "msg_1", model: "claude",
 *   usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 1 } } });
 * reader.event("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" },
 *   usage: { output_tokens: 42 } });
 * const a = reader.attributes();
 * if (a["gen_ai.usage.input_tokens"] !== 100 || a["gen_ai.usage.output_tokens"] !== 42) {
 *   throw new Error(JSON.stringify(a));
 * }
 * if (a["gen_ai.usage.cache_read.input_tokens"] !== 90) throw new Error("cache read");
 * ```
 */
export class ProviderResponseReader {
  private readonly api: WireApi;
  private id: string | undefined;
  private model: string | undefined;
  private reasons: string[] = [];
  private tokens: Tokens = {};
  /** Anthropic's raw counts, kept apart until the end: the total is their sum. */
  private anthropic: { input?: number; cacheRead?: number; cacheCreation?: number } = {};
  private failure: string | undefined;

  /**
   * @param api The wire API of the request.
   */
  constructor(api: WireApi) {
    this.api = api;
  }

  /** The error type the provider reported in the body or stream, if it did. */
  get error(): string | undefined {
    return this.failure;
  }

  /**
   * Whether a stream event may carry what this reader reads (ids, usage, reasons, errors):
   * lets a capture that keeps no body skip parsing the others (the text deltas).
   *
   * @param name The event's `event:` field, if any.
   * @param data Its data, as text.
   * @returns `false` only for an event that cannot matter.
   */
  wants(name: string | undefined, data: string): boolean {
    switch (this.api) {
      case "anthropic.messages":
        return name === undefined || name === "message_start" || name === "message_delta" ||
          name === "error";
      case "openai.responses":
        return data.includes('"response":') || name === "error" || /"type":\s*"error"/.test(data);
      default:
        return this.id === undefined || data.includes('"usage"') || data.includes('"error"') ||
          /"finish_reason":\s*"/.test(data);
    }
  }

  /**
   * Reads a whole JSON response.
   *
   * @param body The parsed body.
   */
  json(body: unknown): void {
    const b = object(body);
    if (b === undefined) return;
    const error = object(b.error);
    if (error !== undefined || b.type === "error") {
      this.failure = text(error?.type) ?? text(error?.code) ?? "error";
    }
    switch (this.api) {
      case "anthropic.messages":
        this.anthropicMessage(b);
        break;
      case "openai.responses":
        this.response(b);
        break;
      default:
        this.chat(b);
    }
  }

  /**
   * Reads one event of a stream.
   *
   * @param name The event's `event:` field, if any.
   * @param data Its data, parsed as JSON (a string when it is not JSON, such as `[DONE]`).
   */
  event(name: string | undefined, data: unknown): void {
    const d = object(data);
    if (d === undefined) return;
    const type = text(d.type) ?? name;
    if (this.api === "anthropic.messages") {
      if (type === "message_start") this.anthropicMessage(object(d.message) ?? {});
      else if (type === "message_delta") {
        const reason = text(object(d.delta)?.stop_reason);
        if (reason !== undefined) this.reasons = [reason];
        this.anthropicUsage(object(d.usage));
      } else if (type === "error") {
        this.failure = text(object(d.error)?.type) ?? "error";
      }
      return;
    }
    if (this.api === "openai.responses") {
      const response = object(d.response);
      if (response !== undefined) this.response(response);
      if (type === "error") this.failure = text(d.code) ?? text(object(d.error)?.type) ?? "error";
      if (type === "response.failed") {
        this.failure ??= text(object(response?.error)?.code) ?? "response.failed";
      }
      return;
    }
    const error = object(d.error);
    if (error !== undefined) this.failure = text(error.type) ?? text(error.code) ?? "error";
    this.chat(d);
  }

  /**
   * The span-close attributes: `gen_ai.response.id`, `.model`, `.finish_reasons` and the
   * `gen_ai.usage.*` counts that were given.
   *
   * @returns The attributes.
   */
  attributes(): Record<string, unknown> {
    const a: Record<string, unknown> = {};
    if (this.id !== undefined) a[GEN_AI.RESPONSE_ID] = this.id;
    if (this.model !== undefined) a[GEN_AI.RESPONSE_MODEL] = this.model;
    const reasons = this.reasons.filter((r) => typeof r === "string");
    if (reasons.length > 0) a[GEN_AI.RESPONSE_FINISH_REASONS] = reasons;
    const t = this.api === "anthropic.messages" ? this.anthropicTokens() : this.tokens;
    if (t.input !== undefined) a[GEN_AI.USAGE_INPUT_TOKENS] = t.input;
    if (t.output !== undefined) a[GEN_AI.USAGE_OUTPUT_TOKENS] = t.output;
    if (t.cacheRead !== undefined) a[GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS] = t.cacheRead;
    if (t.cacheCreation !== undefined) {
      a[GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS] = t.cacheCreation;
    }
    if (t.reasoning !== undefined) a[GEN_AI.USAGE_REASONING_OUTPUT_TOKENS] = t.reasoning;
    return a;
  }

  private common(b: Json): void {
    this.id = text(b.id) ?? this.id;
    this.model = text(b.model) ?? this.model;
  }

  /** OpenAI chat completions (whole or a chunk), completions and embeddings. */
  private chat(b: Json): void {
    this.common(b);
    if (Array.isArray(b.choices)) {
      for (const choice of b.choices) {
        const c = object(choice);
        const reason = text(c?.finish_reason);
        if (reason === undefined) continue;
        const index = typeof c?.index === "number" && c.index >= 0 && c.index < 128 ? c.index : 0;
        this.reasons[index] = reason;
      }
    }
    const usage = object(b.usage);
    if (usage === undefined) return;
    const input = usageCount(usage.prompt_tokens);
    const output = usageCount(usage.completion_tokens);
    const cached = usageCount(object(usage.prompt_tokens_details)?.cached_tokens);
    const reasoning = usageCount(object(usage.completion_tokens_details)?.reasoning_tokens);
    this.tokens = {
      ...(input !== null ? { input } : {}),
      ...(output !== null ? { output } : {}),
      ...(cached !== null ? { cacheRead: cached } : {}),
      ...(reasoning !== null ? { reasoning } : {}),
    };
  }

  /** An OpenAI Responses `response` object. */
  private response(b: Json): void {
    this.common(b);
    const incomplete = text(object(b.incomplete_details)?.reason);
    const status = text(b.status);
    if (incomplete !== undefined) this.reasons = [incomplete];
    else if (status !== undefined && status !== "in_progress" && status !== "queued") {
      this.reasons = [status];
    }
    if (status === "failed") this.failure ??= text(object(b.error)?.code) ?? "failed";
    const usage = object(b.usage);
    if (usage === undefined) return;
    const input = usageCount(usage.input_tokens);
    const output = usageCount(usage.output_tokens);
    const cached = usageCount(object(usage.input_tokens_details)?.cached_tokens);
    const reasoning = usageCount(object(usage.output_tokens_details)?.reasoning_tokens);
    this.tokens = {
      ...(input !== null ? { input } : {}),
      ...(output !== null ? { output } : {}),
      ...(cached !== null ? { cacheRead: cached } : {}),
      ...(reasoning !== null ? { reasoning } : {}),
    };
  }

  /** An Anthropic message (whole, or `message_start`'s). */
  private anthropicMessage(b: Json): void {
    this.common(b);
    const reason = text(b.stop_reason);
    if (reason !== undefined) this.reasons = [reason];
    this.anthropicUsage(object(b.usage));
  }

  /** Anthropic usage: each count given replaces the last (a stream's counts are cumulative). */
  private anthropicUsage(usage: Json | undefined): void {
    if (usage === undefined) return;
    const input = usageCount(usage.input_tokens);
    const output = usageCount(usage.output_tokens);
    const cacheRead = usageCount(usage.cache_read_input_tokens);
    const cacheCreation = usageCount(usage.cache_creation_input_tokens);
    if (input !== null) this.anthropic.input = input;
    if (cacheRead !== null) this.anthropic.cacheRead = cacheRead;
    if (cacheCreation !== null) this.anthropic.cacheCreation = cacheCreation;
    if (output !== null) this.tokens.output = output;
  }

  /** Anthropic's `input_tokens` leaves the cached ones out: the conventions' count adds them. */
  private anthropicTokens(): Tokens {
    const { input, cacheRead, cacheCreation } = this.anthropic;
    const t: Tokens = { ...this.tokens };
    if (input !== undefined || cacheRead !== undefined || cacheCreation !== undefined) {
      t.input = inputTokensWithCache(input, cacheRead, cacheCreation);
    }
    if (cacheRead !== undefined) t.cacheRead = cacheRead;
    if (cacheCreation !== undefined) t.cacheCreation = cacheCreation;
    return t;
  }
}
