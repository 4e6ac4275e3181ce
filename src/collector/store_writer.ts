/**
 * The writing half of the trace store: a planned batch into its tables, with what only the
 * database knows (turn keys, spans opened in an earlier batch, the slowest spans so far,
 * ids), and the caches that spare most of those lookups.
 *
 * @module
 */

import { readUsage, type SpanUsage } from "../genai/usage.ts";
import { SLOWEST_KEPT } from "./schema.ts";
import { prepareLater, type SqliteDatabase, type SqlStatement, type SqlValue } from "./sqlite.ts";
import { RecentMap } from "./recent_map.ts";
import {
  attributesOf,
  closeDuration,
  closeOnlyStart,
  linksOf,
  mergeAttributes,
  mergeLinks,
} from "../traces/span_merge.ts";
import {
  EV_CLOSE,
  EV_CLOSED,
  EV_INHERIT_LOG,
  EV_INHERIT_SPAN,
  EV_SETTLE_LOG,
  EV_SETTLE_SPAN,
  EVENT_FIELDS,
  jsonColumn,
  LOG_COLUMNS,
  LOG_CONVERSATION,
  LOG_SPAN,
  LOG_TRACE,
  LOG_TURN_KEY,
  type PlanValue,
  type RowPlan,
  SCOPE_FIELDS,
  SPAN,
  SPAN_COLUMNS,
  textColumn,
} from "./row_plan.ts";
import { hasUsage, UsageDeltas } from "./usage_deltas.ts";
import { ScopeAdoption } from "./scope_adoption.ts";

/**
 * What {@linkcode TraceStore.ingest} did with a batch.
 *
 * @example
 * ```ts
 * import type { IngestCounts } from "@dispatch/journal-sink/collector";
 * const counts: IngestCounts = { logs: 2, spanOpens: 1, spanCloses: 1, closesWithoutOpen: 0, ignored: 0 };
 * if (counts.logs !== 2) throw new Error("unreachable");
 * ```
 */
export interface IngestCounts {
  /** Rows added to `logs`. */
  logs: number;
  /** `span-open` records: each inserted a `spans` row with status `'open'`. */
  spanOpens: number;
  /** `span-close` records: each completed the latest open row of its span id, or… */
  spanCloses: number;
  /** …inserted a `close_without_open` row when there was none (counted in both). */
  closesWithoutOpen: number;
  /** Records of other kinds, or without the fields a row needs. */
  ignored: number;
}

/** How many open spans (turn keys, anchors) the store remembers at least between records. */
const OPEN_CACHE = 100_000;

/** What the store keeps of an open span between its open and its close. */
interface OpenSpan {
  id: number;
  /** Attributes and links as their JSON text, parsed only if a later batch closes the span. */
  attributes: string | null;
  links: string | null;
  conversation_id: string | null;
  turn_id: string | null;
  parent_span_id: string | null;
  extension_id: string;
  turn_key: number | null;
  start: number;
  usage: SpanUsage;
}

function str(value: PlanValue): string | null {
  return value as string | null;
}

function num(value: PlanValue): number | null {
  return value as number | null;
}

function parse(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : undefined;
}

/**
 * Rows per multi-row INSERT. A statement per row costs node:sqlite and Deno about as much
 * as SQLite's own work for the row; 32 rows a statement took 1M rows of the collector's
 * shape from 3.98 to 2.71 µs a row on node, 3.1 to 2.7 on bun, 5.4 to 3.2 on deno.
 */
const ROWS_PER_INSERT = 32;

/** INSERTs rows of one table, {@linkcode ROWS_PER_INSERT} a statement while there are as many. */
class RowInserter {
  private many: SqlStatement;
  private one: SqlStatement;
  private width: number;
  /** The parameters of one statement, reused (no array a statement). */
  private scratch: PlanValue[];
  private scratchOne: PlanValue[];

  /**
   * @param db The connection.
   * @param head `INSERT INTO table (columns) VALUES`.
   * @param width The number of columns.
   */
  constructor(db: SqliteDatabase, head: string, width: number) {
    const row = `(${new Array(width).fill("?").join(", ")})`;
    this.many = prepareLater(db, `${head} ${new Array(ROWS_PER_INSERT).fill(row).join(", ")}`);
    this.one = prepareLater(db, `${head} ${row}`);
    this.width = width;
    this.scratch = new Array(ROWS_PER_INSERT * width).fill(null);
    this.scratchOne = new Array(width).fill(null);
  }

  /** Inserts the rows whose values are from `start` to `end` of `values`, in order. */
  insert(values: PlanValue[], start: number, end: number): void {
    const width = this.width;
    const step = ROWS_PER_INSERT * width;
    const many = this.scratch;
    let at = start;
    for (; at + step <= end; at += step) {
      for (let i = 0; i < step; i++) many[i] = values[at + i];
      this.many.write(many);
    }
    const one = this.scratchOne;
    for (; at < end; at += width) {
      for (let i = 0; i < width; i++) one[i] = values[at + i];
      this.one.write(one);
    }
  }
}

/** The usage counters both usage tables add up on conflict: one list, so the two agree. */
const ADD_USAGE_SUMS = [
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "costed_spans",
  "uncosted_input",
  "uncosted_output",
].map((column) => `${column} = ${column} + excluded.${column}`).join(",\n         ");

/**
 * Writes planned batches into a store's tables; the store owns the transactions.
 * Statements are compiled when first used.
 *
 * @example
 * ```ts
 * import { StoreWriter } from "./store_writer.ts";
 * import { BatchPlanner } from "./batch_planner.ts";
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * const counts = new StoreWriter(db).write(new BatchPlanner().plan([
 *   { kind: "log", level: "info", msg: "hi", timestamp: 1, extensionId: "host" },
 * ]));
 * if (counts.logs !== 1) throw new Error("not written");
 * db.close();
 * ```
 */
export class StoreWriter {
  private db: SqliteDatabase;
  private insertLogs: RowInserter;
  private insertSpans: RowInserter;
  private maxSpanId: SqlStatement;
  private findOpen: SqlStatement;
  /** The open rows this store inserted, by span id: spares a SELECT and a parse per close. */
  private opens = new RecentMap<string, OpenSpan>(OPEN_CACHE);
  /** Trace ids of anchors the planner could not settle, looked up here. */
  private anchors = new RecentMap<string, string>(OPEN_CACHE);
  /** Scopes of the spans that records without one inherit, looked up here (`[conversation, turn]`). */
  private scopeAnchors = new RecentMap<string, [string | null, string | null]>(OPEN_CACHE);
  /** Spans asked for in this batch that the store has no scope for (it may have one later). */
  private unscoped = new Set<string>();
  /** This batch's spans rows by span id, built when a close without open asks for its parent. */
  private batchRows: Map<string, number> | undefined;
  /** Usage this store adds at the end of the batch. */
  private usage = new UsageDeltas();
  /** Turn keys by scope (`conversation \0 turn`), for the turns seen recently. */
  private turnKeys = new RecentMap<string, number>(OPEN_CACHE);
  /** First and last record time per turn key in this batch. */
  private turnTimes = new Map<number, { first: number; last: number }>();
  /** Rows waiting for a parent's scope, adopted when it comes. */
  private adoption: ScopeAdoption;
  /** The longest durations ingested, a min-heap of at most SLOWEST_KEPT; loaded lazily. */
  private longest: number[] | undefined;
  private findTurn: SqlStatement;
  private insertTurn: SqlStatement;
  private touchTurn: SqlStatement;
  private closeSpan: SqlStatement;
  private traceOf: SqlStatement;
  private addUsage: SqlStatement;
  private addScoped: SqlStatement;

  /** @param db A connection to a trace store (the schema in place). */
  constructor(db: SqliteDatabase) {
    this.db = db;
    this.adoption = new ScopeAdoption(db);
    this.insertLogs = new RowInserter(
      db,
      `INSERT INTO logs (timestamp_ms, level, msg, extension_id, conversation_id, turn_id,
         span_id, trace_id, attributes, body, turn_key) VALUES`,
      LOG_COLUMNS,
    );
    this.findTurn = prepareLater(
      db,
      "SELECT turn_key FROM turns WHERE turn_id IS ? AND conversation_id IS ? ORDER BY turn_key LIMIT 1",
    );
    this.insertTurn = prepareLater(
      db,
      "INSERT INTO turns (turn_id, conversation_id, first_ms, last_ms) VALUES (?, ?, ?, ?)",
    );
    this.touchTurn = prepareLater(
      db,
      "UPDATE turns SET first_ms = min(first_ms, ?), last_ms = max(last_ms, ?) WHERE turn_key = ?",
    );
    this.insertSpans = new RowInserter(
      db,
      `INSERT INTO spans (span_id, parent_span_id, trace_id, name, start_ms, end_ms,
         duration_ms, status, extension_id, conversation_id, turn_id, attributes, links, body,
         close_without_open, model, input_tokens, output_tokens, cost_usd, turn_key, slowest,
         id) VALUES`,
      SPAN_COLUMNS,
    );
    this.maxSpanId = prepareLater(db, "SELECT max(id) AS id FROM spans");
    this.findOpen = prepareLater(
      db,
      `SELECT id, attributes, links, conversation_id, turn_id, parent_span_id, extension_id,
         start_ms, model, input_tokens, output_tokens, cost_usd, turn_key FROM spans
         WHERE span_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1`,
    );
    this.closeSpan = prepareLater(
      db,
      `UPDATE spans SET end_ms = ?, duration_ms = ?, status = ?, attributes = ?, links = ?,
         conversation_id = ?, turn_id = ?, parent_span_id = ?, model = ?, input_tokens = ?,
         output_tokens = ?, cost_usd = ?, turn_key = ?, slowest = ? WHERE id = ?`,
    );
    // Only open spans are indexed by id: an anchor still open is found here; one the
    // planner remembered never asks (a child mostly opens while its parent runs).
    this.traceOf = prepareLater(
      db,
      "SELECT trace_id FROM spans WHERE span_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1",
    );
    this.addUsage = prepareLater(
      db,
      `INSERT INTO usage_totals (model, extension_id, spans, input_tokens, output_tokens,
         cost_usd, costed_spans, uncosted_input, uncosted_output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model, extension_id) DO UPDATE SET spans = spans + excluded.spans,
         ${ADD_USAGE_SUMS}`,
    );
    this.addScoped = prepareLater(
      db,
      `INSERT INTO usage_by (scope, has_key, key, model, extension_id, first_ms, last_ms, spans,
         input_tokens, output_tokens, cost_usd, costed_spans, uncosted_input, uncosted_output)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, has_key, key, model, extension_id) DO UPDATE SET
         first_ms = coalesce(min(first_ms, excluded.first_ms), first_ms, excluded.first_ms),
         last_ms = coalesce(max(last_ms, excluded.last_ms), last_ms, excluded.last_ms),
         spans = spans + excluded.spans,
         ${ADD_USAGE_SUMS}`,
    );
  }

  /** Forgets the turn keys and the longest durations: rows were deleted with SQL. */
  refresh(): void {
    this.turnKeys.clear();
    this.longest = undefined;
    this.adoption.forget();
  }

  /** Forgets everything cached (after a rolled-back batch, the database no longer has it). */
  forget(): void {
    this.opens.clear();
    this.anchors.clear();
    this.scopeAnchors.clear();
    this.usage.clear();
    this.turnKeys.clear();
    this.turnTimes.clear();
    this.longest = undefined;
    this.adoption.forget();
  }

  /**
   * The trace id a planned record joins: the planner's, unless it named an anchor span it
   * did not remember; then the anchor's trace when this store knows it (an open span in the
   * database), else the planner's id derived from the anchor. Remembered per anchor, so
   * every record that names it joins the same trace.
   */
  private settleTrace(trace: PlanValue, anchor: PlanValue): string | null {
    if (anchor === null) return trace as string | null;
    let settled = this.anchors.get(anchor as string);
    if (settled === undefined) {
      const found = this.traceOf.get(anchor)?.trace_id;
      settled = typeof found === "string" ? found : trace as string;
      this.anchors.set(anchor as string, settled);
    }
    return settled;
  }

  /**
   * The scope of the span `anchor` names, which a record without one inherits: that of
   * its open row (cached, or in the database), or of the span as this store closed it,
   * or `undefined` when the store has none with a scope (only open spans are indexed by
   * span id; a child mostly opens while its parent runs).
   */
  private inheritedScope(anchor: string): [string | null, string | null] | undefined {
    let scope = this.scopeAnchors.get(anchor);
    if (scope !== undefined || this.unscoped.has(anchor)) return scope;
    const open = this.opens.get(anchor) ?? this.openFromRow(anchor);
    if (open !== undefined && (open.conversation_id !== null || open.turn_id !== null)) {
      scope = [open.conversation_id, open.turn_id];
      this.scopeAnchors.set(anchor, scope);
    } else this.unscoped.add(anchor);
    return scope;
  }

  /**
   * The start of a close without open: `time - duration`, but never before its parent's
   * open when the store has that (in this batch, or open from an earlier one): durations
   * measured on another clock than the timestamps can put it a little before.
   */
  private closedStart(
    time: number,
    duration: number | null,
    parent: PlanValue,
    spans: PlanValue[],
  ) {
    const start = closeOnlyStart(duration, time);
    if (parent === null) return start;
    let parentStart: number | undefined;
    if (this.batchRows === undefined) {
      this.batchRows = new Map();
      for (let at = 0; at < spans.length; at += SPAN_COLUMNS) {
        this.batchRows.set(spans[at + SPAN.SPAN_ID] as string, at);
      }
    }
    const row = this.batchRows.get(parent as string);
    if (row !== undefined) parentStart = spans[row + SPAN.START] as number;
    else {parentStart = (this.opens.get(parent as string) ?? this.openFromRow(parent as string))
        ?.start;}
    return parentStart !== undefined && start < parentStart && parentStart <= time
      ? parentStart
      : start;
  }

  /**
   * The `turns` row of a record's scope (created when new), its times widened to `time`;
   * `null` for a record with neither conversation nor turn.
   */
  private turnKey(conversation: string | null, turn: string | null, time: number): number | null {
    return this.scopeKey(conversation, turn, time, time);
  }

  /** {@linkcode StoreWriter.turnKey} of a scope whose records span `first` to `last`. */
  private scopeKey(
    conversation: string | null,
    turn: string | null,
    first: number,
    last: number,
  ): number | null {
    if (conversation === null && turn === null) return null;
    const scope = `${conversation ?? "\u0001"}\u0000${turn ?? "\u0001"}`;
    let key = this.turnKeys.get(scope);
    if (key === undefined) {
      const row = this.findTurn.get(turn, conversation);
      key = row === undefined
        ? this.insertTurn.run(turn, conversation, first, last).lastInsertRowid
        : Number(row.turn_key);
      this.turnKeys.set(scope, key);
    }
    this.widenTurn(key, first, last);
    return key;
  }

  /** Widens the batch's first and last time of turn `key`. */
  private widenTurn(key: number, first: number, last: number): void {
    const times = this.turnTimes.get(key);
    if (times === undefined) this.turnTimes.set(key, { first, last });
    else {
      if (last > times.last) times.last = last;
      if (first < times.first) times.first = first;
    }
  }

  /** Writes the batch's turn times and the usage this store summed: a statement per key. */
  private flushBatch(): void {
    for (const [key, times] of this.turnTimes) this.touchTurn.run(times.first, times.last, key);
    this.turnTimes.clear();
    for (const d of this.usage.take()) {
      const sums = [d.input, d.output, d.cost, d.costed, d.uncostedInput, d.uncostedOutput];
      if (d.scope === null) this.addUsage.run(d.model, d.extensionId, d.spans, ...sums);
      else {
        this.addScoped.run(
          d.scope,
          d.id === null ? 0 : 1,
          d.id ?? "",
          d.model,
          d.extensionId,
          d.first === Infinity ? null : d.first,
          d.last === -Infinity ? null : d.last,
          d.spans,
          ...sums,
        );
      }
    }
  }

  /** A close whose open was not read (the `EV_CLOSE` at `at`): a `spans` row of its own. */
  private closedRow(v: PlanValue[], at: number, into: PlanValue[], spans: PlanValue[]): void {
    const time = v[at + 1] as number;
    const duration = num(v[at + 2]);
    const extensionId = v[at + 5] as string;
    const conversation = str(v[at + 6]);
    const turn = str(v[at + 7]);
    const usage: SpanUsage = {
      model: str(v[at + 14]),
      inputTokens: num(v[at + 15]),
      outputTokens: num(v[at + 16]),
      costUsd: num(v[at + 17]),
    };
    const start = this.closedStart(time, duration, v[at + 8], spans);
    const closedDuration = closeDuration(duration, start, time);
    const traceId = this.settleTrace(v[at + 12], v[at + 13]);
    this.usage.count(usage, extensionId, 1, turn, conversation, start);
    const own = parse(v[at + 9]);
    const turnKey = this.turnKey(conversation, turn, time);
    if (turnKey === null && v[at + 8] !== null) this.adoption.spanWaits();
    into.push(
      v[at],
      v[at + 8],
      traceId,
      v[at + 4],
      start,
      time,
      closedDuration,
      v[at + 3],
      extensionId,
      conversation,
      turn,
      jsonColumn(mergeAttributes(undefined, own)),
      v[at + 11],
      null,
      1,
      usage.model,
      usage.inputTokens,
      usage.outputTokens,
      usage.costUsd,
      turnKey,
      this.slowest(closedDuration),
      null,
    );
  }

  /**
   * 1 when `duration` enters the longest {@linkcode SLOWEST_KEPT} seen (a min-heap of them),
   * else `null`: every span of the final top was in the top when it was ingested.
   */
  private slowest(duration: number | null): number | null {
    if (duration === null) return null;
    const heap = this.longest ??= this.loadLongest();
    if (heap.length < SLOWEST_KEPT) {
      heap.push(duration);
      for (let i = heap.length - 1; i > 0;) {
        const up = (i - 1) >> 1;
        if (heap[up] <= heap[i]) break;
        [heap[up], heap[i]] = [heap[i], heap[up]];
        i = up;
      }
      return 1;
    }
    if (!(duration > heap[0])) return null;
    heap[0] = duration;
    for (let i = 0;;) {
      const l = 2 * i + 1, r = l + 1;
      let min = i;
      if (l < heap.length && heap[l] < heap[min]) min = l;
      if (r < heap.length && heap[r] < heap[min]) min = r;
      if (min === i) break;
      [heap[min], heap[i]] = [heap[i], heap[min]];
      i = min;
    }
    return 1;
  }

  /** The durations of the spans flagged slowest, read once from the store. */
  private loadLongest(): number[] {
    return this.db.prepare(
      `SELECT duration_ms FROM spans WHERE slowest = 1 AND status != 'open'
       ORDER BY duration_ms DESC LIMIT ${SLOWEST_KEPT}`,
    ).all().map((row) => Number(row.duration_ms)).sort((a, b) => a - b);
  }

  /** The open row of `spanId` in the database (one the cache forgot, or another run's). */
  private openFromRow(spanId: string): OpenSpan | undefined {
    const row = this.findOpen.get(spanId);
    if (row === undefined) return undefined;
    const count = (value: SqlValue) => value === null ? null : Number(value);
    return {
      id: Number(row.id),
      attributes: textColumn(row.attributes),
      links: textColumn(row.links),
      conversation_id: textColumn(row.conversation_id),
      turn_id: textColumn(row.turn_id),
      parent_span_id: textColumn(row.parent_span_id),
      extension_id: String(row.extension_id),
      turn_key: row.turn_key === null ? null : Number(row.turn_key),
      start: Number(row.start_ms),
      usage: {
        model: textColumn(row.model),
        inputTokens: count(row.input_tokens),
        outputTokens: count(row.output_tokens),
        costUsd: count(row.cost_usd),
      },
    };
  }

  /** What the store remembers of the `spans` row at `at` of `v`, still open. */
  private openOfRow(v: PlanValue[], at: number): OpenSpan {
    return {
      id: v[at + SPAN.ID] as number,
      attributes: str(v[at + SPAN.ATTRIBUTES]),
      links: str(v[at + SPAN.LINKS]),
      conversation_id: str(v[at + SPAN.CONVERSATION]),
      turn_id: str(v[at + SPAN.TURN]),
      parent_span_id: str(v[at + SPAN.PARENT]),
      extension_id: v[at + SPAN.EXTENSION] as string,
      turn_key: num(v[at + SPAN.TURN_KEY]),
      start: v[at + SPAN.START] as number,
      usage: {
        model: str(v[at + SPAN.MODEL]),
        inputTokens: num(v[at + SPAN.INPUT]),
        outputTokens: num(v[at + SPAN.OUTPUT]),
        costUsd: num(v[at + SPAN.COST]),
      },
    };
  }

  /**
   * Writes a planned batch; the caller owns the transaction. The plan's values are filled
   * in place (turn keys, trace ids to settle, slowest flags, ids) and written.
   */
  write(plan: RowPlan): IngestCounts {
    const { logs, spans, scopes, events } = plan;
    const counts: IngestCounts = {
      logs: logs.length / LOG_COLUMNS,
      spanOpens: plan.spanOpens,
      spanCloses: plan.spanCloses,
      closesWithoutOpen: 0,
      ignored: plan.ignored,
    };
    this.unscoped.clear();
    this.batchRows = undefined;
    const keys: (number | null)[] = [];
    for (let at = 0; at < scopes.length; at += SCOPE_FIELDS) {
      const [conversation, turn, first, last] = scopes.slice(at, at + SCOPE_FIELDS);
      keys.push(this.scopeKey(str(conversation), str(turn), first as number, last as number));
    }
    // A row of a scope takes its conversation, turn and (when it left it null) trace id; a
    // row without one that names a span (`link`: its parent, its span) may wait for its scope.
    let waits = false;
    const fill = (
      rows: PlanValue[],
      width: number,
      key: number,
      conversation: number,
      trace: number,
      link: number,
    ) => {
      for (let at = 0; at < rows.length; at += width) {
        const scope = rows[at + key] as number | null;
        if (scope === null) {
          if (rows[at + link] !== null) waits = true;
          continue;
        }
        const from = scope * SCOPE_FIELDS;
        rows[at + key] = keys[scope];
        rows[at + conversation] = scopes[from];
        rows[at + conversation + 1] = scopes[from + 1];
        rows[at + trace] ??= scopes[from + 4];
      }
    };
    fill(logs, LOG_COLUMNS, LOG_TURN_KEY, LOG_CONVERSATION, LOG_TRACE, LOG_SPAN);
    if (waits) this.adoption.logWaits();
    waits = false;
    fill(spans, SPAN_COLUMNS, SPAN.TURN_KEY, SPAN.CONVERSATION, SPAN.TRACE, SPAN.PARENT);
    if (waits) this.adoption.spanWaits();
    this.seeds.length = 0;
    /** Rows of closes without an open: after the batch's other spans. */
    const closed: PlanValue[] = [];
    let at = 0;
    for (const kind of plan.eventKinds) {
      if (kind === EV_CLOSED) {
        const row = (events[at] as number) * SPAN_COLUMNS;
        spans[row + SPAN.SLOWEST] = this.slowest(num(events[at + 1]));
      } else if (kind === EV_SETTLE_LOG) {
        const field = (events[at] as number) * LOG_COLUMNS + LOG_TRACE;
        logs[field] = this.settleTrace(logs[field], events[at + 1]);
      } else if (kind === EV_SETTLE_SPAN) {
        const field = (events[at] as number) * SPAN_COLUMNS + SPAN.TRACE;
        spans[field] = this.settleTrace(spans[field], events[at + 1]);
      } else if (kind === EV_INHERIT_LOG) {
        const scope = this.inheritedScope(events[at + 1] as string);
        if (scope !== undefined) {
          const row = (events[at] as number) * LOG_COLUMNS;
          const [conversation, turn] = scope;
          logs[row + LOG_CONVERSATION] = conversation;
          logs[row + LOG_CONVERSATION + 1] = turn;
          logs[row + LOG_TURN_KEY] = this.turnKey(conversation, turn, logs[row] as number);
        }
      } else if (kind === EV_INHERIT_SPAN) {
        const scope = this.inheritedScope(events[at + 1] as string);
        const row = (events[at] as number) * SPAN_COLUMNS;
        if (scope !== undefined && spans[row + SPAN.TURN_KEY] === null) {
          const [conversation, turn] = scope;
          const start = spans[row + SPAN.START] as number;
          spans[row + SPAN.CONVERSATION] = conversation;
          spans[row + SPAN.TURN] = turn;
          spans[row + SPAN.TURN_KEY] = this.scopeKey(
            conversation,
            turn,
            start,
            (spans[row + 5] as number | null) ?? start,
          );
        }
      } else {
        // A close whose open is in the store (cached or in the database), or nowhere.
        const spanId = events[at] as string;
        const scopeAnchor = events[at + 18];
        if (scopeAnchor !== null && kind === EV_CLOSE) {
          const scope = this.inheritedScope(scopeAnchor as string);
          if (scope !== undefined) [events[at + 6], events[at + 7]] = scope;
        }
        const open = this.opens.get(spanId) ?? this.openFromRow(spanId);
        this.opens.delete(spanId);
        if (!open || !this.closeStoredSpan(open, events, at)) {
          this.closedRow(events, at, closed, spans);
          counts.closesWithoutOpen++;
        }
      }
      at += EVENT_FIELDS[kind];
    }
    this.insertLogs.insert(logs, 0, logs.length);
    // Spans with a scope may adopt rows stored before them (one check a batch when none wait).
    const adopting = this.adoption.pending();
    // Ids; usage, as each span stands at the batch's end (a close in a later batch moves it);
    // spans still open are remembered for their close (the last open of an id wins).
    let id = Number(this.maxSpanId.get()?.id ?? 0);
    for (let row = 0; row < spans.length; row += SPAN_COLUMNS) {
      spans[row + SPAN.ID] = ++id;
      if (adopting && spans[row + SPAN.TURN_KEY] !== null) this.seed(spans, row);
      const input = num(spans[row + SPAN.INPUT]);
      const output = num(spans[row + SPAN.OUTPUT]);
      const cost = num(spans[row + SPAN.COST]);
      if (input !== null || output !== null || cost !== null) {
        this.usage.count(
          {
            model: str(spans[row + SPAN.MODEL]),
            inputTokens: input,
            outputTokens: output,
            costUsd: cost,
          },
          spans[row + SPAN.EXTENSION] as string,
          1,
          str(spans[row + SPAN.TURN]),
          str(spans[row + SPAN.CONVERSATION]),
          spans[row + SPAN.START] as number,
        );
      }
      const spanId = spans[row] as string;
      this.opens.delete(spanId);
      if (spans[row + SPAN.STATUS] === "open") this.opens.set(spanId, this.openOfRow(spans, row));
    }
    for (let row = 0; row < closed.length; row += SPAN_COLUMNS) {
      closed[row + SPAN.ID] = ++id;
      if (adopting && closed[row + SPAN.TURN_KEY] !== null) this.seed(closed, row);
    }
    this.insertSpans.insert(spans, 0, spans.length);
    this.insertSpans.insert(closed, 0, closed.length);
    if (this.seeds.length > 0) this.adopt();
    this.flushBatch();
    return counts;
  }

  /** Spans of the batch with a scope, which adopt the rows stored without one below them. */
  private seeds: {
    spanId: string;
    conversation: string | null;
    turn: string | null;
    key: number;
  }[] = [];

  /** Adds the span row at `at` of `rows` (with a scope) to the batch's seeds. */
  private seed(rows: PlanValue[], at: number): void {
    this.seeds.push({
      spanId: rows[at + SPAN.SPAN_ID] as string,
      conversation: str(rows[at + SPAN.CONVERSATION]),
      turn: str(rows[at + SPAN.TURN]),
      key: rows[at + SPAN.TURN_KEY] as number,
    });
  }

  /**
   * Moves the rows stored without a scope below the batch's seeds under their seed's
   * scope: spans (their usage from the group without a turn to the seed's turn and
   * conversation; the totals stay) and their log entries, and the seeds' own log entries.
   */
  private adopt(): void {
    const seeds = this.seeds;
    const owners = seeds.slice();
    const groups = new Map<number, { spans: number[]; logs: number[] }>();
    const group = (seed: (typeof seeds)[number], first: number, last: number) => {
      this.widenTurn(seed.key, first, last);
      let found = groups.get(seed.key);
      if (found === undefined) groups.set(seed.key, found = { spans: [], logs: [] });
      return found;
    };
    for (const span of this.adoption.descendants(seeds.map((s) => s.spanId))) {
      const seed = seeds[span.seed];
      const { conversation, turn } = seed;
      group(seed, span.start, span.end ?? span.start).spans.push(span.id);
      if (hasUsage(span.usage)) {
        this.usage.count(span.usage, span.extensionId, -1, null, null, span.start);
        this.usage.count(span.usage, span.extensionId, 1, turn, conversation, span.start);
      }
      // Cached as it was; its children may ask for its scope.
      this.opens.delete(span.spanId);
      this.unscoped.delete(span.spanId);
      this.scopeAnchors.set(span.spanId, [conversation, turn]);
      owners.push({ ...seed, spanId: span.spanId });
    }
    for (const log of this.adoption.logs(owners.map((s) => s.spanId))) {
      group(owners[log.owner], log.timestamp, log.timestamp).logs.push(log.id);
    }
    for (const [key, { spans, logs }] of groups) {
      const { conversation, turn } = seeds.find((s) => s.key === key)!;
      if (spans.length > 0) this.adoption.moveSpans(spans, conversation, turn, key);
      if (logs.length > 0) this.adoption.moveLogs(logs, conversation, turn, key);
    }
    seeds.length = 0;
  }

  /**
   * Completes the row of a span opened in an earlier batch with its close
   * (the `EV_CLOSE` at `at`): the close's attributes and links merged over the open's.
   * `false` when the row is gone (pruned meanwhile; retention also took its usage out).
   */
  private closeStoredSpan(open: OpenSpan, v: PlanValue[], at: number): boolean {
    const time = v[at + 1] as number;
    // The close merged over the open (the rule: span_merge.ts).
    const duration = closeDuration(v[at + 2], open.start, time);
    const own = attributesOf(parse(v[at + 9]));
    const attributes = mergeAttributes(attributesOf(parse(open.attributes)), own);
    const links = mergeLinks(linksOf(parse(open.links)), parse(v[at + 10]));
    const usage = own === undefined ? open.usage : readUsage(attributes);
    const conversation = open.conversation_id ?? str(v[at + 6]);
    const turn = open.turn_id ?? str(v[at + 7]);
    const turnKey = this.turnKey(conversation, turn, time);
    const { changes } = this.closeSpan.run(
      time,
      duration,
      v[at + 3],
      jsonColumn(attributes),
      links.length === 0 ? "[]" : jsonColumn(links),
      conversation,
      turn,
      open.parent_span_id ?? str(v[at + 8]),
      usage.model,
      usage.inputTokens,
      usage.outputTokens,
      usage.costUsd,
      turnKey,
      this.slowest(duration),
      open.id,
    );
    if (changes === 0) return false;
    if (open.turn_key === null && turnKey !== null && this.adoption.pending()) {
      this.seeds.push({ spanId: v[at] as string, conversation, turn, key: turnKey });
    }
    // Its children may ask for its scope later in the batch (only open spans are indexed).
    if (conversation !== null || turn !== null) {
      this.scopeAnchors.set(v[at] as string, [conversation, turn]);
    }
    if (usage !== open.usage || turn !== open.turn_id || conversation !== open.conversation_id) {
      // Its usage moves from what the open said to what the close says.
      const { extension_id: extension, start } = open;
      this.usage.count(open.usage, extension, -1, open.turn_id, open.conversation_id, start);
      this.usage.count(usage, extension, 1, turn, conversation, start);
    }
    return true;
  }
}
