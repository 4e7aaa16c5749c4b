/**
 * `deltasql cutover --catalog URL --table NAME`: switch a mirrored table to sql-primary (seed 002
 * phase 5). It refuses unless the catalog and the log agree (`deltasql diff` exit 0, no version
 * behind) and no import or sync is running; then it pauses the table's sync schedule, stops its
 * follow workflow, switches the mode (the log already holds every version, so the published
 * version is the last one) and starts the publisher. From then on writers commit through SQL.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { PublisherClient, publisherWorkflowId } from '../../api/publisher-client';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { setMode } from '../../catalog/commit/table-mode';
import { readEnv, type DeltaSqlEnv } from '../../common/config';
import { DeltaSqlError } from '../../common/errors';
import { DeltaTable } from '../../delta/table';
import { compareTable } from '../../parity/compare';
import { publishSignal } from '../../workflows/publisher';
import { absoluteCatalog, importWorkflowId } from '../import-client';
import { printJson, runAction } from '../output';
import { followWorkflowId, scheduleOp, stopFollow, syncScheduleId } from '../sync-client';
import { openTemporal } from '../temporal';

export const PAUSE_NOTE = 'paused by deltasql cutover (table is sql-primary)';

const refused = (table: string, why: string): DeltaSqlError =>
  new DeltaSqlError('CutoverRefused', `cutover of ${table} refused: ${why}`);

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    throw e;
  }
}

/** Pause/unpause the table's sync schedule; false when it has none. */
export async function setSchedulePaused(
  client: Client,
  catalog: string,
  table: string,
  paused: boolean,
): Promise<boolean> {
  try {
    await scheduleOp(
      client,
      syncScheduleId(absoluteCatalog(catalog), table),
      paused ? 'pause' : 'unpause',
      paused ? PAUSE_NOTE : 'unpaused by deltasql rollback',
    );
    return true;
  } catch (e) {
    if (e instanceof DeltaSqlError && e.type === 'InvalidArgument') return false;
    throw e;
  }
}

/** Wake the running publisher (if any) without starting one. */
export async function signalPublisher(client: Client, catalog: string, table: string): Promise<void> {
  try {
    await client.workflow.getHandle(publisherWorkflowId(catalog, table)).signal(publishSignal);
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
}

export function publisherTarget(
  env: DeltaSqlEnv,
  address: string,
): { address: string; namespace: string; taskQueue: string } {
  return { address, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.DELTASQL_TASK_QUEUE };
}

export async function cutover(
  store: SqlCatalogStore,
  client: Client,
  env: DeltaSqlEnv,
  address: string,
  catalog: string,
  name: string,
) {
  const s = await store.tableMode(name);
  if (s.mode === 'mirror') {
    const abs = absoluteCatalog(catalog);
    for (const r of await store.listRuns(s.tableId, 5)) {
      if (r.status === 'running') throw refused(s.name, `import run ${r.runId} is still running`);
    }
    if (await isRunning(client, importWorkflowId(abs, s.name)))
      throw refused(s.name, 'an import or sync of the table is running');
    const diff = await compareTable(await DeltaTable.open(s.location), store, s.tableId);
    if (diff.exitCode !== 0 || diff.lag.versionDelta !== 0) {
      throw refused(
        s.name,
        `deltasql diff is not clean (status ${diff.status}, log at ${diff.lag.sourceLatestVersion}, catalog at ${diff.lag.catalogLatestVersion}): sync first`,
      );
    }
    const paused = await setSchedulePaused(client, catalog, s.name, true);
    const follow = followWorkflowId(abs, s.name);
    const stopped = (await isRunning(client, follow)) ? (await stopFollow(client, follow), true) : false;
    await setMode(store.driver, s.tableId, 'sql-primary', { publishedVersion: s.lastVersion });
    const publisher = new PublisherClient(publisherTarget(env, address), catalog);
    try {
      const workflowId = await publisher.notify(s.name);
      return {
        table: s.name,
        mode: 'sql-primary' as const,
        lastVersion: s.lastVersion,
        schedulePaused: paused,
        followStopped: stopped,
        publisher: workflowId,
      };
    } finally {
      await publisher.close();
    }
  }
  return {
    table: s.name,
    mode: s.mode,
    lastVersion: s.lastVersion,
    schedulePaused: false,
    followStopped: false,
    publisher: null,
  };
}

export function register(program: Command): void {
  program
    .command('cutover')
    .description(
      'Switch a mirrored table to sql-primary: writers then commit through SQL, a publisher writes the log',
    )
    .requiredOption('--catalog <url>', 'catalog URL')
    .requiredOption('--table <name>', 'catalog table name')
    .option('--json', 'print JSON')
    .action((o: { catalog: string; table: string; json?: boolean }) =>
      runAction(Boolean(o.json), async () => {
        const env = readEnv();
        const store = await openCatalog(o.catalog);
        const t = await openTemporal(env, (l) => process.stderr.write(`${l}\n`));
        try {
          const r = await cutover(store, t.client, env, t.target.address, o.catalog, o.table);
          if (o.json) printJson(r);
          else
            process.stdout.write(
              `${r.table} is ${r.mode} at version ${r.lastVersion ?? '-'}${r.publisher ? `; publisher ${r.publisher}` : ''}\n`,
            );
        } finally {
          await t.close();
          await store.close();
        }
      }),
    );
}
