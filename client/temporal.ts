/**
 * Connecting the CLI to Temporal: the configured TEMPORAL_ADDRESS, or the embedded default (a
 * local dev server started on demand plus an in-process worker).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import * as path from 'node:path';
import { payloadCodecs } from '../common/codec';
import { DeltaSqlError } from '../common/errors';
import type { DeltaSqlEnv } from '../common/config';
import { ensureTemporal, type TemporalTarget } from '../workers/dev-server';
import { createImportWorker, installQuietRuntime } from '../workers/worker';

export interface TemporalSession {
  client: Client;
  /** True when an in-process worker will run (embedded default, or --in-process-worker). */
  runsWorker?: boolean;
  target: TemporalTarget;
  /** Runs `work` with an in-process worker when embedded, plain otherwise. */
  withWorker<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openTemporal(
  env: DeltaSqlEnv,
  log: (line: string) => void,
  opts: { inProcessWorker?: boolean } = {},
): Promise<TemporalSession> {
  const target = await ensureTemporal(env, log);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: target.address, connectTimeout: 5000 });
  } catch (e) {
    throw new DeltaSqlError(
      'TemporalUnavailable',
      `cannot reach Temporal at ${target.address}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const client = new Client({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    dataConverter: { payloadCodecs: payloadCodecs() },
  });
  const runWorker = opts.inProcessWorker ?? target.embedded;
  return {
    client,
    target,
    runsWorker: runWorker,
    async withWorker<T>(work: () => Promise<T>): Promise<T> {
      if (!runWorker) return work();
      installQuietRuntime({ logFile: workerLogPath(env) });
      const native = await NativeConnection.connect({ address: target.address });
      const { worker, close } = await createImportWorker({
        connection: native,
        namespace: env.TEMPORAL_NAMESPACE,
        taskQueue: env.DELTASQL_TASK_QUEUE,
      });
      try {
        return await worker.runUntil(work());
      } finally {
        await close();
        await native.close();
      }
    },
    close: () => connection.close(),
  };
}

/** Where the CLI's in-process worker logs (never the terminal): DELTASQL_HOME/logs/worker.log. */
export function workerLogPath(env: DeltaSqlEnv): string {
  return path.resolve(env.DELTASQL_HOME, 'logs', 'worker.log');
}

/** Whether any worker polls the task queue for workflow tasks (used to warn before waiting forever). */
export async function hasWorkers(client: Client, namespace: string, taskQueue: string): Promise<boolean> {
  try {
    const r = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1,
    });
    return (r.pollers ?? []).length > 0;
  } catch {
    return true; // cannot tell: do not warn
  }
}
