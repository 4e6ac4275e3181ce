/**
 * Claude Code's OpenTelemetry log events as model calls: each `claude_code.api_request`
 * event (one per request Claude Code made to the model, with its tokens, cost, model,
 * duration and `session.id`) read as a `chat` span in the GenAI conventions' names, so the
 * usage accounting, the viewer and the export treat it as any other model call. Pure.
 *
 * @module
 */

import { GEN_AI } from "./attributes.ts";
import { inputTokensWithCache } from "./naming_styles.ts";

/**
 * The event name (the log record's `eventName`, or its body as Claude Code sends it).
 *
 * @example
 * ```ts
 * import { CLAUDE_CODE_API_REQUEST } from "./claude_code_events.ts";
 * if (CLAUDE_CODE_API_REQUEST !== "claude_code.api_request") throw new Error("name");
 * ```
 */
export const CLAUDE_CODE_API_REQUEST = "claude_code.api_request";

/**
 * A model call read from one `claude_code.api_request` event.
 *
 * @example
 * ```ts
 * import type { ClaudeCodeModelCall } from "./claude_code_events.ts";
 * const call: ClaudeCodeModelCall = { name: "chat m", start: 0, end: 5, attributes: {} };
 * if (call.end - call.start !== 5) throw new Error("unreachable");
 * ```
 */
export interface ClaudeCodeModelCall {
  /** `chat {model}` (`chat` without a model). */
  name: string;
  /** When the request started (the event's time less its `duration_ms`) and ended (the event's time). */
  start: number;
  end: number;
  /** `session.id`: a Claude Code session is the conversation. */
  conversationId?: string;
  /** `prompt.id`: the events of one user prompt are a turn. */
  turnId?: string;
  /** The event's attributes as sent, with the GenAI names added (`gen_ai.usage.*` …). */
  attributes: Record<string, unknown>;
}

/** A count as Claude Code sends it: a number, or (its usual form) a decimal string. */
function amount(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string" || !/^\d+(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Whether a log record is a `claude_code.api_request` event: its event name, its body or
 * its `event.name` attribute says so.
 *
 * @param eventName The log record's `eventName` field.
 * @param body Its body.
 * @param attributes Its attributes.
 * @returns `true` for an api_request event.
 *
 * @example
 * ```ts
 * import { isClaudeCodeApiRequest } from "./claude_code_events.ts";
 * if (!isClaudeCodeApiRequest("", "claude_code.api_request", {})) throw new Error("body");
 * if (isClaudeCodeApiRequest("", "claude_code.api_error", {})) throw new Error("error event");
 * ```
 */
export function isClaudeCodeApiRequest(
  eventName: unknown,
  body: unknown,
  attributes: Record<string, unknown>,
): boolean {
  return eventName === CLAUDE_CODE_API_REQUEST || body === CLAUDE_CODE_API_REQUEST ||
    attributes["event.name"] === CLAUDE_CODE_API_REQUEST;
}

/**
 * The model call of a `claude_code.api_request` event. Claude Code's `input_tokens` is
 * Anthropic's, which leaves the cached tokens out: `gen_ai.usage.input_tokens` is the sum
 * ({@linkcode inputTokensWithCache}), the cache counts beside it, `cost_usd` becomes
 * `gen_ai.usage.cost` (what Claude Code computed wins over a prices file, as any span's own
 * cost does).
 *
 * @param attributes The event's attributes.
 * @param time The event's time in milliseconds (when the request ended).
 * @returns The model call.
 *
 * @example
 * ```ts
 * import { claudeCodeModelCall } from "./claude_code_events.ts";
 * const call = claudeCodeModelCall({
 *   "session.id": "s1", model: "claude-sonnet-4-5", input_tokens: "10", output_tokens: "200",
 *   cache_read_tokens: "5000", cache_creation_tokens: "300", cost_usd: "0.0123", duration_ms: "1500",
 * }, 10_000);
 * const a = call.attributes;
 * if (a["gen_ai.usage.input_tokens"] !== 5310 || a["gen_ai.usage.cost"] !== 0.0123) throw new Error(JSON.stringify(a));
 * if (call.conversationId !== "s1" || call.start !== 8500 || call.name !== "chat claude-sonnet-4-5") throw new Error("call");
 * ```
 */
export function claudeCodeModelCall(
  attributes: Record<string, unknown>,
  time: number,
): ClaudeCodeModelCall {
  const model = text(attributes.model);
  const input = amount(attributes.input_tokens);
  const output = amount(attributes.output_tokens);
  const cacheRead = amount(attributes.cache_read_tokens);
  const cacheWrite = amount(attributes.cache_creation_tokens);
  const cost = amount(attributes.cost_usd);
  const duration = amount(attributes.duration_ms) ?? 0;
  const out: Record<string, unknown> = {
    ...attributes,
    [GEN_AI.OPERATION_NAME]: "chat",
    [GEN_AI.PROVIDER_NAME]: "anthropic",
  };
  if (model !== undefined) out[GEN_AI.REQUEST_MODEL] = model;
  if (input !== undefined || cacheRead !== undefined || cacheWrite !== undefined) {
    out[GEN_AI.USAGE_INPUT_TOKENS] = inputTokensWithCache(input, cacheRead, cacheWrite);
  }
  if (output !== undefined) out[GEN_AI.USAGE_OUTPUT_TOKENS] = output;
  if (cacheRead !== undefined) out[GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS] = cacheRead;
  if (cacheWrite !== undefined) out[GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS] = cacheWrite;
  if (cost !== undefined) out[GEN_AI.USAGE_COST] = cost;
  const conversationId = text(attributes["session.id"]);
  const turnId = text(attributes["prompt.id"]);
  if (conversationId !== undefined) out[GEN_AI.CONVERSATION_ID] = conversationId;
  const call: ClaudeCodeModelCall = {
    name: model === undefined ? "chat" : `chat ${model}`,
    start: Math.max(0, time - duration),
    end: time,
    attributes: out,
  };
  if (conversationId !== undefined) call.conversationId = conversationId;
  if (turnId !== undefined) call.turnId = turnId;
  return call;
}
