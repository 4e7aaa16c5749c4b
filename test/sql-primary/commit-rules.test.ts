/**
 * The commit path's rules on both engines, without Temporal: typed errors for bad input with no
 * version written, Delta's conflict rules between two writers, blind appends rebasing, and
 * commitMany's all-or-nothing across three tables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog, type Catalog } from '../../api';
import { commitMany } from '../../catalog/commit/commit';
import { createTable } from '../../catalog/commit/create';
import { publishPending } from '../../catalog/commit/publish';
import { openStore } from '../../storage/uri';
import { dropPgSchema, pgUrl, sqliteUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { expectSameStateAtEveryVersion, SCHEMA } from './helpers';

jest.setTimeout(60_000);

const pgSchema = uniqueSchema('sqlprim_rules');
afterAll(() => dropPgSchema(pgSchema));

const add = (p: string, extra: Record<string, unknown> = {}) => ({
  add: { path: p, partitionValues: {}, size: 100, modificationTime: 1, dataChange: true, ...extra },
});
const remove = (p: string) => ({ remove: { path: p, deletionTimestamp: 2, dataChange: true } });

async function newTable(
  cat: Catalog,
  name: string,
  properties: Record<string, string> = {},
): Promise<string> {
  const location = path.join(tempDir('deltasql-rules-'), name);
  fs.mkdirSync(location);
  await createTable(cat.store.driver, openStore(location), { name, location, schema: SCHEMA, properties });
  return location;
}

async function expectType(p: Promise<unknown>, type: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ type });
}

describe.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(pgSchema)],
])('%s', (_engine, url) => {
  let cat: Catalog;
  beforeAll(async () => {
    cat = await openCatalog(url(), { temporal: null });
  });
  afterAll(() => cat.close());

  test('bad input: typed errors, nothing written', async () => {
    await newTable(cat, 'bad');
    const t = await cat.table('bad');
    await expectType(
      t.commit({ readVersion: 0, actions: [add('a.parquet', { bogus: 1 })] }),
      'InvalidAction',
    );
    await expectType(
      t.commit({
        readVersion: 0,
        actions: [{ add: { path: 'a.parquet', partitionValues: {}, modificationTime: 1, dataChange: true } }],
      }),
      'InvalidAction',
    );
    await expectType(t.commit({ readVersion: 0, actions: [add('../outside.parquet')] }), 'InvalidAction');
    await expectType(t.commit({ readVersion: 0, actions: [add('/etc/passwd')] }), 'InvalidAction');
    await expectType(
      t.commit({ readVersion: 0, actions: [add('s3://elsewhere/x.parquet')] }),
      'InvalidAction',
    );
    await expectType(
      t.commit({
        readVersion: 0,
        actions: [{ cdc: { path: 'c.parquet', size: 1, partitionValues: {}, dataChange: false } }],
      }),
      'InvalidAction',
    );
    await expectType(
      t.commit({ readVersion: 0, actions: [{ commitInfo: { operation: 'X' } }] }),
      'InvalidAction',
    );
    await expectType(t.commit({ readVersion: 5, actions: [add('a.parquet')] }), 'InvalidArgument');
    await expectType(
      t.commit({
        readVersion: 0,
        actions: [{ domainMetadata: { domain: 'd', configuration: '{}', removed: false } }],
      }),
      'UnsupportedWriterFeature',
    );
    await expectType(
      t.commit({
        readVersion: 0,
        actions: [
          add('dv.parquet', {
            deletionVector: { storageType: 'i', pathOrInlineDv: 'abc', sizeInBytes: 3, cardinality: 1 },
          }),
        ],
      }),
      'UnsupportedWriterFeature',
    );
    await expectType(
      t.commit({
        readVersion: 0,
        actions: [
          {
            protocol: {
              minReaderVersion: 3,
              minWriterVersion: 7,
              readerFeatures: [],
              writerFeatures: ['rowTracking'],
            },
          },
        ],
      }),
      'UnsupportedWriterFeature',
    );
    expect((await t.state()).lastVersion).toBe(0);
    // A mirror table (what imports create) takes no SQL commits.
    await cat.store.ensureTable({ location: tempDir(), name: 'mirrored' });
    await cat.store.driver.query(`UPDATE {T:dl_tables} SET last_version = 0 WHERE name = ?`, ['mirrored']);
    await expectType(
      (await cat.table('mirrored')).commit({ readVersion: 0, actions: [add('a.parquet')] }),
      'TableNotSqlPrimary',
    );
    // And an import cannot write into an sql-primary table.
    await expectType(cat.store.writeVersions((await t.state()).tableId, []), 'TableIsSqlPrimary');
  });

  test('conflicts: blind appends rebase; concurrent deletes of one file: one wins, one ConcurrentDeleteDelete', async () => {
    await newTable(cat, 'conf');
    const t = await cat.table('conf');
    expect((await t.commit({ readVersion: 0, actions: [add('a.parquet'), add('b.parquet')] })).version).toBe(
      1,
    );
    // Two blind appends read at 1: the second rebases to 3.
    expect((await t.commit({ readVersion: 1, actions: [add('c.parquet')] })).version).toBe(2);
    // Rebased inside its first transaction (the winner is checked under the table's row lock).
    expect(await t.commit({ readVersion: 1, actions: [add('d.parquet')] })).toMatchObject({
      version: 3,
      attempts: 1,
    });
    // Two deletes of a.parquet, both read at 3.
    const results = await Promise.allSettled([
      t.commit({ readVersion: 3, actions: [remove('a.parquet')], operation: 'DELETE' }),
      t.commit({ readVersion: 3, actions: [remove('a.parquet')], operation: 'DELETE' }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatchObject({ type: 'ConcurrentDeleteDelete' });
    expect((await t.state()).lastVersion).toBe(4);
    // Read b.parquet at 3, winner (version 5) removes it: ConcurrentDeleteRead.
    await t.commit({ readVersion: 4, actions: [remove('b.parquet')] });
    await expectType(
      t.commit({ readVersion: 4, actions: [add('e.parquet')], reads: { paths: ['b.parquet'] } }),
      'ConcurrentDeleteRead',
    );
    // Serializable whole-table read vs a concurrent append: ConcurrentAppend; WriteSerializable rebases past a blind append.
    await t.commit({ readVersion: 5, actions: [add('f.parquet')] });
    await expectType(
      t.commit({
        readVersion: 5,
        actions: [remove('c.parquet')],
        isolation: 'Serializable',
        reads: { wholeTable: true },
      }),
      'ConcurrentAppend',
    );
    expect(
      (await t.commit({ readVersion: 5, actions: [remove('c.parquet')], reads: { wholeTable: true } }))
        .version,
    ).toBe(7);
    // Metadata and protocol changes, txn appIds.
    const meta = (await cat.store.snapshot((await t.state()).tableId, { includeFiles: false })).metadata;
    await t.commit({
      readVersion: 7,
      actions: [{ metaData: { ...meta, configuration: { 'delta.appendOnly': 'false' } } }],
    });
    await expectType(t.commit({ readVersion: 7, actions: [add('g.parquet')] }), 'MetadataChanged');
    await t.commit({ readVersion: 8, actions: [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }] });
    await expectType(t.commit({ readVersion: 8, actions: [add('g.parquet')] }), 'ProtocolChanged');
    await t.commit({
      readVersion: 9,
      actions: [{ txn: { appId: 'app', version: 1, lastUpdated: 1 } }, add('h.parquet')],
    });
    await expectType(
      t.commit({
        readVersion: 9,
        actions: [{ txn: { appId: 'app', version: 2, lastUpdated: 2 } }, add('i.parquet')],
      }),
      'ConcurrentTransaction',
    );
    expect((await t.state()).lastVersion).toBe(10);
    // The rows every commit wrote (removes closing adds, metadata, protocol, txn; on PostgreSQL one
    // statement per commit) give the state our log reader builds from the published files.
    const location = (await t.state()).location;
    await publishPending(cat.store.driver, openStore(location), 'conf');
    expect(await expectSameStateAtEveryVersion(cat.store, 'conf', location)).toBe(11);
  });

  test('8 concurrent blind appends read at one version: 8 consecutive versions, each on its first attempt', async () => {
    await newTable(cat, 'blind');
    const t = await cat.table('blind');
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, k) => t.commit({ readVersion: 0, actions: [add(`b${k}.parquet`)] })),
    );
    // On PostgreSQL a blind append takes the next version outright (no lost race to retry).
    expect(rs.map((r) => r.attempts)).toEqual(Array(8).fill(1));
    expect(rs.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const location = (await t.state()).location;
    await publishPending(cat.store.driver, openStore(location), 'blind');
    expect(await expectSameStateAtEveryVersion(cat.store, 'blind', location)).toBe(9);
  });

  test('in-commit timestamps: commitInfo first, strictly increasing', async () => {
    await newTable(cat, 'ict', { 'delta.enableInCommitTimestamps': 'true' });
    const t = await cat.table('ict');
    for (let v = 0; v < 3; v++) await t.commit({ readVersion: v, actions: [add(`p${v}.parquet`)] });
    const ts: number[] = [];
    for (let v = 0; v <= 3; v++) {
      const first = JSON.parse((await cat.store.commitLines('ict', v))[0]) as {
        commitInfo?: { inCommitTimestamp?: number };
      };
      expect(typeof first.commitInfo?.inCommitTimestamp).toBe('number');
      ts.push(first.commitInfo?.inCommitTimestamp ?? 0);
    }
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
  });

  test('commitMany: three tables advance together; a failure before the SQL commit advances none', async () => {
    for (const n of ['m1', 'm2', 'm3']) await newTable(cat, n);
    const reqs = ['m1', 'm2', 'm3'].map((table) => ({
      table,
      readVersion: 0,
      actions: [add(`${table}.parquet`)],
    }));
    await expect(
      commitMany(cat.store.driver, reqs, {
        beforeSqlCommit: () => Promise.reject(new Error('injected failure')),
      }),
    ).rejects.toThrow(/injected failure/);
    for (const n of ['m1', 'm2', 'm3']) expect((await (await cat.table(n)).state()).lastVersion).toBe(0);
    const groups = await cat.store.driver.query(`SELECT COUNT(*) AS n FROM {T:dl_commit_groups}`);
    expect(Number(groups[0].n)).toBe(0);
    const done = await cat.commitMany(reqs);
    expect(done.map((r) => r.version)).toEqual([1, 1, 1]);
    const rows = await cat.store.driver.query(`SELECT group_id, version FROM {T:dl_commit_groups}`);
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.group_id)).size).toBe(1);
    // A bad action in one of them: typed error, none advances.
    const bad = [
      ...reqs.slice(0, 2).map((r) => ({ ...r, readVersion: 1 })),
      { table: 'm3', readVersion: 1, actions: [add('x', { size: -1 })] },
    ];
    await expectType(cat.commitMany(bad), 'InvalidAction');
    for (const n of ['m1', 'm2', 'm3']) expect((await (await cat.table(n)).state()).lastVersion).toBe(1);
  });
});
