/**
 * The add files valid at a version, as a stream of bounded pages: what a query response lists,
 * read page by page so that a 1M-file answer never sits in memory.
 *
 * How: one grouped count over the covering index (migration 4's validity classes, index-only)
 * gives how many files valid at V each commit version added; consecutive versions are grouped
 * into pages of at most `pageRows` files, and a version adding more than that is split by seq
 * (its primary-key order). Each page is then one statement: the class scans of "valid at V"
 * restricted to the page's version range. Whether a row is valid at V never changes once V is
 * committed (a later version can close it only after V), and a row's version never changes, so
 * the plan stays exact while other versions are committed: every page sees exactly its files,
 * though a row may have moved to another validity class between two pages.
 */
import { addFilesValidAt, queryArrays } from '../catalog/file-list';
import type { SqlDriver } from '../catalog/sql';
import type { SqlCondition } from './predicates';
import { rowOf, type FileRow } from './table-data';

/** Rows per page: large enough to amortise a statement, small enough to keep a response cheap. */
export const DEFAULT_PAGE_ROWS = 5_000;

const COLS = ['path', 'size', 'version', 'partition_values', 'stats'];

/** Versions lo..hi, or (when seq bounds are set) the seq range [seqLo, seqHi) of version lo = hi. */
interface Range {
  lo: number;
  hi: number;
  seqLo?: number;
  seqHi?: number;
}

export interface FilePageOptions {
  /** Partition-pruning condition on the add rows (sharing/predicates.ts), or null. */
  where?: SqlCondition | null;
  pageRows?: number;
  /** Also select the action body (`raw`): the delta format needs it, the parquet format does not. */
  withBody?: boolean;
}

/** `SELECT <select>` of the rows valid at V (the statement `files()` runs) that also satisfy `extra`. */
const validAt = (db: SqlDriver, select: string, tableId: string, v: number, extra: SqlCondition) =>
  addFilesValidAt(select, tableId, v, db.dialect, extra);

/** Group versions (with their counts of files valid at V) into page ranges of at most `limit` files. */
async function planPages(
  db: SqlDriver,
  tableId: string,
  v: number,
  cond: SqlCondition,
  limit: number,
): Promise<Range[]> {
  const inner = validAt(db, 'version', tableId, v, cond);
  const counts = await queryArrays(
    db,
    `SELECT version, COUNT(*) AS n FROM (${inner.sql}) f GROUP BY version ORDER BY version`,
    ['version', 'n'],
    inner.params,
  );
  const big = counts.filter((r) => Number(r[1]) > limit).map((r) => Number(r[0]));
  const seqMax = new Map<number, number>();
  if (big.length > 0) {
    const rows = await db.query(
      `SELECT version, action_count FROM {T:dl_table_versions} WHERE table_id = ? AND version IN (${big.map(() => '?').join(', ')})`,
      [tableId, ...big],
    );
    for (const r of rows) seqMax.set(Number(r.version), Number(r.action_count));
  }
  const ranges: Range[] = [];
  let cur: Range | null = null;
  let n = 0;
  for (const [ver, cnt] of counts.map((r) => [Number(r[0]), Number(r[1])])) {
    if (cnt > limit) {
      if (cur) ranges.push(cur);
      cur = null;
      // seq numbers the commit's actions: `limit` consecutive seqs hold at most `limit` adds.
      const end = Math.max(seqMax.get(ver) ?? 0, cnt);
      for (let s = 0; s < end; s += limit) ranges.push({ lo: ver, hi: ver, seqLo: s, seqHi: s + limit });
      ranges.push({ lo: ver, hi: ver, seqLo: end, seqHi: Number.MAX_SAFE_INTEGER });
      continue;
    }
    if (cur && n + cnt > limit) {
      ranges.push(cur);
      cur = null;
    }
    if (!cur) {
      cur = { lo: ver, hi: ver };
      n = 0;
    }
    cur.hi = ver;
    n += cnt;
  }
  if (cur) ranges.push(cur);
  return ranges;
}

/** Pages of the add files valid at `version`, at most `pageRows` rows each; never an empty page. */
export async function* filePagesAt(
  db: SqlDriver,
  tableId: string,
  version: number,
  o: FilePageOptions = {},
): AsyncGenerator<FileRow[]> {
  const label = `catalog table ${tableId} at version ${version}`;
  const names = o.withBody === false ? COLS : [...COLS, 'raw'];
  for await (const rows of rowPagesAt(db, tableId, version, { sql: names.join(', '), names }, o)) {
    yield rows.map((x) => rowOf('add', x, label));
  }
}

/** `filePagesAt` as positional rows of any select list over dl_add_files (named `names`). */
export async function* rowPagesAt(
  db: SqlDriver,
  tableId: string,
  version: number,
  select: { sql: string; names: readonly string[] },
  o: FilePageOptions = {},
): AsyncGenerator<unknown[][]> {
  const limit = o.pageRows ?? DEFAULT_PAGE_ROWS;
  const cond: SqlCondition = o.where
    ? { sql: ` AND ${o.where.sql}`, params: o.where.params }
    : { sql: '', params: [] };
  const page = (r: Range): Promise<unknown[][]> => {
    // A seq range of one commit is one primary-key range scan (table_id, version, seq); the class
    // scans would each re-read the whole commit for every page of it.
    const q =
      r.seqLo === undefined
        ? validAt(db, select.sql, tableId, version, {
            sql: ` AND version >= ? AND version <= ?${cond.sql}`,
            params: [r.lo, r.hi, ...cond.params],
          })
        : {
            sql: `SELECT ${select.sql} FROM {T:dl_add_files} WHERE table_id = ? AND version = ? AND seq >= ? AND seq < ? AND (removed_version IS NULL OR removed_version > ?)${cond.sql}`,
            params: [tableId, r.lo, r.seqLo, r.seqHi ?? 0, version, ...cond.params],
          };
    return queryArrays(db, q.sql, select.names, q.params);
  };
  const plan = await planPages(db, tableId, version, cond, limit);
  // One page ahead: the database reads page i+1 while the caller turns page i into lines (two
  // pages in memory at most). A prefetch the caller never asks for must not become unhandled.
  let next = plan.length > 0 ? page(plan[0]) : null;
  for (let i = 0; next !== null; i++) {
    const rows = await next;
    next = i + 1 < plan.length ? page(plan[i + 1]) : null;
    next?.catch(() => undefined);
    if (rows.length > 0) yield rows;
  }
}
