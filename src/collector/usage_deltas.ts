/**
 * Usage sums a batch adds to (or, for a span whose close changed its usage, takes from)
 * the store's `usage_totals` and `usage_by` tables: per model and extension, and per turn
 * and per conversation.
 *
 * @module
 */

import type { SpanUsage } from "../genai/usage.ts";

/** The counters of the usage tables: spans, tokens, cost, and what of them is priced. */
export interface UsageSums {
  spans: number;
  input: number;
  output: number;
  cost: number;
  /** Spans with a cost attribute. */
  costed: number;
  /** Tokens of the spans without one (a prices file may price them). */
  uncostedInput: number;
  uncostedOutput: number;
  /** Of the input tokens, those read from and written to a provider's cache. */
  cacheRead: number;
  cacheWrite: number;
  /** The same, of the spans without a cost attribute. */
  uncostedCacheRead: number;
  uncostedCacheWrite: number;
}

/**
 * The field of {@linkcode UsageSums} each counter column of the usage tables holds (the
 * columns: `USAGE_SUMS` in schema.ts).
 */
export const USAGE_SUM_FIELDS: Readonly<Record<string, keyof UsageSums>> = {
  input_tokens: "input",
  output_tokens: "output",
  cost_usd: "cost",
  costed_spans: "costed",
  uncosted_input: "uncostedInput",
  uncosted_output: "uncostedOutput",
  cache_read_tokens: "cacheRead",
  cache_write_tokens: "cacheWrite",
  uncosted_cache_read: "uncostedCacheRead",
  uncosted_cache_write: "uncostedCacheWrite",
};

/** Sums of usage columns added (or, negative, removed) per `usage_totals` or `usage_by` key. */
export interface UsageDelta extends UsageSums {
  /** `usage_by`'s scope (`null` for `usage_totals`) and key (a turn or conversation id). */
  scope: "turn" | "conversation" | null;
  id: string | null;
  model: string;
  extensionId: string;
  /** Earliest and latest start of the spans added (`usage_by` only). */
  first: number;
  last: number;
}

/** Whether a span carries GenAI usage. */
export function hasUsage(u: SpanUsage): boolean {
  return u.inputTokens !== null || u.outputTokens !== null || u.costUsd !== null;
}

/**
 * The usage sums of a batch, by key.
 *
 * @example
 * ```ts
 * import { UsageDeltas } from "./usage_deltas.ts";
 * const deltas = new UsageDeltas();
 * deltas.count({ model: "m", inputTokens: 10, outputTokens: 2, costUsd: null }, "host", 1, "t1", "c1", 5);
 * if (deltas.take().length !== 3) throw new Error("one sum per table and scope");
 * ```
 */
export class UsageDeltas {
  /** The sums of each model and extension: in all, per turn id and per conversation id. */
  private byModel = new Map<string, ModelSums>();
  /** The last model and extension counted, and their sums: spans of a model come in runs. */
  private last: { model: string; extensionId: string; sums: ModelSums } | undefined;

  /**
   * Adds (`sign` 1) or removes (`sign` -1) one span's usage: per model and extension, and
   * per turn and per conversation. A span without usage counts nowhere.
   *
   * @param usage The span's usage.
   * @param extensionId Its extension.
   * @param sign Add or remove.
   * @param turn Its turn id.
   * @param conversation Its conversation id.
   * @param start Its start (widens the turn's and conversation's first and last start).
   */
  count(
    usage: SpanUsage,
    extensionId: string,
    sign: 1 | -1,
    turn: string | null,
    conversation: string | null,
    start: number,
  ): void {
    if (!hasUsage(usage)) return;
    const model = usage.model ?? "";
    let sums: ModelSums;
    const last = this.last;
    if (last !== undefined && last.model === model && last.extensionId === extensionId) {
      sums = last.sums;
    } else {
      // Length-prefixed: ids may hold any character, and no pair of fields spells another.
      const key = `${model.length}:${model}${extensionId}`;
      sums = this.byModel.get(key) ?? {
        total: emptyDelta(null, null, model, extensionId),
        turns: new Map(),
        conversations: new Map(),
      };
      this.byModel.set(key, sums);
      this.last = { model, extensionId, sums };
    }
    add(sums.total, usage, sign, start);
    add(within(sums.turns, "turn", turn, model, extensionId), usage, sign, start);
    add(
      within(sums.conversations, "conversation", conversation, model, extensionId),
      usage,
      sign,
      start,
    );
  }

  /**
   * The sums, one per key, and forgets them.
   *
   * @returns The sums.
   */
  take(): UsageDelta[] {
    const out: UsageDelta[] = [];
    for (const { total, turns, conversations } of this.byModel.values()) {
      out.push(total, ...turns.values(), ...conversations.values());
    }
    this.clear();
    return out;
  }

  /** Forgets every sum. */
  clear(): void {
    this.byModel.clear();
    this.last = undefined;
  }
}

/** The sums of one model and extension. */
interface ModelSums {
  total: UsageDelta;
  turns: Map<string | null, UsageDelta>;
  conversations: Map<string | null, UsageDelta>;
}

function emptyDelta(
  scope: UsageDelta["scope"],
  id: string | null,
  model: string,
  extensionId: string,
): UsageDelta {
  return {
    scope,
    id,
    model,
    extensionId,
    spans: 0,
    input: 0,
    output: 0,
    cost: 0,
    costed: 0,
    uncostedInput: 0,
    uncostedOutput: 0,
    cacheRead: 0,
    cacheWrite: 0,
    uncostedCacheRead: 0,
    uncostedCacheWrite: 0,
    first: Infinity,
    last: -Infinity,
  };
}

/** The sums of `id` in `map` (a turn's or a conversation's), created empty when new. */
function within(
  map: Map<string | null, UsageDelta>,
  scope: "turn" | "conversation",
  id: string | null,
  model: string,
  extensionId: string,
): UsageDelta {
  let delta = map.get(id);
  if (delta === undefined) {
    delta = emptyDelta(scope, id, model, extensionId);
    map.set(id, delta);
  }
  return delta;
}

function add(delta: UsageDelta, usage: SpanUsage, sign: 1 | -1, start: number): void {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  delta.spans += sign;
  delta.input += sign * input;
  delta.output += sign * output;
  delta.cacheRead += sign * cacheRead;
  delta.cacheWrite += sign * cacheWrite;
  if (usage.costUsd !== null) {
    delta.cost += sign * usage.costUsd;
    delta.costed += sign;
  } else {
    delta.uncostedInput += sign * input;
    delta.uncostedOutput += sign * output;
    delta.uncostedCacheRead += sign * cacheRead;
    delta.uncostedCacheWrite += sign * cacheWrite;
  }
  if (sign === 1) {
    if (start < delta.first) delta.first = start;
    if (start > delta.last) delta.last = start;
  }
}
