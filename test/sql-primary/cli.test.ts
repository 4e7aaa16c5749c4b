/**
 * The CLI on top of the API (in-process, SQLite, no Temporal): create, append (footer stats),
 * commit from NDJSON, publish, status showing mode / committed / published, and a typed error
 * with exit 1 and nothing written for bad input. Then `diff` on the sql-primary table: 0 while the
 * log is only behind (publish lag), 2 once delta-rs has written a foreign commit into the log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runPython } from '../support/python';
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

  // diff: parity when published; an unpublished SQL commit is publish lag, still 0.
  const diff = async (): Promise<{ code: number; doc: Record<string, unknown> }> => {
    const r = await runCli(['diff', location, ...base, '--format', 'json']);
    return { code: r.code, doc: JSON.parse(r.stdout) as Record<string, unknown> };
  };
  expect(await diff()).toMatchObject({ code: 0, doc: { status: 'parity', foreignCommit: null } });
  fs.writeFileSync(
    actions,
    `${JSON.stringify({ add: { path: 'more.parquet', size: 9, partitionValues: {} } })}\n`,
  );
  expect(
    JSON.parse((await runCli(['commit', ...base, '--actions', actions, '--json'])).stdout),
  ).toMatchObject({
    version: 3,
  });
  expect(await diff()).toMatchObject({ code: 0, doc: { status: 'parity', foreignCommit: null } });
  // A file-based writer (delta-rs) appends to the log at the unpublished version 3.
  const written = await runPython<{ version: number }>(
    `
import json, sys, os, pyarrow as pa
from deltalake import write_deltalake, DeltaTable
a = json.load(sys.stdin)
write_deltalake(a['loc'], pa.table({'id': pa.array([1], pa.int64()), 'name': ['x'], 'score': [0.5]}), mode='append')
print(json.dumps({'version': DeltaTable(a['loc']).version()}), flush=True)
os._exit(0)
`,
    { loc: location },
  );
  expect(written.version).toBe(3);
  const v3 = path.join(location, '_delta_log', '00000000000000000003.json');
  const foreignBytes = fs.readFileSync(v3);
  const drift = await diff();
  expect(drift).toMatchObject({
    code: 2,
    doc: {
      status: 'drift',
      foreignCommit: {
        version: 3,
        reason: 'other-bytes',
        file: expect.stringContaining('00000000000000000003.json'),
      },
    },
  });
  const humanDiff = await runCli(['diff', location, ...base]);
  expect(humanDiff.code).toBe(2);
  expect(humanDiff.stdout).toContain('foreign commit');
  // The publisher refuses too, and the foreign file keeps its bytes.
  const refused = await runCli(['publish', ...base, '--json']);
  expect(refused.code).toBe(1);
  expect(JSON.parse(refused.stdout)).toMatchObject({ error: { type: 'ForeignCommit' } });
  expect(fs.readFileSync(v3).equals(foreignBytes)).toBe(true);
});
