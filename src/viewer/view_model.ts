/**
 * The shapes the viewer's JSON API answers with, and the pure steps that build them from
 * records or a reconstructed forest: shared by the journal and the store sources.
 *
 * @module
 */

import type { LogEntry } from "../records.ts";
import type { TraceForest, TraceSpan } from "../traces/traces.ts";
import { readUsage } from "../genai/usage.ts";
import { type CostOf, roundCost } from "./span_cost.ts";

/** How a turn stands: any span still open makes it open; else any error makes it failed. */
export type TurnStatus = "ok" | "error" | "open";

/**
 * One line of the turn list: a turn, or a trace whose records carry no turn (a journal
 * written by OpenTelemetry instrumentation alone). Exactly one of `turnId` and `traceId`.
 */
export interface TurnSummary {
  /** The turn. */
  turnId?: string;
  /** The trace, for a line that stands for a trace without a turn. */
  traceId?: string;
  /** Its conversation, when recorded. */
  conversationId?: string;
  /** Every extension that wrote a span of it. */
  extensions: string[];
  /** The name of its first span (the turn's or the trace's root). */
  name: string;
  /** Earliest span start, ms since the epoch. */
  start: number;
  /** Latest span end or start seen, ms since the epoch. */
  end: number;
  /** See {@linkcode TurnStatus}. */
  status: TurnStatus;
  /** Spans read. */
  spans: number;
  /** Spans that ended with status `"error"`. */
  errors: number;
  /** Spans without a close. */
  open: number;
  /** Sum of `gen_ai.usage.input_tokens` over its spans, counted by `readUsage`. */
  inputTokens: number;
  /** Sum of `gen_ai.usage.output_tokens` over its spans, counted by `readUsage`. */
  outputTokens: number;
  /**
   * Sum of its spans' known costs in USD (a span's own cost attribute, else its tokens at its
   * model's price with `serve --prices`); absent when no span's cost is known.
   */
  costUsd?: number;
}

/** A conversation's totals over its turns, for the list's group headers. */
export interface ConversationSummary {
  /** The conversation. */
  conversationId: string;
  /** Its turns. */
  turns: number;
  /** Earliest start of its turns, ms since the epoch. */
  start: number;
  /** Latest end of its turns. */
  end: number;
  /** Turns that failed, and that are still open. */
  errors: number;
  /** Input tokens over its turns. */
  inputTokens: number;
  /** Output tokens over its turns. */
  outputTokens: number;
  /** Known cost over its turns, USD; absent when none is known. */
  costUsd?: number;
}

/** The filters and page of a turn list request. */
export interface TurnQuery {
  /** Only this conversation. */
  conversation?: string;
  /** Only turns with a span written by this extension. */
  extension?: string;
  /** Only turns in this state. */
  status?: TurnStatus;
  /** Only turns whose id, conversation, a span name or a log message contains this text. */
  text?: string;
  /** Only turns with a span of this model (`readUsage`'s model). */
  model?: string;
  /** Only turns that ran at least this long, ms. */
  minMs?: number;
  /** Only turns that ran at most this long, ms. */
  maxMs?: number;
  /** Only turns that started at or after this time, ms since the epoch. */
  from?: number;
  /** Only turns that started before this time. */
  to?: number;
  /** Only turns with a span whose attribute `key` is `value` (as text): `key=value`. */
  attribute?: { key: string; value: string };
  /** Turns to skip, newest first. */
  offset: number;
  /** Turns to return. */
  limit: number;
}

/** A page of the turn list, newest first. */
export interface TurnPage {
  /** The turns of the page. */
  turns: TurnSummary[];
  /** Whether older turns follow. */
  more: boolean;
  /** Totals of the conversations of the page's turns. */
  conversations?: ConversationSummary[];
}

/** What `/api/turns` answers: a page of the list, and what the page keeps up to date with. */
export interface TurnListAnswer extends TurnPage {
  /** Records the source could not use. */
  skipped: number;
  /** The source's version (see `/api/version`). */
  version: string;
  /** The server's clock, ms since the epoch: open spans grow to it. */
  now: number;
}

/** What `/api/version` answers. */
export interface VersionAnswer {
  /** Changes whenever records arrive (for `?turn=`, records of that turn). */
  version: string;
  /** The server's clock, ms since the epoch. */
  now: number;
}

/**
 * One row of a waterfall: a span of the trees ({@linkcode TraceSpan}, one span shape) flattened in
 * tree order, with its depth.
 */
export interface WaterfallSpan extends Omit<TraceSpan, "children" | "anomalies"> {
  /** Depth in the tree, 0 for a root. */
  depth: number;
  /** Index of the parent row, or -1. */
  parent: number;
  /** What was odd about it, as text. */
  anomalies: string[];
}

/** A turn's or trace's spans, as a source builds them. */
export interface TraceView {
  /** Every span in tree order (pre-order, children by start). */
  spans: WaterfallSpan[];
  /** Log entries of the turn whose span was not read. */
  orphanLogs: LogEntry[];
  /** Sum of `gen_ai.usage.input_tokens` over every span (the page shows it, it sums nothing). */
  inputTokens: number;
  /** Sum of `gen_ai.usage.output_tokens` over every span. */
  outputTokens: number;
  /** Sum of the spans' known costs in USD; absent when none is known. */
  costUsd?: number;
}

/**
 * The answer for `/api/turn` and `/api/trace`: one page of a {@linkcode TraceView}'s spans
 * (a turn of a million records would be a response of 170 MB otherwise).
 */
export interface TraceViewPage extends TraceView {
  /** Spans in the whole view. */
  total: number;
  /** Index of this page's first span in the whole view. */
  offset: number;
  /** The `offset` of the next page, when spans follow. */
  next?: number;
}

/** Spans in one page of `/api/turn` and `/api/trace`. */
export const SPAN_PAGE = 5000;

/**
 * One page of a view: `SPAN_PAGE` spans from `offset`; the orphan logs with the first page.
 * Row `parent` indexes stay those of the whole view, so pages concatenate.
 */
export function viewPage(view: TraceView, offset: number): TraceViewPage {
  const spans = view.spans.slice(offset, offset + SPAN_PAGE);
  const page: TraceViewPage = {
    spans,
    orphanLogs: offset === 0 ? view.orphanLogs : [],
    inputTokens: view.inputTokens,
    outputTokens: view.outputTokens,
    ...(view.costUsd === undefined ? {} : { costUsd: view.costUsd }),
    total: view.spans.length,
    offset,
  };
  if (offset + spans.length < view.spans.length) page.next = offset + spans.length;
  return page;
}

/** The id a list line stands for: its turn, else its trace. */
export function summaryId(turn: TurnSummary): string {
  return turn.turnId ?? turn.traceId ?? "";
}

/** The status a turn shows for its counts of open and failed spans. */
export function turnStatus(open: number, errors: number): TurnStatus {
  return open > 0 ? "open" : errors > 0 ? "error" : "ok";
}

/**
 * A forest flattened for drawing: pre-order, iteratively (a 10,000-deep chain must not
 * overflow the stack), each row knowing its depth and its parent row; with its token totals,
 * read by `readUsage` (the page shows them and counts nothing).
 */
export function flattenForest(forest: TraceForest, costOf?: CostOf): TraceView {
  const spans: WaterfallSpan[] = [];
  let inputTokens = 0;
  let outputTokens = 0;
  let cost: number | undefined;
  const stack: { span: TraceSpan; depth: number; parent: number }[] = [];
  for (let i = forest.roots.length - 1; i >= 0; i--) {
    stack.push({ span: forest.roots[i], depth: 0, parent: -1 });
  }
  while (stack.length > 0) {
    const { span, depth, parent } = stack.pop()!;
    const index = spans.length;
    const row: WaterfallSpan = {
      depth,
      parent,
      spanId: span.spanId,
      name: span.name,
      extensionId: span.extensionId,
      start: span.start,
      status: span.status,
      attributes: span.attributes,
      links: span.links,
      logs: span.logs,
      anomalies: span.anomalies,
    };
    if (span.parentSpanId !== undefined) row.parentSpanId = span.parentSpanId;
    if (span.conversationId !== undefined) row.conversationId = span.conversationId;
    if (span.turnId !== undefined) row.turnId = span.turnId;
    if (span.end !== undefined) row.end = span.end;
    if (span.durationMs !== undefined) row.durationMs = span.durationMs;
    if (span.body !== undefined) row.body = span.body;
    spans.push(row);
    const usage = readUsage(span.attributes);
    inputTokens += usage.inputTokens ?? 0;
    outputTokens += usage.outputTokens ?? 0;
    const spanCost = costOf?.(usage) ?? usage.costUsd;
    if (spanCost !== null) cost = (cost ?? 0) + spanCost;
    for (let i = span.children.length - 1; i >= 0; i--) {
      stack.push({ span: span.children[i], depth: depth + 1, parent: index });
    }
  }
  const view: TraceView = { spans, orphanLogs: forest.orphanLogs, inputTokens, outputTokens };
  if (cost !== undefined) view.costUsd = roundCost(cost);
  return view;
}

/** Whether a summary passes a query's filters (everything but the text, see below). */
export function matchesQuery(
  turn: TurnSummary,
  query: TurnQuery,
  names: () => Iterable<string>,
  kept?: { models: readonly string[]; facts: readonly string[]; messages: readonly string[] },
): boolean {
  if (query.conversation !== undefined && turn.conversationId !== query.conversation) return false;
  if (query.from !== undefined && turn.start < query.from) return false;
  if (query.to !== undefined && turn.start >= query.to) return false;
  const ran = turn.end - turn.start;
  if (query.minMs !== undefined && ran < query.minMs) return false;
  if (query.maxMs !== undefined && ran > query.maxMs) return false;
  if (query.model !== undefined && !kept?.models.includes(query.model)) return false;
  if (
    query.attribute !== undefined &&
    !kept?.facts.includes(`${query.attribute.key}=${query.attribute.value}`)
  ) return false;
  if (query.extension !== undefined && !turn.extensions.includes(query.extension)) return false;
  if (query.status !== undefined && turn.status !== query.status) return false;
  if (query.text !== undefined && query.text !== "") {
    const needle = query.text.toLowerCase();
    if (summaryId(turn).toLowerCase().includes(needle)) return true;
    if (turn.conversationId?.toLowerCase().includes(needle)) return true;
    for (const name of names()) if (name.toLowerCase().includes(needle)) return true;
    for (const msg of kept?.messages ?? []) if (msg.toLowerCase().includes(needle)) return true;
    return false;
  }
  return true;
}

/**
 * A body as the model-call pane shows it: as text (a string as is, anything else as indented
 * JSON), cut to a length the page draws at once; `chars` and `lines` are the whole text's, so
 * the page can say how much it left out and fetch the rest (`/api/diff?…&part=`).
 */
export interface CutText {
  /** The text, or its first part when `cut`. */
  text: string;
  /** Characters (UTF-16 code units) in the whole text. */
  chars: number;
  /** Lines in the whole text. */
  lines: number;
  /** Whether `text` is only the first part. */
  cut: boolean;
}

/** One message of a prompt difference, its text cut. */
export interface MessageChangeView {
  /** What happened to it between before and after. */
  change: "same" | "added" | "removed" | "changed";
  /** `user`, `assistant`, `tool`, … (the after's role, else the before's). */
  role: string;
  /** Its text before, unless added. */
  before?: CutText;
  /** Its text after, unless removed. */
  after?: CutText;
}

/** A prompt difference (`PromptDiff` of `src/genai/prompt_diff.ts`) with its texts cut. */
export interface PromptDiffView {
  /** The system prompt on each side (`null`: none), and whether it changed. */
  system: { before: CutText | null; after: CutText | null; changed: boolean };
  /** Every message of both sides, in order. */
  messages: MessageChangeView[];
  /** Counts of `messages` by change. */
  counts: { same: number; added: number; removed: number; changed: number };
  /** Tools by name; `null` when the before did not list its tools. */
  tools: { added: string[]; removed: string[]; changed: string[] } | null;
  /** The names of the tools the request carried. */
  afterTools: string[];
}

/** The body parts of a model call that `/api/diff?…&part=` answers whole. */
export type ModelCallPart = "before" | "after" | "response";

/**
 * What `/api/diff?turn=<id>&span=<spanId>` answers: one model call of the turn (a span with a
 * `provider.request`), its before, after, their difference and the response.
 */
export interface ModelCallView {
  /** The call's span. */
  spanId: string;
  /** The span's name (`chat gpt-4o`). */
  name: string;
  /** How it ended. */
  status: TurnStatus;
  /** The `prompt:before` compared with: where and when it was written; `null` when none. */
  beforeAt: { spanId?: string; timestamp: number } | null;
  /** The `prompt:before` body; `null` when the turn wrote none before the call. */
  before: CutText | null;
  /** The `provider.request` body as sent; `null` when not captured. */
  after: CutText | null;
  /** The `provider.response` body; `null` when not captured (yet). */
  response: CutText | null;
  /** The difference; `null` when either side is missing. */
  diff: PromptDiffView | null;
}

/** What `/api/diff?…&part=<part>` answers: that body whole. */
export interface ModelCallPartAnswer {
  /** Which body. */
  part: ModelCallPart;
  /** Its whole text. */
  text: string;
}
