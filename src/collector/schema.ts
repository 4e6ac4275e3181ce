/**
 * The SQLite schema of the trace store: plain tables users query with plain SQL.
 *
 * @module
 */

import { TOOL_NAME_ATTRIBUTE } from "../genai/tool_name.ts";
import type { SqliteDatabase } from "./sqlite.ts";

/**
 * The version of {@linkcode TRACE_STORE_SCHEMA}, kept in `PRAGMA user_version` so a later
 * release can migrate a store written by this one.
 */
export const TRACE_STORE_SCHEMA_VERSION = 7;

/** How many of the longest spans the store keeps flagged `slowest` (and `--slowest N` reads fast). */
export const SLOWEST_KEPT = 1000;

/**
 * The counters of the usage tables (`usage_totals`, `usage_by`), each with the SQL that
 * sums it over `spans` rows: the one list the ingest, retention, migrations and queries
 * use, so they agree. The `uncosted_*` sums are the tokens of spans without a cost of their
 * own, which a prices file prices; the cache counts are inside the input counts.
 */
export const USAGE_SUMS: readonly (readonly [column: string, sum: string])[] = [
  ["input_tokens", "coalesce(sum(input_tokens), 0)"],
  ["output_tokens", "coalesce(sum(output_tokens), 0)"],
  ["cost_usd", "coalesce(sum(cost_usd), 0)"],
  ["costed_spans", "count(cost_usd)"],
  ["uncosted_input", "coalesce(sum(CASE WHEN cost_usd IS NULL THEN input_tokens END), 0)"],
  ["uncosted_output", "coalesce(sum(CASE WHEN cost_usd IS NULL THEN output_tokens END), 0)"],
  ["cache_read_tokens", "coalesce(sum(cache_read_tokens), 0)"],
  ["cache_write_tokens", "coalesce(sum(cache_write_tokens), 0)"],
  [
    "uncosted_cache_read",
    "coalesce(sum(CASE WHEN cost_usd IS NULL THEN cache_read_tokens END), 0)",
  ],
  [
    "uncosted_cache_write",
    "coalesce(sum(CASE WHEN cost_usd IS NULL THEN cache_write_tokens END), 0)",
  ],
];

/** The rows of `spans` that carry GenAI usage. */
export const USAGE_ROWS =
  "(input_tokens IS NOT NULL OR output_tokens IS NOT NULL OR cost_usd IS NOT NULL)";

/**
 * The condition on `spans` for the rows of one `usage_by` group's turn or conversation
 * (bound: the id when `hasKey`), through the turn index.
 */
export function usageGroupSpans(scope: "turn" | "conversation", hasKey: boolean): string {
  const column = scope === "turn" ? "turn_id" : "conversation_id";
  return hasKey
    ? `turn_key IN (SELECT turn_key FROM turns WHERE ${column} = ?)`
    : `(turn_key IS NULL OR turn_key IN (SELECT turn_key FROM turns WHERE ${column} IS NULL))`;
}

/** The cache counters of the usage tables (version 6), as columns. */
const USAGE_CACHE_COLUMN_NAMES = [
  "cache_read_tokens",
  "cache_write_tokens",
  "uncosted_cache_read",
  "uncosted_cache_write",
];
const USAGE_CACHE_COLUMNS = USAGE_CACHE_COLUMN_NAMES.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`)
  .join(",\n  ");

/**
 * The DDL of the trace store. Times are milliseconds since the Unix epoch; `attributes`,
 * `links` and `body` are JSON text (query them with SQLite's `->>` / `json_extract`).
 *
 * - `logs`: one row per log entry, in journal order (`id`).
 * - `spans`: one row per span: its `span-open` inserts it with `status = 'open'`, its
 *   `span-close` completes it (`end_ms`, `duration_ms`, `status` `'ok'` or `'error'`, the
 *   close's attributes merged over the open's). A close whose open was never read inserts
 *   a row with `close_without_open = 1` and `start_ms = end_ms - duration_ms`. A reused
 *   span id gets a row per open, as in `reconstructTraces`.
 * - `trace_id` (both tables): the record's own `traceId`, else the OTLP trace id the
 *   exporter would derive (32 hex digits), so rows and exported traces join up.
 * - `turns`: one row per scope a record can have (a conversation and turn pair, either part
 *   possibly `NULL`), with the first and last time a record of it was read. `turn_key`
 *   (both tables) points at it: rows are found by turn or conversation through this small
 *   integer, whose index grows at its end as turns arrive (a text index on random turn
 *   ids costs the collector far more), and retention deletes whole turns by `last_ms`.
 *   Rows with neither a conversation nor a turn have no `turn_key`.
 * - `model`, `input_tokens`, `output_tokens`, `cost_usd`, `cache_read_tokens`,
 *   `cache_write_tokens` (spans): GenAI usage read at ingest from the merged open and close
 *   attributes by `readUsage` (every naming style it knows; the cache counts inside the input
 *   count), `NULL` when the span carries none.
 * - `tool_name` (spans): its `gen_ai.tool.name` when a string (`readToolName`, the merged
 *   attributes), so `/stats` groups tools without reading every span's JSON.
 * - `slowest` (spans): 1 when the span was among the {@linkcode SLOWEST_KEPT} longest when
 *   ingested, so every span of the current top has it (`--slowest N` reads only those).
 * - `usage_totals`: those columns summed per model and extension, kept at ingest (and by
 *   retention), so usage over the whole store reads a handful of rows.
 * - `usage_by`: the same sums per turn id and per conversation id (`scope` `'turn'` or
 *   `'conversation'`; `has_key = 0` for spans without one), model and extension, with the
 *   first and last start of their spans, kept at ingest (and by retention): `--usage --by
 *   turn|conversation` reads it instead of the spans, and `--since` only checks the spans
 *   of the few groups that straddle the cutoff.
 * - `positions`: where the collector is in each file of each journal, keyed by the file's
 *   identity (`key`, matched by `head_hex`, its first KiB), committed in the same
 *   transaction as the rows read from it. `journal` is the path it was last collected
 *   under: a journal moved or renamed is recognised by its files' identity and its
 *   positions move to the new path.
 *
 * Indexes are the ones the CLI's queries need, each measured against its ingest cost
 * (bench/RESULTS.md): by `turn_key` (`--turn`, `--conversation`, and the spans of the few
 * `usage_by` groups a `--usage --since` cutoff straddles), open spans by span id (closes,
 * `--open`), failed spans (`--errors`), the slowest spans' durations (`--slowest`), rows
 * without a scope by time (retention), and rows without a scope by the span they wait on (a
 * parent written after its children adopts them; version 5).
 *
 * @example The tables a store has
 * ```ts
 * import { TRACE_STORE_SCHEMA } from "./schema.ts";
 * for (const table of ["logs", "spans", "positions"]) {
 *   if (!TRACE_STORE_SCHEMA.includes(`CREATE TABLE IF NOT EXISTS ${table}`)) throw new Error(table);
 * }
 * ```
 */
export const TRACE_STORE_SCHEMA: string = `
CREATE TABLE IF NOT EXISTS turns (
  turn_key        INTEGER PRIMARY KEY,
  turn_id         TEXT,
  conversation_id TEXT,
  first_ms        INTEGER NOT NULL,
  last_ms         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_turn_id      ON turns (turn_id, conversation_id);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns (conversation_id);

CREATE TABLE IF NOT EXISTS logs (
  id              INTEGER PRIMARY KEY,
  timestamp_ms    INTEGER NOT NULL,
  level           TEXT    NOT NULL,
  msg             TEXT    NOT NULL,
  extension_id    TEXT    NOT NULL,
  conversation_id TEXT,
  turn_id         TEXT,
  span_id         TEXT,
  trace_id        TEXT,
  attributes      TEXT,
  body            TEXT,
  turn_key        INTEGER
);
CREATE INDEX IF NOT EXISTS logs_by_turn_key ON logs (turn_key);
CREATE INDEX IF NOT EXISTS logs_unscoped    ON logs (timestamp_ms) WHERE turn_key IS NULL;

CREATE TABLE IF NOT EXISTS spans (
  id                 INTEGER PRIMARY KEY,
  span_id            TEXT    NOT NULL,
  parent_span_id     TEXT,
  trace_id           TEXT,
  name               TEXT    NOT NULL,
  start_ms           INTEGER NOT NULL,
  end_ms             INTEGER,
  duration_ms        REAL,
  status             TEXT    NOT NULL CHECK (status IN ('ok', 'error', 'open')),
  extension_id       TEXT    NOT NULL,
  conversation_id    TEXT,
  turn_id            TEXT,
  attributes         TEXT,
  links              TEXT,
  body               TEXT,
  close_without_open INTEGER NOT NULL DEFAULT 0,
  model              TEXT,
  input_tokens       INTEGER,
  output_tokens      INTEGER,
  cost_usd           REAL,
  turn_key           INTEGER,
  slowest            INTEGER,
  cache_read_tokens  INTEGER,
  cache_write_tokens INTEGER,
  tool_name          TEXT
);
CREATE INDEX IF NOT EXISTS spans_by_turn_key ON spans (turn_key);
-- Open spans by id: a close finds its open here, and --open lists them; the entry leaves
-- the index when the span closes, so it stays as small as the set of open spans.
CREATE INDEX IF NOT EXISTS spans_open_by_span_id ON spans (span_id) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS spans_failed      ON spans (start_ms) WHERE status = 'error';
-- Only spans that were among the slowest when ingested: an index of every duration takes a
-- random page per span, which at a million records costs the collector more than the rows.
CREATE INDEX IF NOT EXISTS spans_slowest     ON spans (duration_ms) WHERE slowest = 1;
CREATE INDEX IF NOT EXISTS spans_unscoped    ON spans (start_ms) WHERE turn_key IS NULL;
-- Spans and log entries without a scope by the span they wait on (their parent, their span):
-- a parent that arrives after them (OTLP exports children first) adopts them through these.
-- A record with its own turn never enters them.
CREATE INDEX IF NOT EXISTS spans_unscoped_by_parent ON spans (parent_span_id)
  WHERE turn_key IS NULL AND parent_span_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_unscoped_by_span    ON logs (span_id)
  WHERE turn_key IS NULL AND span_id IS NOT NULL;

-- Usage totals per model and extension, kept at ingest so \`query --usage\` reads a few rows.
CREATE TABLE IF NOT EXISTS usage_totals (
  model           TEXT    NOT NULL,
  extension_id    TEXT    NOT NULL,
  spans           INTEGER NOT NULL,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  cost_usd        REAL    NOT NULL,
  costed_spans    INTEGER NOT NULL,
  uncosted_input  INTEGER NOT NULL,
  uncosted_output INTEGER NOT NULL,
  ${USAGE_CACHE_COLUMNS},
  PRIMARY KEY (model, extension_id)
) WITHOUT ROWID;

-- Usage per turn and per conversation (and model and extension), kept at ingest.
CREATE TABLE IF NOT EXISTS usage_by (
  scope           TEXT    NOT NULL CHECK (scope IN ('turn', 'conversation')),
  has_key         INTEGER NOT NULL,
  key             TEXT    NOT NULL,
  model           TEXT    NOT NULL,
  extension_id    TEXT    NOT NULL,
  first_ms        INTEGER,
  last_ms         INTEGER,
  spans           INTEGER NOT NULL,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  cost_usd        REAL    NOT NULL,
  costed_spans    INTEGER NOT NULL,
  uncosted_input  INTEGER NOT NULL,
  uncosted_output INTEGER NOT NULL,
  ${USAGE_CACHE_COLUMNS},
  PRIMARY KEY (scope, has_key, key, model, extension_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_by_last ON usage_by (scope, last_ms);

CREATE TABLE IF NOT EXISTS positions (
  key          TEXT    NOT NULL PRIMARY KEY,
  journal      TEXT    NOT NULL,
  head_hex     TEXT    NOT NULL,
  byte_offset  INTEGER NOT NULL,
  complete     INTEGER NOT NULL DEFAULT 0,
  path         TEXT    NOT NULL,
  seen_ms      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS positions_by_journal ON positions (journal);
`;

/**
 * Creates the tables and indexes when missing and sets the pragmas the collector relies
 * on: WAL (readers never block the collector) and `synchronous = NORMAL` (a committed
 * transaction survives a killed process; after a power loss the store rolls back to an
 * earlier commit, and since positions commit with rows, still loses or doubles nothing).
 *
 * @param db An open connection.
 * @throws {Error} When the store was written by a newer schema version.
 *
 * @example
 * ```ts
 * import { applyTraceStoreSchema } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * applyTraceStoreSchema(db);
 * if (db.prepare("SELECT count(*) AS n FROM spans").get()?.n !== 0) throw new Error("no table");
 * db.close();
 * ```
 */
export function applyTraceStoreSchema(db: SqliteDatabase): void {
  db.exec(
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536;",
  );
  // A checkpoint (copying the WAL into the database, and its fsync) every 10,000 pages
  // (about 40 MiB) rather than SQLite's 1,000: a 4 MiB batch writes more than 1,000, so
  // every commit checkpointed, and pages written again by the next batches were copied each
  // time (measured: bench/RESULTS.md, collector).
  db.exec("PRAGMA wal_autocheckpoint = 10000;");
  const version = schemaVersion(db);
  db.exec("BEGIN IMMEDIATE");
  try {
    if (version === 1) migrateFromVersion1(db);
    if (version === 1 || version === 2) migrateFromVersion2(db);
    // Version 3 indexed usage spans by start for `--usage --since`, which reads `usage_by`
    // since version 3: the index cost the collector for no query (bench/RESULTS.md).
    if (version >= 1 && version <= 3) db.exec("DROP INDEX IF EXISTS spans_usage");
    if (version >= 1 && version <= 5) migrateFromVersion5(db);
    if (version >= 1 && version <= 6) migrateFromVersion6(db);
    // Version 5 indexes rows without a scope by the span they wait on (created below). Rows
    // an earlier version left without their parent's turn stay as they are.
    db.exec(TRACE_STORE_SCHEMA);
    db.exec(`PRAGMA user_version = ${TRACE_STORE_SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function schemaVersion(db: SqliteDatabase): number {
  const version = Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
  if (version > TRACE_STORE_SCHEMA_VERSION) {
    throw new Error(
      `trace store schema version ${version} is newer than this journal-sink (${TRACE_STORE_SCHEMA_VERSION})`,
    );
  }
  return version;
}

/**
 * Checks, without writing, that `db` holds a trace store this release can read: one of
 * its own schema version or an earlier one (a read-only opener never migrates).
 *
 * @param db An open connection (read-only, typically).
 * @param path The database's path, for the message.
 * @throws {Error} When it is newer, or is no trace store (an empty database).
 *
 * @example
 * ```ts
 * import { checkTraceStoreVersion } from "./schema.ts";
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * let message = "";
 * try { checkTraceStoreVersion(db, ":memory:"); } catch (error) { message = String(error); }
 * if (!message.includes("no trace store")) throw new Error(message);
 * db.close();
 * ```
 */
export function checkTraceStoreVersion(db: SqliteDatabase, path: string): void {
  if (schemaVersion(db) === 0) throw new Error(`no trace store at ${path} (an empty database)`);
}

/**
 * Version 1 had no usage columns nor turns, and indexed text ids (trace, span, turn,
 * conversation) and times that no query needed as much as the collector paid for them.
 */
function migrateFromVersion1(db: SqliteDatabase): void {
  const attr = (name: string) => `json_extract(attributes, '$."${name}"')`;
  for (
    const index of [
      "logs_by_time",
      "logs_by_trace",
      "logs_by_span",
      "logs_by_conversation",
      "logs_by_turn",
      "spans_by_span_id",
      "spans_by_parent",
      "spans_by_trace",
      "spans_by_conversation",
      "spans_by_turn",
      "spans_by_start",
      "spans_open",
      "spans_by_duration",
    ]
  ) db.exec(`DROP INDEX IF EXISTS ${index}`);
  db.exec(`
    ALTER TABLE spans ADD COLUMN model TEXT;
    ALTER TABLE spans ADD COLUMN input_tokens INTEGER;
    ALTER TABLE spans ADD COLUMN output_tokens INTEGER;
    ALTER TABLE spans ADD COLUMN cost_usd REAL;
    ALTER TABLE spans ADD COLUMN turn_key INTEGER;
    ALTER TABLE spans ADD COLUMN slowest INTEGER;
    ALTER TABLE logs ADD COLUMN turn_key INTEGER;
    UPDATE spans SET
      model = coalesce(${attr("gen_ai.response.model")}, ${attr("gen_ai.request.model")}),
      input_tokens = ${attr("gen_ai.usage.input_tokens")},
      output_tokens = ${attr("gen_ai.usage.output_tokens")},
      cost_usd = ${attr("gen_ai.usage.cost")}
    WHERE attributes LIKE '%gen\\_ai.%' ESCAPE '\\';
  `);
  // Its usage tables are filled by migrateFromVersion5, as every earlier version's.
  db.exec(TRACE_STORE_SCHEMA);
  db.exec(`
    INSERT INTO turns (turn_id, conversation_id, first_ms, last_ms)
      SELECT turn_id, conversation_id, min(t), max(t) FROM (
        SELECT turn_id, conversation_id, start_ms AS t FROM spans
        UNION ALL SELECT turn_id, conversation_id, coalesce(end_ms, start_ms) FROM spans
        UNION ALL SELECT turn_id, conversation_id, timestamp_ms FROM logs)
      WHERE turn_id IS NOT NULL OR conversation_id IS NOT NULL GROUP BY 1, 2;
    UPDATE spans SET turn_key = (SELECT turn_key FROM turns AS t
      WHERE t.turn_id IS spans.turn_id AND t.conversation_id IS spans.conversation_id)
      WHERE turn_id IS NOT NULL OR conversation_id IS NOT NULL;
    UPDATE logs SET turn_key = (SELECT turn_key FROM turns AS t
      WHERE t.turn_id IS logs.turn_id AND t.conversation_id IS logs.conversation_id)
      WHERE turn_id IS NOT NULL OR conversation_id IS NOT NULL;
  `);
  flagSlowest(db);
}

/**
 * Version 2 keyed positions by journal path (a moved journal was read again) and had no
 * usage per turn and conversation.
 */
function migrateFromVersion2(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE positions_v3 (
      key TEXT NOT NULL PRIMARY KEY, journal TEXT NOT NULL, head_hex TEXT NOT NULL,
      byte_offset INTEGER NOT NULL, complete INTEGER NOT NULL DEFAULT 0, path TEXT NOT NULL,
      seen_ms INTEGER NOT NULL);
    INSERT OR REPLACE INTO positions_v3
      SELECT key, journal, head_hex, byte_offset, complete, path, seen_ms FROM positions
      ORDER BY seen_ms;
    DROP TABLE positions;
    ALTER TABLE positions_v3 RENAME TO positions;
  `);
  // Usage per turn and conversation is new: migrateFromVersion5 fills it from the spans.
}

/**
 * Version 5 kept no cache counts: spans get `cache_read_tokens` and `cache_write_tokens`
 * (from the current GenAI names, the only ones version 5 read; an input count smaller than
 * its cache counts left them out, and gets them added, as `readUsage` does), the usage
 * tables their cache sums, and both usage tables are summed again from the spans (every
 * earlier version's migration ends here).
 */
function migrateFromVersion5(db: SqliteDatabase): void {
  const has = (table: string) =>
    new Set(db.prepare(`PRAGMA table_info(${table})`).all().map((row) => String(row.name)));
  const spans = has("spans");
  for (const column of ["cache_read_tokens", "cache_write_tokens"]) {
    if (!spans.has(column)) db.exec(`ALTER TABLE spans ADD COLUMN ${column} INTEGER`);
  }
  db.exec(TRACE_STORE_SCHEMA);
  for (const table of ["usage_totals", "usage_by"]) {
    const columns = has(table);
    for (const column of USAGE_CACHE_COLUMN_NAMES) {
      if (!columns.has(column)) {
        db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} INTEGER NOT NULL DEFAULT 0`);
      }
    }
  }
  const count = (name: string) =>
    `(SELECT CASE WHEN typeof(v) IN ('integer', 'real') AND v >= 0 THEN v END
       FROM (SELECT json_extract(attributes, '$."${name}"') AS v))`;
  db.exec(`
    UPDATE spans SET cache_read_tokens = ${count("gen_ai.usage.cache_read.input_tokens")},
      cache_write_tokens = ${count("gen_ai.usage.cache_creation.input_tokens")}
    WHERE ${USAGE_ROWS} AND attributes LIKE '%gen\\_ai.usage.cache\\_%' ESCAPE '\\';
    UPDATE spans SET input_tokens = coalesce(input_tokens, 0) + coalesce(cache_read_tokens, 0)
      + coalesce(cache_write_tokens, 0)
    WHERE (cache_read_tokens IS NOT NULL OR cache_write_tokens IS NOT NULL)
      AND coalesce(cache_read_tokens, 0) + coalesce(cache_write_tokens, 0) > coalesce(input_tokens, 0);
  `);
  const columns = USAGE_SUMS.map(([column]) => column).join(", ");
  const sums = USAGE_SUMS.map(([, sum]) => sum).join(", ");
  db.exec(`DELETE FROM usage_totals; DELETE FROM usage_by;
    INSERT INTO usage_totals (model, extension_id, spans, ${columns})
      SELECT coalesce(model, ''), extension_id, count(*), ${sums}
      FROM spans WHERE ${USAGE_ROWS} GROUP BY 1, 2;`);
  for (const [scope, column] of [["turn", "turn_id"], ["conversation", "conversation_id"]]) {
    db.exec(`
      INSERT INTO usage_by (scope, has_key, key, model, extension_id, first_ms, last_ms, spans,
          ${columns})
        SELECT '${scope}', ${column} IS NOT NULL, coalesce(${column}, ''), coalesce(model, ''),
          extension_id, min(start_ms), max(start_ms), count(*), ${sums}
        FROM spans WHERE ${USAGE_ROWS} GROUP BY 2, 3, 4, 5`);
  }
}

/**
 * Version 6 kept a span's tool name only in its attributes, which `/stats` read row by row
 * (60 % of its pass over the spans): spans get `tool_name`, filled from a string
 * `gen_ai.tool.name` (`readToolName`'s rule).
 */
function migrateFromVersion6(db: SqliteDatabase): void {
  const columns = new Set(
    db.prepare("PRAGMA table_info(spans)").all().map((row) => String(row.name)),
  );
  if (!columns.has("tool_name")) db.exec("ALTER TABLE spans ADD COLUMN tool_name TEXT");
  db.exec(`UPDATE spans SET tool_name = ${TOOL_NAME_SQL}
    WHERE instr(attributes, '${TOOL_NAME_ATTRIBUTE}') AND tool_name IS NULL`);
}

/**
 * A span's tool name from its `attributes` JSON text in SQL: `readToolName`'s rule, for the
 * migration and for a store of version 6 or earlier read as it is.
 */
export const TOOL_NAME_SQL: string = `CASE WHEN instr(attributes, '${TOOL_NAME_ATTRIBUTE}')
    AND json_type(attributes, '$."${TOOL_NAME_ATTRIBUTE}"') = 'text'
  THEN json_extract(attributes, '$."${TOOL_NAME_ATTRIBUTE}"') END`;

/**
 * Flags the {@linkcode SLOWEST_KEPT} longest closed spans `slowest` (after a migration, or
 * after rows were deleted and the flagged ones may be gone).
 *
 * @param db A connection to a trace store.
 */
export function flagSlowest(db: SqliteDatabase): void {
  db.exec(`UPDATE spans SET slowest = 1 WHERE id IN (SELECT id FROM spans WHERE status != 'open'
    ORDER BY duration_ms DESC, id LIMIT ${SLOWEST_KEPT}) AND slowest IS NOT 1`);
}
