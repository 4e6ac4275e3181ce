/**
 * The SQLite trace store: records in, rows out, and the collector's read positions kept
 * in the same transactions as the rows.
 *
 * @module
 */

import type { JournalRecord } from "../reader/journal_record.ts";
import { type FilePosition, fromHex, toHex } from "../reader/file_identity.ts";
import { readUsage, type SpanUsage } from "../genai/usage.ts";
import { applyTraceStoreSchema, checkTraceStoreVersion, SLOWEST_KEPT } from "./schema.ts";
import { openSqlite, type SqliteDatabase, type SqlStatement, type SqlValue } from "./sqlite.ts";
import { otlpTraceId } from "./trace_ids.ts";
import { RecentMap } from "./recent_map.ts";

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

/** How many open spans (trace ids, turn keys) the store remembers at least between records. */
const OPEN_CACHE = 100_000;

/** A record read back, before its fields are checked. */
type Loose = { readonly kind: string; readonly [field: string]: unknown };

/** What the store keeps of an open span between its open and its close. */
interface OpenSpan {
  id: number;
  attributes: Record<string, unknown> | undefined;
  links: unknown[] | undefined;
  conversation_id: string | null;
  turn_id: string | null;
  parent_span_id: string | null;
  extension_id: string;
  turn_key: number | null;
  start: number;
  usage: SpanUsage;
}

/** The parameters of one `spans` INSERT; attributes and links as values until written. */
type PendingRow = unknown[];

/** Sums of usage columns added (or, negative, removed) per `usage_totals` or `usage_by` key. */
interface UsageDelta {
  /** `usage_by`'s scope (`null` for `usage_totals`) and key (a turn or conversation id). */
  scope: "turn" | "conversation" | null;
  id: string | null;
  model: string;
  extensionId: string;
  spans: number;
  input: number;
  output: number;
  cost: number;
  costed: number;
  uncostedInput: number;
  uncostedOutput: number;
  /** Earliest and latest start of the spans added (`usage_by` only). */
  first: number;
  last: number;
}

/** The delta of `key` in `map`, created empty when new. */
function usageDelta(
  map: Map<string, UsageDelta>,
  key: string,
  scope: UsageDelta["scope"],
  id: string | null,
  model: string,
  extensionId: string,
): UsageDelta {
  let delta = map.get(key);
  if (delta === undefined) {
    delta = {
      scope,
      id,
      model,
      extensionId,
      spans: 0,
      input: 0,
      output: 0,
      cost: 0,
      costed: 0,
      uncostedInput: 0,
      uncostedOutput: 0,
      first: Infinity,
      last: -Infinity,
    };
    map.set(key, delta);
  }
  return delta;
}

function addDelta(delta: UsageDelta, usage: SpanUsage, sign: 1 | -1, start: number): void {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  delta.spans += sign;
  delta.input += sign * input;
  delta.output += sign * output;
  if (usage.costUsd !== null) {
    delta.cost += sign * usage.costUsd;
    delta.costed += sign;
  } else {
    delta.uncostedInput += sign * input;
    delta.uncostedOutput += sign * output;
  }
  if (sign === 1) {
    if (start < delta.first) delta.first = start;
    if (start > delta.last) delta.last = start;
  }
}

const TRACE_HEX = /^[0-9a-f]{32}$/;

function hasUsage(u: SpanUsage): boolean {
  return u.inputTokens !== null || u.outputTokens !== null || u.costUsd !== null;
}

function json(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function parse(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : undefined;
}

/** A statement compiled on its first use. */
function prepareLater(db: SqliteDatabase, sql: string): SqlStatement {
  let statement: SqlStatement | undefined;
  const compiled = () => statement ??= db.prepare(sql);
  return {
    run: (...params) => compiled().run(...params),
    get: (...params) => compiled().get(...params),
    all: (...params) => compiled().all(...params),
  };
}

function positionOf(row: Record<string, SqlValue>): FilePosition {
  return {
    key: String(row.key),
    head: fromHex(String(row.head_hex)),
    offset: Number(row.byte_offset),
    complete: Number(row.complete) === 1,
    path: String(row.path),
    seenMs: Number(row.seen_ms),
  };
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
 * A SQLite store of logs and spans (see {@linkcode TRACE_STORE_SCHEMA}). Open one with
 * {@linkcode openTraceStore}; fill it with {@linkcode collectJournal} (or
 * {@linkcode TraceStore.ingest}); read it with the query functions or plain SQL on
 * {@linkcode TraceStore.db}.
 *
 * @example Ingest and count
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * store.ingest([{ kind: "span-open", spanId: "s", name: "turn", timestamp: 1, extensionId: "host" }]);
 * const row = store.db.prepare("SELECT status FROM spans WHERE span_id = 's'").get();
 * if (row?.status !== "open") throw new Error("not stored");
 * store.close();
 * ```
 */
export class TraceStore {
  /** The connection, for plain SQL. */
  readonly db: SqliteDatabase;
  private insertLog: SqlStatement;
  private insertSpan: SqlStatement;
  private findOpen: SqlStatement;
  /** The open rows this store inserted, by span id: spares a SELECT and a parse per close. */
  private opens = new RecentMap<string, OpenSpan>(OPEN_CACHE);
  /** Trace ids of recent spans, so children find their parent's without an index. */
  private traces = new RecentMap<string, string>(OPEN_CACHE);
  /** Trace ids of recent turns: derived by a hash that every record of a turn would repeat. */
  private turnTraces = new RecentMap<string, string>(OPEN_CACHE);
  /** Usage to add to `usage_totals` at the end of the batch. */
  private usage = new Map<string, UsageDelta>();
  /** Usage to add to `usage_by` at the end of the batch, by scope, key, model, extension. */
  private scoped = new Map<string, UsageDelta>();
  /** Turn keys by scope (`conversation \0 turn`), for the turns seen recently. */
  private turnKeys = new RecentMap<string, number>(OPEN_CACHE);
  /** First and last record time per turn key in this batch. */
  private turnTimes = new Map<number, { first: number; last: number }>();
  /** The longest durations ingested, a min-heap of at most SLOWEST_KEPT; loaded lazily. */
  private longest: number[] | undefined;
  private findTurn: SqlStatement;
  private insertTurn: SqlStatement;
  private touchTurn: SqlStatement;
  private closeSpan: SqlStatement;
  private traceOf: SqlStatement;
  private addUsage: SqlStatement;
  private addScoped: SqlStatement;
  private selectPositions: SqlStatement;
  private movedFrom: SqlStatement;
  private deletePositions: SqlStatement;
  private insertPosition: SqlStatement;

  /** Opened with `readOnly`: the store is read, never written nor migrated. */
  readonly readOnly: boolean;

  /**
   * Wraps a connection whose schema is in place (use {@linkcode openTraceStore}).
   * Statements are compiled when first used, so a read-only store of an older schema
   * version serves the queries its tables allow.
   *
   * @param db The connection.
   * @param options `readOnly` when the connection is.
   */
  constructor(db: SqliteDatabase, options: { readOnly?: boolean } = {}) {
    this.db = db;
    this.readOnly = options.readOnly === true;
    this.insertLog = prepareLater(
      db,
      `INSERT INTO logs (timestamp_ms, level, msg, extension_id, conversation_id, turn_id,
         span_id, trace_id, attributes, body, turn_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    this.insertSpan = prepareLater(
      db,
      `INSERT INTO spans (span_id, parent_span_id, trace_id, name, start_ms, end_ms, duration_ms,
         status, extension_id, conversation_id, turn_id, attributes, links, body,
         close_without_open, model, input_tokens, output_tokens, cost_usd, turn_key, slowest)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
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
    // Only open spans are indexed by id: a parent still open is found, a closed one is
    // found in #traces while recent (a child opens while its parent runs).
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
    this.selectPositions = prepareLater(
      db,
      "SELECT key, head_hex, byte_offset, complete, path, seen_ms FROM positions WHERE journal = ?",
    );
    // Every position whose identity is a prefix of the head, longest first: a scan of a
    // table of a few rows per journal.
    this.movedFrom = prepareLater(
      db,
      `SELECT key, head_hex, byte_offset, complete, path, seen_ms FROM positions
         WHERE head_hex != '' AND substr(?, 1, length(head_hex)) = head_hex
         ORDER BY length(head_hex) DESC, seen_ms DESC LIMIT 1`,
    );
    this.deletePositions = prepareLater(db, "DELETE FROM positions WHERE journal = ?");
    this.insertPosition = prepareLater(
      db,
      `INSERT OR REPLACE INTO positions (journal, key, head_hex, byte_offset, complete, path,
         seen_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  private lookup = (spanId: string): string | undefined => {
    const known = this.traces.get(spanId);
    if (known !== undefined) return known;
    const trace = this.traceOf.get(spanId)?.trace_id;
    return typeof trace === "string" ? trace : undefined;
  };

  /** The record's own `traceId` when it has a valid one, else the derived one. */
  private traceId(r: Loose): string | undefined {
    const own = r.traceId;
    if (typeof own === "string" && TRACE_HEX.test(own)) return own;
    const turn = r.turnId;
    if (own !== undefined || typeof turn !== "string") return otlpTraceId(r, this.lookup);
    // The turn rule of otlpTraceId: the trace depends on the conversation and turn only.
    const conversation = typeof r.conversationId === "string" ? r.conversationId : "";
    const key = `${conversation.length}:${conversation}${turn}`;
    let trace = this.turnTraces.get(key);
    if (trace === undefined) {
      trace = otlpTraceId(r, this.lookup) as string;
      this.turnTraces.set(key, trace);
    }
    return trace;
  }

  /** Remembers a span's trace id, so its children written later share it. */
  private rememberTrace(spanId: string, traceId: string | undefined): void {
    if (traceId === undefined) return;
    this.traces.set(spanId, traceId);
  }

  /**
   * Adds (`sign` 1) or removes (`sign` -1) one span's usage to the batch's totals: per model
   * and extension, and per turn and per conversation.
   */
  private countUsage(
    usage: SpanUsage,
    extensionId: string,
    sign: 1 | -1,
    turn: string | null,
    conversation: string | null,
    start: number,
  ): void {
    if (!hasUsage(usage)) return;
    const model = usage.model ?? "";
    // Length-prefixed keys: ids may hold any character, and no pair of fields spells another.
    const tail = `${model.length}:${model}${extensionId}`;
    addDelta(usageDelta(this.usage, tail, null, null, model, extensionId), usage, sign, start);
    const turnKey = turn === null ? `t-${tail}` : `t${turn.length}:${turn}${tail}`;
    addDelta(
      usageDelta(this.scoped, turnKey, "turn", turn, model, extensionId),
      usage,
      sign,
      start,
    );
    const conversationKey = conversation === null
      ? `c-${tail}`
      : `c${conversation.length}:${conversation}${tail}`;
    addDelta(
      usageDelta(this.scoped, conversationKey, "conversation", conversation, model, extensionId),
      usage,
      sign,
      start,
    );
  }

  /**
   * The `turns` row of a record's scope (created when new), its times widened to `time`;
   * `null` for a record with neither conversation nor turn.
   */
  private turnKey(conversation: string | null, turn: string | null, time: number): number | null {
    if (conversation === null && turn === null) return null;
    const scope = `${conversation ?? "\u0001"}\u0000${turn ?? "\u0001"}`;
    let key = this.turnKeys.get(scope);
    if (key === undefined) {
      const row = this.findTurn.get(turn, conversation);
      key = row === undefined
        ? this.insertTurn.run(turn, conversation, time, time).lastInsertRowid
        : Number(row.turn_key);
      this.turnKeys.set(scope, key);
    }
    const times = this.turnTimes.get(key);
    if (times === undefined) this.turnTimes.set(key, { first: time, last: time });
    else if (time > times.last) times.last = time;
    else if (time < times.first) times.first = time;
    return key;
  }

  /**
   * Forgets what the store caches about its rows (turn keys, the longest durations): call
   * it after deleting rows with SQL ({@linkcode pruneTraceStore} does).
   */
  refresh(): void {
    this.turnKeys.clear();
    this.longest = undefined;
  }

  /** Writes the batch's turn times and usage totals: one statement per turn and per key. */
  private flushBatch(): void {
    for (const [key, times] of this.turnTimes) this.touchTurn.run(times.first, times.last, key);
    this.turnTimes.clear();
    for (const d of this.usage.values()) {
      this.addUsage.run(
        d.model,
        d.extensionId,
        d.spans,
        d.input,
        d.output,
        d.cost,
        d.costed,
        d.uncostedInput,
        d.uncostedOutput,
      );
    }
    this.usage.clear();
    for (const d of this.scoped.values()) {
      this.addScoped.run(
        d.scope,
        d.id === null ? 0 : 1,
        d.id ?? "",
        d.model,
        d.extensionId,
        d.first === Infinity ? null : d.first,
        d.last === -Infinity ? null : d.last,
        d.spans,
        d.input,
        d.output,
        d.cost,
        d.costed,
        d.uncostedInput,
        d.uncostedOutput,
      );
    }
    this.scoped.clear();
  }

  /**
   * Adds records to the store in one transaction, in journal order: a log entry becomes a
   * `logs` row; a `span-open` a `spans` row with status `'open'`; a `span-close` completes
   * the latest open row of its span id, or inserts a `close_without_open` row. Other kinds
   * are ignored.
   *
   * @param records The records, oldest first.
   * @returns What was done.
   *
   * @example A span opened and closed
   * ```ts
   * import { openTraceStore } from "@dispatch/journal-sink/collector";
   * const store = await openTraceStore(":memory:");
   * const counts = store.ingest([
   *   { kind: "span-open", spanId: "s", name: "llm", timestamp: 1, extensionId: "host" },
   *   { kind: "span-close", spanId: "s", name: "llm", timestamp: 9, durationMs: 8, status: "ok", extensionId: "host" },
   * ]);
   * if (counts.spanOpens !== 1 || counts.spanCloses !== 1) throw new Error(JSON.stringify(counts));
   * store.close();
   * ```
   */
  ingest(records: Iterable<JournalRecord>): IngestCounts {
    return this.transaction(() => this.ingestBatch(records));
  }

  /**
   * Adds a tail batch and stores the positions after it, in one transaction: either both
   * are durable or neither, which is what lets a killed collector resume exactly.
   *
   * @param journal The journal's path, as the positions' key.
   * @param records The batch's records.
   * @param positions Every known file position after the batch.
   * @returns What was done with the records.
   */
  commit(
    journal: string,
    records: Iterable<JournalRecord>,
    positions: readonly FilePosition[],
  ): IngestCounts {
    return this.transaction(() => {
      const counts = this.ingestBatch(records);
      this.deletePositions.run(journal);
      for (const p of positions) {
        this.insertPosition.run(
          journal,
          p.key,
          toHex(p.head),
          p.offset,
          p.complete ? 1 : 0,
          p.path,
          p.seenMs,
        );
      }
      return counts;
    });
  }

  /**
   * The positions last committed for `journal`.
   *
   * @param journal The journal's path.
   * @returns One position per known file.
   */
  positions(journal: string): FilePosition[] {
    return this.selectPositions.all(journal).map(positionOf);
  }

  /**
   * The position, under any journal, of the file whose data starts with `head` (the
   * longest identity that is a prefix of it): a journal moved or renamed finds its files'
   * positions here (`tailPass`'s `movedFrom`).
   *
   * @param head The file's first bytes.
   * @returns The position, or `undefined` for a file never collected.
   *
   * @example
   * ```ts
   * import { openTraceStore } from "@dispatch/journal-sink/collector";
   * const store = await openTraceStore(":memory:");
   * const head = new TextEncoder().encode('{"kind":"log"}\n');
   * store.commit("/old/app.jsonl", [], [
   *   { key: "k", head, offset: head.length, complete: false, path: "/old/app.jsonl", seenMs: 0 },
   * ]);
   * if (store.positionOfFile(head)?.offset !== head.length) throw new Error("not found");
   * store.close();
   * ```
   */
  positionOfFile(head: Uint8Array): FilePosition | undefined {
    const row = this.movedFrom.get(toHex(head));
    return row === undefined ? undefined : positionOf(row);
  }

  /** Releases the connection. */
  close(): void {
    this.db.close();
  }

  /** Runs `work` in one transaction: all of it is written, or none. */
  private transaction<T>(work: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      this.opens.clear();
      this.traces.clear();
      this.usage.clear();
      this.scoped.clear();
      this.turnKeys.clear();
      this.turnTimes.clear();
      this.longest = undefined;
      throw error;
    }
  }

  /** A close whose open was not read: a row of its own, `close_without_open = 1`. */
  private closedRow(
    r: Loose,
    time: number,
    duration: number | null,
    status: string,
    own: Record<string, unknown> | undefined,
  ): PendingRow {
    const usage = readUsage(own);
    const traceId = this.traceId(r);
    const extensionId = String(r.extensionId ?? "");
    this.rememberTrace(String(r.spanId), traceId);
    this.countUsage(
      usage,
      extensionId,
      1,
      text(r.turnId),
      text(r.conversationId),
      time - (duration ?? 0),
    );
    return [
      r.spanId,
      text(r.parentSpanId),
      traceId,
      String(r.name ?? ""),
      time - (duration ?? 0),
      time,
      duration,
      status,
      extensionId,
      text(r.conversationId),
      text(r.turnId),
      { ...own },
      r.links ?? [],
      null,
      1,
      usage.model,
      usage.inputTokens,
      usage.outputTokens,
      usage.costUsd,
      this.turnKey(text(r.conversationId), text(r.turnId), time),
      this.slowest(duration),
    ];
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
    const num = (value: SqlValue) => value === null ? null : Number(value);
    return {
      id: Number(row.id),
      attributes: parse(row.attributes) as Record<string, unknown> | undefined,
      links: parse(row.links) as unknown[] | undefined,
      conversation_id: text(row.conversation_id),
      turn_id: text(row.turn_id),
      parent_span_id: text(row.parent_span_id),
      extension_id: String(row.extension_id),
      turn_key: row.turn_key === null ? null : Number(row.turn_key),
      start: Number(row.start_ms),
      usage: {
        model: text(row.model),
        inputTokens: num(row.input_tokens),
        outputTokens: num(row.output_tokens),
        costUsd: num(row.cost_usd),
      },
    };
  }

  /** Writes a batch of records as rows; the caller owns the transaction. */
  private ingestBatch(records: Iterable<JournalRecord>): IngestCounts {
    /** This batch's span rows, inserted at its end: a span opened and closed in it once. */
    const pending: { row: PendingRow; span?: OpenSpan }[] = [];
    /** Spans opened in this batch and not yet closed: their index in `pending`. */
    const openInBatch = new Map<string, number>();
    const counts: IngestCounts = {
      logs: 0,
      spanOpens: 0,
      spanCloses: 0,
      closesWithoutOpen: 0,
      ignored: 0,
    };
    for (const record of records) {
      const r = record as Loose;
      const time = r.timestamp;
      if (typeof time !== "number" || !Number.isFinite(time)) {
        counts.ignored++;
        continue;
      }
      if (r.kind === "log") {
        this.insertLog.run(
          time,
          String(r.level ?? "info"),
          String(r.msg ?? ""),
          String(r.extensionId ?? ""),
          text(r.conversationId),
          text(r.turnId),
          text(r.spanId),
          this.traceId(r) ?? null,
          json(r.attributes),
          json(r.body),
          this.turnKey(text(r.conversationId), text(r.turnId), time),
        );
        counts.logs++;
        continue;
      }
      if (typeof r.spanId !== "string" || (r.kind !== "span-open" && r.kind !== "span-close")) {
        counts.ignored++;
        continue;
      }
      const extensionId = String(r.extensionId ?? "");
      const own = r.attributes as Record<string, unknown> | undefined;
      if (r.kind === "span-open") {
        const usage = readUsage(own);
        const links = Array.isArray(r.links) && r.links.length > 0 ? r.links : undefined;
        const traceId = this.traceId(r);
        const turnKey = this.turnKey(text(r.conversationId), text(r.turnId), time);
        const row: PendingRow = [
          r.spanId,
          text(r.parentSpanId),
          traceId,
          String(r.name ?? ""),
          time,
          null,
          null,
          "open",
          extensionId,
          text(r.conversationId),
          text(r.turnId),
          own ?? {},
          links ?? [],
          json(r.body),
          0,
          usage.model,
          usage.inputTokens,
          usage.outputTokens,
          usage.costUsd,
          turnKey,
          null,
        ];
        this.rememberTrace(r.spanId, traceId);
        this.countUsage(usage, extensionId, 1, text(r.turnId), text(r.conversationId), time);
        this.opens.delete(r.spanId);
        const span: OpenSpan = {
          id: -1,
          attributes: own,
          links,
          conversation_id: text(r.conversationId),
          turn_id: text(r.turnId),
          parent_span_id: text(r.parentSpanId),
          extension_id: extensionId,
          turn_key: turnKey,
          start: time,
          usage,
        };
        pending.push({ row, span });
        openInBatch.set(r.spanId, pending.length - 1);
        counts.spanOpens++;
        continue;
      }
      const status = r.status === "error" ? "error" : "ok";
      const duration = typeof r.durationMs === "number" ? r.durationMs : null;
      const inBatch = openInBatch.get(r.spanId);
      openInBatch.delete(r.spanId);
      const open = inBatch !== undefined
        ? pending[inBatch].span
        : this.opens.get(r.spanId) ?? this.openFromRow(r.spanId);
      this.opens.delete(r.spanId);
      if (!open) {
        pending.push({ row: this.closedRow(r, time, duration, status, own) });
        counts.closesWithoutOpen++;
        counts.spanCloses++;
        continue;
      }
      const attributes = own === undefined || own === null
        ? open.attributes ?? {}
        : { ...open.attributes, ...own };
      let links = open.links;
      if (Array.isArray(r.links) && r.links.length > 0) {
        links = links === undefined ? [] : links.slice();
        for (const link of r.links as { spanId: string }[]) {
          if (!links.some((known) => (known as { spanId: string }).spanId === link.spanId)) {
            links.push(link);
          }
        }
      }
      const usage = own === undefined || own === null ? open.usage : readUsage(attributes);
      const conversation = open.conversation_id ?? text(r.conversationId);
      const turn = open.turn_id ?? text(r.turnId);
      const turnKey = this.turnKey(conversation, turn, time);
      const parent = open.parent_span_id ?? text(r.parentSpanId);
      if (inBatch !== undefined) {
        // Opened in this batch: its one INSERT carries the close (no UPDATE, no index churn).
        const row = pending[inBatch].row;
        row[1] = parent;
        row[5] = time;
        row[6] = duration;
        row[7] = status;
        row[9] = conversation;
        row[10] = turn;
        row[11] = attributes;
        row[12] = links ?? [];
        row[15] = usage.model;
        row[16] = usage.inputTokens;
        row[17] = usage.outputTokens;
        row[18] = usage.costUsd;
        row[19] = turnKey;
        row[20] = this.slowest(duration);
        pending[inBatch].span = undefined;
      } else {
        const { changes } = this.closeSpan.run(
          time,
          duration,
          status,
          json(attributes),
          json(links ?? []),
          conversation,
          turn,
          parent,
          usage.model,
          usage.inputTokens,
          usage.outputTokens,
          usage.costUsd,
          turnKey,
          this.slowest(duration),
          open.id,
        );
        if (changes === 0) {
          // Its open row was pruned meanwhile (retention, which also took its usage out of
          // the totals): keep the close on its own.
          pending.push({ row: this.closedRow(r, time, duration, status, own) });
          counts.closesWithoutOpen++;
          counts.spanCloses++;
          continue;
        }
      }
      if (usage !== open.usage || turn !== open.turn_id || conversation !== open.conversation_id) {
        const { extension_id: extension, start } = open;
        this.countUsage(open.usage, extension, -1, open.turn_id, open.conversation_id, start);
        this.countUsage(usage, extension, 1, turn, conversation, start);
      }
      counts.spanCloses++;
    }
    // Span rows in journal order; those still open are remembered for their close.
    for (const { row, span } of pending) {
      row[11] = json(row[11]);
      row[12] = json(row[12]);
      const { lastInsertRowid } = this.insertSpan.run(...row);
      if (span !== undefined) {
        span.id = lastInsertRowid;
        this.opens.set(row[0] as string, span);
      }
    }
    this.flushBatch();
    return counts;
  }
}

/**
 * Options of {@linkcode openTraceStore}.
 *
 * @example
 * ```ts
 * import type { OpenTraceStoreOptions } from "@dispatch/journal-sink/collector";
 * const options: OpenTraceStoreOptions = { readOnly: true };
 * if (!options.readOnly) throw new Error("unreachable");
 * ```
 */
export interface OpenTraceStoreOptions {
  /**
   * Read an existing store only (queries, the viewer): never created, migrated or written
   * (the driver refuses writes, and `PRAGMA query_only` besides), while a collector may
   * keep filling it. A missing store is an error.
   * @default {false}
   */
  readOnly?: boolean;
}

/**
 * Opens (creating if needed) the SQLite trace store at `path`, with the schema in place
 * (an older store is migrated), or, `readOnly`, an existing store as it is.
 * The runtime's own SQLite is loaded on this first call, not before.
 *
 * @param path The database file, or `":memory:"`.
 * @param options `readOnly`.
 * @returns The store; `close()` it when done.
 * @throws {Error} `no trace store at PATH` when `readOnly` and there is none; when the store
 *   was written by a newer schema version.
 *
 * @example
 * ```ts
 * import { openTraceStore } from "@dispatch/journal-sink/collector";
 * const store = await openTraceStore(":memory:");
 * if (store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n !== 0) throw new Error("not empty");
 * store.close();
 * ```
 */
export async function openTraceStore(
  path: string,
  options: OpenTraceStoreOptions = {},
): Promise<TraceStore> {
  if (options.readOnly) {
    let db: SqliteDatabase;
    try {
      db = await openSqlite(path, { readOnly: true });
    } catch (error) {
      throw new Error(`no trace store at ${path}`, { cause: error });
    }
    try {
      db.exec("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;");
      checkTraceStoreVersion(db, path);
      return new TraceStore(db, { readOnly: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }
  const db = await openSqlite(path);
  try {
    applyTraceStoreSchema(db);
    return new TraceStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}
