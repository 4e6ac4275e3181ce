/**
 * Rebuilding trace trees from the incremental span records of a journal.
 *
 * @module
 */

import type { Link, LogEntry, SpanClose, SpanOpen } from "../records.ts";
import {
  attributesOf,
  closeDuration,
  closeOnlyStart,
  closeStatus,
  keptText,
  linksOf,
  mergeAttributes,
  mergeLinks,
} from "./span_merge.ts";

/**
 * Something odd about a span, kept visible rather than hidden:
 * - `"close-without-open"`: only its close record was read (the open was in a generation
 *   that was rotated away, or filtered out);
 * - `"missing-parent"`: its `parentSpanId` names a span that was not read; it is a root;
 * - `"duplicate-id"`: another span has the same `spanId`;
 * - `"parent-cycle"`: following `parentSpanId`s leads back to it; it is made a root.
 *
 * @example
 * ```ts
 * import type { SpanAnomaly } from "@dispatch/journal-sink";
 * const anomaly: SpanAnomaly = "missing-parent";
 * if (anomaly !== "missing-parent") throw new Error("unreachable");
 * ```
 */
export type SpanAnomaly = "close-without-open" | "missing-parent" | "duplicate-id" | "parent-cycle";

/**
 * One span of a reconstructed trace.
 *
 * @example
 * ```ts
 * import { reconstructTraces, type TraceSpan } from "@dispatch/journal-sink";
 * const { roots } = reconstructTraces([
 *   { kind: "span-open", spanId: "s", name: "turn", timestamp: 5, extensionId: "host" },
 * ]);
 * const span: TraceSpan = roots[0];
 * if (span.status !== "open" || span.end !== undefined) throw new Error("should be open");
 * ```
 */
export interface TraceSpan {
  /** The span's id. */
  spanId: string;
  /** What the span measures. */
  name: string;
  /** Who wrote it. */
  extensionId: string;
  /** Conversation, when recorded. */
  conversationId?: string;
  /** Turn, when recorded. */
  turnId?: string;
  /** The enclosing span's id, as recorded (even when that span was not read). */
  parentSpanId?: string;
  /**
   * The trace (32 hex digits): the record's `traceId`, else the parent span's; absent when
   * neither the span nor any ancestor recorded one.
   */
  traceId?: string;
  /** Start in ms since the epoch: the open's timestamp (or close minus duration). */
  start: number;
  /** End in ms since the epoch; `undefined` while open. */
  end?: number;
  /** As recorded by the close; `undefined` while open. */
  durationMs?: number;
  /** How it ended, or `"open"` when no close was read (the process died, or still runs). */
  status: "ok" | "error" | "open";
  /** The open's attributes with the close's merged over them. */
  attributes: Record<string, unknown>;
  /** The links of the open and the close. */
  links: Link[];
  /** The open's body, when it had one. */
  body?: unknown;
  /** Spans whose parent this is, by start time. */
  children: TraceSpan[];
  /** Log entries carrying this `spanId`, by time. */
  logs: LogEntry[];
  /** What was odd about it; empty for a well-formed span. */
  anomalies: SpanAnomaly[];
}

/**
 * The log entries of one turn written outside any span: they carry a `turnId` but no
 * `spanId` (a host that logs between its spans, or before the first one opens).
 *
 * @example
 * ```ts
 * import { reconstructTraces, type TurnLogs } from "@dispatch/journal-sink";
 * const { turnLogs } = reconstructTraces([
 *   { kind: "log", level: "info", msg: "turn started", timestamp: 1, turnId: "t1", extensionId: "host" },
 * ]);
 * const turn: TurnLogs = turnLogs[0];
 * if (turn.turnId !== "t1" || turn.logs[0].msg !== "turn started") throw new Error("not grouped");
 * ```
 */
export interface TurnLogs {
  /** The turn. */
  turnId: string;
  /** The conversation of its first entry, when recorded. */
  conversationId?: string;
  /** Its entries without a span, by time. */
  logs: LogEntry[];
}

/**
 * The result of {@linkcode reconstructTraces}.
 *
 * @example
 * ```ts
 * import { reconstructTraces, type TraceForest } from "@dispatch/journal-sink";
 * const forest: TraceForest = reconstructTraces([]);
 * if (forest.roots.length !== 0 || forest.spanCount !== 0) throw new Error("empty input");
 * ```
 */
export interface TraceForest {
  /** Spans without a (read) parent, by start time: one tree per trace. */
  roots: TraceSpan[];
  /** Every span still open at the end of the input, by start time. */
  open: TraceSpan[];
  /** Log entries whose `spanId` matches no span read, by time. */
  orphanLogs: LogEntry[];
  /**
   * Log entries inside a turn but outside any span (a `turnId`, no `spanId`), one group per
   * turn in the order of their first entry. Entries with neither are not kept.
   */
  turnLogs: TurnLogs[];
  /** Every span, in all trees. */
  spanCount: number;
  /** The latest timestamp seen in the input (for "open for at least …"), if any. */
  lastTimestamp?: number;
}

/**
 * What {@linkcode reconstructTraces} takes: any record, known kind or not; only `kind` is
 * required to look at it.
 *
 * @example
 * ```ts
 * import type { TraceInput } from "@dispatch/journal-sink";
 * const record: TraceInput = { kind: "metric" };
 * if (record.kind !== "metric") throw new Error("unreachable");
 * ```
 */
export type TraceInput = { readonly kind: string };

function byStart(a: TraceSpan, b: TraceSpan): number {
  return a.start - b.start;
}

function byTime(a: LogEntry, b: LogEntry): number {
  return a.timestamp - b.timestamp;
}

// Records read back through `readJournal` hold their fields' types; records handed over
// directly may not, so each optional field is taken only when it has its type.

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function fromOpen(record: SpanOpen): TraceSpan {
  const span: TraceSpan = {
    spanId: record.spanId,
    name: text(record.name) ?? "",
    extensionId: text(record.extensionId) ?? "",
    start: record.timestamp,
    status: "open",
    attributes: { ...attributesOf(record.attributes) },
    links: linksOf(record.links),
    children: [],
    logs: [],
    anomalies: [],
  };
  const conversationId = text(record.conversationId);
  if (conversationId !== undefined) span.conversationId = conversationId;
  const turnId = text(record.turnId);
  if (turnId !== undefined) span.turnId = turnId;
  const parentSpanId = text(record.parentSpanId);
  if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
  const traceId = text(record.traceId);
  if (traceId !== undefined) span.traceId = traceId;
  if (record.body !== undefined) span.body = record.body;
  return span;
}

/** The close merged over the open (the rule: `span_merge.ts`). */
function applyClose(span: TraceSpan, record: SpanClose): void {
  span.end = record.timestamp;
  span.durationMs = closeDuration(record.durationMs, span.start, record.timestamp);
  span.status = closeStatus(record.status);
  span.attributes = mergeAttributes(span.attributes, record.attributes);
  span.links = mergeLinks(span.links, record.links);
  span.conversationId = keptText(span.conversationId, record.conversationId);
  span.turnId = keptText(span.turnId, record.turnId);
  span.parentSpanId = keptText(span.parentSpanId, record.parentSpanId);
  span.traceId = keptText(span.traceId, record.traceId);
  if (span.conversationId === undefined) delete span.conversationId;
  if (span.turnId === undefined) delete span.turnId;
  if (span.parentSpanId === undefined) delete span.parentSpanId;
  if (span.traceId === undefined) delete span.traceId;
}

/**
 * The open of a span read after its close (two writers, or records merged out of order):
 * the span starts at the open, not at close minus duration (the two clocks differ, and the
 * difference could put a child before its parent). The close's fields stay over the open's.
 */
function applyLateOpen(span: TraceSpan, record: SpanOpen): void {
  const open = fromOpen(record);
  span.start = open.start;
  span.attributes = mergeAttributes(open.attributes, span.attributes);
  span.links = mergeLinks(open.links, span.links);
  if (open.body !== undefined) span.body = open.body;
  if (open.conversationId !== undefined) span.conversationId = open.conversationId;
  if (open.turnId !== undefined) span.turnId = open.turnId;
  if (open.parentSpanId !== undefined) span.parentSpanId = open.parentSpanId;
  if (open.traceId !== undefined) span.traceId = open.traceId;
  span.anomalies = span.anomalies.filter((anomaly) => anomaly !== "close-without-open");
}

/** Spans without a `traceId` of their own take their parent's, top down (the tree has no cycles). */
function inheritTraceIds(roots: readonly TraceSpan[]): void {
  const stack = [...roots];
  for (let span = stack.pop(); span !== undefined; span = stack.pop()) {
    for (const child of span.children) {
      if (child.traceId === undefined && span.traceId !== undefined) child.traceId = span.traceId;
      stack.push(child);
    }
  }
}

function mark(span: TraceSpan, anomaly: SpanAnomaly): void {
  if (!span.anomalies.includes(anomaly)) span.anomalies.push(anomaly);
}

/**
 * Rebuilds the forest of spans from records in the order they were written: each
 * `span-open` starts a span, the next `span-close` of that id ends it, children hang under
 * their `parentSpanId`, log entries under their `spanId` (or, without one, under their
 * `turnId` in `turnLogs`). A span with no close is `"open"`
 * (a crash leaves exactly that). Nothing is dropped and nothing throws: a close without an
 * open, a parent that was not read, a reused id or a parent cycle each yield a span marked
 * in `anomalies`. Records of other kinds, and malformed span records, are ignored.
 *
 * Takes any iterable (an array, a generator) or an async iterable such as
 * {@linkcode readJournal}'s; the latter returns a promise.
 *
 * @param records The records, oldest first.
 * @returns The forest (a promise of it for an async iterable).
 *
 * @example The open span of a crashed turn
 * ```ts
 * import { reconstructTraces } from "@dispatch/journal-sink";
 * const forest = reconstructTraces([
 *   { kind: "span-open", spanId: "turn", name: "turn", timestamp: 0, extensionId: "host" },
 *   { kind: "span-open", spanId: "llm", parentSpanId: "turn", name: "llm", timestamp: 1, extensionId: "host" },
 *   { kind: "span-close", spanId: "llm", parentSpanId: "turn", name: "llm", timestamp: 9, durationMs: 8, status: "ok", extensionId: "host" },
 *   { kind: "span-open", spanId: "tool", parentSpanId: "turn", name: "tool", timestamp: 10, extensionId: "host" },
 * ]);
 * const [turn] = forest.roots;
 * const statuses = turn.children.map((span) => `${span.name}:${span.status}`).join(" ");
 * if (statuses !== "llm:ok tool:open" || forest.open.length !== 2) throw new Error(statuses);
 * ```
 */
export function reconstructTraces<R extends TraceInput>(records: Iterable<R>): TraceForest;
/**
 * Rebuilds the forest of spans from an async iterable of records, such as
 * {@linkcode readJournal}'s; see the synchronous form for the rules.
 *
 * @param records The records, oldest first.
 * @returns A promise of the forest.
 *
 * @example Straight from a journal
 * ```ts
 * import { createJournalSink, readJournal, reconstructTraces } from "@dispatch/journal-sink";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * const fs = createFakeFs();
 * const sink = createJournalSink({ path: "app.jsonl", fs });
 * sink.emit({ kind: "span-open", spanId: "s1", name: "turn", timestamp: 1, extensionId: "host" });
 * sink.close();
 * const forest = await reconstructTraces(readJournal("app.jsonl", { fs }));
 * if (forest.open[0]?.spanId !== "s1") throw new Error("the turn should be open");
 * ```
 */
export function reconstructTraces<R extends TraceInput>(
  records: AsyncIterable<R>,
): Promise<TraceForest>;
export function reconstructTraces<R extends TraceInput>(
  records: Iterable<R> | AsyncIterable<R>,
): TraceForest | Promise<TraceForest> {
  const builder = new TraceBuilder();
  if (Symbol.iterator in records) {
    for (const record of records) builder.add(record);
    return builder.build();
  }
  return (async () => {
    for await (const record of records) builder.add(record);
    return builder.build();
  })();
}

/** Accumulates records; {@linkcode TraceBuilder.build} links them into trees. */
class TraceBuilder {
  private spans: TraceSpan[] = [];
  /** Every span of an id, in the order they were opened. */
  private byId = new Map<string, TraceSpan[]>();
  private logs: LogEntry[] = [];
  private turnLogs = new Map<string, TurnLogs>();
  private last: number | undefined;

  add(input: TraceInput): void {
    const record = input as TraceInput & Record<string, unknown>;
    const time = record.timestamp;
    if (typeof time === "number" && Number.isFinite(time)) {
      if (this.last === undefined || time > this.last) this.last = time;
    }
    if (record.kind === "log") {
      if (typeof record.spanId === "string") this.logs.push(record as unknown as LogEntry);
      else if (typeof record.turnId === "string") this.addTurnLog(record as unknown as LogEntry);
      return;
    }
    if (typeof record.spanId !== "string" || typeof record.timestamp !== "number") return;
    if (record.kind === "span-open") {
      const open = record as unknown as SpanOpen;
      const closed = this.closedBeforeOpen(open);
      if (closed !== undefined) applyLateOpen(closed, open);
      else this.addSpan(fromOpen(open));
    } else if (record.kind === "span-close") {
      this.close(record as unknown as SpanClose);
    }
  }

  /**
   * The span of `open`'s id that was read closed but never opened, when `open` is its open:
   * the latest span of that id, which ends no earlier than `open` starts.
   */
  private closedBeforeOpen(open: SpanOpen): TraceSpan | undefined {
    const same = this.byId.get(open.spanId);
    const latest = same?.[same.length - 1];
    return latest !== undefined && latest.anomalies.includes("close-without-open") &&
        latest.end !== undefined && latest.end >= open.timestamp
      ? latest
      : undefined;
  }

  private addTurnLog(entry: LogEntry): void {
    const turnId = entry.turnId as string;
    let turn = this.turnLogs.get(turnId);
    if (!turn) {
      turn = { turnId, logs: [] };
      if (entry.conversationId !== undefined) turn.conversationId = entry.conversationId;
      this.turnLogs.set(turnId, turn);
    }
    turn.logs.push(entry);
  }

  private addSpan(span: TraceSpan): void {
    const same = this.byId.get(span.spanId);
    if (same) {
      for (const other of same) mark(other, "duplicate-id");
      mark(span, "duplicate-id");
      same.push(span);
    } else {
      this.byId.set(span.spanId, [span]);
    }
    this.spans.push(span);
  }

  private close(record: SpanClose): void {
    const same = this.byId.get(record.spanId) ?? [];
    for (let i = same.length - 1; i >= 0; i--) {
      if (same[i].status === "open") {
        applyClose(same[i], record);
        return;
      }
    }
    const span = fromOpen({
      kind: "span-open",
      spanId: record.spanId,
      name: record.name,
      timestamp: closeOnlyStart(record.durationMs, record.timestamp),
      extensionId: record.extensionId,
    });
    applyClose(span, record);
    mark(span, "close-without-open");
    this.addSpan(span);
  }

  /** The span an id names for `child`: the latest of that id started no later than it. */
  private resolve(id: string, child: TraceSpan): TraceSpan | undefined {
    const candidates = this.byId.get(id);
    if (!candidates) return undefined;
    let chosen = candidates[0];
    for (const candidate of candidates) {
      if (candidate !== child && candidate.start <= child.start) chosen = candidate;
    }
    return chosen === child ? undefined : chosen;
  }

  build(): TraceForest {
    const roots: TraceSpan[] = [];
    const parents = new Map<TraceSpan, TraceSpan>();
    for (const span of this.spans) {
      if (span.parentSpanId === undefined) {
        roots.push(span);
        continue;
      }
      const parent = this.resolve(span.parentSpanId, span);
      if (!parent) {
        if (span.parentSpanId === span.spanId) mark(span, "parent-cycle");
        else mark(span, "missing-parent");
        roots.push(span);
        continue;
      }
      let cycle = false;
      for (let up: TraceSpan | undefined = parent; up; up = parents.get(up)) {
        if (up === span) {
          cycle = true;
          break;
        }
      }
      if (cycle) {
        mark(span, "parent-cycle");
        roots.push(span);
        continue;
      }
      parents.set(span, parent);
      parent.children.push(span);
    }
    const orphanLogs: LogEntry[] = [];
    for (const entry of this.logs) {
      const owners = this.byId.get(entry.spanId as string);
      if (!owners) {
        orphanLogs.push(entry);
        continue;
      }
      let owner = owners[0];
      for (const candidate of owners) if (candidate.start <= entry.timestamp) owner = candidate;
      owner.logs.push(entry);
    }
    for (const span of this.spans) {
      span.children.sort(byStart);
      span.logs.sort(byTime);
    }
    inheritTraceIds(roots);
    roots.sort(byStart);
    orphanLogs.sort(byTime);
    const turnLogs = [...this.turnLogs.values()];
    for (const turn of turnLogs) turn.logs.sort(byTime);
    turnLogs.sort((a, b) => a.logs[0].timestamp - b.logs[0].timestamp);
    const forest: TraceForest = {
      roots,
      open: this.spans.filter((span) => span.status === "open").sort(byStart),
      orphanLogs,
      turnLogs,
      spanCount: this.spans.length,
    };
    if (this.last !== undefined) forest.lastTimestamp = this.last;
    return forest;
  }
}
