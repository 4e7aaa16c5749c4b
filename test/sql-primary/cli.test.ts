/**
 * The CLI on top of the API (in-process, SQLite, no Temporal): create, append (footer stats),
 * commit from NDJSON, publish, status showing mode / committed / published, and a typed error
 * with exit 1 and nothing written for bad input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../support/run-cli';
import { sqliteUrl, tempDir } from '../catalog/helpers';
import { makeParquetFiles, SCHEMA } from './helpers';

jest.setTimeout(60_000);

beforeAll(() => {
  // No publisher workflow from these commands: `deltasql publish` publishes.
  process.env.TEMPORAL_ADDRESS = '';
});

test('create, append, commit, publish, status; bad input exits 1 with InvalidAction', async () => {
  const dir = tempDir('deltasql-spcli-');
  const url = sqliteUrl(dir);
  const location = path.join(dir, 'tbl');
  const schemaFile = path.join(dir, 'schema.json');
  fs.writeFileSync(schemaFile, JSON.stringify(SCHEMA));
  const files = await makeParquetFiles(path.join(dir, 'src'), 2);
  const base = ['--catalog', url, '--table', 'tbl'];
  expect(
    (await runCli(['create', ...base, '--location', location, '--schema', schemaFile, '--json'])).code,
  ).toBe(0);
  const app = await runCli(['append', ...base, ...files.map((f) => f.path), '--copy', '--json']);
  expect(app.code).toBe(0);
  expect(JSON.parse(app.stdout)).toMatchObject({ version: 1, files: 2 });
  const actions = path.join(dir, 'actions.ndjson');
  fs.writeFileSync(
    actions,
    `${JSON.stringify({ add: { path: 'extra.parquet', size: 7, partitionValues: {} } })}\n`,
  );
  const c = await runCli(['commit', ...base, '--actions', actions, '--json']);
  expect(JSON.parse(c.stdout)).toMatchObject({ version: 2 });
  fs.writeFileSync(actions, `${JSON.stringify({ add: { path: 'bad.parquet', size: 7, oops: true } })}\n`);
  const bad = await runCli(['commit', ...base, '--actions', actions, '--json']);
  expect(bad.code).toBe(1);
  expect(JSON.parse(bad.stdout)).toMatchObject({ error: { type: 'InvalidAction' } });
  const pub = await runCli(['publish', ...base, '--json']);
  expect(JSON.parse(pub.stdout)).toMatchObject({ publishedVersion: 2, created: 3 });
  const st = await runCli(['status', '--catalog', url, '--table', 'tbl', '--format', 'json']);
  expect(JSON.parse(st.stdout).tables[0]).toMatchObject({
    mode: 'sql-primary',
    lastImportedVersion: 2,
    publishedVersion: 2,
    publishLagVersions: 0,
  });
  const human = await runCli(['status', '--catalog', url, '--table', 'tbl']);
  expect(human.stdout).toContain('mode:                  sql-primary (last committed 2, last published 2');
  // The published log carries footer stats for the appended files.
  const v1 = fs.readFileSync(path.join(location, '_delta_log', '00000000000000000001.json'), 'utf8');
  const add = JSON.parse(v1.split('\n')[1]) as { add: { stats: string } };
  expect(JSON.parse(add.add.stats)).toMatchObject({
    numRecords: 5,
    minValues: { id: 0 },
    maxValues: { id: 4 },
  });
});
