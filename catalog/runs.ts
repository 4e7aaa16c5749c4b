/**
 * Import-run bookkeeping (`dl_import_runs`): one row per import attempt, so `status` and the
 * workflow layer can tell what happened without asking Temporal.
 */
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';
import type { ImportRun } from './store';
import type { SqlDriver, SqlValue } from './sql';

const num = z.union([z.number(), z.string(), z.bigint()]).transform((v) => Number(v));
const RunRow = z.object({
  run_id: z.string(),
  table_id: z.string(),
  workflow_id: z.string().nullable(),
  temporal_run_id: z.string().nullable(),
  mode: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled']),
  started_at: num,
  finished_at: num.nullable(),
  from_version: num.nullable(),
  to_version: num.nullable(),
  versions_imported: num,
  counts: z.string(),
  validation: z.string().nullable(),
  error: z.string().nullable(),
});
const CountsSchema = z.record(z.string(), z.number());

/** ImportRun field -> column, for the fields a patch may set. */
const PATCHABLE: Record<string, string> = {
  workflowId: 'workflow_id',
  temporalRunId: 'temporal_run_id',
  mode: 'mode',
  status: 'status',
  finishedAt: 'finished_at',
  fromVersion: 'from_version',
  toVersion: 'to_version',
  versionsImported: 'versions_imported',
  counts: 'counts',
  validation: 'validation',
  error: 'error',
};

const encode = (k: string, v: unknown): SqlValue =>
  k === 'counts' ? JSON.stringify(v ?? {}) : ((v as SqlValue) ?? null);

export async function startRun(
  db: SqlDriver,
  run: Omit<ImportRun, 'finishedAt' | 'status'> & { status?: ImportRun['status'] },
): Promise<void> {
  await db.query(
    `INSERT INTO {T:dl_import_runs} (run_id, table_id, workflow_id, temporal_run_id, mode, status, started_at, from_version, to_version, versions_imported, counts, validation, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      run.runId,
      run.tableId,
      run.workflowId,
      run.temporalRunId,
      run.mode,
      run.status ?? 'running',
      run.startedAt,
      run.fromVersion,
      run.toVersion,
      run.versionsImported,
      JSON.stringify(run.counts ?? {}),
      run.validation,
      run.error,
    ],
  );
}

export async function finishRun(db: SqlDriver, runId: string, patch: Partial<ImportRun>): Promise<void> {
  const p: Partial<ImportRun> = { finishedAt: Date.now(), ...patch };
  const sets: string[] = [];
  const params: SqlValue[] = [];
  for (const [k, v] of Object.entries(p)) {
    const col = PATCHABLE[k];
    if (!col || v === undefined) continue;
    sets.push(`${col} = ?`);
    params.push(encode(k, v));
  }
  if (sets.length === 0) return;
  // Existence first, then the update: MySQL has no UPDATE ... RETURNING, and run rows are only
  // ever removed with their whole table.
  const rows = await db.query(`SELECT run_id FROM {T:dl_import_runs} WHERE run_id = ?`, [runId]);
  if (rows.length === 0) throw new DeltaSqlError('CatalogError', `no import run ${runId} in dl_import_runs`);
  await db.query(`UPDATE {T:dl_import_runs} SET ${sets.join(', ')} WHERE run_id = ?`, [...params, runId]);
}

export async function listRuns(db: SqlDriver, tableId: string, limit = 50): Promise<ImportRun[]> {
  const rows = await db.query(
    `SELECT * FROM {T:dl_import_runs} WHERE table_id = ? ORDER BY started_at DESC, run_id DESC LIMIT ?`,
    [tableId, limit],
  );
  return rows.map((r) => {
    const p = RunRow.safeParse(r);
    if (!p.success)
      throw new DeltaSqlError('CatalogError', `malformed dl_import_runs row: ${p.error.message}`);
    const d = p.data;
    return {
      runId: d.run_id,
      tableId: d.table_id,
      workflowId: d.workflow_id,
      temporalRunId: d.temporal_run_id,
      mode: d.mode,
      status: d.status,
      startedAt: d.started_at,
      finishedAt: d.finished_at,
      fromVersion: d.from_version,
      toVersion: d.to_version,
      versionsImported: d.versions_imported,
      counts: CountsSchema.parse(JSON.parse(d.counts)),
      validation: d.validation,
      error: d.error,
    };
  });
}
