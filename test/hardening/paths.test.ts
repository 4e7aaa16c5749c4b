/**
 * A remove spelled differently from its add (`x%20y` vs `x y`, `file:/abs` vs `/abs`) removes the
 * file, as Spark does, in the log reader and in the catalog (same batch and across batches), on
 * both engines. Plain paths keep their single, exact identity.
 */
import * as fs from 'node:fs';
import { openCatalog } from '../../catalog/open';
import { canonicalPath, pathSpellings } from '../../delta/path-canonical';
import { DeltaTable } from '../../delta/table';
import {
  collect,
  dropPgSchema,
  pgUrl,
  sqliteUrl,
  tempDir,
  uniqueSchema,
  writeCommit,
} from '../catalog/helpers';

const schema = uniqueSchema('paths');
const dir = tempDir('deltasql-paths-');
afterAll(async () => {
  await dropPgSchema(schema);
  fs.rmSync(dir, { recursive: true, force: true });
});

const add = (p: string): object => ({
  add: { path: p, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true },
});
const remove = (p: string): object => ({ remove: { path: p, deletionTimestamp: 2, dataChange: true } });

test('canonical spellings', () => {
  expect(canonicalPath('part-0.parquet')).toBe('part-0.parquet');
  expect(canonicalPath('x%20y.parquet')).toBe('x y.parquet');
  expect(canonicalPath('file:/data/t/a.parquet')).toBe('/data/t/a.parquet');
  expect(canonicalPath('file:///data/t/a.parquet')).toBe('/data/t/a.parquet');
  expect(canonicalPath('bad%zz.parquet')).toBe('bad%zz.parquet');
  expect(pathSpellings('part-0.parquet')).toEqual(['part-0.parquet']);
  expect(pathSpellings('x y.parquet')).toEqual(['x y.parquet', 'x%20y.parquet']);
});

test.each([
  ['sqlite, one batch', () => sqliteUrl(dir), 2],
  ['postgres, one version per batch', () => pgUrl(schema), 1],
])('%s: removes spelled differently remove their add', async (_n, url, slice) => {
  const root = tempDir('deltasql-pt-');
  writeCommit(root, 0, [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: 'p',
        format: { provider: 'parquet', options: {} },
        schemaString: '{"type":"struct","fields":[]}',
        partitionColumns: [],
        configuration: {},
      },
    },
    add('x%20y.parquet'),
    add('file:/data/t/abs.parquet'),
    add('keep%23me.parquet'),
  ]);
  writeCommit(root, 1, [remove('x y.parquet'), remove('/data/t/abs.parquet')]);
  const dt = await DeltaTable.open(root);
  expect((await dt.snapshot()).files?.map((f) => f.path)).toEqual(['keep%23me.parquet']);
  const store = await openCatalog(url());
  try {
    const t = await store.ensureTable({ location: root, name: `paths-${slice}` });
    const commits = await collect(dt.commits(0, 1));
    for (let i = 0; i < commits.length; i += slice)
      await store.writeVersions(t.tableId, commits.slice(i, i + slice));
    expect(await store.files(t.tableId, {})).toEqual(['keep%23me.parquet']);
    expect(await store.files(t.tableId, { version: 0 })).toHaveLength(3);
  } finally {
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
