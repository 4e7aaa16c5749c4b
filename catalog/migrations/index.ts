/**
 * Versioned migrations, applied in order and recorded in `dl_schema_migrations`. The DDL is
 * written once with `{BOOL}`/`{KEY}`/`{TEXT}`/`{T:...}` placeholders so every dialect gets the same logical schema;
 * physical tuning that exists in one engine only (PostgreSQL storage options) is a
 * `DialectStatement`, skipped elsewhere and skipped when the server lacks the feature.
 */
import { DeltaSqlError } from '../../common/errors';
import type { SqlDialect, SqlDriver } from '../sql';
import * as m001 from './001_initial';
import * as m002 from './002_time_travel_indexes';
import * as m003 from './003_postgres_storage';
import * as m004 from './004_file_list_indexes';
import * as m005 from './005_raw_commits_cascade';
import * as m006 from './006_source_checkpoints';
import * as m007 from './007_table_modes';
import * as m008 from './008_catalog_migrations';
import * as m010 from './010_commit_groups_cascade';
import * as m011 from './011_import_run_notes';
import * as m012 from './012_commit_parts';

/** A statement for some engines only; `requires` is a query that must return a row for it to run. */
export interface DialectStatement {
  only: SqlDialect | readonly SqlDialect[];
  sql: string;
  requires?: string;
}
export type MigrationStatement = string | DialectStatement;

export interface Migration {
  version: number;
  name: string;
  statements: readonly MigrationStatement[];
}

export const MIGRATIONS: readonly Migration[] = [
  m001,
  m002,
  m003,
  m004,
  m005,
  m006,
  m007,
  m008,
  m010,
  m011,
  m012,
];
export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Column types per dialect. `{KEY}` is text that is part of a key or index (MySQL cannot index
 * TEXT, so it becomes a bounded VARCHAR there; `{NAME}` is the longer bound for table names),
 * `{TEXT}` is unbounded text (MySQL's TEXT stops at 64 kB, so LONGTEXT), `{BOOL}` a boolean.
 */
const TYPES: Record<SqlDialect, Record<'BOOL' | 'KEY' | 'NAME' | 'TEXT', string>> = {
  sqlite: { BOOL: 'INTEGER', KEY: 'TEXT', NAME: 'TEXT', TEXT: 'TEXT' },
  postgres: { BOOL: 'BOOLEAN', KEY: 'TEXT', NAME: 'TEXT', TEXT: 'TEXT' },
  duckdb: { BOOL: 'BOOLEAN', KEY: 'TEXT', NAME: 'TEXT', TEXT: 'TEXT' },
  mysql: { BOOL: 'BOOLEAN', KEY: 'VARCHAR(255)', NAME: 'VARCHAR(700)', TEXT: 'LONGTEXT' },
};

/** Expand the type placeholders of a statement for `dialect`. */
export function expandTypes(sql: string, dialect: SqlDialect): string {
  const t = TYPES[dialect];
  return sql.replace(/\{(BOOL|KEY|NAME|TEXT)\}/g, (_m, k: keyof typeof t) => t[k]);
}

/** The SQL text of a statement for `dialect`, or null when it does not apply there. */
async function statementFor(tx: SqlDriver, s: MigrationStatement): Promise<string | null> {
  if (typeof s === 'string') return s;
  if (typeof s.only === 'string' ? s.only !== tx.dialect : !s.only.includes(tx.dialect)) return null;
  if (s.requires !== undefined && (await tx.query(s.requires)).length === 0) return null;
  return s.sql;
}

/** Apply every migration with version <= upTo that is not yet recorded. Idempotent. */
export async function runMigrations(driver: SqlDriver, upTo: number = LATEST_MIGRATION): Promise<number[]> {
  return driver.transaction(async (tx) => {
    if (tx.dialect === 'postgres') {
      // Serialise concurrent migrators of the same catalog.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('deltasql_migrations'))`);
    }
    // MySQL DDL commits implicitly, so only a named lock (held by this session; server-wide, as
    // the advisory lock above is database-wide) serialises concurrent migrators there.
    if (tx.dialect === 'mysql') return withMysqlLock(tx, () => applyMigrations(tx, upTo));
    return applyMigrations(tx, upTo);
  });
}

/** How long a migrator waits for another one on MySQL before giving up. */
const MYSQL_LOCK_SECONDS = 120;
const MYSQL_LOCK = `'deltasql_migrations'`;

async function withMysqlLock<T>(tx: SqlDriver, fn: () => Promise<T>): Promise<T> {
  const got = await tx.query(`SELECT GET_LOCK(${MYSQL_LOCK}, ?) AS ok`, [MYSQL_LOCK_SECONDS]);
  if (Number(got[0]?.ok) !== 1)
    throw new DeltaSqlError(
      'CatalogUnavailable',
      `another process has been migrating this catalog's schema for ${MYSQL_LOCK_SECONDS} s`,
    );
  try {
    return await fn();
  } finally {
    await tx.query(`SELECT RELEASE_LOCK(${MYSQL_LOCK}) AS ok`);
  }
}

async function applyMigrations(tx: SqlDriver, upTo: number): Promise<number[]> {
  await tx.exec(
    expandTypes(
      `CREATE TABLE IF NOT EXISTS {T:dl_schema_migrations} (version BIGINT PRIMARY KEY, name {TEXT} NOT NULL, applied_at BIGINT NOT NULL)`,
      tx.dialect,
    ),
  );
  const rows = await tx.query(`SELECT version FROM {T:dl_schema_migrations}`);
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version > upTo || done.has(m.version)) continue;
    for (const s of m.statements) {
      const sql = await statementFor(tx, s);
      if (sql !== null) await tx.exec(expandTypes(sql, tx.dialect));
    }
    await tx.query(`INSERT INTO {T:dl_schema_migrations} (version, name, applied_at) VALUES (?, ?, ?)`, [
      m.version,
      m.name,
      Date.now(),
    ]);
    applied.push(m.version);
  }
  return applied;
}
