/**
 * The parts of the AI SDK 7 telemetry events (`ai`'s `Telemetry` interface) that the journal
 * integration reads, matched structurally: `ai` is not a dependency. Each field is optional
 * or `unknown` where the SDK may leave it out (`recordInputs: false` empties the messages,
 * an error is replaced by a generic one), so an event of any `ai` 7 release fits.
 *
 * @module
 */

/**
 * Token counts as the AI SDK reports them (`LanguageModelUsage`): input includes the cached
 * tokens, output the reasoning ones.
 *
 * @example
 * ```ts
 * import type { AiSdkUsage } from "@dispatch/journal-sink/ai-sdk";
 * const usage: AiSdkUsage = { inputTokens: 100, outputTokens: 10, inputTokenDetails: { cacheReadTokens: 80 } };
 * if (usage.inputTokens !== 100) throw new Error("unreachable");
 * ```
 */
export interface AiSdkUsage {
  /** Input tokens, the cached ones included. */
  inputTokens?: number;
  /** Output tokens, the reasoning ones included. */
  outputTokens?: number;
  /** Cached input tokens read and written. */
  inputTokenDetails?: { cacheReadTokens?: number; cacheWriteTokens?: number };
  /** Reasoning tokens among the output tokens. */
  outputTokenDetails?: { reasoningTokens?: number };
}

/**
 * What every event carries: the call it belongs to and the call's telemetry settings.
 *
 * @example
 * ```ts
 * import type { AiSdkEvent } from "@dispatch/journal-sink/ai-sdk";
 * const event: AiSdkEvent = { callId: "call-1", recordInputs: false };
 * if (event.recordInputs !== false) throw new Error("unreachable");
 * ```
 */
export interface AiSdkEvent {
  /** The id shared by every event of one `generateText`, `streamText`, `embed`, … call. */
  readonly callId: string;
  /** `telemetry.recordInputs` of the call (`undefined` means recorded). */
  readonly recordInputs?: boolean;
  /** `telemetry.recordOutputs` of the call (`undefined` means recorded). */
  readonly recordOutputs?: boolean;
  /** `telemetry.functionId` of the call. */
  readonly functionId?: string;
}

/**
 * The start of a call (`onStart`), or of a step or model call: the model and the request
 * settings.
 *
 * @example
 * ```ts
 * import type { AiSdkStartEvent } from "@dispatch/journal-sink/ai-sdk";
 * const start: AiSdkStartEvent = { callId: "c", operationId: "ai.generateText", provider: "openai.responses", modelId: "gpt-4o" };
 * if (start.modelId !== "gpt-4o") throw new Error("unreachable");
 * ```
 */
export interface AiSdkStartEvent extends AiSdkEvent {
  /** `ai.generateText`, `ai.streamText`, `ai.embed`, … (on `onStart` only). */
  readonly operationId?: string;
  /** The SDK's provider id: `openai.responses`, `anthropic.messages`, … */
  readonly provider?: string;
  /** The model the call asked for. */
  readonly modelId?: string;
  /** The step's index, from 0 (on `onStepStart`). */
  readonly stepNumber?: number;
  /** System instructions (empty when inputs are not recorded). */
  readonly instructions?: unknown;
  /** System prompt of the object APIs. */
  readonly system?: unknown;
  /** The prompt of the object APIs. */
  readonly prompt?: unknown;
  /** The messages sent (empty when inputs are not recorded). */
  readonly messages?: unknown;
  /** The value or values to embed (on an embedding call). */
  readonly value?: unknown;
  /** The values of `embedMany`. */
  readonly values?: unknown;
  /** `gen_ai.request.max_tokens`. */
  readonly maxOutputTokens?: number;
  /** `gen_ai.request.temperature`. */
  readonly temperature?: number;
  /** `gen_ai.request.top_p`. */
  readonly topP?: number;
  /** `gen_ai.request.top_k`. */
  readonly topK?: number;
  /** `gen_ai.request.presence_penalty`. */
  readonly presencePenalty?: number;
  /** `gen_ai.request.frequency_penalty`. */
  readonly frequencyPenalty?: number;
  /** `gen_ai.request.stop_sequences`. */
  readonly stopSequences?: readonly string[];
  /** `gen_ai.request.seed`. */
  readonly seed?: number;
  /** The id of one embedding model call within `embedMany` (on `onEmbedStart`/`onEmbedEnd`). */
  readonly embedCallId?: string;
}

/**
 * The end of a model call (`onLanguageModelCallEnd`), a step (`onStepEnd`), an embedding
 * call (`onEmbedEnd`) or the whole call (`onEnd`).
 *
 * @example
 * ```ts
 * import type { AiSdkEndEvent } from "@dispatch/journal-sink/ai-sdk";
 * const end: AiSdkEndEvent = { callId: "c", finishReason: "stop", usage: { inputTokens: 9, outputTokens: 2 } };
 * if (end.finishReason !== "stop") throw new Error("unreachable");
 * ```
 */
export interface AiSdkEndEvent extends AiSdkEvent {
  /** The model that answered (on a model call end). */
  readonly modelId?: string;
  /** The step's index, from 0 (on a step end). */
  readonly stepNumber?: number;
  /** `stop`, `tool-calls`, `length`, `error`, … */
  readonly finishReason?: string;
  /** Language-model usage, or an embedding call's `{ tokens }`. */
  readonly usage?: AiSdkUsage & { tokens?: number };
  /** The provider's response id (on a model call end). */
  readonly responseId?: string;
  /** `{ id, modelId, … }` on a step or call end; other shapes elsewhere. */
  readonly response?: unknown;
  /** `{ provider, modelId }` on a call end. */
  readonly model?: unknown;
  /** `{ url }` (the provider endpoint's origin) on a model call end, when it reports one. */
  readonly request?: unknown;
  /** What the model returned (empty when outputs are not recorded). */
  readonly content?: unknown;
  /** The final text (on a call end). */
  readonly text?: unknown;
  /** The final object (on an object call end). */
  readonly object?: unknown;
  /** The embedding of `embed`. */
  readonly embedding?: unknown;
  /** The embeddings of `embedMany` or of one embedding call. */
  readonly embeddings?: unknown;
  /** The id of one embedding model call within `embedMany` (on `onEmbedEnd`). */
  readonly embedCallId?: string;
}

/**
 * A tool execution's start (`onToolExecutionStart`) or end (`onToolExecutionEnd`).
 *
 * @example
 * ```ts
 * import type { AiSdkToolEvent } from "@dispatch/journal-sink/ai-sdk";
 * const event: AiSdkToolEvent = {
 *   callId: "c",
 *   toolCall: { toolName: "weather", toolCallId: "call_1", input: { city: "Oslo" } },
 *   toolOutput: { type: "tool-result", output: { celsius: -3 } },
 * };
 * if (event.toolOutput?.type !== "tool-result") throw new Error("unreachable");
 * ```
 */
export interface AiSdkToolEvent extends AiSdkEvent {
  /** The call the model asked for: tool name, call id, input. */
  readonly toolCall: { toolName: string; toolCallId: string; input?: unknown; dynamic?: boolean };
  /** `tool-result` with its `output`, or `tool-error` with its `error` (on the end). */
  readonly toolOutput?: { type: string; output?: unknown; error?: unknown };
}

/**
 * A failure: `onStepError` (the step's start event and the error), `onError`, or `onAbort`
 * (with the abort `reason`).
 *
 * @example
 * ```ts
 * import type { AiSdkErrorEvent } from "@dispatch/journal-sink/ai-sdk";
 * const event: AiSdkErrorEvent = { callId: "c", error: new Error("overloaded") };
 * if (!(event.error instanceof Error)) throw new Error("unreachable");
 * ```
 */
export interface AiSdkErrorEvent extends AiSdkEvent {
  /** What failed (a generic error when inputs or outputs are not recorded). */
  readonly error?: unknown;
  /** The abort reason (on `onAbort`). */
  readonly reason?: unknown;
}

/**
 * What `executeTool` and `executeLanguageModelCall` are handed: the work to run, which the
 * integration runs with the tool's or the model call's span active.
 *
 * @example
 * ```ts
 * import type { AiSdkExecution } from "@dispatch/journal-sink/ai-sdk";
 * const run: AiSdkExecution<number> = { callId: "c", toolCallId: "call_1", execute: async () => 42 };
 * if ((await run.execute()) !== 42) throw new Error("unreachable");
 * ```
 */
export interface AiSdkExecution<T> {
  /** The call the work belongs to. */
  readonly callId: string;
  /** The tool call, for `executeTool`. */
  readonly toolCallId?: string;
  /** The work. */
  readonly execute: () => PromiseLike<T>;
}
