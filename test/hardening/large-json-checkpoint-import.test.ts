/**
 * A V2 JSON checkpoint of more than 600 MB (`10.checkpoint.<uuid>.json`, 150k+ wide adds; commits
 * 0..9 gone) imported checkpoint-only through the real pipeline (Temporal workflow, the import
 * worker as its own process) into PostgreSQL and SQLite, WITH validation, and the worker's peak
 * RSS bounded: the checkpoint is decoded line by line from ranged reads (delta/checkpoint-reader.ts
 * `jsonActions`), the baseline written in bounded chunks, and validation compares the state by
 * path ranges (activities/validate.ts). A JSON.parse of the whole file would fail with
 * ERR_STRING_TOO_LONG (the file is above V8's 512 MiB string limit). The catalog must hold exactly
 * the generator's file counts, paths and sizes. Generated in a RAM disk when there is one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CHECKPOINT_VERSION,
  writeLargeCheckpointTable,
  type LargeCheckpointTable,
} from '../../bench/large-checkpoint';
import { awaitImport, startImport } from '../../client/import-client';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { dropPgSchema, pgUrl, uniqueSchema } from '../catalog/helpers';
import { importInput, sessionOf } from '../support/import';
import { integrationSuite } from '../support/suite';
import { largeScratchDir, onFreshWorker, stopFreshWorker } from './large-support';

const MIN_BYTES = 610 * 1024 * 1024;
/** V8's string limit: a checkpoint above it cannot be read as one string. */
const V8_STRING_LIMIT = 2 ** 29 - 24;
/** The worker's own peak RSS, MB (an idle worker is ~300 MB; the state is ~600 MB of JSON). */
const PEAK_RSS_BOUND_MB = 800;

const dir = largeScratchDir('deltasql-large-jsoncp-');
const suite = integrationSuite('large-jsoncp');
const pgSchema = uniqueSchema('largejsoncp');
let gen: LargeCheckpointTable;

beforeAll(async () => {
  const started = Date.now();
  gen = writeLargeCheckpointTable(path.join(dir, 'table'), MIN_BYTES);
  console.log(
    `large JSON checkpoint: generated ${Math.round(gen.checkpointBytes / 2 ** 20)} MiB, ${gen.files} adds, in ${Date.now() - started} ms`,
  );
});

afterAll(async () => {
  await stopFreshWorker();
  await dropPgSchema(pgSchema);
  fs.rmSync(dir, { recursive: true, force: true });
});

function importOnWorker(url: string): Promise<{ rssMB: number; seconds: number }> {
  const h = suite.h;
  return onFreshWorker(suite, path.basename(url), async () => {
    const input = importInput(path.join(dir, 'table'), url, { name: 'bigcp', mode: 'checkpoint-only' });
    const result = await awaitImport(await startImport(sessionOf(h), h.env, input), null);
    expect(result).toMatchObject({ startVersion: CHECKPOINT_VERSION, targetVersion: CHECKPOINT_VERSION + 1 });
    // The baseline counts every checkpoint row: adds, and the 5 tombstones as removes.
    expect(result.counts).toMatchObject({ add: gen.files + gen.added, remove: 5 + gen.removed, txn: 1 });
    expect(result.validation?.lines).toContain('  ✓ files: file sets match');
    expect(result.validation?.passed).toBe(true);
  });
}

async function checkCatalog(url: string): Promise<void> {
  const store = (await suite.open(url)) as SqlCatalogStore;
  const t = await store.findTable('bigcp');
  expect(t).toMatchObject({
    firstVersion: CHECKPOINT_VERSION,
    baselineVersion: CHECKPOINT_VERSION,
    lastVersion: CHECKPOINT_VERSION + 1,
  });
  const id = t?.tableId ?? '';
  const at = await store.snapshot(id, { version: CHECKPOINT_VERSION, includeFiles: false });
  expect([at.numFiles, at.sizeBytes]).toEqual([gen.files, gen.sizeBytes]);
  expect(at.txns).toEqual({ [gen.txn.appId]: gen.txn.version });
  expect(at.protocol.readerFeatures).toEqual(['v2Checkpoint']);
  const after = await store.snapshot(id, { version: CHECKPOINT_VERSION + 1, includeFiles: false });
  expect([after.numFiles, after.sizeBytes]).toEqual([
    gen.files - gen.removed + gen.added,
    gen.sizeBytesAfter,
  ]);
  expect((await store.files(id, { version: CHECKPOINT_VERSION + 1 })).sort()).toEqual(gen.livePaths());
  const rows = await store.driver.query(`SELECT COUNT(*) AS n FROM {T:dl_add_files} WHERE table_id = ?`, [
    id,
  ]);
  expect(Number(rows[0].n)).toBe(gen.files + gen.added);
}

test.each([
  ['postgres', () => pgUrl(pgSchema)],
  ['sqlite', () => `sqlite:///${path.join(dir, 'catalog.db')}`],
])(
  '%s: a >600 MB V2 JSON checkpoint imports checkpoint-only and validates with bounded worker memory',
  async (engine, url) => {
    expect(gen.checkpointBytes).toBeGreaterThan(V8_STRING_LIMIT);
    expect(gen.checkpointBytes).toBeGreaterThan(600 * 1024 * 1024);
    const { rssMB, seconds } = await importOnWorker(url());
    console.log(
      `large JSON checkpoint (${engine}): ${Math.round(gen.checkpointBytes / 2 ** 20)} MiB imported and validated in ${seconds.toFixed(1)} s; worker peak RSS ${rssMB} MB`,
    );
    expect(rssMB).toBeGreaterThan(0);
    expect(rssMB).toBeLessThan(PEAK_RSS_BOUND_MB);
    await checkCatalog(url());
  },
  1_200_000,
);
