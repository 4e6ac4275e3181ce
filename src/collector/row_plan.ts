/**
 * A batch of records as the trace store's rows and events: what the planner
 * (`BatchPlanner`) works out from the records alone, for the store to write with what only
 * the database knows (turn keys, open spans of earlier batches, the slowest spans so far).
 * The one home of the plan's layout, and of its transport between threads as text.
 *
 * @module
 */

/** A value of a plan: what SQLite binds. */
export type PlanValue = string | number | null;

/**
 * JSON text of a record's field for a text column: `null` when absent or when it cannot be
 * written as JSON (a cycle, a BigInt).
 *
 * @param value The field.
 * @returns Its JSON text, or null.
 */
export function jsonColumn(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

/**
 * A record's field for a text column: the string, or `null` for anything else.
 *
 * @param value The field.
 * @returns The string, or null.
 */
export function textColumn(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/**
 * Values of a `logs` row, in the INSERT's column order: `[timestamp_ms, level, msg,
 * extension_id, conversation_id, turn_id, span_id, trace_id, attributes, body, turn_key]`.
 * In a plan, `turn_key` is the index of the row's scope in the plan's scopes (or null).
 */
export const LOG_COLUMNS = 11;
/** Where `trace_id` is in a `logs` row. */
export const LOG_TRACE = 7;
/** Where `turn_key` is in a `logs` row. */
export const LOG_TURN_KEY = 10;

/**
 * Values of a `spans` row, in the INSERT's column order: `[span_id, parent_span_id,
 * trace_id, name, start_ms, end_ms, duration_ms, status, extension_id, conversation_id,
 * turn_id, attributes, links, body, close_without_open, model, input_tokens,
 * output_tokens, cost_usd, turn_key, slowest, id]`. In a plan, `turn_key` is a scope's
 * index, and `slowest` and `id` are left for the store.
 */
export const SPAN_COLUMNS = 22;
/** Positions of the `spans` columns the store reads or fills. */
export const SPAN = {
  SPAN_ID: 0,
  PARENT: 1,
  TRACE: 2,
  START: 4,
  DURATION: 6,
  STATUS: 7,
  EXTENSION: 8,
  CONVERSATION: 9,
  TURN: 10,
  ATTRIBUTES: 11,
  LINKS: 12,
  MODEL: 15,
  INPUT: 16,
  OUTPUT: 17,
  COST: 18,
  TURN_KEY: 19,
  SLOWEST: 20,
  ID: 21,
} as const;

/**
 * A scope of the batch: `[conversation_id, turn_id, first time, last time, trace_id]`, the
 * trace id being the turn's (the one its records derive), or null without a turn. A row
 * of a scope leaves its `conversation_id` and `turn_id` null, and its `trace_id` null when
 * it is the scope's: the store fills them in (the plan crosses threads a third smaller).
 */
export const SCOPE_FIELDS = 5;
/** Where `conversation_id` is in a `logs` row. */
export const LOG_CONVERSATION = 4;

/**
 * An event: a span opened in the batch closed, `[its spans row, durationMs]` (the store
 * decides its `slowest` flag, in journal order with every other close).
 */
export const EV_CLOSED = 0;
/**
 * An event: a `span-close` whose open is not in the batch (the store finds it, or keeps
 * the close on its own): `[spanId, time, durationMs, status, name, extensionId,
 * conversationId, turnId, parentSpanId, attributes (its own, or null), links (its own when
 * a non-empty array, or null), linksAsGiven, traceId, anchor, model, inputTokens,
 * outputTokens, costUsd]`.
 */
export const EV_CLOSE = 1;
/**
 * An event: a `logs` row's trace id to settle, `[row, anchor]`: the span id whose trace
 * the record joins was not among those the planner remembers; the store looks it up (the
 * row holds the id derived from the anchor, for when nothing knows it).
 */
export const EV_SETTLE_LOG = 2;
/** An event: the same for a `spans` row. */
export const EV_SETTLE_SPAN = 3;
/** Fields of each event kind, by kind. */
export const EVENT_FIELDS: readonly number[] = [2, 18, 2, 2];

/**
 * A batch of records as what the store writes, worked out without the database: the
 * `logs` and `spans` rows (a span opened and closed in the batch is one row), the scopes
 * (conversation and turn pairs) the rows belong to, and, in journal order, the events that
 * need what only the store knows. Every `spans`
 * row is a `span-open` of the batch (closed in it, or still open).
 */
export interface RowPlan {
  /** `logs` rows, {@linkcode LOG_COLUMNS} values each. */
  logs: PlanValue[];
  /** `spans` rows, {@linkcode SPAN_COLUMNS} values each. */
  spans: PlanValue[];
  /** Scopes, {@linkcode SCOPE_FIELDS} values each. */
  scopes: PlanValue[];
  /** The events' fields, as many per event as {@linkcode EVENT_FIELDS} says. */
  events: PlanValue[];
  /** The kind of each event, in journal order. */
  eventKinds: number[];
  /** Records without a usable timestamp, kind or span id. */
  ignored: number;
  /** `span-open` records. */
  spanOpens: number;
  /** `span-close` records. */
  spanCloses: number;
}

/**
 * A {@linkcode RowPlan} as text, to hand to another thread: one string crosses a thread
 * boundary for the price of a copy, and the runtimes' own JSON takes a plan apart and puts
 * it together again faster than structured cloning its values or slicing them out of one
 * string by hand (bench/RESULTS.md).
 */
export type EncodedPlan = string;

/**
 * The plan as text (its values are strings, finite numbers and nulls, which JSON keeps).
 *
 * @param plan The plan.
 * @returns Its encoding.
 *
 * @example A round trip
 * ```ts
 * import { decodePlan, encodePlan } from "./row_plan.ts";
 * const plan = {
 *   logs: [1, "info", "hi", "host", null, null, null, null, null, "{}", 0],
 *   spans: [], scopes: [null, "t", 1, 1, "ab"], events: [], eventKinds: [],
 *   ignored: 0, spanOpens: 0, spanCloses: 0,
 * };
 * const back = decodePlan(encodePlan(plan));
 * if (JSON.stringify(back) !== JSON.stringify(plan)) throw new Error("changed");
 * ```
 */
export function encodePlan(plan: RowPlan): EncodedPlan {
  return JSON.stringify(plan);
}

/**
 * The plan an {@linkcode encodePlan} encoded.
 *
 * @param encoded The encoding.
 * @returns The plan, with the same values.
 */
export function decodePlan(encoded: EncodedPlan): RowPlan {
  return JSON.parse(encoded) as RowPlan;
}
