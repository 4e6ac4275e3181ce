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
  return {
    exec: (sql) => void db.exec(sql),
    prepare(sql) {
      const statement = db.prepare(sql);
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
    close: () => db.close(),
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
   * file is an error instead of a new empty database.
   * @default {false}
   */
  readOnly?: boolean;
}

/**
 * Opens (creating if missing, unless `readOnly`) the SQLite database at `path` with the
 * runtime's own driver: `bun:sqlite` on Bun, `node:sqlite` on Node (≥ 22.5) and Deno
 * (≥ 2.2). The driver is imported on first use only.
 *
 * @param path A file path, or `":memory:"`.
 * @param options `readOnly`.
 * @returns The open connection.
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
  const readOnly = options.readOnly === true;
  try {
    // process.getBuiltinModule reaches bun:sqlite and node:sqlite on all three runtimes
    // without an import that other runtimes' checkers or the JSR analyzer would resolve.
    if (runtimeName === "bun") {
      const bun = builtinModule<{
        Database: new (path: string, options?: { readonly: boolean }) => DriverDatabase;
      }>("bun:sqlite");
      return wrap(readOnly ? new bun.Database(path, { readonly: true }) : new bun.Database(path));
    }
    const node = builtinModule<{
      DatabaseSync: new (path: string, options?: { readOnly: boolean }) => unknown;
    }>("node:sqlite");
    const db = readOnly
      ? new node.DatabaseSync(path, { readOnly: true })
      : new node.DatabaseSync(path);
    return wrap(db as DriverDatabase);
  } catch (error) {
    if (!readOnly) throw error;
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
