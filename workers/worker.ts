/**
 * The import worker: registers the workflows and the activity set on one task queue. Production
 * uses the prebuilt workflow bundle (dist/workflow-bundle.js, made by `npm run build`) so start-up
 * does not run webpack; tests and ts sources fall back to bundling `workflowsPath` on the fly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { defaultDeps } from '../activities/deps';

export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '..', 'workflow-bundle.js');

export interface ImportWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps?: ActivityDeps;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** How long in-flight activities may finish after SIGTERM/SIGINT before they are cancelled. */
  shutdownGraceTime?: string;
}

let runtimeInstalled = false;

/** Keep the SDK's own logging quiet on the CLI unless asked for. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger(process.env.DELTASQL_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN'),
    });
  } catch {
    /* a runtime already exists (tests create one): keep it */
  }
}

export async function createImportWorker(
  opts: ImportWorkerOptions,
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const owned = opts.deps ? null : defaultDeps();
  const deps = opts.deps ?? owned!;
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = fs.existsSync(
    WORKFLOW_BUNDLE_PATH,
  )
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: require.resolve('../workflows') };
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...workflowSource,
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 4,
    maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions ?? 40,
    shutdownGraceTime: (opts.shutdownGraceTime ?? '30s') as WorkerOptions['shutdownGraceTime'],
  });
  return { worker, close: async () => owned?.close() };
}
