/**
 * `deltasql catalog migrate`: plan once (refusals before any write), then one child workflow per
 * Delta table, at most `parallelism` at once; each child copies its table in batches of whole
 * versions and validates it: row counts and per-version content hashes against the source
 * catalog, then `diff --all-versions` against the source `_delta_log`. A failed validation fails
 * the child and so the migration. Blue-green copies into a staging area while the live catalog
 * keeps serving and switches it live only after every table validated; a failure leaves the
 * live catalog as it was.
 */
import { executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
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
  /** Blue-green: the staging area became live (the previous catalog is kept as `<name>_old`). */
  switched?: boolean;
}

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
  const to = blueGreen ? (await short.prepareBlueGreen({ to: input.to })).staging : input.to;
  const plan = await short.planCatalogMigration({
    from: input.from,
    to,
    tables: input.tables,
    exclude: input.exclude,
    incremental: input.incremental,
  });
  const queue = [...plan];
  const done: MigratedTable[] = [];
  const parent = workflowInfo().workflowId;
  const lanes = Array.from({ length: Math.max(1, Math.min(input.parallelism, queue.length)) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      done.push(
        await executeChild(migrateCatalogTableWorkflow, {
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
        }),
      );
    }
  });
  await Promise.all(lanes);
  done.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (!blueGreen) return { tables: done };
  await short.switchCatalog({ to: input.to });
  return { tables: done, strategy: 'blue-green', switched: true };
}
