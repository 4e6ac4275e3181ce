/**
 * The OpenTelemetry GenAI semantic conventions for journal spans, and the usage and cost
 * accounting over them: attribute names, helpers that open `chat {model}`,
 * `execute_tool {tool}` and `invoke_agent {name}` spans on a {@linkcode createLogger} logger,
 * and a per-turn usage tally over records. No dependencies, and no store code: the usage and
 * cost report over the SQLite store, prices and retention are in `./collector`.
 *
 * @example A turn with a model call and a tool call
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { startChat, startToolCall } from "@dispatch/journal-sink/genai";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" })
 *   .child({ conversationId: "c1", turnId: "t1" });
 * const chat = startChat(log, { model: "gpt-4o", provider: "openai" });
 * chat.end({ inputTokens: 900, outputTokens: 40, finishReasons: ["tool_calls"] });
 * startToolCall(log, { name: "get_weather", callId: "call_1" }).end();
 * const names = records.filter((r) => r.kind === "span-open").map((r) => r.name);
 * if (names.join() !== "chat gpt-4o,execute_tool get_weather") throw new Error(names.join());
 * ```
 *
 * @module
 */

export { GEN_AI, GEN_AI_OPERATION, type GenAiOperation } from "./src/genai/attributes.ts";
export {
  type AgentInvocation,
  type ChatRequest,
  type ChatResult,
  type GenAiEnd,
  type GenAiOptions,
  type GenAiSpan,
  startAgent,
  startChat,
  startToolCall,
  type ToolCall,
} from "./src/genai/spans.ts";
export { readUsage, type SpanUsage, type TurnUsage, TurnUsageTally } from "./src/genai/usage.ts";
export {
  COST_ATTRIBUTES,
  NAMING_STYLES,
  type NamingStyle,
  type NamingStyleName,
} from "./src/genai/naming_styles.ts";
export {
  type CapturedFetch,
  captureFetch,
  type CaptureFetchOptions,
  type CaptureStats,
  type FetchFunction,
} from "./src/genai/capture_fetch.ts";
export { type ContentPolicy } from "./src/genai/content_policy.ts";
export { type WireApi } from "./src/genai/provider_request.ts";
export {
  capturePrompt,
  type CapturePromptOptions,
  PROMPT_BEFORE,
} from "./src/genai/capture_prompt.ts";
export {
  diffPrompts,
  type MessageChange,
  type PromptDiff,
  type PromptMessage,
  type PromptSide,
  promptSide,
  type PromptTool,
} from "./src/genai/prompt_diff.ts";
export { type ModelCallDiff, modelCallDiffs } from "./src/genai/model_call_diffs.ts";
