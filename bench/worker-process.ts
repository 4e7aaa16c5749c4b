/**
 * The import worker as a separate process (`node bin/deltasql.js worker`), exactly as deployed,
 * on a task queue of its own. Running it out of process lets the harness read the worker's own
 * peak RSS (VmHWM) and, optionally, write a V8 CPU profile of it (--cpu-prof) on clean exit.
 * Like a deployed worker it gets the catalog passwords through its own environment (`catalogs`):
 * the workflows carry the catalog URLs without them (common/credentials.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { workerPasswordEnv } from '../common/credentials';
import { peakRssMB } from './measure';

const READY_PATTERN = /deltasql worker polling/;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
const RSS_SAMPLE_MS = 200;
const STDERR_KEEP = 4000;

export interface WorkerProcess {
  pid: number;
  taskQueue: string;
  /** Peak RSS so far (VmHWM), in MB; after exit, the last value sampled. */
  peakRssMB(): number | null;
  /** Resolves with a description when the process exits (it should not, before stop()). */
  exited: Promise<string>;
  /** SIGINT (graceful shutdown; the CPU profile is written on exit); returns the exit code. */
  stop(): Promise<number | null>;
}

export async function startWorker(opts: {
  root: string;
  taskQueue: string;
  temporalAddress: string;
  cpuProfileDir?: string;
  /** Extra environment for the worker (e.g. DELTASQL_VALIDATE_RANGE_BYTES). */
  env?: Record<string, string>;
  /** Catalog URLs the worker opens: their passwords become its PGPASSWORD / MYSQL_PWD. */
  catalogs?: readonly string[];
}): Promise<WorkerProcess> {
  const nodeArgs = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, path.join(opts.root, 'bin', 'deltasql.js'), 'worker', '--task-queue', opts.taskQueue],
    {
      cwd: opts.root,
      env: {
        ...process.env,
        ...workerPasswordEnv(opts.catalogs ?? []),
        ...opts.env,
        TEMPORAL_ADDRESS: opts.temporalAddress,
        // Experiments with the worker's V8 limits (e.g. --max-old-space-size=400) without touching the harness.
        ...(process.env.DELTASQL_BENCH_WORKER_NODE_OPTIONS
          ? { NODE_OPTIONS: process.env.DELTASQL_BENCH_WORKER_NODE_OPTIONS }
          : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the import worker process');
  let stderr = '';
  // VmHWM disappears with the process: sample it so a crash still reports the peak it reached.
  let lastPeak: number | null = null;
  const sampler = setInterval(() => {
    lastPeak = peakRssMB(pid) ?? lastPeak;
  }, RSS_SAMPLE_MS);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      clearInterval(sampler);
      resolve(code ?? (signal ? -1 : null));
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready after ${READY_TIMEOUT_MS} ms: ${stderr}`)),
      READY_TIMEOUT_MS,
    );
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
      if (READY_PATTERN.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before polling: ${stderr}`));
    });
  });
  return {
    pid,
    taskQueue: opts.taskQueue,
    peakRssMB: () => (lastPeak = peakRssMB(pid) ?? lastPeak),
    exited: exited.then(
      (code) => `worker process ${pid} exited (${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
    ),
    async stop() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
