/**
 * The dialect seam. Shared catalog logic talks to a `SqlDriver`; each engine file implements it
 * with only its own dialect (placeholders, booleans, COPY vs prepared statements, locking).
 * SQL text given to a driver uses `?` placeholders and `{T:name}` table references; the driver
 * rewrites both. Table references only ever name our own fixed `dl_*` tables.
 */
export type SqlDialect = 'sqlite' | 'postgres' | 'duckdb' | 'mysql';
export type SqlValue = string | number | boolean | null;
export type Row = Record<string, unknown>;

/** A set of (identity, version) pairs: later actions that end the validity of an earlier row. */
export interface ValidityTouch {
  key: string[];
  version: number;
}

/**
 * One version step of one catalog table, written only if its `dl_tables` row still holds
 * `expect` (see `SqlDriver.appendIf`).
 */
export interface ConditionalAppend {
  tableId: string;
  /** Columns of the table's `dl_tables` row and the values they must hold (null: IS NULL). */
  expect: Readonly<Record<string, SqlValue>>;
  /** Columns of that row set when it matches. */
  set: Readonly<Record<string, SqlValue>>;
  inserts: readonly { table: string; columns: readonly string[]; rows: readonly SqlValue[][] }[];
  /** Validity ranges to close (as `closeValidity`). */
  closes: readonly {
    table: string;
    keyCols: readonly string[];
    endCol: string;
    touches: readonly ValidityTouch[];
  }[];
}

/** The tables a NextVersionAppend writes rows into (a blind append's rows). */
export const BLIND_APPEND_TABLES = ['dl_table_versions', 'dl_add_files', 'dl_commit_info'] as const;
export type BlindAppendTable = (typeof BLIND_APPEND_TABLES)[number];

/**
 * A blind append that takes whatever version comes next (see `SqlDriver.appendNext`). Its rows
 * are built for a placeholder version; the driver writes them with the version it takes.
 */
export interface NextVersionAppend {
  tableId: string;
  /** The version the writer read: a protocol or metaData change after it means no append. */
  readVersion: number;
  timestamp: number;
  inserts: readonly { table: string; columns: readonly string[]; rows: readonly SqlValue[][] }[];
  /** (path, dv_id) identities whose older add rows the new version closes. */
  closeAdds: readonly (readonly [string, string])[];
}

export interface SqlDriver {
  readonly dialect: SqlDialect;
  /**
   * Optional, for blind appends: in one round trip, take the table's next version and write the
   * step's rows at it, unless the table does not accept SQL commits or a version after
   * `readVersion` changed the protocol or metaData. Returns the version written, or null when
   * nothing was written (the caller then takes the checked path, which reports why).
   */
  appendNext?(step: NextVersionAppend): Promise<number | null>;
  /**
   * Optional: apply `step` atomically in one round trip (one statement, its own transaction),
   * only when the table's row matches `step.expect`. Returns false, with nothing written, when the
   * row does not match or a row with the same key exists already (a concurrent writer won). Engines
   * without it run the same step as a transaction of several statements (catalog/commit/commit.ts).
   */
  appendIf?(step: ConditionalAppend): Promise<boolean>;
  /** Run one statement; returns rows (empty for statements without results). */
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Run DDL (may hold several statements separated by ';'). */
  exec(sql: string): Promise<void>;
  /** Run `fn` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /** Bulk-append rows (COPY on Postgres, prepared statements on SQLite). Inside a transaction. */
  bulkInsert(table: string, columns: readonly string[], rows: readonly SqlValue[][]): Promise<void>;
  /**
   * Optional: stream row batches into one table with a single bulk load (one COPY FROM STDIN on
   * Postgres), pulling the next batch only when the database has taken the previous ones, so the
   * producer's work overlaps the database's ingest and memory stays at a few batches. Inside a
   * transaction. An error thrown by `batches` is rethrown unchanged (the load is aborted).
   */
  bulkInsertStream?(
    table: string,
    columns: readonly string[],
    batches: AsyncIterable<readonly SqlValue[][]>,
  ): Promise<void>;
  /**
   * Close the validity of still-open rows: for each touch, set `endCol = touch.version` on the
   * rows of `tableId` whose `keyCols` equal `touch.key` and whose `endCol` is NULL.
   */
  closeValidity(
    table: string,
    keyCols: readonly string[],
    endCol: string,
    tableId: string,
    touches: readonly ValidityTouch[],
  ): Promise<void>;
  /** Serialise writers of one catalog table (row lock on Postgres; SQLite is already exclusive). */
  lockTable(tableId: string): Promise<void>;
  /**
   * After a bulk load: refresh planner statistics and, on Postgres, the visibility map that makes
   * file lists index-only scans (`VACUUM (ANALYZE)`; outside any transaction). SQLite: `PRAGMA optimize`.
   */
  optimize(tables: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Quote an SQL identifier: wrap in double quotes, double any embedded quote. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const TABLE_REF = /\{T:([a-z_]+)\}/g;

/** Replace `{T:dl_x}` with the qualified, quoted table name. */
export function expandTables(sql: string, schemaPrefix: string): string {
  return sql.replace(TABLE_REF, (_m, name: string) => `${schemaPrefix}${quoteIdent(name)}`);
}
