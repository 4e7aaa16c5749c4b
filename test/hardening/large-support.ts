/**
 * What the >600 MB tests share: a scratch folder in memory where there is one (the generated
 * tables are written and read once, and /dev/shm spares the disk), and work run against a fresh
 * worker process whose own peak RSS (VmHWM, sampled and read at the end) is the figure bounded.
 * That worker finds the catalog password in its own environment (test/faults/worker-process.ts):
 * the workflows carry the URL without it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { peakRssMB } from '../../bench/measure';
import { startWorkerProcess, type WorkerProcess } from '../faults/worker-process';
import type { IntegrationSuite } from '../support/suite';

/** How often the worker's peak RSS is sampled, besides the reading at the end. */
const RSS_SAMPLE_MS = 500;

let current: WorkerProcess | undefined;

export function largeScratchDir(prefix: string): string {
  const scratch = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(scratch, prefix));
}

/** Run `work` against a fresh worker process on the suite's task queue; its peak RSS and the time. */
export async function onFreshWorker(
  suite: IntegrationSuite,
  logName: string,
  work: () => Promise<void>,
): Promise<{ rssMB: number; seconds: number }> {
  const h = suite.h;
  const worker = await startWorkerProcess({
    taskQueue: h.taskQueue,
    env: { ...process.env, TEMPORAL_ADDRESS: h.env.TEMPORAL_ADDRESS },
    logFile: path.join(suite.tmp, `worker-${logName}.log`),
  });
  current = worker;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRssMB(worker.pid) ?? 0)), RSS_SAMPLE_MS);
  const t0 = Date.now();
  try {
    await work();
    peak = Math.max(peak, peakRssMB(worker.pid) ?? 0);
  } finally {
    clearInterval(sampler);
    await worker.stop();
    current = undefined;
  }
  return { rssMB: peak, seconds: (Date.now() - t0) / 1000 };
}

/** For afterAll: a worker still running (a test that timed out) is stopped. */
export async function stopFreshWorker(): Promise<void> {
  await current?.stop();
  current = undefined;
}
