/**
 * Checks `catalog migrate` runs before anything is written, so that an unreachable engine or a
 * missing permission is a clear, typed error at once, and not an activity that Temporal keeps
 * retrying. One implementation, run twice: by the CLI before it starts the workflow (the answer
 * before a workflow exists), and by the workflow as its first activity
 * (`preflightCatalogMigration`, patched `migrate-preflight-activity`), so a migration started
 * without the CLI (Temporal client, Web UI, a schedule) is refused the same way. Nothing stays
 * written:
 * - the source must answer and hold a deltasql catalog the user can read (a missing SQLite or
 *   DuckDB file is refused, not created);
 * - the target must answer and accept new tables and rows. SQLite and DuckDB: the folder (and an
 *   existing file) must be writable. PostgreSQL: one transaction creates the schema, a probe
 *   table and a row, and locks the existing catalog tables for writing, then rolls back.
 *   MySQL (DDL commits at once): the database is opened (created if missing, as the migration
 *   would), a probe table is created, written and dropped.
 * "A target that holds other data" is refused later by the plan, also before anything is copied.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveCatalogRef } from '../../common/credentials';
import { DeltaSqlError, isDeltaSqlError } from '../../common/errors';
import { openDriver } from '../open';
import { blueGreenUrls } from './blue-green';
import { PostgresDriver } from '../postgres-store';
import { quoteIdent, type SqlDriver } from '../sql';
import { parseCatalogUrl, type CatalogUrl } from '../url';
import { readSchema } from './schema';

const PROBE = 'dl_migrate_probe';

const denied = (u: CatalogUrl, role: string, e: unknown): DeltaSqlError => {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new DeltaSqlError(
    'CatalogMisconfigured',
    `missing permissions on the ${role} catalog ${u.redacted}: ${msg}`,
    { file: u.redacted, cause: e },
  );
};

/** Connection failures keep their type (CatalogUnavailable / CatalogMisconfigured), named by role. */
async function connect(u: CatalogUrl, role: string): Promise<SqlDriver> {
  try {
    return await openDriver(u);
  } catch (e) {
    if (isDeltaSqlError(e))
      throw new DeltaSqlError(e.type, `${role} catalog: ${e.message}`, { file: u.redacted, cause: e });
    throw e;
  }
}

async function checkSource(u: CatalogUrl): Promise<void> {
  if ((u.engine === 'sqlite' || u.engine === 'duckdb') && u.path !== ':memory:' && !fs.existsSync(u.path))
    throw new DeltaSqlError('InvalidArgument', `no source catalog at ${u.redacted}: the file does not exist`);
  const db = await connect(u, 'source');
  try {
    if (!(await readSchema(db, u)).tables.has('dl_tables'))
      throw new DeltaSqlError('InvalidArgument', `source ${u.redacted} holds no deltasql catalog`);
    await db.query(`SELECT COUNT(*) AS n FROM {T:dl_tables}`).catch((e: unknown) => {
      throw denied(u, 'source', e);
    });
  } finally {
    await db.close();
  }
}

function checkEmbeddedTarget(u: CatalogUrl & { engine: 'sqlite' | 'duckdb' }): void {
  if (u.path === ':memory:') return;
  const dir = path.dirname(path.resolve(u.path));
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    if (fs.existsSync(u.path)) fs.accessSync(u.path, fs.constants.R_OK | fs.constants.W_OK);
  } catch (e) {
    throw denied(u, 'target', e);
  }
}

/** Rolls the PostgreSQL probe back (a DeltaSqlError, so the driver passes it through unwrapped). */
class Rollback extends DeltaSqlError {
  constructor() {
    super('CatalogError', 'probe rolled back');
  }
}

async function checkPostgresTarget(u: CatalogUrl & { engine: 'postgres' }): Promise<void> {
  // Not openDriver: it would create the schema outside the rolled-back transaction.
  const db = new PostgresDriver(u.connection, u.schema, u.redacted);
  try {
    await db
      .transaction(async (tx) => {
        await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(u.schema)}`);
        await tx.exec(`CREATE TABLE {T:${PROBE}} (x BIGINT)`);
        await tx.query(`INSERT INTO {T:${PROBE}} (x) VALUES (?)`, [1]);
        // pg_tables, not information_schema: that one hides the tables the user has no right on.
        const tables = await tx.query(
          `SELECT tablename AS t FROM pg_tables WHERE schemaname = ? AND tablename LIKE 'dl\\_%' AND tablename <> ?`,
          [u.schema, PROBE],
        );
        for (const r of tables) await tx.exec(`LOCK TABLE {T:${String(r.t)}} IN ROW EXCLUSIVE MODE`);
        throw new Rollback();
      })
      .catch((e: unknown) => {
        if (e instanceof Rollback) return;
        if (isDeltaSqlError(e) && e.type === 'CatalogUnavailable')
          throw new DeltaSqlError(e.type, `target catalog: ${e.message}`, { file: u.redacted, cause: e });
        throw denied(u, 'target', e);
      });
  } finally {
    await db.close();
  }
}

async function checkMysqlTarget(u: CatalogUrl & { engine: 'mysql' }): Promise<void> {
  const db = await connect(u, 'target');
  try {
    await db.exec(`DROP TABLE IF EXISTS {T:${PROBE}}`);
    await db.exec(`CREATE TABLE {T:${PROBE}} (x BIGINT)`);
    try {
      await db.query(`INSERT INTO {T:${PROBE}} (x) VALUES (?)`, [1]);
    } finally {
      await db.exec(`DROP TABLE IF EXISTS {T:${PROBE}}`);
    }
  } catch (e) {
    throw isDeltaSqlError(e) && e.type === 'CatalogUnavailable' ? e : denied(u, 'target', e);
  } finally {
    await db.close();
  }
}

/**
 * Refuse before any write when either engine is unreachable or a permission is missing. The
 * target checked is the one the migration writes: for blue-green, the staging area of `to`.
 */
export async function preflightMigration(
  from: string,
  to: string,
  strategy: 'direct' | 'blue-green' = 'direct',
): Promise<void> {
  await checkSource(parseCatalogUrl(resolveCatalogRef(from)));
  const target = strategy === 'blue-green' ? blueGreenUrls(to).staging : to;
  const u = parseCatalogUrl(resolveCatalogRef(target));
  switch (u.engine) {
    case 'sqlite':
    case 'duckdb':
      return checkEmbeddedTarget(u);
    case 'postgres':
      return checkPostgresTarget(u);
    case 'mysql':
      return checkMysqlTarget(u);
  }
}
