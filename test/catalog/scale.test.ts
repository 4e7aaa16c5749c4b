/**
 * Bulk paths at a size that crosses the flush boundary: a 60k-file baseline streamed from a
 * generator (never materialised), then commits whose removes close rows flushed earlier in the
 * same call and in earlier calls. Exact file counts and sizes at every version, both engines.
 */
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { FLUSH_ROWS } from '../../catalog/writer';
import { AddSchema, RemoveSchema, type Commit, type LogAction } from '../../delta/actions';
import { dropPgSchema, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';

const BASE_FILES = 60_000;
const BASE_VERSION = 5;
const schema = uniqueSchema('scale');
afterAll(async () => {
  await dropPgSchema(schema);
});

const size = (i: number): number => 100 + (i % 7);
const dv = { storageType: 'u', pathOrInlineDv: 'dv', offset: 1, sizeInBytes: 10, cardinality: 1 };

function add(i: number, seq: number, withDv = false): LogAction {
  const body = {
    path: `f${i}.parquet`,
    partitionValues: {},
    size: size(i),
    modificationTime: 1,
    dataChange: true,
    ...(withDv ? { deletionVector: dv } : {}),
  };
  return { type: 'add', seq, raw: JSON.stringify({ add: body }), body: AddSchema.parse(body) };
}
function remove(i: number, seq: number): LogAction {
  const body = { path: `f${i}.parquet`, deletionTimestamp: 1, dataChange: true };
  return { type: 'remove', seq, raw: JSON.stringify({ remove: body }), body: RemoveSchema.parse(body) };
}
function header(): LogAction[] {
  const protocol = { minReaderVersion: 1, minWriterVersion: 2 };
  const metaData = {
    id: 'scale',
    format: { provider: 'parquet', options: {} },
    schemaString: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    configuration: {},
  };
  return [
    { type: 'protocol', seq: 0, raw: JSON.stringify({ protocol }), body: protocol },
    { type: 'metaData', seq: 1, raw: JSON.stringify({ metaData }), body: { ...metaData, configuration: {} } },
  ];
}
async function* baseline(): AsyncIterable<LogAction> {
  yield* header();
  for (let i = 0; i < BASE_FILES; i++) yield add(i, i + 2);
}
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, k) => a + k);
function commit(version: number, actions: LogAction[]): Commit {
  return {
    version,
    timestamp: 1000 * version,
    file: `_delta_log/${version}.json`,
    actions: actions.map((a, seq) => ({ ...a, seq })),
  };
}

test.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(schema)],
])('%s: 60k-file baseline plus commits crossing flushes keep exact validity', async (_d, mk) => {
  expect(FLUSH_ROWS).toBeLessThan(BASE_FILES);
  const store: SqlCatalogStore = await openCatalog(mk());
  try {
    const t = await store.ensureTable({ location: '/scale', name: 'scale' });
    const b = await store.writeBaseline(
      t.tableId,
      { version: BASE_VERSION, timestamp: 5000, file: 'cp.parquet' },
      baseline(),
    );
    expect(b.counts.add).toBe(BASE_FILES);
    // v6: remove 0..9999, re-add 0..4999 with a DV (new identity). v7: 25k new files (flush).
    // v8: remove 20000..29999 (closes rows flushed in this call) and f70000 (added in v7).
    const v6 = commit(6, [
      ...range(0, 10_000).map((i) => remove(i, 0)),
      ...range(0, 5_000).map((i) => add(i, 0, true)),
    ]);
    const v7 = commit(
      7,
      range(BASE_FILES, BASE_FILES + 25_000).map((i) => add(i, 0)),
    );
    const v8 = commit(8, [...range(20_000, 30_000).map((i) => remove(i, 0)), remove(70_000, 0)]);
    await store.writeVersions(t.tableId, [v6]);
    await store.writeVersions(t.tableId, [v7, v8]);
    const sum = (ids: number[]): number => ids.reduce((s, i) => s + size(i), 0);
    const expectAt = async (v: number, ids: number[]): Promise<void> => {
      const s = await store.snapshot(t.tableId, { version: v, includeFiles: false });
      expect({ v, n: s.numFiles, bytes: s.sizeBytes }).toEqual({ v, n: ids.length, bytes: sum(ids) });
    };
    const at5 = range(0, BASE_FILES);
    const at6 = [...range(10_000, BASE_FILES), ...range(0, 5_000)];
    const at7 = [...at6, ...range(BASE_FILES, BASE_FILES + 25_000)];
    const at8 = at7.filter((i) => !(i >= 20_000 && i < 30_000) && i !== 70_000);
    await expectAt(5, at5);
    await expectAt(6, at6);
    await expectAt(7, at7);
    await expectAt(8, at8);
    const full = await store.snapshot(t.tableId, { version: 8, includeFiles: true });
    expect(full.files).toHaveLength(at8.length);
    expect(full.files?.filter((f) => f.deletionVector !== null)).toHaveLength(5_000);
  } finally {
    await store.close();
  }
});
