/**
 * Which version a time-travel read means: the requested version (checked against what the catalog
 * holds), the newest version at or before a timestamp, or the latest. Shared by every reader
 * (snapshot, file list) so they fail with the same typed errors for the same request.
 */
import { DeltaSqlError } from '../common/errors';
import type { SqlDriver } from './sql';
import type { CatalogTable, FileListQuery } from './store';
import { requireTable } from './tables';

async function versionAtTimestamp(db: SqlDriver, t: CatalogTable, timestamp: number): Promise<number> {
  const rows = await db.query(
    `SELECT MAX(version) AS v FROM {T:dl_table_versions} WHERE table_id = ? AND commit_timestamp <= ?`,
    [t.tableId, timestamp],
  );
  const v = rows[0]?.v;
  if (v === null || v === undefined) {
    throw new DeltaSqlError(
      'VersionNotFound',
      `table ${t.name} has no version at or before timestamp ${new Date(timestamp).toISOString()} in the catalog`,
    );
  }
  return Number(v);
}

/** The table (by id or name) and the version `q` designates; typed errors when there is none. */
export async function resolveTableVersion(
  db: SqlDriver,
  idOrName: string,
  q: FileListQuery,
): Promise<{ table: CatalogTable; version: number }> {
  const t = await requireTable(db, idOrName);
  const first = t.firstVersion;
  const last = t.lastVersion;
  if (last === null || first === null) {
    throw new DeltaSqlError('VersionNotFound', `table ${t.name} has no imported versions yet`);
  }
  if (q.version !== undefined) {
    if (q.version < first || q.version > last) {
      throw new DeltaSqlError(
        'VersionNotFound',
        `version ${q.version} of table ${t.name} is not in the catalog (it holds ${first}..${last})`,
      );
    }
    return { table: t, version: q.version };
  }
  if (q.timestamp !== undefined) return { table: t, version: await versionAtTimestamp(db, t, q.timestamp) };
  return { table: t, version: last };
}
