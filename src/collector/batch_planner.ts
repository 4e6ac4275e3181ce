/**
 * Records to what the trace store writes, without the database: everything the collector
 * works out from the records alone, so that it can run on another thread than the one
 * writing SQLite (see {@linkcode RowPlan}).
 *
 * @module
 */

import { readToolName } from "../genai/tool_name.ts";
import { readUsage, type SpanUsage } from "../genai/usage.ts";
import type { Link } from "../records.ts";
import {
  attributesOf,
  closeDuration,
  closeStatus,
  keptText,
  linksOf,
  mergeAttributes,
  mergeLinks,
} from "../traces/span_merge.ts";
import { hashTraceId, isTraceId, turnTraceId } from "../trace_id.ts";
import { RecentMap } from "./recent_map.ts";
import { RecentSpans, REMEMBERED_SPANS, type RememberedScope } from "./recent_spans.ts";
import {
  addRow,
  CLOSE,
  CLOSE_EVENT,
  EV_CLOSE,
  EV_CLOSED,
  EV_INHERIT_LOG,
  EV_INHERIT_SPAN,
  EV_SETTLE_LOG,
  EV_SETTLE_SPAN,
  jsonColumn,
  LOG,
  LOG_COLUMNS,
  type PlanValue,
  type RowPlan,
  SCOPE,
  SCOPE_FIELDS,
  SPAN,
  SPAN_COLUMNS,
  textColumn,
} from "./row_plan.ts";
import { otlpTraceId } from "../otlp/trace_ids.ts";

/** A record read back, before its fields are checked. */
type Loose = { readonly kind: string; readonly [field: string]: unknown };

/** What the planner keeps of a span opened in the batch until its close. */
interface OpenInBatch {
  /** Its row in the batch's spans. */
  row: number;
  attributes: Record<string, unknown> | undefined;
  links: Link[];
  usage: SpanUsage;
}

/** A pending `spans` row, `logs` row, or `EV_CLOSE` event (see `Draft.pending`). */
const PENDING_SPAN = 0;
const PENDING_LOG = 1;
const PENDING_CLOSE = 2;
/** Hops followed from span to waited-on span when the batch ends (a cycle stops there). */
const MAX_HOPS = 64;
/** A remembered trace id that the planner could not settle: `?` and the anchor span id. */
const UNSETTLED = "?";

/** The links of a span whose open has none (never exposed, never written into). */
const NO_LINKS: Link[] = [];

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
  /**
   * Records without a scope whose ancestor's scope was not known when they were planned:
   * `[what (PENDING_*), row or event position, span id waited on, the span's place in the
   * planner's memory]`, settled when the batch ends.
   */
  pending: (number | string)[] = [];

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
        const at = addRow(this.scopes, SCOPE_FIELDS);
        this.scopes[at + SCOPE.conversation_id] = conversation;
        this.scopes[at + SCOPE.turn_id] = turn;
        this.scopes[at + SCOPE.first_ms] = this.scopes[at + SCOPE.last_ms] = time;
        this.scopes[at + SCOPE.trace_id] = turn === null
          ? null
          : turnTraceId(conversation ?? undefined, turn);
      }
      index = this.lastScope = found;
      this.lastConversation = conversation;
      this.lastTurn = turn;
    }
    const at = index * SCOPE_FIELDS;
    if (time < (this.scopes[at + SCOPE.first_ms] as number)) {
      this.scopes[at + SCOPE.first_ms] = time;
    }
    if (time > (this.scopes[at + SCOPE.last_ms] as number)) this.scopes[at + SCOPE.last_ms] = time;
    return index;
  }

  /** Adds an event of two fields (`EV_CLOSED`, and those about one row). */
  event(kind: number, first: PlanValue, second: PlanValue): void {
    this.kinds.push(kind);
    this.events.push(first, second);
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
  /** Trace ids (or `?anchor` when unsettled) and scopes of recent spans, by span id. */
  private spans = new RecentSpans();
  /** Trace ids of recent turns: derived by a hash that every record of a turn would repeat. */
  private turnTraces = new RecentMap<string, string>(REMEMBERED_SPANS);
  /** The span id of the last lookup that missed, while planning one record. */
  private missed: string | undefined;
  /** The last turn's trace id: records of one turn come in runs. */
  private lastTurn: { conversation: string; turn: string; trace: string } | undefined;

  private lookup = (spanId: string): string | undefined => {
    const known = this.spans.trace(spanId);
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
    if (isTraceId(own)) return [own, null];
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
   * The scope a record with neither conversation nor turn inherits from span `id` (its
   * parent; for a log entry, the span it is in): `undefined` without one; a scope whose
   * `conversation` is `undefined` while it waits on the span its `turn` names (not seen
   * yet: later in the batch, or only in the store).
   */
  private inherited(id: unknown): RememberedScope | undefined {
    if (typeof id !== "string") return undefined;
    return this.spans.scope(id) ?? { conversation: undefined, turn: id };
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
    let conversation = textColumn(r.conversationId);
    let turn = textColumn(r.turnId);
    const row = draft.logs.length / LOG_COLUMNS;
    if (conversation === null && turn === null) {
      const scope = this.inherited(r.spanId);
      if (scope?.conversation === undefined) {
        if (scope !== undefined) draft.pending.push(PENDING_LOG, row, scope.turn as string, -1);
      } else [conversation, turn] = [scope.conversation, scope.turn];
    }
    if (anchor !== null) draft.event(EV_SETTLE_LOG, row, anchor);
    const l = draft.logs;
    const at = addRow(l, LOG_COLUMNS);
    l[at + LOG.timestamp_ms] = time;
    l[at + LOG.level] = String(r.level ?? "info");
    l[at + LOG.msg] = String(r.msg ?? "");
    l[at + LOG.extension_id] = String(r.extensionId ?? "");
    l[at + LOG.conversation_id] = conversation;
    l[at + LOG.turn_id] = turn;
    l[at + LOG.span_id] = textColumn(r.spanId);
    l[at + LOG.trace_id] = trace;
    l[at + LOG.attributes] = jsonColumn(r.attributes);
    l[at + LOG.body] = jsonColumn(r.body);
    l[at + LOG.turn_key] = draft.scope(conversation, turn, time);
  }

  private open(draft: Draft, r: Loose, spanId: string, time: number): void {
    const own = attributesOf(r.attributes);
    const usage = readUsage(own);
    const [trace, anchor] = this.trace(r);
    const row = draft.spans.length / SPAN_COLUMNS;
    let conversation = textColumn(r.conversationId);
    let turn = textColumn(r.turnId);
    const scope = conversation === null && turn === null
      ? this.inherited(r.parentSpanId)
      : undefined;
    if (scope?.conversation !== undefined) [conversation, turn] = [scope.conversation, scope.turn];
    const waits = scope !== undefined && scope.conversation === undefined;
    const remembered = this.spans.set(
      spanId,
      anchor === null ? trace ?? "" : UNSETTLED + anchor,
      waits ? undefined : conversation,
      waits ? scope.turn : turn,
    );
    if (waits) draft.pending.push(PENDING_SPAN, row, scope.turn as string, remembered);
    if (anchor !== null) draft.event(EV_SETTLE_SPAN, row, anchor);
    const links = r.links === undefined ? NO_LINKS : linksOf(r.links);
    const s = draft.spans;
    const at = addRow(s, SPAN_COLUMNS);
    s[at + SPAN.span_id] = spanId;
    s[at + SPAN.parent_span_id] = textColumn(r.parentSpanId);
    s[at + SPAN.trace_id] = trace;
    s[at + SPAN.name] = String(r.name ?? "");
    s[at + SPAN.start_ms] = time;
    s[at + SPAN.status] = "open";
    s[at + SPAN.extension_id] = String(r.extensionId ?? "");
    s[at + SPAN.conversation_id] = conversation;
    s[at + SPAN.turn_id] = turn;
    // Attributes and links stay values until the batch ends: a close may merge into them.
    s[at + SPAN.attributes] = (own ?? {}) as unknown as PlanValue;
    s[at + SPAN.links] = links as unknown as PlanValue;
    s[at + SPAN.body] = jsonColumn(r.body);
    s[at + SPAN.close_without_open] = 0;
    s[at + SPAN.model] = usage.model;
    s[at + SPAN.input_tokens] = usage.inputTokens;
    s[at + SPAN.output_tokens] = usage.outputTokens;
    s[at + SPAN.cost_usd] = usage.costUsd;
    s[at + SPAN.cache_read_tokens] = usage.cacheReadTokens ?? null;
    s[at + SPAN.cache_write_tokens] = usage.cacheWriteTokens ?? null;
    s[at + SPAN.tool_name] = readToolName(own);
    s[at + SPAN.turn_key] = draft.scope(conversation, turn, time);
    draft.open.set(spanId, { row, attributes: own, links, usage });
    draft.spanOpens++;
  }

  private close(draft: Draft, r: Loose, spanId: string, time: number): void {
    draft.spanCloses++;
    const own = attributesOf(r.attributes);
    const status = closeStatus(r.status);
    const open = draft.open.get(spanId);
    if (open === undefined) {
      const usage = readUsage(own);
      const [trace, anchor] = this.trace(r);
      let conversation = textColumn(r.conversationId);
      let turn = textColumn(r.turnId);
      if (conversation === null && turn === null) {
        // Its open's scope, if the store has it, comes first; else it inherits its parent's.
        const scope = this.inherited(r.parentSpanId);
        if (scope?.conversation === undefined) {
          if (scope !== undefined) {
            draft.pending.push(PENDING_CLOSE, draft.events.length, scope.turn as string, -1);
          }
        } else [conversation, turn] = [scope.conversation, scope.turn];
      }
      const links = linksOf(r.links);
      const e = draft.events;
      draft.kinds.push(EV_CLOSE);
      const at = addRow(e, CLOSE_EVENT.length);
      e[at + CLOSE.span_id] = spanId;
      e[at + CLOSE.time] = time;
      // The close's own duration, or null: the store works it out with the start it finds.
      e[at + CLOSE.duration_ms] = typeof r.durationMs === "number" && Number.isFinite(r.durationMs)
        ? r.durationMs
        : null;
      e[at + CLOSE.status] = status;
      e[at + CLOSE.name] = String(r.name ?? "");
      e[at + CLOSE.extension_id] = String(r.extensionId ?? "");
      e[at + CLOSE.conversation_id] = conversation;
      e[at + CLOSE.turn_id] = turn;
      e[at + CLOSE.parent_span_id] = textColumn(r.parentSpanId);
      e[at + CLOSE.attributes] = own === undefined ? null : jsonColumn(own);
      e[at + CLOSE.links] = links.length > 0 ? jsonColumn(links) : null;
      e[at + CLOSE.trace_id] = trace;
      e[at + CLOSE.anchor] = anchor;
      e[at + CLOSE.model] = usage.model;
      e[at + CLOSE.input_tokens] = usage.inputTokens;
      e[at + CLOSE.output_tokens] = usage.outputTokens;
      e[at + CLOSE.cost_usd] = usage.costUsd;
      e[at + CLOSE.cache_read_tokens] = usage.cacheReadTokens ?? null;
      e[at + CLOSE.cache_write_tokens] = usage.cacheWriteTokens ?? null;
      return;
    }
    draft.open.delete(spanId);
    const at = open.row * SPAN_COLUMNS;
    const s = draft.spans;
    // The close merged over the open (the rule: span_merge.ts).
    const attributes = mergeAttributes(open.attributes, own);
    const links = mergeLinks(open.links, r.links);
    const usage = own === undefined ? open.usage : readUsage(attributes);
    const conversation = keptText(s[at + SPAN.conversation_id], r.conversationId) ?? null;
    const turn = keptText(s[at + SPAN.turn_id], r.turnId) ?? null;
    const duration = closeDuration(r.durationMs, s[at + SPAN.start_ms] as number, time);
    s[at + SPAN.parent_span_id] = keptText(s[at + SPAN.parent_span_id], r.parentSpanId) ?? null;
    s[at + SPAN.end_ms] = time;
    s[at + SPAN.duration_ms] = duration;
    s[at + SPAN.status] = status;
    s[at + SPAN.conversation_id] = conversation;
    s[at + SPAN.turn_id] = turn;
    s[at + SPAN.attributes] = attributes as unknown as PlanValue;
    s[at + SPAN.links] = links as unknown as PlanValue;
    s[at + SPAN.model] = usage.model;
    s[at + SPAN.input_tokens] = usage.inputTokens;
    s[at + SPAN.output_tokens] = usage.outputTokens;
    s[at + SPAN.cost_usd] = usage.costUsd;
    s[at + SPAN.cache_read_tokens] = usage.cacheReadTokens ?? null;
    s[at + SPAN.cache_write_tokens] = usage.cacheWriteTokens ?? null;
    if (own !== undefined) s[at + SPAN.tool_name] = readToolName(attributes);
    s[at + SPAN.turn_key] = draft.scope(conversation, turn, time);
    draft.event(EV_CLOSED, open.row, duration);
  }

  /**
   * Gives the batch's records that waited on an ancestor's scope that scope, now that the
   * batch is read (the ancestor may have come after them, as OTLP exports parents after
   * their children); those whose ancestor the planner never saw become questions for the
   * store.
   */
  private settlePending(draft: Draft): void {
    const { pending, spans, logs, events } = draft;
    for (let i = 0; i < pending.length; i += 4) {
      const what = pending[i];
      const index = pending[i + 1] as number;
      let waitOn = pending[i + 2] as string;
      let scope = this.spans.scope(waitOn);
      for (let hops = 0; hops < MAX_HOPS; hops++) {
        if (scope?.conversation !== undefined || scope === undefined || scope.turn === waitOn) {
          break;
        }
        waitOn = scope.turn as string;
        scope = this.spans.scope(waitOn);
      }
      if (scope?.conversation === undefined) {
        if (what === PENDING_SPAN) {
          draft.event(EV_INHERIT_SPAN, index, waitOn);
          this.spans.settle(pending[i + 3] as number, undefined, waitOn);
        } else if (what === PENDING_LOG) draft.event(EV_INHERIT_LOG, index, waitOn);
        else events[index + CLOSE.scope_anchor] = waitOn;
        continue;
      }
      const { conversation, turn } = scope;
      if (what === PENDING_SPAN) this.spans.settle(pending[i + 3] as number, conversation, turn);
      if (conversation === null && turn === null) continue;
      if (what === PENDING_SPAN) {
        const at = index * SPAN_COLUMNS;
        if (spans[at + SPAN.turn_key] !== null) continue; // its close brought its own
        spans[at + SPAN.conversation_id] = conversation;
        spans[at + SPAN.turn_id] = turn;
        const start = spans[at + SPAN.start_ms] as number;
        draft.scope(conversation, turn, start);
        const end = spans[at + SPAN.end_ms] as number | null;
        spans[at + SPAN.turn_key] = draft.scope(conversation, turn, end ?? start);
      } else if (what === PENDING_LOG) {
        const at = index * LOG_COLUMNS;
        logs[at + LOG.conversation_id] = conversation;
        logs[at + LOG.turn_id] = turn;
        logs[at + LOG.turn_key] = draft.scope(
          conversation,
          turn,
          logs[at + LOG.timestamp_ms] as number,
        );
      } else {
        events[index + CLOSE.conversation_id] = conversation;
        events[index + CLOSE.turn_id] = turn;
      }
    }
  }

  private finish(draft: Draft): RowPlan {
    if (draft.pending.length > 0) this.settlePending(draft);
    const { logs, spans, scopes } = draft;
    // A row of a scope leaves what the scope says to the store.
    for (let at = 0; at < logs.length; at += LOG_COLUMNS) {
      const scope = logs[at + LOG.turn_key] as number | null;
      if (scope === null) continue;
      logs[at + LOG.conversation_id] = null;
      logs[at + LOG.turn_id] = null;
      if (logs[at + LOG.trace_id] === scopes[scope * SCOPE_FIELDS + SCOPE.trace_id]) {
        logs[at + LOG.trace_id] = null;
      }
    }
    for (let at = 0; at < spans.length; at += SPAN_COLUMNS) {
      // Attributes and links as JSON text, once per span (the merged ones when it closed).
      spans[at + SPAN.attributes] = jsonColumn(spans[at + SPAN.attributes]);
      const links = spans[at + SPAN.links] as unknown as unknown[];
      spans[at + SPAN.links] = links.length === 0 ? "[]" : jsonColumn(links);
      const scope = spans[at + SPAN.turn_key] as number | null;
      if (scope === null) continue;
      spans[at + SPAN.conversation_id] = null;
      spans[at + SPAN.turn_id] = null;
      if (spans[at + SPAN.trace_id] === scopes[scope * SCOPE_FIELDS + SCOPE.trace_id]) {
        spans[at + SPAN.trace_id] = null;
      }
    }
    this.spans.endBatch();
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
    this.spans.clear();
    this.turnTraces.clear();
    this.lastTurn = undefined;
  }
}
