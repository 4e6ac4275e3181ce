/**
 * Children that carry no turn or conversation take their parent's, as the viewer reads a
 * journal: OpenTelemetry instrumentation puts `journal.turn_id` on the root span only, and
 * a child without it would otherwise fall out of its turn (a failed tool call hidden from a
 * turn that then reads "ok").
 *
 * @module
 */

import { RecentMap } from "../collector/recent_map.ts";
import type { ViewerRecord } from "./viewer_record.ts";

/** A span's scope, as the records that named it said. */
interface Scope {
  turnId?: string;
  conversationId?: string;
}

/**
 * A function that fills in a record's missing turn and conversation from its own span (a
 * close or log of a span whose open had them) or its parent span, remembering the scope of
 * at least the last `maxSpans` spans that had one. Records come in journal order: a parent's open
 * precedes its children's records.
 *
 * @param maxSpans Spans whose scope is remembered (the oldest forgotten first).
 * @returns The step: the record itself, or a copy with the inherited fields.
 *
 * @example
 * ```ts
 * import { scopeInheritance } from "./scope_inheritance.ts";
 * const inherit = scopeInheritance(100);
 * const base = { kind: "span-open", name: "n", timestamp: 1, extensionId: "x" };
 * inherit({ ...base, spanId: "root", turnId: "t1" });
 * const child = inherit({ ...base, spanId: "child", parentSpanId: "root" });
 * if (child.turnId !== "t1") throw new Error("the child inherits its parent's turn");
 * ```
 */
export function scopeInheritance(maxSpans: number): (record: ViewerRecord) => ViewerRecord {
  const scopes = new RecentMap<string, Scope>(maxSpans);
  return (record) => {
    let turnId = record.turnId as string | undefined;
    let conversationId = record.conversationId as string | undefined;
    const spanId = record.spanId as string | undefined;
    if (turnId === undefined || conversationId === undefined) {
      const from = (spanId !== undefined ? scopes.get(spanId) : undefined) ??
        (record.kind === "log" ? undefined : scopes.get(record.parentSpanId as string));
      // A record of another conversation keeps its own: only a missing or equal one inherits.
      if (
        from && (conversationId === undefined || conversationId === from.conversationId) &&
        ((turnId === undefined && from.turnId !== undefined) ||
          (conversationId === undefined && from.conversationId !== undefined))
      ) {
        const copy = { ...record };
        if (turnId === undefined && from.turnId !== undefined) copy.turnId = turnId = from.turnId;
        if (conversationId === undefined && from.conversationId !== undefined) {
          copy.conversationId = conversationId = from.conversationId;
        }
        record = copy;
      }
    }
    if (
      record.kind !== "log" && spanId !== undefined &&
      (turnId !== undefined || conversationId !== undefined) && scopes.get(spanId) === undefined
    ) {
      const scope: Scope = {};
      if (turnId !== undefined) scope.turnId = turnId;
      if (conversationId !== undefined) scope.conversationId = conversationId;
      scopes.set(spanId, scope);
    }
    return record;
  };
}
