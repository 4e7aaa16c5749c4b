/**
 * The conformance suite's engines: a fresh, empty catalog per engine and test file (SQLite and
 * DuckDB files in a temp dir, a PostgreSQL schema, a MySQL database), torn down afterwards, and
 * the two import modes (full history, checkpoint-only) as histories to write.
 */
import { createConnection, type Connection } from 'mysql2/promise';
import { openCatalog } from '../../catalog/open';
import { quoteIdent } from '../../catalog/sql';
import type { CatalogStore } from '../../catalog/store';
import { DeltaTable } from '../../delta/table';
import { MYSQL_URL } from '../support/env';
import { collect, dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema, type History } from './helpers';

export const ENGINES = ['sqlite', 'postgres', 'duckdb', 'mysql'] as const;
export type Engine = (typeof ENGINES)[number];

export interface TestCatalog {
  engine: Engine;
  url: string;
  store: CatalogStore;
  drop: () => Promise<void>;
}

/** A MySQL URL naming another database of the test server. */
export function mysqlUrl(database: string): string {
  const u = new URL(MYSQL_URL);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.href;
}

/** A plain mysql2 connection as the test server's admin user (no database selected), closed after `fn`. */
export async function withMysqlAdmin<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
  const u = new URL(MYSQL_URL);
  const c = await createConnection({
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function dropMysqlDatabase(database: string): Promise<void> {
  await withMysqlAdmin(async (c) => {
    await c.query(`SET SESSION sql_mode = 'ANSI_QUOTES'`);
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
  });
}

/** The URL of a fresh catalog of `engine` (nothing created yet) and how to remove it. */
export function catalogUrl(engine: Engine, tag: string): { url: string; drop: () => Promise<void> } {
  const name = uniqueSchema(tag).slice(0, 60);
  switch (engine) {
    case 'sqlite':
      return { url: `sqlite:///${tempDir()}/catalog.db`, drop: async () => undefined };
    case 'duckdb':
      return { url: `duckdb:///${tempDir()}/catalog.duckdb`, drop: async () => undefined };
    case 'postgres':
      return { url: pgUrl(name), drop: () => dropPgSchema(name) };
    case 'mysql':
      return { url: mysqlUrl(name), drop: () => dropMysqlDatabase(name) };
  }
}

export async function freshCatalog(engine: Engine, tag: string): Promise<TestCatalog> {
  const { url, drop } = catalogUrl(engine, tag);
  const store = await openCatalog(url);
  return {
    engine,
    url,
    store,
    drop: async () => {
      await store.close();
      await drop();
    },
  };
}

export type ImportMode = 'full-history' | 'checkpoint-only';

/**
 * What an import in `mode` writes: full history is everything the log can still replay (a
 * checkpoint baseline first when early commits are gone); checkpoint-only starts at the newest
 * checkpoint, as `import --mode checkpoint-only` does, or replays from 0 when there is none.
 */
export async function historyFor(root: string, mode: ImportMode): Promise<History> {
  if (mode === 'full-history') return loadHistory(root);
  const table = await DeltaTable.open(root);
  const latest = await table.latestVersion();
  const cps = await table.checkpoints(latest);
  const cp = cps[cps.length - 1];
  if (!cp) return loadHistory(root);
  const snap = await table.snapshot({ version: cp.version }, { includeFiles: false });
  const commits = cp.version < latest ? await collect(table.commits(cp.version + 1, latest)) : [];
  return {
    table,
    latest,
    first: cp.version,
    commits,
    baseline: {
      version: cp.version,
      timestamp: snap.timestamp,
      file: cp.files[0].path,
      actions: () => table.checkpointActions(cp),
    },
  };
}
