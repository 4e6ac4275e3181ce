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
 * The `logs` columns a plan's rows hold, in their order: the one declaration the row
 * positions ({@linkcode LOG}), the row width and the INSERT come from. In a plan, `turn_key`
 * is the index of the row's scope in the plan's scopes (or null).
 */
export const LOG_ROW = [
  "timestamp_ms",
  "level",
  "msg",
  "extension_id",
  "conversation_id",
  "turn_id",
  "span_id",
  "trace_id",
  "attributes",
  "body",
  "turn_key",
] as const;

/**
 * The `spans` columns a plan's rows hold, in their order (see {@linkcode LOG_ROW}). In a
 * plan, `turn_key` is a scope's index, and `slowest` and `id` are left for the store.
 */
export const SPAN_ROW = [
  "span_id",
  "parent_span_id",
  "trace_id",
  "name",
  "start_ms",
  "end_ms",
  "duration_ms",
  "status",
  "extension_id",
  "conversation_id",
  "turn_id",
  "attributes",
  "links",
  "body",
  "close_without_open",
  "model",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "cache_read_tokens",
  "cache_write_tokens",
  "tool_name",
  "turn_key",
  "slowest",
  "id",
] as const;

/**
 * A scope of the batch: a conversation and turn pair, the first and last time of its
 * records, and the turn's trace id (the one its records derive; null without a turn). A row
 * of a scope leaves its `conversation_id` and `turn_id` null, and its `trace_id` null when
 * it is the scope's: the store fills them in (the plan crosses threads a third smaller).
 */
export const SCOPE_ROW = ["conversation_id", "turn_id", "first_ms", "last_ms", "trace_id"] as const;

/**
 * The fields of an `EV_CLOSE` event: a `span-close` whose open is not in the batch (the
 * store finds it, or keeps the close on its own). `duration_ms` is the close's own (null
 * when it has none); `attributes` and `links` the close's own as JSON text, or null;
 * `conversation_id` and `turn_id` the close's own or those it inherits from its parent;
 * `anchor` the span id whose trace the store settles (see `EV_SETTLE_LOG`); `scope_anchor`,
 * when not null, the span id whose scope it inherits, for the store to look up.
 */
export const CLOSE_EVENT = [
  "span_id",
  "time",
  "duration_ms",
  "status",
  "name",
  "extension_id",
  "conversation_id",
  "turn_id",
  "parent_span_id",
  "attributes",
  "links",
  "trace_id",
  "anchor",
  "model",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "cache_read_tokens",
  "cache_write_tokens",
  "scope_anchor",
] as const;

/** The fields of an `EV_CLOSED` event: a span opened in the batch closed. */
export const CLOSED_EVENT = ["row", "duration_ms"] as const;

/** The fields of the events about one row: the row, and the span id the store looks up. */
export const ROW_EVENT = ["row", "anchor"] as const;

/** Each name of a list, to its position in it. */
export type Positions<T extends readonly string[]> = { readonly [K in T[number]]: number };

/** The positions of `names`, by name. */
function positions<T extends readonly string[]>(names: T): Positions<T> {
  return Object.freeze(Object.fromEntries(names.map((name, i) => [name, i]))) as Positions<T>;
}

/** Where each column is in a `logs` row: `row + LOG.trace_id`. */
export const LOG: Positions<typeof LOG_ROW> = positions(LOG_ROW);
/** Where each column is in a `spans` row. */
export const SPAN: Positions<typeof SPAN_ROW> = positions(SPAN_ROW);
/** Where each field is in a scope. */
export const SCOPE: Positions<typeof SCOPE_ROW> = positions(SCOPE_ROW);
/** Where each field is in an `EV_CLOSE` event. */
export const CLOSE: Positions<typeof CLOSE_EVENT> = positions(CLOSE_EVENT);
/** Where each field is in an `EV_CLOSED` event. */
export const CLOSED: Positions<typeof CLOSED_EVENT> = positions(CLOSED_EVENT);
/** Where each field is in the events about one row. */
export const ROW: Positions<typeof ROW_EVENT> = positions(ROW_EVENT);

/** Values of a `logs` row. */
export const LOG_COLUMNS: number = LOG_ROW.length;
/** Values of a `spans` row. */
export const SPAN_COLUMNS: number = SPAN_ROW.length;
/** Values of a scope. */
export const SCOPE_FIELDS: number = SCOPE_ROW.length;

/**
 * Appends a row of `width` nulls to `values`, for its fields to be set by name.
 *
 * @param values A section of a plan.
 * @param width The row's width ({@linkcode LOG_COLUMNS}, {@linkcode SPAN_COLUMNS}…).
 * @returns Where the row starts.
 *
 * @example
 * ```ts
 * import { addRow, LOG, LOG_COLUMNS, type PlanValue } from "./row_plan.ts";
 * const logs: PlanValue[] = [];
 * const at = addRow(logs, LOG_COLUMNS);
 * logs[at + LOG.msg] = "hi";
 * if (logs.length !== LOG_COLUMNS || logs[2] !== "hi") throw new Error("layout");
 * ```
 */
export function addRow(values: PlanValue[], width: number): number {
  const at = values.length;
  // One push of a row of nulls: cheaper than a push per value (bench/RESULTS.md, collector).
  values.push.apply(values, NULLS[width] ??= new Array(width).fill(null));
  return at;
}

/** A row of nulls, by width. */
const NULLS: PlanValue[][] = [];

/**
 * An event: a span opened in the batch closed ({@linkcode CLOSED_EVENT}); the store decides
 * its `slowest` flag, in journal order with every other close.
 */
export const EV_CLOSED = 0;
/** An event: a `span-close` whose open is not in the batch ({@linkcode CLOSE_EVENT}). */
export const EV_CLOSE = 1;
/**
 * An event: a `logs` row's trace id to settle ({@linkcode ROW_EVENT}): the span id whose
 * trace the record joins (the anchor) was not among those the planner remembers; the store
 * looks it up (the row holds the id derived from the anchor, for when nothing knows it).
 */
export const EV_SETTLE_LOG = 2;
/** An event: the same for a `spans` row. */
export const EV_SETTLE_SPAN = 3;
/**
 * An event: a `logs` row without a conversation or turn, inside a span whose scope the
 * planner does not know ({@linkcode ROW_EVENT}): the row takes the scope of the span the
 * anchor names when the store knows one (a child inherits its parent's turn and
 * conversation).
 */
export const EV_INHERIT_LOG = 4;
/** An event: the same for a `spans` row, the anchor being an ancestor of its span. */
export const EV_INHERIT_SPAN = 5;
/** Fields of each event kind, by kind. */
export const EVENT_FIELDS: readonly number[] = [
  CLOSED_EVENT.length,
  CLOSE_EVENT.length,
  ROW_EVENT.length,
  ROW_EVENT.length,
  ROW_EVENT.length,
  ROW_EVENT.length,
];

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
 * Structured-cloning a value per field, or `JSON.parse` of the plan as text, costs the
 * SQLite thread more than slicing the fields out of one string (measured: bench/RESULTS.md,
 * collector).
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
