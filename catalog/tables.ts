/**
 * The `dl_tables` registry: lookup by id or name, creation, and whole-table removal. Rows read
 * back are zod-validated (Postgres returns BIGINT as strings, SQLite as numbers).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sqlInt } from '../common/zod-ints';
import { DeltaSqlError } from '../common/errors';
import type { CatalogTable } from './store';
import { ROW_TABLES } from './rows';
import type { SqlDriver } from './sql';

const TableRow = z.object({
  table_id: z.string(),
  name: z.string(),
  location: z.string(),
  last_version: sqlInt.nullable(),
  first_version: sqlInt.nullable(),
  baseline_version: sqlInt.nullable(),
  last_commit_timestamp: sqlInt.nullable(),
  created_at: sqlInt,
});

const SELECT = `SELECT table_id, name, location, last_version, first_version, baseline_version, last_commit_timestamp, created_at FROM {T:dl_tables}`;

function toTable(r: unknown): CatalogTable {
  const p = TableRow.safeParse(r);
  if (!p.success) throw new DeltaSqlError('CatalogError', `malformed dl_tables row: ${p.error.message}`);
  const d = p.data;
  return {
    tableId: d.table_id,
    name: d.name,
    location: d.location,
    lastVersion: d.last_version,
    firstVersion: d.first_version,
    baselineVersion: d.baseline_version,
    lastCommitTimestamp: d.last_commit_timestamp,
    createdAt: d.created_at,
  };
}

export async function findTable(db: SqlDriver, idOrName: string): Promise<CatalogTable | null> {
  const byId = await db.query(`${SELECT} WHERE table_id = ?`, [idOrName]);
  if (byId.length > 0) return toTable(byId[0]);
  const byName = await db.query(`${SELECT} WHERE name = ?`, [idOrName]);
  return byName.length > 0 ? toTable(byName[0]) : null;
}

export async function requireTable(db: SqlDriver, idOrName: string): Promise<CatalogTable> {
  const t = await findTable(db, idOrName);
  if (!t)
    throw new DeltaSqlError('CatalogTableNotFound', `no table "${idOrName}" in the catalog (dl_tables)`);
  return t;
}

export async function listTables(db: SqlDriver): Promise<CatalogTable[]> {
  return (await db.query(`${SELECT} ORDER BY name`)).map(toTable);
}

export async function ensureTable(
  db: SqlDriver,
  opts: { location: string; name?: string; tableId?: string },
): Promise<CatalogTable> {
  return db.transaction(async (tx) => {
    const existing =
      (opts.tableId ? await findTable(tx, opts.tableId) : null) ??
      (opts.name ? await findTable(tx, opts.name) : null);
    if (existing) return existing;
    const tableId = opts.tableId ?? randomUUID();
    // A new table's source-checkpoint record is complete "up to -1" (nothing yet), unlike a table
    // imported before migration 6 (NULL): an import resumed after a cut first range still records.
    await tx.query(
      `INSERT INTO {T:dl_tables} (table_id, name, location, created_at, checkpoints_listed_version) VALUES (?, ?, ?, ?, ?)`,
      [tableId, opts.name ?? opts.location, opts.location, Date.now(), -1],
    );
    return requireTable(tx, tableId);
  });
}

/** Delete every row of one table, in one transaction. */
export async function dropTable(db: SqlDriver, tableId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.lockTable(tableId);
    for (const t of [...ROW_TABLES, 'dl_import_runs', 'dl_commit_groups', 'dl_commit_parts', 'dl_tables']) {
      await tx.query(`DELETE FROM {T:${t}} WHERE table_id = ?`, [tableId]);
    }
  });
}
