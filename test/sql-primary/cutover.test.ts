/**
 * Real Temporal (dev server, in-process worker on a private queue): an imported fixture is cut
 * over, appended to through SQL (each commit signals the publisher workflow), and delta-rs sees
 * the new versions; rollback drains it, delta-rs appends with write_deltalake, and a sync brings
 * that commit in with the catalog equal to the log at every version. Also: a foreign commit stops
 * the publisher with ForeignCommit and overwrites nothing; publishing to S3 (moto).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCatalog, type Catalog } from '../../api';
import { addActionsFor } from '../../catalog/commit/append';
import { createTable } from '../../catalog/commit/create';
import { publishPending } from '../../catalog/commit/publish';
import { cutover } from '../../client/commands/cutover';
import { rollback } from '../../client/commands/rollback';
import { DeltaTable } from '../../delta/table';
import { compareTable } from '../../parity/compare';
import { openStore } from '../../storage/uri';
import { copyFixture } from '../support/env';
import { importInput, runImport } from '../support/import';
import { runPython } from '../support/python';
import { createBucket, useMotoEnv } from '../support/s3';
import { integrationSuite } from '../support/suite';
import { sqliteUrl, tempDir } from '../catalog/helpers';
import { deltaRsVersions, expectSameStateAtEveryVersion, makeParquetFiles, SCHEMA } from './helpers';

jest.setTimeout(180_000);
const suite = integrationSuite('sqlprim-cut');

async function openApi(url: string): Promise<Catalog> {
  const h = suite.h;
  return openCatalog(url, {
    temporal: { address: h.env.TEMPORAL_ADDRESS ?? '', namespace: 'default', taskQueue: h.taskQueue },
  });
}

async function waitPublished(cat: Catalog, table: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await (await cat.table(table)).state();
    if (s.publishedVersion === s.lastVersion) return;
    if (Date.now() > deadline)
      throw new Error(`${table}: published ${s.publishedVersion} of ${s.lastVersion}`);
    await sleep(100);
  }
}

test('cutover an imported fixture, append through SQL, roll back, append with delta-rs, sync: diff 0', async () => {
  const h = suite.h;
  const location = copyFixture('delta-rs/simple_table');
  const url = sqliteUrl(tempDir());
  const imported = await runImport(h, importInput(location, url, { name: 'simple' }));
  expect(imported.targetVersion).toBe(4);
  const files = await makeParquetFiles(path.join(location, 'sqlwrites'), 3, 4, 'w', true);
  const cat = await openApi(url);
  try {
    await h.withWorker(async () => {
      // A mirror table refuses SQL commits until it is cut over.
      await expect(
        (await cat.table('simple')).commit({
          readVersion: 4,
          actions: [{ add: { path: 'x.parquet', size: 1 } }],
        }),
      ).rejects.toMatchObject({ type: 'TableNotSqlPrimary' });
      const c = await cutover(cat.store, h.client, h.env, h.env.TEMPORAL_ADDRESS ?? '', url, 'simple');
      expect(c).toMatchObject({ mode: 'sql-primary', lastVersion: 4 });
      // Imports now refuse to write into it.
      const t = await cat.table('simple');
      for (const [i, f] of files.entries()) {
        const actions = await addActionsFor(openStore(location), location, [f.path], {
          partitionColumns: [],
        });
        expect((await t.commit({ readVersion: 4 + i, actions })).version).toBe(5 + i);
      }
      await waitPublished(cat, 'simple');
      const r = await rollback(cat.store, h.client, url, 'simple');
      expect(r).toMatchObject({ mode: 'mirror', lastVersion: 7 });
    });
    const rs = await deltaRsVersions(location, [4, 7]);
    const base = rs[0].ids;
    expect(rs[1].ids).toEqual([...base, ...files.flatMap((f) => f.ids)].sort((a, b) => a - b));
    // A file-based writer takes over: delta-rs appends version 8.
    const written = await runPython<{ version: number }>(
      `
import json, sys, pyarrow as pa
from deltalake import DeltaTable, write_deltalake
a = json.load(sys.stdin)
write_deltalake(a['loc'], pa.table({'id': pa.array([9001, 9002], pa.int64())}), mode='append')
print(json.dumps({'version': DeltaTable(a['loc']).version()}))
`,
      { loc: location },
    );
    expect(written.version).toBe(8);
    const synced = await runImport(h, importInput(location, url, { name: 'simple' }));
    expect(synced.targetVersion).toBe(8);
    expect(await expectSameStateAtEveryVersion(cat.store, 'simple', location)).toBe(9);
    const diff = await compareTable(await DeltaTable.open(location), cat.store, 'simple', {
      allVersions: true,
    });
    expect(diff.exitCode).toBe(0);
  } finally {
    await cat.close();
  }
});

test('a foreign commit at an unpublished version stops publishing with ForeignCommit; nothing is overwritten', async () => {
  const url = sqliteUrl(tempDir());
  const location = path.join(tempDir('deltasql-foreign-'), 't');
  fs.mkdirSync(location);
  const cat = await openCatalog(url, { temporal: null });
  try {
    const objects = openStore(location);
    await createTable(cat.store.driver, objects, { name: 'f', location, schema: SCHEMA });
    await publishPending(cat.store.driver, objects, 'f');
    const t = await cat.table('f');
    await t.commit({ readVersion: 0, actions: [{ add: { path: 'a.parquet', size: 10 } }] });
    const foreign =
      '{"commitInfo":{"operation":"WRITE"}}\n{"add":{"path":"other.parquet","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}\n';
    const file = path.join(location, '_delta_log', '00000000000000000001.json');
    fs.writeFileSync(file, foreign);
    await expect(publishPending(cat.store.driver, objects, 'f')).rejects.toMatchObject({
      type: 'ForeignCommit',
      message: expect.stringContaining('00000000000000000001.json'),
    });
    expect(fs.readFileSync(file, 'utf8')).toBe(foreign);
    expect(await t.state()).toMatchObject({
      publishedVersion: 0,
      publishError: expect.stringContaining('ForeignCommit'),
    });
  } finally {
    await cat.close();
  }
});

test('S3 (moto): the publisher workflow publishes commits to s3://; delta-rs reads them there', async () => {
  const h = suite.h;
  useMotoEnv();
  const bucket = `sqlprim-${Date.now()}`;
  await createBucket(bucket);
  const location = `s3://${bucket}/events`;
  const url = sqliteUrl(tempDir());
  const files = await makeParquetFiles(tempDir('deltasql-s3src-'), 3);
  const cat = await openApi(url);
  try {
    await h.withWorker(async () => {
      await createTable(cat.store.driver, openStore(location), { name: 's3t', location, schema: SCHEMA });
      await cat.notifyPublisher('s3t');
      const t = await cat.table('s3t');
      for (const [i, f] of files.entries()) {
        const actions = await addActionsFor(openStore(location), location, [f.path], {
          copy: true,
          partitionColumns: [],
        });
        await t.commit({ readVersion: i, actions });
      }
      await waitPublished(cat, 's3t');
    });
    const rs = await deltaRsVersions(location, [3], {
      AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL_S3 ?? '',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_ALLOW_HTTP: 'true',
      AWS_S3_ALLOW_UNSAFE_RENAME: 'true',
    });
    expect(rs[0].ids).toEqual(files.flatMap((f) => f.ids).sort((a, b) => a - b));
    expect(rs[0].files).toHaveLength(3);
  } finally {
    await cat.close();
  }
});
