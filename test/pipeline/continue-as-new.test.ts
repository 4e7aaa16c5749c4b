/**
 * Continue-as-new on a real dev server whose suggestion threshold is lowered to 60 history
 * events (`--dynamic-config-value limit.historyCount.suggestContinueAsNew=60`): the import must
 * hop across runs, carry its state, and still produce a catalog equal to the log.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { generateTable } from '../../bench/generator';
import { openCatalog } from '../../catalog/open';
import { readEnv } from '../../common/config';
import { awaitImport, startImport } from '../../client/import-client';
import { temporalBinary } from '../../workers/dev-server';
import { createImportWorker } from '../../workers/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { importInput } from '../support/import';
import { expectParityAtEveryVersion } from '../support/parity';
import { sharedWorkflowBundle } from '../support/workflow-bundle';

let env: TestWorkflowEnvironment;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-can-'));

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    /* installed by another suite in this worker */
  }
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary(readEnv()) },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
    },
  });
}, 120_000);

afterAll(async () => {
  await env?.teardown();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a long import continues as new and carries its progress', async () => {
  const dir = path.join(tmp, 'table');
  await generateTable({
    dir,
    versions: 120,
    addsPerVersion: 4,
    removesPerVersion: 1,
    checkpointInterval: 40,
    seed: 3,
  });
  const catalog = `sqlite:///${path.join(tmp, 'can.db')}`;
  const taskQueue = 'can-test';
  const cliEnv = { ...readEnv(), DELTASQL_TASK_QUEUE: taskQueue };
  // ~6 actions per version and 30 actions per activity: ranges of ~5 versions, ~24 activities.
  const input = importInput(dir, catalog, { name: 'can', actionsPerActivity: 30, batchSize: 10 });
  const session = {
    client: env.client,
    target: { address: '', started: false, embedded: false },
    runsWorker: false,
    withWorker: <T>(w: () => Promise<T>) => w(),
    close: async () => undefined,
  };
  const { worker, close } = await createImportWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundlePath: await sharedWorkflowBundle(),
  });
  const started = await startImport(session, cliEnv, input);
  const result = await worker.runUntil(awaitImport(started, null));
  await close();

  expect(result.continuedAsNew).toBeGreaterThanOrEqual(1);
  expect([result.startVersion, result.targetVersion, result.versionsImported]).toEqual([0, 119, 120]);
  expect(result.validation?.passed).toBe(true);
  // Several runs share the workflow id; the latest one completed.
  const desc = await started.handle.describe();
  expect(desc.status.name).toBe('COMPLETED');
  expect(started.firstRunId).not.toBeNull();
  expect(desc.runId).not.toBe(started.firstRunId);

  const store = await openCatalog(catalog);
  try {
    expect(await expectParityAtEveryVersion(store, (await store.findTable('can'))!.tableId, dir)).toBe(120);
    expect((await store.listRuns((await store.findTable('can'))!.tableId)).map((r) => r.status)).toEqual([
      'completed',
    ]);
  } finally {
    await store.close();
  }
}, 180_000);
