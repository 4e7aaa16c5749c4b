/**
 * Migration status per catalog table (seed 000 `migration-status`): where each table comes from,
 * how far the import got, how far the source has moved on, and what the recent runs did. The
 * source may be unreachable (moved bucket, expired credentials): that is shown per table, it
 * never hides the other tables.
 */
import { DeltaSqlError, errorPayload } from '../common/errors';
import type { CatalogStore, CatalogTable, ImportRun } from '../catalog/store';
import { DeltaTable } from '../delta/table';

/** Runs listed per table. */
export const DEFAULT_RUN_HISTORY = 10;

export interface TableStatus {
  tableId: string;
  name: string;
  location: string;
  lastImportedVersion: number | null;
  firstVersion: number | null;
  lastCommitTimestamp: number | null;
  sourceLatestVersion: number | null;
  sourceLatestTimestamp: number | null;
  sourceError: { type: string; message: string } | null;
  /** Source latest minus last imported; null when either is unknown. */
  versionDelta: number | null;
  /** Seconds between the newest source commit and the newest imported one; 0 when caught up. */
  lagSeconds: number | null;
  /** 'mirror' (the log is the truth) or 'sql-primary' (the catalog is; a publisher writes the log). */
  mode: 'mirror' | 'sql-primary';
  /** sql-primary: newest version in the log with the catalog's bytes, and how many versions lag behind. */
  publishedVersion: number | null;
  publishLagVersions: number | null;
  /** Why publishing stopped (e.g. ForeignCommit naming the file). */
  publishError: string | null;
  lastRun: ImportRun | null;
  runs: ImportRun[];
}

async function sourceState(location: string): Promise<{ version: number; timestamp: number }> {
  const table = await DeltaTable.open(location);
  const version = await table.latestVersion();
  for await (const c of table.commits(version, version)) return { version, timestamp: c.timestamp };
  return { version, timestamp: (await table.snapshot({ version }, { includeFiles: false })).timestamp };
}

export async function tableStatus(
  store: CatalogStore,
  t: CatalogTable,
  runLimit: number,
): Promise<TableStatus> {
  const runs = await store.listRuns(t.tableId, runLimit);
  const mode = await store.tableMode(t.tableId);
  const s: TableStatus = {
    tableId: t.tableId,
    name: t.name,
    location: t.location,
    lastImportedVersion: t.lastVersion,
    firstVersion: t.firstVersion,
    lastCommitTimestamp: t.lastCommitTimestamp,
    sourceLatestVersion: null,
    sourceLatestTimestamp: null,
    sourceError: null,
    versionDelta: null,
    lagSeconds: null,
    mode: mode.mode,
    publishedVersion: mode.publishedVersion,
    publishLagVersions:
      mode.mode === 'sql-primary' && t.lastVersion !== null
        ? t.lastVersion - (mode.publishedVersion ?? -1)
        : null,
    publishError: mode.publishError,
    lastRun: runs[0] ?? null,
    runs,
  };
  try {
    const src = await sourceState(t.location);
    s.sourceLatestVersion = src.version;
    s.sourceLatestTimestamp = src.timestamp;
    if (t.lastVersion !== null) {
      s.versionDelta = src.version - t.lastVersion;
      s.lagSeconds =
        s.versionDelta > 0 && t.lastCommitTimestamp !== null
          ? Math.max(0, (src.timestamp - t.lastCommitTimestamp) / 1000)
          : s.versionDelta > 0
            ? null
            : 0;
    }
  } catch (e) {
    s.sourceError = errorPayload(e);
  }
  return s;
}

/** Status of one table (by id or name) or of every table in the catalog. */
export async function catalogStatus(
  store: CatalogStore,
  opts: { table?: string; runLimit?: number } = {},
): Promise<TableStatus[]> {
  const limit = opts.runLimit ?? DEFAULT_RUN_HISTORY;
  let tables: CatalogTable[];
  if (opts.table !== undefined) {
    const t = await store.findTable(opts.table);
    if (t === null)
      throw new DeltaSqlError('CatalogTableNotFound', `no table "${opts.table}" in the catalog`, {
        file: opts.table,
      });
    tables = [t];
  } else tables = await store.listTables();
  const out: TableStatus[] = [];
  for (const t of tables) out.push(await tableStatus(store, t, limit));
  return out;
}
