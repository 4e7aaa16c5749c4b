/**
 * Export rebuilds the source's checkpoints and commit times after the source log is gone, on
 * every catalog engine (migration 6 runs on sqlite, postgres, duckdb and mysql):
 *   - the importer's record of the source's checkpoints (`recordListedCheckpoints`, called here
 *     in two ranges as import activities do; test/export/cli.test.ts runs it through a real
 *     import) drives the exported checkpoint set: Spark wrote this fixture's checkpoints every 3
 *     versions, which neither the default interval (10) nor any guess would give;
 *   - `_last_checkpoint` names the newest of them, and every `.crc` is there;
 *   - exported commits carry their source's mtimes, so delta-rs time travel by timestamp picks
 *     the same version on the export as on the source.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordListedCheckpoints, sourceCheckpointVersions } from '../../catalog/source-checkpoints';
import { SqlCatalogStore } from '../../catalog/sql-catalog';
import { openStore } from '../../storage/uri';
import { loadHistory } from '../catalog/helpers';
import { ENGINES, freshCatalog, type Engine } from '../catalog/conformance-support';
import { copyFixture, fixture } from '../support/env';
import { commitName, deltaRsJudge, exportAll, logFile, sha256 } from './helpers';

const FIXTURE = 'spark4/stats_struct_only';
/** Distinct, hour-apart commit times with a millisecond part (2021-01-01 + v hours + 123 ms). */
const mtime = (v: number): number => 1_609_459_200_000 + v * 3_600_000 + 123;

const copies: string[] = [];
const exported: { engine: Engine; root: string }[] = [];
let latest = -1;

afterAll(() => {
  for (const c of copies) fs.rmSync(c, { recursive: true, force: true });
});

function logNames(root: string): string[] {
  return fs.readdirSync(path.join(root, '_delta_log')).sort();
}

test.each(ENGINES)(
  '%s: checkpoints where the source had them and commit mtimes, from the catalog alone',
  async (engine) => {
    const copy = copyFixture(FIXTURE);
    copies.push(copy);
    const h = await loadHistory(copy);
    latest = h.latest;
    for (let v = 0; v <= latest; v++) {
      const f = logFile(copy, commitName(v));
      fs.utimesSync(f, (mtime(v) + 0.5) / 1000, (mtime(v) + 0.5) / 1000);
    }
    const cat = await freshCatalog(engine, 'export_srccp');
    try {
      const store = cat.store as SqlCatalogStore;
      const t = await store.ensureTable({ location: copy, name: 'cp' });
      // Re-read after the mtimes changed: the catalog's commit times are the files' mtimes.
      const commits = (await loadHistory(copy)).commits;
      await store.writeVersions(t.tableId, commits);
      await recordListedCheckpoints(store.driver, openStore(copy), t.tableId, 0, 4);
      await recordListedCheckpoints(store.driver, openStore(copy), t.tableId, 4, latest);
      expect(await sourceCheckpointVersions(store.driver, t.tableId, 0, latest)).toEqual({
        versions: [3, 6],
        listedTo: latest,
      });

      // The log is lost: export onto the table's own location (the restore case).
      fs.rmSync(path.join(copy, '_delta_log'), { recursive: true });
      const plan = await exportAll(store, 'cp', copy);
      expect(plan.checkpoints).toEqual([3, 6]);
      expect(plan.checkpointRule).toBe(
        `where the source had them (recorded at import, versions 0–${latest})`,
      );
      const names = logNames(copy);
      expect(names.filter((n) => n.includes('checkpoint'))).toEqual([
        '00000000000000000003.checkpoint.parquet',
        '00000000000000000006.checkpoint.parquet',
        '_last_checkpoint',
      ]);
      expect(names.filter((n) => n.endsWith('.crc'))).toHaveLength(latest + 1);
      const last = JSON.parse(fs.readFileSync(logFile(copy, '_last_checkpoint'), 'utf8'));
      expect(last).toMatchObject({ version: 6, numOfAddFiles: expect.any(Number) });
      for (let v = 0; v <= latest; v++) {
        const f = logFile(copy, commitName(v));
        expect({ v, sha: sha256(f), mtime: Math.floor(fs.statSync(f).mtimeMs) }).toEqual({
          v,
          sha: sha256(logFile(fixture(FIXTURE), commitName(v))),
          mtime: mtime(v),
        });
      }
      exported.push({ engine, root: copy });
    } finally {
      await cat.drop();
    }
  },
);

test('delta-rs reads every exported version like the source and time travels by timestamp to the same versions', async () => {
  expect(exported.map((e) => e.engine)).toEqual([...ENGINES]);
  const versions = Array.from({ length: latest + 1 }, (_, v) => v);
  // Each commit's own instant, and half an hour after it (still before the next commit).
  const instants = versions.flatMap((v) => [mtime(v), mtime(v) + 1_800_000]);
  const want: Record<string, number> = {};
  for (const v of versions) {
    want[String(mtime(v))] = v;
    want[String(mtime(v) + 1_800_000)] = v;
  }
  const [src, ...got] = await deltaRsJudge([
    { path: fixture(FIXTURE), versions },
    ...exported.map((e) => ({ path: e.root, versions, timestamps: instants })),
  ]);
  exported.forEach((e, i) => {
    expect({ engine: e.engine, states: got[i].states }).toEqual({ engine: e.engine, states: src.states });
    expect({ engine: e.engine, at: got[i].at }).toEqual({ engine: e.engine, at: want });
  });
});

test('a checkpoint the source wrote after the import listed its version is exported too', async () => {
  const copy = copyFixture(FIXTURE);
  copies.push(copy);
  const cp6 = logFile(copy, '00000000000000000006.checkpoint.parquet');
  const cat = await freshCatalog('sqlite', 'export_late_cp');
  try {
    const store = cat.store as SqlCatalogStore;
    const t = await store.ensureTable({ location: copy, name: 'late' });
    const commits = (await loadHistory(copy)).commits.filter((c) => c.version <= 6);
    await store.writeVersions(t.tableId, commits);
    // The import of 0..6 lists the log just before the writer puts 6.checkpoint.parquet.
    fs.renameSync(cp6, `${cp6}.later`);
    await recordListedCheckpoints(store.driver, openStore(copy), t.tableId, 0, 6);
    fs.renameSync(`${cp6}.later`, cp6);
    expect((await sourceCheckpointVersions(store.driver, t.tableId, 0, 6)).versions).toEqual([3]);

    const out = fs.mkdtempSync(`${path.dirname(copy)}/deltasql-late-`);
    copies.push(out);
    const plan = await exportAll(store, 'late', out);
    expect(plan.checkpoints).toEqual([3, 6]);
    expect(plan.checkpointRule).toMatch(
      /at 6, where the source log has one written after the import listed it/,
    );
    expect(logNames(out).filter((n) => n.includes('checkpoint'))).toEqual([
      '00000000000000000003.checkpoint.parquet',
      '00000000000000000006.checkpoint.parquet',
      '_last_checkpoint',
    ]);
  } finally {
    await cat.drop();
  }
});
