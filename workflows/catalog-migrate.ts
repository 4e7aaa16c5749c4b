/**
 * `deltasql catalog migrate`: plan once (refusals before any write), then one child workflow per
 * Delta table, at most `parallelism` at once; each child copies its table in batches of whole
 * versions and validates it. A failed validation fails the child and so the migration.
 */
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type {
  CopyResult,
  MigratePlanInput,
  MigrateTableInput,
  TableValidation,
  createMigrateActivities,
} from '../activities/migrate-activities';
import { ACTIVITY_RETRY } from './retry';

type Activities = ReturnType<typeof createMigrateActivities>;

export interface CatalogMigrateInput extends MigratePlanInput {
  parallelism: number;
  batchSize: number;
}

export interface MigratedTable {
  name: string;
  copy: CopyResult;
  validation: TableValidation;
}

export interface CatalogMigrateResult {
  tables: MigratedTable[];
}

const short = proxyActivities<Activities>({ startToCloseTimeout: '30m', retry: ACTIVITY_RETRY });
const copy = proxyActivities<Activities>({
  startToCloseTimeout: '24h',
  heartbeatTimeout: '2m',
  retry: ACTIVITY_RETRY,
});

export async function migrateCatalogTableWorkflow(
  input: MigrateTableInput & { name: string },
): Promise<MigratedTable> {
  const { name, ...table } = input;
  const c = await copy.copyCatalogTable(table);
  const validation = await short.validateCatalogTable(table);
  return { name, copy: c, validation };
}

export async function catalogMigrateWorkflow(input: CatalogMigrateInput): Promise<CatalogMigrateResult> {
  const plan = await short.planCatalogMigration({
    from: input.from,
    to: input.to,
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
            { from: input.from, to: input.to, tableId: t.tableId, name: t.name, batchSize: input.batchSize },
          ],
        }),
      );
    }
  });
  await Promise.all(lanes);
  done.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tables: done };
}
