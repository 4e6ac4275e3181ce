/**
 * One small interface over the SQLite each runtime ships: `node:sqlite` (`DatabaseSync`) on
 * Node and Deno, `bun:sqlite` (`Database`) on Bun. Reached through `process.getBuiltinModule`
 * on the first open, so programs that never collect load no SQLite at all.
 *
 * @module
 */

import { builtinModule, runtimeName } from "../runtime/runtime.ts";

/** A value SQLite stores and returns: what both drivers agree on. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/**
 * A prepared statement: positional `?` parameters, `undefined` bound as `NULL`.
 *
 * @example
 * ```ts
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * const one = db.prepare("SELECT ? + 1 AS n").get(1);
 * if (one?.n !== 2) throw new Error("wrong sum");
 * db.close();
 * ```
 */
export interface SqlStatement {
  /** Runs the statement; returns the changes and the last inserted row id. */
  run(...params: unknown[]): { changes: number; lastInsertRowid: number };
  /**
   * Runs the statement with `params`, none of them `undefined`, for its effect only: no
   * result to build and no copy of the parameters (a 32-row INSERT binds hundreds).
   */
  write(params: readonly unknown[]): void;
  /** The first row, or `undefined` when there is none. */
  get(...params: unknown[]): Record<string, SqlValue> | undefined;
  /** Every row. */
  all(...params: unknown[]): Record<string, SqlValue>[];
}

/**
 * The part of a SQLite connection the trace store uses, identical on every runtime.
 *
 * @example
 * ```ts
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * db.exec("CREATE TABLE t (a INTEGER)");
 * db.prepare("INSERT INTO t VALUES (?)").run(7);
 * if (db.prepare("SELECT a FROM t").all()[0].a !== 7) throw new Error("not stored");
 * db.close();
 * ```
 */
export interface SqliteDatabase {
  /** Runs one or more statements without parameters. */
  exec(sql: string): void;
  /** Compiles a statement for repeated use. */
  prepare(sql: string): SqlStatement;
  /** Releases the connection. */
  close(): void;
}

interface DriverStatement {
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** bun:sqlite's: a connection closes only once its statements are finalized. */
  finalize?(): void;
}

interface DriverDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): DriverStatement;
  close(): void;
}

function bind(params: unknown[]): unknown[] {
  for (let i = 0; i < params.length; i++) if (params[i] === undefined) params[i] = null;
  return params;
}

function wrap(db: DriverDatabase): SqliteDatabase {
  // bun:sqlite's close leaves the connection open while a statement lives (until the
  // garbage collector finalizes it), and with it the -wal and -shm beside the store.
  const finalizable: DriverStatement[] = [];
  return {
    exec: (sql) => void db.exec(sql),
    prepare(sql) {
      const statement = db.prepare(sql);
      if (statement.finalize !== undefined) finalizable.push(statement);
      return {
        run(...params) {
          const result = statement.run(...bind(params));
          return {
            changes: Number(result.changes),
            lastInsertRowid: Number(result.lastInsertRowid),
          };
        },
        write: (params) => void statement.run(...params),
        get: (...params) =>
          (statement.get(...bind(params)) ?? undefined) as Record<string, SqlValue> | undefined,
        all: (...params) => statement.all(...bind(params)) as Record<string, SqlValue>[],
      };
    },
    close() {
      for (const statement of finalizable) statement.finalize!();
      finalizable.length = 0;
      db.close();
    },
  };
}

/**
 * Options of {@linkcode openSqlite}.
 *
 * @example
 * ```ts
 * import type { OpenSqliteOptions } from "./sqlite.ts";
 * const options: OpenSqliteOptions = { readOnly: true };
 * if (!options.readOnly) throw new Error("unreachable");
 * ```
 */
export interface OpenSqliteOptions {
  /**
   * Open an existing database for reading only: the driver refuses writes, and a missing
   * file is an error instead of a new empty database. A store whose write-ahead log cannot
   * be opened (a read-only mount: no `-wal` or `-shm` can be created) is opened as
   * immutable instead, unless its `-wal` still holds transactions, which only a writable
   * place can read.
   * @default {false}
   */
  readOnly?: boolean;
}

interface BunSqlite {
  Database: new (path: string, flags?: number | { readonly: boolean }) => DriverDatabase;
  constants: { SQLITE_OPEN_READONLY: number; SQLITE_OPEN_URI: number };
}

interface NodeSqlite {
  DatabaseSync: new (path: string, options?: { readOnly: boolean }) => DriverDatabase;
}

/**
 * A database that exists but cannot be read where it is: its `-wal` holds transactions, and
 * the `-shm` that reading them needs cannot be created (a read-only mount). Opened as
 * immutable it would silently miss them, so it is refused with a message that says what
 * to do.
 *
 * @example
 * ```ts
 * import { UnreadableWalError } from "./sqlite.ts";
 * const error = new UnreadableWalError("/ro/traces.db", new Error("unable to open database file"));
 * if (!error.message.includes("wal_checkpoint")) throw new Error(error.message);
 * ```
 */
export class UnreadableWalError extends Error {
  /**
   * @param path The database.
   * @param cause What SQLite answered.
   */
  constructor(path: string, cause: unknown) {
    super(
      `cannot read ${path}: its -wal holds transactions that need a writable directory to be ` +
        `read; open it once where it can be written, or checkpoint it there (sqlite3 ${path} ` +
        `"PRAGMA wal_checkpoint(TRUNCATE)")`,
      { cause },
    );
    this.name = "UnreadableWalError";
  }
}

/** A connection with the runtime's driver; `immutable` opens `path` as SQLite's URI says. */
function connect(path: string, readOnly: boolean, immutable = false): DriverDatabase {
  // process.getBuiltinModule reaches bun:sqlite and node:sqlite on all three runtimes
  // without an import that other runtimes' checkers or the JSR analyzer would resolve.
  const uri = immutable ? immutableUri(path) : path;
  if (runtimeName === "bun") {
    const bun = builtinModule<BunSqlite>("bun:sqlite");
    if (immutable) {
      const { SQLITE_OPEN_READONLY, SQLITE_OPEN_URI } = bun.constants;
      return new bun.Database(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    }
    return readOnly ? new bun.Database(path, { readonly: true }) : new bun.Database(path);
  }
  // node:sqlite (Node and Deno) reads a `file:` filename as a URI.
  const node = builtinModule<NodeSqlite>("node:sqlite");
  return readOnly ? new node.DatabaseSync(uri, { readOnly: true }) : new node.DatabaseSync(path);
}

/**
 * `path` as a SQLite URI filename with `immutable=1`: no locks, no `-wal` nor `-shm`, so a
 * file on a read-only mount opens. Only `%`, `?` and `#` need escaping in its path.
 */
function immutableUri(path: string): string {
  const escaped = path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `file:${escaped}?immutable=1`;
}

/** SQLite's answer when a WAL store's `-wal` or `-shm` can be neither opened nor created. */
function cannotOpen(error: unknown): boolean {
  const { code, errcode, message } = (error ?? {}) as Record<string, unknown>;
  return errcode === 14 || code === "SQLITE_CANTOPEN" ||
    (typeof message === "string" && /unable to open database file/.test(message));
}

/** Bytes of the store's `-wal` when it is a file (0 when absent or not a file). */
function walBytes(path: string): number {
  const fs = builtinModule<{
    statSync(path: string, options: { throwIfNoEntry: false }):
      | { isFile(): boolean; size: number }
      | undefined;
  }>("node:fs");
  const stat = fs.statSync(`${path}-wal`, { throwIfNoEntry: false });
  return stat?.isFile() ? stat.size : 0;
}

/** Reads the schema, which a WAL store does through its `-wal` and `-shm`. */
function readSchema(db: DriverDatabase): void {
  const statement = db.prepare("SELECT count(*) FROM sqlite_schema");
  try {
    statement.get();
  } finally {
    statement.finalize?.();
  }
}

/**
 * A read-only connection that has read the schema: a WAL store opens lazily, and only its
 * first read finds out that the `-shm` it needs cannot be created. Then, as SQLite's
 * `immutable=1` is meant for, the file is read as it stands, provided no `-wal` holds
 * transactions it would leave out.
 */
function connectReadOnly(path: string): DriverDatabase {
  const db = connect(path, true);
  try {
    readSchema(db);
    return db;
  } catch (error) {
    db.close();
    if (path === ":memory:" || !cannotOpen(error)) throw error;
    if (walBytes(path) > 0) throw new UnreadableWalError(path, error);
    const immutable = connect(path, true, true);
    try {
      readSchema(immutable);
      return immutable;
    } catch {
      immutable.close();
      throw error;
    }
  }
}

/**
 * Opens (creating if missing, unless `readOnly`) the SQLite database at `path` with the
 * runtime's own driver: `bun:sqlite` on Bun, `node:sqlite` on Node (≥ 22.5) and Deno
 * (≥ 2.2). The driver is imported on first use only.
 *
 * @param path A file path, or `":memory:"`.
 * @param options `readOnly`.
 * @returns The open connection.
 * @throws {UnreadableWalError} When `readOnly` and its `-wal` holds transactions that
 *   cannot be read where it is.
 * @throws {Error} `no SQLite database at PATH` when `readOnly` and it cannot be opened.
 *
 * @example An in-memory database
 * ```ts
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * if (db.prepare("SELECT 41 + 1 AS answer").get()?.answer !== 42) throw new Error("no sqlite");
 * db.close();
 * ```
 */
// deno-lint-ignore require-await -- async keeps room for drivers that open asynchronously
export async function openSqlite(
  path: string,
  options: OpenSqliteOptions = {},
): Promise<SqliteDatabase> {
  if (options.readOnly !== true) return wrap(connect(path, false));
  try {
    return wrap(connectReadOnly(path));
  } catch (error) {
    if (error instanceof UnreadableWalError) throw error;
    throw new Error(`no SQLite database at ${path}`, { cause: error });
  }
}

/**
 * A statement compiled on its first use: a store of an older schema version, opened
 * read-only, serves the queries its tables allow without compiling the others.
 *
 * @param db The connection.
 * @param sql The statement.
 * @returns The statement.
 *
 * @example
 * ```ts
 * import { openSqlite, prepareLater } from "./sqlite.ts";
 * const db = await openSqlite(":memory:");
 * const missing = prepareLater(db, "SELECT * FROM no_such_table"); // not compiled yet
 * if (prepareLater(db, "SELECT 2 AS n").get()?.n !== 2) throw new Error("not run");
 * db.close();
 * ```
 */
export function prepareLater(db: SqliteDatabase, sql: string): SqlStatement {
  let statement: SqlStatement | undefined;
  const compiled = () => statement ??= db.prepare(sql);
  return {
    run: (...params) => compiled().run(...params),
    write: (params) => compiled().write(params),
    get: (...params) => compiled().get(...params),
    all: (...params) => compiled().all(...params),
  };
}
