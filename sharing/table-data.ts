/**
 * What a sharing response says about a table, read from SQL only: the table state at a version
 * (the snapshot reader without files), the rows of the add files (streamed in pages by
 * file-stream.ts, through the covering index `files()` uses), and the change data feed from the
 * catalog's cdc/add/remove rows. The log is never replayed.
 */
import { DeltaSqlError } from '../common/errors';
import { queryArrays } from '../catalog/file-list';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { SqlValue } from '../catalog/sql';
import type { SnapshotJson } from '../delta/snapshot-json';

/** One add (or remove, or cdc) row as a response needs it; `raw` is the verbatim action body. */
export interface FileRow {
  kind: 'add' | 'remove' | 'cdc';
  path: string;
  size: number;
  version: number;
  partitionValues: Record<string, string | null>;
  stats: string | null;
  /** The action body as written in the log (add/remove/cdc object, not wrapped). */
  body: Record<string, unknown>;
}

const toNum = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

function unwrap(raw: unknown, key: string, where: string): Record<string, unknown> {
  let obj: unknown;
  try {
    obj = JSON.parse(String(raw));
  } catch (e) {
    throw new DeltaSqlError('CatalogError', `stored raw ${key} in ${where} is not JSON`, { cause: e });
  }
  const o = obj as Record<string, unknown>;
  const inner = o !== null && typeof o === 'object' && key in o ? o[key] : o;
  if (inner === null || typeof inner !== 'object')
    throw new DeltaSqlError('CatalogError', `stored raw ${key} in ${where} is not an object`);
  return inner as Record<string, unknown>;
}

/**
 * One row as a FileRow. The action body is parsed only when read (the delta format, deletion
 * vectors): a parquet-format answer needs only the columns, and parsing 1M bodies dominated it.
 */
export function rowOf(kind: FileRow['kind'], r: unknown[], where: string): FileRow {
  const [path, size, version, pv, stats, raw] = r;
  let body: Record<string, unknown> | undefined;
  const parsed = (): Record<string, unknown> => (body ??= unwrap(raw, kind, where));
  return {
    kind,
    path: String(path),
    size: toNum(size ?? parsed().size ?? 0),
    version: toNum(version),
    partitionValues:
      typeof pv === 'string'
        ? (JSON.parse(pv) as Record<string, string | null>)
        : ((parsed().partitionValues as Record<string, string | null> | undefined) ?? {}),
    stats: typeof stats === 'string' ? stats : null,
    get body() {
      return parsed();
    },
  };
}

const ADD_COLUMNS = ['path', 'size', 'version', 'partition_values', 'stats', 'raw'];

export const tableState = (
  store: SqlCatalogStore,
  tableId: string,
  q: { version?: number; timestamp?: number },
) => store.snapshot(tableId, { ...q, includeFiles: false }) as Promise<SnapshotJson>;

/** Records a file holds after its deletion vector, when its stats say; null when unknown. */
export function liveRecords(f: FileRow): number | null {
  if (!f.stats) return null;
  try {
    const n = (JSON.parse(f.stats) as { numRecords?: unknown }).numRecords;
    if (typeof n !== 'number') return null;
    const dv = f.body.deletionVector as { cardinality?: unknown } | undefined | null;
    return n - (typeof dv?.cardinality === 'number' ? dv.cardinality : 0);
  } catch {
    return null;
  }
}

/**
 * limitHint: keep files until their known row counts reach the limit. A file without a count is
 * kept but not counted, so the client always gets at least `limit` rows when the table has them.
 * Stops pulling pages once the limit is reached.
 */
export async function* limitPages(pages: AsyncIterable<FileRow[]>, limit: number): AsyncGenerator<FileRow[]> {
  let rows = 0;
  for await (const page of pages) {
    const out: FileRow[] = [];
    for (const f of page) {
      if (rows >= limit) break;
      out.push(f);
      rows += liveRecords(f) ?? 0;
    }
    if (out.length > 0) yield out;
    if (rows >= limit) return;
  }
}

export interface ChangeSet {
  /** Actions per version in version order: cdc files when a version has them, else adds/removes. */
  rows: FileRow[];
  timestamps: Map<number, number>;
  /** Versions in the range whose commit changed the table metadata (raw metaData bodies). */
  metadata: Map<number, Record<string, unknown>>;
}

/**
 * Change data feed rows of [start, end], as stored in the catalog. With `all`, every add, remove
 * and cdc action (the delta response format: the client's Delta reader applies the CDF rules);
 * otherwise the protocol's rule: a version's cdc files when it has any, else its data-changing
 * adds and removes.
 */
export async function changesBetween(
  store: SqlCatalogStore,
  tableId: string,
  start: number,
  end: number,
  all = false,
): Promise<ChangeSet> {
  const db = store.driver;
  const p: SqlValue[] = [tableId, start, end];
  const range = 'table_id = ? AND version >= ? AND version <= ?';
  const dataChange = all ? '' : ' AND data_change';
  const [cdc, adds, removes, versions, metas] = await Promise.all([
    queryArrays(
      db,
      `SELECT path, size, version, partition_values, NULL AS stats, raw FROM {T:dl_cdc_files} WHERE ${range}`,
      ADD_COLUMNS,
      p,
    ),
    queryArrays(
      db,
      `SELECT path, size, version, partition_values, stats, raw FROM {T:dl_add_files} WHERE ${range}${dataChange}`,
      ADD_COLUMNS,
      p,
    ),
    queryArrays(
      db,
      `SELECT path, size, version, NULL AS partition_values, NULL AS stats, raw FROM {T:dl_remove_files} WHERE ${range}${dataChange}`,
      ADD_COLUMNS,
      p,
    ),
    db.query(`SELECT version, commit_timestamp FROM {T:dl_table_versions} WHERE ${range}`, p),
    db.query(`SELECT version, raw FROM {T:dl_metadata_updates} WHERE ${range}`, p),
  ]);
  const label = `catalog table ${tableId}, versions ${start}..${end}`;
  const cdcRows = cdc.map((r) => rowOf('cdc', r, label));
  const withCdc = new Set(all ? [] : cdcRows.map((r) => r.version));
  const rows = [
    ...cdcRows,
    ...adds.map((r) => rowOf('add', r, label)).filter((r) => !withCdc.has(r.version)),
    ...removes.map((r) => rowOf('remove', r, label)).filter((r) => !withCdc.has(r.version)),
  ].sort((a, b) => a.version - b.version);
  const timestamps = new Map(versions.map((r) => [toNum(r.version), toNum(r.commit_timestamp)]));
  const metadata = new Map(metas.map((r) => [toNum(r.version), unwrap(r.raw, 'metaData', label)]));
  return { rows, timestamps, metadata };
}
