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
import { payloadCodecs } from '../common/codec';
import { logToFile } from '../common/logger';

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
  /** A workflow bundle built from the current sources (tests share one instead of bundling per worker). */
  workflowBundlePath?: string;
}

let runtimeInstalled = false;
const logFile: { path: string | null; entries: number } = { path: null, entries: 0 };

/**
 * Keep the SDK's own logging quiet on the CLI unless asked for. With `logFile` (the CLI's
 * in-process worker) the worker's log entries go to that file, never to the user's terminal, and
 * the CLI handles Ctrl-C itself instead of the SDK shutting the worker down.
 */
export function installQuietRuntime(opts: { logFile?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = process.env.DELTASQL_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN';
  try {
    if (opts.logFile) {
      fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
      logFile.path = opts.logFile;
      logToFile(opts.logFile);
      const file = opts.logFile;
      Runtime.install({
        logger: new DefaultLogger(level, (e) => {
          logFile.entries++;
          const line = {
            time: new Date(Number(e.timestampNanos / 1_000_000n)).toISOString(),
            level: e.level,
            message: e.message,
            ...e.meta,
          };
          fs.appendFileSync(file, JSON.stringify(line) + '\n');
        }),
        shutdownSignals: [],
      });
    } else {
      Runtime.install({ logger: new DefaultLogger(level) });
    }
  } catch {
    /* a runtime already exists (tests create one): keep it */
  }
}

/** The in-process worker's log file and how many entries it received, when there is one. */
export function workerLog(): { path: string; entries: number } | null {
  return logFile.path === null ? null : { path: logFile.path, entries: logFile.entries };
}

export async function createImportWorker(
  opts: ImportWorkerOptions,
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const owned = opts.deps ? null : defaultDeps();
  const deps = opts.deps ?? owned!;
  const bundle = opts.workflowBundlePath ?? WORKFLOW_BUNDLE_PATH;
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = fs.existsSync(bundle)
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath: require.resolve('../workflows') };
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...workflowSource,
    activities: createActivities(deps),
    dataConverter: { payloadCodecs: payloadCodecs() },
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 4,
    maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions ?? 40,
    shutdownGraceTime: (opts.shutdownGraceTime ?? '30s') as WorkerOptions['shutdownGraceTime'],
  });
  return { worker, close: async () => owned?.close() };
}
