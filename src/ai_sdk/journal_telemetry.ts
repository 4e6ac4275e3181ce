/**
 * The AI SDK 7 telemetry integration that writes journal spans: `invoke_agent {functionId or
 * model}` for each call, `step {n}` for each step, `chat {model}` for each model call and
 * `execute_tool {name}` for each tool execution, each opened at its start event so a process
 * that dies mid-call leaves them open in the journal.
 *
 * @module
 */

import type { Attributes, Logger, Span } from "../logger/logger.ts";
import { GEN_AI, GEN_AI_OPERATION } from "../genai/attributes.ts";
import { type GenAiSpan, startChat, startToolCall } from "../genai/spans.ts";
import { serverAttributes } from "../genai/provider_request.ts";
import { providerName } from "./provider_name.ts";
import type {
  AiSdkEndEvent,
  AiSdkErrorEvent,
  AiSdkEvent,
  AiSdkExecution,
  AiSdkStartEvent,
  AiSdkToolEvent,
  AiSdkUsage,
} from "./telemetry_events.ts";

/**
 * Options of {@linkcode createJournalTelemetry}.
 *
 * @example
 * ```ts
 * import type { JournalTelemetryOptions } from "@dispatch/journal-sink/ai-sdk";
 * const options: JournalTelemetryOptions = { captureContent: false, legacySystem: true };
 * if (options.captureContent !== false) throw new Error("unreachable");
 * ```
 */
export interface JournalTelemetryOptions {
  /**
   * Write inputs and outputs (messages, tool arguments and results) as bodies when the call
   * records them (`telemetry.recordInputs` / `recordOutputs`, on by default in the SDK). Set
   * to `false` to keep every body out of the journal whatever the calls say.
   * @default {true}
   */
  captureContent?: boolean;
  /**
   * Also write the provider as `gen_ai.system`, the name before `gen_ai.provider.name`.
   * @default {false}
   */
  legacySystem?: boolean;
}

/**
 * The integration: the subset of the AI SDK's `Telemetry` interface that it implements. Pass
 * it to `registerTelemetry(...)` or `telemetry: { integrations: [...] }`.
 *
 * @example Spans of a call, without the SDK
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { createJournalTelemetry, type JournalTelemetry } from "@dispatch/journal-sink/ai-sdk";
 * const records: LogRecord[] = [];
 * const telemetry: JournalTelemetry = createJournalTelemetry(
 *   createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" }),
 * );
 * telemetry.onStart({ callId: "c", operationId: "ai.generateText", provider: "openai.chat", modelId: "gpt-4o" });
 * telemetry.onEnd({ callId: "c", finishReason: "stop" });
 * if (records.map((r) => r.kind).join() !== "span-open,span-close") throw new Error("records");
 * ```
 */
export interface JournalTelemetry {
  /** A call begins: opens `invoke_agent {functionId or model}` (or `{operationId} {model}`). */
  onStart(event: AiSdkStartEvent): void;
  /** A step begins: opens `step {n}` in the call. */
  onStepStart(event: AiSdkStartEvent): void;
  /** A provider call begins: opens `chat {model}` in the step. */
  onLanguageModelCallStart(event: AiSdkStartEvent): void;
  /** The provider call ended: closes `chat {model}` with the response and the usage. */
  onLanguageModelCallEnd(event: AiSdkEndEvent): void;
  /** A tool's `execute` begins: opens `execute_tool {name}` in the step. */
  onToolExecutionStart(event: AiSdkToolEvent): void;
  /** A tool's `execute` ended: closes its span, `"error"` for a tool error. */
  onToolExecutionEnd(event: AiSdkToolEvent): void;
  /** A step ended: closes `step {n}` with its finish reason. */
  onStepEnd(event: AiSdkEndEvent): void;
  /** A step failed before it had a result: closes its model call and itself `"error"`. */
  onStepError(event: AiSdkErrorEvent): void;
  /** An embedding model call begins: opens `embeddings {model}`. */
  onEmbedStart(event: AiSdkStartEvent): void;
  /** An embedding model call ended: closes it with its input tokens. */
  onEmbedEnd(event: AiSdkEndEvent): void;
  /** The call ended: closes whatever it left open, then its own span. */
  onEnd(event: AiSdkEndEvent): void;
  /** A stream was aborted: closes the call's spans `"error"` (`error.type` `AbortError`). */
  onAbort(event: AiSdkErrorEvent): void;
  /** The call failed: closes the call's spans `"error"`. */
  onError(event: unknown): void;
  /** Runs a tool's `execute` with its span active, so nested calls and logs go inside it. */
  executeTool<T>(options: AiSdkExecution<T>): Promise<T>;
  /** Runs the provider call with the model call's span active. */
  executeLanguageModelCall<T>(options: AiSdkExecution<T>): Promise<T>;
}

/** What is open for one call. */
interface CallSpans {
  root: Span;
  step: Span | undefined;
  model: GenAiSpan | undefined;
  tools: Map<string, GenAiSpan>;
  embeds: Map<string, GenAiSpan>;
}

const TEXT_OPERATIONS = new Set([
  "ai.generateText",
  "ai.streamText",
  "ai.generateObject",
  "ai.streamObject",
]);

function put(target: Attributes, key: string, value: unknown): void {
  if (value !== undefined && value !== null) target[key] = value;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function requestAttributes(e: AiSdkStartEvent): Attributes {
  const a: Attributes = {};
  put(a, GEN_AI.REQUEST_TOP_P, e.topP);
  put(a, GEN_AI.REQUEST_TOP_K, e.topK);
  put(a, GEN_AI.REQUEST_PRESENCE_PENALTY, e.presencePenalty);
  put(a, GEN_AI.REQUEST_FREQUENCY_PENALTY, e.frequencyPenalty);
  if (Array.isArray(e.stopSequences) && e.stopSequences.length > 0) {
    a[GEN_AI.REQUEST_STOP_SEQUENCES] = [...e.stopSequences];
  }
  put(a, GEN_AI.REQUEST_SEED, e.seed);
  return a;
}

/** `server.address` and `server.port` of the origin the provider reported. */
function serverOf(url: string | undefined): Attributes {
  if (typeof url !== "string") return {};
  try {
    return serverAttributes(new URL(url));
  } catch {
    return {}; // Not a URL: no server attributes.
  }
}

function usageResult(usage: AiSdkUsage | undefined) {
  return {
    inputTokens: count(usage?.inputTokens),
    outputTokens: count(usage?.outputTokens),
    cacheReadInputTokens: count(usage?.inputTokenDetails?.cacheReadTokens),
    cacheCreationInputTokens: count(usage?.inputTokenDetails?.cacheWriteTokens),
    reasoningOutputTokens: count(usage?.outputTokenDetails?.reasoningTokens),
  };
}

/** The error of an `onError` event, which the SDK hands over untyped. */
function errorOf(event: unknown): unknown {
  return typeof event === "object" && event !== null && "error" in event
    ? (event as { error: unknown }).error
    : event;
}

/** A string field of an object the SDK types differently from one event to the next. */
function field(value: unknown, key: string): string | undefined {
  const v = typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
  return typeof v === "string" ? v : undefined;
}

/**
 * Creates the AI SDK 7 telemetry integration that writes the SDK's calls, steps, model calls
 * and tool executions as journal spans under `logger` (its span, or the span active when the
 * call starts). Each span is opened at its start event; usage is written once, on the model
 * call (`chat {model}`), as `gen_ai.usage.*`: the SDK repeats it on the step and the call,
 * which the journal leaves out, so `query --usage` adds up what the provider billed.
 *
 * @param logger Where the spans go; its conversation and turn apply to them.
 * @param options Content capture, legacy attribute names.
 * @returns The integration.
 *
 * @example One model call reported by the SDK's events
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { createJournalTelemetry } from "@dispatch/journal-sink/ai-sdk";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * const telemetry = createJournalTelemetry(log);
 * const call = { callId: "c1", provider: "openai.chat", modelId: "gpt-4o" };
 * telemetry.onStart({ ...call, operationId: "ai.generateText" });
 * telemetry.onStepStart({ ...call, stepNumber: 0 });
 * telemetry.onLanguageModelCallStart(call);
 * const usage = { inputTokens: 12, outputTokens: 3 };
 * telemetry.onLanguageModelCallEnd({ ...call, finishReason: "stop", usage });
 * telemetry.onStepEnd({ ...call, finishReason: "stop", usage });
 * telemetry.onEnd({ ...call, finishReason: "stop", usage });
 * const names = records.filter((r) => r.kind === "span-open").map((r) => r.name);
 * if (names.join() !== "invoke_agent gpt-4o,step 1,chat gpt-4o") throw new Error(names.join());
 * const counted = records.filter((r) => r.attributes?.["gen_ai.usage.input_tokens"] !== undefined);
 * if (counted.length !== 1) throw new Error("usage counted once, on the model call");
 * ```
 */
export function createJournalTelemetry(
  logger: Logger,
  options: JournalTelemetryOptions = {},
): JournalTelemetry {
  const capture = options.captureContent !== false;
  const legacySystem = options.legacySystem === true;
  const calls = new Map<string, CallSpans>();
  const inputs = (e: AiSdkEvent) => capture && e.recordInputs !== false;
  const outputs = (e: AiSdkEvent) => capture && e.recordOutputs !== false;

  const providerAttributes = (provider: string | undefined): Attributes => {
    const a: Attributes = {};
    const name = providerName(provider);
    put(a, GEN_AI.PROVIDER_NAME, name);
    if (legacySystem) put(a, GEN_AI.SYSTEM, name);
    return a;
  };

  /** Closes what a call left open, innermost first, `"error"` with `error`. */
  const failOpen = (spans: CallSpans, error: unknown, withStep: boolean) => {
    for (const tool of spans.tools.values()) tool.fail(error);
    spans.tools.clear();
    for (const embed of spans.embeds.values()) embed.fail(error);
    spans.embeds.clear();
    spans.model?.fail(error);
    spans.model = undefined;
    if (withStep) {
      spans.step?.fail(error, { [GEN_AI.ERROR_TYPE]: errorType(error) });
      spans.step = undefined;
    }
  };

  const finish = (callId: string | undefined, error: unknown) => {
    const spans = callId === undefined ? undefined : calls.get(callId);
    if (spans === undefined || callId === undefined) return;
    calls.delete(callId);
    failOpen(spans, error, true);
    spans.root.fail(error, { [GEN_AI.ERROR_TYPE]: errorType(error) });
  };

  return {
    onStart(e) {
      if (calls.has(e.callId)) return;
      const operation = e.operationId ?? "ai.call";
      const text = TEXT_OPERATIONS.has(operation);
      const model = e.modelId ?? "";
      const a: Attributes = text ? { [GEN_AI.OPERATION_NAME]: GEN_AI_OPERATION.INVOKE_AGENT } : {};
      Object.assign(a, providerAttributes(e.provider));
      put(a, GEN_AI.REQUEST_MODEL, e.modelId);
      put(a, GEN_AI.AGENT_NAME, e.functionId);
      put(a, GEN_AI.REQUEST_MAX_TOKENS, e.maxOutputTokens);
      put(a, GEN_AI.REQUEST_TEMPERATURE, e.temperature);
      Object.assign(a, requestAttributes(e));
      a["ai.operationId"] = operation;
      const body: Record<string, unknown> = {};
      if (inputs(e)) {
        put(body, "systemInstructions", e.instructions ?? e.system);
        put(body, "input", e.messages ?? e.prompt ?? e.value ?? e.values);
      }
      const name = text
        ? `${GEN_AI_OPERATION.INVOKE_AGENT} ${e.functionId ?? model}`.trimEnd()
        : `${operation} ${model}`.trimEnd();
      const root = logger.span(
        name,
        a,
        Object.keys(body).length > 0 ? { body } : undefined,
      );
      calls.set(e.callId, {
        root,
        step: undefined,
        model: undefined,
        tools: new Map(),
        embeds: new Map(),
      });
    },

    onStepStart(e) {
      const spans = calls.get(e.callId);
      if (spans === undefined) return;
      spans.step?.end("ok");
      const n = (count(e.stepNumber) ?? 0) + 1;
      spans.step = spans.root.span(`step ${n}`, { "ai.step.number": n });
    },

    onLanguageModelCallStart(e) {
      const spans = calls.get(e.callId);
      if (spans === undefined) return;
      // A second start before an end is the SDK retrying the call: the first attempt failed.
      spans.model?.fail(new Error("the model call was retried"));
      spans.model = startChat(spans.step ?? spans.root, {
        model: e.modelId ?? "",
        maxTokens: e.maxOutputTokens,
        temperature: e.temperature,
        attributes: { ...providerAttributes(e.provider), ...requestAttributes(e) },
        input: inputs(e) ? e.messages : undefined,
        systemInstructions: inputs(e) ? e.instructions : undefined,
      }, { captureContent: capture });
    },

    onLanguageModelCallEnd(e) {
      const spans = calls.get(e.callId);
      const model = spans?.model;
      if (spans === undefined || model === undefined) return;
      spans.model = undefined;
      const result = {
        ...usageResult(e.usage),
        responseModel: e.modelId,
        responseId: e.responseId,
        finishReasons: e.finishReason === undefined ? undefined : [e.finishReason],
        attributes: serverOf(field(e.request, "url")),
        output: outputs(e) ? e.content : undefined,
      };
      if (e.finishReason === "error") {
        model.fail(namedError("ProviderError", "the model call ended in an error"), result);
      } else {
        model.end(result);
      }
    },

    onToolExecutionStart(e) {
      const spans = calls.get(e.callId);
      if (spans === undefined) return;
      const call = e.toolCall;
      spans.tools.get(call.toolCallId)?.fail(new Error("the tool call was started again"));
      spans.tools.set(
        call.toolCallId,
        startToolCall(spans.step ?? spans.root, {
          name: call.toolName,
          callId: call.toolCallId,
          type: "function",
          arguments: inputs(e) ? call.input : undefined,
        }, { captureContent: capture }),
      );
    },

    onToolExecutionEnd(e) {
      const spans = calls.get(e.callId);
      const tool = spans?.tools.get(e.toolCall.toolCallId);
      if (spans === undefined || tool === undefined) return;
      spans.tools.delete(e.toolCall.toolCallId);
      const out = e.toolOutput;
      if (out?.type === "tool-error") {
        tool.fail(out.error ?? new Error("tool error"));
      } else {
        tool.end({ output: outputs(e) ? out?.output : undefined });
      }
    },

    onStepEnd(e) {
      const spans = calls.get(e.callId);
      if (spans === undefined) return;
      spans.model?.end();
      spans.model = undefined;
      const a: Attributes = {};
      if (e.finishReason !== undefined) a[GEN_AI.RESPONSE_FINISH_REASONS] = [e.finishReason];
      spans.step?.end("ok", a);
      spans.step = undefined;
    },

    onStepError(e) {
      const spans = calls.get(e.callId);
      if (spans === undefined) return;
      failOpen(spans, e.error ?? new Error("the step failed"), true);
    },

    onEmbedStart(e) {
      const spans = calls.get(e.callId);
      if (spans === undefined) return;
      const key = e.embedCallId ?? e.callId;
      spans.embeds.get(key)?.fail(new Error("the embedding call was started again"));
      spans.embeds.set(
        key,
        startChat(spans.root, {
          model: e.modelId ?? "",
          operation: GEN_AI_OPERATION.EMBEDDINGS,
          attributes: providerAttributes(e.provider),
          input: inputs(e) ? e.values ?? e.value : undefined,
        }, { captureContent: capture }),
      );
    },

    onEmbedEnd(e) {
      const spans = calls.get(e.callId);
      const key = e.embedCallId ?? e.callId;
      const embed = spans?.embeds.get(key);
      if (spans === undefined || embed === undefined) return;
      spans.embeds.delete(key);
      embed.end({ inputTokens: count(e.usage?.tokens) });
    },

    onEnd(e) {
      const spans = calls.get(e.callId);
      if (spans === undefined) return;
      calls.delete(e.callId);
      failOpen(spans, new Error("the call ended with this span still open"), false);
      spans.step?.end("ok");
      const a: Attributes = {};
      if (e.finishReason !== undefined) a[GEN_AI.RESPONSE_FINISH_REASONS] = [e.finishReason];
      put(a, GEN_AI.RESPONSE_MODEL, field(e.model, "modelId") ?? field(e.response, "modelId"));
      if (outputs(e)) {
        const output = e.object ?? e.text ?? e.embeddings ?? e.embedding;
        if (output !== undefined) spans.root.info("gen_ai.output", undefined, { output });
      }
      spans.root.end("ok", a);
    },

    onAbort(e) {
      const reason = e.reason;
      const error = reason instanceof Error
        ? reason
        : namedError("AbortError", reason === undefined ? "aborted" : String(reason));
      finish(e.callId, error);
    },

    onError(event) {
      finish(field(event, "callId"), errorOf(event) ?? new Error("the call failed"));
    },

    async executeTool<T>(o: AiSdkExecution<T>): Promise<T> {
      const tool = o.toolCallId === undefined
        ? undefined
        : calls.get(o.callId)?.tools.get(o.toolCallId);
      return tool === undefined ? await o.execute() : await tool.span.run(() => o.execute());
    },

    async executeLanguageModelCall<T>(o: AiSdkExecution<T>): Promise<T> {
      const model = calls.get(o.callId)?.model;
      return model === undefined ? await o.execute() : await model.span.run(() => o.execute());
    },
  };
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function errorType(error: unknown): string {
  if (typeof error === "object" && error !== null && "name" in error) {
    const name = (error as { name: unknown }).name;
    if (typeof name === "string" && name !== "") return name;
  }
  return typeof error;
}
