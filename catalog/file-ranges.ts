/**
 * The add files valid at a version, read in path ranges, for a validation whose table state is
 * too large to hold whole (issue 14: a 610 MiB commit of 150k wide adds is ~600 MB per side).
 * Ranges are cut at quantiles of the paths valid at V and compared in binary order (UTF-8 bytes,
 * i.e. code points) on every engine, so a path falls in the same range in SQL as in the log
 * replay that uses the same bounds (`compareCodePoints` in parity/partitioned-diff.ts). Each
 * range is one statement of the valid-at scans (file-list.ts) with the bound repeated in every
 * scan; its rows are what memory holds.
 */
import { DeltaSqlError } from '../common/errors';
import type { FileJson } from '../delta/snapshot-json';
import { addFilesValidAt, queryArrays } from './file-list';
import { FILE_COLUMNS, fileFromRow } from './snapshot-reader';
import type { SqlDialect, SqlDriver, SqlValue } from './sql';

/** `path` as an expression that orders and compares by bytes on each engine. */
export function binaryPath(dialect: SqlDialect): string {
  switch (dialect) {
    case 'postgres':
      return 'path COLLATE "C"';
    case 'mysql':
      return 'CAST(path AS BINARY)';
    default:
      // SQLite's default BINARY collation and DuckDB's default are byte order already.
      return 'path';
  }
}

/** Byte length of a text column, without detoasting on PostgreSQL. */
function byteLength(dialect: SqlDialect, col: string): string {
  switch (dialect) {
    case 'postgres':
    case 'sqlite':
      return `octet_length(${col})`;
    case 'duckdb':
      return `strlen(${col})`;
    default:
      return `LENGTH(${col})`;
  }
}

export interface FileVolume {
  files: number;
  /** Bytes of the paths, stats and partition values of those files. */
  pathBytes: number;
  statsBytes: number;
  partitionValueBytes: number;
}

/** How many files are valid at V and how much text they carry (one aggregate row per scan, summed). */
export async function fileVolumeAt(db: SqlDriver, tableId: string, v: number): Promise<FileVolume> {
  const len = (c: string): string => `COALESCE(SUM(${byteLength(db.dialect, c)}), 0)`;
  const { sql, params } = addFilesValidAt(
    `COUNT(*) AS n, ${len('path')} AS p, ${len('stats')} AS s, ${len('partition_values')} AS pv`,
    tableId,
    v,
    db.dialect,
  );
  const out: FileVolume = { files: 0, pathBytes: 0, statsBytes: 0, partitionValueBytes: 0 };
  for (const r of await db.query(sql, params)) {
    out.files += Number(r.n);
    out.pathBytes += Number(r.p);
    out.statsBytes += Number(r.s);
    out.partitionValueBytes += Number(r.pv);
  }
  return out;
}

/**
 * Range bounds: the paths valid at V in byte order that start a range of `every` paths, the first
 * range's excepted (ascending, distinct). Ranges are then (-inf, b0), [b0, b1), …, [bn, +inf),
 * ceil(files / every) of them. The database sorts the paths (it spills to disk when
 * it must); only the bounds travel.
 */
export async function pathBounds(
  db: SqlDriver,
  tableId: string,
  v: number,
  every: number,
): Promise<string[]> {
  if (!Number.isInteger(every) || every < 1)
    throw new RangeError(`every must be a positive integer: ${every}`);
  const { sql, params } = addFilesValidAt('path', tableId, v, db.dialect);
  const ord = binaryPath(db.dialect);
  const rows = await queryArrays(
    db,
    `SELECT path FROM (SELECT path, ROW_NUMBER() OVER (ORDER BY ${ord}) AS rn FROM (${sql}) v) w ` +
      `WHERE rn > 1 AND (rn - 1) % ? = 0 ORDER BY rn`,
    ['path'],
    [...params, every],
  );
  const out: string[] = [];
  for (const r of rows) {
    if (typeof r[0] !== 'string')
      throw new DeltaSqlError('CatalogError', `malformed dl_add_files path ${String(r[0])}`);
    if (out.length === 0 || out[out.length - 1] !== r[0]) out.push(r[0]);
  }
  return out;
}

/** The files valid at V whose path p satisfies lo <= p < hi in byte order (a null bound is open). */
export async function filesInPathRange(
  db: SqlDriver,
  tableId: string,
  v: number,
  lo: string | null,
  hi: string | null,
  where: string,
): Promise<FileJson[]> {
  const ord = binaryPath(db.dialect);
  let cond = '';
  const condParams: SqlValue[] = [];
  if (lo !== null) {
    cond += ` AND ${ord} >= ?`;
    condParams.push(lo);
  }
  if (hi !== null) {
    cond += ` AND ${ord} < ?`;
    condParams.push(hi);
  }
  const { sql, params } = addFilesValidAt(FILE_COLUMNS, tableId, v, db.dialect, {
    sql: cond,
    params: condParams,
  });
  const rows = await queryArrays(db, sql, FILE_COLUMNS.split(', '), params);
  const out: FileJson[] = new Array<FileJson>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = fileFromRow(rows[i], where);
  return out;
}
