/**
 * A batch of records as the trace store's rows and events: what the planner
 * (`BatchPlanner`) works out from the records alone, for the store to write with what only
 * the database knows (turn keys, open spans of earlier batches, the slowest spans so far).
 * The one home of the plan's layout, and of its transport between threads.
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
/** Where `span_id` is in a `logs` row. */
export const LOG_SPAN = 6;
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
 * outputTokens, costUsd, scopeAnchor]`. `conversationId` and `turnId` are the close's own
 * or those it inherits from its parent; `scopeAnchor`, when not null, is the span id whose
 * scope it inherits, for the store to look up.
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
/**
 * An event: a `logs` row without a conversation or turn, inside a span whose scope the
 * planner does not know, `[row, anchor]`: the row takes the scope of the span the anchor
 * names when the store knows one (a child inherits its parent's turn and conversation).
 */
export const EV_INHERIT_LOG = 4;
/** An event: the same for a `spans` row, the anchor being an ancestor of its span. */
export const EV_INHERIT_SPAN = 5;
/** Fields of each event kind, by kind. */
export const EVENT_FIELDS: readonly number[] = [2, 19, 2, 2, 2, 2];

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

/** The value sections of a {@linkcode RowPlan}, in the order they are encoded. */
const SECTIONS = ["logs", "spans", "scopes", "events"] as const;

/**
 * A {@linkcode RowPlan} as one string and arrays whose buffers transfer between threads.
 * Structured-cloning a value per field costs the receiving thread more than the JSON it
 * came from; `JSON.parse` of the plan as text costs the SQLite thread 0.8-1 µs a record;
 * slicing the fields out of one string, 0.2-0.4 (bench/RESULTS.md).
 */
export interface EncodedPlan {
  /** Every string value, one after another. */
  text: string;
  /** Per value: the end of its text in `text` (a non-string value ends where the last did). */
  ends: Int32Array;
  /** Per value: 0 null, 1 string, 2 number. */
  tags: Uint8Array;
  /** Per value: the number, when it is one. */
  numbers: Float64Array;
  /** How many values each section has, in {@linkcode SECTIONS} order. */
  lengths: number[];
  /** The plan's other fields. */
  header: Pick<RowPlan, "eventKinds" | "ignored" | "spanOpens" | "spanCloses">;
}

/**
 * The plan as one string and transferable arrays.
 *
 * @param plan The plan.
 * @param reuse The buffers of an earlier encoding that the receiver is done with
 *   ({@linkcode transferablesOf}, handed back): written into when large enough, so that a
 *   collector does not allocate (and Bun's allocator does not fault in) three new arrays a
 *   batch.
 * @returns Its encoding; pass {@linkcode transferablesOf} along to `postMessage`.
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
 * if (JSON.stringify([back.logs, back.scopes]) !== JSON.stringify([plan.logs, plan.scopes])) {
 *   throw new Error("changed");
 * }
 * ```
 */
export function encodePlan(plan: RowPlan, reuse?: readonly ArrayBuffer[]): EncodedPlan {
  const lengths = SECTIONS.map((name) => plan[name].length);
  const count = lengths.reduce((a, b) => a + b, 0);
  // The three buffers were made together (planArrays): the bytes of `tags` say their room.
  const [ends, tags, numbers] = reuse !== undefined && reuse[1].byteLength >= count
    ? [
      new Int32Array(reuse[0], 0, count),
      new Uint8Array(reuse[1], 0, count),
      new Float64Array(reuse[2], 0, count),
    ]
    : planArrays(count);
  // Parts joined once: a flat string, which neither postMessage nor the slicing that
  // decodes it must flatten.
  const parts: string[] = [];
  let at = 0;
  let i = 0;
  for (const name of SECTIONS) {
    for (const value of plan[name]) {
      if (typeof value === "string") {
        parts.push(value);
        at += value.length;
        tags[i] = 1;
      } else if (typeof value === "number") {
        numbers[i] = value;
        tags[i] = 2;
      } else tags[i] = 0;
      ends[i++] = at;
    }
  }
  const { eventKinds, ignored, spanOpens, spanCloses } = plan;
  return {
    text: parts.join(""),
    ends,
    tags,
    numbers,
    lengths,
    header: { eventKinds, ignored, spanOpens, spanCloses },
  };
}

/**
 * New arrays for `count` values, with room for a quarter more: batches vary in size, and
 * the next may fit where they are reused.
 */
function planArrays(count: number): [Int32Array, Uint8Array, Float64Array] {
  const room = Math.ceil(count * 1.25);
  return [
    new Int32Array(new ArrayBuffer(room * 4), 0, count),
    new Uint8Array(new ArrayBuffer(room), 0, count),
    new Float64Array(new ArrayBuffer(room * 8), 0, count),
  ];
}

/**
 * The buffers of an encoded plan, to transfer rather than copy.
 *
 * @param plan The encoded plan.
 * @returns Its arrays' buffers.
 */
export function transferablesOf(plan: EncodedPlan): ArrayBuffer[] {
  return [plan.ends.buffer, plan.tags.buffer, plan.numbers.buffer] as ArrayBuffer[];
}

/**
 * The plan an {@linkcode encodePlan} encoded.
 *
 * @param encoded The encoding.
 * @returns The plan, with the same values.
 */
export function decodePlan(encoded: EncodedPlan): RowPlan {
  const { text, ends, tags, numbers, lengths } = encoded;
  const plan = { ...encoded.header } as RowPlan;
  let start = 0;
  let i = 0;
  SECTIONS.forEach((name, section) => {
    const values: PlanValue[] = new Array(lengths[section]);
    for (let k = 0; k < values.length; k++, i++) {
      const tag = tags[i];
      values[k] = tag === 1 ? text.slice(start, ends[i]) : tag === 2 ? numbers[i] : null;
      start = ends[i];
    }
    plan[name] = values;
  });
  return plan;
}
