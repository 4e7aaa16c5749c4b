/**
 * SQLite dialect (better-sqlite3, the embedded default). Synchronous driver, so a promise mutex
 * serialises transactions (which may span awaits while a baseline streams in); booleans become
 * 0/1; bulk loads are prepared statements inside the surrounding transaction.
 */
import Database from 'better-sqlite3';
import { DeltaSqlError, isDeltaSqlError } from '../common/errors';
import { Mutex } from './mutex';
import { expandTables, quoteIdent, type Row, type SqlDriver, type SqlValue, type ValidityTouch } from './sql';

const BUSY_TIMEOUT_MS = 5000;
const STATEMENT_CACHE_LIMIT = 200;
/**
 * Parameters per multi-row INSERT (SQLite allows 32,766 since 3.32) and rows per statement: 64
 * rows of the add table's columns cut the per-row native calls that profiling showed in bulkInsert.
 */
const MULTI_ROW_PARAMS = 2000;
const MULTI_ROW_MAX = 64;
/** Touches closed by one UPDATE at most (closeValidity). */
const CLOSE_GROUP_MAX = 64;

/**
 * Pragmas of every catalog connection (besides busy_timeout), in order. Exported so the raw
 * better-sqlite3 baseline of the benchmark (bench/scenario-peers.ts) loads with the very same ones.
 *
 * - WAL with synchronous = NORMAL: a commit appends to the WAL without an fsync, yet is atomic; a
 *   killed worker never leaves part of a transaction (so of a version) visible. Only a power loss
 *   can drop the last commits, never half of one.
 * - cache_size 64 MiB (default 2 MiB): an import updates the add table's path-keyed indexes at
 *   random (inserts into the open-identity index, validity closes); with the default cache those
 *   pages were evicted and re-read, and spilled into the WAL mid-transaction (issue 21 profile).
 *   The cache is filled only as pages are touched, so a small catalog costs nothing.
 * - wal_autocheckpoint 16,384 pages (64 MiB at 4 KiB pages; default 1,000): the checkpoint (copy
 *   WAL frames into the database, two fsyncs) ran inside COMMIT every 4 MiB of WAL, about half of
 *   the SQLite time of the quick full-history import. Fewer checkpoints copy a page once instead
 *   of once per checkpoint it was dirtied in. journal_size_limit truncates the WAL file back to
 *   64 MiB after a checkpoint, so one large transaction does not leave a large file behind.
 */
export const SQLITE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'foreign_keys = ON',
  'cache_size = -65536',
  'wal_autocheckpoint = 16384',
  'journal_size_limit = 67108864',
];

type Bindable = string | number | null;
const bind = (v: SqlValue): Bindable => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

function wrap(e: unknown, file: string): never {
  if (isDeltaSqlError(e)) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  throw new DeltaSqlError('CatalogError', `SQLite catalog ${file}: ${msg}`, { file, cause: e });
}

/** Runs statements on the connection with no locking: used inside a transaction. */
class SqliteConn implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly cache = new Map<string, Database.Statement>();
  constructor(
    readonly db: Database.Database,
    readonly file: string,
  ) {}

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      if (this.cache.size >= STATEMENT_CACHE_LIMIT) this.cache.clear();
      s = this.db.prepare(expandTables(sql, ''));
      this.cache.set(sql, s);
    }
    return s;
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      const s = this.stmt(sql);
      const args = params.map(bind);
      // Statements are cached and shared with queryArrays, which switches on raw mode.
      if (s.reader) return s.raw(false).all(...args) as Row[];
      s.run(...args);
      return [];
    } catch (e) {
      wrap(e, this.file);
    }
  }
  /** Positional rows (`raw` mode): no per-row object for large reads such as file lists. */
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    try {
      const s = this.stmt(sql);
      return s.raw(true).all(...params.map(bind)) as unknown[][];
    } catch (e) {
      wrap(e, this.file);
    }
  }
  async exec(sql: string): Promise<void> {
    try {
      this.db.exec(expandTables(sql, ''));
    } catch (e) {
      wrap(e, this.file);
    }
  }
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return fn(this);
  }
  /**
   * Rows go in `INSERT … VALUES (…), (…), …` statements of up to MULTI_ROW_PARAMS parameters:
   * one native call per chunk instead of one per row, and one flat parameter array instead of a
   * mapped copy of every row. The tail (fewer rows than a chunk) uses the one-row statement.
   */
  async bulkInsert(table: string, columns: readonly string[], rows: readonly SqlValue[][]): Promise<void> {
    const width = columns.length;
    const head = `INSERT INTO {T:${table}} (${columns.map(quoteIdent).join(', ')}) VALUES `;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const chunk = Math.max(1, Math.min(MULTI_ROW_MAX, Math.floor(MULTI_ROW_PARAMS / width)));
    try {
      let i = 0;
      if (rows.length >= chunk && chunk > 1) {
        const many = this.stmt(head + Array.from({ length: chunk }, () => tuple).join(', '));
        const params: Bindable[] = new Array<Bindable>(chunk * width);
        for (; i + chunk <= rows.length; i += chunk) {
          let k = 0;
          for (let j = i; j < i + chunk; j++) {
            const r = rows[j];
            for (let c = 0; c < width; c++) params[k++] = bind(r[c]);
          }
          many.run(params);
        }
      }
      if (i < rows.length) {
        const one = this.stmt(head + tuple);
        const params: Bindable[] = new Array<Bindable>(width);
        for (; i < rows.length; i++) {
          const r = rows[i];
          for (let c = 0; c < width; c++) params[c] = bind(r[c]);
          one.run(params);
        }
      }
    } catch (e) {
      wrap(e, this.file);
    }
  }
  /**
   * Touches that share the version and every key column but the first are closed by one
   * `UPDATE … WHERE first IN (…)`: the same rows as one UPDATE per touch (each sets the same end
   * version where it is still NULL, so order and grouping do not matter), with one native call per
   * group. A remove with two path spellings, and the removes of one version (no DV), each make
   * such a group. IN lists are padded (with their last value) to a power of two up to
   * CLOSE_GROUP_MAX, so few statements are prepared.
   */
  async closeValidity(
    table: string,
    keyCols: readonly string[],
    endCol: string,
    tableId: string,
    touches: readonly ValidityTouch[],
  ): Promise<void> {
    const rest = keyCols
      .slice(1)
      .map((c) => ` AND ${quoteIdent(c)} = ?`)
      .join('');
    const sql = (n: number): string =>
      `UPDATE {T:${table}} SET ${quoteIdent(endCol)} = ? WHERE table_id = ? AND ${quoteIdent(keyCols[0])} IN (${Array.from({ length: n }, () => '?').join(', ')})${rest} AND ${quoteIdent(endCol)} IS NULL`;
    const sameGroup = (a: ValidityTouch, b: ValidityTouch): boolean => {
      if (a.version !== b.version) return false;
      for (let c = 1; c < a.key.length; c++) if (a.key[c] !== b.key[c]) return false;
      return true;
    };
    try {
      for (let i = 0; i < touches.length;) {
        const t = touches[i];
        let j = i + 1;
        while (j < touches.length && j - i < CLOSE_GROUP_MAX && sameGroup(t, touches[j])) j++;
        let size = 1;
        while (size < j - i) size *= 2;
        const firsts: string[] = [];
        for (let k = i; k < i + size; k++) firsts.push(touches[Math.min(k, j - 1)].key[0]);
        this.stmt(sql(size)).run(t.version, tableId, ...firsts, ...t.key.slice(1));
        i = j;
      }
    } catch (e) {
      wrap(e, this.file);
    }
  }
  async lockTable(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's single write lock.
  }
  async optimize(): Promise<void> {
    await this.exec('PRAGMA optimize');
  }
  async close(): Promise<void> {
    this.db.close();
  }
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly mutex = new Mutex();
  private readonly conn: SqliteConn;

  constructor(path: string) {
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      for (const p of SQLITE_PRAGMAS) if (path !== ':memory:' || !p.startsWith('journal_mode')) db.pragma(p);
    } catch (e) {
      throw new DeltaSqlError(
        'CatalogUnavailable',
        `cannot open SQLite catalog ${path}: ${(e as Error).message}`,
        {
          file: path,
          cause: e,
        },
      );
    }
    this.conn = new SqliteConn(db, path);
  }

  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.mutex.run(() => this.conn.query(sql, params));
  }
  queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]> {
    return this.mutex.run(() => this.conn.queryArrays(sql, params));
  }
  exec(sql: string): Promise<void> {
    return this.mutex.run(() => this.conn.exec(sql));
  }
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.conn.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.conn);
        this.conn.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.conn.db.inTransaction) this.conn.db.exec('ROLLBACK');
        throw e;
      }
    });
  }
  bulkInsert(table: string, columns: readonly string[], rows: readonly SqlValue[][]): Promise<void> {
    return this.transaction((tx) => tx.bulkInsert(table, columns, rows));
  }
  closeValidity(
    table: string,
    keyCols: readonly string[],
    endCol: string,
    tableId: string,
    touches: readonly ValidityTouch[],
  ): Promise<void> {
    return this.transaction((tx) => tx.closeValidity(table, keyCols, endCol, tableId, touches));
  }
  async lockTable(): Promise<void> {}
  optimize(): Promise<void> {
    return this.mutex.run(() => this.conn.optimize());
  }
  close(): Promise<void> {
    return this.mutex.run(() => this.conn.close());
  }
}
