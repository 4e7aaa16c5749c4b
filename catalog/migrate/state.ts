/**
 * Whether a catalog that `catalog migrate` wrote into is complete (migration 8,
 * `dl_catalog_migrations`). Every run records its source and state in the catalog it copies
 * into: `loading` while copying, `validated` (blue-green, before the switch), `switched` (every
 * table validated: complete) or `failed` (not switched, with the tables whose validation failed).
 * The state lives in the target itself, not in Temporal, so `status` and `compare` can tell a
 * half-migrated catalog from a complete one without the workflow history, and a re-run from the
 * same source knows it may resume (and which tables to copy afresh) instead of refusing the
 * target as "holding data".
 */
import { z } from 'zod';
import { sqlInt } from '../../common/zod-ints';
import { DeltaSqlError } from '../../common/errors';
import type { SqlDriver } from '../sql';
import type { CatalogSchema } from './schema';

export type MigrationStatus = 'loading' | 'validated' | 'switched' | 'failed';
export type MigrationStrategy = 'direct' | 'blue-green';

export interface MigrationState {
  runId: string;
  workflowId: string;
  /** The source catalog's URL without its password. */
  source: string;
  strategy: MigrationStrategy;
  status: MigrationStatus;
  tablesTotal: number;
  /** Table ids whose validation failed (a re-run copies them afresh). */
  failedTables: string[];
  error: string | null;
  startedAt: number;
  updatedAt: number;
}

const Row = z.object({
  run_id: z.string(),
  workflow_id: z.string(),
  source_catalog: z.string(),
  strategy: z.enum(['direct', 'blue-green']),
  status: z.enum(['loading', 'validated', 'switched', 'failed']),
  tables_total: sqlInt,
  failed_tables: z.string().nullable(),
  error: z.string().nullable(),
  started_at: sqlInt,
  updated_at: sqlInt,
});
const FailedTables = z.array(z.string());

const COLUMNS =
  'run_id, workflow_id, source_catalog, strategy, status, tables_total, failed_tables, error, started_at, updated_at';

/** Record the start of a run (`loading`); a retried start replaces its own row. */
export async function startMigration(
  db: SqlDriver,
  s: Pick<MigrationState, 'runId' | 'workflowId' | 'source' | 'strategy' | 'tablesTotal'>,
  now = Date.now(),
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM {T:dl_catalog_migrations} WHERE run_id = ?`, [s.runId]);
    await tx.query(
      `INSERT INTO {T:dl_catalog_migrations} (${COLUMNS}) VALUES (?, ?, ?, ?, 'loading', ?, NULL, NULL, ?, ?)`,
      [s.runId, s.workflowId, s.source, s.strategy, s.tablesTotal, now, now],
    );
  });
}

/** Move a run to `status`; the error and failed tables are replaced (cleared when omitted). */
export async function setMigrationStatus(
  db: SqlDriver,
  runId: string,
  status: Exclude<MigrationStatus, 'loading'>,
  detail: { failedTables?: readonly string[]; error?: string | null } = {},
  now = Date.now(),
): Promise<void> {
  const failed =
    detail.failedTables && detail.failedTables.length > 0 ? JSON.stringify(detail.failedTables) : null;
  await db.query(
    `UPDATE {T:dl_catalog_migrations} SET status = ?, failed_tables = ?, error = ?, updated_at = ? WHERE run_id = ?`,
    [status, failed, detail.error ?? null, now, runId],
  );
}

function toState(r: unknown): MigrationState {
  const p = Row.safeParse(r);
  if (!p.success)
    throw new DeltaSqlError('CatalogError', `malformed dl_catalog_migrations row: ${p.error.message}`);
  const d = p.data;
  let failedTables: string[] = [];
  if (d.failed_tables !== null) {
    const f = FailedTables.safeParse(JSON.parse(d.failed_tables));
    if (!f.success) throw new DeltaSqlError('CatalogError', `malformed failed_tables of run ${d.run_id}`);
    failedTables = f.data;
  }
  return {
    runId: d.run_id,
    workflowId: d.workflow_id,
    source: d.source_catalog,
    strategy: d.strategy,
    status: d.status,
    tablesTotal: d.tables_total,
    failedTables,
    error: d.error,
    startedAt: d.started_at,
    updatedAt: d.updated_at,
  };
}

/**
 * The latest migration run recorded in a catalog, or null (never migrated into, or a catalog
 * older than migration 8: pass its schema so an unmigrated catalog is read without writing).
 */
export async function latestMigration(db: SqlDriver, schema?: CatalogSchema): Promise<MigrationState | null> {
  if (schema && !schema.tables.has('dl_catalog_migrations')) return null;
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM {T:dl_catalog_migrations} ORDER BY started_at DESC, run_id DESC LIMIT 1`,
  );
  return rows.length === 0 ? null : toState(rows[0]);
}

/** One line for people: what the latest migration left the catalog as. */
export function describeMigration(m: MigrationState): string {
  const at = new Date(m.updatedAt).toISOString();
  const from = `catalog migration from ${m.source} (${m.strategy})`;
  switch (m.status) {
    case 'switched':
      return `${from} complete: switched at ${at}`;
    case 'loading':
      return `${from} still loading since ${new Date(m.startedAt).toISOString()} (or interrupted): NOT SWITCHED, incomplete; re-run it to resume`;
    case 'validated':
      return `${from} validated at ${at}, switch pending: NOT SWITCHED; re-run it to switch`;
    case 'failed':
      return `${from} failed at ${at}: NOT SWITCHED, do not use this catalog as complete; re-run it to repair (${(m.error ?? 'no detail').split('\n')[0]})`;
  }
}

/**
 * Refuse a catalog whose latest migration did not switch as a migration source: copying a
 * half-loaded or failed catalog onward would pass it off as complete.
 */
export function assertSwitched(m: MigrationState | null, role: string): void {
  if (m === null || m.status === 'switched') return;
  throw new DeltaSqlError('CatalogNotSwitched', `${role} is not a complete catalog: ${describeMigration(m)}`);
}
