/**
 * The writing half of the trace store: a planned batch into its tables, with what only the
 * database knows (turn keys, spans opened in an earlier batch, the slowest spans so far,
 * ids). Its parts: `row_inserter.ts` (multi-row INSERTs), `turn_keys.ts`, `stored_spans.ts`
 * (open rows, anchors and scopes of earlier batches), `slowest_spans.ts`, `usage_tables.ts`,
 * `scope_adoption.ts` (rows adopted by a parent that comes after them).
 *
 * @module
 */

import { readToolName } from "../genai/tool_name.ts";
import { readUsage, type SpanUsage } from "../genai/usage.ts";
import {
  attributesOf,
  closeDuration,
  closeOnlyStart,
  linksOf,
  mergeAttributes,
  mergeLinks,
} from "../traces/span_merge.ts";
import {
  addRow,
  CLOSE,
  CLOSED,
  EV_CLOSE,
  EV_CLOSED,
  EV_INHERIT_LOG,
  EV_INHERIT_SPAN,
  EV_SETTLE_LOG,
  EV_SETTLE_SPAN,
  EVENT_FIELDS,
  jsonColumn,
  LOG,
  LOG_COLUMNS,
  LOG_ROW,
  type PlanValue,
  ROW,
  type RowPlan,
  SCOPE,
  SCOPE_FIELDS,
  SPAN,
  SPAN_COLUMNS,
  SPAN_ROW,
} from "./row_plan.ts";
import { RowInserter } from "./row_inserter.ts";
import { ScopeAdoption } from "./scope_adoption.ts";
import { SlowestSpans } from "./slowest_spans.ts";
import type { SqliteDatabase, SqlStatement } from "./sqlite.ts";
import { prepareLater } from "./sqlite.ts";
import { type OpenSpan, StoredSpans } from "./stored_spans.ts";
import { TurnKeys } from "./turn_keys.ts";
import { hasUsage, UsageDeltas } from "./usage_deltas.ts";
import { UsageTables } from "./usage_tables.ts";

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

function str(value: PlanValue): string | null {
  return value as string | null;
}

function num(value: PlanValue): number | null {
  return value as number | null;
}

function parse(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : undefined;
}

/** A span of the batch with a scope, which adopts the rows stored without one below it. */
interface Seed {
  spanId: string;
  conversation: string | null;
  turn: string | null;
  key: number;
}

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
  private insertLogs: RowInserter;
  private insertSpans: RowInserter;
  private maxSpanId: SqlStatement;
  private closeSpan: SqlStatement;
  private turns: TurnKeys;
  private stored: StoredSpans;
  private slowest: SlowestSpans;
  /** Usage this store adds at the end of the batch. */
  private usage = new UsageDeltas();
  private usageTables: UsageTables;
  /** Rows waiting for a parent's scope, adopted when it comes. */
  private adoption: ScopeAdoption;
  /** This batch's spans rows by span id, built when a close without open asks for its parent. */
  private batchRows: Map<string, number> | undefined;
  /** This batch's spans with a scope, while rows may wait for one. */
  private seeds: Seed[] = [];

  /** @param db A connection to a trace store (the schema in place). */
  constructor(db: SqliteDatabase) {
    this.insertLogs = new RowInserter(db, "logs", LOG_ROW);
    this.insertSpans = new RowInserter(db, "spans", SPAN_ROW);
    this.maxSpanId = prepareLater(db, "SELECT max(id) AS id FROM spans");
    this.closeSpan = prepareLater(
      db,
      `UPDATE spans SET end_ms = ?, duration_ms = ?, status = ?, attributes = ?, links = ?,
         conversation_id = ?, turn_id = ?, parent_span_id = ?, model = ?, input_tokens = ?,
         output_tokens = ?, cost_usd = ?, cache_read_tokens = ?, cache_write_tokens = ?,
         tool_name = ?, turn_key = ?, slowest = ? WHERE id = ?`,
    );
    this.turns = new TurnKeys(db);
    this.stored = new StoredSpans(db);
    this.slowest = new SlowestSpans(db);
    this.usageTables = new UsageTables(db);
    this.adoption = new ScopeAdoption(db);
  }

  /** Forgets the turn keys and the longest durations: rows were deleted with SQL. */
  refresh(): void {
    this.turns.forget();
    this.slowest.forget();
    this.adoption.forget();
  }

  /** Forgets everything cached (after a rolled-back batch, the database no longer has it). */
  forget(): void {
    this.stored.forget();
    this.usage.clear();
    this.turns.forget();
    this.slowest.forget();
    this.adoption.forget();
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
    this.stored.newBatch();
    this.batchRows = undefined;
    this.seeds.length = 0;
    const keys: (number | null)[] = [];
    for (let at = 0; at < scopes.length; at += SCOPE_FIELDS) {
      keys.push(this.turns.key(
        str(scopes[at + SCOPE.conversation_id]),
        str(scopes[at + SCOPE.turn_id]),
        scopes[at + SCOPE.first_ms] as number,
        scopes[at + SCOPE.last_ms] as number,
      ));
    }
    // A row of a scope takes its conversation, turn and (when it left it null) trace id; a
    // row without one that names a span (its parent, its span) may wait for its scope.
    let waits = false;
    for (let at = 0; at < logs.length; at += LOG_COLUMNS) {
      const scope = logs[at + LOG.turn_key] as number | null;
      if (scope === null) {
        if (logs[at + LOG.span_id] !== null) waits = true;
        continue;
      }
      const from = scope * SCOPE_FIELDS;
      logs[at + LOG.turn_key] = keys[scope];
      logs[at + LOG.conversation_id] = scopes[from + SCOPE.conversation_id];
      logs[at + LOG.turn_id] = scopes[from + SCOPE.turn_id];
      logs[at + LOG.trace_id] ??= scopes[from + SCOPE.trace_id];
    }
    if (waits) this.adoption.logWaits();
    waits = false;
    for (let at = 0; at < spans.length; at += SPAN_COLUMNS) {
      const scope = spans[at + SPAN.turn_key] as number | null;
      if (scope === null) {
        if (spans[at + SPAN.parent_span_id] !== null) waits = true;
        continue;
      }
      const from = scope * SCOPE_FIELDS;
      spans[at + SPAN.turn_key] = keys[scope];
      spans[at + SPAN.conversation_id] = scopes[from + SCOPE.conversation_id];
      spans[at + SPAN.turn_id] = scopes[from + SCOPE.turn_id];
      spans[at + SPAN.trace_id] ??= scopes[from + SCOPE.trace_id];
    }
    if (waits) this.adoption.spanWaits();
    /** Rows of closes without an open: after the batch's other spans. */
    const closed: PlanValue[] = [];
    let at = 0;
    for (const kind of plan.eventKinds) {
      if (kind === EV_CLOSED) {
        const row = (events[at + CLOSED.row] as number) * SPAN_COLUMNS;
        spans[row + SPAN.slowest] = this.slowest.flag(num(events[at + CLOSED.duration_ms]));
      } else if (kind === EV_SETTLE_LOG) {
        const field = (events[at + ROW.row] as number) * LOG_COLUMNS + LOG.trace_id;
        logs[field] = this.stored.trace(logs[field], events[at + ROW.anchor]);
      } else if (kind === EV_SETTLE_SPAN) {
        const field = (events[at + ROW.row] as number) * SPAN_COLUMNS + SPAN.trace_id;
        spans[field] = this.stored.trace(spans[field], events[at + ROW.anchor]);
      } else if (kind === EV_INHERIT_LOG) {
        const scope = this.stored.scope(events[at + ROW.anchor] as string);
        if (scope !== undefined) {
          const row = (events[at + ROW.row] as number) * LOG_COLUMNS;
          const [conversation, turn] = scope;
          const time = logs[row + LOG.timestamp_ms] as number;
          logs[row + LOG.conversation_id] = conversation;
          logs[row + LOG.turn_id] = turn;
          logs[row + LOG.turn_key] = this.turns.key(conversation, turn, time, time);
        }
      } else if (kind === EV_INHERIT_SPAN) {
        const scope = this.stored.scope(events[at + ROW.anchor] as string);
        const row = (events[at + ROW.row] as number) * SPAN_COLUMNS;
        if (scope !== undefined && spans[row + SPAN.turn_key] === null) {
          const [conversation, turn] = scope;
          const start = spans[row + SPAN.start_ms] as number;
          spans[row + SPAN.conversation_id] = conversation;
          spans[row + SPAN.turn_id] = turn;
          spans[row + SPAN.turn_key] = this.turns.key(
            conversation,
            turn,
            start,
            (spans[row + SPAN.end_ms] as number | null) ?? start,
          );
        }
      } else {
        // A close whose open is in the store (cached or in the database), or nowhere.
        const scopeAnchor = events[at + CLOSE.scope_anchor];
        if (scopeAnchor !== null && kind === EV_CLOSE) {
          const scope = this.stored.scope(scopeAnchor as string);
          if (scope !== undefined) {
            [events[at + CLOSE.conversation_id], events[at + CLOSE.turn_id]] = scope;
          }
        }
        const open = this.stored.take(events[at + CLOSE.span_id] as string);
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
      spans[row + SPAN.id] = ++id;
      if (adopting && spans[row + SPAN.turn_key] !== null) this.seed(spans, row);
      const input = num(spans[row + SPAN.input_tokens]);
      const output = num(spans[row + SPAN.output_tokens]);
      const cost = num(spans[row + SPAN.cost_usd]);
      if (input !== null || output !== null || cost !== null) {
        this.usage.count(
          {
            model: str(spans[row + SPAN.model]),
            inputTokens: input,
            outputTokens: output,
            cacheReadTokens: num(spans[row + SPAN.cache_read_tokens]),
            cacheWriteTokens: num(spans[row + SPAN.cache_write_tokens]),
            costUsd: cost,
          },
          spans[row + SPAN.extension_id] as string,
          1,
          str(spans[row + SPAN.turn_id]),
          str(spans[row + SPAN.conversation_id]),
          spans[row + SPAN.start_ms] as number,
        );
      }
      this.stored.written(spans, row);
    }
    for (let row = 0; row < closed.length; row += SPAN_COLUMNS) {
      closed[row + SPAN.id] = ++id;
      if (adopting && closed[row + SPAN.turn_key] !== null) this.seed(closed, row);
    }
    this.insertSpans.insert(spans, 0, spans.length);
    this.insertSpans.insert(closed, 0, closed.length);
    if (this.seeds.length > 0) this.adopt();
    this.turns.flush();
    this.usageTables.add(this.usage.take());
    return counts;
  }

  /**
   * The start of a close without open: its own (`closeOnlyStart`), but never before its
   * parent's open when the store has that (in this batch, or open from an earlier one):
   * durations measured on another clock than the timestamps can put it a little before.
   */
  private closedStart(
    time: number,
    duration: number | null,
    parent: PlanValue,
    spans: PlanValue[],
  ): number {
    const start = closeOnlyStart(duration, time);
    if (parent === null) return start;
    let parentStart: number | undefined;
    if (this.batchRows === undefined) {
      this.batchRows = new Map();
      for (let at = 0; at < spans.length; at += SPAN_COLUMNS) {
        this.batchRows.set(spans[at + SPAN.span_id] as string, at);
      }
    }
    const row = this.batchRows.get(parent as string);
    if (row !== undefined) parentStart = spans[row + SPAN.start_ms] as number;
    else parentStart = this.stored.open(parent as string)?.start;
    return parentStart !== undefined && start < parentStart && parentStart <= time
      ? parentStart
      : start;
  }

  /** A close whose open was not read (the `EV_CLOSE` at `at`): a `spans` row of its own. */
  private closedRow(v: PlanValue[], at: number, into: PlanValue[], spans: PlanValue[]): void {
    const time = v[at + CLOSE.time] as number;
    const extensionId = v[at + CLOSE.extension_id] as string;
    const conversation = str(v[at + CLOSE.conversation_id]);
    const turn = str(v[at + CLOSE.turn_id]);
    const parent = v[at + CLOSE.parent_span_id];
    const usage: SpanUsage = {
      model: str(v[at + CLOSE.model]),
      inputTokens: num(v[at + CLOSE.input_tokens]),
      outputTokens: num(v[at + CLOSE.output_tokens]),
      cacheReadTokens: num(v[at + CLOSE.cache_read_tokens]),
      cacheWriteTokens: num(v[at + CLOSE.cache_write_tokens]),
      costUsd: num(v[at + CLOSE.cost_usd]),
    };
    const start = this.closedStart(time, num(v[at + CLOSE.duration_ms]), parent, spans);
    const duration = closeDuration(v[at + CLOSE.duration_ms], start, time);
    this.usage.count(usage, extensionId, 1, turn, conversation, start);
    const turnKey = this.turns.key(conversation, turn, time, time);
    if (turnKey === null && parent !== null) this.adoption.spanWaits();
    const row = addRow(into, SPAN_COLUMNS);
    into[row + SPAN.span_id] = v[at + CLOSE.span_id];
    into[row + SPAN.parent_span_id] = parent;
    into[row + SPAN.trace_id] = this.stored.trace(v[at + CLOSE.trace_id], v[at + CLOSE.anchor]);
    into[row + SPAN.name] = v[at + CLOSE.name];
    into[row + SPAN.start_ms] = start;
    into[row + SPAN.end_ms] = time;
    into[row + SPAN.duration_ms] = duration;
    into[row + SPAN.status] = v[at + CLOSE.status];
    into[row + SPAN.extension_id] = extensionId;
    into[row + SPAN.conversation_id] = conversation;
    into[row + SPAN.turn_id] = turn;
    const attributes = mergeAttributes(undefined, parse(v[at + CLOSE.attributes]));
    into[row + SPAN.attributes] = jsonColumn(attributes);
    into[row + SPAN.links] = v[at + CLOSE.links] ?? "[]";
    into[row + SPAN.close_without_open] = 1;
    into[row + SPAN.model] = usage.model;
    into[row + SPAN.input_tokens] = usage.inputTokens;
    into[row + SPAN.output_tokens] = usage.outputTokens;
    into[row + SPAN.cost_usd] = usage.costUsd;
    into[row + SPAN.cache_read_tokens] = usage.cacheReadTokens ?? null;
    into[row + SPAN.cache_write_tokens] = usage.cacheWriteTokens ?? null;
    into[row + SPAN.tool_name] = readToolName(attributes);
    into[row + SPAN.turn_key] = turnKey;
    into[row + SPAN.slowest] = this.slowest.flag(duration);
  }

  /**
   * Completes the row of a span opened in an earlier batch with its close
   * (the `EV_CLOSE` at `at`): the close merged over the open (the rule: span_merge.ts).
   * `false` when the row is gone (pruned meanwhile; retention also took its usage out).
   */
  private closeStoredSpan(open: OpenSpan, v: PlanValue[], at: number): boolean {
    const time = v[at + CLOSE.time] as number;
    const duration = closeDuration(v[at + CLOSE.duration_ms], open.start, time);
    const own = attributesOf(parse(v[at + CLOSE.attributes]));
    const attributes = mergeAttributes(attributesOf(parse(open.attributes)), own);
    const links = mergeLinks(linksOf(parse(open.links)), parse(v[at + CLOSE.links]));
    const usage = own === undefined ? open.usage : readUsage(attributes);
    const conversation = open.conversation_id ?? str(v[at + CLOSE.conversation_id]);
    const turn = open.turn_id ?? str(v[at + CLOSE.turn_id]);
    const turnKey = this.turns.key(conversation, turn, time, time);
    const { changes } = this.closeSpan.run(
      time,
      duration,
      v[at + CLOSE.status],
      jsonColumn(attributes),
      links.length === 0 ? "[]" : jsonColumn(links),
      conversation,
      turn,
      open.parent_span_id ?? str(v[at + CLOSE.parent_span_id]),
      usage.model,
      usage.inputTokens,
      usage.outputTokens,
      usage.costUsd,
      usage.cacheReadTokens ?? null,
      usage.cacheWriteTokens ?? null,
      readToolName(attributes),
      turnKey,
      this.slowest.flag(duration),
      open.id,
    );
    if (changes === 0) return false;
    const spanId = v[at + CLOSE.span_id] as string;
    if (open.turn_key === null && turnKey !== null && this.adoption.pending()) {
      this.seeds.push({ spanId, conversation, turn, key: turnKey });
    }
    // Its children may ask for its scope later in the batch (only open spans are indexed).
    if (conversation !== null || turn !== null) {
      this.stored.scoped(spanId, [conversation, turn], false);
    }
    if (usage !== open.usage || turn !== open.turn_id || conversation !== open.conversation_id) {
      // Its usage moves from what the open said to what the close says.
      const { extension_id: extension, start } = open;
      this.usage.count(open.usage, extension, -1, open.turn_id, open.conversation_id, start);
      this.usage.count(usage, extension, 1, turn, conversation, start);
    }
    return true;
  }

  /** Adds the span row at `at` of `rows` (with a scope) to the batch's seeds. */
  private seed(rows: PlanValue[], at: number): void {
    this.seeds.push({
      spanId: rows[at + SPAN.span_id] as string,
      conversation: str(rows[at + SPAN.conversation_id]),
      turn: str(rows[at + SPAN.turn_id]),
      key: rows[at + SPAN.turn_key] as number,
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
    const groups = new Map<number, { seed: Seed; spans: number[]; logs: number[] }>();
    const group = (seed: Seed, first: number, last: number) => {
      this.turns.widen(seed.key, first, last);
      let found = groups.get(seed.key);
      if (found === undefined) groups.set(seed.key, found = { seed, spans: [], logs: [] });
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
      this.stored.scoped(span.spanId, [conversation, turn], true);
      owners.push({ ...seed, spanId: span.spanId });
    }
    for (const log of this.adoption.logs(owners.map((s) => s.spanId))) {
      group(owners[log.owner], log.timestamp, log.timestamp).logs.push(log.id);
    }
    for (const [key, { seed: { conversation, turn }, spans, logs }] of groups) {
      if (spans.length > 0) this.adoption.moveSpans(spans, conversation, turn, key);
      if (logs.length > 0) this.adoption.moveLogs(logs, conversation, turn, key);
    }
    seeds.length = 0;
  }
}
