/**
 * Versioned migrations, applied in order and recorded in `dl_schema_migrations`. The DDL is
 * written once with `{BOOL}`/`{T:...}` placeholders so both dialects get the same logical schema.
 */
import type { SqlDriver } from '../sql';
import * as m001 from './001_initial';
import * as m002 from './002_time_travel_indexes';

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [m001, m002];
export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1].version;

const BOOL_TYPE = { sqlite: 'INTEGER', postgres: 'BOOLEAN' } as const;

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
      for (const s of m.statements) await tx.exec(s.replace(/\{BOOL\}/g, bool));
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
