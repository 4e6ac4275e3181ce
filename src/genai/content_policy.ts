/**
 * How much of a model call's content a capture writes: the one rule for `content` and for
 * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, shared by `capturePrompt` and
 * `captureFetch`.
 *
 * @module
 */

/**
 * What a capture writes.
 * - `"full"`: the prompt and the request and response bodies, verbatim (the default: a local
 *   journal is where a developer looks at what the model was asked).
 * - `"metadata"`: the records without their bodies: method, URL, redacted headers, status,
 *   timings, body sizes and message counts; usage and the span's attributes.
 * - `"none"`: no `prompt:before`, `provider.request` or `provider.response` records at all; the
 *   model-call span with its attributes and usage only.
 *
 * @example
 * ```ts
 * import type { ContentPolicy } from "@dispatch/journal-sink/genai";
 * const policy: ContentPolicy = "metadata";
 * if (policy !== "metadata") throw new Error("unreachable");
 * ```
 */
export type ContentPolicy = "full" | "metadata" | "none";

/** The environment variable the OpenTelemetry GenAI instrumentations read. */
export const CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

const POLICIES: readonly string[] = ["full", "metadata", "none"];

/**
 * The policy in force: the one given in code, else the one the environment variable says, else
 * `"full"`. The variable's values are those of the OpenTelemetry instrumentations, read
 * case-insensitively: `true`, `span_only`, `event_only`, `span_and_event` mean `"full"`;
 * `false` and `no_content` mean `"metadata"`; anything else is ignored.
 *
 * @param given The `content` option, if any (a value that is not a policy is ignored).
 * @param env The environment.
 * @returns The policy.
 *
 * @example
 * ```ts
 * import { contentPolicy } from "./content_policy.ts";
 * const env = { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "false" };
 * if (contentPolicy(undefined, env) !== "metadata") throw new Error("env not read");
 * if (contentPolicy("full", env) !== "full") throw new Error("code wins");
 * if (contentPolicy(undefined, {}) !== "full") throw new Error("default");
 * ```
 */
export function contentPolicy(
  given: unknown,
  env: Record<string, string | undefined>,
): ContentPolicy {
  if (typeof given === "string" && POLICIES.includes(given)) return given as ContentPolicy;
  const value = env[CAPTURE_CONTENT_ENV]?.trim().toLowerCase();
  switch (value) {
    case "true":
    case "span_only":
    case "event_only":
    case "span_and_event":
      return "full";
    case "false":
    case "no_content":
      return "metadata";
    default:
      return "full";
  }
}
