/**
 * One line of the viewer's turn list as the journal source builds it, a record at a time: a
 * turn, or a trace whose records carry no turn. What it counts, and how a trace's line is
 * folded into the turn that adopts it.
 *
 * @module
 */

import type { ViewerRecord } from "./viewer_record.ts";
import { turnStatus, type TurnSummary } from "./view_model.ts";
import { readToolName } from "../genai/tool_name.ts";
import { mergeAttributes } from "../traces/span_merge.ts";
import { readUsage, type SpanUsage } from "../genai/usage.ts";
import { type CostOf, roundCost } from "./span_cost.ts";

/** What a span's open counted, so its close can replace it. */
interface OpenCount {
  /** The open record's attributes: a close's are merged over them, as the store merges. */
  attributes: Record<string, unknown>;
  /** The open record's usage. */
  usage: SpanUsage;
  /** Its cost, as counted. */
  cost: number | null;
}

/** A span the line finished counting (its close read): what `/stats` keeps of it. */
export interface ClosedSpan {
  /** The span's usage, its open and close merged. */
  usage: SpanUsage;
  /** Its known cost, USD. */
  cost: number | null;
  /** Its `gen_ai.tool.name` (open and close merged), if a string. */
  tool: string | null;
}

/** What the index keeps per turn (or trace without a turn). */
export interface TurnLine {
  /** What the list shows. */
  summary: TurnSummary;
  /** Distinct span names (for the text filter), at most a few dozen. */
  names: string[];
  /** Distinct models of its spans (the model filter), at most {@linkcode MAX_MODELS}. */
  models: string[];
  /**
   * Distinct `key=value` of its spans' short scalar attributes (the attribute filter), at most
   * {@linkcode MAX_FACTS}.
   */
  facts: string[];
  /** Distinct log messages, cut, at most {@linkcode MAX_MESSAGES} (the text filter). */
  messages: string[];
  /** Open spans: their token counts from the open record, so a close can replace them. */
  openSpans: Map<string, OpenCount> | undefined;
  /** The turn's records, or undefined once evicted (then read from the journal). */
  records: ViewerRecord[] | undefined;
  /** The traces a turn's records carry (at most 16). */
  traceIds: string[] | undefined;
  /**
   * For a trace without a turn: the span ids its records name (their own and their parents'),
   * so a span with a turn that arrives later (over OTLP a parent comes after its children)
   * knows cheaply that it adopts some of them. Once the records are evicted, only the ids
   * they name that are not theirs (the spans they wait for), at most {@linkcode MAX_WAITING}.
   */
  waiting: Set<string> | undefined;
  /** The source's version when a record of this line last arrived. */
  changed: number;
}

/** Span names kept per line for the text filter. */
const MAX_NAMES = 32;

/** Models kept per line for the model filter. */
const MAX_MODELS = 8;
/** `key=value` pairs kept per line for the attribute filter, and the longest value kept. */
const MAX_FACTS = 64;
const MAX_FACT_VALUE = 100;
/** Log messages kept per line for the text filter, and the characters kept of each. */
const MAX_MESSAGES = 32;
const MAX_MESSAGE = 200;

/** Keeps `value` in `list` once, while the list is shorter than `max`. */
function keep(list: string[], value: string, max: number): void {
  if (list.length < max && !list.includes(value)) list.push(value);
}

/** Extensions listed per line. */
const MAX_EXTENSIONS = 16;

/** Span ids a trace whose records were evicted keeps waiting for. */
export const MAX_WAITING = 16;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * A line with nothing counted yet.
 *
 * @param turnId The turn, or undefined for a trace's line.
 * @param traceId The trace of a trace's line.
 * @param time The first record's time.
 * @param keepRecords Whether its records are kept in memory.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { newTurnLine } from "./turn_line.ts";
 * const line = newTurnLine(undefined, "4bf92f3577b34da6a3ce929d0e0e4736", 1, true);
 * if (line.summary.traceId === undefined || line.waiting === undefined) throw new Error("trace");
 * ```
 */
export function newTurnLine(
  turnId: string | undefined,
  traceId: string | undefined,
  time: number,
  keepRecords: boolean,
): TurnLine {
  const summary: TurnSummary = {
    extensions: [],
    name: "",
    start: time,
    end: time,
    status: "ok",
    spans: 0,
    errors: 0,
    open: 0,
    inputTokens: 0,
    outputTokens: 0,
  };
  if (turnId !== undefined) summary.turnId = turnId;
  else summary.traceId = traceId;
  return {
    summary,
    names: [],
    models: [],
    facts: [],
    messages: [],
    openSpans: undefined,
    records: keepRecords ? [] : undefined,
    traceIds: undefined,
    waiting: turnId === undefined ? new Set() : undefined,
    changed: 0,
  };
}

/**
 * Counts one record of the line: its conversation, its span (start, name, status, tokens:
 * a close replaces the tokens its open counted), its time, and for a trace's line the ids
 * it names. Keeping the record and its trace id is the caller's.
 *
 * @param line The line.
 * @param record A record of it, as `viewerRecord` passed it.
 * @param costOf The cost rule (`spanCostOf`); without it only spans' own costs count.
 * @returns For a span's close, the span's usage and cost; else `undefined`.
 *
 * @example
 * ```ts
 * import { countRecord, newTurnLine } from "./turn_line.ts";
 * const line = newTurnLine("t1", undefined, 1, false);
 * const span = { spanId: "s", name: "chat", extensionId: "x" };
 * countRecord(line, { kind: "span-open", timestamp: 1, ...span });
 * countRecord(line, {
 *   kind: "span-close", timestamp: 3, durationMs: 2, status: "error", ...span,
 *   attributes: { "gen_ai.usage.input_tokens": 5 },
 * });
 * const { spans, errors, status, inputTokens } = line.summary;
 * if (spans !== 1 || errors !== 1 || status !== "error" || inputTokens !== 5) throw new Error();
 * ```
 */
export function countRecord(
  line: TurnLine,
  record: ViewerRecord,
  costOf: CostOf = ownCost,
): ClosedSpan | undefined {
  let closed: ClosedSpan | undefined;
  const turn = line.summary;
  const time = record.timestamp as number;
  const conversation = str(record.conversationId);
  if (conversation !== undefined) turn.conversationId ??= conversation;
  const spanId = str(record.spanId);
  if (line.waiting && spanId !== undefined) {
    const parent = record.kind === "log" ? undefined : str(record.parentSpanId);
    if (line.records) {
      line.waiting.add(spanId);
      if (parent !== undefined) line.waiting.add(parent);
    } else if (line.waiting.size < MAX_WAITING) {
      // Without the records, which spans are among them is unknown: their parents are
      // what they may wait for.
      line.waiting.add(parent ?? spanId);
    }
  }
  if (record.kind === "log" && typeof record.msg === "string") {
    keep(line.messages, record.msg.slice(0, MAX_MESSAGE), MAX_MESSAGES);
  }
  if ((record.kind === "span-open" || record.kind === "span-close") && spanId !== undefined) {
    const name = record.name as string;
    const extension = record.extensionId as string;
    if (!turn.extensions.includes(extension) && turn.extensions.length < MAX_EXTENSIONS) {
      turn.extensions.push(extension);
    }
    if (line.names.length < MAX_NAMES && !line.names.includes(name)) line.names.push(name);
    const attributes = (record.attributes ?? {}) as Record<string, unknown>;
    // A close whose open was read starts at the open (close - duration can land before
    // the parent's open when the clock stepped); only a close without one is placed by it.
    const opened = record.kind === "span-close" ? line.openSpans?.get(spanId) : undefined;
    if (record.kind === "span-open" || !opened) {
      const start = record.kind === "span-open" ? time : time - (record.durationMs as number);
      if (turn.spans === 0 || start < turn.start) {
        turn.start = start;
        turn.name = name;
      }
    }
    // Usage by the one reading (`readUsage`, every naming style) of the open's attributes with
    // the close's over them, as the store reads it at ingest.
    if (line.facts.length < MAX_FACTS) {
      for (const key in attributes) {
        const value = attributes[key];
        if (
          (typeof value === "string" && value.length <= MAX_FACT_VALUE) ||
          typeof value === "number" || typeof value === "boolean"
        ) keep(line.facts, `${key}=${value}`, MAX_FACTS);
      }
    }
    const merged = record.kind === "span-close" && opened
      ? mergeAttributes(opened.attributes, attributes)
      : attributes;
    const own = readUsage(merged);
    if (own.model !== null) keep(line.models, own.model, MAX_MODELS);
    if (record.kind === "span-open") {
      const cost = costOf(own);
      turn.spans++;
      turn.inputTokens += own.inputTokens ?? 0;
      turn.outputTokens += own.outputTokens ?? 0;
      addCost(turn, cost);
      (line.openSpans ??= new Map()).set(spanId, { attributes, usage: own, cost });
    } else {
      if (opened) line.openSpans!.delete(spanId);
      else turn.spans++;
      const usage = own;
      const cost = costOf(usage);
      turn.inputTokens += (usage.inputTokens ?? 0) - (opened?.usage.inputTokens ?? 0);
      turn.outputTokens += (usage.outputTokens ?? 0) - (opened?.usage.outputTokens ?? 0);
      if (opened?.cost != null) addCost(turn, -opened.cost);
      addCost(turn, cost);
      if (record.status === "error") turn.errors++;
      closed = { usage, cost, tool: readToolName(merged) };
    }
    turn.open = line.openSpans?.size ?? 0;
    // A finished turn keeps no map: most of the index is finished turns.
    if (turn.open === 0) line.openSpans = undefined;
    turn.status = turnStatus(turn.open, turn.errors);
  }
  if (time > turn.end) turn.end = time;
  return closed;
}

/** Without prices, a span's cost is its own cost attribute. */
const ownCost: CostOf = (usage) => usage.costUsd;

function addCost(turn: TurnSummary, cost: number | null): void {
  if (cost !== null) turn.costUsd = roundCost((turn.costUsd ?? 0) + cost);
}

/**
 * Forgets a line's records (it is read from the journal from then on); a trace's line keeps
 * only the ids its records wait for.
 *
 * @param line A line whose records are kept.
 * @returns How many records it held.
 *
 * @example
 * ```ts
 * import { evictRecords, newTurnLine } from "./turn_line.ts";
 * const line = newTurnLine("t1", undefined, 1, true);
 * line.records!.push({ kind: "log", level: "info", msg: "m", timestamp: 1, extensionId: "x" });
 * if (evictRecords(line) !== 1 || line.records !== undefined) throw new Error("evicted");
 * ```
 */
export function evictRecords(line: TurnLine): number {
  const records = line.records!;
  line.records = undefined;
  if (line.waiting) line.waiting = awaitedBy(records);
  return records.length;
}

/** The ids `records` name that are not theirs: the spans they wait for, at most `MAX_WAITING`. */
function awaitedBy(records: readonly ViewerRecord[]): Set<string> {
  const own = new Set<string>();
  for (const record of records) {
    if (record.kind !== "log" && typeof record.spanId === "string") own.add(record.spanId);
  }
  const awaited = new Set<string>();
  for (const record of records) {
    if (awaited.size >= MAX_WAITING) break;
    const id = record.kind === "log" ? record.spanId : record.parentSpanId;
    if (typeof id === "string" && !own.has(id)) awaited.add(id);
  }
  return awaited;
}

/**
 * Folds a trace's line into the turn that adopts it whole (its records no longer in memory
 * to sort out which descend from the turn's span).
 *
 * @param into The turn's line.
 * @param from The trace's line.
 *
 * @example
 * ```ts
 * import { mergeLine, newTurnLine } from "./turn_line.ts";
 * const turn = newTurnLine("t1", undefined, 5, false);
 * const trace = newTurnLine(undefined, "4bf92f3577b34da6a3ce929d0e0e4736", 2, false);
 * trace.summary.spans = 2;
 * trace.summary.errors = 1;
 * mergeLine(turn, trace);
 * if (turn.summary.spans !== 2 || turn.summary.status !== "error") throw new Error("merged");
 * ```
 */
export function mergeLine(into: TurnLine, from: TurnLine): void {
  const turn = into.summary;
  const trace = from.summary;
  if (trace.conversationId !== undefined) turn.conversationId ??= trace.conversationId;
  for (const extension of trace.extensions) {
    if (!turn.extensions.includes(extension) && turn.extensions.length < MAX_EXTENSIONS) {
      turn.extensions.push(extension);
    }
  }
  for (const name of from.names) {
    if (into.names.length < MAX_NAMES && !into.names.includes(name)) into.names.push(name);
  }
  for (const model of from.models) keep(into.models, model, MAX_MODELS);
  for (const fact of from.facts) keep(into.facts, fact, MAX_FACTS);
  for (const msg of from.messages) keep(into.messages, msg, MAX_MESSAGES);
  if (trace.spans > 0 && (turn.spans === 0 || trace.start < turn.start)) {
    turn.start = trace.start;
    turn.name = trace.name;
  }
  if (trace.end > turn.end) turn.end = trace.end;
  turn.spans += trace.spans;
  turn.errors += trace.errors;
  turn.inputTokens += trace.inputTokens;
  turn.outputTokens += trace.outputTokens;
  if (trace.costUsd !== undefined) addCost(turn, trace.costUsd);
  if (from.openSpans) {
    into.openSpans ??= new Map();
    for (const [spanId, tokens] of from.openSpans) into.openSpans.set(spanId, tokens);
  }
  turn.open = into.openSpans?.size ?? 0;
  if (turn.open === 0) into.openSpans = undefined;
  turn.status = turnStatus(turn.open, turn.errors);
}
