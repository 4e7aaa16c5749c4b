/**
 * A blind append on a table its process already knows at the read version (catalog/commit/
 * blind-append.ts) is one append call with no read before it. Real PostgreSQL, two catalogs (two
 * pools, as two writer processes would have): what the first one knows goes stale while the other
 * changes metaData, protocol and the commits-open flag, and each time the first one's next blind
 * append on that knowledge still gets the typed refusal and writes nothing. A counting wrapper
 * around the real driver shows which commits went without a read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog, type Catalog } from '../../api';
import { commitTable } from '../../catalog/commit/commit';
import { createTable } from '../../catalog/commit/create';
import { closeCommits } from '../../catalog/commit/table-mode';
import type { NextVersionAppend, SqlDriver } from '../../catalog/sql';
import { openStore } from '../../storage/uri';
import { dropPgSchema, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { SCHEMA } from './helpers';

jest.setTimeout(60_000);

const pgSchema = uniqueSchema('sqlprim_known');
afterAll(() => dropPgSchema(pgSchema));

const add = (p: string, extra: Record<string, unknown> = {}) => ({
  add: { path: p, partitionValues: {}, size: 100, modificationTime: 1, dataChange: true, ...extra },
});

interface Counted {
  db: SqlDriver;
  counts: { query: number; appendNext: number };
}

/** The real driver, counting the statements and append calls made through it. */
function counted(real: SqlDriver): Counted {
  const counts = { query: 0, appendNext: 0 };
  const db = new Proxy(real, {
    get(target, key) {
      if (key === 'query')
        return (sql: string, params?: readonly never[]) => {
          counts.query++;
          return target.query(sql, params);
        };
      if (key === 'appendNext')
        return (step: NextVersionAppend) => {
          counts.appendNext++;
          return target.appendNext?.(step);
        };
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db, counts };
}

let a: Catalog;
let b: Catalog;
beforeAll(async () => {
  a = await openCatalog(pgUrl(pgSchema), { temporal: null });
  b = await openCatalog(pgUrl(pgSchema), { temporal: null });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

test('blind appends on known state: one call without a read; stale knowledge still gets every typed refusal', async () => {
  const location = path.join(tempDir('deltasql-known-'), 'kn');
  fs.mkdirSync(location);
  await createTable(a.store.driver, openStore(location), { name: 'kn', location, schema: SCHEMA });
  const w = counted(a.store.driver);
  const commit = (readVersion: number, actions: unknown[]) =>
    commitTable(w.db, { table: 'kn', readVersion, actions });
  const other = await b.table('kn');
  const tableId = (await other.state()).tableId;

  // First commit: a read, then the call. Second, read at the version the first took: no read.
  expect(await commit(0, [add('a.parquet')])).toMatchObject({ version: 1, attempts: 1 });
  expect(w.counts).toEqual({ query: 1, appendNext: 1 });
  expect(await commit(1, [add('b.parquet')])).toMatchObject({
    table: 'kn',
    tableId,
    version: 2,
    attempts: 1,
  });
  expect(w.counts).toEqual({ query: 1, appendNext: 2 });
  // Read at 1 again (known: nothing but adds between 1 and 2): rebased onto 2, still no read.
  expect(await commit(1, [add('c.parquet')])).toMatchObject({ version: 3, attempts: 1 });
  expect(w.counts).toEqual({ query: 1, appendNext: 3 });
  // Bad input on known state: the same validation, nothing sent.
  await expect(commit(3, [{ add: { path: 'x.parquet', dataChange: true } }])).rejects.toMatchObject({
    type: 'InvalidAction',
  });
  expect(w.counts.appendNext).toBe(3);

  // The other writer changes the metaData at 4: a blind append read at 3 (known) is refused.
  const meta = (await b.store.snapshot(tableId, { includeFiles: false })).metadata;
  await other.commit({
    readVersion: 3,
    actions: [{ metaData: { ...meta, configuration: { 'delta.appendOnly': 'false' } } }],
  });
  await expect(commit(3, [add('d.parquet')])).rejects.toMatchObject({ type: 'MetadataChanged' });
  expect((await other.state()).lastVersion).toBe(4);
  // Known again from a fresh read at 4; then the protocol changes at 6.
  expect(await commit(4, [add('d.parquet')])).toMatchObject({ version: 5 });
  await other.commit({
    readVersion: 5,
    actions: [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }],
  });
  await expect(commit(5, [add('e.parquet')])).rejects.toMatchObject({ type: 'ProtocolChanged' });
  expect((await other.state()).lastVersion).toBe(6);

  // Commits closed by a rollback in another process: refused, nothing written; reopened: it lands.
  expect(await commit(6, [add('e.parquet')])).toMatchObject({ version: 7 });
  await closeCommits(b.store.driver, tableId, true);
  await expect(commit(7, [add('f.parquet')])).rejects.toMatchObject({ type: 'CommitsClosed' });
  expect((await other.state()).lastVersion).toBe(7);
  await closeCommits(b.store.driver, tableId, false);
  expect(await commit(7, [add('f.parquet')])).toMatchObject({ version: 8 });
  const before = { ...w.counts };
  expect(await commit(8, [add('g.parquet')])).toMatchObject({ version: 9 });
  expect(w.counts).toEqual({ query: before.query, appendNext: before.appendNext + 1 });

  // A read version past anything known (and in the future): the fresh read reports it.
  await expect(commit(10, [add('h.parquet')])).rejects.toMatchObject({ type: 'InvalidArgument' });

  // Every committed add is in the table once; the refused ones are not.
  const snap = await b.store.snapshot(tableId, { includeFiles: true });
  expect(snap.version).toBe(9);
  expect((snap.files ?? []).map((f) => f.path).sort()).toEqual(
    ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((x) => `${x}.parquet`),
  );
});
