/**
 * The AI SDK's provider ids (`openai.responses`, `anthropic.messages`, `google.vertex.chat`, …)
 * as values of `gen_ai.provider.name`, the names the OpenTelemetry GenAI conventions list and
 * backends group by.
 *
 * @module
 */

/** Conventions' names for the SDK ids whose first part is not already the name. */
const KNOWN: readonly (readonly [prefix: string, name: string])[] = [
  ["google.vertex", "gcp.vertex_ai"],
  ["google", "gcp.gemini"],
  ["vertex", "gcp.vertex_ai"],
  ["amazon-bedrock", "aws.bedrock"],
  ["bedrock", "aws.bedrock"],
  ["azure", "azure.ai.openai"],
  ["mistral", "mistral_ai"],
  ["xai", "x_ai"],
  ["ibm", "ibm.watsonx.ai"],
];

/**
 * The `gen_ai.provider.name` of an AI SDK provider id: the conventions' name when it has
 * one, else the id's first dotted part (`openai.chat` → `openai`).
 *
 * @param provider The SDK's provider id.
 * @returns The provider's name, or `undefined` for an empty id.
 *
 * @example
 * ```ts
 * import { providerName } from "./provider_name.ts";
 * if (providerName("anthropic.messages") !== "anthropic") throw new Error("anthropic");
 * if (providerName("google.vertex.chat") !== "gcp.vertex_ai") throw new Error("vertex");
 * ```
 */
export function providerName(provider: string | undefined): string | undefined {
  if (typeof provider !== "string" || provider === "") return undefined;
  for (const [prefix, name] of KNOWN) {
    if (provider === prefix || provider.startsWith(`${prefix}.`)) return name;
  }
  return provider.split(".")[0];
}
