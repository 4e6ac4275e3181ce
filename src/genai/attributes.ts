/**
 * The OpenTelemetry GenAI semantic-convention names (attribute keys and operation names),
 * as the registry of `open-telemetry/semantic-conventions-genai` spells them. LLM
 * observability backends (Langfuse, Phoenix, Datadog, Grafana, Honeycomb) key on these.
 *
 * @module
 */

/**
 * GenAI attribute keys. Token counts are integers; `gen_ai.usage.input_tokens` includes the
 * cached ones and `gen_ai.usage.output_tokens` the reasoning ones.
 *
 * `USAGE_COST` (`gen_ai.usage.cost`, USD) is not in the OpenTelemetry registry: it is the
 * name Langfuse's OpenTelemetry ingestion and OpenLLMetry read a span's cost from, so a
 * cost recorded here reaches those backends too. The trace store prefers it over a prices
 * file.
 *
 * @example Attributes of a chat span
 * ```ts
 * import { GEN_AI } from "@dispatch/journal-sink/genai";
 * const attributes = { [GEN_AI.REQUEST_MODEL]: "gpt-4o", [GEN_AI.USAGE_INPUT_TOKENS]: 12 };
 * if (Object.keys(attributes).join() !== "gen_ai.request.model,gen_ai.usage.input_tokens") {
 *   throw new Error("names");
 * }
 * ```
 */
export const GEN_AI = {
  OPERATION_NAME: "gen_ai.operation.name",
  PROVIDER_NAME: "gen_ai.provider.name",
  /** The name before `gen_ai.provider.name` (semantic conventions ≤ 1.36); still read by some backends. */
  SYSTEM: "gen_ai.system",
  REQUEST_MODEL: "gen_ai.request.model",
  REQUEST_MAX_TOKENS: "gen_ai.request.max_tokens",
  REQUEST_TEMPERATURE: "gen_ai.request.temperature",
  REQUEST_TOP_P: "gen_ai.request.top_p",
  REQUEST_STREAM: "gen_ai.request.stream",
  REQUEST_TOP_K: "gen_ai.request.top_k",
  REQUEST_STOP_SEQUENCES: "gen_ai.request.stop_sequences",
  REQUEST_FREQUENCY_PENALTY: "gen_ai.request.frequency_penalty",
  REQUEST_PRESENCE_PENALTY: "gen_ai.request.presence_penalty",
  REQUEST_SEED: "gen_ai.request.seed",
  REQUEST_CHOICE_COUNT: "gen_ai.request.choice.count",
  REQUEST_ENCODING_FORMATS: "gen_ai.request.encoding_formats",
  RESPONSE_ID: "gen_ai.response.id",
  RESPONSE_MODEL: "gen_ai.response.model",
  RESPONSE_FINISH_REASONS: "gen_ai.response.finish_reasons",
  USAGE_INPUT_TOKENS: "gen_ai.usage.input_tokens",
  USAGE_OUTPUT_TOKENS: "gen_ai.usage.output_tokens",
  USAGE_CACHE_READ_INPUT_TOKENS: "gen_ai.usage.cache_read.input_tokens",
  USAGE_CACHE_CREATION_INPUT_TOKENS: "gen_ai.usage.cache_creation.input_tokens",
  USAGE_REASONING_OUTPUT_TOKENS: "gen_ai.usage.reasoning.output_tokens",
  USAGE_COST: "gen_ai.usage.cost",
  CONVERSATION_ID: "gen_ai.conversation.id",
  AGENT_ID: "gen_ai.agent.id",
  AGENT_NAME: "gen_ai.agent.name",
  AGENT_DESCRIPTION: "gen_ai.agent.description",
  TOOL_NAME: "gen_ai.tool.name",
  TOOL_CALL_ID: "gen_ai.tool.call.id",
  TOOL_TYPE: "gen_ai.tool.type",
  TOOL_DESCRIPTION: "gen_ai.tool.description",
  ERROR_TYPE: "error.type",
  SERVER_ADDRESS: "server.address",
  SERVER_PORT: "server.port",
} as const;

/**
 * Values of `gen_ai.operation.name`.
 *
 * @example
 * ```ts
 * import { GEN_AI_OPERATION } from "@dispatch/journal-sink/genai";
 * if (GEN_AI_OPERATION.EXECUTE_TOOL !== "execute_tool") throw new Error("name");
 * ```
 */
export const GEN_AI_OPERATION = {
  CHAT: "chat",
  GENERATE_CONTENT: "generate_content",
  TEXT_COMPLETION: "text_completion",
  EMBEDDINGS: "embeddings",
  RETRIEVAL: "retrieval",
  CREATE_AGENT: "create_agent",
  INVOKE_AGENT: "invoke_agent",
  EXECUTE_TOOL: "execute_tool",
  INVOKE_WORKFLOW: "invoke_workflow",
  PLAN: "plan",
} as const;

/**
 * One value of `gen_ai.operation.name` (a known one, or a provider's own).
 *
 * @example
 * ```ts
 * import type { GenAiOperation } from "@dispatch/journal-sink/genai";
 * const operation: GenAiOperation = "chat";
 * if (operation !== "chat") throw new Error("unreachable");
 * ```
 */
export type GenAiOperation =
  | (typeof GEN_AI_OPERATION)[keyof typeof GEN_AI_OPERATION]
  | (string & Record<never, never>);
