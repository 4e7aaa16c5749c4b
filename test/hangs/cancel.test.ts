/**
 * Ctrl-C and `deltasql cancel`. Without a terminal, Ctrl-C (SIGINT) during an attached import
 * leaves the workflow running, prints its id and exits 130; `deltasql cancel <table>` then
 * cancels it cleanly: the running activity sees the cancellation through its heartbeat and
 * dl_import_runs records `cancelled`. The CLI runs as a child process (signals), the worker in
 * this test process; one version per activity keeps the import long enough to interrupt.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { openCatalog } from '../../catalog/open';
import { importWorkflowId } from '../../client/import-client';
import { progressQuery } from '../../workflows';
import { createImportWorker } from '../../workers/worker';
import { TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';
import { temporalHarness, type TemporalHarness } from '../support/temporal';
import { sharedWorkflowBundle } from '../support/workflow-bundle';

const REPO = path.resolve(__dirname, '..', '..');
let h: TemporalHarness;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-cancel-'));
const saved = { ...process.env };
const table = path.join(tmp, 'long_table');
const catalog = `sqlite:///${tmp}/c.db`;

beforeAll(async () => {
  h = await temporalHarness();
  process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = h.taskQueue;
  expect((await runCli(['generate', table, '--versions', '300', '--seed', '7'])).code).toBe(0);
  const w = await createImportWorker({
    connection: h.native,
    namespace: 'default',
    taskQueue: h.taskQueue,
    workflowBundlePath: await sharedWorkflowBundle(),
  });
  worker = w.worker;
  closeWorker = w.close;
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await closeWorker?.();
  process.env = saved;
  await h?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('Ctrl-C without a terminal detaches (exit 130, workflow id); deltasql cancel cancels cleanly', async () => {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(__dirname, 'ts-register.js'),
      path.join(REPO, 'client', 'cli.ts'),
      'import',
      table,
      '--catalog',
      catalog,
      '--actions-per-activity',
      '1',
      '--batch-size',
      '1',
    ],
    { cwd: tmp, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const id = importWorkflowId(catalog, 'long_table');
  const handle = h.client.workflow.getHandle(id);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const p = await handle.query(progressQuery).catch(() => null);
    if (p && p.importedVersion !== null && p.importedVersion >= 3) break;
    if (Date.now() > deadline) throw new Error(`the import did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toContain(`Started import workflow ${id}`);
  expect(stderr).toContain(`interrupted: workflow ${id} keeps running`);
  expect(stderr).toContain('deltasql cancel long_table --catalog');
  expect(stderr).not.toMatch(/version - of \?/);
  expect((await handle.describe()).status.name).toBe('RUNNING');

  const r = await runCli(['cancel', 'long_table', '--catalog', catalog, '--format', 'json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual([{ kind: 'import', workflowId: id, status: 'CANCELLED' }]);

  const store = await openCatalog(catalog);
  try {
    const t = await store.findTable('long_table');
    expect(t).not.toBeNull();
    const runs = await store.listRuns(t!.tableId);
    expect(runs.map((x) => x.status)).toEqual(['cancelled']);
    expect(t!.lastVersion).toBeLessThan(299); // stopped part-way, every version before it kept
  } finally {
    await store.close();
  }
  // Nothing left to cancel: one clear error.
  const again = await runCli(['cancel', 'long_table', '--catalog', catalog]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/^error: InvalidArgument: nothing is running for table "long_table"/);
}, 180_000);
