/**
 * A remove spelled differently from its add (`x%20y` vs `x y`, `file:/abs` vs `/abs`, an absolute
 * URI under the table root vs the relative path) removes the file, as Spark does, in the log
 * reader and in the catalog (same batch and across batches), on both engines, and the import
 * notes say so. Plain paths keep their single, exact identity.
 */
import * as fs from 'node:fs';
import { openCatalog } from '../../catalog/open';
import { canonicalPath, pathSpellings } from '../../delta/path-canonical';
import { DeltaTable } from '../../delta/table';
import { importInput, runImport } from '../support/import';
import { integrationSuite } from '../support/suite';
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

test('canonical spellings relative to the table root', () => {
  expect(canonicalPath('file:/data/t/a%20b.parquet', '/data/t')).toBe('a b.parquet');
  expect(canonicalPath('file:///data/t/p=1/a.parquet', '/data/t/')).toBe('p=1/a.parquet');
  expect(canonicalPath('s3a://bkt/t/a.parquet', 's3://bkt/t')).toBe('a.parquet');
  expect(canonicalPath('s3://bkt/t2/a.parquet', 's3://bkt/t')).toBe('s3://bkt/t2/a.parquet');
  expect(canonicalPath('/data/other/a.parquet', '/data/t')).toBe('/data/other/a.parquet');
  expect(canonicalPath('a.parquet', '/data/t')).toBe('a.parquet');
  expect(pathSpellings('s3://bkt/t/x%20y.parquet', 's3://bkt/t')).toEqual(
    expect.arrayContaining(['s3://bkt/t/x%20y.parquet', 'x y.parquet', 'x%20y.parquet']),
  );
  expect(pathSpellings('a.parquet', '/data/t')).toEqual(['a.parquet']);
});

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
    add('rel%20a.parquet'),
  ]);
  // The table root's own absolute URI for a relative add (older delta-rs wrote removes so).
  writeCommit(root, 1, [
    remove('x y.parquet'),
    remove('/data/t/abs.parquet'),
    remove(`file://${root}/rel a.parquet`),
  ]);
  const dt = await DeltaTable.open(root);
  expect((await dt.snapshot()).files?.map((f) => f.path)).toEqual(['keep%23me.parquet']);
  const store = await openCatalog(url());
  try {
    const t = await store.ensureTable({ location: root, name: `paths-${slice}` });
    const commits = await collect(dt.commits(0, 1));
    for (let i = 0; i < commits.length; i += slice)
      await store.writeVersions(t.tableId, commits.slice(i, i + slice));
    expect(await store.files(t.tableId, {})).toEqual(['keep%23me.parquet']);
    expect(await store.files(t.tableId, { version: 0 })).toHaveLength(4);
  } finally {
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('an add written as an absolute URI under the root, removed by its relative path (one batch)', async () => {
  const root = tempDir('deltasql-pt-abs-');
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
    add(`file:${root}/p=1/x.parquet`),
    add('y.parquet'),
  ]);
  writeCommit(root, 1, [remove('p=1/x.parquet')]);
  const dt = await DeltaTable.open(root);
  expect((await dt.snapshot()).files?.map((f) => f.path)).toEqual(['y.parquet']);
  const store = await openCatalog(sqliteUrl(dir, 'abs.db'));
  try {
    const t = await store.ensureTable({ location: root, name: 'paths-abs' });
    await store.writeVersions(t.tableId, await collect(dt.commits(0, 1)));
    expect(await store.files(t.tableId, {})).toEqual(['y.parquet']);
  } finally {
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

describe('import notes', () => {
  const suite = integrationSuite('paths-notes');
  // The import's writer itself counts the mismatches (no replay of the history; validation is
  // skipped in two cases to prove it): in one batch (in memory), and across batches (the removed
  // row's stored spelling, asked of the database), on both engines. dl_import_runs keeps the note.
  test.each([
    ['sqlite, one version per batch', () => sqliteUrl(suite.tmp, 'notes.db'), 1, false],
    ['postgres, one version per batch', () => pgUrl(schema), 1, true],
    ['postgres, one batch', () => pgUrl(schema), 1000, true],
  ])(
    '%s: the import removes the files and its notes name the mismatched spellings',
    async (engine, url, batchSize, skipValidation) => {
      const root = tempDir(`deltasql-pt-notes-`);
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
        add('a%20b.parquet'),
        add('c.parquet'),
        add('keep.parquet'),
        add('same%20spelling.parquet'),
      ]);
      writeCommit(root, 1, [remove('a b.parquet')]);
      writeCommit(root, 2, [remove(`file://${root}/c.parquet`), remove('same%20spelling.parquet')]);
      const input = importInput(root, url(), {
        name: `paths-notes-${engine.replace(/\W+/g, '-')}`,
        batchSize,
        actionsPerActivity: batchSize,
        skipValidation,
      });
      try {
        const r = await runImport(suite.h, input);
        if (!skipValidation) expect(r.validation?.passed).toBe(true);
        const store = await suite.open(url());
        const t = await store.findTable(input.name);
        expect(await store.files(t!.tableId, {})).toEqual(['keep.parquet']);
        const notes = r.notes.filter((n) => n.includes('another URI spelling'));
        expect(notes).toEqual([
          `2 remove(s) named their file in another URI spelling than its add, matched as Spark does (remove "a b.parquet" for add "a%20b.parquet"; remove "file://${root}/c.parquet" for add "c.parquet")`,
        ]);
        const [run] = await store.listRuns(t!.tableId);
        expect(run.notes?.split('\n')).toContain(notes[0]);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  );
});
