/**
 * The import workflow end to end on the real Temporal dev server, into real SQLite and
 * PostgreSQL: parity at every version, both modes, resume, audit rows, typed failures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { Worker } from '@temporalio/worker';
import { generateTable, writeCommits } from '../../bench/generator';
import { DeltaSqlError } from '../../common/errors';
import { copyFixture, fixture, PG_URL } from '../support/env';
import { createBucket, uploadTable, useMotoEnv } from '../support/s3';
import { expectParityAtEveryVersion } from '../support/parity';
import { integrationSuite } from '../support/suite';
import { importInput, runImport, sessionOf } from '../support/import';
import { awaitImport, startImport } from '../../client/import-client';

const FIXTURES = [
  'delta-rs/simple_table_with_checkpoint',
  'delta-rs/checkpoint-v2-table',
  'delta-rs/table-with-dv-small',
  'golden/data-reader-escaped-chars',
  'delta-rs/checkpoints_vacuumed',
];

const suite = integrationSuite('pipeline');
const { tmp, open } = suite;
const pgSchema = `pipeline_${process.pid}`;
const pgCatalog = `${PG_URL}?schema=${pgSchema}`;
const sqliteCatalog = (name: string): string => `sqlite:///${path.join(tmp, name)}`;

afterAll(async () => {
  const pg = new PgClient({ connectionString: PG_URL });
  await pg.connect();
  await pg.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
  await pg.end();
});

describe.each([
  ['sqlite', () => sqliteCatalog('modes.db')],
  ['postgres', () => pgCatalog],
])('import into %s', (_engine, catalogUrl) => {
  test.each(
    FIXTURES.flatMap(
      (f) =>
        [
          [f, 'full-history'],
          [f, 'checkpoint-only'],
        ] as const,
    ),
  )('%s (%s): parity at every imported version', async (rel, mode) => {
    const name = `${rel}:${mode}`;
    const result = await runImport(suite.h, importInput(fixture(rel), catalogUrl(), { mode, name }));
    expect(result.validation?.passed).toBe(true);
    const store = await open(catalogUrl());
    const row = await store.findTable(name);
    expect(row?.lastVersion).toBe(result.targetVersion);
    if (mode === 'checkpoint-only' && row?.baselineVersion !== null)
      expect(row?.firstVersion).toBe(row?.baselineVersion);
    const checked = await expectParityAtEveryVersion(store, row!.tableId, fixture(rel));
    expect(checked).toBe(result.targetVersion - row!.firstVersion! + 1);
    const runs = await store.listRuns(row!.tableId);
    expect(runs[0]).toMatchObject({
      status: 'completed',
      workflowId: result.workflowId,
      validation: 'PASSED',
    });
  });
});

test('checkpoint-only starts at the newest checkpoint and says so; full-history replays from 0', async () => {
  const rel = 'delta-rs/simple_table_with_checkpoint';
  const cat = sqliteCatalog('baseline.db');
  const cp = await runImport(
    suite.h,
    importInput(fixture(rel), cat, { mode: 'checkpoint-only', name: 'cp' }),
  );
  expect(cp.startVersion).toBe(10);
  expect(cp.notes.join('\n')).toMatch(/checkpoint 10/);
  const full = await runImport(suite.h, importInput(fixture(rel), cat, { name: 'full' }));
  expect(full.startVersion).toBe(0);
  expect(full.versionsImported).toBe(full.targetVersion + 1);
});

test('a vacuumed log is imported from its oldest checkpoint in full-history mode, with a note', async () => {
  const r = await runImport(
    suite.h,
    importInput(fixture('delta-rs/checkpoints_vacuumed'), sqliteCatalog('vacuumed.db'), { name: 'v' }),
  );
  expect(r.startVersion).toBeGreaterThan(0);
  expect(r.notes.join('\n')).toMatch(/cleaned up/);
});

test('--up-to-version, then resume after new commits were appended', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'gen-'));
  await generateTable({
    dir,
    versions: 40,
    addsPerVersion: 5,
    removesPerVersion: 1,
    checkpointInterval: 15,
    seed: 7,
  });
  const cat = sqliteCatalog('resume.db');
  const first = await runImport(suite.h, importInput(dir, cat, { upToVersion: 20 }));
  expect([first.startVersion, first.targetVersion, first.versionsImported]).toEqual([0, 20, 21]);
  const second = await runImport(suite.h, importInput(dir, cat));
  expect([second.startVersion, second.targetVersion, second.versionsImported]).toEqual([21, 39, 19]);
  await writeCommits(dir, 40, 10, {
    seed: 7,
    addsPerVersion: 5,
    removesPerVersion: 1,
    checkpointInterval: 15,
  });
  const third = await runImport(suite.h, importInput(dir, cat));
  expect([third.startVersion, third.targetVersion, third.versionsImported]).toEqual([40, 49, 10]);
  const store = await open(cat);
  const row = await store.findTable(third.tableId);
  expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(50);
  expect((await store.listRuns(row!.tableId)).map((r) => r.status)).toEqual([
    'completed',
    'completed',
    'completed',
  ]);
});

test('a corrupt commit fails the workflow with CorruptCommit naming the file; earlier versions stay intact', async () => {
  const dir = copyFixture('delta-rs/simple_table');
  const bad = path.join(dir, '_delta_log', '00000000000000000003.json');
  fs.appendFileSync(bad, '{"add": {"path": "x", "size": \n');
  const cat = sqliteCatalog('corrupt.db');
  const err = await runImport(suite.h, importInput(dir, cat, { name: 'corrupt', batchSize: 1 })).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeltaSqlError);
  expect((err as DeltaSqlError).type).toBe('CorruptCommit');
  expect((err as DeltaSqlError).message).toContain('00000000000000000003.json');
  const store = await open(cat);
  const row = await store.findTable('corrupt');
  expect(row?.lastVersion).toBe(2);
  // versions 0..2 still match the (untouched) original log
  expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(3);
  expect((await store.listRuns(row!.tableId))[0]).toMatchObject({ status: 'failed' });
});

test('--force drops and re-imports', async () => {
  const rel = 'delta-rs/simple_table';
  const cat = sqliteCatalog('force.db');
  await runImport(suite.h, importInput(fixture(rel), cat, { name: 'f' }));
  const again = await runImport(suite.h, importInput(fixture(rel), cat, { name: 'f', force: true }));
  expect(again.startVersion).toBe(0);
  expect(again.versionsImported).toBe(again.targetVersion + 1);
});

test('a second import of the same table attaches to the running workflow: never two writers', async () => {
  const cat = sqliteCatalog('attach.db');
  const a = await startImport(
    sessionOf(suite.h),
    suite.h.env,
    importInput(fixture('delta-rs/simple_table'), cat, { name: 'same' }),
  );
  const b = await startImport(
    sessionOf(suite.h),
    suite.h.env,
    importInput(fixture('delta-rs/simple_table'), cat, { name: 'same' }),
  );
  expect(a.attached).toBe(false);
  expect(b.attached).toBe(true);
  expect(b.workflowId).toBe(a.workflowId);
  const [ra, rb] = await suite.h.withWorker(() => Promise.all([awaitImport(a, null), awaitImport(b, null)]));
  expect(rb).toEqual(ra);
  const store = await open(cat);
  expect(await store.listRuns(ra.tableId)).toHaveLength(1);
});

test('imports from s3:// (moto) with the real SDK: parity at every version', async () => {
  useMotoEnv();
  const bucket = `deltasql-import-${process.pid}`;
  await createBucket(bucket);
  const uri = await uploadTable(fixture('delta-rs/checkpoint-v2-table'), bucket, 'lake/events');
  const cat = sqliteCatalog('s3.db');
  const r = await runImport(suite.h, importInput(uri, cat));
  expect(r.name).toBe('events');
  expect(r.validation?.passed).toBe(true);
  const store = await open(cat);
  expect(await expectParityAtEveryVersion(store, r.tableId, uri)).toBe(r.targetVersion + 1);
});

test('the recorded workflow history replays deterministically against the current workflow code', async () => {
  const r = await runImport(
    suite.h,
    importInput(fixture('delta-rs/simple_table_with_checkpoint'), sqliteCatalog('replay.db'), {
      name: 'replay',
      mode: 'checkpoint-only',
    }),
  );
  const history = await suite.h.client.workflow.getHandle(r.workflowId).fetchHistory();
  await expect(
    Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, r.workflowId),
  ).resolves.toBeUndefined();
});

test('resuming after log cleanup removed the next commits fails fast with LogTruncated and says how to recover', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'trunc-'));
  await generateTable({
    dir,
    versions: 30,
    addsPerVersion: 3,
    removesPerVersion: 1,
    checkpointInterval: 20,
    seed: 5,
  });
  const cat = sqliteCatalog('trunc.db');
  await runImport(suite.h, importInput(dir, cat, { name: 'trunc', upToVersion: 12 }));
  for (const v of [13, 14, 15])
    fs.rmSync(path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`));
  const t0 = Date.now();
  const err = await runImport(suite.h, importInput(dir, cat, { name: 'trunc' })).then(
    () => null,
    (e: unknown) => e,
  );
  // Not retried: a retryable failure would back off for minutes. The bound is loose on purpose
  // (a loaded 2-core CI machine took 22 s for the two imports' worth of startup).
  expect(Date.now() - t0).toBeLessThan(60_000);
  expect((err as DeltaSqlError).type).toBe('LogTruncated');
  expect((err as DeltaSqlError).message).toMatch(/00000000000000000013\.json.*--mode checkpoint-only/s);
  const store = await open(cat);
  expect((await store.findTable('trunc'))?.lastVersion).toBe(12);
});
