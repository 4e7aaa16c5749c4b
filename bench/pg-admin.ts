/**
 * Database housekeeping for the benchmark, outside every timed section: a database of its own
 * (deltasql_bench), one schema per scenario, truncation between runs, and the raw `psql \copy`
 * baseline (export exactly the rows an import wrote, truncate, time loading them back).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { quoteIdent } from '../catalog/sql';
import { timed } from './measure';

const run = promisify(execFile);
/** Catalog bookkeeping that an import does not write rows into. */
const NOT_COPIED = new Set(['dl_schema_migrations']);

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Create `database` (from a connection to the admin URL) unless it exists; returns the server version. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<string> {
  return withClient(adminUrl, async (c) => {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE ${quoteIdent(database)}`);
    const v = await c.query<{ server_version: string }>('SHOW server_version');
    return v.rows[0].server_version;
  });
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, (c) => c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`));
}

export async function catalogTables(url: string, schema: string): Promise<string[]> {
  return withClient(url, async (c) => {
    const r = await c.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [schema],
    );
    return r.rows.map((x) => x.table_name).filter((t) => !NOT_COPIED.has(t));
  });
}

/** Empty every catalog table of the schema (keeps tables, indexes and the migration record). */
export async function truncateSchema(url: string, schema: string): Promise<void> {
  const tables = await catalogTables(url, schema);
  if (tables.length === 0) return;
  const list = tables.map((t) => `${quoteIdent(schema)}.${quoteIdent(t)}`).join(', ');
  await withClient(url, (c) => c.query(`TRUNCATE ${list}`));
}

export async function analyzeSchema(url: string, schema: string): Promise<void> {
  const tables = await catalogTables(url, schema);
  await withClient(url, async (c) => {
    for (const t of tables) await c.query(`ANALYZE ${quoteIdent(schema)}.${quoteIdent(t)}`);
  });
}

export async function rowCounts(url: string, schema: string): Promise<Record<string, number>> {
  const tables = await catalogTables(url, schema);
  return withClient(url, async (c) => {
    const out: Record<string, number> = {};
    for (const t of tables) {
      const r = await c.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${quoteIdent(schema)}.${quoteIdent(t)}`,
      );
      out[t] = Number(r.rows[0].n);
    }
    return out;
  });
}

/** psql's `\copy` wants the file name as a quoted literal. */
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function psqlScript(url: string, lines: string[], file: string): Promise<void> {
  fs.writeFileSync(file, lines.join('\n') + '\n');
  // Connection settings go in PG* env vars so the password never shows up in `ps`.
  const u = new URL(url);
  await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], {
    env: {
      ...process.env,
      PGHOST: u.hostname,
      PGPORT: u.port || '5432',
      PGUSER: decodeURIComponent(u.username),
      PGPASSWORD: decodeURIComponent(u.password),
      PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
}

export interface CopyExport {
  dir: string;
  tables: string[];
  bytes: number;
}

/** Dump every row the import wrote, one text-format file per table. */
export async function exportRows(url: string, schema: string, dir: string): Promise<CopyExport> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const tables = await catalogTables(url, schema);
  const lines = tables.map(
    (t) =>
      `\\copy (SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(t)}) TO ${literal(path.join(dir, `${t}.tsv`))}`,
  );
  await psqlScript(url, lines, path.join(dir, 'export.sql'));
  const bytes = tables.reduce((s, t) => s + fs.statSync(path.join(dir, `${t}.tsv`)).size, 0);
  return { dir, tables, bytes };
}

/** TRUNCATE (untimed), then time one psql session that `\copy`s every file back, indexes in place. */
export async function timeCopyLoad(url: string, schema: string, exp: CopyExport): Promise<number> {
  await truncateSchema(url, schema);
  const lines = exp.tables.map(
    (t) => `\\copy ${quoteIdent(schema)}.${quoteIdent(t)} FROM ${literal(path.join(exp.dir, `${t}.tsv`))}`,
  );
  const script = path.join(exp.dir, 'load.sql');
  const { seconds } = await timed(() => psqlScript(url, lines, script));
  return seconds;
}
