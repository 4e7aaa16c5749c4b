/**
 * `deltasql catalog migrate`: plan once (refusals before any write), then one child workflow per
 * Delta table, at most `parallelism` at once; each child copies its table in batches of whole
 * versions and validates it: row counts and per-version content hashes against the source
 * catalog, then `diff --all-versions` against the source `_delta_log`. A failed validation fails
 * the child and so the migration. Blue-green copies into a staging area while the live catalog
 * keeps serving and switches it live only after every table validated; a failure leaves the
 * live catalog as it was.
 *
 * The run's state is recorded in the catalog it copies into (catalog/migrate/state.ts): loading
 * from the plan on, then switched, or failed. A table that fails does not stop the others (one
 * run reports every failing table); the run then marks the target failed - not switched, with
 * the tables whose validation failed, which a re-run copies afresh - and fails with the first
 * failure's type.
 */
import {
  ApplicationFailure,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CopyResult,
  MigratePlanInput,
  MigrateTableInput,
  TableValidation,
  createMigrateActivities,
} from '../activities/migrate-activities';
import type { LogParity } from '../catalog/migrate/log-parity';
import { ACTIVITY_RETRY } from './retry';

type Activities = ReturnType<typeof createMigrateActivities>;

/** How much of the log diff runs: every copied version, only the last one, or none. */
export type LogDiffMode = 'all-versions' | 'latest' | 'off';

export interface CatalogMigrateInput extends MigratePlanInput {
  parallelism: number;
  batchSize: number;
  strategy?: 'direct' | 'blue-green';
  logDiff?: LogDiffMode;
}

export interface MigratedTable {
  name: string;
  copy: CopyResult;
  validation: TableValidation;
  /** Null when the log diff was off (or for a migration started before it existed). */
  log?: LogParity | null;
}

export interface CatalogMigrateResult {
  tables: MigratedTable[];
  strategy?: 'direct' | 'blue-green';
  /** Every table validated and (blue-green) the staging area became live (the previous catalog is kept as `<name>_old`). */
  switched?: boolean;
}

/** The innermost typed failure under a child workflow's failure (activity -> application). */
function rootFailure(e: unknown): { type: string; message: string } {
  let best = { type: 'Error', message: e instanceof Error ? e.message : String(e) };
  for (let cur: unknown = e; cur instanceof Error; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof ApplicationFailure) best = { type: cur.type ?? 'Error', message: cur.message };
  }
  return best;
}

/** The largest error text a migration record keeps. */
const MAX_ERROR = 2000;

const short = proxyActivities<Activities>({ startToCloseTimeout: '30m', retry: ACTIVITY_RETRY });
const copy = proxyActivities<Activities>({
  startToCloseTimeout: '24h',
  // Short enough that a killed worker's copy is retried elsewhere within half a minute.
  heartbeatTimeout: '30s',
  retry: ACTIVITY_RETRY,
});

export async function migrateCatalogTableWorkflow(
  input: MigrateTableInput & { name: string; logDiff?: LogDiffMode; logFrom?: number },
): Promise<MigratedTable> {
  const { name, logDiff, logFrom, ...table } = input;
  const c = await copy.copyCatalogTable(table);
  const validation = await short.validateCatalogTable(table);
  let log: LogParity | null = null;
  if (patched('migrate-log-diff') && logDiff !== 'off') {
    const fromVersion = logDiff === 'latest' ? Number.MAX_SAFE_INTEGER : (logFrom ?? 0);
    log = await copy.logParityCatalogTable({ ...table, fromVersion });
  }
  return { name, copy: c, validation, log };
}

export async function catalogMigrateWorkflow(input: CatalogMigrateInput): Promise<CatalogMigrateResult> {
  const blueGreen = input.strategy === 'blue-green';
  const tracked = patched('migrate-state');
  const to = blueGreen ? (await short.prepareBlueGreen({ to: input.to })).staging : input.to;
  const plan = await short.planCatalogMigration({
    from: input.from,
    to,
    tables: input.tables,
    exclude: input.exclude,
    incremental: input.incremental,
    record: tracked ? { strategy: blueGreen ? 'blue-green' : 'direct' } : undefined,
  });
  const queue = [...plan];
  const done: MigratedTable[] = [];
  const failures: { tableId: string; name: string; type: string; message: string }[] = [];
  const parent = workflowInfo().workflowId;
  const lanes = Array.from({ length: Math.max(1, Math.min(input.parallelism, queue.length)) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const child = executeChild(migrateCatalogTableWorkflow, {
        workflowId: `${parent}/${t.tableId}`,
        args: [
          {
            from: input.from,
            to,
            tableId: t.tableId,
            name: t.name,
            batchSize: input.batchSize,
            logDiff: input.logDiff,
            logFrom: t.targetLastVersion === null ? 0 : t.targetLastVersion + 1,
          },
        ],
      });
      if (!tracked) {
        done.push(await child);
        continue;
      }
      try {
        done.push(await child);
      } catch (e) {
        if (isCancellation(e)) throw e;
        failures.push({ tableId: t.tableId, name: t.name, ...rootFailure(e) });
      }
    }
  });
  await Promise.all(lanes);
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  done.sort(byName);
  if (failures.length > 0) {
    failures.sort(byName);
    const message = failures.map((f) => f.message).join('; ');
    await short.finishCatalogMigration({
      to,
      status: 'failed',
      failedTables: failures.filter((f) => f.type === 'ValidationFailed').map((f) => f.tableId),
      error: message.slice(0, MAX_ERROR),
    });
    throw ApplicationFailure.create({
      type: failures[0].type,
      message: `${message} (${blueGreen ? 'the live catalog is unchanged; the staging area is' : 'the target is'} marked as not switched)`,
      nonRetryable: true,
    });
  }
  if (!blueGreen) {
    if (!tracked) return { tables: done };
    await short.finishCatalogMigration({ to, status: 'switched' });
    return { tables: done, strategy: 'direct', switched: true };
  }
  await short.switchCatalog({ to: input.to });
  return { tables: done, strategy: 'blue-green', switched: true };
}
