/**
 * Records to the trace store's row operations, without the database: everything the
 * collector works out from the records alone, so it can run on another thread than the
 * one writing SQLite (see {@linkcode RowPlan}).
 *
 * @module
 */

import { readUsage, type SpanUsage } from "../genai/usage.ts";
import { hashTraceId } from "../trace_id.ts";
import { RecentMap } from "./recent_map.ts";
import {
  OP_CLOSE,
  OP_CLOSE_IN_BATCH,
  OP_LOG,
  OP_OPEN,
  type PlanValue,
  type RowPlan,
} from "./row_plan.ts";
import { otlpTraceId } from "./trace_ids.ts";

/** How many spans' and turns' trace ids the planner remembers at least. */
export const REMEMBERED_TRACES = 100_000;

/** A record read back, before its fields are checked. */
type Loose = { readonly kind: string; readonly [field: string]: unknown };

/** What the planner keeps of a span opened in the batch until its close. */
interface OpenInBatch {
  ordinal: number;
  /** Where its OP_OPEN's attributes field is, to put the merged ones there. */
  field: number;
  attributes: Record<string, unknown> | undefined;
  links: unknown[] | undefined;
  conversation: string | null;
  turn: string | null;
  parent: string | null;
  usage: SpanUsage;
}

const TRACE_HEX = /^[0-9a-f]{32}$/;
/** A remembered trace id that the planner could not settle: `?` and the anchor span id. */
const UNSETTLED = "?";

function json(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/**
 * Plans batches of records, remembering across batches the trace ids of recent spans and
 * turns (a child joins its parent's trace, every record of a turn shares one).
 *
 * @example A span opened and closed in one batch is one row
 * ```ts
 * import { BatchPlanner } from "./batch_planner.ts";
 * import { OP_CLOSE_IN_BATCH, OP_OPEN } from "./row_plan.ts";
 * const plan = new BatchPlanner().plan([
 *   { kind: "span-open", spanId: "s", name: "llm", timestamp: 1, extensionId: "host" },
 *   { kind: "span-close", spanId: "s", name: "llm", timestamp: 9, durationMs: 8, status: "ok", extensionId: "host" },
 * ]);
 * if (plan.ops.join() !== `${OP_OPEN},${OP_CLOSE_IN_BATCH}`) throw new Error(String(plan.ops));
 * ```
 */
export class BatchPlanner {
  /** Trace ids of recent spans (or `?anchor` when unsettled), by span id. */
  private traces = new RecentMap<string, string>(REMEMBERED_TRACES);
  /** Trace ids of recent turns: derived by a hash that every record of a turn would repeat. */
  private turnTraces = new RecentMap<string, string>(REMEMBERED_TRACES);
  /** The span id of the last lookup that missed, while planning one record. */
  private missed: string | undefined;

  private lookup = (spanId: string): string | undefined => {
    const known = this.traces.get(spanId);
    if (known === undefined) this.missed = spanId;
    else if (known.startsWith(UNSETTLED)) this.missed = known.slice(1);
    else return known;
    return undefined;
  };

  /**
   * Pushes the record's trace id and its anchor: the record's own `traceId` when valid,
   * else the turn's, else its parent's (or its own span's) when remembered; when not, the
   * anchor names the span id for the store to look up, and the trace id is the one derived
   * from it.
   */
  private pushTrace(values: PlanValue[], r: Loose): string {
    const own = r.traceId;
    if (typeof own === "string" && TRACE_HEX.test(own)) {
      values.push(own, null);
      return own;
    }
    const turn = r.turnId;
    if (own === undefined && typeof turn === "string") {
      // The turn rule of otlpTraceId: the trace depends on the conversation and turn only.
      const conversation = typeof r.conversationId === "string" ? r.conversationId : "";
      const key = `${conversation.length}:${conversation}${turn}`;
      let trace = this.turnTraces.get(key);
      if (trace === undefined) {
        trace = otlpTraceId(r) as string;
        this.turnTraces.set(key, trace);
      }
      values.push(trace, null);
      return trace;
    }
    this.missed = undefined;
    const trace = otlpTraceId(r, this.lookup) ?? null;
    const anchor = this.missed;
    if (anchor === undefined) {
      values.push(trace, null);
      return trace ?? "";
    }
    values.push(hashTraceId(`span:${anchor}`), anchor);
    return UNSETTLED + anchor;
  }

  /**
   * The row operations of a batch, in journal order.
   *
   * @param records The batch's records, oldest first (parsed, fields unchecked).
   * @returns The plan.
   */
  plan(records: Iterable<unknown>): RowPlan {
    const ops: number[] = [];
    const values: PlanValue[] = [];
    let ignored = 0;
    let opens = 0;
    const openInBatch = new Map<string, OpenInBatch>();
    /** Where each OP_OPEN's attributes field is. */
    const openFields: number[] = [];
    for (const record of records) {
      const r = record as Loose;
      const time = r.timestamp;
      if (typeof time !== "number" || !Number.isFinite(time)) {
        ignored++;
        continue;
      }
      if (r.kind === "log") {
        ops.push(OP_LOG);
        values.push(
          time,
          String(r.level ?? "info"),
          String(r.msg ?? ""),
          String(r.extensionId ?? ""),
          text(r.conversationId),
          text(r.turnId),
          text(r.spanId),
        );
        this.pushTrace(values, r);
        values.push(json(r.attributes), json(r.body));
        continue;
      }
      const spanId = r.spanId;
      if (typeof spanId !== "string" || (r.kind !== "span-open" && r.kind !== "span-close")) {
        ignored++;
        continue;
      }
      const own = r.attributes as Record<string, unknown> | undefined;
      if (r.kind === "span-open") {
        const usage = readUsage(own);
        const links = Array.isArray(r.links) && r.links.length > 0 ? r.links : undefined;
        const start = values.length;
        ops.push(OP_OPEN);
        values.push(spanId, text(r.parentSpanId));
        this.traces.set(spanId, this.pushTrace(values, r));
        values.push(
          String(r.name ?? ""),
          time,
          String(r.extensionId ?? ""),
          text(r.conversationId),
          text(r.turnId),
          null, // attributes and links: their JSON text once the batch is planned
          null,
          json(r.body),
          usage.model,
          usage.inputTokens,
          usage.outputTokens,
          usage.costUsd,
        );
        const span: OpenInBatch = {
          ordinal: opens++,
          field: start + 9,
          attributes: own,
          links,
          conversation: text(r.conversationId),
          turn: text(r.turnId),
          parent: text(r.parentSpanId),
          usage,
        };
        // The open's attributes and links until its close merges others into them.
        values[span.field] = (own ?? {}) as unknown as PlanValue;
        values[span.field + 1] = (links ?? []) as unknown as PlanValue;
        openInBatch.set(spanId, span);
        openFields.push(span.field);
        continue;
      }
      const status = r.status === "error" ? "error" : "ok";
      const duration = typeof r.durationMs === "number" ? r.durationMs : null;
      const open = openInBatch.get(spanId);
      if (open === undefined) {
        const usage = readUsage(own);
        ops.push(OP_CLOSE);
        values.push(
          spanId,
          time,
          duration,
          status,
          String(r.name ?? ""),
          String(r.extensionId ?? ""),
          text(r.conversationId),
          text(r.turnId),
          text(r.parentSpanId),
          own === undefined || own === null ? null : json(own),
          Array.isArray(r.links) && r.links.length > 0 ? json(r.links) : null,
          json(r.links ?? []),
        );
        this.pushTrace(values, r);
        values.push(usage.model, usage.inputTokens, usage.outputTokens, usage.costUsd);
        continue;
      }
      openInBatch.delete(spanId);
      const merged = own === undefined || own === null;
      const attributes = merged ? open.attributes ?? {} : { ...open.attributes, ...own };
      let links = open.links;
      if (Array.isArray(r.links) && r.links.length > 0) {
        links = links === undefined ? [] : links.slice();
        for (const link of r.links as { spanId: string }[]) {
          if (!links.some((known) => (known as { spanId: string }).spanId === link.spanId)) {
            links.push(link);
          }
        }
      }
      values[open.field] = attributes as unknown as PlanValue;
      values[open.field + 1] = (links ?? []) as unknown as PlanValue;
      const usage = merged ? open.usage : readUsage(attributes);
      const conversation = open.conversation ?? text(r.conversationId);
      const turn = open.turn ?? text(r.turnId);
      const recount = usage !== open.usage || turn !== open.turn ||
        conversation !== open.conversation;
      ops.push(OP_CLOSE_IN_BATCH);
      values.push(
        open.ordinal,
        time,
        duration,
        status,
        conversation,
        turn,
        open.parent ?? text(r.parentSpanId),
        usage.model,
        usage.inputTokens,
        usage.outputTokens,
        usage.costUsd,
        recount ? 1 : 0,
      );
    }
    // Attributes and links as JSON text, once per span (the merged ones when it closed).
    for (const field of openFields) {
      values[field] = json(values[field]);
      values[field + 1] = json(values[field + 1]);
    }
    return { ops: Uint8Array.from(ops), values, ignored };
  }

  /** Forgets the trace ids remembered (after a rolled-back batch). */
  clear(): void {
    this.traces.clear();
    this.turnTraces.clear();
  }
}
