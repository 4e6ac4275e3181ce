/**
 * GenAI spans on an ordinary journal {@linkcode Logger}: a model call, a tool call, an agent
 * invocation, written as `span-open` / `span-close` records whose names and attributes follow
 * the OpenTelemetry GenAI semantic conventions.
 *
 * @module
 */

import type { Attributes, Logger, Span } from "../logger/logger.ts";
import { GEN_AI, GEN_AI_OPERATION, type GenAiOperation } from "./attributes.ts";

/**
 * How the helpers write.
 *
 * @example Capturing content, with the legacy provider attribute
 * ```ts
 * import type { GenAiOptions } from "@dispatch/journal-sink/genai";
 * const options: GenAiOptions = { captureContent: true, legacySystem: true };
 * if (!options.captureContent) throw new Error("unreachable");
 * ```
 */
export interface GenAiOptions {
  /**
   * Record prompt and completion content (messages, tool arguments and results): the input
   * in the `span-open` record's `body`, the output in the `body` of a log entry written in
   * the span just before it closes. Off by default: content may hold personal data. The
   * logger's `redact` patterns apply to these bodies as to any other.
   * @default {false}
   */
  captureContent?: boolean;
  /**
   * Also write the provider as `gen_ai.system`, the name used before
   * `gen_ai.provider.name` (for backends that read only the old one).
   * @default {false}
   */
  legacySystem?: boolean;
}

/**
 * The request side of a model call.
 *
 * @example
 * ```ts
 * import type { ChatRequest } from "@dispatch/journal-sink/genai";
 * const request: ChatRequest = { model: "gpt-4o", provider: "openai", input: [{ role: "user", content: "hi" }] };
 * if (request.model !== "gpt-4o") throw new Error("unreachable");
 * ```
 */
export interface ChatRequest {
  /** `gen_ai.request.model`. */
  model: string;
  /** `gen_ai.provider.name` (`openai`, `anthropic`, `aws.bedrock`, …). */
  provider?: string;
  /**
   * `gen_ai.operation.name`.
   * @default {"chat"}
   */
  operation?: GenAiOperation;
  /** `gen_ai.conversation.id`, when the provider or host has one. */
  conversationId?: string;
  /** `gen_ai.request.max_tokens`. */
  maxTokens?: number;
  /** `gen_ai.request.temperature`. */
  temperature?: number;
  /** More attributes for the open record (the call's own keys win over the helper's). */
  attributes?: Attributes;
  /** The messages sent (content: written only with `captureContent`). */
  input?: unknown;
  /** System instructions sent apart from the messages (content, as `input`). */
  systemInstructions?: unknown;
}

/**
 * What a model call returned, for the close record.
 *
 * @example
 * ```ts
 * import type { ChatResult } from "@dispatch/journal-sink/genai";
 * const result: ChatResult = { inputTokens: 812, outputTokens: 64, finishReasons: ["tool_calls"] };
 * if (result.inputTokens !== 812) throw new Error("unreachable");
 * ```
 */
export interface ChatResult {
  /** `gen_ai.response.model`. */
  responseModel?: string;
  /** `gen_ai.response.id`. */
  responseId?: string;
  /** `gen_ai.usage.input_tokens` (cached ones included). */
  inputTokens?: number;
  /** `gen_ai.usage.output_tokens` (reasoning ones included). */
  outputTokens?: number;
  /** `gen_ai.usage.cache_read.input_tokens`. */
  cacheReadInputTokens?: number;
  /** `gen_ai.usage.cache_creation.input_tokens`. */
  cacheCreationInputTokens?: number;
  /** `gen_ai.usage.reasoning.output_tokens`. */
  reasoningOutputTokens?: number;
  /** `gen_ai.response.finish_reasons`. */
  finishReasons?: readonly string[];
  /** `gen_ai.usage.cost`: what the provider billed, in USD (wins over a prices file). */
  costUsd?: number;
  /** More attributes for the close record. */
  attributes?: Attributes;
  /** The messages returned (content: written only with `captureContent`). */
  output?: unknown;
}

/**
 * A tool call.
 *
 * @example
 * ```ts
 * import type { ToolCall } from "@dispatch/journal-sink/genai";
 * const call: ToolCall = { name: "get_weather", callId: "call_1", arguments: { city: "Paris" } };
 * if (call.name !== "get_weather") throw new Error("unreachable");
 * ```
 */
export interface ToolCall {
  /** `gen_ai.tool.name`. */
  name: string;
  /** `gen_ai.tool.call.id`, as the model gave it. */
  callId?: string;
  /** `gen_ai.tool.type` (`function`, `extension`, `datastore`). */
  type?: string;
  /** `gen_ai.tool.description`. */
  description?: string;
  /** More attributes for the open record. */
  attributes?: Attributes;
  /** The arguments (content: written only with `captureContent`). */
  arguments?: unknown;
}

/**
 * An agent invocation.
 *
 * @example
 * ```ts
 * import type { AgentInvocation } from "@dispatch/journal-sink/genai";
 * const agent: AgentInvocation = { name: "planner", id: "agent-7" };
 * if (agent.name !== "planner") throw new Error("unreachable");
 * ```
 */
export interface AgentInvocation {
  /** `gen_ai.agent.name`. */
  name?: string;
  /** `gen_ai.agent.id`. */
  id?: string;
  /** `gen_ai.agent.description`. */
  description?: string;
  /** `gen_ai.provider.name`, when the agent runs at a provider. */
  provider?: string;
  /** `gen_ai.request.model`, when the agent has one. */
  model?: string;
  /** `gen_ai.conversation.id`. */
  conversationId?: string;
  /** More attributes for the open record. */
  attributes?: Attributes;
  /** The input (content: written only with `captureContent`). */
  input?: unknown;
}

/**
 * How a GenAI span ends: usage and reasons for a model call, a result for a tool or agent.
 *
 * @example
 * ```ts
 * import type { GenAiEnd } from "@dispatch/journal-sink/genai";
 * const end: GenAiEnd = { output: { temperature: 12 } };
 * if (end.output === undefined) throw new Error("unreachable");
 * ```
 */
export type GenAiEnd = ChatResult;

/**
 * An open GenAI span. `span` is the journal span (a {@linkcode Logger}: log in it, open child
 * spans from it, `span.run(fn)` to make it the active span); end it once with `end` or `fail`.
 *
 * @example
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { startToolCall } from "@dispatch/journal-sink/genai";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * const tool = startToolCall(log, { name: "search" });
 * tool.span.info("querying");
 * tool.end();
 * if (records.length !== 3 || !tool.span.ended) throw new Error("not written");
 * ```
 */
export interface GenAiSpan {
  /** The journal span. */
  readonly span: Span;
  /**
   * Closes the span `"ok"`, with the usage, reasons and cost given (and, with
   * `captureContent`, the output in a log entry first).
   *
   * @param result What the call returned.
   */
  end(result?: GenAiEnd): void;
  /**
   * Closes the span `"error"`, with `error.type` (the error's name) and the error as the
   * logger's `fail` writes it; usage already spent can be given too.
   *
   * @param error What went wrong.
   * @param result Usage or attributes known anyway.
   */
  fail(error: unknown, result?: GenAiEnd): void;
}

function put(target: Attributes, key: string, value: unknown): void {
  if (value !== undefined && value !== null) target[key] = value;
}

function closeAttributes(result: GenAiEnd | undefined): Attributes {
  const a: Attributes = {};
  if (result === undefined) return a;
  put(a, GEN_AI.RESPONSE_MODEL, result.responseModel);
  put(a, GEN_AI.RESPONSE_ID, result.responseId);
  put(a, GEN_AI.USAGE_INPUT_TOKENS, result.inputTokens);
  put(a, GEN_AI.USAGE_OUTPUT_TOKENS, result.outputTokens);
  put(a, GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, result.cacheReadInputTokens);
  put(a, GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS, result.cacheCreationInputTokens);
  put(a, GEN_AI.USAGE_REASONING_OUTPUT_TOKENS, result.reasoningOutputTokens);
  if (result.finishReasons !== undefined) {
    a[GEN_AI.RESPONSE_FINISH_REASONS] = [...result.finishReasons];
  }
  put(a, GEN_AI.USAGE_COST, result.costUsd);
  return result.attributes === undefined ? a : { ...a, ...result.attributes };
}

function open(
  logger: Logger,
  name: string,
  attributes: Attributes,
  input: Record<string, unknown> | undefined,
  options: GenAiOptions | undefined,
): GenAiSpan {
  const capture = options?.captureContent === true;
  const span = logger.span(name, attributes, capture && input ? { body: input } : undefined);
  const output = (result: GenAiEnd | undefined) => {
    if (capture && result?.output !== undefined) {
      span.info("gen_ai.output", undefined, { output: result.output });
    }
  };
  return {
    span,
    end(result) {
      if (span.ended) return;
      output(result);
      span.end("ok", closeAttributes(result));
    },
    fail(error, result) {
      if (span.ended) return;
      output(result);
      const type = error instanceof Error ? error.name : typeof error;
      span.fail(error, { [GEN_AI.ERROR_TYPE]: type, ...closeAttributes(result) });
    },
  };
}

function provider(a: Attributes, name: string | undefined, options: GenAiOptions | undefined) {
  put(a, GEN_AI.PROVIDER_NAME, name);
  if (options?.legacySystem === true) put(a, GEN_AI.SYSTEM, name);
}

/**
 * Opens a model-call span named `"{operation} {model}"` (`chat gpt-4o`), with
 * `gen_ai.operation.name`, `gen_ai.request.model`, the provider and request parameters; end
 * it with the usage, which the trace store adds to `query --usage`.
 *
 * @param logger Where to write (a span of it becomes the parent).
 * @param request The request.
 * @param options Content capture, legacy attribute names.
 * @returns The open span.
 *
 * @example A model call with usage at the close
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { startChat } from "@dispatch/journal-sink/genai";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * const chat = startChat(log, { model: "gpt-4o", provider: "openai" });
 * chat.end({ inputTokens: 812, outputTokens: 64, finishReasons: ["stop"] });
 * const [opened, closed] = records;
 * if (opened.kind !== "span-open" || opened.name !== "chat gpt-4o") throw new Error("name");
 * if (opened.attributes?.["gen_ai.operation.name"] !== "chat") throw new Error("operation");
 * if (closed.kind !== "span-close" || closed.attributes?.["gen_ai.usage.input_tokens"] !== 812) {
 *   throw new Error("usage");
 * }
 * ```
 */
export function startChat(
  logger: Logger,
  request: ChatRequest,
  options?: GenAiOptions,
): GenAiSpan {
  const operation = request.operation ?? GEN_AI_OPERATION.CHAT;
  const a: Attributes = { [GEN_AI.OPERATION_NAME]: operation };
  provider(a, request.provider, options);
  put(a, GEN_AI.REQUEST_MODEL, request.model);
  put(a, GEN_AI.CONVERSATION_ID, request.conversationId);
  put(a, GEN_AI.REQUEST_MAX_TOKENS, request.maxTokens);
  put(a, GEN_AI.REQUEST_TEMPERATURE, request.temperature);
  const input: Record<string, unknown> = {};
  put(input, "systemInstructions", request.systemInstructions);
  put(input, "input", request.input);
  return open(
    logger,
    `${operation} ${request.model}`,
    request.attributes === undefined ? a : { ...a, ...request.attributes },
    Object.keys(input).length > 0 ? input : undefined,
    options,
  );
}

/**
 * Opens a tool-call span named `"execute_tool {name}"`, with `gen_ai.operation.name`,
 * `gen_ai.tool.name`, `gen_ai.tool.call.id` and `gen_ai.tool.type`; end it with the result
 * as `output` (captured only with `captureContent`).
 *
 * @param logger Where to write.
 * @param call The tool call.
 * @param options Content capture.
 * @returns The open span.
 *
 * @example
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { startToolCall } from "@dispatch/journal-sink/genai";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * startToolCall(log, { name: "get_weather", callId: "call_1" }).end({ output: "12°C" });
 * const opened = records[0];
 * if (opened.kind !== "span-open" || opened.name !== "execute_tool get_weather") throw new Error("name");
 * if (opened.attributes?.["gen_ai.tool.call.id"] !== "call_1") throw new Error("call id");
 * if (records.length !== 2) throw new Error("the output is not captured by default");
 * ```
 */
export function startToolCall(
  logger: Logger,
  call: ToolCall,
  options?: GenAiOptions,
): GenAiSpan {
  const a: Attributes = {
    [GEN_AI.OPERATION_NAME]: GEN_AI_OPERATION.EXECUTE_TOOL,
    [GEN_AI.TOOL_NAME]: call.name,
  };
  put(a, GEN_AI.TOOL_CALL_ID, call.callId);
  put(a, GEN_AI.TOOL_TYPE, call.type);
  put(a, GEN_AI.TOOL_DESCRIPTION, call.description);
  return open(
    logger,
    `${GEN_AI_OPERATION.EXECUTE_TOOL} ${call.name}`,
    call.attributes === undefined ? a : { ...a, ...call.attributes },
    call.arguments === undefined ? undefined : { arguments: call.arguments },
    options,
  );
}

/**
 * Opens an agent span named `"invoke_agent {name}"` (`"invoke_agent"` without a name), with
 * `gen_ai.operation.name` and the agent's name, id and description; the model calls and tool
 * calls of the agent go inside it (`agent.span.run(...)`, or `startChat(agent.span, …)`).
 *
 * @param logger Where to write.
 * @param agent The agent.
 * @param options Content capture, legacy attribute names.
 * @returns The open span.
 *
 * @example An agent with a model call inside
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { startAgent, startChat } from "@dispatch/journal-sink/genai";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * const agent = startAgent(log, { name: "planner" });
 * startChat(agent.span, { model: "m" }).end({ inputTokens: 5, outputTokens: 1 });
 * agent.end();
 * const [root, child] = records;
 * if (root.kind !== "span-open" || root.name !== "invoke_agent planner") throw new Error("name");
 * if (child.kind !== "span-open" || child.parentSpanId !== root.spanId) throw new Error("nesting");
 * ```
 */
export function startAgent(
  logger: Logger,
  agent: AgentInvocation,
  options?: GenAiOptions,
): GenAiSpan {
  const a: Attributes = { [GEN_AI.OPERATION_NAME]: GEN_AI_OPERATION.INVOKE_AGENT };
  provider(a, agent.provider, options);
  put(a, GEN_AI.AGENT_NAME, agent.name);
  put(a, GEN_AI.AGENT_ID, agent.id);
  put(a, GEN_AI.AGENT_DESCRIPTION, agent.description);
  put(a, GEN_AI.REQUEST_MODEL, agent.model);
  put(a, GEN_AI.CONVERSATION_ID, agent.conversationId);
  const name = agent.name === undefined || agent.name === ""
    ? GEN_AI_OPERATION.INVOKE_AGENT
    : `${GEN_AI_OPERATION.INVOKE_AGENT} ${agent.name}`;
  return open(
    logger,
    name,
    agent.attributes === undefined ? a : { ...a, ...agent.attributes },
    agent.input === undefined ? undefined : { input: agent.input },
    options,
  );
}
