/**
 * Versioned migrations, applied in order and recorded in `dl_schema_migrations`. The DDL is
 * written once with `{BOOL}`/`{T:...}` placeholders so both dialects get the same logical schema;
 * physical tuning that exists in one engine only (PostgreSQL storage options) is a
 * `DialectStatement`, skipped elsewhere and skipped when the server lacks the feature.
 */
import type { SqlDialect, SqlDriver } from '../sql';
import * as m001 from './001_initial';
import * as m002 from './002_time_travel_indexes';
import * as m003 from './003_postgres_storage';
import * as m004 from './004_file_list_indexes';
import * as m005 from './005_raw_commits_cascade';

/** A statement for one engine; `requires` is a query that must return a row for it to run. */
export interface DialectStatement {
  only: SqlDialect;
  sql: string;
  requires?: string;
}
export type MigrationStatement = string | DialectStatement;

export interface Migration {
  version: number;
  name: string;
  statements: readonly MigrationStatement[];
}

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005];
export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1].version;

const BOOL_TYPE = { sqlite: 'INTEGER', postgres: 'BOOLEAN' } as const;

/** The SQL text of a statement for `dialect`, or null when it does not apply there. */
async function statementFor(tx: SqlDriver, s: MigrationStatement): Promise<string | null> {
  if (typeof s === 'string') return s;
  if (s.only !== tx.dialect) return null;
  if (s.requires !== undefined && (await tx.query(s.requires)).length === 0) return null;
  return s.sql;
}

/** Apply every migration with version <= upTo that is not yet recorded. Idempotent. */
export async function runMigrations(driver: SqlDriver, upTo: number = LATEST_MIGRATION): Promise<number[]> {
  const bool = BOOL_TYPE[driver.dialect];
  return driver.transaction(async (tx) => {
    if (tx.dialect === 'postgres') {
      // Serialise concurrent migrators of the same catalog.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('deltasql_migrations'))`);
    }
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS {T:dl_schema_migrations} (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
    );
    const rows = await tx.query(`SELECT version FROM {T:dl_schema_migrations}`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version > upTo || done.has(m.version)) continue;
      for (const s of m.statements) {
        const sql = await statementFor(tx, s);
        if (sql !== null) await tx.exec(sql.replace(/\{BOOL\}/g, bool));
      }
      await tx.query(`INSERT INTO {T:dl_schema_migrations} (version, name, applied_at) VALUES (?, ?, ?)`, [
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}
