/**
 * PostgreSQL dialect (`pg`). Everything lives in one configurable schema, always quoted. Bulk
 * rows go through COPY FROM STDIN (pg-copy-streams, text format) inside the caller's
 * transaction; validity ranges close with one UPDATE ... FROM unnest() per batch.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool, type PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DeltaSqlError, isDeltaSqlError } from '../common/errors';
import { appendIfStatement } from './pg-append-if';
import { appendNextCall, createAppendNextSql, REBASE_NEEDS_CHECKS } from './pg-append-next';
import { BINARY_COPY_OPTIONS, binaryCopyChunks } from './pg-copy-binary';
import {
  expandTables,
  quoteIdent,
  type ConditionalAppend,
  type NextVersionAppend,
  type Row,
  type SqlDriver,
  type SqlValue,
  type ValidityTouch,
} from './sql';
import type { PgConnection } from './url';

const POOL_MAX = 4;
const CONNECT_TIMEOUT_MS = 10_000;
/** Up to this many values a bulk insert is a multi-row INSERT (well below the 65535 parameters). */
const SMALL_INSERT_VALUES = 1000;
/** ~1 MB chunks queued ahead of a streamed COPY; the socket's drain paces the producer. */
const COPY_STREAM_QUEUED_CHUNKS = 2;
/** Identities per UPDATE ... FROM unnest() statement. */
const UNNEST_CHUNK = 10_000;
const UNIQUE_VIOLATION = '23505';
/** `insufficient_privilege`: here, a role without TEMP on the database cannot use `pg_temp`. */
const INSUFFICIENT_PRIVILEGE = '42501';
/** Pooled connections that hold the session-local appendNext function. */
const withAppendNext = new WeakSet<PoolClient>();
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
  '3D000',
  '28P01',
  '28000',
]);

/** `?` placeholders -> `$n`. Our SQL never has `?` inside string literals. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** `pg` reports a connection lost under a client with these messages and no error code. */
const CONNECTION_LOST = /Connection terminated|connection error and is not queryable/;

export function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return UNAVAILABLE_CODES.has(code) || code.startsWith('08');
  return e instanceof Error && CONNECTION_LOST.test(e.message);
}

function wrap(e: unknown, where: string): never {
  if (isDeltaSqlError(e)) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  const type = isUnavailable(e) ? 'CatalogUnavailable' : 'CatalogError';
  throw new DeltaSqlError(type, `PostgreSQL catalog ${where}: ${msg}`, { file: where, cause: e });
}

type Runner = Pool | PoolClient;

abstract class PgBase implements SqlDriver {
  readonly dialect = 'postgres' as const;
  protected readonly prefix: string;
  constructor(
    protected readonly schema: string,
    protected readonly where: string,
  ) {
    this.prefix = `${quoteIdent(schema)}.`;
  }
  protected abstract runner(): Runner;
  abstract transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;

  protected sql(text: string): string {
    return expandTables(text, this.prefix);
  }
  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      const r = await this.runner().query(numbered(this.sql(sql)), params as SqlValue[]);
      return r.rows as Row[];
    } catch (e) {
      wrap(e, this.where);
    }
  }
  /** Positional rows (`rowMode: 'array'`): no per-row object for large reads such as file lists. */
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    try {
      const r = await this.runner().query<unknown[]>({
        text: numbered(this.sql(sql)),
        values: params as SqlValue[],
        rowMode: 'array',
      });
      return r.rows;
    } catch (e) {
      wrap(e, this.where);
    }
  }
  async exec(sql: string): Promise<void> {
    try {
      await this.runner().query(this.sql(sql));
    } catch (e) {
      wrap(e, this.where);
    }
  }
  bulkInsert(table: string, columns: readonly string[], rows: readonly SqlValue[][]): Promise<void> {
    return this.transaction((tx) => tx.bulkInsert(table, columns, rows));
  }
  bulkInsertStream(
    table: string,
    columns: readonly string[],
    batches: AsyncIterable<readonly SqlValue[][]>,
  ): Promise<void> {
    return this.transaction((tx) => (tx as PgBase).bulkInsertStream(table, columns, batches));
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
    await this.exec(`VACUUM (ANALYZE) ${tables.map((t) => `{T:${t}}`).join(', ')}`);
  }
}

/** Statements on one checked-out client, inside BEGIN/COMMIT. */
class PgTx extends PgBase {
  constructor(
    private readonly client: PoolClient,
    schema: string,
    where: string,
  ) {
    super(schema, where);
  }
  protected runner(): Runner {
    return this.client;
  }
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return fn(this);
  }
  override async bulkInsert(
    table: string,
    columns: readonly string[],
    rows: readonly SqlValue[][],
  ): Promise<void> {
    if (rows.length * columns.length <= SMALL_INSERT_VALUES) {
      // A few rows (an SQL commit's): one INSERT is one round trip where COPY takes two.
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      await this.query(
        `INSERT INTO {T:${table}} (${columns.map(quoteIdent).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`,
        rows.flat(),
      );
      return;
    }
    const sql = this.sql(
      `COPY {T:${table}} (${columns.map(quoteIdent).join(', ')}) FROM STDIN ${BINARY_COPY_OPTIONS}`,
    );
    try {
      await pipeline(
        Readable.from(binaryCopyChunks([rows], table, columns)),
        this.client.query(copyFrom(sql)),
      );
    } catch (e) {
      wrap(e, this.where);
    }
  }
  /** One COPY fed by `batches` through stream backpressure (see SqlDriver.bulkInsertStream). */
  override async bulkInsertStream(
    table: string,
    columns: readonly string[],
    batches: AsyncIterable<readonly SqlValue[][]>,
  ): Promise<void> {
    const sql = this.sql(
      `COPY {T:${table}} (${columns.map(quoteIdent).join(', ')}) FROM STDIN ${BINARY_COPY_OPTIONS}`,
    );
    let sourceFailed = false;
    let sourceError: unknown;
    async function* source(): AsyncGenerator<readonly SqlValue[][]> {
      try {
        yield* batches;
      } catch (e) {
        sourceFailed = true;
        sourceError = e;
        throw e;
      }
    }
    try {
      await pipeline(
        Readable.from(binaryCopyChunks(source(), table, columns), {
          highWaterMark: COPY_STREAM_QUEUED_CHUNKS,
        }),
        this.client.query(copyFrom(sql)),
      );
    } catch (e) {
      // The COPY was aborted (CopyFail); the caller's transaction rolls back.
      if (sourceFailed) throw sourceError;
      wrap(e, this.where);
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
    const arrays = keyCols.map(() => `?::text[]`).join(', ');
    const names = keyCols.map((_, i) => `k${i}`).join(', ');
    const cond = keyCols.map((c, i) => `t.${quoteIdent(c)} = u.k${i}`).join(' AND ');
    const sql = `UPDATE {T:${table}} AS t SET ${end} = u.v FROM unnest(${arrays}, ?::bigint[]) AS u(${names}, v)
      WHERE t.table_id = ? AND ${cond} AND t.${end} IS NULL`;
    for (let i = 0; i < touches.length; i += UNNEST_CHUNK) {
      const part = touches.slice(i, i + UNNEST_CHUNK);
      const params = keyCols.map((_, k) => part.map((t) => t.key[k]));
      await this.query(sql, [
        ...(params as unknown as SqlValue[]),
        part.map((t) => t.version) as unknown as SqlValue,
        tableId,
      ]);
    }
  }
  async close(): Promise<void> {}
}

export class PostgresDriver extends PgBase {
  private readonly pool: Pool;
  /** Set once the role proved unable to create the `pg_temp` function (no TEMP privilege). */
  private appendNextDenied = false;
  constructor(conn: PgConnection, schema: string, where: string) {
    super(schema, where);
    this.pool = new Pool({
      host: conn.host,
      port: conn.port,
      user: conn.user,
      password: conn.password,
      database: conn.database,
      ssl:
        conn.sslmode && conn.sslmode !== 'disable' && conn.sslmode !== 'prefer' && conn.sslmode !== 'allow'
          ? { rejectUnauthorized: conn.sslmode === 'verify-full' || conn.sslmode === 'verify-ca' }
          : undefined,
      max: POOL_MAX,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // Idle-client errors (server restart) must not crash the process; the next query reports them.
    this.pool.on('error', () => undefined);
  }
  protected runner(): Runner {
    return this.pool;
  }
  /** One statement on the pool, i.e. its own transaction (catalog/pg-append-if.ts); a duplicate key means a concurrent writer won. */
  async appendIf(step: ConditionalAppend): Promise<boolean> {
    try {
      const r = await this.pool.query<{ n: number }>(appendIfStatement(step, this.prefix));
      return r.rows[0]?.n === 1;
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) return false;
      wrap(e, this.where);
    }
  }
  /**
   * One function call (catalog/pg-append-next.ts), the function created on first use per connection.
   * Null sends the caller down the checked path (commit.ts), as when a rebase needs the checks.
   * A role without TEMP on the database cannot create it (42501 on the CREATE): the pool then stops
   * trying, and every blind append takes the checked, retrying path from then on.
   */
  async appendNext(step: NextVersionAppend): Promise<number | null> {
    if (this.appendNextDenied) return null;
    return this.withClient(async (client) => {
      try {
        if (!withAppendNext.has(client)) {
          try {
            await client.query(createAppendNextSql(this.prefix));
          } catch (e) {
            if ((e as { code?: unknown } | null)?.code !== INSUFFICIENT_PRIVILEGE) throw e;
            this.appendNextDenied = true;
            return null;
          }
          withAppendNext.add(client);
        }
        const r = await client.query<{ v: string | number | null }>(appendNextCall(step));
        const v = r.rows[0]?.v;
        return v === null || v === undefined ? null : Number(v);
      } catch (e) {
        const code = (e as { code?: unknown } | null)?.code;
        if (code === REBASE_NEEDS_CHECKS || code === UNIQUE_VIOLATION) return null;
        throw e;
      }
    });
  }
  /** Create the schema if needed; also proves the connection works. */
  async ensureSchema(): Promise<void> {
    await this.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
  }
  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      try {
        await client.query('BEGIN');
        const out = await fn(new PgTx(client, this.schema, this.where));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }
  /**
   * Run `fn` on a client checked out of the pool. A checked-out client has no pool listener: a
   * server restart between two statements would emit an unhandled 'error' and kill the process.
   * Keep the error; the next query reports it, and a broken client (that error, or a lost
   * connection thrown by a query) is destroyed on release instead of going back to the pool.
   * Errors leave typed: a DeltaSqlError as it is, anything else through `wrap`.
   */
  private async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      wrap(e, this.where);
    }
    let broken: Error | undefined;
    const onError = (e: Error): void => {
      broken = e;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (e) {
      if (isDeltaSqlError(e)) throw e;
      if (isUnavailable(e)) broken ??= e as Error;
      wrap(e, this.where);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }
  async close(): Promise<void> {
    await this.pool.end();
  }
}
