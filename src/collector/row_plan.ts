/**
 * A batch of records as the trace store's row operations: what the planner
 * ({@linkcode BatchPlanner}) works out from the records alone (row values, JSON text, usage
 * columns, trace ids, a span opened and closed in the batch merged into one row), in
 * journal order, for the store to apply with what only the database knows (turn keys, open
 * spans of earlier batches). The one home of the operations' field layouts, and of their
 * transport between threads as one string and a few transferable arrays.
 *
 * @module
 */

/** A field of an operation: what SQLite binds. */
export type PlanValue = string | number | null;

/**
 * A log entry: `[time, level, msg, extensionId, conversationId, turnId, spanId, traceId,
 * anchor, attributes, body]` (attributes and body as JSON text).
 */
export const OP_LOG = 0;
/** Fields of {@linkcode OP_LOG}. */
export const LOG_FIELDS = 11;

/**
 * A `span-open`: `[spanId, parentSpanId, traceId, anchor, name, time, extensionId,
 * conversationId, turnId, attributes, links, body, model, inputTokens, outputTokens,
 * costUsd]`. When the span closes in the same batch, attributes and links are already the
 * merged ones (the close says so).
 */
export const OP_OPEN = 1;
/** Fields of {@linkcode OP_OPEN}. */
export const OPEN_FIELDS = 16;

/**
 * A `span-close` of a span opened in the same batch: `[open (the ordinal of its
 * OP_OPEN in the batch), time, durationMs, status, conversationId, turnId, parentSpanId,
 * model, inputTokens, outputTokens, costUsd, recount (1 when the usage or the scope may
 * differ from the open's)]`.
 */
export const OP_CLOSE_IN_BATCH = 2;
/** Fields of {@linkcode OP_CLOSE_IN_BATCH}. */
export const CLOSE_IN_BATCH_FIELDS = 12;

/**
 * A `span-close` whose open is not in the batch (the store finds it, or keeps the close on
 * its own): `[spanId, time, durationMs, status, name, extensionId, conversationId, turnId,
 * parentSpanId, attributes (its own, or null), links (its own when a non-empty array, or
 * null), linksAsGiven, traceId, anchor, model, inputTokens, outputTokens, costUsd]`.
 */
export const OP_CLOSE = 3;
/** Fields of {@linkcode OP_CLOSE}. */
export const CLOSE_FIELDS = 18;

/**
 * A batch as operations. `values` holds each operation's fields in order, as many as its
 * kind has; `traceId` fields are final unless the `anchor` next to them is set: then the
 * span id whose trace the record joins was not among those the planner remembers, and the
 * store looks it up (`traceId` is the id derived from the anchor when nothing knows it).
 */
export interface RowPlan {
  /** The kind of each operation, in journal order. */
  ops: Uint8Array;
  /** Their fields. */
  values: PlanValue[];
  /** Records without a usable timestamp, kind or span id. */
  ignored: number;
}

/**
 * A {@linkcode RowPlan} as one string and arrays whose buffers transfer between threads:
 * structured-cloning a value per field costs the receiving thread more than parsing the
 * JSON it came from; slicing fields out of one string costs a tenth of that.
 */
export interface EncodedPlan {
  /** Every string field, one after another. */
  text: string;
  /** Per field: the end of its text in `text` (a non-string field ends where the last did). */
  ends: Int32Array;
  /** Per field: 0 null, 1 string, 2 number. */
  tags: Uint8Array;
  /** Per field: its value, when a number. */
  numbers: Float64Array;
  /** {@linkcode RowPlan.ops}. */
  ops: Uint8Array;
  /** {@linkcode RowPlan.ignored}. */
  ignored: number;
}

/**
 * The plan as a string and transferable arrays.
 *
 * @param plan The plan.
 * @returns Its encoding; pass {@linkcode transferablesOf} along to `postMessage`.
 *
 * @example A round trip
 * ```ts
 * import { decodePlan, encodePlan, OP_LOG } from "./row_plan.ts";
 * const plan = { ops: Uint8Array.of(OP_LOG), values: [1, "info", "hi", "host", null, "t", null, "ab", null, null, "{}"], ignored: 0 };
 * const back = decodePlan(encodePlan(plan));
 * if (JSON.stringify(back.values) !== JSON.stringify(plan.values)) throw new Error("changed");
 * ```
 */
export function encodePlan(plan: RowPlan): EncodedPlan {
  const { values } = plan;
  const count = values.length;
  const ends = new Int32Array(count);
  const tags = new Uint8Array(count);
  const numbers = new Float64Array(count);
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (typeof value === "string") {
      parts.push(value);
      at += value.length;
      tags[i] = 1;
    } else if (typeof value === "number") {
      numbers[i] = value;
      tags[i] = 2;
    }
    ends[i] = at;
  }
  return { text: parts.join(""), ends, tags, numbers, ops: plan.ops, ignored: plan.ignored };
}

/**
 * The buffers of an encoded plan, to transfer rather than copy.
 *
 * @param plan The encoded plan.
 * @returns Its arrays' buffers.
 */
export function transferablesOf(plan: EncodedPlan): ArrayBuffer[] {
  return [plan.ends, plan.tags, plan.numbers, plan.ops].map((array) => array.buffer as ArrayBuffer);
}

/**
 * The plan an {@linkcode encodePlan} encoded.
 *
 * @param encoded The encoding.
 * @returns The plan, with the same values.
 */
export function decodePlan(encoded: EncodedPlan): RowPlan {
  const { text, ends, tags, numbers } = encoded;
  const values: PlanValue[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const tag = tags[i];
    values[i] = tag === 1 ? text.slice(start, ends[i]) : tag === 2 ? numbers[i] : null;
    start = ends[i];
  }
  return { ops: encoded.ops, values, ignored: encoded.ignored };
}
