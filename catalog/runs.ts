/**
 * Import-run bookkeeping (`dl_import_runs`): one row per import attempt, so `status` and the
 * workflow layer can tell what happened without asking Temporal.
 */
import { z } from 'zod';
import { sqlInt } from '../common/zod-ints';
import { DeltaSqlError } from '../common/errors';
import { addCounts, emptyCounts, type ActionCounts } from '../delta/action-counts';
import type { ImportRun } from './store';
import type { SqlDriver, SqlValue } from './sql';

const RunRow = z.object({
  run_id: z.string(),
  table_id: z.string(),
  workflow_id: z.string().nullable(),
  temporal_run_id: z.string().nullable(),
  mode: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled']),
  started_at: sqlInt,
  finished_at: sqlInt.nullable(),
  from_version: sqlInt.nullable(),
  to_version: sqlInt.nullable(),
  versions_imported: sqlInt,
  counts: z.string(),
  validation: z.string().nullable(),
  error: z.string().nullable(),
  notes: z.string().nullable().optional(),
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
  notes: 'notes',
};

const encode = (k: string, v: unknown): SqlValue =>
  k === 'counts' ? JSON.stringify(v ?? {}) : ((v as SqlValue) ?? null);

export async function startRun(
  db: SqlDriver,
  run: Omit<ImportRun, 'finishedAt' | 'status'> & { status?: ImportRun['status'] },
): Promise<void> {
  await closeAbandoned(db, run.tableId, run.runId);
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

/** Why an abandoned run (closeAbandoned) is marked failed. */
export const ABANDONED_ERROR =
  'abandoned: the run ended without recording its outcome (e.g. the catalog stayed unavailable)';

/**
 * Runs of the table still `running` when a new one starts are over: one writer per table (the fixed
 * import workflow id), so their workflow ended without recording how, e.g. it gave up on a catalog
 * that stayed away (`--catalog-timeout`) and could not write its own end. Close them as failed,
 * with what each imported (up to the next one's first version), so no run shows `running` forever.
 */
async function closeAbandoned(db: SqlDriver, tableId: string, runId: string): Promise<void> {
  const rows = await db.query(
    `SELECT run_id, from_version FROM {T:dl_import_runs} WHERE table_id = ? AND status = 'running' AND run_id <> ? ORDER BY started_at`,
    [tableId, runId],
  );
  for (const [i, r] of rows.entries()) {
    const from = r.from_version === null || r.from_version === undefined ? null : Number(r.from_version);
    const next = rows[i + 1]?.from_version;
    const below = next === null || next === undefined ? undefined : Number(next);
    const derived =
      from === null ? { versionsImported: 0, counts: emptyCounts() } : await tally(db, tableId, from, below);
    await db.query(
      `UPDATE {T:dl_import_runs} SET status = 'failed', finished_at = ?, versions_imported = ?, counts = ?, error = ? WHERE run_id = ?`,
      [
        Date.now(),
        derived.versionsImported,
        JSON.stringify(derived.counts),
        ABANDONED_ERROR,
        String(r.run_id),
      ],
    );
  }
}

/** Versions whose per-version counts are summed per statement (bounded memory on 100k versions). */
const TALLY_WINDOW = 10_000;

/**
 * What a run imported, read back from the catalog rather than added up by the workflow: the
 * versions at or after the run's `from_version` and the sum of their per-version action counts
 * (`dl_table_versions.counts`, written in the same transaction as each version's rows). The
 * workflow's own sum misses what a SIGKILLed activity attempt committed before dying (its retry
 * skips those versions), and a retried `finishRun` must write the same numbers again; this is
 * exact in both cases. Every version at or after `from_version` is this run's: one writer per
 * table, runs in sequence, and the run is finished before the next one plans.
 */
async function tally(
  db: SqlDriver,
  tableId: string,
  fromVersion: number,
  below?: number,
): Promise<{ versionsImported: number; counts: ActionCounts }> {
  const counts = emptyCounts();
  const [span] = await db.query(
    `SELECT COUNT(*) AS n, MAX(version) AS hi FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ?${below === undefined ? '' : ' AND version < ?'}`,
    below === undefined ? [tableId, fromVersion] : [tableId, fromVersion, below],
  );
  const versionsImported = Number(span?.n ?? 0);
  const hi = span?.hi === null || span?.hi === undefined ? fromVersion - 1 : Number(span.hi);
  for (let lo = fromVersion; lo <= hi; lo += TALLY_WINDOW) {
    const rows = await db.query(
      `SELECT counts FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ? AND version < ?`,
      [tableId, lo, Math.min(lo + TALLY_WINDOW, hi + 1)],
    );
    for (const r of rows) addCounts(counts, CountsSchema.parse(JSON.parse(String(r.counts))));
  }
  return { versionsImported, counts };
}

export async function finishRun(db: SqlDriver, runId: string, patch: Partial<ImportRun>): Promise<void> {
  await db.transaction(async (tx) => {
    // Existence first, then the update: MySQL has no UPDATE ... RETURNING, and run rows are only
    // ever removed with their whole table.
    const [run] = await tx.query(`SELECT table_id, from_version FROM {T:dl_import_runs} WHERE run_id = ?`, [
      runId,
    ]);
    if (!run) throw new DeltaSqlError('CatalogError', `no import run ${runId} in dl_import_runs`);
    const from =
      run.from_version === null || run.from_version === undefined ? null : Number(run.from_version);
    const derived = from === null ? {} : await tally(tx, String(run.table_id), from);
    const p: Partial<ImportRun> = { finishedAt: Date.now(), ...patch, ...derived };
    const sets: string[] = [];
    const params: SqlValue[] = [];
    for (const [k, v] of Object.entries(p)) {
      const col = PATCHABLE[k];
      if (!col || v === undefined) continue;
      sets.push(`${col} = ?`);
      params.push(encode(k, v));
    }
    await tx.query(`UPDATE {T:dl_import_runs} SET ${sets.join(', ')} WHERE run_id = ?`, [...params, runId]);
  });
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
      notes: d.notes ?? null,
    };
  });
}
