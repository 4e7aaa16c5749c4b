/**
 * MySQL 8 / MariaDB 10.11+ dialect (`mysql2`). The catalog lives in one database (MySQL's schema),
 * always named explicitly. Sessions run with ANSI_QUOTES so the shared SQL's double-quoted
 * identifiers work; tables use a binary, NO PAD utf8mb4 collation so text compares exactly like
 * the other engines (MySQL's defaults are case-insensitive and ignore trailing spaces). DDL
 * auto-commits in MySQL, so migrations are re-runnable instead of atomic: an index that already
 * exists is skipped. Bulk rows are multi-row INSERTs of about MULTI_ROW_BYTES each (measured
 * faster than LOAD DATA LOCAL INFILE here, see the report in catalog/migrate/README); validity
 * ranges close with one UPDATE ... JOIN over a UNION ALL of the touches per chunk.
 */
import { createPool, type FieldPacket, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2';
import type { Pool as PromisePool, PoolConnection as PromiseConn } from 'mysql2/promise';
import { DeltaSqlError, isDeltaSqlError } from '../common/errors';
import { expandTables, quoteIdent, type Row, type SqlDriver, type SqlValue, type ValidityTouch } from './sql';
import type { MysqlConnection } from './url';

const POOL_MAX = 4;
const CONNECT_TIMEOUT_MS = 10_000;
/** Target SQL text per multi-row INSERT (well under the server's max_allowed_packet). */
const MULTI_ROW_BYTES = 2_000_000;
/** Identities per UPDATE ... JOIN statement. */
const JOIN_CHUNK = 1000;
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
]);
/** Access denied (user, database, table) and unknown database: no retry fixes them. */
const MISCONFIGURED = new Set([1044, 1045, 1049, 1142, 1227]);
/** "Already exists" errors of re-run DDL: duplicate index name, trigger already exists. */
const ALREADY_EXISTS = new Set([1061, 1359]);

type Runner = PromisePool | PromiseConn;

export function mysqlErrorType(e: unknown): 'CatalogUnavailable' | 'CatalogMisconfigured' | 'CatalogError' {
  const err = e as { code?: unknown; errno?: unknown } | null;
  if (typeof err?.code === 'string' && UNAVAILABLE.has(err.code)) return 'CatalogUnavailable';
  if (typeof err?.errno === 'number' && MISCONFIGURED.has(err.errno)) return 'CatalogMisconfigured';
  return 'CatalogError';
}

function wrap(e: unknown, where: string): never {
  if (isDeltaSqlError(e)) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  throw new DeltaSqlError(mysqlErrorType(e), `MySQL catalog ${where}: ${msg}`, { file: where, cause: e });
}

const bind = (v: SqlValue): SqlValue => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** SQL text length of a row, for sizing multi-row INSERTs. */
const rowBytes = (r: readonly SqlValue[]): number =>
  r.reduce<number>((n, v) => n + (typeof v === 'string' ? v.length + 4 : 12), 4);

abstract class MysqlBase implements SqlDriver {
  readonly dialect = 'mysql' as const;
  protected readonly prefix: string;
  constructor(
    protected readonly database: string,
    protected readonly collation: string,
    protected readonly where: string,
  ) {
    this.prefix = `${quoteIdent(database)}.`;
  }
  protected abstract runner(): Runner;
  abstract transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;

  protected sql(text: string): string {
    return expandTables(text, this.prefix);
  }
  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      const [rows] = await this.runner().query(this.sql(sql), params.map(bind));
      return Array.isArray(rows) ? (rows as Row[]) : [];
    } catch (e) {
      wrap(e, this.where);
    }
  }
  /** Positional rows: no per-row object for large reads such as file lists. */
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    try {
      const [rows] = await this.runner().query({ sql: this.sql(sql), rowsAsArray: true }, params.map(bind));
      return rows as unknown as unknown[][];
    } catch (e) {
      wrap(e, this.where);
    }
  }
  /**
   * DDL: tables get the exact-text collation; `CREATE INDEX IF NOT EXISTS` (MariaDB only) becomes
   * a plain CREATE INDEX, and an index or trigger that already exists (a re-run after a crash,
   * since MySQL DDL is not transactional) is skipped.
   */
  async exec(sql: string): Promise<void> {
    let text = this.sql(sql).trim();
    const createIndex = /^CREATE\s+(UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\s+/i;
    const rerunnable = /^CREATE\s+((UNIQUE\s+)?INDEX|TRIGGER)\s/i.test(text);
    text = text.replace(createIndex, (_m, u: string | undefined) => `CREATE ${u ?? ''}INDEX `);
    if (/^CREATE\s+TABLE\s/i.test(text)) text += ` DEFAULT CHARSET=utf8mb4 COLLATE=${this.collation}`;
    try {
      await this.runner().query(text);
    } catch (e) {
      const errno = (e as { errno?: unknown }).errno;
      if (rerunnable && typeof errno === 'number' && ALREADY_EXISTS.has(errno)) return;
      wrap(e, this.where);
    }
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
  async lockTable(tableId: string): Promise<void> {
    await this.query(`SELECT 1 FROM {T:dl_tables} WHERE table_id = ? FOR UPDATE`, [tableId]);
  }
  async optimize(tables: readonly string[]): Promise<void> {
    await this.query(`ANALYZE TABLE ${tables.map((t) => `{T:${t}}`).join(', ')}`);
  }
}

/** Statements on one checked-out connection, inside BEGIN/COMMIT. */
class MysqlTx extends MysqlBase {
  constructor(
    private readonly conn: PromiseConn,
    database: string,
    collation: string,
    where: string,
  ) {
    super(database, collation, where);
  }
  protected runner(): Runner {
    return this.conn;
  }
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return fn(this);
  }
  override async bulkInsert(
    table: string,
    columns: readonly string[],
    rows: readonly SqlValue[][],
  ): Promise<void> {
    const head = `INSERT INTO {T:${table}} (${columns.map(quoteIdent).join(', ')}) VALUES ?`;
    let start = 0;
    while (start < rows.length) {
      let end = start;
      let bytes = 0;
      while (end < rows.length && (end === start || bytes < MULTI_ROW_BYTES)) bytes += rowBytes(rows[end++]);
      await this.query(head, [rows.slice(start, end).map((r) => r.map(bind))] as unknown as SqlValue[]);
      start = end;
    }
  }
  override async closeValidity(
    table: string,
    keyCols: readonly string[],
    endCol: string,
    tableId: string,
    touches: readonly ValidityTouch[],
  ): Promise<void> {
    const end = quoteIdent(endCol);
    const first = `SELECT ${[...keyCols.map((_, i) => `? AS k${i}`), '? AS v'].join(', ')}`;
    const next = `SELECT ${[...keyCols.map(() => '?'), '?'].join(', ')}`;
    const cond = keyCols.map((c, i) => `t.${quoteIdent(c)} = u.k${i}`).join(' AND ');
    for (let i = 0; i < touches.length; i += JOIN_CHUNK) {
      const part = touches.slice(i, i + JOIN_CHUNK);
      const union = [first, ...part.slice(1).map(() => next)].join(' UNION ALL ');
      await this.query(
        `UPDATE {T:${table}} AS t JOIN (${union}) AS u ON t.table_id = ? AND ${cond} SET t.${end} = u.v WHERE t.${end} IS NULL`,
        [...part.flatMap((t) => [...t.key, t.version]), tableId],
      );
    }
  }
  async close(): Promise<void> {}
}

/** Exact (binary, NO PAD) utf8mb4 collation of the server. */
function exactCollation(version: string): string {
  if (/mariadb/i.test(version)) return 'utf8mb4_nopad_bin';
  const [maj, min, patch] = version.split(/[.-]/).map(Number);
  return maj > 8 || (maj === 8 && (min > 0 || patch >= 17)) ? 'utf8mb4_0900_bin' : 'utf8mb4_bin';
}

export class MysqlDriver extends MysqlBase {
  private constructor(
    private readonly pool: PromisePool,
    database: string,
    collation: string,
    where: string,
  ) {
    super(database, collation, where);
  }

  /** Connect, create the database when missing, and learn the server's exact collation. */
  static async open(conn: MysqlConnection, where: string): Promise<MysqlDriver> {
    const core: Pool = createPool({
      host: conn.host,
      port: conn.port,
      user: conn.user,
      password: conn.password,
      connectionLimit: POOL_MAX,
      connectTimeout: CONNECT_TIMEOUT_MS,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      dateStrings: true,
    });
    core.on('connection', (c: PoolConnection) => {
      c.query(`SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'ANSI_QUOTES')`);
    });
    // Idle-connection errors (server restart) must not crash the process; the next query reports them.
    core.on('error' as 'connection', () => undefined);
    const pool = core.promise();
    try {
      const [rows] = (await pool.query('SELECT VERSION() AS v')) as [RowDataPacket[], FieldPacket[]];
      const collation = exactCollation(String(rows[0]?.v ?? ''));
      await pool.query(
        `CREATE DATABASE IF NOT EXISTS ${quoteIdent(conn.database)} CHARACTER SET utf8mb4 COLLATE ${collation}`,
      );
      return new MysqlDriver(pool, conn.database, collation, where);
    } catch (e) {
      await pool.end().catch(() => undefined);
      const type = mysqlErrorType(e);
      const msg = e instanceof Error ? e.message : String(e);
      throw new DeltaSqlError(
        type === 'CatalogError' ? 'CatalogUnavailable' : type,
        `cannot connect to catalog ${where}: ${msg}`,
        { file: where, cause: e },
      );
    }
  }
  protected runner(): Runner {
    return this.pool;
  }
  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    let conn: PromiseConn;
    try {
      conn = await this.pool.getConnection();
    } catch (e) {
      wrap(e, this.where);
    }
    try {
      await conn.query('BEGIN');
      const out = await fn(new MysqlTx(conn, this.database, this.collation, this.where));
      await conn.query('COMMIT');
      return out;
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => undefined);
      if (isDeltaSqlError(e)) throw e;
      wrap(e, this.where);
    } finally {
      conn.release();
    }
  }
  async close(): Promise<void> {
    await this.pool.end();
  }
}
