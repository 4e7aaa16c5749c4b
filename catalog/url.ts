/**
 * Catalog URL parsing. One place decides what a catalog address means so every command and
 * worker agrees, and so passwords are redacted before anything is printed or logged.
 *
 * Accepted forms:
 * - `postgresql://user:pass@host:port/db[?schema=name]` (also `postgres://`); schema defaults to `public`.
 * - `sqlite:///<path>` (SQLAlchemy convention): everything after `sqlite:///` is the path, so
 *   `sqlite:///./deltasql.db` and `sqlite:///deltasql.db` are relative to the cwd and
 *   `sqlite:////abs/path.db` is absolute. `sqlite:///:memory:` is an in-memory catalog.
 *   `sqlite://x.db` (two slashes) is rejected: it is ambiguous (host vs path).
 * - `duckdb:///<path>`: an embedded DuckDB file, same path convention as SQLite.
 * - `mysql://user:pass@host:port/db` (also `mariadb://`): MySQL 8 / MariaDB 10.11+; the database
 *   is the namespace (created when missing); port defaults to 3306.
 * - `deltasql://postgres/<db>[/<schema>[/<table>]][?host=&port=&user=&password=&sslmode=]`: the
 *   seed form; connection defaults come from PGHOST/PGPORT/PGUSER/PGPASSWORD.
 */
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';

export const DEFAULT_PG_SCHEMA = 'public';
const DEFAULT_PG_PORT = 5432;
const REDACTED = '***';

const PgConnectionSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1),
  password: z.string().optional(),
  database: z.string().min(1),
  sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
});
export type PgConnection = z.infer<typeof PgConnectionSchema>;

/** MySQL / MariaDB: the database is the catalog's namespace (MySQL's schema). */
export type MysqlConnection = Omit<PgConnection, 'sslmode'>;
const DEFAULT_MYSQL_PORT = 3306;

export type CatalogUrl =
  | { engine: 'sqlite'; path: string; redacted: string; table?: string }
  | { engine: 'duckdb'; path: string; redacted: string; table?: string }
  | { engine: 'postgres'; connection: PgConnection; schema: string; redacted: string; table?: string }
  | { engine: 'mysql'; connection: MysqlConnection; redacted: string; table?: string };

const invalid = (url: string, why: string): DeltaSqlError =>
  new DeltaSqlError('InvalidUri', `invalid catalog URL ${redactUrl(url)}: ${why}`);

/** Replace the password in any URL-like string (user:pass@ and ?password=) with ***. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*):[^@/?#]*@/i, `$1:${REDACTED}@`)
    .replace(/([?&]password=)[^&#]*/gi, `$1${REDACTED}`);
}

/** The password a catalog URL carries (user:pass@ or ?password=), if any. Generic over schemes. */
export function urlPassword(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.password) return decodeURIComponent(u.password);
  return u.searchParams.get('password');
}

/**
 * The catalog URL with its password removed, as it may enter Temporal payloads and logs. Workers
 * find the password themselves (common/credentials.ts). A URL without a password is returned
 * untouched (WHATWG URL would normalise `sqlite:///./x.db` paths otherwise).
 */
export function stripPassword(url: string): string {
  if (urlPassword(url) === null) return url;
  const u = new URL(url);
  u.password = '';
  u.searchParams.delete('password');
  return u.href;
}

/** `--catalog prod`: a bare name (no scheme) refers to an entry of the worker's DELTASQL_CATALOGS. */
export function isCatalogName(ref: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(ref) && !ref.includes(':');
}

export function parseCatalogUrl(url: string): CatalogUrl {
  if (typeof url !== 'string' || url.length === 0) throw invalid(String(url), 'empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return parseSqlite(url);
  if (scheme === 'duckdb') return parseDuckdb(url);
  if (scheme === 'mysql' || scheme === 'mariadb') return parseMysql(url);
  if (scheme === 'postgres' || scheme === 'postgresql') return parsePostgres(url);
  if (scheme === 'deltasql') return parseDeltasql(url);
  throw invalid(
    url,
    'expected postgresql://, postgres://, sqlite:///, duckdb:///, mysql:// or deltasql://postgres/',
  );
}

function parseSqlite(url: string): CatalogUrl {
  const prefix = 'sqlite:///';
  if (!url.toLowerCase().startsWith(prefix))
    throw invalid(url, 'SQLite URLs look like sqlite:///relative.db or sqlite:////abs/path.db');
  const rest = url.slice(prefix.length);
  const path = decodeURIComponent(rest.split('?')[0] ?? '');
  if (path.length === 0) throw invalid(url, 'missing database file path');
  return { engine: 'sqlite', path, redacted: redactUrl(url) };
}

/** `duckdb:///<path>`: the same path convention as sqlite:/// (relative after three slashes). */
function parseDuckdb(url: string): CatalogUrl {
  const prefix = 'duckdb:///';
  if (!url.toLowerCase().startsWith(prefix))
    throw invalid(url, 'DuckDB URLs look like duckdb:///relative.duckdb or duckdb:////abs/path.duckdb');
  const path = decodeURIComponent(url.slice(prefix.length).split('?')[0] ?? '');
  if (path.length === 0) throw invalid(url, 'missing database file path');
  return { engine: 'duckdb', path, redacted: redactUrl(url) };
}

/** `mysql://user[:pass]@host[:3306]/db` (also `mariadb://`); MYSQL_PWD supplies a missing password. */
function parseMysql(url: string): CatalogUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(url, 'not a URL');
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database.length === 0 || database.length > 64 || /[/\\.\u0000]/.test(database))
    throw invalid(url, 'database name must be 1..64 characters without "/", "\\", "." or NUL');
  const pg = pgConnection(url, {
    host: decodeURIComponent(u.hostname) || '127.0.0.1',
    port: u.port || String(DEFAULT_MYSQL_PORT),
    user: decodeURIComponent(u.username) || process.env.USER,
    password: u.password ? decodeURIComponent(u.password) : process.env.MYSQL_PWD,
    database,
  });
  return { engine: 'mysql', connection: pg, redacted: redactUrl(url) };
}

function parsePostgres(url: string): CatalogUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(url, 'not a URL');
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database.includes('/')) throw invalid(url, 'database name must not contain "/"');
  const schema = u.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  return {
    engine: 'postgres',
    connection: pgConnection(url, {
      host: decodeURIComponent(u.hostname) || process.env.PGHOST,
      port: u.port || process.env.PGPORT,
      user: decodeURIComponent(u.username) || process.env.PGUSER,
      password: u.password ? decodeURIComponent(u.password) : process.env.PGPASSWORD,
      database: database || process.env.PGDATABASE,
      sslmode: u.searchParams.get('sslmode') ?? undefined,
    }),
    schema: checkSchema(url, schema),
    redacted: redactUrl(url),
  };
}

function parseDeltasql(url: string): CatalogUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(url, 'not a URL');
  }
  if (u.hostname !== 'postgres')
    throw invalid(url, 'only deltasql://postgres/<db>/<schema>/<table> is supported');
  const parts = u.pathname
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  if (parts.length < 1 || parts.length > 3)
    throw invalid(url, 'expected deltasql://postgres/<db>[/<schema>[/<table>]]');
  const q = u.searchParams;
  const [database, schema = DEFAULT_PG_SCHEMA, table] = parts;
  return {
    engine: 'postgres',
    connection: pgConnection(url, {
      host: q.get('host') ?? process.env.PGHOST ?? '127.0.0.1',
      port: q.get('port') ?? process.env.PGPORT,
      user: q.get('user') ?? process.env.PGUSER ?? 'postgres',
      password: q.get('password') ?? process.env.PGPASSWORD,
      database,
      sslmode: q.get('sslmode') ?? undefined,
    }),
    schema: checkSchema(url, schema),
    redacted: redactUrl(url),
    ...(table === undefined ? {} : { table }),
  };
}

function pgConnection(
  url: string,
  raw: {
    host?: string;
    port?: string;
    user?: string;
    password?: string;
    database?: string;
    sslmode?: string;
  },
): PgConnection {
  const port = raw.port ? Number(raw.port) : DEFAULT_PG_PORT;
  const parsed = PgConnectionSchema.safeParse({
    host: raw.host,
    port,
    user: raw.user,
    database: raw.database,
    ...(raw.password === undefined ? {} : { password: raw.password }),
    ...(raw.sslmode === undefined ? {} : { sslmode: raw.sslmode }),
  });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw invalid(url, `bad or missing connection field(s): ${fields}`);
  }
  return parsed.data;
}

function checkSchema(url: string, schema: string): string {
  if (schema.length === 0 || schema.length > 63 || schema.includes('\u0000')) {
    throw invalid(url, 'schema name must be 1..63 characters without NUL');
  }
  return schema;
}
