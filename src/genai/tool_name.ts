/**
 * A span's tool name: its `gen_ai.tool.name` when that is a string. The one rule the store
 * (its `tool_name` column, filled at ingest), the viewer's journal source and `/stats` use.
 *
 * @module
 */

/** The attribute a tool call names its tool by. */
export const TOOL_NAME_ATTRIBUTE = "gen_ai.tool.name";

/**
 * The tool a span called, from its attributes (a close's merged over its open's).
 *
 * @param attributes The span's attributes, if any.
 * @returns The name, or `null` when there is none or it is not a string.
 *
 * @example
 * ```ts
 * import { readToolName } from "./tool_name.ts";
 * if (readToolName({ "gen_ai.tool.name": "search" }) !== "search") throw new Error("named");
 * if (readToolName({ "gen_ai.tool.name": 7 }) !== null) throw new Error("a number names nothing");
 * if (readToolName(undefined) !== null) throw new Error("none");
 * ```
 */
export function readToolName(attributes: Record<string, unknown> | undefined): string | null {
  const name = attributes?.[TOOL_NAME_ATTRIBUTE];
  return typeof name === "string" ? name : null;
}
