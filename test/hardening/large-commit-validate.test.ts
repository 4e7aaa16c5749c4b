/**
 * Validation of a table whose state is ~600 MB of JSON (the 610 MiB CONVERT-style commit of
 * bench/large-commit.ts, 150k wide adds) in bounded memory (issue 14). Imported into PostgreSQL
 * through the real pipeline WITH validation, on a fresh worker process whose peak RSS is bounded:
 * the default range budget makes validation compare the file sets one path range at a time
 * (activities/validate.ts) instead of holding both whole snapshots (~2 x 600 MB). Then the
 * catalog is tampered with (one file's size, one stats string, one live row deleted) and the same
 * range path, run here, fails and names exactly those files. Generated in a RAM disk when there
 * is one, and deleted afterwards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateAgainstLog, type ValidationPlan } from '../../activities/validate';
import { largeFilePath, writeLargeCommitTable, type LargeCommitTable } from '../../bench/large-commit';
import { awaitImport, startImport } from '../../client/import-client';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { DeltaTable } from '../../delta/table';
import { dropPgSchema, pgUrl, uniqueSchema } from '../catalog/helpers';
import { importInput, sessionOf } from '../support/import';
import { integrationSuite } from '../support/suite';
import { largeScratchDir, onFreshWorker, stopFreshWorker } from './large-support';

const MIN_BYTES = 610 * 1024 * 1024;
/** The worker's peak RSS, MB, import and validation together (an idle worker is ~300 MB). */
const PEAK_RSS_BOUND_MB = 800;

const dir = largeScratchDir('deltasql-large-validate-');
const suite = integrationSuite('large-validate');
const pgSchema = uniqueSchema('largevalidate');
let gen: LargeCommitTable;

beforeAll(() => {
  gen = writeLargeCommitTable(path.join(dir, 'table'), MIN_BYTES);
});

afterAll(async () => {
  await stopFreshWorker();
  await dropPgSchema(pgSchema);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a 610 MiB commit imports AND validates (by path ranges) with bounded worker memory; tampering is named', async () => {
  const h = suite.h;
  const url = pgUrl(pgSchema);
  const { rssMB: peak, seconds } = await onFreshWorker(suite, 'validate', async () => {
    const input = importInput(path.join(dir, 'table'), url, { name: 'big' });
    const result = await awaitImport(await startImport(sessionOf(h), h.env, input), null);
    expect(result).toMatchObject({ targetVersion: 1, versionsImported: 2 });
    expect(result.validation?.lines).toContain('  ✓ files: file sets match');
    expect(result.validation?.passed).toBe(true);
  });
  console.log(
    `large validate: ${Math.round(gen.commitBytes / 2 ** 20)} MiB commit imported and validated in ${seconds.toFixed(1)} s; worker peak RSS ${peak} MB`,
  );
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(PEAK_RSS_BOUND_MB);

  // Tamper with the catalog; the range path must name each difference.
  const store = (await suite.open(url)) as SqlCatalogStore;
  const id = (await store.findTable('big'))?.tableId ?? '';
  const [sized, statted, deleted] = [
    largeFilePath(gen.removed),
    largeFilePath(77_777),
    largeFilePath(gen.files - 1),
  ];
  const open = `table_id = ? AND path = ? AND removed_version IS NULL`;
  await store.driver.query(`UPDATE {T:dl_add_files} SET size = size + 1 WHERE ${open}`, [id, sized]);
  await store.driver.query(`UPDATE {T:dl_add_files} SET stats = ? WHERE ${open}`, [
    '{"numRecords":0}',
    id,
    statted,
  ]);
  await store.driver.query(`DELETE FROM {T:dl_add_files} WHERE ${open}`, [id, deleted]);
  let plan: ValidationPlan | null = null;
  const r = await validateAgainstLog(
    store,
    await DeltaTable.open(path.join(dir, 'table')),
    id,
    1,
    () => undefined,
    {
      onPlan: (p) => (plan = p),
    },
  );
  // The catalog's count: the live files less the deleted row. One replay of the log suffices.
  expect(plan).toMatchObject({ files: gen.files - gen.removed + gen.added - 1, groups: 1 });
  console.log(`large validate: tampered catalog compared in ${JSON.stringify(plan)}`);
  expect((plan as ValidationPlan | null)?.ranges).toBeGreaterThan(1);
  expect(r.passed).toBe(false);
  expect(r.lines).toContain('  ✗ files: 1 missing in catalog, 0 extra in catalog, 2 changed');
  expect(r.lines).toContain(`    missing in catalog: ${deleted}`);
  expect(r.lines).toContain(`    changed: ${sized} (size)`);
  expect(r.lines).toContain(`    changed: ${statted} (stats)`);
  expect(r.lines).toContain('  ✗ numFiles: file counts differ');
}, 1_200_000);
