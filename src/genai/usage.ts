/**
 * Reading GenAI usage (model, tokens, cost) from span attributes: the one place that
 * decides which attribute means what, for the trace store and for the CLI's totals.
 *
 * @module
 */

import type { LogRecord } from "../records.ts";
import { GEN_AI } from "./attributes.ts";

/**
 * The usage a span's attributes carry; every field `null` when absent or not a
 * non-negative finite number (a string model for `model`).
 *
 * @example
 * ```ts
 * import { readUsage, type SpanUsage } from "@dispatch/journal-sink/genai";
 * const usage: SpanUsage = readUsage({ "gen_ai.usage.output_tokens": 7 });
 * if (usage.outputTokens !== 7 || usage.inputTokens !== null) throw new Error("read");
 * ```
 */
export interface SpanUsage {
  /** `gen_ai.response.model` (what ran), else `gen_ai.request.model`. */
  model: string | null;
  /** `gen_ai.usage.input_tokens`. */
  inputTokens: number | null;
  /** `gen_ai.usage.output_tokens`. */
  outputTokens: number | null;
  /** `gen_ai.usage.cost`, in USD. */
  costUsd: number | null;
}

/**
 * The one rule for a token count or a cost: a non-negative finite number counts as itself;
 * anything else (a numeric string, a negative, NaN, Infinity, absent) counts as not given.
 * The collector, the CLI and the viewer all count through it.
 *
 * @param value An attribute's value.
 * @returns The number, or `null` when it does not count.
 *
 * @example
 * ```ts
 * import { usageCount } from "./usage.ts";
 * if (usageCount(12) !== 12 || usageCount("12") !== null || usageCount(-1) !== null) {
 *   throw new Error("only non-negative finite numbers count");
 * }
 * ```
 */
export function usageCount(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * The usage in `attributes` (merge a span's open and close attributes first: tokens are
 * often known only at the close).
 *
 * @param attributes A span's attributes, or anything else (then all `null`).
 * @returns Model, token counts and cost, `null` where not given.
 *
 * @example Response model wins over request model
 * ```ts
 * import { readUsage } from "@dispatch/journal-sink/genai";
 * const usage = readUsage({
 *   "gen_ai.request.model": "gpt-4o",
 *   "gen_ai.response.model": "gpt-4o-2024-08-06",
 *   "gen_ai.usage.input_tokens": 120,
 * });
 * if (usage.model !== "gpt-4o-2024-08-06" || usage.inputTokens !== 120) throw new Error("usage");
 * ```
 */
export function readUsage(attributes: unknown): SpanUsage {
  if (typeof attributes !== "object" || attributes === null) {
    return { model: null, inputTokens: null, outputTokens: null, costUsd: null };
  }
  const a = attributes as Record<string, unknown>;
  const response = a[GEN_AI.RESPONSE_MODEL];
  const request = a[GEN_AI.REQUEST_MODEL];
  return {
    model: typeof response === "string" && response !== ""
      ? response
      : typeof request === "string" && request !== ""
      ? request
      : null,
    inputTokens: usageCount(a[GEN_AI.USAGE_INPUT_TOKENS]),
    outputTokens: usageCount(a[GEN_AI.USAGE_OUTPUT_TOKENS]),
    costUsd: usageCount(a[GEN_AI.USAGE_COST]),
  };
}

/**
 * Token totals of one turn, as {@linkcode TurnUsageTally} sums them.
 *
 * @example
 * ```ts
 * import type { TurnUsage } from "@dispatch/journal-sink/genai";
 * const usage: TurnUsage = { spans: 1, inputTokens: 10, outputTokens: 2, costUsd: null };
 * if (usage.spans !== 1) throw new Error("unreachable");
 * ```
 */
export interface TurnUsage {
  /** Spans carrying usage (tokens or a cost). */
  spans: number;
  /** Sum of input tokens. */
  inputTokens: number;
  /** Sum of output tokens. */
  outputTokens: number;
  /** Sum of `gen_ai.usage.cost` where given; `null` when no span gave one. */
  costUsd: number | null;
}

/**
 * Per-turn token totals over records read from a journal (what `stats` and `spans` show),
 * in one pass: a span's open and close attributes are merged, the close's winning, so
 * usage given at the open, the close or both counts once.
 *
 * @example Usage on open and close counts once
 * ```ts
 * import { TurnUsageTally } from "@dispatch/journal-sink/genai";
 * const tally = new TurnUsageTally();
 * const scope = { spanId: "s", name: "chat m", extensionId: "host", turnId: "t1" };
 * tally.add({ kind: "span-open", ...scope, timestamp: 0, attributes: { "gen_ai.usage.input_tokens": 5 } });
 * tally.add({ kind: "span-close", ...scope, timestamp: 1, durationMs: 1, status: "ok",
 *   attributes: { "gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 3 } });
 * const t1 = tally.totals().get("t1");
 * if (t1?.inputTokens !== 9 || t1.outputTokens !== 3 || t1.spans !== 1) throw new Error(JSON.stringify(t1));
 * ```
 */
export class TurnUsageTally {
  private open = new Map<string, { turnId: string; attributes: Record<string, unknown> }>();
  private turns = new Map<string, TurnUsage>();

  /**
   * Counts one record; records of other kinds, or without a `turnId`, are ignored.
   *
   * @param record A record as read from a journal.
   */
  add(record: LogRecord | { readonly kind: string; readonly [field: string]: unknown }): void {
    const r = record as { readonly kind: string; readonly [field: string]: unknown };
    const spanId = r.spanId;
    if (typeof spanId !== "string") return;
    const attributes = typeof r.attributes === "object" && r.attributes !== null
      ? r.attributes as Record<string, unknown>
      : {};
    if (r.kind === "span-open") {
      if (typeof r.turnId === "string") this.open.set(spanId, { turnId: r.turnId, attributes });
      return;
    }
    if (r.kind !== "span-close") return;
    const open = this.open.get(spanId);
    this.open.delete(spanId);
    const turnId = open?.turnId ?? r.turnId;
    if (typeof turnId !== "string") return;
    this.count(turnId, open === undefined ? attributes : { ...open.attributes, ...attributes });
  }

  /**
   * The totals so far, by turn id; spans still open count with their open's attributes.
   *
   * @returns Turn id → totals, for turns with at least one span carrying usage.
   */
  totals(): Map<string, TurnUsage> {
    const out = new Map<string, TurnUsage>();
    for (const [turnId, usage] of this.turns) out.set(turnId, { ...usage });
    const done = this.turns;
    this.turns = out;
    for (const { turnId, attributes } of this.open.values()) this.count(turnId, attributes);
    this.turns = done;
    return out;
  }

  /** Adds one span's usage, if it carries any, to its turn's totals. */
  private count(turnId: string, attributes: Record<string, unknown>): void {
    const usage = readUsage(attributes);
    if (usage.inputTokens === null && usage.outputTokens === null && usage.costUsd === null) {
      return;
    }
    let turn = this.turns.get(turnId);
    if (turn === undefined) {
      turn = { spans: 0, inputTokens: 0, outputTokens: 0, costUsd: null };
      this.turns.set(turnId, turn);
    }
    turn.spans++;
    turn.inputTokens += usage.inputTokens ?? 0;
    turn.outputTokens += usage.outputTokens ?? 0;
    if (usage.costUsd !== null) turn.costUsd = (turn.costUsd ?? 0) + usage.costUsd;
  }
}
