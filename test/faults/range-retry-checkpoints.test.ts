/**
 * A killed first range attempt commits some versions and dies before recording the source's
 * checkpoints (migration 6). Its retry must still record them, from the range's own start:
 * otherwise `checkpoints_listed_version` stays NULL for good and export cannot rebuild the
 * source's checkpoint set (the fault suite's clean and chaos catalogs differed on exactly this).
 * Real activity code (MockActivityEnvironment only supplies the activity context) on SQLite.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { defaultDeps } from '../../activities/deps';
import { createImportActivities } from '../../activities/import-activities';
import { generateTable } from '../../bench/generator';
import { SqlCatalogStore } from '../../catalog/sql-catalog';
import type { Commit } from '../../delta/actions';
import { DeltaTable } from '../../delta/table';
import type { RangeResult } from '../../workflows/types';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-range-retry-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a first range retried after a partial write records the source checkpoints', async () => {
  const source = path.join(tmp, 'table');
  await generateTable({
    dir: source,
    versions: 12,
    addsPerVersion: 2,
    removesPerVersion: 1,
    checkpointInterval: 5,
    seed: 6,
  });
  const catalog = `sqlite:///${path.join(tmp, 'catalog.db')}`;
  const deps = defaultDeps();
  try {
    const store = await deps.catalog(catalog);
    const row = await store.ensureTable({ location: source, name: 'retry' });
    // Attempt 1 committed versions 0..6 and was killed before recording anything.
    const commits: Commit[] = [];
    for await (const c of (await DeltaTable.open(source)).commits(0, 6)) commits.push(c);
    await store.writeVersions(row.tableId, commits);
    const acts = createImportActivities(deps);
    const args = { source, catalog, tableId: row.tableId, from: 0, to: 11, batchSize: 1000 };
    const r = (await new MockActivityEnvironment().run(acts.importRange, args)) as RangeResult;
    expect([r.versionsWritten, r.lastVersion]).toEqual([5, 11]);
    if (!(store instanceof SqlCatalogStore)) throw new Error('not a SQL catalog');
    const [t] = await store.driver.query(
      `SELECT checkpoints_listed_version AS v FROM {T:dl_tables} WHERE table_id = ?`,
      [row.tableId],
    );
    expect(Number(t.v)).toBe(11);
    const cps = await store.driver.query(
      `SELECT version FROM {T:dl_table_versions} WHERE table_id = ? AND source_checkpoint IS NOT NULL ORDER BY version`,
      [row.tableId],
    );
    expect(cps.map((c) => Number(c.version))).toEqual([5, 10]);
    // A second retry (its result lost) skips the whole range and records the same.
    const again = (await new MockActivityEnvironment().run(acts.importRange, args)) as RangeResult;
    expect(again.versionsWritten).toBe(0);
  } finally {
    await deps.close();
  }
});
