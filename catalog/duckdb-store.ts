/**
 * DuckDB dialect (`@duckdb/node-api`, embedded like SQLite). DuckDB lets one process open a file
 * once, so every driver of the same file in this process shares one instance and one connection,
 * serialised by one mutex (transactions span awaits; DuckDB's optimistic concurrency would
 * otherwise abort concurrent writers). Bulk rows go through DuckDB's appender inside the caller's
 * transaction; validity ranges close with one UPDATE ... FROM (VALUES ...) per chunk. Integers
 * are bound as BIGINT and BIGINT/HUGEINT results come back as numbers (strings beyond 2^53).
 */
import * as path from 'node:path';
import {
  DuckDBInstance,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  type DuckDBValue,
} from '@duckdb/node-api';
import { DeltaSqlError, isDeltaSqlError } from '../common/errors';
import { Mutex } from './mutex';
import { expandTables, quoteIdent, type Row, type SqlDriver, type SqlValue, type ValidityTouch } from './sql';

/** Identities per UPDATE ... FROM (VALUES ...) statement. */
const VALUES_CHUNK = 500;
const STATEMENT_CACHE_LIMIT = 200;
/** Statements whose result rows the caller wants (DuckDB reports a `Count` row for DML). */
/** `ALTER TABLE t ADD COLUMN c <type> NOT NULL <rest>` (see DuckConn.exec). */
const ADD_NOT_NULL = /^\s*ALTER\s+TABLE\s+(\S+)\s+ADD\s+COLUMN\s+(\S+)\s+(.+?)\s+NOT\s+NULL\b(.*)$/is;
const READS = /^\s*(SELECT|WITH|PRAGMA|VALUES|FROM|SHOW|DESCRIBE|SUMMARIZE|\()/i;

interface Shared {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  mutex: Mutex;
  refs: number;
  /** Column names and types per table, in table order (the appender fills every column). */
  columns: Map<string, { name: string; type: string }[]>;
  statements: Map<string, DuckDBPreparedStatement>;
}

/** After DDL (or when the cache is full): prepared statements and column lists may be stale. */
function clearStatements(shared: Shared): void {
  for (const s of shared.statements.values()) s.destroySync();
  shared.statements.clear();
  shared.columns.clear();
}

const OPEN = new Map<string, Promise<Shared>>();

function wrap(e: unknown, file: string): never {
  if (isDeltaSqlError(e)) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  throw new DeltaSqlError('CatalogError', `DuckDB catalog ${file}: ${msg}`, { file, cause: e });
}

const bind = (v: SqlValue): DuckDBValue =>
  typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : (v as DuckDBValue);

function fromDuck(v: unknown): unknown {
  if (typeof v !== 'bigint') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

function objectRows(r: DuckDBResultReader): Row[] {
  const rows = r.getRowObjectsJS() as Row[];
  for (const row of rows) for (const k of Object.keys(row)) row[k] = fromDuck(row[k]);
  return rows;
}

function appendValue(a: DuckDBAppender, type: string, v: SqlValue | undefined): void {
  if (v === null || v === undefined) return a.appendNull();
  switch (type) {
    case 'BIGINT':
      return a.appendBigInt(BigInt(v as number | string));
    case 'INTEGER':
      return a.appendInteger(Number(v));
    case 'BOOLEAN':
      return a.appendBoolean(v === true || v === 1);
    case 'DOUBLE':
      return a.appendDouble(Number(v));
    default:
      return a.appendVarchar(String(v));
  }
}

/** Close an appender whose rows must never reach the table (best effort: the write already failed). */
function discard(a: DuckDBAppender): void {
  try {
    a.clear();
  } catch {
    /* nothing buffered */
  }
  try {
    a.closeSync();
  } catch {
    /* already closed */
  }
}

/** Statements on the shared connection with the mutex already held: used inside a transaction. */
class DuckConn implements SqlDriver {
  readonly dialect = 'duckdb' as const;
  constructor(
    protected readonly shared: Shared,
    readonly file: string,
  ) {}

  /** Run through a cached prepared statement (planning a statement costs more than running it). */
  private async run(sql: string, params: readonly SqlValue[]): Promise<DuckDBResultReader> {
    const cache = this.shared.statements;
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= STATEMENT_CACHE_LIMIT) clearStatements(this.shared);
      stmt = await this.shared.conn.prepare(expandTables(sql, ''));
      cache.set(sql, stmt);
    }
    stmt.clearBindings();
    if (params.length > 0) stmt.bind(params.map(bind));
    return stmt.runAndReadAll();
  }
  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      const r = await this.run(sql, params);
      if (!READS.test(sql) && r.columnNames().join() === 'Count') return [];
      return objectRows(r);
    } catch (e) {
      wrap(e, this.file);
    }
  }
  /** Positional rows: no per-row object for large reads such as file lists. */
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    try {
      const r = await this.run(sql, params);
      return r.getRowsJS().map((row) => row.map(fromDuck));
    } catch (e) {
      wrap(e, this.file);
    }
  }
  /**
   * DDL. DuckDB cannot add a column with a constraint, so `ADD COLUMN c T NOT NULL DEFAULT x`
   * becomes the column with its default (which fills existing rows) and then `SET NOT NULL`.
   */
  async exec(sql: string): Promise<void> {
    let text = expandTables(sql, '');
    const m = ADD_NOT_NULL.exec(text);
    if (m) {
      const [, table, column, type, rest] = m;
      text = `ALTER TABLE ${table} ADD COLUMN ${column} ${type}${rest}; ALTER TABLE ${table} ALTER COLUMN ${column} SET NOT NULL`;
    }
    try {
      clearStatements(this.shared);
      await this.shared.conn.run(text);
    } catch (e) {
      wrap(e, this.file);
    }
  }
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return fn(this);
  }
  private async tableColumns(table: string): Promise<{ name: string; type: string }[]> {
    let cols = this.shared.columns.get(table);
    if (!cols) {
      const rows = await this.query(`SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, [table]);
      cols = rows.map((r) => ({ name: String(r.name), type: String(r.type) }));
      this.shared.columns.set(table, cols);
    }
    return cols;
  }
  async bulkInsert(table: string, columns: readonly string[], rows: readonly SqlValue[][]): Promise<void> {
    const cols = await this.tableColumns(table);
    const pos = cols.map((c) => columns.indexOf(c.name));
    const unknown = columns.filter((c) => !cols.some((t) => t.name === c));
    if (unknown.length > 0)
      wrap(new Error(`table ${table} has no column(s) ${unknown.join(', ')}`), this.file);
    let a: DuckDBAppender | undefined;
    try {
      a = await this.shared.conn.createAppender(table);
      for (const r of rows) {
        for (let i = 0; i < cols.length; i++) {
          if (pos[i] < 0) a.appendDefault();
          else appendValue(a, cols[i].type, r[pos[i]]);
        }
        a.endRow();
      }
      a.flushSync();
      a.closeSync();
    } catch (e) {
      // A failed flush leaves the rows in the appender; closing (or the garbage collector's
      // destroy, at some later moment) would flush them again and abort whichever transaction
      // is then open on the shared connection. Drop them first, then close.
      if (a) discard(a);
      wrap(e, this.file);
    }
  }
  async closeValidity(
    table: string,
    keyCols: readonly string[],
    endCol: string,
    tableId: string,
    touches: readonly ValidityTouch[],
  ): Promise<void> {
    const end = quoteIdent(endCol);
    const names = [...keyCols.map((_, i) => `k${i}`), 'v'].join(', ');
    const cond = keyCols.map((c, i) => `t.${quoteIdent(c)} = u.k${i}`).join(' AND ');
    const tuple = `(${[...keyCols.map(() => '?'), '?'].join(', ')})`;
    for (let i = 0; i < touches.length; i += VALUES_CHUNK) {
      const part = touches.slice(i, i + VALUES_CHUNK);
      await this.query(
        `UPDATE {T:${table}} AS t SET ${end} = u.v FROM (VALUES ${part.map(() => tuple).join(', ')}) AS u(${names})
         WHERE t.table_id = ? AND ${cond} AND t.${end} IS NULL`,
        [...part.flatMap((t) => [...t.key, t.version]), tableId],
      );
    }
  }
  async lockTable(): Promise<void> {
    // The shared mutex already makes this connection the only writer of the file.
  }
  async optimize(): Promise<void> {
    await this.exec('ANALYZE; CHECKPOINT');
  }
  async close(): Promise<void> {}
}

async function openShared(file: string): Promise<Shared> {
  try {
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    return { instance, conn, mutex: new Mutex(), refs: 0, columns: new Map(), statements: new Map() };
  } catch (e) {
    throw new DeltaSqlError(
      'CatalogUnavailable',
      `cannot open DuckDB catalog ${file}: ${(e as Error).message}`,
      { file, cause: e },
    );
  }
}

export class DuckdbDriver extends DuckConn {
  private closed = false;
  private constructor(
    shared: Shared,
    file: string,
    private readonly key: string,
  ) {
    super(shared, file);
  }

  /** Open (or join this process's open handle of) the DuckDB file. */
  static async open(file: string): Promise<DuckdbDriver> {
    const key = file === ':memory:' ? `:memory:${OPEN.size}:${Date.now()}` : path.resolve(file);
    let p = OPEN.get(key);
    if (!p) {
      p = openShared(file === ':memory:' ? ':memory:' : key);
      OPEN.set(key, p);
      p.catch(() => OPEN.delete(key));
    }
    const shared = await p;
    shared.refs += 1;
    return new DuckdbDriver(shared, file, key);
  }

  override query(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.shared.mutex.run(() => super.query(sql, params));
  }
  override queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]> {
    return this.shared.mutex.run(() => super.queryArrays(sql, params));
  }
  override exec(sql: string): Promise<void> {
    return this.shared.mutex.run(() => super.exec(sql));
  }
  override transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.shared.mutex.run(async () => {
      const tx = new DuckConn(this.shared, this.file);
      // Not exec(): that is for DDL and drops the prepared statements.
      await this.shared.conn.run('BEGIN TRANSACTION');
      try {
        const out = await fn(tx);
        await this.shared.conn.run('COMMIT');
        return out;
      } catch (e) {
        await this.shared.conn.run('ROLLBACK').catch(() => undefined);
        clearStatements(this.shared);
        wrap(e, this.file);
      }
    });
  }
  override bulkInsert(table: string, columns: readonly string[], rows: readonly SqlValue[][]): Promise<void> {
    return this.transaction((tx) => tx.bulkInsert(table, columns, rows));
  }
  override closeValidity(
    table: string,
    keyCols: readonly string[],
    endCol: string,
    tableId: string,
    touches: readonly ValidityTouch[],
  ): Promise<void> {
    return this.transaction((tx) => tx.closeValidity(table, keyCols, endCol, tableId, touches));
  }
  override optimize(): Promise<void> {
    return this.shared.mutex.run(() => super.optimize());
  }
  /** The last driver of a file closes the connection and the instance (releasing the file lock). */
  override close(): Promise<void> {
    return this.shared.mutex.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.shared.refs -= 1;
      if (this.shared.refs > 0) return;
      OPEN.delete(this.key);
      clearStatements(this.shared);
      this.shared.conn.closeSync();
      this.shared.instance.closeSync();
    });
  }
}
