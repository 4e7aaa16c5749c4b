/**
 * Copying one Delta table's rows from one catalog to another, in batches of whole versions.
 * Every batch is one target transaction that also advances the target's `dl_tables.last_version`,
 * so a batch is all-or-nothing and a retried or resumed copy starts right after the last batch
 * that committed: no duplicates, nothing lost. Rows keep their validity columns as the source has
 * them; versions copied by an earlier run (incremental) get the validity ranges that newer
 * versions closed. Bulk writes go through the target driver's `bulkInsert` (binary COPY on
 * PostgreSQL, the appender on DuckDB, multi-row INSERTs on MySQL, prepared inserts on SQLite).
 * The source is read one batch ahead, each catalog table in its own query at once, so reading
 * the next batch (on the source server) overlaps writing this one.
 */
import { DeltaSqlError } from '../../common/errors';
import { VALIDITY } from '../rows';
import { quoteIdent, type SqlDriver, type SqlValue, type ValidityTouch } from '../sql';
import { findTable } from '../tables';
import { readRows, sharedColumns, VERSIONED_TABLES } from './content';
import type { CatalogSchema, ColumnInfo } from './schema';

export type ColumnMap = Map<string, ColumnInfo[]>;

/** The columns to copy per catalog table: those both schemas have. */
export function copyColumns(src: CatalogSchema, dst: CatalogSchema): ColumnMap {
  const out: ColumnMap = new Map();
  for (const t of [...VERSIONED_TABLES, 'dl_tables', 'dl_import_runs']) {
    const a = src.tables.get(t);
    const b = dst.tables.get(t);
    if (a && b) out.set(t, sharedColumns(a, b));
  }
  return out;
}

/** Version ranges of at most `batchRows` actions each (a version is never split). */
export async function planRanges(
  src: SqlDriver,
  tableId: string,
  from: number,
  to: number,
  batchRows: number,
): Promise<[number, number][]> {
  const rows = await src.query(
    `SELECT version, action_count FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ? AND version <= ? ORDER BY version`,
    [tableId, from, to],
  );
  const out: [number, number][] = [];
  let start: number | null = null;
  let acc = 0;
  let prev = from;
  for (const r of rows) {
    const v = Number(r.version);
    const n = Number(r.action_count) + 1;
    if (start !== null && acc + n > batchRows) {
      out.push([start, prev]);
      start = null;
      acc = 0;
    }
    if (start === null) start = v;
    acc += n;
    prev = v;
  }
  if (start !== null) out.push([start, prev]);
  return out;
}

const select = (cols: readonly ColumnInfo[]): string => cols.map((c) => quoteIdent(c.name)).join(', ');

/** Create the target's `dl_tables` row (no versions yet) with the source's id, name and location. */
export async function ensureTargetTable(
  src: SqlDriver,
  dst: SqlDriver,
  tableId: string,
  cols: ColumnMap,
): Promise<void> {
  const c = cols.get('dl_tables') ?? [];
  const progress = new Set(['last_version', 'first_version', 'baseline_version', 'last_commit_timestamp']);
  const keep = c.filter((x) => !progress.has(x.name));
  const rows = await src.query(`SELECT ${select(keep)} FROM {T:dl_tables} WHERE table_id = ?`, [tableId]);
  if (rows.length === 0)
    throw new DeltaSqlError('CatalogTableNotFound', `no table ${tableId} in the source catalog`);
  await dst.transaction(async (tx) => {
    if ((await tx.query(`SELECT 1 AS x FROM {T:dl_tables} WHERE table_id = ?`, [tableId])).length > 0) return;
    await tx.query(
      `INSERT INTO {T:dl_tables} (${select(keep)}) VALUES (${keep.map(() => '?').join(', ')})`,
      keep.map((k) => rows[0][k.name] as SqlValue),
    );
  });
}

/** Validity ranges of rows before `from` that versions `from..to` closed in the source. */
async function closedBy(
  src: SqlDriver,
  table: keyof typeof VALIDITY,
  tableId: string,
  from: number,
  to: number,
): Promise<ValidityTouch[]> {
  const v = VALIDITY[table];
  const end = quoteIdent(v.endCol);
  const rows = await src.query(
    `SELECT ${v.keyCols.map(quoteIdent).join(', ')}, ${end} AS e FROM {T:${table}} WHERE table_id = ? AND version < ? AND ${end} >= ? AND ${end} <= ?`,
    [tableId, from, from, to],
  );
  return rows.map((r) => ({ key: v.keyCols.map((k) => String(r[k])), version: Number(r.e) }));
}

/** A batch's rows per catalog table, as read from the source. */
export type BatchRows = Map<string, SqlValue[][]>;

/** Rows of versions `from..to` of every catalog table in `cols`, one concurrent query per table. */
export async function readBatch(
  src: SqlDriver,
  tableId: string,
  from: number,
  to: number,
  cols: ColumnMap,
): Promise<BatchRows> {
  const tables = VERSIONED_TABLES.filter((t) => cols.has(t));
  const rows = await Promise.all(
    tables.map((t) => readRows(src, t, cols.get(t) as ColumnInfo[], tableId, from, to)),
  );
  return new Map(tables.map((t, i) => [t, rows[i]]));
}

export interface BatchResult {
  /** Target's last version after the batch. */
  lastVersion: number;
  rows: number;
  skipped: boolean;
}

/**
 * Copy versions `from..to` (whole versions) in one target transaction. Versions the target
 * already holds are skipped (resume); a gap before `from` is refused. `prefetched` holds the rows
 * of exactly `from..to`, read ahead; they are used only when the batch starts at `from`.
 */
export async function copyBatch(
  src: SqlDriver,
  dst: SqlDriver,
  tableId: string,
  from: number,
  to: number,
  cols: ColumnMap,
  prefetched?: Promise<BatchRows>,
): Promise<BatchResult> {
  const srcTable = await findTable(src, tableId);
  if (!srcTable) throw new DeltaSqlError('CatalogTableNotFound', `no table ${tableId} in the source catalog`);
  return dst.transaction(async (tx) => {
    await tx.lockTable(tableId);
    const t = await findTable(tx, tableId);
    if (!t) throw new DeltaSqlError('CatalogTableNotFound', `no table ${tableId} in the target catalog`);
    const have = t.lastVersion;
    if (have !== null && have >= to) return { lastVersion: have, rows: 0, skipped: true };
    const start = have === null ? from : Math.max(from, have + 1);
    if (have !== null && start !== have + 1) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `target holds ${t.name} up to version ${have}; cannot continue at version ${from}`,
      );
    }
    // Close first, while the target holds only versions before `start`: a touch must never reach
    // a row of this batch (an identity removed and re-added inside the batch).
    if (have !== null) {
      for (const table of Object.keys(VALIDITY) as (keyof typeof VALIDITY)[]) {
        const touches = await closedBy(src, table, tableId, start, to);
        const v = VALIDITY[table];
        if (touches.length > 0) await tx.closeValidity(table, v.keyCols, v.endCol, tableId, touches);
      }
    }
    let rows = 0;
    const batch =
      prefetched && start === from ? await prefetched : await readBatch(src, tableId, start, to, cols);
    for (const table of VERSIONED_TABLES) {
      const c = cols.get(table);
      const list = batch.get(table);
      if (!c || !list) continue;
      if (list.length > 0)
        await tx.bulkInsert(
          table,
          c.map((x) => x.name),
          list,
        );
      rows += list.length;
    }
    const ts = await src.query(
      `SELECT commit_timestamp FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`,
      [tableId, to],
    );
    await tx.query(
      `UPDATE {T:dl_tables} SET last_version = ?, last_commit_timestamp = ?, first_version = ?, baseline_version = ? WHERE table_id = ?`,
      [to, Number(ts[0]?.commit_timestamp ?? 0), srcTable.firstVersion, srcTable.baselineVersion, tableId],
    );
    return { lastVersion: to, rows, skipped: false };
  });
}

/**
 * After the last batch: the table's import-run history (replaced as a whole, so a rerun never
 * duplicates it) and every other `dl_tables` column, so the target row equals the source row.
 */
export async function finishTable(
  src: SqlDriver,
  dst: SqlDriver,
  tableId: string,
  cols: ColumnMap,
): Promise<number> {
  const runCols = cols.get('dl_import_runs') ?? [];
  const runs = await src.query(`SELECT ${select(runCols)} FROM {T:dl_import_runs} WHERE table_id = ?`, [
    tableId,
  ]);
  const tCols = cols.get('dl_tables') ?? [];
  const row = await src.query(`SELECT ${select(tCols)} FROM {T:dl_tables} WHERE table_id = ?`, [tableId]);
  await dst.transaction(async (tx) => {
    await tx.query(`DELETE FROM {T:dl_import_runs} WHERE table_id = ?`, [tableId]);
    if (runs.length > 0) {
      await tx.bulkInsert(
        'dl_import_runs',
        runCols.map((c) => c.name),
        runs.map((r) => runCols.map((c) => r[c.name] as SqlValue)),
      );
    }
    const sets = tCols.filter((c) => c.name !== 'table_id');
    if (row.length > 0 && sets.length > 0) {
      await tx.query(
        `UPDATE {T:dl_tables} SET ${sets.map((c) => `${quoteIdent(c.name)} = ?`).join(', ')} WHERE table_id = ?`,
        [...sets.map((c) => row[0][c.name] as SqlValue), tableId],
      );
    }
  });
  return runs.length;
}

export interface CopyResult {
  lastVersion: number | null;
  rows: number;
  batches: number;
  runs: number;
}

/**
 * Copy one Delta table: its `dl_tables` row, every version the target lacks in batches of whole
 * versions (`onBatch` after each committed one), then the import runs and the final row.
 */
export async function copyTable(
  src: SqlDriver,
  dst: SqlDriver,
  tableId: string,
  cols: ColumnMap,
  batchSize: number,
  onBatch: (version: number) => void,
): Promise<CopyResult> {
  await ensureTargetTable(src, dst, tableId, cols);
  const last = async (db: SqlDriver): Promise<number | null> => {
    const r = await db.query(`SELECT last_version FROM {T:dl_tables} WHERE table_id = ?`, [tableId]);
    const v = r[0]?.last_version;
    return v === null || v === undefined ? null : Number(v);
  };
  const [srcLast, have] = [await last(src), await last(dst)];
  const result: CopyResult = { lastVersion: have, rows: 0, batches: 0, runs: 0 };
  if (srcLast !== null) {
    const ranges = await planRanges(src, tableId, have === null ? 0 : have + 1, srcLast, batchSize);
    const ahead = (i: number): Promise<BatchRows> | undefined => {
      if (i >= ranges.length) return undefined;
      const p = readBatch(src, tableId, ranges[i][0], ranges[i][1], cols);
      p.catch(() => undefined); // awaited by its batch; a batch that fails first must not leave it unhandled
      return p;
    };
    let next = ahead(0);
    for (let i = 0; i < ranges.length; i++) {
      const [lo, hi] = ranges[i];
      const current = next;
      next = ahead(i + 1);
      const r = await copyBatch(src, dst, tableId, lo, hi, cols, current);
      result.lastVersion = r.lastVersion;
      result.rows += r.rows;
      if (!r.skipped) result.batches += 1;
      onBatch(r.lastVersion);
    }
  }
  result.runs = await finishTable(src, dst, tableId, cols);
  return result;
}
