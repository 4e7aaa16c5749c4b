/**
 * Reader table features and the checkpoint's required actions: an unknown reader feature, a
 * catalog-managed table or a reader version above 3 is UnsupportedFeature naming it (snapshot
 * and the import's commit reader); a checkpoint without protocol / metaData is MissingProtocol /
 * MissingMetadata in the reader and in a checkpoint-first catalog load (nothing written).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { commitPath } from '../../delta/log-path';
import { DeltaTable } from '../../delta/table';
import { checkedCheckpoint, SUPPORTED_READER_FEATURES } from '../../delta/table-features';
import { fixture } from '../support/env';
import { collect, sqliteUrl, tempDir } from '../catalog/helpers';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const META = {
  metaData: {
    id: 'm',
    format: { provider: 'parquet', options: {} },
    schemaString: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    configuration: {},
  },
};
const add = (p: string): object => ({
  add: { path: p, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true },
});

function table(protocol: object, extra: object[][] = []): string {
  const root = tempDir('deltasql-feat-');
  dirs.push(root);
  fs.mkdirSync(path.join(root, '_delta_log'));
  const versions = [[{ protocol }, META, add('a')], ...extra];
  versions.forEach((lines, v) =>
    fs.writeFileSync(path.join(root, commitPath(v)), lines.map((l) => JSON.stringify(l)).join('\n') + '\n'),
  );
  return root;
}

const v3 = (features: string[]): object => ({
  minReaderVersion: 3,
  minWriterVersion: 7,
  readerFeatures: features,
  writerFeatures: features,
});

async function failure(p: Promise<unknown>): Promise<{ type?: string; message?: string }> {
  return p.then(
    () => ({}),
    (e: { type?: string; message?: string }) => e,
  );
}

test.each([
  ['catalogManaged', v3(['deletionVectors', 'catalogManaged']), 'reader feature "catalogManaged"'],
  ['an unknown feature', v3(['deletionVectors', 'fancyNewThing']), 'reader feature "fancyNewThing"'],
  ['reader version 4', { minReaderVersion: 4, minWriterVersion: 7 }, 'minReaderVersion 4'],
])('%s: snapshot and commits() refuse with UnsupportedFeature naming it', async (_n, protocol, named) => {
  const root = table(protocol);
  const dt = await DeltaTable.open(root);
  for (const read of [() => dt.snapshot(), () => collect(dt.commits(0, 0))]) {
    const e = await failure(read());
    expect(e.type).toBe('UnsupportedFeature');
    expect(e.message).toContain(named);
  }
});

test('a later protocol upgrade to catalogManaged is refused at that version; earlier versions read', async () => {
  const root = table(v3(['deletionVectors']), [
    [add('b')],
    [{ protocol: v3(['deletionVectors', 'catalogManaged']) }],
  ]);
  const dt = await DeltaTable.open(root);
  expect((await dt.snapshot({ version: 1 })).version).toBe(1);
  expect(await failure(dt.snapshot({ version: 2 }))).toMatchObject({ type: 'UnsupportedFeature' });
  expect(await collect(dt.commits(0, 1))).toHaveLength(2);
  expect(await failure(collect(dt.commits(0, 2)))).toMatchObject({ type: 'UnsupportedFeature' });
});

test('every supported reader feature reads; readerFeatures below reader version 3 are ignored', async () => {
  expect(SUPPORTED_READER_FEATURES).toEqual(
    expect.arrayContaining(['deletionVectors', 'v2Checkpoint', 'columnMapping']),
  );
  const all = await DeltaTable.open(table(v3(SUPPORTED_READER_FEATURES)));
  expect((await all.snapshot()).version).toBe(0);
  const v2 = await DeltaTable.open(
    table({ minReaderVersion: 2, minWriterVersion: 5, readerFeatures: ['catalogManaged'] }),
  );
  expect((await v2.snapshot()).version).toBe(0);
});

test('the fixture with reader version 5 and an unknown feature is UnsupportedFeature', async () => {
  const dt = await DeltaTable.open(fixture('delta-rs/simple_table_features'));
  expect(await failure(dt.snapshot())).toMatchObject({ type: 'UnsupportedFeature' });
});

/** A table whose version 1 has a V2 JSON checkpoint holding `lines` (and no commit 0, so it must be used). */
function checkpointTable(lines: object[]): string {
  const root = tempDir('deltasql-cp-');
  dirs.push(root);
  fs.mkdirSync(path.join(root, '_delta_log'));
  const cp = path.join(
    root,
    '_delta_log',
    `${'1'.padStart(20, '0')}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json`,
  );
  fs.writeFileSync(
    cp,
    [{ checkpointMetadata: { version: 1 } }, ...lines].map((l) => JSON.stringify(l)).join('\n') + '\n',
  );
  fs.writeFileSync(path.join(root, commitPath(1)), JSON.stringify(add('b')) + '\n');
  return root;
}

test.each([
  ['MissingProtocol', [META, add('a')]],
  ['MissingMetadata', [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, add('a')]],
])('a checkpoint without its %s action: reader and catalog load both say so', async (type, lines) => {
  const root = checkpointTable(lines);
  const dt = await DeltaTable.open(root);
  expect(await failure(dt.snapshot())).toMatchObject({ type });
  const [ref] = await dt.checkpoints();
  const store = await openCatalog(sqliteUrl(root, 'c.db'));
  try {
    const t = await store.ensureTable({ location: root, name: 'x' });
    const load = store.writeBaseline(
      t.tableId,
      { version: 1, timestamp: 1, file: ref.files[0].path },
      checkedCheckpoint(dt.checkpointActions(ref), 1, ref.files[0].path),
    );
    expect(await failure(load)).toMatchObject({ type });
    expect((await store.findTable('x'))?.lastVersion).toBeNull();
  } finally {
    await store.close();
  }
});
