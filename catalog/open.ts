/**
 * Open a catalog by URL (or DELTASQL_CATALOGS name): pick the engine, connect, and bring the schema
 * up to date. Failing to connect is `CatalogUnavailable` (retried for a bounded time); a catalog
 * that cannot work as configured (missing folder, bad password, unknown database) is
 * `CatalogMisconfigured` (never retried). Both name the redacted URL only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveCatalogRef } from '../common/credentials';
import { DeltaSqlError, isDeltaSqlError } from '../common/errors';
import { DuckdbDriver } from './duckdb-store';
import { MysqlDriver } from './mysql-store';
import { PostgresDriver } from './postgres-store';
import { SqlCatalogStore } from './sql-catalog';
import type { SqlDriver } from './sql';
import { SqliteDriver } from './sqlite-store';
import { parseCatalogUrl, type CatalogUrl } from './url';

/** Connect without migrating (tests use it to stage old schemas). */
export async function openDriver(url: string | CatalogUrl): Promise<SqlDriver> {
  const u = typeof url === 'string' ? parseCatalogUrl(resolveCatalogRef(url)) : url;
  if (u.engine === 'sqlite') {
    if (u.path !== ':memory:') {
      const dir = path.dirname(path.resolve(u.path));
      if (!fs.existsSync(dir)) {
        throw new DeltaSqlError(
          'CatalogMisconfigured',
          `cannot open catalog ${u.redacted}: directory ${dir} does not exist`,
        );
      }
    }
    return new SqliteDriver(u.path);
  }
  if (u.engine === 'duckdb') {
    const dir = path.dirname(path.resolve(u.path));
    if (u.path !== ':memory:' && !fs.existsSync(dir)) {
      throw new DeltaSqlError(
        'CatalogMisconfigured',
        `cannot open catalog ${u.redacted}: directory ${dir} does not exist`,
      );
    }
    return DuckdbDriver.open(u.path);
  }
  if (u.engine === 'mysql') return MysqlDriver.open(u.connection, u.redacted);
  const d = new PostgresDriver(u.connection, u.schema, u.redacted);
  try {
    await d.ensureSchema();
  } catch (e) {
    await d.close().catch(() => undefined);
    const msg = e instanceof Error ? e.message.replace(`PostgreSQL catalog ${u.redacted}: `, '') : String(e);
    const cause = isDeltaSqlError(e) ? e.cause : e;
    const misconfigured = pgMisconfiguration(cause);
    throw new DeltaSqlError(
      misconfigured ? 'CatalogMisconfigured' : 'CatalogUnavailable',
      `cannot connect to catalog ${u.redacted}: ${misconfigured ?? msg}`,
      { file: u.redacted, cause },
    );
  }
  return d;
}

/** PostgreSQL errors no retry can fix, with what to do about them; null for anything else. */
function pgMisconfiguration(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = e instanceof Error ? e.message : '';
  if (code === '28P01' || code === '28000') return `authentication failed (${msg})`;
  if (code === '3D000') return msg;
  // node-postgres when the server asks for a password and none was found anywhere.
  if (/client password must be a string|password authentication.*no password/i.test(msg))
    return 'the server wants a password and none was found: set PGPASSWORD or a password file (~/.pgpass, PGPASSFILE) where the worker runs, or use a named catalog from DELTASQL_CATALOGS';
  return null;
}

export async function openCatalog(url: string): Promise<SqlCatalogStore> {
  const driver = await openDriver(url);
  const store = new SqlCatalogStore(driver);
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return store;
}
