/**
 * What the batch planner remembers of the spans of recent batches: each span's trace id and
 * scope (conversation and turn), which a child without its own joins.
 *
 * @module
 */

/** How many spans' trace ids and scopes the planner remembers at least. */
export const REMEMBERED_SPANS = 100_000;

/** Values kept per span: `[spanId, trace, conversation, turn]`. */
const STRIDE = 4;

/** One batch's spans, one after another, and their index by span id once built. */
interface Batch {
  values: (string | null | undefined)[];
  index?: Map<string, number>;
}

/**
 * A remembered span's scope: its conversation and turn; or `undefined` for a scope not
 * settled yet, in which case `turn` is the span id it waits on (an ancestor the planner
 * has not seen, whose scope the store may know).
 */
export interface RememberedScope {
  conversation: string | null | undefined;
  turn: string | null;
}

/**
 * The trace ids and scopes of at least {@linkcode REMEMBERED_SPANS} recent spans, by span
 * id. Most records carry their turn, and their trace and scope come from it; only a record
 * without them asks for its parent's. So each batch's spans are kept as a flat list, and
 * indexed the first time one of them is asked for.
 *
 * @example
 * ```ts
 * import { RecentSpans } from "./recent_spans.ts";
 * const spans = new RecentSpans();
 * spans.set("root", "ab", "c1", "t1");
 * spans.endBatch();
 * const scope = spans.scope("root");
 * if (spans.trace("root") !== "ab" || scope?.turn !== "t1") throw new Error("forgotten");
 * ```
 */
export class RecentSpans {
  /** Earlier batches, newest last. */
  private batches: Batch[] = [];
  private current: Batch = { values: [] };
  /** What `find` found: the batch's values and the span's place in them. */
  private foundValues: (string | null | undefined)[] = [];
  private foundAt = 0;

  /**
   * Remembers a span of the current batch (a later entry of the same id wins).
   *
   * @returns Where it is kept, for {@linkcode RecentSpans.settle}.
   */
  set(
    spanId: string,
    trace: string,
    conversation: string | null | undefined,
    turn: string | null,
  ): number {
    const values = this.current.values;
    const at = values.length;
    values.push(spanId, trace, conversation, turn);
    this.current.index?.set(spanId, at);
    return at;
  }

  /** Settles the scope of the current batch's span kept at `at` (from {@linkcode set}). */
  settle(at: number, conversation: string | null | undefined, turn: string | null): void {
    this.current.values[at + 2] = conversation;
    this.current.values[at + 3] = turn;
  }

  /** The trace id remembered for `spanId`. */
  trace(spanId: string): string | undefined {
    return this.find(spanId) ? this.foundValues[this.foundAt + 1] as string : undefined;
  }

  /** The scope remembered for `spanId`, or `undefined` for a span not remembered. */
  scope(spanId: string): RememberedScope | undefined {
    if (!this.find(spanId)) return undefined;
    const values = this.foundValues;
    const at = this.foundAt;
    return { conversation: values[at + 2], turn: values[at + 3] as string | null };
  }

  private find(spanId: string): boolean {
    let at = indexOf(this.current).get(spanId);
    if (at !== undefined) {
      this.foundValues = this.current.values;
      this.foundAt = at;
      return true;
    }
    for (let i = this.batches.length - 1; i >= 0; i--) {
      at = indexOf(this.batches[i]).get(spanId);
      if (at !== undefined) {
        this.foundValues = this.batches[i].values;
        this.foundAt = at;
        return true;
      }
    }
    return false;
  }

  /** Closes the current batch; forgets the oldest batches beyond what must be kept. */
  endBatch(): void {
    this.batches.push(this.current);
    this.current = { values: [] };
    let kept = 0;
    for (let i = this.batches.length - 1; i >= 0; i--) {
      if (kept >= REMEMBERED_SPANS) {
        this.batches.splice(0, i + 1);
        break;
      }
      kept += this.batches[i].values.length / STRIDE;
    }
  }

  /** Forgets every span. */
  clear(): void {
    this.batches = [];
    this.current = { values: [] };
  }
}

function indexOf(batch: Batch): Map<string, number> {
  if (batch.index === undefined) {
    const index = new Map<string, number>();
    const values = batch.values;
    for (let at = 0; at < values.length; at += STRIDE) index.set(values[at] as string, at);
    batch.index = index;
  }
  return batch.index;
}
