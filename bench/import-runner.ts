/**
 * Run one real import the way the CLI does (client/import-client.ts): start the workflow on the
 * benchmark worker's task queue and wait for its result. The harness never runs activities
 * itself; the separate worker process does (bench/worker-process.ts).
 */
import { Client, Connection } from '@temporalio/client';
import { readEnv, type DeltaSqlEnv } from '../common/config';
import { totalActions } from '../delta/action-counts';
import {
  absoluteSource,
  awaitImport,
  defaultTableName,
  newRunId,
  startImport,
} from '../client/import-client';
import type { TemporalSession } from '../client/temporal';
import type { ImportInput, ImportMode, ImportResult } from '../workflows/types';
import { activityTimings, type ActivityTiming } from './activity-timings';
import { timed } from './measure';

export interface ImportRunner {
  run(opts: {
    source: string;
    catalog: string;
    name: string;
    mode: ImportMode;
    batchSize: number;
    actionsPerActivity: number;
    skipValidation: boolean;
  }): Promise<{
    seconds: number;
    result: ImportResult;
    actions: number;
    /** Per activity type, from the workflow history (the last run only, after continue-as-new). */
    activities: Record<string, ActivityTiming>;
  }>;
  close(): Promise<void>;
}

/**
 * `workerExited` resolves when the worker process dies: the import then fails at once (and its
 * workflow is terminated) instead of waiting forever on a task queue nobody polls.
 */
export async function importRunner(
  address: string,
  taskQueue: string,
  workerExited: Promise<string>,
): Promise<ImportRunner> {
  const connection = await Connection.connect({ address });
  const env: DeltaSqlEnv = { ...readEnv(), TEMPORAL_ADDRESS: address, DELTASQL_TASK_QUEUE: taskQueue };
  const session: TemporalSession = {
    client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }),
    target: { address, started: false, embedded: false },
    withWorker: (work) => work(),
    close: async () => undefined,
  };
  return {
    async run(o) {
      const source = absoluteSource(o.source);
      const input: ImportInput = {
        source,
        // startImport strips the password: the worker process has it as PGPASSWORD (`catalogs`
        // of bench/worker-process.ts startWorker), never from the workflow input.
        catalog: o.catalog,
        name: o.name || defaultTableName(source),
        mode: o.mode,
        force: true,
        skipValidation: o.skipValidation,
        batchSize: o.batchSize,
        actionsPerActivity: o.actionsPerActivity,
        runId: newRunId(),
      };
      let started = await timed(() => startImport(session, env, input));
      if (started.value.attached) {
        // A run left over from an interrupted benchmark: it belongs to a dead task queue.
        await started.value.handle.terminate('deltasql bench: stale run from an interrupted benchmark');
        started = await timed(() => startImport(session, env, input));
      }
      const handle = started.value.handle;
      const died = workerExited.then(async (why) => {
        await handle.terminate(`deltasql bench: ${why}`).catch(() => undefined);
        throw new Error(why);
      });
      died.catch(() => undefined); // normal worker shutdown after the import: nothing to report
      const { seconds, value } = await timed(() => Promise.race([awaitImport(started.value, null), died]));
      const activities = await activityTimings(started.value.handle).catch(() => ({}));
      return {
        seconds: started.seconds + seconds,
        result: value,
        actions: totalActions(value.counts),
        activities,
      };
    },
    close: () => connection.close(),
  };
}
