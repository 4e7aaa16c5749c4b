/**
 * `CatalogStore.files()` (the SQL equivalent of delta-rs `files()`) on every engine: equal to the
 * log snapshot's file paths at every version of real fixtures (and to the writer's `.crc` numFiles),
 * exact for every validity class of migration 4 (synthetic lifetimes up to 2^22 versions), the
 * same version resolution and typed errors as `snapshot`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { MAX_VALIDITY_CLASS } from '../../catalog/migrations/004_file_list_indexes';
import { isDeltaSqlError } from '../../common/errors';
import { fixture } from '../support/env';
import { dropMysqlDatabase, mysqlUrl } from './conformance-support';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';

const FIXTURES = [
  'delta-rs/cdf-table-with-cdc-and-dvs',
  'delta-rs/table_with_deletion_logs',
  'delta-rs/simple_table',
  'golden/snapshot-data2-deleted',
  'golden/data-reader-escaped-chars',
  'delta-rs/checkpoints_vacuumed',
];
const PG_SCHEMA = uniqueSchema('filelist');
const CrcSchema = z.object({ numFiles: z.number().int() });

afterAll(async () => {
  await dropPgSchema(PG_SCHEMA);
  await dropMysqlDatabase(PG_SCHEMA);
});

async function errorType(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isDeltaSqlError(e)) return e.type;
    throw e;
  }
  throw new Error('expected a DeltaSqlError');
}

function crcNumFiles(root: string, v: number): number | null {
  const f = path.join(root, '_delta_log', `${String(v).padStart(20, '0')}.crc`);
  return fs.existsSync(f) ? CrcSchema.parse(JSON.parse(fs.readFileSync(f, 'utf8'))).numFiles : null;
}

describe.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(PG_SCHEMA)],
  ['duckdb', () => `duckdb:///${tempDir()}/files.duckdb`],
  ['mysql', () => mysqlUrl(PG_SCHEMA)],
])('%s', (engine, url) => {
  let store: SqlCatalogStore;
  beforeAll(async () => {
    store = await openCatalog(url());
  });
  afterAll(async () => {
    await store.close();
  });

  test.each(FIXTURES)('%s: files() at every version equals the log snapshot paths', async (rel) => {
    const root = fixture(rel);
    const h = await loadHistory(root);
    const t = await store.ensureTable({ location: root, name: `${engine}:${rel}` });
    if (h.baseline) await store.writeBaseline(t.tableId, h.baseline, h.baseline.actions());
    await store.writeVersions(t.tableId, h.commits);

    const timestamps = new Map<number, number>();
    let crcChecked = 0;
    let maxFiles = 0;
    let latestPaths: string[] = [];
    for (let v = h.first; v <= h.latest; v++) {
      const snap = await h.table.snapshot({ version: v }, { includeFiles: true });
      const want = (snap.files ?? []).map((f) => f.path);
      const got = await store.files(t.tableId, { version: v });
      expect(got).toEqual(want);
      const crc = crcNumFiles(root, v);
      if (crc !== null) {
        expect(got.length).toBe(crc);
        crcChecked++;
      }
      timestamps.set(v, snap.timestamp);
      maxFiles = Math.max(maxFiles, got.length);
      latestPaths = got;
    }
    expect(maxFiles).toBeGreaterThan(0);
    const crcFiles = fs.readdirSync(path.join(root, '_delta_log')).filter((f) => f.endsWith('.crc'));
    expect(crcChecked).toBe(
      crcFiles.filter((f) => Number(f.slice(0, 20)) >= h.first && Number(f.slice(0, 20)) <= h.latest).length,
    );
    // No version: the latest, like snapshot.
    expect(await store.files(t.tableId, {})).toEqual(latestPaths);
    // By timestamp, as Spark resolves it: commit timestamps are monotonized first
    // (m_v = max(ts_v, m_{v-1} + 1)), then the newest version whose m is <= the timestamp.
    const monotonized = new Map<number, number>();
    let prev = -Infinity;
    for (const [v, x] of [...timestamps].sort((a, b) => a[0] - b[0])) {
      prev = Math.max(x, prev + 1);
      monotonized.set(v, prev);
    }
    for (const ts of new Set(monotonized.values())) {
      const resolved = Math.max(...[...monotonized].filter(([, x]) => x <= ts).map(([v]) => v));
      expect(await store.files(t.tableId, { timestamp: ts })).toEqual(
        await store.files(t.tableId, { version: resolved }),
      );
    }
    // Same errors as snapshot.
    expect(await errorType(store.files(t.tableId, { version: h.latest + 1 }))).toBe('VersionNotFound');
    expect(await errorType(store.files(t.tableId, { version: h.first - 1 }))).toBe('VersionNotFound');
    const firstTs = Math.min(...monotonized.values());
    expect(await errorType(store.files(t.tableId, { timestamp: firstTs - 1 }))).toBe('VersionNotFound');
    expect(await errorType(store.snapshot(t.tableId, { version: h.latest + 1, includeFiles: false }))).toBe(
      'VersionNotFound',
    );
  });

  test('a checkpoint-first fixture starts after version 0 (covers "before first")', async () => {
    expect((await loadHistory(fixture('delta-rs/checkpoints_vacuumed'))).first).toBeGreaterThan(0);
  });

  test('unknown table and a table with no versions are typed errors', async () => {
    expect(await errorType(store.files('no-such-table', {}))).toBe('CatalogTableNotFound');
    const empty = await store.ensureTable({ location: '/nowhere', name: `${engine}:empty` });
    expect(await errorType(store.files(empty.tableId, { version: 0 }))).toBe('VersionNotFound');
  });

  test('exact for every validity class: lifetimes around each power of two, up to 2^22', async () => {
    const t = await store.ensureTable({ location: '/synthetic', name: `${engine}:classes` });
    const MAX_V = 2 ** 23;
    type Interval = { start: number; end: number | null };
    const intervals: Interval[] = [];
    for (const start of [0, 5, 2 ** 21 + 3]) {
      intervals.push({ start, end: null });
      for (let k = 0; k <= MAX_VALIDITY_CLASS + 2; k++) {
        for (const d of [2 ** k - 1, 2 ** k, 2 ** k + 1]) {
          if (d >= 1 && start + d <= MAX_V) intervals.push({ start, end: start + d });
        }
      }
    }
    const columns = [
      'table_id',
      'version',
      'seq',
      'path',
      'dv_id',
      'size',
      'modification_time',
      'removed_version',
      'raw',
    ];
    const rows = intervals.map((iv, i) => [
      t.tableId,
      iv.start,
      i,
      `f-${String(i).padStart(4, '0')}-${iv.start}-${iv.end ?? 'open'}.parquet`,
      '',
      i,
      0,
      iv.end,
      '{}',
    ]);
    await store.driver.bulkInsert('dl_add_files', columns, rows);
    await store.driver.query(
      `UPDATE {T:dl_tables} SET first_version = 0, last_version = ? WHERE table_id = ?`,
      [MAX_V, t.tableId],
    );
    const probes = new Set<number>([0, MAX_V]);
    for (const iv of intervals) {
      for (const v of [iv.start - 1, iv.start, iv.end === null ? MAX_V : iv.end - 1, iv.end ?? MAX_V]) {
        if (v >= 0 && v <= MAX_V) probes.add(v);
      }
    }
    let nonEmpty = 0;
    for (const v of probes) {
      const want = rows
        .filter(
          (_r, i) =>
            intervals[i].start <= v && (intervals[i].end === null || (intervals[i].end as number) > v),
        )
        .map((r) => r[3] as string)
        .sort();
      const got = await store.files(t.tableId, { version: v });
      expect(got).toEqual(want);
      if (got.length > 0) nonEmpty++;
    }
    expect(probes.size).toBeGreaterThan(100);
    expect(nonEmpty).toBe(probes.size);
  });
});
