/**
 * Validation range by range (issue 14: a huge table's validation held both whole snapshots). On
 * every engine, a table is validated through the whole-snapshot path and through the path-range
 * path (forced with a tiny range budget, one file per catalog range; the log replayed once per
 * range, three times, or once, stats digested): all pass on a faithful catalog,
 * and both report the same differences, by name, after the catalog is tampered with (a size, a
 * stats string, a deleted live row, a removed row reopened). The synthetic table has paths whose code-
 * unit, code-point and collation orders differ (case, accents, a non-BMP character, a space
 * spelled %20 by its remove) so a range split in SQL and in the log replay must agree exactly.
 */
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { validateAgainstLog, type ValidationPlan } from '../../activities/validate';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { DeltaTable } from '../../delta/table';
import { ENGINES, freshCatalog, type TestCatalog } from '../catalog/conformance-support';
import { loadHistory, tempDir, writeCommit } from '../catalog/helpers';

const SCHEMA = JSON.stringify({
  type: 'struct',
  fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }],
});
const T0 = 1_700_000_000_000;
const add = (p: string, size: number, t = T0): object => ({
  add: {
    path: p,
    partitionValues: {},
    size,
    modificationTime: t,
    dataChange: true,
    stats: `{"numRecords":${size}}`,
  },
});
const remove = (p: string, t: number): object => ({
  remove: { path: p, deletionTimestamp: t, dataChange: true },
});

/** Paths in several orders: ASCII case, %20, é (U+00E9), U+FF21 (BMP > U+E000) and U+1F600 (surrogates). */
const UNUSUAL = [
  'a.parquet',
  'B.parquet',
  'Z.parquet',
  'é.parquet',
  'Ａ.parquet',
  '😀.parquet',
  'x y.parquet',
];

function writeUnusualTable(dir: string): void {
  writeCommit(dir, 0, [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: 'f3a1c9d2-0000-4000-8000-000000000014',
        format: { provider: 'parquet', options: {} },
        schemaString: SCHEMA,
        partitionColumns: [],
        configuration: {},
        createdTime: T0,
      },
    },
    ...UNUSUAL.map((p, i) => add(p, 100 + i)),
    add('x%20z.parquet', 50),
  ]);
  // The remove names 'x%20z' as 'x z': the same file in another URI spelling (Spark matches it).
  writeCommit(dir, 1, [remove('x z.parquet', T0 + 1), add('m.parquet', 7, T0 + 1)], T0 + 1);
  // A re-add of a live file with other metadata: the later add wins.
  writeCommit(dir, 2, [add('B.parquet', 999, T0 + 2)], T0 + 2);
}

interface Validated {
  passed: boolean;
  lines: string[];
  plan: ValidationPlan | null;
}

async function validate(
  c: TestCatalog,
  dir: string,
  tableId: string,
  rangeBytes?: number,
  groups?: number,
): Promise<Validated> {
  const table = await DeltaTable.open(dir);
  const version = await table.latestVersion();
  let plan: ValidationPlan | null = null;
  const r = await validateAgainstLog(c.store, table, tableId, version, () => undefined, {
    rangeBytes,
    groups,
    onPlan: (p) => (plan = p),
  });
  return { passed: r.passed, lines: r.lines, plan };
}

describe.each(ENGINES)('validation by path ranges on %s', (engine) => {
  const dirs = { gen: path.join(tempDir(), 'gen'), unusual: path.join(tempDir(), 'unusual') };
  let c: TestCatalog;
  const ids: Record<keyof typeof dirs, string> = { gen: '', unusual: '' };
  beforeAll(async () => {
    await generateTable({
      dir: dirs.gen,
      versions: 30,
      addsPerVersion: 6,
      removesPerVersion: 3,
      deletionVectors: true,
      checkpointInterval: 10,
      seed: 14,
    });
    writeUnusualTable(dirs.unusual);
    c = await freshCatalog(engine, 'valranges');
    if (engine === 'postgres') {
      // The test server's database is C.UTF-8; a linguistic column collation (a and B, é and Z
      // interleave) is what a range split must not depend on.
      await (c.store as SqlCatalogStore).driver.exec(
        `ALTER TABLE {T:dl_add_files} ALTER COLUMN path TYPE TEXT COLLATE "en-x-icu"`,
      );
    }
    for (const name of ['gen', 'unusual'] as const) {
      const h = await loadHistory(dirs[name]);
      ids[name] = (await c.store.ensureTable({ location: dirs[name], name })).tableId;
      await c.store.writeVersions(ids[name], h.commits);
    }
  }, 120_000);
  afterAll(async () => {
    await c?.drop();
  });

  test.each(['gen', 'unusual'] as const)('%s: both paths pass on a faithful catalog', async (name) => {
    const whole = await validate(c, dirs[name], ids[name]);
    expect(whole.plan?.ranges).toBe(1);
    expect(whole).toMatchObject({ passed: true });
    expect(whole.lines).toContain('  ✓ files: file sets match');
    for (const groups of [undefined, 1, 3]) {
      const ranged = await validate(c, dirs[name], ids[name], 1, groups);
      // One file per catalog range: every boundary between two live paths is a range boundary;
      // the log replayed once per file, once, or three times.
      expect(ranged.plan?.ranges).toBe(ranged.plan?.files);
      expect(ranged.plan?.groups).toBe(groups ?? ranged.plan?.files);
      expect(ranged.plan?.files).toBeGreaterThan(5);
      expect(ranged.passed).toBe(true);
      expect(ranged.lines).toEqual(whole.lines);
    }
  });

  test('the unusual table holds the expected live set (x z removed by its other spelling)', async () => {
    const files = await c.store.files(ids.unusual, {});
    expect([...files].sort()).toEqual([...UNUSUAL, 'm.parquet'].sort());
  });

  test.each(['gen', 'unusual'] as const)(
    '%s: a tampered catalog fails both paths with the same named differences',
    async (name) => {
      const db = (c.store as SqlCatalogStore).driver;
      const id = ids[name];
      const live = (await c.store.files(id, {})).slice().sort();
      const [sized, statted, deleted] = [live[0], live[Math.floor(live.length / 2)], live[live.length - 1]];
      const open = `table_id = ? AND path = ? AND removed_version IS NULL`;
      await db.query(`UPDATE {T:dl_add_files} SET size = size + 1 WHERE ${open}`, [id, sized]);
      await db.query(`UPDATE {T:dl_add_files} SET stats = ? WHERE ${open}`, [
        '{"numRecords":-1}',
        id,
        statted,
      ]);
      await db.query(`DELETE FROM {T:dl_add_files} WHERE ${open}`, [id, deleted]);
      // A removed file's row reopened: the catalog lists a file the log does not.
      const closed = await db.query(
        `SELECT path FROM {T:dl_add_files} WHERE table_id = ? AND removed_version IS NOT NULL`,
        [id],
      );
      const closedPaths = closed.map((r) => String(r.path));
      const once = (p: string): boolean => closedPaths.indexOf(p) === closedPaths.lastIndexOf(p);
      const extra = closedPaths.find((p) => !live.includes(p) && once(p)) ?? '';
      expect(extra).not.toBe('');
      await db.query(
        `UPDATE {T:dl_add_files} SET removed_version = NULL WHERE table_id = ? AND path = ? AND removed_version IS NOT NULL`,
        [id, extra],
      );
      const whole = await validate(c, dirs[name], id);
      const ranged = await validate(c, dirs[name], id, 1);
      const oneReplay = await validate(c, dirs[name], id, 1, 1);
      expect(ranged.plan?.ranges).toBeGreaterThan(5);
      expect(oneReplay.plan?.groups).toBe(1);
      for (const r of [whole, ranged, oneReplay]) {
        expect(r.passed).toBe(false);
        expect(r.lines).toContain('  ✗ files: 1 missing in catalog, 1 extra in catalog, 2 changed');
        expect(r.lines).toContain(`    extra in catalog: ${extra}`);
        expect(r.lines).toContain(`    missing in catalog: ${deleted}`);
        expect(r.lines).toContain(`    changed: ${sized} (size)`);
        expect(r.lines).toContain(`    changed: ${statted} (stats)`);
      }
      expect(ranged.lines).toEqual(whole.lines);
      expect(oneReplay.lines).toEqual(whole.lines);
    },
  );
});
