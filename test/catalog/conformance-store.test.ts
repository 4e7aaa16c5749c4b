/**
 * CatalogStore conformance on every engine: atomic aborts, idempotent rewrites and conflicts,
 * gaps, lossless commit lines, time travel by timestamp, txn/domain/DV validity across calls,
 * hostile names, drop isolation, import runs. PostgreSQL runs in a schema and MySQL in a database
 * whose name has a quote and a space; SQLite and DuckDB in files whose path has them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { ROW_TABLES } from '../../catalog/rows';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import type { Commit, LogAction } from '../../delta/actions';
import { DeltaTable } from '../../delta/table';
import { fixture } from '../support/env';
import { dropMysqlDatabase, mysqlUrl, type Engine } from './conformance-support';
import {
  collect,
  dropPgSchema,
  loadHistory,
  pgUrl,
  sqliteUrl,
  tempDir,
  uniqueSchema,
  writeCommit,
} from './helpers';

const HOSTILE = `we"ird schema ${uniqueSchema('store')}`;
const ALL_TABLES = [...ROW_TABLES, 'dl_import_runs', 'dl_commit_groups'];

const engines: [Engine, () => string][] = [
  ['sqlite', () => sqliteUrl(tempDir(), `we"ird 'cat'.db`)],
  ['postgres', () => pgUrl(HOSTILE)],
  ['duckdb', () => `duckdb:///${tempDir()}/we"ird 'cat'.duckdb`],
  ['mysql', () => mysqlUrl(HOSTILE.slice(0, 60))],
];

afterAll(async () => {
  await dropPgSchema(HOSTILE);
  await dropMysqlDatabase(HOSTILE.slice(0, 60));
});

async function rowCounts(store: SqlCatalogStore, tableId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ALL_TABLES) {
    const r = await store.driver.query(`SELECT COUNT(*) AS n FROM {T:${t}} WHERE table_id = ?`, [tableId]);
    out[t] = Number(r[0].n);
  }
  return out;
}

let nameSeq = 0;
const fresh = (tag: string): string => `${tag}-${++nameSeq}`;

describe.each(engines)('%s catalog', (dialect, makeUrl) => {
  let store: SqlCatalogStore;
  beforeAll(async () => {
    store = await openCatalog(makeUrl());
    expect(store.dialect).toBe(dialect);
  });
  afterAll(async () => {
    await store.close();
  });

  test('a failure mid-version (constraint violation) leaves nothing of the call visible', async () => {
    const root = fixture('delta-rs/simple_table');
    const h = await loadHistory(root);
    const t = await store.ensureTable({ location: root, name: fresh('abort') });
    await store.writeVersions(t.tableId, h.commits.slice(0, 2));
    const before = await rowCounts(store, t.tableId);
    const bad: LogAction = {
      type: 'add',
      seq: 99,
      raw: '{"add":{}}',
      body: { path: null as unknown as string, size: 1, modificationTime: 1 },
    };
    const broken: Commit = { ...h.commits[3], actions: [...h.commits[3].actions, bad] };
    await expect(store.writeVersions(t.tableId, [h.commits[2], broken])).rejects.toMatchObject({
      type: 'CatalogError',
    });
    expect((await store.findTable(t.tableId))?.lastVersion).toBe(1);
    expect(await rowCounts(store, t.tableId)).toEqual(before);
    await expect(store.commitLines(t.tableId, 2)).rejects.toMatchObject({ type: 'VersionNotFound' });
    await expect(store.snapshot(t.tableId, { version: 2, includeFiles: false })).rejects.toMatchObject({
      type: 'VersionNotFound',
    });
    // The retry with good data goes through and matches the log.
    const r = await store.writeVersions(t.tableId, h.commits);
    expect(r).toMatchObject({ versionsWritten: h.commits.length - 2, versionsSkipped: 2 });
    expect(await store.snapshot(t.tableId, { includeFiles: true })).toEqual(await h.table.snapshot());
  });

  test('prepared batches: written as the table continues, reusable after a failed write, checked on overlap and gaps', async () => {
    const root = fixture('delta-rs/simple_table');
    const h = await loadHistory(root);
    const t = await store.ensureTable({ location: root, name: fresh('prepared') });
    const first = store.prepareVersions(t.tableId, h.commits.slice(0, 2));
    const rest = store.prepareVersions(t.tableId, h.commits.slice(2));
    // Not the next version yet: the slow path names the gap, and the prepared rows stay intact.
    await expect(store.writeVersions(t.tableId, rest)).rejects.toMatchObject({ type: 'LogGap' });
    expect(await store.writeVersions(t.tableId, first)).toMatchObject({
      versionsWritten: 2,
      versionsSkipped: 0,
    });
    expect(await store.writeVersions(t.tableId, rest)).toMatchObject({
      versionsWritten: h.commits.length - 2,
      versionsSkipped: 0,
    });
    // A retry of an already written batch is an idempotent no-op, via the content hashes.
    expect(await store.writeVersions(t.tableId, rest)).toMatchObject({
      versionsWritten: 0,
      versionsSkipped: h.commits.length - 2,
    });
    expect(await store.snapshot(t.tableId, { includeFiles: true })).toEqual(await h.table.snapshot());
    for (let v = 0; v <= h.latest; v++) {
      expect(await store.commitLines(t.tableId, v)).toEqual(h.commits[v].actions.map((a) => a.raw));
    }
    expect(() => store.prepareVersions(t.tableId, [h.commits[0], h.commits[2]])).toThrow(
      expect.objectContaining({ type: 'InvalidArgument' }),
    );
    await expect(store.writeVersions('other-table', first)).rejects.toMatchObject({
      type: 'InvalidArgument',
    });
  });

  test('an error thrown by the baseline action stream leaves nothing visible; a retry succeeds', async () => {
    const root = fixture('delta-rs/simple_table_with_checkpoint');
    const dt = await DeltaTable.open(root);
    const cps = await dt.checkpoints();
    expect(cps.length).toBeGreaterThan(0);
    const cp = cps[cps.length - 1];
    const t = await store.ensureTable({ location: root, name: fresh('baseline') });
    const actions = await collect(dt.checkpointActions(cp));
    expect(actions.length).toBeGreaterThan(3);
    async function* failing(): AsyncIterable<LogAction> {
      yield* actions.slice(0, 3);
      throw new Error('storage went away');
    }
    const base = { version: cp.version, timestamp: 1234, file: cp.files[0].path };
    await expect(store.writeBaseline(t.tableId, base, failing())).rejects.toThrow('storage went away');
    const empty = await rowCounts(store, t.tableId);
    expect(Object.values(empty).every((n) => n === 0)).toBe(true);
    expect((await store.findTable(t.tableId))?.lastVersion).toBeNull();

    const ts = (await dt.snapshot({ version: cp.version })).timestamp;
    const ok = await store.writeBaseline(t.tableId, { ...base, timestamp: ts }, dt.checkpointActions(cp));
    expect(ok.versionsWritten).toBe(1);
    expect(ok.counts.add).toBe(actions.filter((a) => a.type === 'add').length);
    const after = await store.findTable(t.tableId);
    expect(after).toMatchObject({
      firstVersion: cp.version,
      baselineVersion: cp.version,
      lastVersion: cp.version,
    });
    expect(await store.snapshot(t.tableId, { includeFiles: true })).toEqual(
      await dt.snapshot({ version: cp.version }),
    );
    await expect(
      store.snapshot(t.tableId, { version: cp.version - 1, includeFiles: false }),
    ).rejects.toMatchObject({
      type: 'VersionNotFound',
    });
    // Same baseline again: skipped; different content: conflict; commits before it: refused.
    const counts = await rowCounts(store, t.tableId);
    expect((await store.writeBaseline(t.tableId, base, dt.checkpointActions(cp))).versionsSkipped).toBe(1);
    expect(await rowCounts(store, t.tableId)).toEqual(counts);
    await expect(store.writeBaseline(t.tableId, base, failing2(actions))).rejects.toMatchObject({
      type: 'VersionConflict',
    });
    const early = await collect(dt.commits(0, 1));
    await expect(store.writeVersions(t.tableId, early)).rejects.toMatchObject({ type: 'InvalidArgument' });
  });

  test('writing the same versions twice changes nothing; changed content is a VersionConflict; gaps are refused', async () => {
    const root = fixture('delta-rs/simple_table');
    const h = await loadHistory(root);
    const t = await store.ensureTable({ location: root, name: fresh('twice') });
    const first = await store.writeVersions(t.tableId, h.commits);
    expect(first.versionsWritten).toBe(h.commits.length);
    const counts = await rowCounts(store, t.tableId);
    expect(counts.dl_table_versions).toBe(h.commits.length);
    expect(counts.dl_add_files).toBe(
      h.commits.reduce((s, c) => s + c.actions.filter((a) => a.type === 'add').length, 0),
    );
    const again = await store.writeVersions(t.tableId, h.commits);
    expect(again).toMatchObject({ versionsWritten: 0, versionsSkipped: h.commits.length });
    expect(await rowCounts(store, t.tableId)).toEqual(counts);

    const c2 = h.commits[2];
    const changed: Commit = {
      ...c2,
      actions: c2.actions.map((a, i) => (i === 0 ? { ...a, raw: a.raw + ' ' } : a)),
    };
    await expect(store.writeVersions(t.tableId, [changed])).rejects.toMatchObject({
      type: 'VersionConflict',
    });
    expect(await rowCounts(store, t.tableId)).toEqual(counts);

    const last = h.commits[h.commits.length - 1];
    await expect(
      store.writeVersions(t.tableId, [{ ...last, version: last.version + 2 }]),
    ).rejects.toMatchObject({
      type: 'LogGap',
    });
    const other = await store.ensureTable({ location: root, name: fresh('gap') });
    await expect(store.writeVersions(other.tableId, h.commits.slice(1))).rejects.toMatchObject({
      type: 'LogGap',
    });
    await expect(store.writeVersions(other.tableId, [h.commits[0], h.commits[2]])).rejects.toMatchObject({
      type: 'InvalidArgument',
    });
  });

  test('commitLines returns the original commit lines of every version, in order', async () => {
    const root = fixture('delta-rs/table_with_deletion_logs');
    const h = await loadHistory(root);
    const t = await store.ensureTable({ location: root, name: fresh('lines') });
    await store.writeVersions(t.tableId, h.commits);
    for (const c of h.commits) {
      const text = fs.readFileSync(
        path.join(root, '_delta_log', `${String(c.version).padStart(20, '0')}.json`),
        'utf8',
      );
      const lines = text
        .split('\n')
        .map((l) => l.replace(/\r$/, ''))
        .filter((l) => l.trim() !== '');
      expect(await store.commitLines(t.tableId, c.version)).toEqual(lines);
    }
  });

  test('time travel by timestamp, txn / domainMetadata / deletion-vector validity across calls', async () => {
    const root = tempDir('deltasql-synth-');
    const T0 = Date.UTC(2024, 0, 1);
    const add = (p: string, dv?: object) => ({
      add: {
        path: p,
        partitionValues: {},
        size: p.length * 10,
        modificationTime: T0,
        dataChange: true,
        ...(dv ? { deletionVector: dv } : {}),
      },
    });
    const remove = (p: string, dv?: object) => ({
      remove: { path: p, deletionTimestamp: T0, dataChange: true, ...(dv ? { deletionVector: dv } : {}) },
    });
    const dv1 = {
      storageType: 'i',
      pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f',
      sizeInBytes: 1,
      cardinality: 1,
    };
    const dv2 = {
      storageType: 'u',
      pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^',
      offset: 4,
      sizeInBytes: 40,
      cardinality: 2,
    };
    const schema = '{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}}]}';
    const meta = (conf: Record<string, string>) => ({
      metaData: {
        id: 'synthetic',
        format: { provider: 'parquet', options: {} },
        schemaString: schema,
        partitionColumns: [],
        configuration: conf,
        createdTime: T0,
      },
    });
    const commits: object[][] = [
      [
        { commitInfo: { operation: 'CREATE' } },
        {
          protocol: {
            minReaderVersion: 3,
            minWriterVersion: 7,
            readerFeatures: ['deletionVectors'],
            writerFeatures: ['deletionVectors', 'domainMetadata'],
          },
        },
        meta({}),
        add('a'),
        add('b'),
      ],
      [
        { txn: { appId: 'app1', version: 1 } },
        { domainMetadata: { domain: 'd1', configuration: '{"x":1}', removed: false } },
        remove('a'),
        add('c'),
      ],
      [
        { txn: { appId: 'app1', version: 7 } },
        { txn: { appId: 'app2', version: 3 } },
        remove('b'),
        add('b', dv1),
        add('a'),
      ],
      [
        { domainMetadata: { domain: 'd1', configuration: '{"x":1}', removed: true } },
        { domainMetadata: { domain: 'd2', configuration: 'y', removed: false } },
        remove('b', dv1),
        add('b', dv2),
        meta({ k: 'v' }),
      ],
      [
        { txn: { appId: 'app1', version: 2 } },
        { domainMetadata: { domain: 'd1', configuration: 'back', removed: false } },
        remove('c'),
        add('c'),
        add('c'),
      ],
      [remove('a'), remove('b', dv2), remove('c'), { unknownAction: { z: 1 } }],
    ];
    commits.forEach((actions, v) => writeCommit(root, v, actions, T0 + (v + 1) * 60_000));
    const dt = await DeltaTable.open(root);
    const all = await collect(dt.commits(0, commits.length - 1));
    const t = await store.ensureTable({ location: root, name: fresh('synthetic') });
    for (const c of all) await store.writeVersions(t.tableId, [c]); // one call per version
    for (let v = 0; v < all.length; v++) {
      expect(await store.snapshot(t.tableId, { version: v, includeFiles: true })).toEqual(
        await dt.snapshot({ version: v }),
      );
    }
    const at3 = await store.snapshot(t.tableId, { version: 3, includeFiles: true });
    expect(at3.txns).toEqual({ app1: 7, app2: 3 });
    expect(at3.domainMetadata).toEqual({ d2: 'y' });
    expect(at3.files?.map((f) => [f.path, f.deletionVector?.storageType ?? null])).toEqual([
      ['a', null],
      ['b', 'u'],
      ['c', null],
    ]);
    for (let v = 0; v < all.length; v++) {
      const ts = all[v].timestamp;
      expect(ts).toBe(T0 + (v + 1) * 60_000);
      // After the latest commit a timestamp names no version (as in Spark): only earlier ones resolve.
      for (const q of v === all.length - 1 ? [ts] : [ts, ts + 30_000]) {
        const got = await store.snapshot(t.tableId, { timestamp: q, includeFiles: true });
        expect(got.version).toBe(v);
        expect(got).toEqual(await dt.snapshot({ timestamp: q }));
      }
    }
    const last = all[all.length - 1].timestamp;
    await expect(
      store.snapshot(t.tableId, { timestamp: last + 30_000, includeFiles: false }),
    ).rejects.toMatchObject({
      type: 'TimestampAfterLatestCommit',
    });
    await expect(store.snapshot(t.tableId, { timestamp: T0, includeFiles: false })).rejects.toMatchObject({
      type: 'VersionNotFound',
    });
  });

  test('a hostile table name is stored as data', async () => {
    const name = `x'); DROP TABLE dl_tables;-- "${fresh('evil')}`;
    const t = await store.ensureTable({ location: '/tmp/x', name });
    expect((await store.findTable(name))?.tableId).toBe(t.tableId);
    expect((await store.listTables()).map((x) => x.name)).toContain(name);
    expect(await store.ensureTable({ location: '/other', name })).toEqual(t);
  });

  test('drop removes every row of that table and only that table', async () => {
    const root = fixture('delta-rs/simple_table');
    const h = await loadHistory(root);
    const a = await store.ensureTable({ location: root, name: fresh('drop-a') });
    const b = await store.ensureTable({ location: root, name: fresh('drop-b') });
    for (const t of [a, b]) {
      await store.writeVersions(t.tableId, h.commits);
      await store.startRun({
        runId: `${t.tableId}-run`,
        tableId: t.tableId,
        workflowId: null,
        temporalRunId: null,
        mode: 'full',
        startedAt: Date.now(),
        fromVersion: 0,
        toVersion: null,
        versionsImported: 0,
        counts: {},
        validation: null,
        error: null,
      });
    }
    // One commitMany group over both tables (issue 16) records a row per table.
    for (const t of [a, b]) {
      await store.driver.query(
        `INSERT INTO {T:dl_commit_groups} (group_id, table_id, version, created_at) VALUES (?, ?, ?, ?)`,
        [`group-${a.tableId}`, t.tableId, 1, 1],
      );
    }
    const bCounts = await rowCounts(store, b.tableId);
    expect(bCounts.dl_add_files).toBeGreaterThan(0);
    expect(bCounts.dl_commit_groups).toBe(1);
    await store.dropTable(a.tableId);
    expect(Object.values(await rowCounts(store, a.tableId)).every((n) => n === 0)).toBe(true);
    expect(await store.findTable(a.tableId)).toBeNull();
    expect(await rowCounts(store, b.tableId)).toEqual(bCounts);
    if (dialect !== 'duckdb') {
      // The SQL rollback (`DELETE FROM dl_tables`, the cascade trigger of migrations 5 and 10).
      await store.driver.query(`DELETE FROM {T:dl_tables} WHERE table_id = ?`, [b.tableId]);
      expect(Object.values(await rowCounts(store, b.tableId)).every((n) => n === 0)).toBe(true);
    }
  });

  test('import runs: start, finish, list newest first', async () => {
    const t = await store.ensureTable({ location: '/tmp/runs', name: fresh('runs') });
    const base = {
      tableId: t.tableId,
      workflowId: 'wf',
      temporalRunId: null,
      mode: 'full',
      // no start version: finishRun keeps the counters it is given (with one, it derives them
      // from the catalog rows: test/faults/run-accounting.test.ts)
      fromVersion: null,
      toVersion: null,
      versionsImported: 0,
      counts: {},
      validation: null,
      error: null,
    };
    await store.startRun({ ...base, runId: `${t.tableId}-1`, startedAt: 1000 });
    await store.startRun({ ...base, runId: `${t.tableId}-2`, startedAt: 2000 });
    await store.finishRun(`${t.tableId}-1`, {
      status: 'completed',
      toVersion: 4,
      versionsImported: 5,
      counts: { add: 3 },
      finishedAt: 1500,
    });
    const runs = await store.listRuns(t.tableId);
    expect(runs.map((r) => [r.runId, r.status])).toEqual([
      [`${t.tableId}-2`, 'running'],
      [`${t.tableId}-1`, 'completed'],
    ]);
    expect(runs[1]).toMatchObject({
      toVersion: 4,
      versionsImported: 5,
      counts: { add: 3 },
      finishedAt: 1500,
      workflowId: 'wf',
    });
    expect(await store.listRuns(t.tableId, 1)).toHaveLength(1);
    await expect(store.finishRun('nope', { status: 'failed' })).rejects.toMatchObject({
      type: 'CatalogError',
    });
  });
});

async function* failing2(actions: LogAction[]): AsyncIterable<LogAction> {
  yield* actions.slice(1);
}
