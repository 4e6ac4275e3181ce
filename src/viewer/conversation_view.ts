/**
 * A conversation as the viewer's chat view shows it (`/api/conversation?id=`): its turns in
 * order, each read from the turn's own spans: the prompt (the turn's `prompt:before`, else its
 * first model call's input), the tool calls with their status, the answer (its last model
 * call's output), tokens, cost and duration. Pure: both sources build the turns' views and
 * hand them here.
 *
 * @module
 */

import type { LogEntry } from "../records.ts";
import { PROMPT_BEFORE } from "../genai/capture_prompt.ts";
import {
  GEN_AI_CONTENT,
  type GenAiMessage,
  outputMessages,
  requestContent,
} from "../genai/genai_messages.ts";
import { bodyText, cutText } from "./model_call_view.ts";
import {
  type ConversationSummary,
  type CutText,
  type TraceView,
  type TurnStatus,
  turnStatus,
  type WaterfallSpan,
} from "./view_model.ts";
import { conversationTotals } from "./conversation_totals.ts";

/** Characters of a prompt or an answer the chat view sends (the turn's waterfall has it all). */
export const CHAT_CUT_CHARS = 4_000;

/** A tool call of a turn. */
export interface ChatToolCall {
  /** The tool's name (`gen_ai.tool.name`, else the span's name). */
  name: string;
  /** Its span, for the link into the waterfall. */
  spanId: string;
  /** How it ended. */
  status: TurnStatus;
  /** How long it ran, when closed. */
  durationMs?: number;
}

/** One turn of the chat view. */
export interface ChatTurn {
  /** The turn. */
  turnId: string;
  /** Its first span's name. */
  name: string;
  /** Earliest span start, ms since the epoch. */
  start: number;
  /** Latest end or start seen. */
  end: number;
  /** ok, error or open. */
  status: TurnStatus;
  /** Spans, failed spans. */
  spans: number;
  /** Failed spans. */
  errors: number;
  /** Input tokens over its spans. */
  inputTokens: number;
  /** Output tokens over its spans. */
  outputTokens: number;
  /** Known cost, USD; absent when none known. */
  costUsd?: number;
  /** What the user asked: the last user message of the prompt; `null` when none was recorded. */
  prompt: CutText | null;
  /** Where the prompt came from. */
  promptFrom: "prompt:before" | "model call" | null;
  /** Its tool calls, in the order they started. */
  tools: ChatToolCall[];
  /** What the model answered last; `null` when not recorded. */
  answer: CutText | null;
}

/** What `/api/conversation?id=` answers. */
export interface ConversationView {
  /** The conversation. */
  conversationId: string;
  /** Its turns, oldest first. */
  turns: ChatTurn[];
  /** Its totals. */
  totals: ConversationSummary;
}

const TOOL_NAME = "gen_ai.tool.name";
const OPERATION = "gen_ai.operation.name";
const MODEL_OPERATIONS = new Set(["chat", "text_completion", "generate_content"]);

function isTool(span: WaterfallSpan): boolean {
  const op = span.attributes[OPERATION];
  return op === "execute_tool" || span.name.startsWith("execute_tool") ||
    typeof span.attributes[TOOL_NAME] === "string";
}

function logOf(span: WaterfallSpan, msg: string): LogEntry | undefined {
  return span.logs.find((entry) => entry.msg === msg);
}

function isModelCall(span: WaterfallSpan): boolean {
  return logOf(span, "provider.request") !== undefined ||
    MODEL_OPERATIONS.has(String(span.attributes[OPERATION])) ||
    span.attributes[GEN_AI_CONTENT.INPUT_MESSAGES] !== undefined;
}

function partsText(message: GenAiMessage | undefined): string | null {
  if (!message) return null;
  const texts = message.parts.flatMap((part) =>
    part.type === "text" && typeof part.content === "string" ? [part.content] : []
  );
  return texts.length > 0 ? texts.join("\n") : null;
}

/** The last user message's text of a prompt or request body; the body as text otherwise. */
function userText(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  const messages = requestContent(body).inputMessages;
  if (messages !== null) {
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i].role === "user") {
        const text = partsText(messages[i]);
        if (text !== null) return text;
      }
    }
  }
  return typeof body === "string" ? body : bodyText(body);
}

function answerText(span: WaterfallSpan): string | null {
  const response = logOf(span, "provider.response");
  const out = response ? outputMessages(response.body) : null;
  const text = partsText(out?.[0]) ??
    partsText(outputMessages(span.attributes[GEN_AI_CONTENT.OUTPUT_MESSAGES])?.[0]);
  return text;
}

/**
 * One turn of the chat view, from the turn's view.
 *
 * @param turnId The turn.
 * @param view Its spans, as a source builds them (with their costs).
 * @returns The turn as the chat view shows it.
 *
 * @example
 * ```ts
 * import { chatTurn } from "./conversation_view.ts";
 * import { flattenForest } from "./view_model.ts";
 * import { reconstructTraces } from "../traces/traces.ts";
 * const at = { extensionId: "host", turnId: "t1" };
 * const view = flattenForest(reconstructTraces([
 *   { kind: "span-open", spanId: "turn", name: "turn", timestamp: 1, ...at },
 *   { kind: "log", level: "info", msg: "prompt:before", timestamp: 2, spanId: "turn", ...at,
 *     body: [{ role: "user", content: "Weather in Oslo?" }] },
 *   { kind: "span-open", spanId: "w", parentSpanId: "turn", name: "execute_tool weather", timestamp: 3, ...at },
 *   { kind: "span-close", spanId: "w", parentSpanId: "turn", name: "execute_tool weather", timestamp: 5,
 *     durationMs: 2, status: "error", ...at },
 *   { kind: "span-close", spanId: "turn", name: "turn", timestamp: 9, durationMs: 8, status: "ok", ...at },
 * ]));
 * const turn = chatTurn("t1", view);
 * if (turn.prompt?.text !== "Weather in Oslo?" || turn.tools[0].status !== "error" || turn.end !== 9) {
 *   throw new Error(JSON.stringify(turn));
 * }
 * ```
 */
export function chatTurn(turnId: string, view: TraceView): ChatTurn {
  let start = Infinity;
  let end = -Infinity;
  let name = "";
  let errors = 0;
  let open = 0;
  let prompt: string | null = null;
  let promptAt = Infinity;
  let promptFrom: ChatTurn["promptFrom"] = null;
  let firstCall: WaterfallSpan | undefined;
  let lastAnswer: { at: number; text: string } | undefined;
  const tools: ChatToolCall[] = [];
  const toolStarts = new Map<ChatToolCall, number>();
  for (const span of view.spans) {
    if (span.start < start) {
      start = span.start;
      name = span.name;
    }
    const spanEnd = span.end ?? span.start;
    if (spanEnd > end) end = spanEnd;
    for (const entry of span.logs) if (entry.timestamp > end) end = entry.timestamp;
    if (span.status === "error") errors++;
    if (span.status === "open") open++;
    const before = logOf(span, PROMPT_BEFORE);
    if (before && before.timestamp < promptAt) {
      const text = userText(before.body);
      if (text !== null) {
        prompt = text;
        promptAt = before.timestamp;
        promptFrom = "prompt:before";
      }
    }
    if (isTool(span)) {
      const tool: ChatToolCall = {
        name: typeof span.attributes[TOOL_NAME] === "string"
          ? span.attributes[TOOL_NAME] as string
          : span.name,
        spanId: span.spanId,
        status: span.status,
      };
      if (span.durationMs !== undefined) tool.durationMs = span.durationMs;
      tools.push(tool);
      toolStarts.set(tool, span.start);
    } else if (isModelCall(span)) {
      if (!firstCall || span.start < firstCall.start) firstCall = span;
      const text = answerText(span);
      if (text !== null && (!lastAnswer || span.start >= lastAnswer.at)) {
        lastAnswer = { at: span.start, text };
      }
    }
  }
  if (prompt === null && firstCall) {
    const request = logOf(firstCall, "provider.request");
    prompt = userText(request?.body ?? firstCall.attributes[GEN_AI_CONTENT.INPUT_MESSAGES]);
    if (prompt !== null) promptFrom = "model call";
  }
  tools.sort((a, b) => toolStarts.get(a)! - toolStarts.get(b)!);
  const turn: ChatTurn = {
    turnId,
    name,
    start: Number.isFinite(start) ? start : 0,
    end: Number.isFinite(end) ? end : 0,
    status: turnStatus(open, errors),
    spans: view.spans.length,
    errors,
    inputTokens: view.inputTokens,
    outputTokens: view.outputTokens,
    prompt: prompt === null ? null : cutText(prompt, CHAT_CUT_CHARS),
    promptFrom,
    tools,
    answer: lastAnswer ? cutText(lastAnswer.text, CHAT_CUT_CHARS) : null,
  };
  if (view.costUsd !== undefined) turn.costUsd = view.costUsd;
  return turn;
}

/**
 * A conversation's chat view from its turns' views.
 *
 * @param conversationId The conversation.
 * @param views Each turn's view, by turn id.
 * @returns Its turns oldest first (by start, then id), and its totals.
 */
export function conversationView(
  conversationId: string,
  views: ReadonlyMap<string, TraceView>,
): ConversationView {
  const turns = [...views].map(([turnId, view]) => chatTurn(turnId, view));
  turns.sort((a, b) => a.start - b.start || (a.turnId < b.turnId ? -1 : 1));
  const [totals] = conversationTotals(
    new Set([conversationId]),
    turns.map((turn) => ({ ...turn, conversationId, extensions: [], open: 0 })),
  );
  return { conversationId, turns, totals };
}
