/**
 * The change rows of versions [start, end] from the catalog's cdc/add/remove rows, as a stream of
 * bounded pages (the changes endpoint, and queries from a starting version): a 1M-action history
 * never sits in memory.
 *
 * How: the version rows give each commit's action count, an upper bound of its change rows.
 * Consecutive versions are grouped into pages of at most `pageRows` actions; a commit with more
 * is split into seq ranges (seq numbers a commit's actions, in every action table). Each page is
 * three primary-key range scans (cdc, add, remove) in (version, seq) order. Committed versions
 * never change, so the pages stay exact while other versions are committed.
 */
import { queryArrays } from '../catalog/file-list';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { SqlValue } from '../catalog/sql';
import { DEFAULT_PAGE_ROWS } from './file-stream';
import { rowOf, unwrap, type FileRow } from './table-data';

/**
 * `cdf`: the protocol's change rule (a version's cdc files when it has any, else its
 * data-changing adds and removes); `all`: every add, remove and cdc action (the delta response
 * format, whose client applies the rules itself); `actions`: the adds and removes that change
 * data (a query from a starting version).
 */
export type ChangeMode = 'cdf' | 'all' | 'actions';

export interface ChangeStream {
  /** Commit timestamp of each version in the range. */
  timestamps: Map<number, number>;
  /** Versions in the range whose commit changed the table metadata (raw metaData bodies). */
  metadata: Map<number, Record<string, unknown>>;
  /** Pages of rows in version order (per version: cdc, then adds, then removes, each by seq). */
  pages: AsyncGenerator<FileRow[]>;
}

interface Page {
  lo: number;
  hi: number;
  seqLo: number;
  seqHi: number;
}

const toNum = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const SEQ_ALL = Number.MAX_SAFE_INTEGER;

/** Group versions (with their action counts) into pages of at most `limit` actions. */
function planPages(counts: readonly [number, number][], limit: number): Page[] {
  const out: Page[] = [];
  let cur: Page | null = null;
  let n = 0;
  for (const [v, c] of counts) {
    if (c > limit) {
      if (cur) out.push(cur);
      cur = null;
      for (let s = 0; s < c; s += limit)
        out.push({ lo: v, hi: v, seqLo: s, seqHi: s + limit >= c ? SEQ_ALL : s + limit });
      continue;
    }
    if (cur && n + c > limit) {
      out.push(cur);
      cur = null;
    }
    if (!cur) {
      cur = { lo: v, hi: v, seqLo: 0, seqHi: SEQ_ALL };
      n = 0;
    }
    cur.hi = v;
    n += c;
  }
  if (cur) out.push(cur);
  return out;
}

export async function changeStream(
  store: SqlCatalogStore,
  tableId: string,
  start: number,
  end: number,
  mode: ChangeMode,
  pageRows = DEFAULT_PAGE_ROWS,
): Promise<ChangeStream> {
  const db = store.driver;
  const range = 'table_id = ? AND version >= ? AND version <= ?';
  const p: SqlValue[] = [tableId, start, end];
  const [versions, metas] = await Promise.all([
    queryArrays(
      db,
      `SELECT version, commit_timestamp, action_count FROM {T:dl_table_versions} WHERE ${range} ORDER BY version`,
      ['version', 'commit_timestamp', 'action_count'],
      p,
    ),
    db.query(`SELECT version, raw FROM {T:dl_metadata_updates} WHERE ${range}`, p),
  ]);
  const label = `catalog table ${tableId}, versions ${start}..${end}`;
  const timestamps = new Map(versions.map((r) => [toNum(r[0]), toNum(r[1])]));
  const metadata = new Map(metas.map((r) => [toNum(r.version), unwrap(r.raw, 'metaData', label)]));
  const plan = planPages(
    versions.map((r) => [toNum(r[0]), Math.max(1, toNum(r[2]))]),
    pageRows,
  );
  const dataChange =
    mode === 'all' ? '' : mode === 'cdf' ? ' AND data_change' : ' AND (data_change IS NULL OR data_change)';

  async function* pages(): AsyncGenerator<FileRow[]> {
    for (const pg of plan) {
      const where = `${range} AND seq >= ? AND seq < ?`;
      const params: SqlValue[] = [tableId, pg.lo, pg.hi, pg.seqLo, pg.seqHi];
      const select = (cols: string, table: string, extra = ''): Promise<unknown[][]> =>
        queryArrays(
          db,
          `SELECT ${cols} FROM {T:${table}} WHERE ${where}${extra} ORDER BY version, seq`,
          ['path', 'size', 'version', 'partition_values', 'stats', 'raw'],
          params,
        );
      const [cdc, adds, removes, withCdc] = await Promise.all([
        mode === 'actions'
          ? Promise.resolve([])
          : select('path, size, version, partition_values, NULL AS stats, raw', 'dl_cdc_files'),
        select('path, size, version, partition_values, stats, raw', 'dl_add_files', dataChange),
        select(
          'path, size, version, NULL AS partition_values, NULL AS stats, raw',
          'dl_remove_files',
          dataChange,
        ),
        // The cdf rule is per version: a split commit asks for its cdc rows beyond this seq range.
        mode === 'cdf'
          ? queryArrays(
              db,
              `SELECT DISTINCT version FROM {T:dl_cdc_files} WHERE ${range}`,
              ['version'],
              [tableId, pg.lo, pg.hi],
            )
          : Promise.resolve([]),
      ]);
      const skip = new Set(withCdc.map((r) => toNum(r[0])));
      const byVersion = new Map<number, FileRow[]>();
      const add = (kind: FileRow['kind'], rows: unknown[][]): void => {
        for (const r of rows) {
          const f = rowOf(kind, r, label);
          if (kind !== 'cdc' && skip.has(f.version)) continue;
          let list = byVersion.get(f.version);
          if (!list) byVersion.set(f.version, (list = []));
          list.push(f);
        }
      };
      add('cdc', cdc);
      add('add', adds);
      add('remove', removes);
      const out = [...byVersion.keys()].sort((a, b) => a - b).flatMap((v) => byVersion.get(v)!);
      if (out.length > 0) yield out;
    }
  }
  return { timestamps, metadata, pages: pages() };
}
