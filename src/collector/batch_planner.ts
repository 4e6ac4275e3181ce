/**
 * Records to what the trace store writes, without the database: everything the collector
 * works out from the records alone, so that it can run on another thread than the one
 * writing SQLite (see {@linkcode RowPlan}).
 *
 * @module
 */

import { readUsage, type SpanUsage } from "../genai/usage.ts";
import { hashTraceId, turnTraceId } from "../trace_id.ts";
import { RecentMap } from "./recent_map.ts";
import {
  EV_CLOSE,
  EV_CLOSED,
  EV_SETTLE_LOG,
  EV_SETTLE_SPAN,
  jsonColumn,
  LOG_COLUMNS,
  LOG_CONVERSATION,
  LOG_TRACE,
  LOG_TURN_KEY,
  type PlanValue,
  type RowPlan,
  SCOPE_FIELDS,
  SPAN,
  SPAN_COLUMNS,
  textColumn,
} from "./row_plan.ts";
import { otlpTraceId } from "./trace_ids.ts";

/** How many spans' and turns' trace ids the planner remembers at least. */
export const REMEMBERED_TRACES = 100_000;

/** A record read back, before its fields are checked. */
type Loose = { readonly kind: string; readonly [field: string]: unknown };

/** What the planner keeps of a span opened in the batch until its close. */
interface OpenInBatch {
  /** Its row in the batch's spans. */
  row: number;
  attributes: Record<string, unknown> | undefined;
  links: unknown[] | undefined;
  usage: SpanUsage;
}

const TRACE_HEX = /^[0-9a-f]{32}$/;
/** A remembered trace id that the planner could not settle: `?` and the anchor span id. */
const UNSETTLED = "?";

/**
 * The trace ids of the spans of recent batches, by span id: at least
 * {@linkcode REMEMBERED_TRACES} spans. Most records carry a turn id, and their trace comes
 * from it; only a record without one asks for its parent's. So each batch's spans are
 * kept as pairs, and indexed the first time one of them is asked for.
 */
class RecentTraces {
  /** Earlier batches, newest last: `[spanId, traceId, …]`, and their index once built. */
  private batches: { pairs: string[]; index?: Map<string, string> }[] = [];
  private current: { pairs: string[]; index?: Map<string, string> } = { pairs: [] };

  set(spanId: string, trace: string): void {
    this.current.pairs.push(spanId, trace);
    this.current.index?.set(spanId, trace);
  }

  get(spanId: string): string | undefined {
    const found = indexOf(this.current).get(spanId);
    if (found !== undefined) return found;
    for (let i = this.batches.length - 1; i >= 0; i--) {
      const trace = indexOf(this.batches[i]).get(spanId);
      if (trace !== undefined) return trace;
    }
    return undefined;
  }

  /** Closes the current batch; forgets the oldest batches beyond what must be kept. */
  endBatch(): void {
    this.batches.push(this.current);
    this.current = { pairs: [] };
    let kept = 0;
    for (let i = this.batches.length - 1; i >= 0; i--) {
      if (kept >= REMEMBERED_TRACES) {
        this.batches.splice(0, i + 1);
        break;
      }
      kept += this.batches[i].pairs.length / 2;
    }
  }

  clear(): void {
    this.batches = [];
    this.current = { pairs: [] };
  }
}

function indexOf(batch: { pairs: string[]; index?: Map<string, string> }): Map<string, string> {
  if (batch.index === undefined) {
    const index = new Map<string, string>();
    for (let i = 0; i < batch.pairs.length; i += 2) index.set(batch.pairs[i], batch.pairs[i + 1]);
    batch.index = index;
  }
  return batch.index;
}

/**
 * A span's attributes once its close is merged over its open: the close's over the open's.
 * The one rule, for a close in the open's batch (the planner) or in a later one (the store).
 *
 * @param open The open's attributes.
 * @param close The close's.
 * @returns The merged attributes (`{}` when neither has any).
 */
export function mergedAttributes(
  open: Record<string, unknown> | undefined,
  close: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  return close === undefined || close === null ? open ?? {} : { ...open, ...close };
}

/**
 * A span's links once its close is merged over its open: the close's added, but for those
 * to a span the open already links.
 *
 * @param open The open's links.
 * @param close The close's `links` field, as read.
 * @returns The merged links (the open's when the close has none).
 */
export function mergedLinks(open: unknown[] | undefined, close: unknown): unknown[] | undefined {
  if (!Array.isArray(close) || close.length === 0) return open;
  const links = open === undefined ? [] : open.slice();
  for (const link of close as { spanId: string }[]) {
    if (!links.some((known) => (known as { spanId: string }).spanId === link.spanId)) {
      links.push(link);
    }
  }
  return links;
}

/** A batch being planned: its sections, built side by side. */
class Draft {
  logs: PlanValue[] = [];
  spans: PlanValue[] = [];
  scopes: PlanValue[] = [];
  events: PlanValue[] = [];
  kinds: number[] = [];
  /** Scope index by `conversation \0 turn`. */
  scopeIndex = new Map<string, number>();
  /** The last scope asked for: records of one turn come in runs. */
  lastConversation: string | null = null;
  lastTurn: string | null = null;
  lastScope = -1;
  /** Spans opened in the batch and not yet closed, by span id. */
  open = new Map<string, OpenInBatch>();
  ignored = 0;
  spanOpens = 0;
  spanCloses = 0;

  /** The index of a scope among the batch's (added when new), its times widened to `time`. */
  scope(conversation: string | null, turn: string | null, time: number): number | null {
    if (conversation === null && turn === null) return null;
    let index = this.lastScope;
    if (conversation !== this.lastConversation || turn !== this.lastTurn) {
      const key = `${conversation ?? "\u0001"}\u0000${turn ?? "\u0001"}`;
      let found = this.scopeIndex.get(key);
      if (found === undefined) {
        found = this.scopes.length / SCOPE_FIELDS;
        this.scopeIndex.set(key, found);
        const trace = turn === null ? null : turnTraceId(conversation ?? undefined, turn);
        this.scopes.push(conversation, turn, time, time, trace);
      }
      index = this.lastScope = found;
      this.lastConversation = conversation;
      this.lastTurn = turn;
    }
    const at = index * SCOPE_FIELDS;
    if (time < (this.scopes[at + 2] as number)) this.scopes[at + 2] = time;
    if (time > (this.scopes[at + 3] as number)) this.scopes[at + 3] = time;
    return index;
  }

  event(kind: number, ...fields: PlanValue[]): void {
    this.kinds.push(kind);
    for (const field of fields) this.events.push(field);
  }
}

/**
 * Plans batches of records, remembering across batches the trace ids of recent spans and
 * turns (a child joins its parent's trace, every record of a turn shares one).
 *
 * @example A span opened and closed in one batch is one row
 * ```ts
 * import { BatchPlanner } from "./batch_planner.ts";
 * import { SPAN_COLUMNS } from "./row_plan.ts";
 * const plan = new BatchPlanner().plan([
 *   { kind: "span-open", spanId: "s", name: "llm", timestamp: 1, extensionId: "host" },
 *   { kind: "span-close", spanId: "s", name: "llm", timestamp: 9, durationMs: 8, status: "ok", extensionId: "host" },
 * ]);
 * const rows = plan.spans.length / SPAN_COLUMNS;
 * if (rows !== 1 || plan.spanCloses !== 1) throw new Error(String(rows));
 * ```
 */
export class BatchPlanner {
  /** Trace ids of recent spans (or `?anchor` when unsettled), by span id. */
  private traces = new RecentTraces();
  /** Trace ids of recent turns: derived by a hash that every record of a turn would repeat. */
  private turnTraces = new RecentMap<string, string>(REMEMBERED_TRACES);
  /** The span id of the last lookup that missed, while planning one record. */
  private missed: string | undefined;
  /** The last turn's trace id: records of one turn come in runs. */
  private lastTurn: { conversation: string; turn: string; trace: string } | undefined;

  private lookup = (spanId: string): string | undefined => {
    const known = this.traces.get(spanId);
    if (known === undefined) this.missed = spanId;
    else if (known.startsWith(UNSETTLED)) this.missed = known.slice(1);
    else return known;
    return undefined;
  };

  /**
   * The record's trace id and anchor: its own `traceId` when valid, else the turn's, else
   * its parent's (or its own span's) when remembered; when not, the anchor names the span
   * id for the store to look up, and the trace id is the one derived from it.
   */
  private trace(r: Loose): [trace: string | null, anchor: string | null] {
    const own = r.traceId;
    if (typeof own === "string" && TRACE_HEX.test(own)) return [own, null];
    const turn = r.turnId;
    if (own === undefined && typeof turn === "string") {
      // The turn rule of otlpTraceId: the trace depends on the conversation and turn only.
      const conversation = typeof r.conversationId === "string" ? r.conversationId : "";
      const last = this.lastTurn;
      if (last !== undefined && last.turn === turn && last.conversation === conversation) {
        return [last.trace, null];
      }
      const key = `${conversation.length}:${conversation}${turn}`;
      let trace = this.turnTraces.get(key);
      if (trace === undefined) {
        trace = otlpTraceId(r) as string;
        this.turnTraces.set(key, trace);
      }
      this.lastTurn = { conversation, turn, trace };
      return [trace, null];
    }
    this.missed = undefined;
    const trace = otlpTraceId(r, this.lookup) ?? null;
    const anchor = this.missed;
    return anchor === undefined ? [trace, null] : [hashTraceId(`span:${anchor}`), anchor];
  }

  /**
   * What the store writes for a batch.
   *
   * @param records The batch's records, oldest first (parsed, fields unchecked).
   * @returns The plan.
   */
  plan(records: Iterable<unknown>): RowPlan {
    const draft = new Draft();
    for (const record of records) {
      const r = record as Loose;
      const time = r.timestamp;
      if (typeof time !== "number" || !Number.isFinite(time)) draft.ignored++;
      else if (r.kind === "log") this.log(draft, r, time);
      else if (typeof r.spanId !== "string") draft.ignored++;
      else if (r.kind === "span-open") this.open(draft, r, r.spanId, time);
      else if (r.kind === "span-close") this.close(draft, r, r.spanId, time);
      else draft.ignored++;
    }
    return this.finish(draft);
  }

  private log(draft: Draft, r: Loose, time: number): void {
    const [trace, anchor] = this.trace(r);
    const conversation = textColumn(r.conversationId);
    const turn = textColumn(r.turnId);
    if (anchor !== null) draft.event(EV_SETTLE_LOG, draft.logs.length / LOG_COLUMNS, anchor);
    draft.logs.push(
      time,
      String(r.level ?? "info"),
      String(r.msg ?? ""),
      String(r.extensionId ?? ""),
      conversation,
      turn,
      textColumn(r.spanId),
      trace,
      jsonColumn(r.attributes),
      jsonColumn(r.body),
      draft.scope(conversation, turn, time),
    );
  }

  private open(draft: Draft, r: Loose, spanId: string, time: number): void {
    const own = r.attributes as Record<string, unknown> | undefined;
    const usage = readUsage(own);
    const [trace, anchor] = this.trace(r);
    this.traces.set(spanId, anchor === null ? trace ?? "" : UNSETTLED + anchor);
    const row = draft.spans.length / SPAN_COLUMNS;
    if (anchor !== null) draft.event(EV_SETTLE_SPAN, row, anchor);
    const extensionId = String(r.extensionId ?? "");
    const conversation = textColumn(r.conversationId);
    const turn = textColumn(r.turnId);
    const links = Array.isArray(r.links) && r.links.length > 0 ? r.links : undefined;
    draft.spans.push(
      spanId,
      textColumn(r.parentSpanId),
      trace,
      String(r.name ?? ""),
      time,
      null,
      null,
      "open",
      extensionId,
      conversation,
      turn,
      // Attributes and links stay values until the batch ends: a close may merge into them.
      (own ?? {}) as unknown as PlanValue,
      (links ?? []) as unknown as PlanValue,
      jsonColumn(r.body),
      0,
      usage.model,
      usage.inputTokens,
      usage.outputTokens,
      usage.costUsd,
      draft.scope(conversation, turn, time),
      null,
      null,
    );
    draft.open.set(spanId, { row, attributes: own, links, usage });
    draft.spanOpens++;
  }

  private close(draft: Draft, r: Loose, spanId: string, time: number): void {
    draft.spanCloses++;
    const own = r.attributes as Record<string, unknown> | undefined;
    const status = r.status === "error" ? "error" : "ok";
    const duration = typeof r.durationMs === "number" ? r.durationMs : null;
    const open = draft.open.get(spanId);
    if (open === undefined) {
      const usage = readUsage(own);
      const [trace, anchor] = this.trace(r);
      draft.event(
        EV_CLOSE,
        spanId,
        time,
        duration,
        status,
        String(r.name ?? ""),
        String(r.extensionId ?? ""),
        textColumn(r.conversationId),
        textColumn(r.turnId),
        textColumn(r.parentSpanId),
        own === undefined || own === null ? null : jsonColumn(own),
        Array.isArray(r.links) && r.links.length > 0 ? jsonColumn(r.links) : null,
        jsonColumn(r.links ?? []),
        trace,
        anchor,
        usage.model,
        usage.inputTokens,
        usage.outputTokens,
        usage.costUsd,
      );
      return;
    }
    draft.open.delete(spanId);
    const at = open.row * SPAN_COLUMNS;
    const s = draft.spans;
    const attributes = mergedAttributes(open.attributes, own);
    const links = mergedLinks(open.links, r.links);
    const usage = own === undefined || own === null ? open.usage : readUsage(attributes);
    const openConversation = s[at + SPAN.CONVERSATION] as string | null;
    const openTurn = s[at + SPAN.TURN] as string | null;
    const conversation = openConversation ?? textColumn(r.conversationId);
    const turn = openTurn ?? textColumn(r.turnId);
    s[at + SPAN.PARENT] ??= textColumn(r.parentSpanId);
    s[at + 5] = time;
    s[at + SPAN.DURATION] = duration;
    s[at + SPAN.STATUS] = status;
    s[at + SPAN.CONVERSATION] = conversation;
    s[at + SPAN.TURN] = turn;
    s[at + SPAN.ATTRIBUTES] = attributes as unknown as PlanValue;
    s[at + SPAN.LINKS] = (links ?? []) as unknown as PlanValue;
    s[at + SPAN.MODEL] = usage.model;
    s[at + SPAN.INPUT] = usage.inputTokens;
    s[at + SPAN.OUTPUT] = usage.outputTokens;
    s[at + SPAN.COST] = usage.costUsd;
    s[at + SPAN.TURN_KEY] = draft.scope(conversation, turn, time);
    draft.event(EV_CLOSED, open.row, duration);
  }

  private finish(draft: Draft): RowPlan {
    const { logs, spans, scopes } = draft;
    // A row of a scope leaves what the scope says to the store.
    for (let at = 0; at < logs.length; at += LOG_COLUMNS) {
      const scope = logs[at + LOG_TURN_KEY] as number | null;
      if (scope === null) continue;
      logs[at + LOG_CONVERSATION] = null;
      logs[at + LOG_CONVERSATION + 1] = null;
      if (logs[at + LOG_TRACE] === scopes[scope * SCOPE_FIELDS + 4]) logs[at + LOG_TRACE] = null;
    }
    for (let at = 0; at < spans.length; at += SPAN_COLUMNS) {
      // Attributes and links as JSON text, once per span (the merged ones when it closed).
      spans[at + SPAN.ATTRIBUTES] = jsonColumn(spans[at + SPAN.ATTRIBUTES]);
      const links = spans[at + SPAN.LINKS] as unknown as unknown[];
      spans[at + SPAN.LINKS] = links.length === 0 ? "[]" : jsonColumn(links);
      const scope = spans[at + SPAN.TURN_KEY] as number | null;
      if (scope === null) continue;
      spans[at + SPAN.CONVERSATION] = null;
      spans[at + SPAN.TURN] = null;
      if (spans[at + SPAN.TRACE] === scopes[scope * SCOPE_FIELDS + 4]) {
        spans[at + SPAN.TRACE] = null;
      }
    }
    this.traces.endBatch();
    return {
      logs: draft.logs,
      spans,
      scopes: draft.scopes,
      events: draft.events,
      eventKinds: draft.kinds,
      ignored: draft.ignored,
      spanOpens: draft.spanOpens,
      spanCloses: draft.spanCloses,
    };
  }

  /** Forgets the trace ids remembered (after a rolled-back batch). */
  clear(): void {
    this.traces.clear();
    this.turnTraces.clear();
    this.lastTurn = undefined;
  }
}
