/**
 * SIGKILL the worker process in the middle of a long import, start a new one, and require the
 * final catalog to equal a clean import: every version present once, same rows, parity.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { awaitImport, startImport } from '../../client/import-client';
import { progressQuery } from '../../workflows';
import { TEMPORAL_ADDRESS } from '../support/env';
import { importInput, runImport, sessionOf } from '../support/import';
import { DeltaTable } from '../../delta/table';
import { integrationSuite } from '../support/suite';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'deltasql.js');
const VERSIONS = 200;

const suite = integrationSuite('crash');
const { tmp, open } = suite;

function startWorkerProcess(taskQueue: string): ChildProcess {
  if (!fs.existsSync(path.join(REPO, 'dist', 'client', 'cli.js')))
    throw new Error('run `npm run build` first (dist/ is missing)');
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--task-queue', taskQueue, '--shutdown-grace', '1s'],
    {
      env: { ...process.env, TEMPORAL_ADDRESS },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr?.resume(); // drain; the worker only logs its start line
  return child;
}

const exited = (c: ChildProcess): Promise<void> =>
  new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

test('a worker killed mid-import is replaced and the result equals a clean import', async () => {
  // (timeout: generating, two imports, a 10s sticky-queue timeout after the kill)
  const dir = path.join(tmp, 'table');
  await generateTable({
    dir,
    versions: VERSIONS,
    addsPerVersion: 8,
    removesPerVersion: 3,
    checkpointInterval: 50,
    seed: 11,
  });
  const crashedUrl = `sqlite:///${path.join(tmp, 'crashed.db')}`;
  const cleanUrl = `sqlite:///${path.join(tmp, 'clean.db')}`;
  // Small transactions and ranges make the import long enough to kill in the middle.
  const input = importInput(dir, crashedUrl, {
    name: 't',
    batchSize: 10,
    actionsPerActivity: 300,
    heartbeatTimeout: '3s',
  });

  const first = startWorkerProcess(suite.h.taskQueue);
  const started = await startImport(sessionOf(suite.h), suite.h.env, input);
  let seen = -1;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const p = await started.handle.query(progressQuery).catch(() => null);
    seen = p?.importedVersion ?? -1;
    if (seen >= 40) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  first.kill('SIGKILL');
  await exited(first);
  expect(seen).toBeGreaterThanOrEqual(40);
  expect(seen).toBeLessThan(VERSIONS - 1);
  const desc = await started.handle.describe();
  expect(desc.status.name).toBe('RUNNING');

  const second = startWorkerProcess(suite.h.taskQueue);
  try {
    const result = await awaitImport(started, null);
    expect(result.targetVersion).toBe(VERSIONS - 1);
    expect(result.validation?.passed).toBe(true);
  } finally {
    second.kill('SIGTERM');
    await exited(second);
  }

  await runImport(suite.h, importInput(dir, cleanUrl, { name: 't' }));
  const crashed = await open(crashedUrl);
  const clean = await open(cleanUrl);
  const [a, b] = [await crashed.findTable('t'), await clean.findTable('t')];
  expect([a?.firstVersion, a?.lastVersion]).toEqual([0, VERSIONS - 1]);
  expect([b?.firstVersion, b?.lastVersion]).toEqual([0, VERSIONS - 1]);
  for (let v = 0; v < VERSIONS; v++) {
    expect({ v, lines: await crashed.commitLines(a!.tableId, v) }).toEqual({
      v,
      lines: await clean.commitLines(b!.tableId, v),
    });
  }
  // Every version's rows are identical to the clean import's; spot-check snapshots against the log.
  const table = await DeltaTable.open(dir);
  for (const v of [0, 41, 99, 150, VERSIONS - 1]) {
    expect(await crashed.snapshot(a!.tableId, { version: v, includeFiles: true })).toEqual(
      await table.snapshot({ version: v }),
    );
  }
}, 240_000);
