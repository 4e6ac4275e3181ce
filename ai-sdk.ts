/**
 * The AI SDK bridge: `createJournalTelemetry(logger)` returns an AI SDK 7 telemetry
 * integration (for `registerTelemetry(...)` or `telemetry: { integrations: [...] }`) that
 * writes each call, step, model call and tool execution as a journal span, opened when it
 * starts, so a process that dies mid-call leaves them visibly open. Usage is written once, on
 * the model call. The `ai` package is not a dependency: its events are matched structurally.
 *
 * @example A call whose tool never returned reads back as open
 * ```ts
 * import { createLogger, reconstructTraces, type LogRecord } from "@dispatch/journal-sink";
 * import { createJournalTelemetry } from "@dispatch/journal-sink/ai-sdk";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * const telemetry = createJournalTelemetry(log);
 * const call = { callId: "c1", provider: "openai.responses", modelId: "gpt-4o" };
 * telemetry.onStart({ ...call, operationId: "ai.generateText" });
 * telemetry.onStepStart({ ...call, stepNumber: 0 });
 * telemetry.onToolExecutionStart({ callId: "c1", toolCall: { toolName: "shell", toolCallId: "t1" } });
 * // the process dies here
 * const [root] = reconstructTraces(records).roots;
 * if (root.status !== "open" || root.children[0].children[0].name !== "execute_tool shell") {
 *   throw new Error("open spans");
 * }
 * ```
 *
 * @module
 */

export {
  createJournalTelemetry,
  type JournalTelemetry,
  type JournalTelemetryOptions,
} from "./src/ai_sdk/journal_telemetry.ts";
export type {
  AiSdkEndEvent,
  AiSdkErrorEvent,
  AiSdkEvent,
  AiSdkExecution,
  AiSdkStartEvent,
  AiSdkToolEvent,
  AiSdkUsage,
} from "./src/ai_sdk/telemetry_events.ts";
