/**
 * `capturePrompt`: the 'before' of a model call, the prompt as the turn built it before any
 * extension had its say, written on the step's span for the `diff` command and the viewer to
 * compare with the request that really went out.
 *
 * @module
 */

import type { Logger } from "../logger/logger.ts";
import { environment } from "../runtime/runtime.ts";
import { type ContentPolicy, contentPolicy } from "./content_policy.ts";

/** The message of a 'before' record. */
export const PROMPT_BEFORE = "prompt:before";

/**
 * Options of {@linkcode capturePrompt}.
 *
 * @example
 * ```ts
 * import type { CapturePromptOptions } from "@dispatch/journal-sink/genai";
 * const options: CapturePromptOptions = { content: "metadata" };
 * if (options.content !== "metadata") throw new Error("unreachable");
 * ```
 */
export interface CapturePromptOptions {
  /**
   * `"full"` writes the messages; `"metadata"` only how many there are; `"none"` nothing.
   * @default {OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT's policy when set, else "full"}
   */
  content?: ContentPolicy;
  /** More attributes for the record. */
  attributes?: Record<string, unknown>;
}

/**
 * Writes one `log` record, `msg: "prompt:before"`, on `span` (the step that builds the
 * prompt), with `body` = `messages` exactly as given: the array itself, not a summary. It goes
 * through the logger like any record, so the logger's `redact` patterns apply, a journal sink
 * cuts it to `maxRecordBytes` (marking the cut), and a failure is a counted drop, never an
 * exception. `prompt.messages` counts the messages when `messages` is an array.
 *
 * @param span Where to write: the step's span (or any logger; then the active span's).
 * @param messages The prompt as built, before extensions change it (messages, or a whole
 *   request object with `system`, `messages` and `tools`).
 * @param options The content policy, more attributes.
 *
 * @example
 * ```ts
 * import { createLogger, type LogRecord } from "@dispatch/journal-sink";
 * import { capturePrompt } from "@dispatch/journal-sink/genai";
 * const records: LogRecord[] = [];
 * const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
 * const messages = [{ role: "user", content: "What is the weather in Oslo?" }];
 * log.withSpan("step", (step) => capturePrompt(step, messages));
 * const entry = records[1];
 * if (entry.kind !== "log" || entry.msg !== "prompt:before" || entry.body !== messages) {
 *   throw new Error("not written as given");
 * }
 * if (entry.spanId !== records[0].spanId) throw new Error("not on the step");
 * ```
 */
export function capturePrompt(
  span: Logger,
  messages: unknown,
  options?: CapturePromptOptions,
): void {
  try {
    const policy = contentPolicy(options?.content, environment());
    if (policy === "none") return;
    const attributes: Record<string, unknown> = {};
    if (Array.isArray(messages)) attributes["prompt.messages"] = messages.length;
    if (options?.attributes !== undefined) Object.assign(attributes, options.attributes);
    span.info(PROMPT_BEFORE, attributes, policy === "full" ? messages : undefined);
  } catch {
    // The logger reports its own failures; anything else (a hostile options object) is not the
    // caller's problem.
  }
}
