/**
 * The viewer's source over a SQLite trace store that `collect` keeps filling: opened
 * read-only (`openTraceStore(path, { readOnly: true })`), asked with SQL that
 * touches one page of turns at a time, so a store of a million records lists at once.
 *
 * Token totals are read from the stored `attributes` JSON, so the list does not depend on
 * token columns the schema may gain.
 *
 * @module
 */

import { reconstructTraces } from "../traces.ts";
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
import {
  flattenForest,
  INPUT_TOKENS,
  OUTPUT_TOKENS,
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
const tokens = (name: string) => `coalesce(json_extract(s.attributes, '$."${name}"'), 0)`;

/**
 * The list's details of the turns whose ids are given as a JSON array.
 *
 * @returns The SQL; its one parameter is the JSON array of turn ids.
 */
export function turnDetailSql(): string {
  return `SELECT s.turn_id AS turn_id, min(s.start_ms) AS start,
       max(coalesce(s.end_ms, s.start_ms)) AS end,
       count(*) AS spans, sum(s.status = 'error') AS errors, sum(s.status = 'open') AS open,
       sum(${tokens(INPUT_TOKENS)}) AS input, sum(${tokens(OUTPUT_TOKENS)}) AS output,
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
  if (query.status === "open") where.push(`EXISTS (${spansOf} AND s.status = 'open')`);
  if (query.status === "error") {
    where.push(
      `NOT EXISTS (${spansOf} AND s.status = 'open')`,
      `EXISTS (${spansOf} AND s.status = 'error')`,
    );
  }
  if (query.status === "ok") {
    where.push(`EXISTS (${spansOf})`, `NOT EXISTS (${spansOf} AND s.status != 'ok')`);
  }
  if (query.text) {
    where.push(
      `(t.turn_id LIKE ? ESCAPE '\\' OR t.conversation_id LIKE ? ESCAPE '\\'
        OR EXISTS (${spansOf} AND s.name LIKE ? ESCAPE '\\'))`,
    );
  }
  return `SELECT t.turn_id AS turn_id, min(t.first_ms) AS start FROM turns t
    WHERE ${where.join(" AND ")} AND EXISTS (${spansOf})
    GROUP BY t.turn_id ORDER BY start DESC, t.turn_id LIMIT ? OFFSET ?`;
}

/** `LIKE` pattern matching `text` anywhere, with `\` escaping the wildcards. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Opens a trace store as a viewer source.
 *
 * @param path The SQLite file `collect` fills.
 * @returns The source; `close()` releases the connection.
 */
export async function openStoreSource(path: string): Promise<ViewerSource> {
  const { db } = await openTraceStore(path, { readOnly: true });
  db.exec("PRAGMA busy_timeout = 2000;");
  const detail = db.prepare(turnDetailSql());
  const logTimes = db.prepare(TURN_LOG_TIMES_SQL);
  const pages = new Map<string, Statement>();
  /** The page's turn ids, newest first: grouped over the index, details asked after. */
  const pageOf = (query: TurnQuery): Statement => {
    const sql = turnPageSql(query);
    let statement = pages.get(sql);
    if (!statement) pages.set(sql, statement = db.prepare(sql));
    return statement;
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
    const view = flattenForest(reconstructTraces(records));
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

  return {
    version: () => String((db.prepare("PRAGMA data_version").get() as Row).data_version),
    turns(query: TurnQuery): TurnPage {
      const params: Value[] = [];
      if (query.conversation !== undefined) params.push(query.conversation);
      if (query.extension !== undefined) params.push(query.extension);
      if (query.text) params.push(contains(query.text), contains(query.text), contains(query.text));
      params.push(query.limit + 1, query.offset);
      const ids = (pageOf(query).all(...params) as Row[]).map((row) => String(row.turn_id));
      const more = ids.length > query.limit;
      ids.length = Math.min(ids.length, query.limit);
      const list = JSON.stringify(ids);
      const byId = new Map<string, Row>();
      for (const row of detail.all(list) as Row[]) byId.set(String(row.turn_id), row);
      const lastLog = new Map<string, number>();
      for (const row of logTimes.all(list) as Row[]) {
        lastLog.set(String(row.turn_id), Number(row.last));
      }
      const turns: TurnSummary[] = [];
      for (const id of ids) {
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
        turns.push(turn);
      }
      return { turns, more };
    },
    turn: (turnId: string) => Promise.resolve(forest("turn_id", turnId)),
    trace: (traceId: string) => Promise.resolve(forest("trace_id", traceId)),
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
}
