/**
 * Real Temporal for tests: a client and a native connection to the dev server that
 * scripts/test.sh started (TEMPORAL_ADDRESS), and an import worker on a per-test task queue.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { readEnv, type DeltaSqlEnv } from '../../common/config';
import { createImportWorker } from '../../workers/worker';
import { TEMPORAL_ADDRESS } from './env';
import { sharedWorkflowBundle } from './workflow-bundle';

let runtimeReady = false;
function quietRuntime(): void {
  if (runtimeReady) return;
  runtimeReady = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    /* already installed */
  }
}

export interface TemporalHarness {
  client: Client;
  native: NativeConnection;
  taskQueue: string;
  env: DeltaSqlEnv;
  /** Run `fn` while an in-process import worker polls the harness task queue. */
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function temporalHarness(address = TEMPORAL_ADDRESS): Promise<TemporalHarness> {
  quietRuntime();
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `test-${randomUUID()}`;
  const env = { ...readEnv(), TEMPORAL_ADDRESS: address, DELTASQL_TASK_QUEUE: taskQueue };
  return {
    client,
    native,
    taskQueue,
    env,
    async withWorker(fn) {
      const { worker, close } = await createImportWorker({
        connection: native,
        namespace: 'default',
        taskQueue,
        workflowBundlePath: await sharedWorkflowBundle(),
      });
      try {
        return await worker.runUntil(fn());
      } finally {
        await close();
      }
    },
    async close() {
      await connection.close();
      await native.close();
    },
  };
}
