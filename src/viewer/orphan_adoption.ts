/**
 * Records whose parent came later: over OTLP a child ends, and is sent, before its parent, so
 * the receiver writes a turn's children (without `journal.turn_id`) in requests before the one
 * that brings the root carrying it. Reading forward, `scopeInheritance` cannot give them the
 * turn; once the root is there, this settles them.
 *
 * @module
 */

import type { ViewerRecord } from "./viewer_record.ts";

/** A span's scope, as its own records said. */
interface Scope {
  turnId: string;
  conversationId?: string;
}

/** What {@linkcode adoptOrphans} made of some records. */
export interface Adoption {
  /** The records in their order, each adopted one replaced by a copy with its scope. */
  records: ViewerRecord[];
  /** How many were adopted. */
  adopted: number;
}

/**
 * Gives each record without a turn whose span is, or descends through the parents named
 * among `records` from, a span with a turn that span's turn and conversation (the
 * conversation only where the record has none or the same, as `scopeInheritance` does).
 * Linear in `records`; a cycle of parents adopts nothing.
 *
 * @param records Records of one trace or turn, in any order.
 * @returns The records with the adopted ones replaced, and their count.
 *
 * @example A grandchild and a child written before their root
 * ```ts
 * import { adoptOrphans } from "./orphan_adoption.ts";
 * const span = { kind: "span-open", name: "n", timestamp: 1, extensionId: "x" };
 * const { records, adopted } = adoptOrphans([
 *   { ...span, spanId: "tool", parentSpanId: "chat" },
 *   { ...span, spanId: "chat", parentSpanId: "root" },
 *   { ...span, spanId: "root", turnId: "t1", conversationId: "c1" },
 * ]);
 * if (adopted !== 2 || records[0].turnId !== "t1" || records[0].conversationId !== "c1") {
 *   throw new Error("the grandchild takes the root's turn and conversation");
 * }
 * ```
 */
export function adoptOrphans(records: readonly ViewerRecord[]): Adoption {
  const scopes = new Map<string, Scope>();
  const parents = new Map<string, string>();
  for (const record of records) {
    const spanId = record.spanId;
    if (record.kind === "log" || typeof spanId !== "string") continue;
    const turnId = record.turnId;
    if (typeof turnId === "string") {
      if (scopes.has(spanId)) continue;
      const scope: Scope = { turnId };
      if (typeof record.conversationId === "string") scope.conversationId = record.conversationId;
      scopes.set(spanId, scope);
    } else if (typeof record.parentSpanId === "string") {
      parents.set(spanId, record.parentSpanId);
    }
  }
  /** Each span's inherited scope once found (null: none), so every chain is walked once. */
  const found = new Map<string, Scope | null>();
  const scopeOf = (spanId: string): Scope | undefined => {
    const path: string[] = [];
    let node: string | undefined = spanId;
    let scope: Scope | null | undefined;
    while (node !== undefined) {
      scope = scopes.get(node) ?? found.get(node);
      if (scope !== undefined) break;
      path.push(node);
      // Longer than there are parents: a cycle.
      if (path.length > parents.size + 1) break;
      node = parents.get(node);
    }
    for (const visited of path) found.set(visited, scope ?? null);
    return scope ?? undefined;
  };
  if (scopes.size === 0) return { records: [...records], adopted: 0 };
  let adopted = 0;
  const out = records.map((record) => {
    const spanId = record.spanId;
    if (typeof record.turnId === "string" || typeof spanId !== "string") return record;
    const scope = scopeOf(spanId);
    if (scope === undefined) return record;
    const conversationId = record.conversationId;
    if (conversationId !== undefined && conversationId !== scope.conversationId) return record;
    adopted++;
    const copy: ViewerRecord = { ...record, turnId: scope.turnId };
    if (scope.conversationId !== undefined) copy.conversationId = scope.conversationId;
    return copy;
  });
  return { records: out, adopted };
}
