/**
 * A catalog table's mode (migration 7): 'mirror' when `_delta_log` is the truth, 'sql-primary'
 * when the catalog is. Reads and switches go through here, so the rules for who may write live in
 * one place: SQL commits need sql-primary with commits open; imports and syncs need mirror.
 */
import { z } from 'zod';
import { sqlInt } from '../../common/zod-ints';
import { DeltaSqlError } from '../../common/errors';
import type { SqlDriver } from '../sql';

export type TableMode = 'mirror' | 'sql-primary';

export interface TableModeState {
  tableId: string;
  name: string;
  location: string;
  mode: TableMode;
  lastVersion: number | null;
  lastCommitTimestamp: number | null;
  /** Newest version in `_delta_log` with exactly the stored bytes (null: none known yet). */
  publishedVersion: number | null;
  publishedAt: number | null;
  /** Set while a rollback drains: no new SQL commits are accepted. */
  commitsClosedAt: number | null;
  /** Why the publisher stopped (e.g. ForeignCommit), until the next successful publish. */
  publishError: string | null;
}

const ModeRow = z.object({
  table_id: z.string(),
  name: z.string(),
  location: z.string(),
  mode: z.enum(['mirror', 'sql-primary']),
  last_version: sqlInt.nullable(),
  last_commit_timestamp: sqlInt.nullable(),
  published_version: sqlInt.nullable(),
  published_at: sqlInt.nullable(),
  commits_closed_at: sqlInt.nullable(),
  publish_error: z.string().nullable(),
});

/** The `dl_tables` columns a TableModeState is read from. */
export const MODE_COLUMNS = [
  'table_id',
  'name',
  'location',
  'mode',
  'last_version',
  'last_commit_timestamp',
  'published_version',
  'published_at',
  'commits_closed_at',
  'publish_error',
] as const;

const SELECT = `SELECT ${MODE_COLUMNS.join(', ')} FROM {T:dl_tables}`;

/** A TableModeState from a row holding MODE_COLUMNS. */
export function toState(r: unknown): TableModeState {
  const p = ModeRow.safeParse(r);
  if (!p.success) throw new DeltaSqlError('CatalogError', `malformed dl_tables row: ${p.error.message}`);
  const d = p.data;
  return {
    tableId: d.table_id,
    name: d.name,
    location: d.location,
    mode: d.mode,
    lastVersion: d.last_version,
    lastCommitTimestamp: d.last_commit_timestamp,
    publishedVersion: d.published_version,
    publishedAt: d.published_at,
    commitsClosedAt: d.commits_closed_at,
    publishError: d.publish_error,
  };
}

/** The mode row of a table by id or name; CatalogTableNotFound when absent. */
export async function readMode(db: SqlDriver, idOrName: string): Promise<TableModeState> {
  // One round trip for both keys; the id wins when a name happens to equal another table's id.
  const rows = await db.query(`${SELECT} WHERE table_id = ? OR name = ?`, [idOrName, idOrName]);
  const row = rows.find((r) => r.table_id === idOrName) ?? rows[0];
  if (row === undefined)
    throw new DeltaSqlError('CatalogTableNotFound', `no table "${idOrName}" in the catalog (dl_tables)`);
  return toState(row);
}

/**
 * Inside a write transaction: lock the table's row and read it, in one statement where the engine
 * has `SELECT … FOR UPDATE` (the same row lock `SqlDriver.lockTable` takes there), so a commit
 * attempt pays one round trip for both.
 */
export async function readModeLocked(tx: SqlDriver, tableId: string): Promise<TableModeState> {
  if (tx.dialect !== 'postgres' && tx.dialect !== 'mysql') {
    await tx.lockTable(tableId);
    return readMode(tx, tableId);
  }
  const rows = await tx.query(`${SELECT} WHERE table_id = ? FOR UPDATE`, [tableId]);
  if (rows.length === 0)
    throw new DeltaSqlError('CatalogTableNotFound', `no table "${tableId}" in the catalog (dl_tables)`);
  return toState(rows[0]);
}

/** Inside a write transaction: the table must accept SQL commits. */
export function assertAcceptsCommits(s: TableModeState): void {
  if (s.mode !== 'sql-primary') {
    throw new DeltaSqlError(
      'TableNotSqlPrimary',
      `table ${s.name} is a mirror of ${s.location}/_delta_log: commit to the log, or run deltasql cutover first`,
    );
  }
  if (s.commitsClosedAt !== null) {
    throw new DeltaSqlError(
      'CommitsClosed',
      `table ${s.name} is being rolled back to file-based writers (since ${new Date(s.commitsClosedAt).toISOString()}): SQL commits are closed`,
    );
  }
}

/** Inside an import/sync write transaction: the log must be the truth. */
export async function assertMirror(db: SqlDriver, tableId: string): Promise<void> {
  await db.lockTable(tableId);
  const rows = await db.query(`SELECT name, mode FROM {T:dl_tables} WHERE table_id = ?`, [tableId]);
  if (rows.length > 0 && rows[0].mode === 'sql-primary') {
    throw new DeltaSqlError(
      'TableIsSqlPrimary',
      `table ${String(rows[0].name)} is sql-primary: the catalog is its source of truth, so imports and syncs do not write into it (deltasql rollback switches it back to mirror)`,
    );
  }
}

/** Switch the mode; `published` seeds the published version (cutover: the log already holds it). */
export async function setMode(
  db: SqlDriver,
  tableId: string,
  mode: TableMode,
  opts: { publishedVersion?: number | null } = {},
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.lockTable(tableId);
    if (opts.publishedVersion !== undefined) {
      await tx.query(
        `UPDATE {T:dl_tables} SET mode = ?, commits_closed_at = NULL, published_version = ?, published_at = ? WHERE table_id = ?`,
        [mode, opts.publishedVersion, Date.now(), tableId],
      );
    } else {
      await tx.query(`UPDATE {T:dl_tables} SET mode = ?, commits_closed_at = NULL WHERE table_id = ?`, [
        mode,
        tableId,
      ]);
    }
  });
}

/** Stop (or reopen, with null) SQL commits: the first step of a rollback. */
export async function closeCommits(db: SqlDriver, tableId: string, closed: boolean): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.lockTable(tableId);
    await tx.query(`UPDATE {T:dl_tables} SET commits_closed_at = ? WHERE table_id = ?`, [
      closed ? Date.now() : null,
      tableId,
    ]);
  });
}

/** Record publishing progress; never moves backwards (two publishers may race harmlessly). */
export async function recordPublished(
  db: SqlDriver,
  tableId: string,
  version: number,
  error: string | null = null,
): Promise<void> {
  await db.query(
    `UPDATE {T:dl_tables} SET published_version = ?, published_at = ?, publish_error = ?
      WHERE table_id = ? AND (published_version IS NULL OR published_version <= ?)`,
    [version, Date.now(), error, tableId, version],
  );
}

export async function recordPublishError(db: SqlDriver, tableId: string, error: string): Promise<void> {
  await db.query(`UPDATE {T:dl_tables} SET publish_error = ? WHERE table_id = ?`, [error, tableId]);
}
