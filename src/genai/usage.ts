/**
 * Reading GenAI usage (model, tokens, cost) from span attributes: the one place that
 * decides which attribute means what, for the trace store and for the CLI's totals.
 *
 * @module
 */

import type { LogRecord } from "../records.ts";
import {
  COST_ATTRIBUTES,
  inputTokensWithCache,
  NAMING_STYLES,
  type NamingStyleName,
} from "./naming_styles.ts";

/**
 * The usage a span's attributes carry, in whichever naming style they came
 * ({@linkcode NAMING_STYLES}); every count `null` when absent or not a non-negative finite
 * number, `model` and `provider` `null` unless a non-empty string. The cache counts are
 * inside `inputTokens`, as the OpenTelemetry GenAI conventions count them.
 *
 * @example
 * ```ts
 * import { readUsage, type SpanUsage } from "@dispatch/journal-sink/genai";
 * const usage: SpanUsage = readUsage({ "gen_ai.usage.output_tokens": 7 });
 * if (usage.outputTokens !== 7 || usage.inputTokens !== null) throw new Error("read");
 * ```
 */
export interface SpanUsage {
  /** The model that ran, else the one asked for (`gen_ai.response.model`, `gen_ai.request.model`, `llm.model_name`, `ai.model.id` …). */
  model: string | null;
  /** Input tokens, the cached ones included (`gen_ai.usage.input_tokens` …). */
  inputTokens: number | null;
  /** Output tokens, reasoning ones included (`gen_ai.usage.output_tokens` …). */
  outputTokens: number | null;
  /** Of the input tokens, those read from a provider's cache (`gen_ai.usage.cache_read.input_tokens` …). */
  cacheReadTokens?: number | null;
  /** Of the input tokens, those written to a provider's cache (`gen_ai.usage.cache_creation.input_tokens` …). */
  cacheWriteTokens?: number | null;
  /** The span's own cost in USD (`gen_ai.usage.cost`, `operation.cost`, `llm.cost.total`, `cost_usd`). */
  costUsd: number | null;
  /** The provider (`gen_ai.provider.name`, `gen_ai.system`, `llm.provider`, `ai.model.provider`). */
  provider?: string | null;
  /** The naming style the token counts were read in; `null` when the span has none. */
  style?: NamingStyleName | null;
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

/** What an attribute name of the table holds. */
const TOKENS = 0;
const MODEL = 1;
const PROVIDER = 2;
const COST = 3;
const GUARD = 4;
/** Each attribute name the table knows, to its slot; each slot's kind and precedence. */
const SLOTS = new Map<string, number>();
const KIND: number[] = [];
const RANK: number[] = [];
function slot(name: string, kind = TOKENS, rank = 0): number {
  let at = SLOTS.get(name);
  if (at === undefined) {
    at = SLOTS.size;
    SLOTS.set(name, at);
    KIND.push(kind);
    RANK.push(rank);
  }
  return at;
}
const STYLES = NAMING_STYLES.map((s) => ({
  style: s.style,
  input: s.inputTokens.map((name) => slot(name)),
  output: s.outputTokens.map((name) => slot(name)),
  cacheRead: s.cacheReadTokens.map((name) => slot(name)),
  cacheWrite: s.cacheWriteTokens.map((name) => slot(name)),
  countsOn: s.countsOn === undefined
    ? undefined
    : { at: slot(s.countsOn.attribute, GUARD), values: s.countsOn.values },
}));
NAMING_STYLES.flatMap((s) => s.model).forEach((name, rank) => slot(name, MODEL, rank));
NAMING_STYLES.flatMap((s) => s.provider).forEach((name, rank) => slot(name, PROVIDER, rank));
COST_ATTRIBUTES.forEach((name, rank) => slot(name, COST, rank));

/** The token counts and guards of the span being read, by slot, and which were set. */
const found: unknown[] = new Array(SLOTS.size).fill(undefined);
const touched: number[] = [];

function firstCount(slots: readonly number[]): number | null {
  for (const at of slots) {
    const value = usageCount(found[at]);
    if (value !== null) return value;
  }
  return null;
}

function counts(style: (typeof STYLES)[number]): boolean {
  const on = style.countsOn;
  if (on === undefined) return true;
  const value = found[on.at];
  return value === undefined || (typeof value === "string" && on.values.test(value));
}

function emptyUsage(): SpanUsage {
  return {
    model: null,
    inputTokens: null,
    outputTokens: null,
    cacheReadTokens: null,
    cacheWriteTokens: null,
    costUsd: null,
    provider: null,
    style: null,
  };
}

/**
 * The usage in `attributes`, in any naming style of {@linkcode NAMING_STYLES} (merge a
 * span's open and close attributes first: tokens are often known only at the close). The
 * one place that decides which attribute means what, for the trace store, the CLI's totals
 * and the viewer.
 *
 * - Tokens: from the first style, in precedence order, with an input or output count; the
 *   other styles on the span are ignored, so a span counts once. A style that repeats a
 *   model call's usage on other spans counts only on the model call (`countsOn`).
 * - Cache counts: the chosen style's, else the next style's that has them. They are inside
 *   the input count; when they exceed it, the input count left them out (Anthropic's
 *   native count) and they are added to it ({@linkcode inputTokensWithCache}).
 * - Model, provider: the first present in the styles' order, the model that ran first.
 * - Cost: the first of {@linkcode COST_ATTRIBUTES} present.
 *
 * @param attributes A span's attributes, or anything else (then all `null`).
 * @returns Model, provider, token counts, cost and the style of the counts, `null` where not given.
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
 *
 * @example Two styles on one span count once
 * ```ts
 * import { readUsage } from "@dispatch/journal-sink/genai";
 * const usage = readUsage({
 *   "ai.operationId": "ai.generateText.doGenerate",
 *   "gen_ai.usage.input_tokens": 2000, "gen_ai.usage.output_tokens": 50,
 *   "ai.usage.inputTokens": 2000, "ai.usage.outputTokens": 50,
 *   "ai.usage.inputTokenDetails.cacheReadTokens": 1500,
 * });
 * if (usage.inputTokens !== 2000 || usage.style !== "gen_ai" || usage.cacheReadTokens !== 1500) {
 *   throw new Error(JSON.stringify(usage));
 * }
 * ```
 */
export function readUsage(attributes: unknown): SpanUsage {
  const usage = emptyUsage();
  if (typeof attributes !== "object" || attributes === null) return usage;
  const a = attributes as Record<string, unknown>;
  // One pass over the span's own keys (a span has a few; the table has dozens), keeping the
  // model, provider and cost of the best precedence on the way.
  let modelRank = Infinity;
  let providerRank = Infinity;
  let costRank = Infinity;
  for (const key in a) {
    const at = SLOTS.get(key);
    if (at === undefined) continue;
    const value = a[key];
    const kind = KIND[at];
    if (kind === TOKENS || kind === GUARD) {
      found[at] = value;
      touched.push(at);
    } else if (kind === COST) {
      const cost = usageCount(value);
      if (cost !== null && RANK[at] < costRank) {
        usage.costUsd = cost;
        costRank = RANK[at];
      }
    } else if (typeof value === "string" && value !== "") {
      if (kind === MODEL && RANK[at] < modelRank) {
        usage.model = value;
        modelRank = RANK[at];
      } else if (kind === PROVIDER && RANK[at] < providerRank) {
        usage.provider = value;
        providerRank = RANK[at];
      }
    }
  }
  if (touched.length > 0) {
    tokensOf(usage);
    for (let i = 0; i < touched.length; i++) found[touched[i]] = undefined;
    touched.length = 0;
  }
  return usage;
}

/** The token counts in `found` into `usage`, by the rules of {@linkcode readUsage}. */
function tokensOf(usage: SpanUsage): void {
  let chosen = -1;
  for (let i = 0; i < STYLES.length; i++) {
    const s = STYLES[i];
    if (!counts(s)) continue;
    const input = firstCount(s.input);
    const output = firstCount(s.output);
    if (input === null && output === null) continue;
    chosen = i;
    usage.style = s.style;
    usage.inputTokens = input;
    usage.outputTokens = output;
    break;
  }
  if (chosen < 0) return;
  let cacheRead = firstCount(STYLES[chosen].cacheRead);
  let cacheWrite = firstCount(STYLES[chosen].cacheWrite);
  for (let i = 0; i < STYLES.length && (cacheRead === null || cacheWrite === null); i++) {
    if (i === chosen || !counts(STYLES[i])) continue;
    cacheRead ??= firstCount(STYLES[i].cacheRead);
    cacheWrite ??= firstCount(STYLES[i].cacheWrite);
  }
  usage.cacheReadTokens = cacheRead;
  usage.cacheWriteTokens = cacheWrite;
  if ((cacheRead ?? 0) + (cacheWrite ?? 0) > (usage.inputTokens ?? 0)) {
    usage.inputTokens = inputTokensWithCache(usage.inputTokens, cacheRead, cacheWrite);
  }
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
