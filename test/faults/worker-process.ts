/**
 * The import worker as its own process (`node bin/deltasql.js worker`, as deployed), so the suite
 * can SIGKILL it. Its stderr goes to a log file (kept for the post-mortem of a failed run).
 * Like a deployed worker it has the catalog passwords in its own environment (PGPASSWORD and
 * MYSQL_PWD of the test services): the workflows it runs carry the catalog URLs without them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { workerPasswordEnv } from '../../common/credentials';
import { MYSQL_URL, PG_URL } from '../support/env';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'deltasql.js');
const READY = /deltasql worker polling/;
/** Generous: on a 2-core box at load ~25 (other sessions building dist/) a start took > 60 s. */
const READY_TIMEOUT_MS = 150_000;
const EXIT_TIMEOUT_MS = 20_000;

export interface WorkerProcess {
  readonly pid: number;
  /** False once the process has exited (killed, or on its own). */
  alive(): boolean;
  /** SIGKILL, then wait (bounded) for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after the bounded wait. */
  stop(): Promise<void>;
}

export async function startWorkerProcess(opts: {
  taskQueue: string;
  /** The worker's environment; its own PGPASSWORD / MYSQL_PWD win over the test services'. */
  env: NodeJS.ProcessEnv;
  logFile: string;
}): Promise<WorkerProcess> {
  if (!fs.existsSync(path.join(REPO, 'dist', 'client', 'cli.js')))
    throw new Error('run `npm run build` first (dist/ is missing)');
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'worker', '--task-queue', opts.taskQueue, '--shutdown-grace', '1s'],
    {
      cwd: REPO,
      env: { ...workerPasswordEnv([PG_URL, MYSQL_URL]), ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the worker');
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a late starter polling behind a failed start
      reject(new Error(`worker ${pid} not polling after ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      fs.appendFileSync(opts.logFile, chunk);
      if (!ready && READY.test(chunk.toString())) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`worker ${pid} exited before polling (log ${opts.logFile})`));
    });
  });
  const waitExit = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, EXIT_TIMEOUT_MS)))]);
    clearTimeout(timer);
  };
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    pid,
    alive,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await waitExit();
    },
    async stop() {
      if (alive()) child.kill('SIGTERM');
      await waitExit();
      if (alive()) child.kill('SIGKILL');
      await waitExit();
    },
  };
}
