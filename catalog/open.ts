/**
 * Open a catalog by URL: pick the engine, connect, and bring the schema up to date. Failing to
 * connect is `CatalogUnavailable`, reported with the redacted URL only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
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
  const u = typeof url === 'string' ? parseCatalogUrl(url) : url;
  if (u.engine === 'sqlite') {
    if (u.path !== ':memory:') {
      const dir = path.dirname(path.resolve(u.path));
      if (!fs.existsSync(dir)) {
        throw new DeltaSqlError(
          'CatalogUnavailable',
          `cannot open catalog ${u.redacted}: directory ${dir} does not exist`,
        );
      }
    }
    return new SqliteDriver(u.path);
  }
  if (u.engine === 'duckdb') {
    const dir = path.dirname(path.resolve(u.path));
    if (u.path !== ':memory:' && !fs.existsSync(dir)) {
      throw new DeltaSqlError('CatalogUnavailable', `cannot open catalog ${u.redacted}: directory ${dir} does not exist`);
    }
    return DuckdbDriver.open(u.path);
  }
  if (u.engine === 'mysql') return MysqlDriver.open(u.connection, u.redacted);
  const d = new PostgresDriver(u.connection, u.schema, u.redacted);
  try {
    await d.ensureSchema();
  } catch (e) {
    await d.close().catch(() => undefined);
    const msg = e instanceof Error ? e.message.replace(/^PostgreSQL catalog [^:]*: /, '') : String(e);
    throw new DeltaSqlError('CatalogUnavailable', `cannot connect to catalog ${u.redacted}: ${msg}`, {
      file: u.redacted,
      cause: isDeltaSqlError(e) ? e.cause : e,
    });
  }
  return d;
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
