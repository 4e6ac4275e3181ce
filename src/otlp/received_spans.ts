/**
 * What the receiver remembers of the spans it wrote recently: their turn and conversation,
 * which a child that carries none inherits (OpenTelemetry SDKs put `journal.turn_id` on the
 * root span only), and, for a request that failed part way (503), how many of each span's
 * records it wrote, so the sender's retry does not write them twice. Bounded: the most
 * recent spans only.
 *
 * @module
 */

import type { LogRecord } from "../records.ts";
import { RecentMap } from "../collector/recent_map.ts";

/** A span's scope as its children inherit it. */
interface InheritedScope {
  turnId?: string;
  conversationId?: string;
}

/** Parents followed at most, against a cycle in what a sender claims. */
const MAX_ANCESTORS = 64;

function spanKey(traceId: string | undefined, spanId: string): string {
  return `${traceId ?? ""}/${spanId}`;
}

/**
 * One request's records cut into units that are written whole or retried: a span (its open,
 * the events and logs that follow it with its id, its close) or a lone record.
 *
 * @param records Records in the order the mapping made them.
 * @returns The units, in order.
 *
 * @example
 * ```ts
 * import { recordUnits } from "./received_spans.ts";
 * import type { LogRecord } from "../records.ts";
 * const at = { timestamp: 1, extensionId: "x" };
 * const units = recordUnits([
 *   { kind: "span-open", spanId: "a", name: "a", ...at },
 *   { kind: "log", level: "info", msg: "event", spanId: "a", ...at },
 *   { kind: "span-close", spanId: "a", name: "a", durationMs: 0, status: "ok", ...at },
 *   { kind: "log", level: "info", msg: "alone", ...at },
 * ] as LogRecord[]);
 * if (units.length !== 2 || units[0].length !== 3) throw new Error("units");
 * ```
 */
export function recordUnits(records: LogRecord[]): LogRecord[][] {
  const units: LogRecord[][] = [];
  let span: LogRecord[] | undefined;
  for (const record of records) {
    if (record.kind === "span-open") {
      span = [record];
      units.push(span);
    } else if (span !== undefined && record.spanId === span[0].spanId) {
      span.push(record);
      if (record.kind === "span-close") span = undefined;
    } else {
      span = undefined;
      units.push([record]);
    }
  }
  return units;
}

/**
 * The receiver's memory of recent spans.
 *
 * @example A child inherits its parent's turn, in the same request or a later one
 * ```ts
 * import { ReceivedSpans } from "./received_spans.ts";
 * import type { LogRecord } from "../records.ts";
 * const memory = new ReceivedSpans(1000);
 * const at = { timestamp: 1, extensionId: "x", traceId: "t" };
 * const root = { kind: "span-open", spanId: "r", name: "turn", turnId: "T1", ...at } as LogRecord;
 * memory.inherit([[root]]);
 * memory.remember([root]);
 * const child = { kind: "span-open", spanId: "c", parentSpanId: "r", name: "tool", ...at } as LogRecord;
 * memory.inherit([[child]]);
 * if (child.turnId !== "T1") throw new Error("not inherited");
 * ```
 */
export class ReceivedSpans {
  private readonly scopes: RecentMap<string, InheritedScope>;
  private readonly written: RecentMap<string, number>;

  /** @param spans About how many recent spans to remember. */
  constructor(spans: number) {
    this.scopes = new RecentMap(Math.ceil(spans / 2));
    this.written = new RecentMap(Math.ceil(spans / 2));
  }

  /**
   * Gives each span of `units` that has no turn or conversation its parent's (from the same
   * request, or a span remembered from an earlier one), and each log of a known span the
   * span's; a span's own values are kept.
   */
  inherit(units: LogRecord[][]): void {
    const local = new Map<string, LogRecord>();
    for (const unit of units) {
      const first = unit[0];
      if (first.kind === "span-open") local.set(spanKey(first.traceId, first.spanId), first);
    }
    const resolved = new Map<string, InheritedScope>();
    const scopeOf = (key: string, depth: number): InheritedScope | undefined => {
      const known = resolved.get(key);
      if (known !== undefined) return known;
      const open = local.get(key);
      if (open === undefined || open.kind !== "span-open") return this.scopes.get(key);
      let scope: InheritedScope = { turnId: open.turnId, conversationId: open.conversationId };
      if ((scope.turnId === undefined || scope.conversationId === undefined) && depth > 0) {
        const parent = open.parentSpanId === undefined
          ? undefined
          : scopeOf(spanKey(open.traceId, open.parentSpanId), depth - 1);
        scope = {
          turnId: scope.turnId ?? parent?.turnId,
          conversationId: scope.conversationId ?? parent?.conversationId,
        };
      }
      resolved.set(key, scope);
      return scope;
    };
    for (const unit of units) {
      const first = unit[0];
      if (first.spanId === undefined) continue;
      const key = spanKey(first.traceId, first.spanId);
      const scope = first.kind === "span-open" ? scopeOf(key, MAX_ANCESTORS) : this.scopes.get(key);
      if (scope === undefined) continue;
      for (const record of unit) {
        if (record.turnId === undefined && scope.turnId !== undefined) {
          record.turnId = scope.turnId;
        }
        if (record.conversationId === undefined && scope.conversationId !== undefined) {
          record.conversationId = scope.conversationId;
        }
      }
    }
  }

  /** Remembers a span's scope for its children still to come. */
  remember(unit: LogRecord[]): void {
    const first = unit[0];
    if (first.kind !== "span-open") return;
    if (first.turnId !== undefined || first.conversationId !== undefined) {
      const key = spanKey(first.traceId, first.spanId);
      this.scopes.set(key, { turnId: first.turnId, conversationId: first.conversationId });
    }
  }

  /** How many of the unit's records a request that failed part way wrote (0 if none). */
  writtenBefore(unit: LogRecord[]): number {
    const first = unit[0];
    if (first.kind !== "span-open") return 0;
    return this.written.get(spanKey(first.traceId, first.spanId)) ?? 0;
  }

  /**
   * Notes that the first `count` records of a span were written by a request that failed
   * part way, so its retry skips them; 0 forgets it (the retry wrote the rest).
   */
  partlyWritten(unit: LogRecord[], count: number): void {
    const first = unit[0];
    if (first.kind !== "span-open") return;
    const key = spanKey(first.traceId, first.spanId);
    if (count > 0) this.written.set(key, count);
    else this.written.delete(key);
  }
}
