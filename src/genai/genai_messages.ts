/**
 * A captured model call's bodies as the OpenTelemetry GenAI conventions' content attributes:
 * `gen_ai.input.messages`, `gen_ai.system_instructions` and `gen_ai.tool.definitions` from the
 * request, `gen_ai.output.messages` from the response, in the shapes the conventions' JSON
 * schemas give: messages of a `role` and `parts` (`text`, `tool_call`, `tool_call_response`,
 * `reasoning`, `blob`, `uri`, `file`; a provider's other parts kept as generic parts with their
 * own `type`), an output message per choice with its `finish_reason`. Reads OpenAI chat
 * completions, OpenAI Responses and Anthropic messages, whole or streamed (the events
 * `captureFetch` writes). Pure: the OTLP export calls it on the bodies a span's records hold.
 *
 * @module
 */

import { GEN_AI, GEN_AI_OPERATION } from "./attributes.ts";
import type { WireApi } from "./provider_request.ts";
import { ProviderResponseReader } from "./provider_usage.ts";

/** The conventions' names of the content attributes (opt-in: they carry the prompt itself). */
export const GEN_AI_CONTENT = {
  INPUT_MESSAGES: "gen_ai.input.messages",
  OUTPUT_MESSAGES: "gen_ai.output.messages",
  SYSTEM_INSTRUCTIONS: "gen_ai.system_instructions",
  TOOL_DEFINITIONS: "gen_ai.tool.definitions",
} as const;

/** One part of a message: `{ type: "text", content }`, `{ type: "tool_call", id, name, arguments }`, … */
export interface GenAiPart {
  /** `text`, `tool_call`, `tool_call_response`, `reasoning`, `blob`, `uri`, `file`, or a provider's own. */
  type: string;
  /** The part's fields, as the conventions name them. */
  [field: string]: unknown;
}

/** A message of `gen_ai.input.messages`. */
export interface GenAiMessage {
  /** `user`, `assistant`, `tool`, `system`, or the role as the request spelled it (`developer`). */
  role: string;
  /** Its content, in order. */
  parts: GenAiPart[];
  /** The participant's name, when the request gave one. */
  name?: string;
}

/** A message of `gen_ai.output.messages`: one choice of the response. */
export interface GenAiOutputMessage extends GenAiMessage {
  /** Why the generation stopped, as the provider said it (`stop`, `end_turn`, …); `error` when it never said. */
  finish_reason: string;
}

/** A tool of `gen_ai.tool.definitions`. */
export interface GenAiToolDefinition {
  /** `function` for a tool the caller runs, else the provider's own type (`web_search`…). */
  type: string;
  /** The tool's name. */
  name: string;
  /** `description`, `parameters` (the JSON Schema) and a provider tool's other fields. */
  [field: string]: unknown;
}

/** What a request says, in the conventions' shapes; `null` for what it does not say. */
export interface GenAiRequestContent {
  /** `gen_ai.system_instructions`: a top-level `system` (Anthropic) or `instructions` (Responses). */
  systemInstructions: GenAiPart[] | null;
  /** `gen_ai.input.messages`: the chat history, system messages in it included, in order. */
  inputMessages: GenAiMessage[] | null;
  /** `gen_ai.tool.definitions`: the request's `tools`. */
  toolDefinitions: GenAiToolDefinition[] | null;
}

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Json
    : undefined;
}

function string(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A body kept as text (a request whose bytes `JSON.stringify` would not give back) is parsed. */
function parsed(body: unknown): unknown {
  if (typeof body !== "string") return body;
  const first = body.trimStart().charCodeAt(0);
  if (first !== 123 && first !== 91) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function textPart(content: string): GenAiPart {
  return { type: "text", content };
}

/** A tool call's arguments: OpenAI sends them as JSON text, the conventions show the object. */
function callArguments(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const TEXT_TYPES = new Set(["text", "input_text", "output_text"]);

/** A tool result's content: its text when it is text (or text parts), else as sent. */
function resultValue(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  const texts = content.map((p) => {
    const o = object(p);
    return o !== undefined && TEXT_TYPES.has(String(o.type)) ? string(o.text) : string(p);
  });
  return texts.every((t) => t !== undefined) ? texts.join("\n") : content;
}

/** An image, audio or file given by URL: a data URL is a blob, another URL a uri part. */
function mediaPart(modality: string, url: string, mimeType?: string): GenAiPart {
  const data = /^data:([^;,]*)(?:;[^,]*)?;base64,/.exec(url);
  if (data !== null) {
    const part: GenAiPart = { type: "blob", modality, content: url.slice(data[0].length) };
    if (data[1] !== "") part.mime_type = data[1];
    return part;
  }
  const part: GenAiPart = { type: "uri", modality, uri: url };
  if (mimeType !== undefined) part.mime_type = mimeType;
  return part;
}

/** An Anthropic image or document `source`. */
function sourcePart(modality: string, source: Json | undefined, block: Json): GenAiPart {
  const mimeType = string(source?.media_type);
  if (source?.type === "base64" && typeof source.data === "string") {
    const part: GenAiPart = { type: "blob", modality, content: source.data };
    if (mimeType !== undefined) part.mime_type = mimeType;
    return part;
  }
  if (source?.type === "url" && typeof source.url === "string") {
    return mediaPart(modality, source.url, mimeType);
  }
  if (source?.type === "file" && typeof source.file_id === "string") {
    return { type: "file", modality, file_id: source.file_id };
  }
  return { ...block, type: String(block.type) };
}

function reasoningText(item: Json): string {
  const texts: string[] = [];
  for (const list of [item.summary, item.content]) {
    if (!Array.isArray(list)) continue;
    for (const p of list) {
      const text = string(object(p)?.text);
      if (text !== undefined) texts.push(text);
    }
  }
  return texts.join("\n");
}

/** One content part, of any of the three APIs, in the conventions' shape. */
function partOf(value: unknown): GenAiPart | undefined {
  if (typeof value === "string") return textPart(value);
  const p = object(value);
  if (p === undefined || typeof p.type !== "string") return undefined;
  switch (p.type) {
    case "text":
    case "input_text":
    case "output_text":
      if (typeof p.text === "string") return textPart(p.text);
      break;
    case "image_url": {
      const url = string(object(p.image_url)?.url) ?? string(p.image_url);
      if (url !== undefined) return mediaPart("image", url);
      break;
    }
    case "input_image":
      if (typeof p.image_url === "string") return mediaPart("image", p.image_url);
      if (typeof p.file_id === "string") {
        return { type: "file", modality: "image", file_id: p.file_id };
      }
      break;
    case "input_audio": {
      const audio = object(p.input_audio);
      if (typeof audio?.data === "string") {
        const part: GenAiPart = { type: "blob", modality: "audio", content: audio.data };
        if (typeof audio.format === "string") part.mime_type = `audio/${audio.format}`;
        return part;
      }
      break;
    }
    case "file":
    case "input_file": {
      const file = object(p.file) ?? p;
      if (typeof file.file_id === "string") {
        return { type: "file", modality: "document", file_id: file.file_id };
      }
      const url = string(file.file_data) ?? string(file.file_url);
      if (url !== undefined) return mediaPart("document", url);
      break;
    }
    case "image":
    case "document":
      return sourcePart(p.type, object(p.source), p);
    case "tool_use":
      return {
        type: "tool_call",
        id: string(p.id) ?? null,
        name: String(p.name),
        arguments: p.input,
      };
    case "tool_result":
      return {
        type: "tool_call_response",
        id: string(p.tool_use_id) ?? null,
        response: resultValue(p.content),
      };
    case "thinking":
      if (typeof p.thinking === "string") return { type: "reasoning", content: p.thinking };
      break;
    case "function_call":
      return {
        type: "tool_call",
        id: string(p.call_id) ?? null,
        name: String(p.name),
        arguments: callArguments(p.arguments),
      };
    case "reasoning":
      return { type: "reasoning", content: reasoningText(p) };
  }
  return { ...p, type: p.type };
}

function contentParts(content: unknown): GenAiPart[] {
  if (typeof content === "string") return content === "" ? [] : [textPart(content)];
  if (!Array.isArray(content)) return [];
  return content.map(partOf).filter((p): p is GenAiPart => p !== undefined);
}

/** OpenAI chat's `tool_calls` (and the older `function_call`) beside a message's content. */
function toolCallParts(m: Json): GenAiPart[] {
  const parts: GenAiPart[] = [];
  const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
  for (const call of calls) {
    const c = object(call);
    const fn = object(c?.function);
    if (c === undefined) continue;
    parts.push({
      type: "tool_call",
      id: string(c.id) ?? null,
      name: String(fn?.name ?? c.name ?? ""),
      arguments: callArguments(fn?.arguments ?? c.arguments),
    });
  }
  const legacy = object(m.function_call);
  if (legacy !== undefined) {
    parts.push({
      type: "tool_call",
      id: null,
      name: String(legacy.name ?? ""),
      arguments: callArguments(legacy.arguments),
    });
  }
  return parts;
}

/** A Responses input item that is no message: a tool call, its output, reasoning, … */
function itemMessage(item: Json, type: string): GenAiMessage {
  if (type === "function_call_output" || type.endsWith("_call_output")) {
    return {
      role: "tool",
      parts: [{
        type: "tool_call_response",
        id: string(item.call_id) ?? null,
        response: resultValue(item.output),
      }],
    };
  }
  return { role: "assistant", parts: [partOf(item) ?? { ...item, type }] };
}

function inputMessage(value: unknown): GenAiMessage | undefined {
  if (typeof value === "string") return { role: "user", parts: [textPart(value)] };
  const m = object(value);
  if (m === undefined) return undefined;
  const type = string(m.type);
  if (m.role === undefined && type !== undefined && type !== "message") {
    return itemMessage(m, type);
  }
  const role = string(m.role) ?? "user";
  const parts: GenAiPart[] = [];
  if (typeof m.tool_call_id === "string") {
    parts.push({
      type: "tool_call_response",
      id: m.tool_call_id,
      response: resultValue(m.content),
    });
  } else parts.push(...contentParts(m.content));
  if (typeof m.refusal === "string") parts.push({ type: "refusal", content: m.refusal });
  parts.push(...toolCallParts(m));
  const message: GenAiMessage = { role, parts };
  if (typeof m.name === "string") message.name = m.name;
  return message;
}

function toolDefinition(value: unknown): GenAiToolDefinition | undefined {
  const t = object(value);
  if (t === undefined) return undefined;
  const fn = object(t.function);
  const named = fn ?? t;
  const name = string(named.name);
  // A function the caller runs: OpenAI chat's { function }, Responses' { type: "function" },
  // Anthropic's { name, input_schema }.
  if (
    name !== undefined &&
    (fn !== undefined || t.type === "function" || t.input_schema !== undefined ||
      t.type === undefined)
  ) {
    const tool: GenAiToolDefinition = { type: "function", name };
    if (named.description !== undefined) tool.description = named.description;
    const parameters = named.parameters ?? t.input_schema;
    if (parameters !== undefined) tool.parameters = parameters;
    return tool;
  }
  const type = string(t.type);
  if (type === undefined) return undefined;
  return { ...t, type, name: name ?? type };
}

/**
 * What a request body says, in the conventions' shapes. The chat history (`messages`, a
 * Responses `input`, a string `input` or `prompt` as one user message) is
 * `gen_ai.input.messages`, its system and developer messages included where they stand, as the
 * conventions ask of instructions that are part of the history; a top-level `system`
 * (Anthropic) or `instructions` (Responses) is `gen_ai.system_instructions`; `tools` is
 * `gen_ai.tool.definitions`. A tool call's JSON arguments are parsed; a data URL is a blob.
 *
 * @param body A `provider.request` body: the parsed JSON, or its text.
 * @returns The three attributes' values, each `null` where the request does not say.
 *
 * @example An Anthropic request with a tool round
 * ```ts
 * import { requestContent } from "./genai_messages.ts";
 * const content = requestContent({
 *   model: "claude", system: "Be brief.",
 *   tools: [{ name: "weather", input_schema: { type: "object" } }],
 *   messages: [
 *     { role: "user", content: "Oslo?" },
 *     { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "weather", input: { city: "Oslo" } }] },
 *     { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "rain" }] },
 *   ],
 * });
 * if (JSON.stringify(content.systemInstructions) !== '[{"type":"text","content":"Be brief."}]') throw new Error("system");
 * const [, call, result] = content.inputMessages ?? [];
 * if (call.parts[0].type !== "tool_call" || result.parts[0].response !== "rain") throw new Error("tools");
 * if (content.toolDefinitions?.[0].type !== "function") throw new Error("definitions");
 * ```
 */
export function requestContent(body: unknown): GenAiRequestContent {
  const none: GenAiRequestContent = {
    systemInstructions: null,
    inputMessages: null,
    toolDefinitions: null,
  };
  const value = parsed(body);
  const b = object(value);
  if (b === undefined) {
    if (!Array.isArray(value)) return none;
    return { ...none, inputMessages: messagesOf(value) };
  }
  const system: GenAiPart[] = [];
  if (b.system !== undefined) system.push(...contentParts(b.system));
  if (typeof b.instructions === "string") system.push(textPart(b.instructions));
  else if (Array.isArray(b.instructions)) {
    for (const m of messagesOf(b.instructions)) system.push(...m.parts);
  }
  const history = b.messages ?? b.input ?? b.prompt;
  const inputMessages = typeof history === "string"
    ? [{ role: "user", parts: [textPart(history)] }]
    : Array.isArray(history)
    ? messagesOf(history)
    : null;
  const toolDefinitions = Array.isArray(b.tools)
    ? b.tools.map(toolDefinition).filter((t): t is GenAiToolDefinition => t !== undefined)
    : null;
  return {
    systemInstructions: system.length > 0 ? system : null,
    inputMessages,
    toolDefinitions,
  };
}

function messagesOf(list: unknown[]): GenAiMessage[] {
  return list.map(inputMessage).filter((m): m is GenAiMessage => m !== undefined);
}

/** One event of a captured stream: `{ event, data }` with `data` parsed when it is JSON. */
interface StreamEvent {
  event: string | undefined;
  data: Json | undefined;
}

function streamEvents(list: unknown[]): StreamEvent[] {
  return list.map((e) => {
    const o = object(e);
    const data = o?.data;
    return {
      event: string(o?.event),
      data: object(typeof data === "string" ? parsed(data) : data),
    };
  });
}

function typeOf(e: StreamEvent): string {
  return string(e.data?.type) ?? e.event ?? "";
}

function streamApi(events: StreamEvent[]): WireApi {
  for (const e of events) {
    const type = typeOf(e);
    if (type.startsWith("response.")) return "openai.responses";
    if (type === "message_start" || type.startsWith("content_block_")) return "anthropic.messages";
    if (Array.isArray(e.data?.choices)) return "openai.chat";
  }
  return "unknown";
}

/** The finish reason the capture reads (provider_usage.ts) for an API that gives one answer. */
function readReason(reader: ProviderResponseReader): string {
  const reasons = reader.attributes()[GEN_AI.RESPONSE_FINISH_REASONS];
  return Array.isArray(reasons) && typeof reasons[0] === "string" ? reasons[0] : "error";
}

function oneMessage(role: unknown, parts: GenAiPart[], reason: string): GenAiOutputMessage[] {
  return [{ role: string(role) ?? "assistant", parts, finish_reason: reason }];
}

/** OpenAI chat choices, whole: one output message each, in the order of their `index`. */
function chatChoices(choices: unknown[]): GenAiOutputMessage[] {
  return choices.map(object).filter((c): c is Json => c !== undefined)
    .sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0))
    .map((c) => {
      const m = object(c.message) ?? {};
      // A text completion's choice has its `text` where a chat choice has its message.
      const parts = contentParts(m.content ?? c.text);
      if (typeof m.refusal === "string") parts.push({ type: "refusal", content: m.refusal });
      parts.push(...toolCallParts(m));
      return {
        role: string(m.role) ?? "assistant",
        parts,
        finish_reason: string(c.finish_reason) ?? "error",
      };
    });
}

/** An OpenAI Responses `response`: its output items are one answer's parts. */
function responseParts(response: Json): GenAiPart[] {
  const parts: GenAiPart[] = [];
  for (const item of Array.isArray(response.output) ? response.output : []) {
    const o = object(item);
    if (o === undefined) continue;
    if (o.type === "message") parts.push(...contentParts(o.content));
    else {
      const part = partOf(o);
      if (part !== undefined) parts.push(part);
    }
  }
  return parts;
}

/** A chat stream's choices, put back together from their deltas. */
function chatStream(events: StreamEvent[]): GenAiOutputMessage[] {
  interface Call {
    id: string | null;
    name: string;
    args: string;
  }
  interface Choice {
    role: string;
    text: string;
    refusal: string | undefined;
    calls: Map<number, Call>;
    reason: string | undefined;
  }
  const choices = new Map<number, Choice>();
  for (const { data } of events) {
    if (!Array.isArray(data?.choices)) continue;
    for (const value of data.choices) {
      const c = object(value);
      if (c === undefined) continue;
      const index = typeof c.index === "number" ? c.index : 0;
      let choice = choices.get(index);
      if (choice === undefined) {
        choice = {
          role: "assistant",
          text: "",
          refusal: undefined,
          calls: new Map(),
          reason: undefined,
        };
        choices.set(index, choice);
      }
      const delta = object(c.delta) ?? {};
      if (typeof delta.role === "string") choice.role = delta.role;
      if (typeof delta.content === "string") choice.text += delta.content;
      else if (typeof c.text === "string") choice.text += c.text;
      if (typeof delta.refusal === "string") {
        choice.refusal = (choice.refusal ?? "") + delta.refusal;
      }
      for (const tc of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        const t = object(tc);
        if (t === undefined) continue;
        const at = typeof t.index === "number" ? t.index : 0;
        const call = choice.calls.get(at) ?? { id: null, name: "", args: "" };
        choice.calls.set(at, call);
        if (typeof t.id === "string") call.id = t.id;
        const fn = object(t.function);
        if (typeof fn?.name === "string") call.name += fn.name;
        if (typeof fn?.arguments === "string") call.args += fn.arguments;
      }
      if (typeof c.finish_reason === "string") choice.reason = c.finish_reason;
    }
  }
  return [...choices.entries()].sort(([a], [b]) => a - b).map(([, c]) => {
    const parts: GenAiPart[] = c.text === "" ? [] : [textPart(c.text)];
    if (c.refusal !== undefined) parts.push({ type: "refusal", content: c.refusal });
    for (const [, call] of [...c.calls.entries()].sort(([a], [b]) => a - b)) {
      parts.push({
        type: "tool_call",
        id: call.id,
        name: call.name,
        arguments: callArguments(call.args),
      });
    }
    return { role: c.role, parts, finish_reason: c.reason ?? "error" };
  });
}

/** A Responses stream: the final `response` when it came, else the items done and text deltas. */
function responsesStream(
  events: StreamEvent[],
  reader: ProviderResponseReader,
): GenAiOutputMessage[] {
  let final: Json | undefined;
  const done: unknown[] = [];
  let text = "";
  for (const e of events) {
    const type = typeOf(e);
    const response = object(e.data?.response);
    if (
      response !== undefined &&
      (type === "response.completed" || type === "response.incomplete" ||
        type === "response.failed")
    ) final = response;
    else if (type === "response.output_item.done") done.push(e.data?.item);
    else if (type === "response.output_text.delta" && typeof e.data?.delta === "string") {
      text += e.data.delta;
    }
  }
  const parts = final !== undefined
    ? responseParts(final)
    : done.length > 0
    ? responseParts({ output: done })
    : text === ""
    ? []
    : [textPart(text)];
  return oneMessage("assistant", parts, readReason(reader));
}

/** An Anthropic stream: the message of `message_start`, its blocks filled in by their deltas. */
function anthropicStream(
  events: StreamEvent[],
  reader: ProviderResponseReader,
): GenAiOutputMessage[] {
  let role: unknown = "assistant";
  const blocks: Json[] = [];
  const json = new Map<number, string>();
  for (const { data } of events) {
    if (data === undefined) continue;
    const index = typeof data.index === "number" ? data.index : 0;
    switch (data.type) {
      case "message_start":
        role = object(data.message)?.role ?? role;
        break;
      case "content_block_start": {
        const block = object(data.content_block);
        if (block !== undefined) blocks[index] = { ...block };
        break;
      }
      case "content_block_delta": {
        const block = blocks[index];
        const delta = object(data.delta);
        if (block === undefined || delta === undefined) break;
        if (typeof delta.text === "string") block.text = String(block.text ?? "") + delta.text;
        if (typeof delta.thinking === "string") {
          block.thinking = String(block.thinking ?? "") + delta.thinking;
        }
        if (typeof delta.partial_json === "string") {
          json.set(index, (json.get(index) ?? "") + delta.partial_json);
        }
        break;
      }
    }
  }
  for (const [index, text] of json) {
    const block = blocks[index];
    if (block !== undefined && text !== "") block.input = callArguments(text);
  }
  return oneMessage(role, contentParts(blocks.filter((b) => b !== undefined)), readReason(reader));
}

/**
 * What a response body says the model answered, as `gen_ai.output.messages`: one message per
 * choice (OpenAI chat's `choices`; one for a Responses `output` or an Anthropic message), with
 * its text, refusal, tool calls (arguments parsed) and reasoning. A stream (the events
 * `captureFetch` writes, as a list or as `{ format: "sse", events }`) is put back together: a
 * chat stream's deltas by choice and tool call, a Responses stream's final `response`, an
 * Anthropic stream's content blocks. `finish_reason` is the provider's own word, as the span's
 * `gen_ai.response.finish_reasons` has it (`error` when it never came, a stream cut short).
 *
 * @param body A `provider.response` body.
 * @returns The messages, or `null` when the body is no answer these APIs give.
 *
 * @example A chat stream that called a tool
 * ```ts
 * import { outputMessages } from "./genai_messages.ts";
 * const chunk = (delta: unknown, finish_reason: string | null = null) =>
 *   ({ data: { choices: [{ index: 0, delta, finish_reason }] } });
 * const [message] = outputMessages([
 *   chunk({ role: "assistant", tool_calls: [{ index: 0, id: "c1", function: { name: "weather", arguments: "" } }] }),
 *   chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
 *   chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }, "tool_calls"),
 *   { data: "[DONE]" },
 * ]) ?? [];
 * if (message.finish_reason !== "tool_calls") throw new Error(message.finish_reason);
 * if (JSON.stringify(message.parts) !== '[{"type":"tool_call","id":"c1","name":"weather","arguments":{"city":"Oslo"}}]') {
 *   throw new Error(JSON.stringify(message.parts));
 * }
 * ```
 */
export function outputMessages(body: unknown): GenAiOutputMessage[] | null {
  const value = parsed(body);
  const wrapped = object(value);
  const list = Array.isArray(value)
    ? value
    : wrapped?.format === "sse" && Array.isArray(wrapped.events)
    ? wrapped.events
    : undefined;
  if (list !== undefined) {
    const events = streamEvents(list);
    const api = streamApi(events);
    if (api === "openai.chat") return chatStream(events);
    if (api === "unknown") return null;
    const reader = new ProviderResponseReader(api);
    for (const e of events) if (e.data !== undefined) reader.event(e.event, e.data);
    return api === "openai.responses"
      ? responsesStream(events, reader)
      : anthropicStream(events, reader);
  }
  const b = wrapped;
  if (b === undefined) return null;
  if (Array.isArray(b.choices)) return chatChoices(b.choices);
  if (b.object === "response" || (Array.isArray(b.output) && b.status !== undefined)) {
    const reader = new ProviderResponseReader("openai.responses");
    reader.json(b);
    return oneMessage("assistant", responseParts(b), readReason(reader));
  }
  if (Array.isArray(b.content) && (b.type === "message" || b.role === "assistant")) {
    const reader = new ProviderResponseReader("anthropic.messages");
    reader.json(b);
    return oneMessage(b.role, contentParts(b.content), readReason(reader));
  }
  return null;
}

/** The operations whose bodies are a conversation (an embeddings call's `input` is not). */
const CONVERSATION_OPERATIONS: ReadonlySet<unknown> = new Set([
  GEN_AI_OPERATION.CHAT,
  GEN_AI_OPERATION.TEXT_COMPLETION,
  GEN_AI_OPERATION.GENERATE_CONTENT,
]);

/**
 * The content attributes of one model call, from its `provider.request` and
 * `provider.response` bodies, each value the conventions' JSON as a string (how the conventions
 * ask spans to carry them where attributes cannot be structured, and how backends read them).
 * Only for a conversation (`gen_ai.operation.name` `chat`, `text_completion` or
 * `generate_content`), and only what the bodies say: a body the content policy left out gives
 * nothing.
 *
 * @param operation The call's `gen_ai.operation.name`.
 * @param request The request body, or `undefined` when none was captured.
 * @param response The response body, or `undefined` when none was captured.
 * @returns Attribute name → JSON text.
 *
 * @example
 * ```ts
 * import { callContentAttributes } from "./genai_messages.ts";
 * const a = callContentAttributes("chat", { messages: [{ role: "user", content: "hi" }] }, undefined);
 * if (a["gen_ai.input.messages"] !== '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]') {
 *   throw new Error(JSON.stringify(a));
 * }
 * if ("gen_ai.output.messages" in a) throw new Error("no response, no output");
 * if (Object.keys(callContentAttributes("embeddings", { input: "hi" }, undefined)).length !== 0) {
 *   throw new Error("an embedding's input is no message");
 * }
 * ```
 */
export function callContentAttributes(
  operation: unknown,
  request: unknown,
  response: unknown,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!CONVERSATION_OPERATIONS.has(operation)) return out;
  if (request !== undefined) {
    const content = requestContent(request);
    if (content.systemInstructions !== null) {
      out[GEN_AI_CONTENT.SYSTEM_INSTRUCTIONS] = JSON.stringify(content.systemInstructions);
    }
    if (content.inputMessages !== null) {
      out[GEN_AI_CONTENT.INPUT_MESSAGES] = JSON.stringify(content.inputMessages);
    }
    if (content.toolDefinitions !== null) {
      out[GEN_AI_CONTENT.TOOL_DEFINITIONS] = JSON.stringify(content.toolDefinitions);
    }
  }
  if (response !== undefined) {
    const output = outputMessages(response);
    if (output !== null) out[GEN_AI_CONTENT.OUTPUT_MESSAGES] = JSON.stringify(output);
  }
  return out;
}
