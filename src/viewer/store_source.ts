/**
 * The viewer's source over a SQLite trace store that `collect` keeps filling: opened
 * read-only (`openTraceStore(path, { readOnly: true })`), asked with SQL that
 * touches one page of turns at a time, so a store of a million records lists at once.
 *
 * Token totals sum the spans' `input_tokens` and `output_tokens` columns, which the collector
 * fills with `readUsage` (the one token rule), with `total()`: SQLite's `sum()` stops with
 * "integer overflow" past 2^63, where JavaScript's sum goes on.
 *
 * @module
 */

import { reconstructTraces } from "../traces/traces.ts";
import type { SqlStatement, SqlValue } from "../collector/sqlite.ts";
import {
  logRowRecord,
  parseColumn,
  spanRowRecords,
  type StoredRecord,
  type StoreRow,
} from "../collector/store_records.ts";
import { openTraceStore } from "../collector/trace_store.ts";
import type { ViewerSource } from "./viewer_source.ts";
import { type ModelPrices, priceTokens } from "../collector/prices.ts";
import { roundCost, spanCostOf } from "./span_cost.ts";
import { type ConversationView, conversationView } from "./conversation_view.ts";
import { storeStats } from "./store_stats.ts";
import {
  type ConversationSummary,
  flattenForest,
  type TraceView,
  type TurnPage,
  type TurnQuery,
  turnStatus,
  type TurnSummary,
} from "./view_model.ts";

type Value = SqlValue;
type Row = StoreRow;
type Statement = SqlStatement;
const parse = parseColumn;

const SPAN_COLUMNS =
  "span_id, parent_span_id, trace_id, name, start_ms, end_ms, duration_ms, status, extension_id, conversation_id, turn_id, attributes, links, body, close_without_open";
const LOG_COLUMNS =
  "timestamp_ms, level, msg, extension_id, conversation_id, turn_id, span_id, attributes, body";

// Rows are found through the turns table: spans and logs are indexed by their integer turn key
// only (the store keeps no index on the turn id text: it cost the collector more). The SQL is
// built here, apart from the source, so a test can ask SQLite how it would run it.
const KEYS_OF = "SELECT turn_key FROM turns WHERE turn_id IN (SELECT value FROM json_each(?))";
const tokens = (column: "input_tokens" | "output_tokens") => `total(s.${column})`;

/**
 * The list's details of the turns whose ids are given as a JSON array.
 *
 * @returns The SQL; its one parameter is the JSON array of turn ids.
 */
export function turnDetailSql(): string {
  return `SELECT s.turn_id AS turn_id, min(s.start_ms) AS start,
       max(coalesce(s.end_ms, s.start_ms)) AS end,
       count(*) AS spans, sum(s.status = 'error') AS errors, sum(s.status = 'open') AS open,
       ${tokens("input_tokens")} AS input, ${tokens("output_tokens")} AS output,
       max(s.conversation_id) AS conversation_id,
       json_group_array(DISTINCT s.extension_id) AS extensions,
       (SELECT name FROM spans f
         WHERE f.turn_key IN (SELECT turn_key FROM turns WHERE turn_id = s.turn_id)
         ORDER BY f.start_ms, f.id LIMIT 1) AS name
     FROM spans s WHERE s.turn_key IN (${KEYS_OF})
     GROUP BY s.turn_id`;
}

/** The last log time of each turn whose id is in the JSON array parameter. */
export const TURN_LOG_TIMES_SQL: string = `SELECT turn_id, max(timestamp_ms) AS last FROM logs
     WHERE turn_key IN (${KEYS_OF}) GROUP BY turn_id`;

/**
 * One page of turn ids, newest first. Each filter asks the turn's own spans through the
 * turn-key index, so a page costs a walk of the turns table, never a scan of every span.
 *
 * @param query The filters.
 * @returns The SQL; its parameters follow the filters' order, then limit and offset.
 */
export function turnPageSql(query: TurnQuery): string {
  const spansOf = "SELECT 1 FROM spans s WHERE s.turn_key = t.turn_key";
  const where: string[] = ["t.turn_id IS NOT NULL"];
  if (query.conversation !== undefined) where.push("t.conversation_id = ?");
  if (query.extension !== undefined) where.push(`EXISTS (${spansOf} AND s.extension_id = ?)`);
  // Open and failed spans have partial indexes: their turn keys are read once into a set
  // (`+`: not through every span's turn key), instead of asking each turn's spans (1M records:
  // the error filter 155 -> 41 ms).
  const withStatus = (status: string) =>
    `t.turn_key IN (SELECT turn_key FROM spans WHERE status = '${status}'
      AND +turn_key IS NOT NULL)`;
  if (query.status === "open") where.push(withStatus("open"));
  if (query.status === "error") where.push(`NOT ${withStatus("open")}`, withStatus("error"));
  // Every span ok: none open, none failed (the page's query asks the turn has spans).
  if (query.status === "ok") where.push(`NOT ${withStatus("open")}`, `NOT ${withStatus("error")}`);
  if (query.text) {
    where.push(
      `(t.turn_id LIKE ? ESCAPE '\\' OR t.conversation_id LIKE ? ESCAPE '\\'
        OR EXISTS (${spansOf} AND s.name LIKE ? ESCAPE '\\')
        OR EXISTS (SELECT 1 FROM logs l WHERE l.turn_key = t.turn_key AND l.msg LIKE ? ESCAPE '\\'))`,
    );
  }
  if (query.model !== undefined) where.push(`EXISTS (${spansOf} AND s.model = ?)`);
  if (query.attribute !== undefined) {
    where.push(`EXISTS (${spansOf} AND CAST(json_extract(s.attributes, ?) AS TEXT) = ?)`);
  }
  if (query.from !== undefined) where.push("t.first_ms >= ?");
  if (query.to !== undefined) where.push("t.first_ms < ?");
  const having: string[] = [];
  if (query.minMs !== undefined) having.push("max(t.last_ms) - min(t.first_ms) >= ?");
  if (query.maxMs !== undefined) having.push("max(t.last_ms) - min(t.first_ms) <= ?");
  return `SELECT t.turn_id AS turn_id, min(t.first_ms) AS start FROM turns t
    WHERE ${where.join(" AND ")} AND EXISTS (${spansOf})
    GROUP BY t.turn_id ${having.length ? `HAVING ${having.join(" AND ")}` : ""}
    ORDER BY start DESC, t.turn_id LIMIT ? OFFSET ?`;
}

/**
 * Where the list looks for an unscoped trace's spans around its root's run, ms: a span's
 * open and close times may come from different clocks (the OpenTelemetry processor's opens
 * are wall-clock, its closes the SDK's; children opened 1 ms after a root that "ended"
 * before), and services' clocks differ a little.
 */
const TRACE_SLACK_MS = 1000;
/**
 * How long after an open root the list looks for its spans, ms: a root never closed (its
 * process died) must not make every list walk all the spans written since.
 */
const OPEN_TRACE_WINDOW_MS = 3_600_000;

/** The end of the window of a trace whose root starts at `start` and ends at `end`. */
const windowEnd = (start: string, end: string) =>
  `coalesce(${end}, ${start} + ${OPEN_TRACE_WINDOW_MS}) + ${TRACE_SLACK_MS}`;

/**
 * The spans of the unscoped trace whose root is `r`, through the `spans_unscoped` index: those
 * without a turn that started while the root ran (with {@linkcode TRACE_SLACK_MS} either
 * side). The store keeps no index on trace ids; a trace's spans start inside its root's span.
 */
const TRACE_MEMBERS = `SELECT 1 FROM spans c INDEXED BY spans_unscoped
  WHERE c.turn_key IS NULL AND c.start_ms >= r.start_ms - ${TRACE_SLACK_MS}
    AND c.start_ms <= ${windowEnd("r.start_ms", "r.end_ms")} AND c.trace_id = r.trace_id`;

/**
 * Roots of traces without a turn or conversation (a journal written by OpenTelemetry alone),
 * newest first, walking the `spans_unscoped` index backwards: the list shows them beside
 * the turns. The filters ask the trace's spans as {@linkcode TRACE_MEMBERS} finds them.
 *
 * @param query The filters (a conversation filter matches no such trace: ask not).
 * @returns The SQL; its parameters follow the filters' order, then the limit.
 */
export function tracePageSql(query: TurnQuery): string {
  const where: string[] = [
    "r.turn_key IS NULL",
    "r.parent_span_id IS NULL",
    "r.trace_id IS NOT NULL",
  ];
  if (query.extension !== undefined) where.push(`EXISTS (${TRACE_MEMBERS} AND c.extension_id = ?)`);
  if (query.status === "open") where.push(`EXISTS (${TRACE_MEMBERS} AND c.status = 'open')`);
  if (query.status === "error") {
    where.push(
      `NOT EXISTS (${TRACE_MEMBERS} AND c.status = 'open')`,
      `EXISTS (${TRACE_MEMBERS} AND c.status = 'error')`,
    );
  }
  if (query.status === "ok") where.push(`NOT EXISTS (${TRACE_MEMBERS} AND c.status != 'ok')`);
  if (query.text) {
    where.push(
      `(r.trace_id LIKE ? ESCAPE '\\' OR EXISTS (${TRACE_MEMBERS} AND c.name LIKE ? ESCAPE '\\'))`,
    );
  }
  return `SELECT r.trace_id AS trace_id, r.name AS name, r.start_ms AS start, r.end_ms AS end_ms
    FROM spans r INDEXED BY spans_unscoped
    WHERE ${where.join(" AND ")} ORDER BY r.start_ms DESC LIMIT ?`;
}

/**
 * The list's details of one unscoped trace, from its spans as {@linkcode TRACE_MEMBERS} finds
 * them: its parameters are the root's start, its end (or `null` while open) and the trace id.
 */
export const TRACE_DETAIL_SQL: string = `SELECT count(*) AS spans,
       sum(s.status = 'error') AS errors, sum(s.status = 'open') AS open,
       ${tokens("input_tokens")} AS input, ${tokens("output_tokens")} AS output,
       max(coalesce(s.end_ms, s.start_ms)) AS end,
       json_group_array(DISTINCT s.extension_id) AS extensions
     FROM spans s INDEXED BY spans_unscoped
     WHERE s.turn_key IS NULL AND s.start_ms >= ?1 - ${TRACE_SLACK_MS}
       AND s.start_ms <= ${windowEnd("?1", "?2")} AND s.trace_id = ?3`;

/**
 * The usage the collector keeps per turn or conversation (`usage_by`, by model) of the keys in
 * the JSON array parameter: what their cost is priced from, as `query --usage` prices it.
 */
export const USAGE_OF_KEYS_SQL: string = `SELECT key, model, spans, input_tokens, output_tokens,
       cost_usd, costed_spans, uncosted_input, uncosted_output, uncosted_cache_read,
       uncosted_cache_write
     FROM usage_by WHERE scope = ? AND has_key = 1 AND key IN (SELECT value FROM json_each(?))`;

/** Conversations' turns and times, from the turns table (the JSON array parameter). */
export const CONVERSATION_TURNS_SQL: string = `SELECT t.conversation_id AS id,
       count(DISTINCT t.turn_id) AS turns, min(t.first_ms) AS start, max(t.last_ms) AS end,
       count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM spans s WHERE s.turn_key = t.turn_key
           AND s.status = 'error') AND NOT EXISTS (SELECT 1 FROM spans s
           WHERE s.turn_key = t.turn_key AND s.status = 'open') THEN t.turn_id END) AS errors
     FROM turns t WHERE t.conversation_id IN (SELECT value FROM json_each(?))
       AND t.turn_id IS NOT NULL
     GROUP BY t.conversation_id`;

/**
 * The known cost of each key's `usage_by` rows: the spans' own costs, and the tokens of the
 * spans without one at their model's price (the rule of `priceTokens`).
 */
function costsOf(rows: Row[], prices: ModelPrices | undefined): Map<string, number> {
  const costs = new Map<string, number>();
  for (const row of rows) {
    const key = String(row.key);
    let cost = Number(row.cost_usd ?? 0);
    let known = Number(row.costed_spans ?? 0) > 0;
    const uncosted = Number(row.spans ?? 0) - Number(row.costed_spans ?? 0);
    const model = String(row.model ?? "");
    const price = uncosted > 0 && model !== "" ? prices?.priceOf(model) : undefined;
    if (price !== undefined) {
      known = true;
      cost += priceTokens(price, {
        input: Number(row.uncosted_input ?? 0),
        output: Number(row.uncosted_output ?? 0),
        cacheRead: Number(row.uncosted_cache_read ?? 0),
        cacheWrite: Number(row.uncosted_cache_write ?? 0),
      }).cost;
    }
    if (known) costs.set(key, roundCost((costs.get(key) ?? 0) + cost));
  }
  return costs;
}

/** `LIKE` pattern matching `text` anywhere, with `\` escaping the wildcards. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Opens a trace store as a viewer source.
 *
 * @param path The SQLite file `collect` fills.
 * @param options `prices`: for spans without a cost of their own (`serve --prices`).
 * @returns The source; `close()` releases the connection.
 */
export async function openStoreSource(
  path: string,
  options: { prices?: ModelPrices } = {},
): Promise<ViewerSource> {
  const { db } = await openTraceStore(path, { readOnly: true });
  const prices = options.prices;
  const costOf = spanCostOf(prices);
  const usageOfKeys = db.prepare(USAGE_OF_KEYS_SQL);
  const conversationTurns = db.prepare(CONVERSATION_TURNS_SQL);
  /** The conversations' totals of the ids given. */
  const conversations = (ids: string[]): ConversationSummary[] => {
    if (ids.length === 0) return [];
    const list = JSON.stringify(ids);
    const usage = usageOfKeys.all("conversation", list) as Row[];
    const costs = costsOf(usage, prices);
    const tokens = new Map<string, { input: number; output: number }>();
    for (const row of usage) {
      const t = tokens.get(String(row.key)) ?? { input: 0, output: 0 };
      t.input += Number(row.input_tokens ?? 0);
      t.output += Number(row.output_tokens ?? 0);
      tokens.set(String(row.key), t);
    }
    const out: ConversationSummary[] = [];
    for (const row of conversationTurns.all(list) as Row[]) {
      const id = String(row.id);
      const total: ConversationSummary = {
        conversationId: id,
        turns: Number(row.turns),
        start: Number(row.start),
        end: Number(row.end),
        errors: Number(row.errors ?? 0),
        inputTokens: tokens.get(id)?.input ?? 0,
        outputTokens: tokens.get(id)?.output ?? 0,
      };
      const cost = costs.get(id);
      if (cost !== undefined) total.costUsd = cost;
      out.push(total);
    }
    return out;
  };
  db.exec("PRAGMA busy_timeout = 2000;");
  const stats = storeStats(db, prices);
  const detail = db.prepare(turnDetailSql());
  const traceDetail = db.prepare(TRACE_DETAIL_SQL);
  const logTimes = db.prepare(TURN_LOG_TIMES_SQL);
  const pages = new Map<string, Statement>();
  /** A page query, prepared once per shape of filters. */
  const prepared = (sql: string): Statement => {
    let statement = pages.get(sql);
    if (!statement) pages.set(sql, statement = db.prepare(sql));
    return statement;
  };

  /** The end of each listed trace's root (`null` while open), for its details. */
  const rootEnds = new WeakMap<TurnSummary, number | null>();
  /** The newest `count` unscoped traces that pass the filters, one line each. */
  const traceLines = (query: TurnQuery, count: number): TurnSummary[] => {
    // The new filters (model, attribute, times, durations) ask turns only.
    if (
      query.conversation !== undefined || query.model !== undefined ||
      query.attribute !== undefined || query.from !== undefined || query.to !== undefined ||
      query.minMs !== undefined || query.maxMs !== undefined
    ) return [];
    const params: Value[] = [];
    if (query.extension !== undefined) params.push(query.extension);
    if (query.text) params.push(contains(query.text), contains(query.text));
    params.push(count);
    const lines: TurnSummary[] = [];
    const listed = new Set<string>();
    for (const row of prepared(tracePageSql(query)).all(...params) as Row[]) {
      const traceId = String(row.trace_id);
      // A trace with several roots (a parent never read) is listed once, at its newest.
      if (listed.has(traceId)) continue;
      listed.add(traceId);
      const line: TurnSummary = {
        traceId,
        extensions: [],
        name: String(row.name ?? ""),
        start: Number(row.start),
        end: row.end_ms === null ? Number(row.start) : Number(row.end_ms),
        status: "ok",
        spans: 0,
        errors: 0,
        open: 0,
        inputTokens: 0,
        outputTokens: 0,
      };
      rootEnds.set(line, row.end_ms === null ? null : Number(row.end_ms));
      lines.push(line);
    }
    return lines;
  };

  /** Fills in a trace line's counts from its spans. */
  const describeTrace = (line: TurnSummary): void => {
    const row = traceDetail.get(line.start, rootEnds.get(line) ?? null, line.traceId!) as Row;
    const open = Number(row.open ?? 0);
    const errors = Number(row.errors ?? 0);
    line.extensions = ((parse(row.extensions) as unknown[] | undefined) ?? []).map(String);
    line.end = Math.max(line.end, Number(row.end ?? line.end));
    line.status = turnStatus(open, errors);
    line.spans = Number(row.spans ?? 0);
    line.errors = errors;
    line.open = open;
    line.inputTokens = Number(row.input ?? 0);
    line.outputTokens = Number(row.output ?? 0);
  };

  const forest = (column: "turn_id" | "trace_id", id: string): TraceView | undefined => {
    // A turn through its keys (indexed); a trace id has no index: a scan of the store.
    const where = column === "turn_id"
      ? "turn_key IN (SELECT turn_key FROM turns WHERE turn_id = ?)"
      : "trace_id = ?";
    const spans = db.prepare(`SELECT ${SPAN_COLUMNS} FROM spans WHERE ${where} ORDER BY id`)
      .all(id) as Row[];
    const logs = db.prepare(`SELECT ${LOG_COLUMNS} FROM logs WHERE ${where} ORDER BY id`)
      .all(id) as Row[];
    if (spans.length === 0 && logs.length === 0) return undefined;
    const records: StoredRecord[] = [];
    for (const row of spans) spanRowRecords(row, records);
    for (const row of logs) records.push(logRowRecord(row));
    const view = flattenForest(reconstructTraces(records), costOf);
    const traces = new Map<string, string>();
    for (const row of spans) {
      if (typeof row.trace_id === "string") traces.set(String(row.span_id), row.trace_id);
    }
    for (const span of view.spans) {
      const traceId = traces.get(span.spanId);
      if (traceId !== undefined) span.traceId = traceId;
    }
    return view;
  };

  const CONVERSATION_KEYS = "turn_key IN (SELECT turn_key FROM turns WHERE conversation_id = ?)";
  const conversationSpans = db.prepare(
    `SELECT ${SPAN_COLUMNS} FROM spans WHERE ${CONVERSATION_KEYS} ORDER BY id`,
  );
  const conversationLogs = db.prepare(
    `SELECT ${LOG_COLUMNS} FROM logs WHERE ${CONVERSATION_KEYS} ORDER BY id`,
  );
  /** A conversation's turns, each built as `turn()` builds it, in two queries for them all. */
  const conversation = (id: string): ConversationView | undefined => {
    const spans = conversationSpans.all(id) as Row[];
    const logs = conversationLogs.all(id) as Row[];
    const byTurn = new Map<string, StoredRecord[]>();
    const traces = new Map<string, string>();
    const recordsOf = (turnId: unknown) => {
      const key = String(turnId ?? "");
      let records = byTurn.get(key);
      if (!records) byTurn.set(key, records = []);
      return records;
    };
    for (const row of spans) {
      spanRowRecords(row, recordsOf(row.turn_id));
      if (typeof row.trace_id === "string") traces.set(String(row.span_id), row.trace_id);
    }
    for (const row of logs) recordsOf(row.turn_id).push(logRowRecord(row));
    byTurn.delete("");
    if (byTurn.size === 0) return undefined;
    const views = new Map<string, TraceView>();
    for (const [turnId, records] of byTurn) {
      const view = flattenForest(reconstructTraces(records), costOf);
      for (const span of view.spans) {
        const traceId = traces.get(span.spanId);
        if (traceId !== undefined) span.traceId = traceId;
      }
      views.set(turnId, view);
    }
    return conversationView(id, views);
  };

  return {
    conversation: (id: string) => Promise.resolve(conversation(id)),
    version: () => String((db.prepare("PRAGMA data_version").get() as Row).data_version),
    turns(query: TurnQuery): TurnPage {
      const params: Value[] = [];
      if (query.conversation !== undefined) params.push(query.conversation);
      if (query.extension !== undefined) params.push(query.extension);
      if (query.text) {
        const like = contains(query.text);
        params.push(like, like, like, like);
      }
      if (query.model !== undefined) params.push(query.model);
      if (query.attribute !== undefined) {
        params.push(`$."${query.attribute.key.replace(/"/g, '\\"')}"`, query.attribute.value);
      }
      if (query.from !== undefined) params.push(query.from);
      if (query.to !== undefined) params.push(query.to);
      if (query.minMs !== undefined) params.push(query.minMs);
      if (query.maxMs !== undefined) params.push(query.maxMs);
      // Turns and unscoped traces, merged newest first: the first offset + limit + 1 of each.
      const wanted = query.offset + query.limit + 1;
      params.push(wanted, 0);
      const turnRows = prepared(turnPageSql(query)).all(...params) as Row[];
      const traces = traceLines(query, wanted);
      const merged: { start: number; turnId?: string; trace?: TurnSummary }[] = [
        ...turnRows.map((row) => ({ start: Number(row.start), turnId: String(row.turn_id) })),
        ...traces.map((trace) => ({ start: trace.start, trace })),
      ];
      merged.sort((a, b) => b.start - a.start);
      const more = merged.length > query.offset + query.limit;
      const page = merged.slice(query.offset, query.offset + query.limit);
      const ids = page.flatMap((line) => line.turnId === undefined ? [] : [line.turnId]);
      const list = JSON.stringify(ids);
      const byId = new Map<string, Row>();
      for (const row of detail.all(list) as Row[]) byId.set(String(row.turn_id), row);
      const lastLog = new Map<string, number>();
      for (const row of logTimes.all(list) as Row[]) {
        lastLog.set(String(row.turn_id), Number(row.last));
      }
      const turnCosts = costsOf(usageOfKeys.all("turn", list) as Row[], prices);
      const turns: TurnSummary[] = [];
      for (const line of page) {
        if (line.trace) {
          describeTrace(line.trace);
          turns.push(line.trace);
          continue;
        }
        const id = line.turnId!;
        const row = byId.get(id);
        if (!row) continue;
        const open = Number(row.open ?? 0);
        const errors = Number(row.errors ?? 0);
        const turn: TurnSummary = {
          turnId: id,
          extensions: ((parse(row.extensions) as unknown[] | undefined) ?? []).map(String),
          name: String(row.name ?? ""),
          start: Number(row.start),
          end: Math.max(Number(row.end), lastLog.get(id) ?? -Infinity),
          status: turnStatus(open, errors),
          spans: Number(row.spans),
          errors,
          open,
          inputTokens: Number(row.input ?? 0),
          outputTokens: Number(row.output ?? 0),
        };
        if (typeof row.conversation_id === "string") turn.conversationId = row.conversation_id;
        const cost = turnCosts.get(id);
        if (cost !== undefined) turn.costUsd = cost;
        turns.push(turn);
      }
      const shown = new Set<string>();
      for (const turn of turns) if (turn.conversationId) shown.add(turn.conversationId);
      return { turns, more, conversations: conversations([...shown]) };
    },
    stats: (query) => Promise.resolve(stats(query)),
    turn: (turnId: string) => Promise.resolve(forest("turn_id", turnId)),
    trace: (traceId: string) => Promise.resolve(forest("trace_id", traceId)),
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
}
