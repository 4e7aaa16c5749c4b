/**
 * Engine-independent content of one Delta table in a catalog: its rows read in batches of whole
 * versions, normalised by logical column type (BIGINT strings from pg and bigints from DuckDB
 * become numbers, MySQL's 0/1 booleans become booleans), row counts per catalog table, and one
 * content hash per version over every row of that version in every catalog table. Two catalogs
 * hold the same table exactly when their counts and per-version hashes agree.
 */
import { createHash } from 'node:crypto';
import { queryArrays } from '../file-list';
import { ROW_TABLES } from '../rows';
import { quoteIdent, type SqlDriver, type SqlValue } from '../sql';
import type { ColumnInfo, LogicalType } from './schema';

/**
 * The catalog tables keyed by (table_id, version): everything `writeVersions` writes, and the
 * parts of a huge commit kept at a checkpoint baseline (migration 12, keyed like an action table).
 */
export const VERSIONED_TABLES: readonly string[] = [...ROW_TABLES, 'dl_commit_parts'];

function normalise(v: unknown, t: LogicalType): SqlValue {
  if (v === null || v === undefined) return null;
  if (t === 'bool') return v === true || v === 1 || v === '1' || v === 't' || v === 'true';
  if (t === 'int') return typeof v === 'number' ? v : Number(v as string | bigint);
  return typeof v === 'string' ? v : String(v);
}

/** Columns of `table` present on both sides, in the source's order. */
export function sharedColumns(src: readonly ColumnInfo[], dst: readonly ColumnInfo[]): ColumnInfo[] {
  return src.filter((c) => dst.some((d) => d.name === c.name));
}

/**
 * Rows of one catalog table for versions `from..to` of a Delta table, normalised, in key order.
 * Positional rows, normalised in place: no object and no second array per row (the copy and the
 * hashes read every row of the table).
 */
export async function readRows(
  db: SqlDriver,
  table: string,
  cols: readonly ColumnInfo[],
  tableId: string,
  from: number,
  to: number,
): Promise<SqlValue[][]> {
  const list = cols.map((c) => quoteIdent(c.name)).join(', ');
  const order = table === 'dl_table_versions' ? 'version' : 'version, seq';
  const rows = (await queryArrays(
    db,
    `SELECT ${list} FROM {T:${table}} WHERE table_id = ? AND version >= ? AND version <= ? ORDER BY ${order}`,
    cols.map((c) => c.name),
    [tableId, from, to],
  )) as SqlValue[][];
  for (const r of rows) for (let i = 0; i < cols.length; i++) r[i] = normalise(r[i], cols[i].logical);
  return rows;
}

/** Rows per catalog table (and import runs) of one Delta table. */
export async function rowCounts(db: SqlDriver, tableId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of [...VERSIONED_TABLES, 'dl_import_runs']) {
    const r = await db.query(`SELECT COUNT(*) AS n FROM {T:${t}} WHERE table_id = ?`, [tableId]);
    out[t] = Number(r[0]?.n ?? 0);
  }
  return out;
}

/** Versions per hashing pass: bounds memory to one range of rows per catalog table. */
const HASH_RANGE = 500;

/**
 * sha256 per version over the normalised rows of every catalog table (in a fixed table order,
 * rows in key order), for versions `from..to`. `columns` names the columns compared per table.
 */
export async function versionHashes(
  db: SqlDriver,
  tableId: string,
  from: number,
  to: number,
  columns: ReadonlyMap<string, readonly ColumnInfo[]>,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (let lo = from; lo <= to; lo += HASH_RANGE) {
    const hi = Math.min(to, lo + HASH_RANGE - 1);
    const hashes = new Map<number, ReturnType<typeof createHash>>();
    for (const t of VERSIONED_TABLES) {
      const cols = columns.get(t);
      if (!cols) continue;
      const vi = cols.findIndex((c) => c.name === 'version');
      for (const r of await readRows(db, t, cols, tableId, lo, hi)) {
        const v = r[vi] as number;
        let h = hashes.get(v);
        if (!h) hashes.set(v, (h = createHash('sha256')));
        h.update(t).update(JSON.stringify(r)).update('\n');
      }
    }
    for (const [v, h] of [...hashes].sort((a, b) => a[0] - b[0])) out.set(v, h.digest('hex'));
  }
  return out;
}
