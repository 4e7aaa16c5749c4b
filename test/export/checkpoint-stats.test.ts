/**
 * File statistics in exported checkpoints, judged by delta-rs: it must read the same per-file
 * stats (num_records, min, max, null_count) from our checkpoint as from the source.
 *   - spark4/stats_struct_only (writeStatsAsJson=false, writeStatsAsStruct=true): our checkpoints
 *     carry stats only as `stats_parsed`, at the versions Spark checkpointed;
 *   - every primitive type (golden/data-skipping-basic-stats-all-types) through `stats_parsed`
 *     alone: a log made of nothing but our checkpoint at version 0.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import { writeCheckpoint, type CheckpointAction } from '../../delta/checkpoint-writer';
import { writeLastCheckpoint } from '../../delta/log-writer';
import { openStore } from '../../storage/uri';
import { loadHistory, sqliteUrl, tempDir } from '../catalog/helpers';
import { fixture } from '../support/env';
import { deltaRsStates, exportAll } from './helpers';

const dir = tempDir('deltasql-export-stats-');
let store: CatalogStore;
beforeAll(async () => {
  store = await openCatalog(sqliteUrl(dir));
});
afterAll(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('struct-only stats: delta-rs reads from our stats_parsed what the commits say', async () => {
  const rel = 'spark4/stats_struct_only';
  const h = await loadHistory(fixture(rel));
  const t = await store.ensureTable({ location: fixture(rel), name: rel });
  await store.writeVersions(t.tableId, h.commits);
  const dest = path.join(dir, 'struct-only');
  const plan = await exportAll(store, rel, dest);
  expect(plan.checkpoints).toEqual([3, 6]);
  // Delete the commits a checkpoint covers, so delta-rs must take every stat from our parquet.
  for (let v = 0; v <= 6; v++)
    fs.rmSync(path.join(dest, '_delta_log', `${String(v).padStart(20, '0')}.json`));
  // The reference: the source's commits alone (Spark's own checkpoints here carry no stats at all).
  const commitsOnly = path.join(dir, 'struct-only-commits');
  fs.cpSync(fixture(rel), commitsOnly, { recursive: true });
  for (const f of fs.readdirSync(path.join(commitsOnly, '_delta_log')))
    if (/checkpoint/.test(f)) fs.rmSync(path.join(commitsOnly, '_delta_log', f));
  const versions = [6, 7];
  const [src, got] = await deltaRsStates([
    { path: commitsOnly, versions, stats: true },
    { path: dest, versions, stats: true },
  ]);
  for (const v of versions) {
    expect(got[v].stats).toEqual(src[v].stats);
    expect(Object.keys(src[v].stats ?? {}).length).toBeGreaterThan(0);
  }
});

test('every primitive type survives stats_parsed', async () => {
  const src = fixture('golden/data-skipping-basic-stats-all-types');
  const lines = fs
    .readFileSync(path.join(src, '_delta_log', '00000000000000000000.json'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
  const meta = lines.find((l) => l.metaData)!.metaData;
  const metadata = {
    ...meta,
    configuration: {
      'delta.checkpoint.writeStatsAsJson': 'false',
      'delta.checkpoint.writeStatsAsStruct': 'true',
    },
  };
  const actions: CheckpointAction[] = [
    { kind: 'protocol', body: lines.find((l) => l.protocol)!.protocol },
    { kind: 'metaData', body: metadata },
    ...lines.filter((l) => l.add).map((l): CheckpointAction => ({ kind: 'add', body: l.add })),
  ];
  const dest = path.join(dir, 'all-types');
  const d = openStore(dest);
  async function* one(): AsyncGenerator<CheckpointAction[]> {
    yield actions;
  }
  const r = await writeCheckpoint(d, 0, one(), { metadata });
  await writeLastCheckpoint(d, {
    version: 0,
    size: r.size,
    sizeInBytes: r.sizeInBytes,
    numOfAddFiles: r.numOfAddFiles,
  });
  const [want, got] = await deltaRsStates([
    { path: src, versions: [0], stats: true },
    { path: dest, versions: [0], stats: true },
  ]);
  const stats = want['0'].stats ?? {};
  // Decimals carry null counts only (see delta/checkpoint-writer-stats.ts): expect them absent.
  const expected = Object.fromEntries(
    Object.entries(stats).map(([p, s]) => [
      p,
      Object.fromEntries(Object.entries(s).filter(([k]) => !/^(min|max)\.as_big_decimal$/.test(k))),
    ]),
  );
  const actual = Object.fromEntries(
    Object.entries(got['0'].stats ?? {}).map(([p, s]) => [
      p,
      Object.fromEntries(Object.entries(s).filter(([k]) => !/^(min|max)\.as_big_decimal$/.test(k))),
    ]),
  );
  expect(actual).toEqual(expected);
  expect(Object.keys(Object.values(expected)[0] ?? {})).toContain('min.as_timestamp');
});
