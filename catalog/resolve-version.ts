/**
 * Which version a time-travel read means: the requested version (checked against what the catalog
 * holds), the newest version at or before a timestamp, or the latest. Shared by every reader
 * (snapshot, file list) so they fail with the same typed errors for the same request.
 */
import { DeltaSqlError } from '../common/errors';
import { timestampAfterLatest } from '../delta/history';
import type { SqlDriver } from './sql';
import type { CatalogTable, FileListQuery } from './store';
import { requireTable } from './tables';

/**
 * Newest version at or before `timestamp`, as the log reader (delta/history.ts) and Spark resolve
 * it: commit timestamps are monotonized first (m_i = max(ts_i, m_{i-1} + 1), i.e. the running
 * max of ts_j - j plus i, over the contiguous versions), and a timestamp after the latest commit
 * is TimestampAfterLatestCommit rather than "the latest".
 */
async function versionAtTimestamp(db: SqlDriver, t: CatalogTable, timestamp: number): Promise<number> {
  const rows = await db.query(
    `SELECT MAX(CASE WHEN m <= ? THEN version END) AS v, MAX(m) AS latest_m, MAX(version) AS latest FROM (
       SELECT version, MAX(commit_timestamp - version) OVER (ORDER BY version ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) + version AS m
       FROM {T:dl_table_versions} WHERE table_id = ?) w`,
    [timestamp, t.tableId],
  );
  const r = rows[0] ?? {};
  if (r.latest_m !== null && r.latest_m !== undefined && timestamp > Number(r.latest_m)) {
    throw timestampAfterLatest(`table ${t.name}`, timestamp, Number(r.latest), Number(r.latest_m));
  }
  const v = r.v;
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
